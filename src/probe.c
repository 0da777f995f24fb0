/* SPDX-License-Identifier: ISC */
/*
 * The hardware probe. Every file is read under a root directory, and
 * every source that cannot be read or understood is skipped with a
 * reason, never an error: a supervisor that refuses to start because
 * /sys looks odd is worse than one that sizes its pool on what it could
 * read. Nothing here logs; the caller (explain) reports what we recorded.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

/* Small sysfs, procfs and cgroup files; mountinfo can be long. */
#define SMALL_MAX	((size_t)64 * 1024)
#define MOUNTINFO_MAX	((size_t)1024 * 1024)

/* cgroup v1 prints "no limit" as a huge page-aligned number. */
#define V1_UNLIMITED	(UINT64_C(1) << 62)

/* How much of a malformed file a warning quotes. */
#define EXCERPT_LEN	48

/* What one probe_run() shares between its sources. */
struct probe_ctx {
	struct probe	*p;
	const char	*root;		/* the root, trailing slashes ignored */
	int		 rootlen;	/* 0 for "/" */
	bool		 host;		/* root is "/": system calls allowed */
	char		*cgroup;	/* /proc/self/cgroup, or NULL */
	int		 cgroup_errno;
	char		*mountinfo;	/* /proc/self/mountinfo, or NULL */
	int		 mountinfo_errno;
};

/* A cgroup limit found over a cgroup and its ancestors. */
struct cg_acc {
	int		nread;		/* levels read and understood */
	int		nlimit;		/* levels that set a limit */
	int		nbad;		/* malformed files skipped */
	uint64_t	value;		/* tightest limit so far */
	double		fine;		/* its exact ratio, to break ties */
	char		path[256];	/* the file of the tightest level */
	char		detail[192];
	char		leaf[256];	/* the file of the process's level */
	char		bad_path[256];	/* the first malformed file */
	char		bad_detail[192];
};

struct cg_kind {
	enum probe_kind	  kind;
	const char	 *name;
	const char	 *controller;	/* v1 controller; NULL for v2 */
	const char	 *file;		/* the file read at each level */
	void		(*level)(struct probe_ctx *, struct cg_acc *,
			    const char *);
};

static const char *const status_names[] = {
	[PROBE_OK] = "ok",
	[PROBE_UNLIMITED] = "unlimited",
	[PROBE_UNUSED] = "unused",
	[PROBE_MISSING] = "missing",
	[PROBE_MALFORMED] = "malformed",
};

const char *
probe_root(void)
{
	const char	*root = getenv("PREFORK_SYSROOT");

	return root != NULL && *root != '\0' ? root : "/";
}

const char *
probe_status_name(enum probe_status status)
{
	if ((size_t)status >= nitems(status_names))
		return "unknown";
	return status_names[status];
}

/*
 * Recording what was found. Paths in sources and warnings are as seen
 * under the root, so that fixture runs read the same on every machine.
 */

/* snprintf() into a fixed field: a path cut short still says enough. */
static void __attribute__((format(printf, 3, 4)))
strfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The first line of text, printable and cut short, for a message. */
static void
excerpt(const char *text, char *buf, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; text[i] != '\0' && text[i] != '\n'; i++) {
		unsigned char	c = (unsigned char)text[i];

		if (n + 1 >= len) {
			memcpy(buf + len - 4, "...", 4);
			return;
		}
		buf[n++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
	}
	buf[n] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
probe_warn(struct probe *p, const char *fmt, ...)
{
	char	line[PROBE_WARNING_LEN];
	va_list	ap;
	size_t	i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; i < p->nwarnings; i++)
		if (strcmp(p->warnings[i], line) == 0)
			return;
	if (p->nwarnings < PROBE_WARNINGS_MAX)
		memcpy(p->warnings[p->nwarnings++], line, sizeof(line));
	else
		p->nwarnings_dropped++;
}

/* probe_run() adds exactly PROBE_SOURCES_MAX sources. */
static struct probe_source *
source_add(struct probe *p, enum probe_kind kind, const char *name)
{
	struct probe_source	*s = &p->sources[p->nsources++];

	s->kind = kind;
	s->name = name;
	s->status = PROBE_MISSING;
	return s;
}

static void __attribute__((format(printf, 4, 5)))
source_set(struct probe_source *s, enum probe_status status,
    const char *path, const char *fmt, ...)
{
	va_list	ap;

	s->status = status;
	strfmt(s->path, sizeof(s->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

static void
source_missing(struct probe_source *s, const char *path, int err)
{
	source_set(s, PROBE_MISSING, path, "%s: %s", path, strerror(err));
}

/* Skips s as malformed and warns, quoting text when there is some. */
static void
source_malformed(struct probe_ctx *c, struct probe_source *s,
    const char *path, const char *what, const char *text)
{
	char	ex[EXCERPT_LEN];

	source_set(s, PROBE_MALFORMED, path, "%s: %s", path, what);
	if (text == NULL) {
		probe_warn(c->p, "%s: %s", path, what);
		return;
	}
	excerpt(text, ex, sizeof(ex));
	probe_warn(c->p, "%s: %s, read \"%s\"", path, what, ex);
}

/* Reads path under the root. Returns NULL with errno set on error. */
static char *
probe_read(const struct probe_ctx *c, const char *path, size_t max)
{
	char	full[PATH_MAX];
	int	n;

	n = snprintf(full, sizeof(full), "%.*s%s", c->rootlen, c->root,
	    path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return util_read_file(full, max);
}

/* CPUs: the online list, the affinity mask. */

/*
 * The online list is missing: on the host, ask sysconf(3), which counts
 * the same CPUs; in a fixture tree, the machine running the tests must
 * not leak in.
 */
static void
online_fallback(struct probe_ctx *c, struct probe_source *s,
    const char *path, int err)
{
	long	n;

	if (!c->host || (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1) {
		source_missing(s, path, err);
		return;
	}
	source_set(s, PROBE_OK, path, "%s: %s; sysconf(_SC_NPROCESSORS_ONLN) "
	    "= %ld", path, strerror(err), n);
	s->value = (uint64_t)n;
}

static void
probe_online(struct probe_ctx *c)
{
	static const char	 path[] = "/sys/devices/system/cpu/online";
	struct probe_source	*s = source_add(c->p, PROBE_CPU, "online");
	char			*text, ex[EXCERPT_LEN];
	unsigned		 n;

	if ((text = probe_read(c, path, SMALL_MAX)) == NULL) {
		online_fallback(c, s, path, errno);
		return;
	}
	excerpt(text, ex, sizeof(ex));
	if (probe_parse_cpulist(text, &n) == -1)
		source_malformed(c, s, path, "not a CPU list", text);
	else {
		source_set(s, PROBE_OK, path, "%s = %u CPUs", ex, n);
		s->value = n;
	}
	free(text);
}

/* Counts the CPUs in our affinity mask, however many the machine has. */
static int
affinity_count(unsigned *count)
{
	int	ncpus;

	for (ncpus = 1024; ncpus <= (int)PROBE_CPU_NUMBER_MAX + 1; ncpus *= 2) {
		cpu_set_t	*set = CPU_ALLOC(ncpus);
		size_t		 size = CPU_ALLOC_SIZE(ncpus);
		int		 r, err;

		if (set == NULL)
			return -1;
		r = sched_getaffinity(0, size, set);
		err = errno;
		if (r == 0)
			r = CPU_COUNT_S(size, set);
		CPU_FREE(set);
		if (r > 0) {
			*count = (unsigned)r;
			return 0;
		}
		/* EINVAL: the kernel's mask is larger than ours. */
		if (r == -1 && err != EINVAL) {
			errno = err;
			return -1;
		}
	}
	errno = EINVAL;
	return -1;
}

/* Finds "Cpus_allowed_list:" in status and ends its line with a NUL. */
static char *
status_cpus(char *text)
{
	static const char	 key[] = "Cpus_allowed_list:";
	char			*line = text;

	while (*line != '\0') {
		char	*end = line + strcspn(line, "\n");

		if (strncmp(line, key, sizeof(key) - 1) == 0) {
			*end = '\0';
			line += sizeof(key) - 1;
			return line + strspn(line, " \t");
		}
		line = *end != '\0' ? end + 1 : end;
	}
	return NULL;
}

static void
probe_affinity_file(struct probe_ctx *c, struct probe_source *s)
{
	static const char	 path[] = "/proc/self/status";
	char			*text, *list, ex[EXCERPT_LEN];
	unsigned		 n;

	if ((text = probe_read(c, path, SMALL_MAX)) == NULL) {
		source_missing(s, path, errno);
		return;
	}
	if ((list = status_cpus(text)) == NULL)
		source_set(s, PROBE_MISSING, path,
		    "%s: no Cpus_allowed_list line", path);
	else if (probe_parse_cpulist(list, &n) == -1)
		source_malformed(c, s, path, "Cpus_allowed_list is not a "
		    "CPU list", list);
	else {
		excerpt(list, ex, sizeof(ex));
		source_set(s, PROBE_OK, path, "Cpus_allowed_list %s = %u CPUs",
		    ex, n);
		s->value = n;
	}
	free(text);
}

static void
probe_affinity(struct probe_ctx *c)
{
	struct probe_source	*s = source_add(c->p, PROBE_CPU, "affinity");
	unsigned		 n;

	if (!c->host) {
		probe_affinity_file(c, s);
		return;
	}
	if (affinity_count(&n) == -1) {
		source_set(s, PROBE_MISSING, "", "sched_getaffinity: %s",
		    strerror(errno));
		return;
	}
	source_set(s, PROBE_OK, "", "sched_getaffinity: %u CPUs", n);
	s->value = n;
}

/*
 * cgroups. Each level's reader offers what it found to the accumulator;
 * the walk goes from the process's cgroup up to the mount point.
 */

static void __attribute__((format(printf, 5, 6)))
acc_offer(struct cg_acc *a, uint64_t value, double fine, const char *path,
    const char *fmt, ...)
{
	va_list	ap;

	a->nread++;
	if (a->nlimit++ > 0 && (value > a->value ||
	    (value == a->value && fine >= a->fine)))
		return;
	a->value = value;
	a->fine = fine;
	strfmt(a->path, sizeof(a->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

/* Both are positive, so this rounds up to at least 1 CPU. */
static void
acc_quota(struct cg_acc *a, const char *path, uint64_t quota,
    uint64_t period)
{
	uint64_t	cpus = quota / period + (quota % period != 0);
	double		exact = (double)quota / (double)period;

	acc_offer(a, cpus, exact, path, "quota %" PRIu64 " / period %" PRIu64
	    " = %.2f CPUs, rounded up to %" PRIu64, quota, period, exact, cpus);
}

static void
acc_bytes(struct cg_acc *a, const char *path, uint64_t bytes)
{
	char	human[32];

	util_format_bytes(bytes, human, sizeof(human));
	acc_offer(a, bytes, 0, path, "limit %" PRIu64 " bytes (%s)", bytes,
	    human);
}

static void
acc_bad(struct probe_ctx *c, struct cg_acc *a, const char *path,
    const char *what, const char *text)
{
	char	ex[EXCERPT_LEN];

	excerpt(text, ex, sizeof(ex));
	probe_warn(c->p, "%s: %s, read \"%s\"", path, what, ex);
	if (a->nbad++ > 0)
		return;
	strfmt(a->bad_path, sizeof(a->bad_path), "%s", path);
	strfmt(a->bad_detail, sizeof(a->bad_detail), "%s: %s", path, what);
}

/* Reads dir/file into a buffer the caller frees; path gets its name. */
static char *
cg_read(struct probe_ctx *c, const char *dir, const char *file, char *path,
    size_t len)
{
	int	n = snprintf(path, len, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= len)
		return NULL;
	return probe_read(c, path, SMALL_MAX);
}

static void
cg_cpu_v2(struct probe_ctx *c, struct cg_acc *a, const char *dir)
{
	char		 path[PATH_MAX], *text;
	uint64_t	 q, per;

	if ((text = cg_read(c, dir, "cpu.max", path, sizeof(path))) == NULL)
		return;
	/* No kernel takes a quota of 0: it would stop the cgroup dead. */
	if (probe_parse_cpu_max(text, &q, &per) == -1 || q == 0)
		acc_bad(c, a, path, "not \"max PERIOD\" or a positive "
		    "\"QUOTA PERIOD\"", text);
	else if (q == UINT64_MAX)
		a->nread++;
	else
		acc_quota(a, path, q, per);
	free(text);
}

/* Reads a v1 cpu.cfs_period_us. Returns it, 0 when missing, -1 bad. */
static int64_t
cg_period_v1(struct probe_ctx *c, struct cg_acc *a, const char *dir)
{
	char	path[PATH_MAX], *text;
	int64_t	per;

	if ((text = cg_read(c, dir, "cpu.cfs_period_us", path,
	    sizeof(path))) == NULL)
		return 0;
	if (probe_parse_int(text, &per) == -1 || per <= 0) {
		acc_bad(c, a, path, "not a positive period", text);
		per = -1;
	}
	free(text);
	return per;
}

static void
cg_cpu_v1(struct probe_ctx *c, struct cg_acc *a, const char *dir)
{
	char	path[PATH_MAX], *text;
	int64_t	q, per;

	if ((text = cg_read(c, dir, "cpu.cfs_quota_us", path,
	    sizeof(path))) == NULL)
		return;
	if (probe_parse_int(text, &q) == -1 || q == 0 || q < -1)
		acc_bad(c, a, path, "not -1 or a positive quota", text);
	else if (q == -1)
		a->nread++;
	else if ((per = cg_period_v1(c, a, dir)) > 0)
		acc_quota(a, path, (uint64_t)q, (uint64_t)per);
	free(text);
}

static void
cg_mem_v2(struct probe_ctx *c, struct cg_acc *a, const char *dir)
{
	char		 path[PATH_MAX], *text;
	uint64_t	 n;

	if ((text = cg_read(c, dir, "memory.max", path, sizeof(path))) ==
	    NULL)
		return;
	/* A running process cannot live under a limit of 0 bytes. */
	if (probe_parse_memory_max(text, &n) == -1 || n == 0)
		acc_bad(c, a, path, "not \"max\" or a positive number of "
		    "bytes", text);
	else if (n == UINT64_MAX)
		a->nread++;
	else
		acc_bytes(a, path, n);
	free(text);
}

static void
cg_mem_v1(struct probe_ctx *c, struct cg_acc *a, const char *dir)
{
	char	path[PATH_MAX], *text;
	int64_t	n;

	if ((text = cg_read(c, dir, "memory.limit_in_bytes", path,
	    sizeof(path))) == NULL)
		return;
	if (probe_parse_int(text, &n) == -1 || n <= 0)
		acc_bad(c, a, path, "not a positive number of bytes", text);
	else if ((uint64_t)n >= V1_UNLIMITED)
		a->nread++;
	else
		acc_bytes(a, path, (uint64_t)n);
	free(text);
}

static const struct cg_kind cg_kinds[] = {
	{ PROBE_CPU, "cgroup v2", NULL, "cpu.max", cg_cpu_v2 },
	{ PROBE_CPU, "cgroup v1", "cpu", "cpu.cfs_quota_us", cg_cpu_v1 },
	{ PROBE_MEMORY, "cgroup v2", NULL, "memory.max", cg_mem_v2 },
	{ PROBE_MEMORY, "cgroup v1", "memory", "memory.limit_in_bytes",
	    cg_mem_v1 },
};

/* The hierarchy's name for messages: "cgroup v2" or "cgroup v1 cpu". */
static void
cg_label(const struct cg_kind *k, char *buf, size_t len)
{
	if (k->controller == NULL)
		snprintf(buf, len, "cgroup v2");
	else
		snprintf(buf, len, "cgroup v1 %s", k->controller);
}

/* Finds the process's cgroup path for k. Returns 0, or -1 with s set. */
static int
cg_path(struct probe_ctx *c, struct probe_source *s,
    const struct cg_kind *k, char *cgpath, size_t len)
{
	static const char	path[] = "/proc/self/cgroup";
	char			label[32];

	if (c->cgroup == NULL) {
		source_missing(s, path, c->cgroup_errno);
		return -1;
	}
	cg_label(k, label, sizeof(label));
	switch (probe_parse_cgroup(c->cgroup, k->controller, cgpath, len)) {
	case -1:
		source_malformed(c, s, path,
		    "a line is not ID:CONTROLLERS:PATH", NULL);
		return -1;
	case 1:
		source_set(s, PROBE_MISSING, path, "%s: no %s hierarchy", path,
		    label);
		return -1;
	}
	if (!probe_cgroup_plain(cgpath)) {
		source_set(s, PROBE_MISSING, path, "%s: %s path %s is outside "
		    "this cgroup namespace", path, label, cgpath);
		return -1;
	}
	return 0;
}

/* Finds the mount of cgpath's hierarchy. Returns 0, or -1 with s set. */
static int
cg_mount(struct probe_ctx *c, struct probe_source *s,
    const struct cg_kind *k, const char *cgpath, char *mroot, char *mnt)
{
	static const char	path[] = "/proc/self/mountinfo";
	char			label[32];

	if (c->mountinfo == NULL) {
		source_missing(s, path, c->mountinfo_errno);
		return -1;
	}
	cg_label(k, label, sizeof(label));
	switch (probe_parse_mountinfo(c->mountinfo, k->controller, cgpath,
	    mroot, PATH_MAX, mnt, PATH_MAX)) {
	case -1:
		source_malformed(c, s, path, "a line is not in the mountinfo "
		    "format", NULL);
		return -1;
	case 1:
		source_set(s, PROBE_MISSING, path, "%s: no %s mount whose "
		    "root holds %s", path, label, cgpath);
		return -1;
	}
	return 0;
}

/*
 * Maps the process's cgroup for k to a directory as seen under the root,
 * and *top to the length of its mount point's part. Returns 0, or -1
 * with s set.
 */
static int
cg_locate(struct probe_ctx *c, struct probe_source *s,
    const struct cg_kind *k, char *dir, size_t len, size_t *top)
{
	char	cgpath[PATH_MAX], mroot[PATH_MAX], mnt[PATH_MAX];

	if (cg_path(c, s, k, cgpath, sizeof(cgpath)) == -1 ||
	    cg_mount(c, s, k, cgpath, mroot, mnt) == -1)
		return -1;
	/* cg_path() found it plain, and cg_mount() a root that holds it. */
	if (probe_cgroup_dir(cgpath, mroot, mnt, dir, len, top) == -1) {
		source_set(s, PROBE_MISSING, "", "cgroup %s under %s: path "
		    "too long", cgpath, mnt);
		return -1;
	}
	return 0;
}

static void
cg_finish(struct probe_source *s, const struct cg_acc *a,
    const struct cg_kind *k, const char *top)
{
	if (*top == '\0')
		top = "/";
	if (a->nlimit > 0) {
		source_set(s, PROBE_OK, a->path, "%s", a->detail);
		s->value = a->value;
	} else if (a->nread > 0 && a->nbad > 0)
		source_set(s, PROBE_UNLIMITED, a->leaf, "no limit in %d "
		    "level%s up to %s, %d malformed", a->nread,
		    a->nread == 1 ? "" : "s", top, a->nbad);
	else if (a->nread > 0)
		source_set(s, PROBE_UNLIMITED, a->leaf, "no limit in %d "
		    "level%s up to %s", a->nread, a->nread == 1 ? "" : "s",
		    top);
	else if (a->nbad > 0)
		source_set(s, PROBE_MALFORMED, a->bad_path, "%s",
		    a->bad_detail);
	else
		source_set(s, PROBE_MISSING, a->leaf, "no %s at any level up "
		    "to %s", k->file, top);
}

static void
probe_cgroup(struct probe_ctx *c, const struct cg_kind *k)
{
	struct probe_source	*s = source_add(c->p, k->kind, k->name);
	struct cg_acc		 a;
	char			 dir[PATH_MAX];
	size_t			 top;

	if (cg_locate(c, s, k, dir, sizeof(dir), &top) == -1)
		return;
	memset(&a, 0, sizeof(a));
	strfmt(a.leaf, sizeof(a.leaf), "%s/%s", dir, k->file);
	for (;;) {
		char	*slash;

		k->level(c, &a, dir);
		/* Past the mount point, dir's last '/' starts a level. */
		if (strlen(dir) <= top || (slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
	cg_finish(s, &a, k, dir);
}

/* Memory: the online memory blocks, MemTotal. */

/* True for "memoryN", the name of one block's directory. */
static bool
block_name(const char *name)
{
	size_t	n;

	if (strncmp(name, "memory", 6) != 0)
		return false;
	n = strspn(name + 6, "0123456789");
	return n > 0 && name[6 + n] == '\0';
}

static bool
block_online(struct probe_ctx *c, const char *name)
{
	char	path[PATH_MAX], *text;
	bool	online;

	snprintf(path, sizeof(path), "/sys/devices/system/memory/%s/state",
	    name);
	if ((text = probe_read(c, path, 64)) == NULL)
		return false;
	online = strcmp(text, "online\n") == 0 || strcmp(text, "online") == 0;
	free(text);
	return online;
}

/* Counts the memory blocks and the online ones. Returns 0, or -1. */
static int
blocks_count(struct probe_ctx *c, uint64_t *online, uint64_t *total)
{
	char		 full[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	int		 n;

	n = snprintf(full, sizeof(full), "%.*s/sys/devices/system/memory",
	    c->rootlen, c->root);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((d = opendir(full)) == NULL)
		return -1;
	*online = *total = 0;
	while ((e = readdir(d)) != NULL) {
		if (!block_name(e->d_name))
			continue;
		(*total)++;
		if (block_online(c, e->d_name))
			(*online)++;
	}
	closedir(d);
	return 0;
}

/* Returns true when the blocks gave a value. */
static bool
probe_blocks(struct probe_ctx *c)
{
	static const char	 path[] =
	    "/sys/devices/system/memory/block_size_bytes";
	struct probe_source	*s = source_add(c->p, PROBE_MEMORY,
	    "memory blocks");
	char			*text, human[32];
	uint64_t		 size, online, total;
	int			 r;

	if ((text = probe_read(c, path, SMALL_MAX)) == NULL) {
		source_missing(s, path, errno);
		return false;
	}
	r = probe_parse_block_size(text, &size);
	if (r == -1)
		source_malformed(c, s, path, "not a hexadecimal size", text);
	free(text);
	if (r == -1)
		return false;
	if (blocks_count(c, &online, &total) == -1)
		source_set(s, PROBE_MISSING, path, "/sys/devices/system/"
		    "memory: %s", strerror(errno));
	else if (online == 0)
		source_set(s, PROBE_MISSING, path, "none of %" PRIu64
		    " memory blocks is online", total);
	else if (online > UINT64_MAX / size)
		source_malformed(c, s, path, "block size too large", NULL);
	else {
		s->value = online * size;
		util_format_bytes(s->value, human, sizeof(human));
		source_set(s, PROBE_OK, path, "%" PRIu64 " of %" PRIu64
		    " blocks online x 0x%" PRIx64 " bytes = %s", online, total,
		    size, human);
	}
	return s->status == PROBE_OK;
}

static void
probe_meminfo(struct probe_ctx *c, bool blocks)
{
	static const char	 path[] = "/proc/meminfo";
	struct probe_source	*s = source_add(c->p, PROBE_MEMORY, "meminfo");
	char			*text, human[32];
	uint64_t		 n;

	if ((text = probe_read(c, path, SMALL_MAX)) == NULL) {
		source_missing(s, path, errno);
		return;
	}
	if (probe_parse_meminfo(text, &n) == -1) {
		source_malformed(c, s, path, "no \"MemTotal: N kB\" line",
		    NULL);
		free(text);
		return;
	}
	free(text);
	s->value = n;
	util_format_bytes(n, human, sizeof(human));
	/* MemTotal leaves out what the kernel reserved: blocks are exact. */
	if (blocks)
		source_set(s, PROBE_UNUSED, path, "MemTotal %" PRIu64 " kB "
		    "(%s); memory blocks take precedence", n / 1024, human);
	else
		source_set(s, PROBE_OK, path, "MemTotal %" PRIu64 " kB (%s)",
		    n / 1024, human);
}

/* The smallest OK source of kind, or NULL; ties go to the earliest. */
static const struct probe_source *
probe_min(const struct probe *p, enum probe_kind kind)
{
	const struct probe_source	*best = NULL;
	size_t				 i;

	for (i = 0; i < p->nsources; i++) {
		if (p->sources[i].kind != kind ||
		    p->sources[i].status != PROBE_OK)
			continue;
		if (best == NULL || p->sources[i].value < best->value)
			best = &p->sources[i];
	}
	return best;
}

static void
probe_decide(struct probe *p)
{
	const struct probe_source	*s;

	p->cpus = 1;
	p->cpus_from = "fallback";
	if ((s = probe_min(p, PROBE_CPU)) != NULL && s->value > 0) {
		p->cpus = s->value > UINT_MAX ? UINT_MAX : (unsigned)s->value;
		p->cpus_from = s->name;
	}
	p->memory = 0;
	p->memory_from = NULL;
	if ((s = probe_min(p, PROBE_MEMORY)) != NULL) {
		p->memory = s->value;
		p->memory_from = s->name;
	}
}

static void
probe_ctx_init(struct probe_ctx *c, struct probe *p, const char *root)
{
	size_t	n;

	if (root == NULL || *root == '\0')
		root = "/";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	c->p = p;
	c->root = root;
	c->rootlen = n > INT_MAX ? INT_MAX : (int)n;
	c->host = n == 0;
	c->cgroup = probe_read(c, "/proc/self/cgroup", SMALL_MAX);
	c->cgroup_errno = errno;
	c->mountinfo = probe_read(c, "/proc/self/mountinfo", MOUNTINFO_MAX);
	c->mountinfo_errno = errno;
}

void
probe_run(struct probe *p, const char *root)
{
	struct probe_ctx	c;
	size_t			i;

	memset(p, 0, sizeof(*p));
	probe_ctx_init(&c, p, root);
	probe_online(&c);
	probe_affinity(&c);
	for (i = 0; i < 2; i++)
		probe_cgroup(&c, &cg_kinds[i]);
	probe_meminfo(&c, probe_blocks(&c));
	for (; i < nitems(cg_kinds); i++)
		probe_cgroup(&c, &cg_kinds[i]);
	free(c.cgroup);
	free(c.mountinfo);
	probe_decide(p);
}
