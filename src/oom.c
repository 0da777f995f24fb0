/* SPDX-License-Identifier: ISC */
/*
 * The OOM killer's count of the master's memory cgroup. See oom.h for
 * what the kernel counts, and where.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oom.h"
#include "probe_parse.h"
#include "util.h"

/* As the probe reads them: small cgroup files, a long mountinfo. */
#define CGROUP_MAX	((size_t)64 * 1024)
#define MOUNTINFO_MAX	((size_t)1024 * 1024)

/* memory.events has 6 lines, memory.oom_control 3: room for many more. */
#define EVENTS_MAX	4096

/* cgroup v1 prints "no limit" as a huge page-aligned number. */
#define V1_UNLIMITED	(UINT64_C(1) << 62)

/* snprintf() into a fixed field: a path cut short still says enough. */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The file of each version's count, and of its limit. */
static const char *
count_file(int version)
{
	return version == 2 ? "memory.events" : "memory.oom_control";
}

static const char *
limit_file(int version)
{
	return version == 2 ? "memory.max" : "memory.limit_in_bytes";
}

int
oom_parse_events(const char *text, uint64_t *count)
{
	static const char	 key[] = "oom_kill";
	const char		*line, *end, *p;
	uint64_t		 n = 0;
	int			 found = 1;

	for (line = text; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (strncmp(line, key, sizeof(key) - 1) != 0 ||
		    strchr(" \t\n", line[sizeof(key) - 1]) == NULL)
			continue;
		if (found == 0)
			return -1;
		p = line + sizeof(key) - 1;
		p += strspn(p, " \t");
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (n = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			unsigned	d = (unsigned)(*p - '0');

			if (n > (UINT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
		}
		if (p + strspn(p, " \t") != end)
			return -1;
		found = 0;
	}
	if (found == 0)
		*count = n;
	return found;
}

int
oom_locate(const char *cgroup, const char *mountinfo, int version,
    char *dir, size_t len, size_t *top)
{
	const char	*controller = version == 2 ? NULL : "memory";
	char		 cgpath[PATH_MAX], mroot[PATH_MAX], mnt[PATH_MAX];
	int		 r;

	if ((r = probe_parse_cgroup(cgroup, controller, cgpath,
	    sizeof(cgpath))) != 0)
		return r;
	if (!probe_cgroup_plain(cgpath))
		return 1;
	if ((r = probe_parse_mountinfo(mountinfo, controller, cgpath, mroot,
	    sizeof(mroot), mnt, sizeof(mnt))) != 0)
		return r;
	return probe_cgroup_dir(cgpath, mroot, mnt, dir, len, top);
}

/* root followed by path, into buf; -1 (ENAMETOOLONG) when it won't fit. */
static int
under_root(const char *root, size_t rootlen, const char *path, char *buf,
    size_t len)
{
	int	n;

	if (rootlen > INT_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(buf, len, "%.*s%s", (int)rootlen, root, path);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Reads the count into *count; errno EINVAL or ENODATA when not right. */
static int
read_count(int fd, uint64_t *count)
{
	char	buf[EVENTS_MAX];
	ssize_t	n;

	/* Offset 0 makes the kernel print the file again, fresh. */
	do {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n == sizeof(buf) - 1) {
		errno = EFBIG;
		return -1;
	}
	buf[n] = '\0';
	/* A NUL inside would hide the rest from the parser. */
	if (strlen(buf) != (size_t)n) {
		errno = EINVAL;
		return -1;
	}
	switch (oom_parse_events(buf, count)) {
	case 0:
		return 0;
	case 1:
		errno = ENODATA;
		return -1;
	default:
		errno = EINVAL;
		return -1;
	}
}

/* One version's attempt; returns 0, or -1 with errno and why set. */
static int
try_version(struct oomwatch *w, const char *root, const char *cgroup,
    const char *mountinfo, int version, char *why, size_t len)
{
	char	dir[PATH_MAX], path[PATH_MAX];
	size_t	top;
	int	fd, r;

	r = oom_locate(cgroup, mountinfo, version, dir, sizeof(dir), &top);
	if (r != 0) {
		if (version == 2)
			say(why, len, "cgroup v2: %s", r == 1 ?
			    "no hierarchy of ours mounted" : "not understood");
		else
			say(why, len, "cgroup v1: %s", r == 1 ?
			    "no memory hierarchy of ours mounted" :
			    "not understood");
		errno = r == 1 ? ENOENT : EINVAL;
		return -1;
	}
	if (under_root(root, w->rootlen, dir, w->dir, sizeof(w->dir)) == -1 ||
	    snprintf(path, sizeof(path), "%s/%s", w->dir, count_file(version))
	    >= (int)sizeof(path)) {
		say(why, len, "cgroup v%d: %s: path too long", version, dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		say(why, len, "cgroup v%d: %s/%s: %s", version, dir,
		    count_file(version), strerror(errno));
		return -1;
	}
	if (read_count(fd, &w->seen) == -1) {
		int	err = errno;

		say(why, len, "cgroup v%d: %s/%s: %s", version, dir,
		    count_file(version), err == ENODATA ? "no oom_kill line (Linux 4.13 and later "
		    "have one)" : err == EINVAL ? "oom_kill line not "
		    "understood" : strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	w->fd = fd;
	w->open = true;
	w->version = version;
	w->top = w->rootlen + top;
	return 0;
}

/* Reads name under root; NULL with errno and why set. */
static char *
read_proc(const char *root, size_t rootlen, const char *name, size_t max,
    char *why, size_t len)
{
	char	 path[PATH_MAX], *text = NULL;

	if (under_root(root, rootlen, name, path, sizeof(path)) == 0)
		text = util_read_file(path, max);
	if (text == NULL) {
		int	err = errno;

		say(why, len, "%s: %s", name, strerror(err));
		errno = err;
	}
	return text;
}

int
oom_open(struct oomwatch *w, const char *root, char *why, size_t len)
{
	char	 why2[OOM_WHY_MAX], why1[OOM_WHY_MAX];
	char	*cgroup, *mountinfo = NULL;
	size_t	 rootlen;
	int	 err = 0, err2;

	oom_close(w);
	if (root == NULL || *root == '\0')
		root = "/";
	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	w->rootlen = rootlen;
	if ((cgroup = read_proc(root, rootlen, "/proc/self/cgroup",
	    CGROUP_MAX, why, len)) == NULL ||
	    (mountinfo = read_proc(root, rootlen, "/proc/self/mountinfo",
	    MOUNTINFO_MAX, why, len)) == NULL)
		err = errno;
	else if (try_version(w, root, cgroup, mountinfo, 2, why2,
	    sizeof(why2)) == -1) {
		err2 = errno;
		if (try_version(w, root, cgroup, mountinfo, 1, why1,
		    sizeof(why1)) == -1) {
			/* v2's error, when it found a file it could not use. */
			err = err2 != ENOENT ? err2 : errno;
			say(why, len, "%s; %s", why2, why1);
		}
	}
	free(cgroup);
	free(mountinfo);
	if (err != 0) {
		oom_close(w);
		errno = err;
		return -1;
	}
	return 0;
}

int
oom_count(struct oomwatch *w, uint64_t *count)
{
	if (!w->open) {
		errno = EBADF;
		return -1;
	}
	return read_count(w->fd, count);
}

int
oom_exit(struct oomwatch *w, int status, double now)
{
	uint64_t	count, rise;

	if (!w->open)
		return 0;
	if (oom_count(w, &count) == -1) {
		int	err = errno;

		oom_close(w);
		errno = err;
		return -1;
	}
	if (w->unclaimed > 0 && now > w->claim_until)
		w->unclaimed = 0;
	/* The count only grows; a smaller one is a new start. */
	if (count > w->seen) {
		rise = count - w->seen;
		w->unclaimed = rise > UINT64_MAX - w->unclaimed ? UINT64_MAX :
		    w->unclaimed + rise;
		w->claim_until = now + OOM_CLAIM_SECONDS;
	}
	w->seen = count;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
	    w->unclaimed == 0)
		return 0;
	w->unclaimed--;
	return 1;
}

/* The limit in dir/file: 1 with *bytes, 0 for none or unreadable. */
static int
read_limit(const struct oomwatch *w, const char *dir, uint64_t *bytes)
{
	char	path[PATH_MAX], buf[64];
	int64_t	v;

	if (snprintf(path, sizeof(path), "%s/%s", dir, limit_file(w->version))
	    >= (int)sizeof(path) || util_read_buf(path, buf, sizeof(buf)) ==
	    -1)
		return 0;
	if (w->version == 2)
		return probe_parse_memory_max(buf, bytes) == 0 &&
		    *bytes != UINT64_MAX && *bytes > 0;
	if (probe_parse_int(buf, &v) == -1 || v <= 0 ||
	    (uint64_t)v >= V1_UNLIMITED)
		return 0;
	*bytes = (uint64_t)v;
	return 1;
}

/* A directory of w as seen under the root: "/" for the root's own. */
static const char *
shown(const struct oomwatch *w, const char *dir)
{
	return dir[w->rootlen] != '\0' ? dir + w->rootlen : "/";
}

char *
oom_describe(const struct oomwatch *w, char *buf, size_t len)
{
	char		 dir[PATH_MAX], at[PATH_MAX], human[32];
	char		*slash;
	uint64_t	 bytes, best = 0;
	bool		 found = false;

	if (!w->open) {
		snprintf(buf, len, "no memory cgroup");
		return buf;
	}
	snprintf(dir, sizeof(dir), "%s", w->dir);
	at[0] = '\0';
	/* Up from the cgroup to its mount point: each pass cuts a level. */
	for (;;) {
		if (read_limit(w, dir, &bytes) && (!found || bytes < best)) {
			best = bytes;
			found = true;
			snprintf(at, sizeof(at), "%s", dir);
		}
		if (strlen(dir) <= w->top ||
		    (slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
	if (!found)
		say(buf, len, "memory cgroup %s, no limit", shown(w,
		    w->dir));
	else if (strcmp(at, w->dir) == 0)
		say(buf, len, "memory cgroup %s, limit %s", shown(w,
		    w->dir), util_format_bytes(best, human, sizeof(human)));
	else
		say(buf, len, "memory cgroup %s, limit %s of %s", shown(w,
		    w->dir), util_format_bytes(best, human, sizeof(human)),
		    shown(w, at));
	return buf;
}

const char *
oom_file(const struct oomwatch *w, char *buf, size_t len)
{
	if (!w->open)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%s/%s", w->dir + w->rootlen,
		    count_file(w->version));
	return buf;
}

void
oom_close(struct oomwatch *w)
{
	if (w->open)
		(void)close(w->fd);
	memset(w, 0, sizeof(*w));
}
