/* SPDX-License-Identifier: ISC */
/*
 * Worker cgroups. The judgement of delegation (wcg_judge()), the action
 * (wcg_decide()), what is said about it (wcg_describe()) and the parsers
 * are pure; the rest reads and writes under a root directory, as the
 * probe does, and never logs. The kernel's rules that shape it:
 *
 * - A cgroup may be delegated to a process by letting it write the
 *   directory, its cgroup.procs and its cgroup.subtree_control; systemd
 *   does so for Delegate=yes, and mounts /sys/fs/cgroup read-only for
 *   ProtectControlGroups=yes, which then reads as "not writable".
 * - No process may stay in a cgroup whose cgroup.subtree_control enables
 *   a controller: the master moves itself into the leaf "master" before
 *   it enables memory, and a cgroup that holds other processes than the
 *   master is not one it can take.
 * - Writing "0" to a cgroup.procs moves the writer: the child joins its
 *   leaf through an fd the master opened, with no path to resolve.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_parse.h"
#include "util.h"
#include "wcgroup.h"

/* /proc/self/cgroup and the cgroup files; mountinfo and a cgroup.procs
   can be long. */
#define SMALL_MAX	((size_t)64 * 1024)
#define LONG_MAX_READ	((size_t)1024 * 1024)

#define MASTER_LEAF	"master"

/* made[]: the leaf of the slot was made (or found), and has its limits. */
#define LEAF_MADE	1u
#define LEAF_LIMITED	2u

static const char *const mode_names[] = {
	[TRI_AUTO] = "auto",
	[TRI_ON] = "on",
	[TRI_OFF] = "off",
};

const char *
wcg_mode_name(enum tristate mode)
{
	if ((size_t)mode >= nitems(mode_names))
		return "unknown";
	return mode_names[mode];
}

/* The pure parsers. */

bool
wcg_parse_has(const char *list, const char *word)
{
	size_t	wlen = strlen(word), n;

	while (*list != '\0') {
		list += strspn(list, " \t\n");
		n = strcspn(list, " \t\n");
		if (n > 0 && n == wlen && memcmp(list, word, n) == 0)
			return true;
		list += n;
	}
	return false;
}

/* Digits at s, into *v; *end after them. Returns 0, or -1. */
static int
parse_digits(const char *s, const char **end, uint64_t *v)
{
	uint64_t	n = 0;
	const char	*p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -1;
	*end = p;
	*v = n;
	return 0;
}

int
wcg_parse_u64(const char *text, uint64_t *value)
{
	const char	*end;

	if (parse_digits(text, &end, value) == -1)
		return -1;
	return end[strspn(end, " \t\n")] == '\0' ? 0 : -1;
}

int
wcg_parse_procs(const char *text, pid_t self, pid_t *other)
{
	const char	*p = text, *end;
	uint64_t	 pid;
	int		 found = 0;

	for (;;) {
		p += strspn(p, "\n");
		if (*p == '\0')
			return found;
		if (parse_digits(p, &end, &pid) == -1 || pid > INT_MAX ||
		    (*end != '\n' && *end != '\0'))
			return -1;
		if (found == 0 && (pid_t)pid != self) {
			*other = (pid_t)pid;
			found = 1;
		}
		p = end;
	}
}

int
wcg_parse_events(const char *text, const char *key, uint64_t *value)
{
	size_t		 klen = strlen(key), n;
	const char	*line = text, *end;
	uint64_t	 v;
	int		 found = -1;

	while (*line != '\0') {
		n = strcspn(line, " \n");
		if (n == 0 || line[n] != ' ' ||
		    parse_digits(line + n + 1, &end, &v) == -1 ||
		    (*end != '\n' && *end != '\0'))
			return -1;
		if (found == -1 && n == klen && memcmp(line, key, n) == 0) {
			*value = v;
			found = 0;
		}
		line = *end == '\n' ? end + 1 : end;
	}
	return found;
}

/* The judgement and what is said of it. */

/* A directory or file that may not be written, as the reason. */
static bool
not_writable(char *reason, size_t len, const char *dir, const char *file,
    int err)
{
	if (err == EACCES || err == EPERM)
		snprintf(reason, len, "cgroup v2 not delegated: %s%s not "
		    "writable", dir, file);
	else
		snprintf(reason, len, "cgroup v2 not delegated: %s%s not "
		    "writable: %s", dir, file, strerror(err));
	return false;
}

bool
wcg_judge(const struct wcg_facts *f, char *reason, size_t len)
{
	pid_t	other = 0;
	int	r;

	if (f->controllers == NULL) {
		snprintf(reason, len, "%s/cgroup.controllers: %s", f->dir,
		    strerror(f->controllers_errno));
		return false;
	}
	if (!wcg_parse_has(f->controllers, "memory")) {
		snprintf(reason, len, "cgroup v2 not delegated: no memory in "
		    "%s/cgroup.controllers", f->dir);
		return false;
	}
	if (f->dir_errno != 0)
		return not_writable(reason, len, f->dir, "", f->dir_errno);
	if (f->procs_errno != 0)
		return not_writable(reason, len, f->dir, "/cgroup.procs",
		    f->procs_errno);
	if (f->subtree_errno != 0)
		return not_writable(reason, len, f->dir,
		    "/cgroup.subtree_control", f->subtree_errno);
	if (f->procs == NULL) {
		snprintf(reason, len, "%s/cgroup.procs: %s", f->dir,
		    strerror(f->procs_read_errno));
		return false;
	}
	if ((r = wcg_parse_procs(f->procs, f->self, &other)) == -1) {
		snprintf(reason, len, "%s/cgroup.procs: not a list of pids",
		    f->dir);
		return false;
	}
	if (r == 1) {
		snprintf(reason, len, "cgroup v2 not delegated: %s holds other "
		    "processes than prefork (pid %ld)", f->dir, (long)other);
		return false;
	}
	return true;
}

enum wcg_action
wcg_decide(enum tristate mode, const struct wcg_probe *p)
{
	if (mode == TRI_OFF)
		return WCG_OFF;
	if (p->delegated)
		return WCG_USE;
	return mode == TRI_ON ? WCG_REFUSE : WCG_FALLBACK;
}

/* A limit for people: "max", or "512.0 MiB". */
static const char *
limit_text(uint64_t bytes, char *buf, size_t len)
{
	if (bytes == 0)
		return "max";
	return util_format_bytes(bytes, buf, len);
}

char *
wcg_describe(enum tristate mode, const struct wcg_probe *p, uint64_t high,
    uint64_t max, char *buf, size_t len)
{
	char	h[32], m[32];

	switch (wcg_decide(mode, p)) {
	case WCG_OFF:
		snprintf(buf, len, "off (worker_cgroup = off)");
		break;
	case WCG_USE:
		snprintf(buf, len, "on (%s: leaves " MASTER_LEAF " and "
		    "worker-N; memory.high %s, memory.max %s)", p->dir,
		    limit_text(high, h, sizeof(h)),
		    limit_text(max, m, sizeof(m)));
		break;
	case WCG_FALLBACK:
		snprintf(buf, len, "off (%s)", p->reason);
		break;
	case WCG_REFUSE:
		snprintf(buf, len, "off (%s); worker_cgroup = on refuses to "
		    "start", p->reason);
		break;
	}
	return buf;
}

/* Detection: where our cgroup v2 is, and what it allows. */

/* The length of root without its trailing slashes: 0 for "/". */
static size_t
root_len(const char *root)
{
	size_t	n;

	if (root == NULL)
		return 0;
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	return n;
}

/* Reads root/path. Returns NULL with errno set on error. */
static char *
read_under(const char *root, size_t rootlen, const char *path, size_t max)
{
	char	full[PATH_MAX];
	int	n;

	n = snprintf(full, sizeof(full), "%.*s%s", (int)rootlen, root, path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return util_read_file(full, max);
}

static void __attribute__((format(printf, 2, 3)))
probe_why(struct wcg_probe *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
}

/* The cgroup v2 path of /proc/self/cgroup. Returns 0, or -1 with p set. */
static int
cg_path(struct wcg_probe *p, const char *root, size_t rootlen, char *cgpath,
    size_t len)
{
	static const char	 file[] = "/proc/self/cgroup";
	char			*text;
	int			 r;

	if ((text = read_under(root, rootlen, file, SMALL_MAX)) == NULL) {
		probe_why(p, "%s: %s", file, strerror(errno));
		return -1;
	}
	r = probe_parse_cgroup(text, NULL, cgpath, len);
	free(text);
	if (r == -1)
		probe_why(p, "%s: a line is not ID:CONTROLLERS:PATH", file);
	else if (r == 1)
		probe_why(p, "no cgroup v2 hierarchy in %s: cgroup v1 only",
		    file);
	else if (!probe_cgroup_plain(cgpath)) {
		probe_why(p, "cgroup v2 path %s is outside this cgroup "
		    "namespace", cgpath);
		r = -1;
	}
	return r == 0 ? 0 : -1;
}

/*
 * Maps the process's cgroup v2 to its directory as seen under the root,
 * into p->dir. Returns 0, or -1 with p->reason set.
 */
static int
cg_locate(struct wcg_probe *p, const char *root, size_t rootlen)
{
	static const char	 file[] = "/proc/self/mountinfo";
	char			 cgpath[PATH_MAX], mroot[PATH_MAX];
	char			 mnt[PATH_MAX], *text;
	const char		*rel;
	size_t			 n;
	int			 r;

	if (cg_path(p, root, rootlen, cgpath, sizeof(cgpath)) == -1)
		return -1;
	if ((text = read_under(root, rootlen, file, LONG_MAX_READ)) == NULL) {
		probe_why(p, "%s: %s", file, strerror(errno));
		return -1;
	}
	r = probe_parse_mountinfo(text, NULL, cgpath, mroot, sizeof(mroot),
	    mnt, sizeof(mnt));
	free(text);
	if (r != 0) {
		if (r == -1)
			probe_why(p, "%s: a line is not in the mountinfo "
			    "format", file);
		else
			probe_why(p, "no cgroup2 mount holds %s in %s", cgpath,
			    file);
		return -1;
	}
	rel = strcmp(mroot, "/") == 0 ? cgpath : cgpath + strlen(mroot);
	if (strcmp(rel, "/") == 0)
		rel = "";
	n = strlen(mnt);
	while (n > 0 && mnt[n - 1] == '/')
		mnt[--n] = '\0';
	r = snprintf(p->dir, sizeof(p->dir), "%s%s", mnt, rel);
	if (r < 0 || (size_t)r >= sizeof(p->dir)) {
		probe_why(p, "%s%s: path too long", mnt, rel);
		p->dir[0] = '\0';
		return -1;
	}
	if (p->dir[0] == '\0')
		snprintf(p->dir, sizeof(p->dir), "/");
	return 0;
}

/* 0 when path may be written, else the errno of access(2). */
static int
writable(const char *path)
{
	return access(path, W_OK) == 0 ? 0 : errno;
}

/* root, dir, and "/name" unless dir is "/" and name is "". */
static int
join(char *buf, size_t len, const char *root, size_t rootlen,
    const char *dir, const char *name)
{
	int	n;

	if (strcmp(dir, "/") == 0)
		dir = "";
	n = snprintf(buf, len, "%.*s%s%s%s", (int)rootlen, root, dir,
	    *name != '\0' || *dir == '\0' ? "/" : "", name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Reads the facts of p->dir into f, whose texts the caller frees. */
static void
facts_read(struct wcg_facts *f, const struct wcg_probe *p,
    const char *root, size_t rootlen)
{
	char	path[PATH_MAX];

	f->dir = p->dir;
	f->controllers_errno = f->dir_errno = f->procs_errno =
	    f->subtree_errno = f->procs_read_errno = ENAMETOOLONG;
	if (join(path, sizeof(path), root, rootlen, p->dir,
	    "cgroup.controllers") == 0 &&
	    (f->controllers = util_read_file(path, SMALL_MAX)) == NULL)
		f->controllers_errno = errno;
	if (join(path, sizeof(path), root, rootlen, p->dir, "") == 0)
		f->dir_errno = writable(path);
	if (join(path, sizeof(path), root, rootlen, p->dir,
	    "cgroup.subtree_control") == 0)
		f->subtree_errno = writable(path);
	if (join(path, sizeof(path), root, rootlen, p->dir,
	    "cgroup.procs") == 0) {
		f->procs_errno = writable(path);
		if ((f->procs = util_read_file(path, LONG_MAX_READ)) == NULL)
			f->procs_read_errno = errno;
	}
}

void
wcg_detect(struct wcg_probe *p, const char *root)
{
	struct wcg_facts	f = { .self = getpid() };
	size_t			rootlen = root_len(root);

	memset(p, 0, sizeof(*p));
	if (root == NULL)
		root = "/";
	if (cg_locate(p, root, rootlen) == -1)
		return;
	facts_read(&f, p, root, rootlen);
	p->delegated = wcg_judge(&f, p->reason, sizeof(p->reason));
	if (p->delegated)
		p->reason[0] = '\0';
	free((char *)f.controllers);
	free((char *)f.procs);
}

/* The running master's leaves. */

const char *
wcg_dir(const struct wcg *w)
{
	if (!w->active)
		return "";
	return w->path[w->rootlen] != '\0' ? w->path + w->rootlen : "/";
}

/* DIR/rel under the root, into buf. Returns 0, or -1 (ENAMETOOLONG). */
static int
wcg_file(const struct wcg *w, const char *rel, char *buf, size_t len)
{
	int	n = snprintf(buf, len, "%s/%s", w->path, rel);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Opens DIR/rel for writing, close-on-exec. Under a root other than "/"
 * the file is a plain one, made when missing and emptied first.
 */
static int
wcg_open(const struct wcg *w, const char *rel)
{
	char	path[PATH_MAX];
	int	flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;

	if (w->rootlen > 0)
		flags |= O_CREAT | O_TRUNC;
	if (wcg_file(w, rel, path, sizeof(path)) == -1)
		return -1;
	return open(path, flags, 0644);
}

/* Writes text to DIR/rel in one write(2). Returns 0, or -1 with errno. */
static int
wcg_write(const struct wcg *w, const char *rel, const char *text)
{
	size_t	len = strlen(text);
	ssize_t	n;
	int	fd, err;

	if ((fd = wcg_open(w, rel)) == -1)
		return -1;
	n = write(fd, text, len);
	err = n == -1 ? errno : EIO;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	errno = err;
	return -1;
}

/* "PATH: error" of a failed step, into w->why; errno is kept. */
static void
wcg_fail(struct wcg *w, const char *what, const char *rel)
{
	int	err = errno;

	snprintf(w->why, sizeof(w->why), "%s%s/%s: %s", what,
	    w->path + w->rootlen, rel, strerror(err));
	errno = err;
}

/*
 * Makes the leaf DIR/name; *made says whether it is new. Returns 0, or
 * -1 with errno set.
 */
static int
wcg_mkdir(const struct wcg *w, const char *name, bool *made)
{
	char	path[PATH_MAX];

	*made = false;
	if (wcg_file(w, name, path, sizeof(path)) == -1)
		return -1;
	if (mkdir(path, 0755) == 0) {
		*made = true;
		return 0;
	}
	return errno == EEXIST ? 0 : -1;
}

/*
 * Removes the leaf DIR/name. Under a root other than "/", the plain
 * files that stand for the kernel's go first.
 */
static int
wcg_rmdir(const struct wcg *w, const char *name)
{
	static const char *const files[] = { "cgroup.procs", "memory.high",
	    "memory.max" };
	char	path[PATH_MAX], rel[64];
	size_t	i;

	if (w->rootlen > 0)
		for (i = 0; i < nitems(files); i++) {
			snprintf(rel, sizeof(rel), "%s/%s", name, files[i]);
			if (wcg_file(w, rel, path, sizeof(path)) == 0)
				(void)unlink(path);
		}
	if (wcg_file(w, name, path, sizeof(path)) == -1)
		return -1;
	return rmdir(path);
}

/* Undoes a set-up that failed, keeping its errno. */
static void
wcg_undo(struct wcg *w, bool moved, bool made)
{
	int	err = errno;

	if (moved)
		(void)wcg_write(w, "cgroup.procs", "0");
	if (made)
		(void)wcg_rmdir(w, MASTER_LEAF);
	errno = err;
}

int
wcg_setup(struct wcg *w, const char *root, const struct wcg_probe *p,
    uint64_t high, uint64_t max)
{
	size_t	rootlen = root_len(root);
	bool	made;
	int	n;

	memset(w, 0, sizeof(*w));
	w->high = high;
	w->max = max;
	if (root == NULL)
		root = "/";
	if (p->dir[0] != '/') {
		snprintf(w->why, sizeof(w->why), "no cgroup v2 directory");
		errno = EINVAL;
		return -1;
	}
	n = snprintf(w->path, sizeof(w->path), "%.*s%s", (int)rootlen, root,
	    strcmp(p->dir, "/") == 0 ? "" : p->dir);
	if (n < 0 || (size_t)n >= sizeof(w->path)) {
		snprintf(w->why, sizeof(w->why), "%s: path too long", p->dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	w->rootlen = rootlen;
	if (wcg_mkdir(w, MASTER_LEAF, &made) == -1) {
		wcg_fail(w, "mkdir ", MASTER_LEAF);
		return -1;
	}
	if (wcg_write(w, MASTER_LEAF "/cgroup.procs", "0") == -1) {
		wcg_fail(w, "", MASTER_LEAF "/cgroup.procs");
		wcg_undo(w, false, made);
		return -1;
	}
	if (wcg_write(w, "cgroup.subtree_control", "+memory") == -1) {
		wcg_fail(w, "", "cgroup.subtree_control");
		wcg_undo(w, true, made);
		return -1;
	}
	w->active = true;
	return 0;
}

/* Writes memory.high and memory.max of the leaf name. */
static int
wcg_limit(const struct wcg *w, const char *name)
{
	char	rel[64], value[32];

	snprintf(rel, sizeof(rel), "%s/memory.high", name);
	snprintf(value, sizeof(value), "%" PRIu64, w->high);
	if (wcg_write(w, rel, w->high == 0 ? "max" : value) == -1)
		return -1;
	snprintf(rel, sizeof(rel), "%s/memory.max", name);
	snprintf(value, sizeof(value), "%" PRIu64, w->max);
	return wcg_write(w, rel, w->max == 0 ? "max" : value);
}

/* Room in w->made and w->ooms for slot. Returns 0, or -1 (ENOMEM). */
static int
wcg_grow(struct wcg *w, unsigned slot)
{
	unsigned char	*made;
	uint64_t	*ooms;
	size_t		 n = (size_t)slot + 1;

	if (slot < w->nmade)
		return 0;
	if ((ooms = reallocarray(w->ooms, n, sizeof(*ooms))) == NULL)
		return -1;
	w->ooms = ooms;
	if ((made = realloc(w->made, n)) == NULL)
		return -1;
	memset(made + w->nmade, 0, n - w->nmade);
	memset(ooms + w->nmade, 0, (n - w->nmade) * sizeof(*ooms));
	w->made = made;
	w->nmade = n;
	return 0;
}

int
wcg_leaf_open(struct wcg *w, unsigned slot)
{
	char	name[32], rel[64];
	bool	made;
	int	fd;

	if (!w->active) {
		errno = EINVAL;
		return -1;
	}
	if (wcg_grow(w, slot) == -1)
		return -1;
	snprintf(name, sizeof(name), "worker-%u", slot);
	if (!(w->made[slot] & LEAF_MADE)) {
		if (wcg_mkdir(w, name, &made) == -1)
			return -1;
		w->made[slot] |= LEAF_MADE;
	}
	if (!(w->made[slot] & LEAF_LIMITED)) {
		if (wcg_limit(w, name) == -1)
			return -1;
		w->made[slot] |= LEAF_LIMITED;
	}
	snprintf(rel, sizeof(rel), "%s/cgroup.procs", name);
	/* A leaf removed behind our back is made again next time. */
	if ((fd = wcg_open(w, rel)) == -1 && errno == ENOENT)
		w->made[slot] = 0;
	return fd;
}

int
wcg_set_limits(struct wcg *w, uint64_t high, uint64_t max)
{
	char	name[32];
	size_t	i;
	int	err = 0;

	w->high = high;
	w->max = max;
	for (i = 0; i < w->nmade; i++) {
		if (!(w->made[i] & LEAF_MADE))
			continue;
		snprintf(name, sizeof(name), "worker-%zu", i);
		/* Not limited: the next spawn in it tries again. */
		w->made[i] &= (unsigned char)~LEAF_LIMITED;
		if (wcg_limit(w, name) == 0)
			w->made[i] |= LEAF_LIMITED;
		else if (err == 0)
			err = errno;
	}
	errno = err;
	return err == 0 ? 0 : -1;
}

/* Reads the file of slot's leaf. Returns NULL with errno set. */
static char *
wcg_read_leaf(const struct wcg *w, unsigned slot, const char *file)
{
	char	rel[64], path[PATH_MAX];

	if (!w->active || slot >= w->nmade || !(w->made[slot] & LEAF_MADE)) {
		errno = ENOENT;
		return NULL;
	}
	snprintf(rel, sizeof(rel), "worker-%u/%s", slot, file);
	if (wcg_file(w, rel, path, sizeof(path)) == -1)
		return NULL;
	return util_read_file(path, SMALL_MAX);
}

int
wcg_memory_current(const struct wcg *w, unsigned slot, uint64_t *bytes)
{
	char	*text;
	int	 r;

	if ((text = wcg_read_leaf(w, slot, "memory.current")) == NULL)
		return -1;
	r = wcg_parse_u64(text, bytes);
	free(text);
	if (r == -1)
		errno = EINVAL;
	return r;
}

int
wcg_oom_kills(const struct wcg *w, unsigned slot, uint64_t *count)
{
	char	*text;
	int	 r;

	if ((text = wcg_read_leaf(w, slot, "memory.events")) == NULL)
		return -1;
	r = wcg_parse_events(text, "oom_kill", count);
	free(text);
	if (r == -1)
		errno = EINVAL;
	return r;
}

int
wcg_oom_rose(struct wcg *w, unsigned slot)
{
	uint64_t	count;
	int		rose;

	/* Read, so its leaf is made: slot has its place in w->ooms. */
	if (wcg_oom_kills(w, slot, &count) == -1)
		return -1;
	rose = count > w->ooms[slot];
	w->ooms[slot] = count;
	return rose;
}

size_t
wcg_cleanup(struct wcg *w)
{
	char	name[32];
	size_t	i, left = 0;
	int	err = 0;

	for (i = 0; i < w->nmade; i++) {
		if (!(w->made[i] & LEAF_MADE))
			continue;
		snprintf(name, sizeof(name), "worker-%zu", i);
		if (wcg_rmdir(w, name) == -1 && errno != ENOENT) {
			left++;
			wcg_fail(w, "rmdir ", name);
			err = errno;
		}
	}
	free(w->made);
	free(w->ooms);
	w->made = NULL;
	w->ooms = NULL;
	w->nmade = 0;
	w->active = false;
	errno = err;
	return left;
}
