/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safefile.h"

/* How often a path may go through a symbolic link, as the kernel's. */
#define SAFEFILE_LINKS_MAX	40

static bool
safefile_trusted(uid_t uid, uid_t me)
{
	return uid == 0 || uid == me;
}

/* "group", "others" or "group and others", for a mode found writable. */
static const char *
safefile_writers(mode_t mode, const char **chmod_arg)
{
	if ((mode & S_IWGRP) && (mode & S_IWOTH)) {
		*chmod_arg = "go-w";
		return "group and others";
	}
	if (mode & S_IWGRP) {
		*chmod_arg = "g-w";
		return "group";
	}
	*chmod_arg = "o-w";
	return "others";
}

static void
safefile_owner_hint(char *buf, size_t len, uid_t me)
{
	if (me == 0)
		snprintf(buf, len, "root");
	else
		snprintf(buf, len, "%lu", (unsigned long)me);
}

bool
safefile_dir_safe(const struct stat *st, uid_t me, const char *path,
    char *why, size_t len)
{
	const char	*who, *arg;
	char		 owner[32];

	if (!safefile_trusted(st->st_uid, me)) {
		if (why != NULL) {
			safefile_owner_hint(owner, sizeof(owner), me);
			snprintf(why, len, "directory %s is owned by uid %lu, "
			    "who may replace what is in it: run chown %s %s",
			    path, (unsigned long)st->st_uid, owner, path);
		}
		return false;
	}
	/* In a sticky directory, only an entry's owner may replace it. */
	if ((st->st_mode & S_ISVTX) || !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	if (why != NULL) {
		who = safefile_writers(st->st_mode, &arg);
		snprintf(why, len, "directory %s is writable by %s (mode %04o) "
		    "without the sticky bit: run chmod %s %s", path, who,
		    (unsigned)(st->st_mode & 07777), arg, path);
	}
	return false;
}

bool
safefile_link_safe(const struct stat *dir, const struct stat *lnk, uid_t me)
{
	if (!(dir->st_mode & S_ISVTX) || !(dir->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	return safefile_trusted(lnk->st_uid, me);
}

static const char *
safefile_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "directory";
	case S_IFIFO:
		return "FIFO";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown type";
	}
}

bool
safefile_file_safe(const struct stat *dir, const struct stat *st, uid_t me,
    char *why, size_t len)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, len, "is a symbolic link (refusing to "
		    "follow it)");
		return false;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "not a regular file (%s)",
		    safefile_kind(st->st_mode));
		return false;
	}
	if (st->st_nlink > 1) {
		snprintf(why, len, "has %lu hard links (another name could be "
		    "a file that must not be written)",
		    (unsigned long)st->st_nlink);
		return false;
	}
	/* A file planted in /tmp by another user, as fs.protected_regular. */
	if (!safefile_link_safe(dir, st, me)) {
		snprintf(why, len, "owned by uid %lu, in a directory others "
		    "may write (it could be theirs to read or to change)",
		    (unsigned long)st->st_uid);
		return false;
	}
	return true;
}

bool
safefile_conf_safe(const struct stat *st, uid_t me, const char *path,
    char *why, size_t len)
{
	const char	*who, *arg;

	if (!safefile_trusted(st->st_uid, me)) {
		snprintf(why, len, "owned by uid %lu: run chown root %s",
		    (unsigned long)st->st_uid, path);
		return false;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	who = safefile_writers(st->st_mode, &arg);
	snprintf(why, len, "writable by %s (mode %04o): run chmod %s %s", who,
	    (unsigned)(st->st_mode & 07777), arg, path);
	return false;
}

static void
safefile_strerror(int err, char *why, size_t len)
{
	snprintf(why, len, "%s", strerror(err));
}

/* Appends name to the directory path shown in messages. */
static void
safefile_shown_add(char *shown, size_t size, const char *name)
{
	size_t	n = strlen(shown);

	if (strcmp(shown, ".") == 0)
		snprintf(shown, size, "%s", name);
	else
		snprintf(shown + n, size - n, "%s%s",
		    shown[n - 1] == '/' ? "" : "/", name);
}

/*
 * Walks the directories of path, checking each, and returns an O_PATH
 * descriptor of the last one, with the file's name in name (pointing
 * into buf, a copy of path) and that directory's path, for messages, in
 * shown. A symbolic link on the way is followed only from a directory
 * nobody else may change, and only when safefile_link_safe(); the kernel
 * then resolves it, and the directory it leads to is checked in turn.
 * Returns -1 with errno set and why written on error.
 */
static int
safefile_walk(char *buf, const char **name, char *shown, size_t shown_len,
    char *why, size_t len)
{
	struct stat	 dst, lst;
	uid_t		 me = geteuid();
	char		*p, *slash;
	int		 fd, nfd, err, links = 0;

	snprintf(shown, shown_len, "%s", buf[0] == '/' ? "/" : ".");
	fd = open(shown, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		goto syserr;
	p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		if (fstat(fd, &dst) == -1)
			goto syserr;
		if (!safefile_dir_safe(&dst, me, shown, why, len)) {
			close(fd);
			errno = EPERM;
			return -1;
		}
		if ((slash = strchr(p, '/')) == NULL)
			break;
		*slash = '\0';
		if (fstatat(fd, p, &lst, AT_SYMLINK_NOFOLLOW) == -1)
			goto syserr;
		if (S_ISLNK(lst.st_mode)) {
			if (!safefile_link_safe(&dst, &lst, me) ||
			    ++links > SAFEFILE_LINKS_MAX) {
				snprintf(why, len, "%s%s%s is a symbolic link "
				    "of uid %lu in a directory others may "
				    "write (refusing to follow it)",
				    strcmp(shown, ".") == 0 ? "" : shown,
				    strcmp(shown, ".") == 0 ||
				    strcmp(shown, "/") == 0 ? "" : "/", p,
				    (unsigned long)lst.st_uid);
				close(fd);
				errno = ELOOP;
				return -1;
			}
			nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else
			nfd = openat(fd, p, O_PATH | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (nfd == -1)
			goto syserr;
		close(fd);
		fd = nfd;
		safefile_shown_add(shown, shown_len, p);
		p = slash + 1;
	}
	if (*p == '\0' || strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
		snprintf(why, len, "not a regular file (directory)");
		close(fd);
		errno = EISDIR;
		return -1;
	}
	*name = p;
	return fd;

syserr:
	err = errno;
	safefile_strerror(err, why, len);
	if (fd != -1)
		close(fd);
	errno = err;
	return -1;
}

/* Refuses what is at name in dfd if it is there and not safe to write. */
static int
safefile_check_at(int dfd, const struct stat *dst, const char *name,
    bool *exists, char *why, size_t len)
{
	struct stat	st;

	*exists = false;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		safefile_strerror(errno, why, len);
		return -1;
	}
	*exists = true;
	if (!safefile_file_safe(dst, &st, geteuid(), why, len)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	return 0;
}

/*
 * What safefile_open() and safefile_check() both do before they differ:
 * walk a copy of path (PATH_MAX, in buf; the walk cuts it up and name
 * points into it) to the directory of its last component, and refuse
 * what is there if it is not safe to write. shown (PATH_MAX) gets the
 * path as walked, and exists whether the file is there. Returns the
 * directory's fd, or -1 with errno and why set and nothing left open.
 */
static int
safefile_reach(const char *path, char *buf, const char **name, char *shown,
    struct stat *dst, bool *exists, char *why, size_t len)
{
	int	dfd, err;

	if (snprintf(buf, PATH_MAX, "%s", path) >= PATH_MAX) {
		safefile_strerror(ENAMETOOLONG, why, len);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = safefile_walk(buf, name, shown, PATH_MAX, why, len)) == -1)
		return -1;
	if (fstat(dfd, dst) == -1) {
		safefile_strerror(errno, why, len);
		goto fail;
	}
	if (safefile_check_at(dfd, dst, *name, exists, why, len) == -1)
		goto fail;
	return dfd;

fail:
	err = errno;
	close(dfd);
	errno = err;
	return -1;
}

int
safefile_open(const char *path, int flags, mode_t mode, int *dirfd,
    char *why, size_t len)
{
	struct stat	 st, dst;
	const char	*name;
	char		 buf[PATH_MAX], shown[PATH_MAX];
	bool		 exists;
	int		 dfd, fd = -1, fl, err;

	if ((dfd = safefile_reach(path, buf, &name, shown, &dst, &exists, why,
	    len)) == -1)
		return -1;
	/*
	 * O_NOFOLLOW for a link planted since, O_NONBLOCK for a FIFO (with
	 * no reader, a write-only open would wait for one), O_NOCTTY for a
	 * terminal: fstat() below turns them away.
	 */
	fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC, mode);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(why, len, "is a symbolic link (refusing to "
			    "follow it)");
		else if (errno == ENXIO)
			snprintf(why, len, "not a regular file (%s)",
			    "FIFO or device");
		else
			safefile_strerror(errno, why, len);
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		safefile_strerror(errno, why, len);
		goto fail;
	}
	if (!safefile_file_safe(&dst, &st, geteuid(), why, len)) {
		errno = EINVAL;
		goto fail;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		safefile_strerror(errno, why, len);
		goto fail;
	}
	if (dirfd != NULL)
		*dirfd = dfd;
	else
		close(dfd);
	return fd;

fail:
	err = errno;
	if (fd != -1)
		close(fd);
	close(dfd);
	errno = err;
	return -1;
}

int
safefile_check(const char *path, char *why, size_t len)
{
	struct stat	 dst;
	const char	*name;
	char		 buf[PATH_MAX], shown[PATH_MAX];
	bool		 exists;
	int		 dfd, rc, err;

	if ((dfd = safefile_reach(path, buf, &name, shown, &dst, &exists, why,
	    len)) == -1)
		return -1;
	/* The checks walked it; access(2) only asks about rights. */
	rc = exists ? faccessat(dfd, name, W_OK, 0) :
	    access(shown, W_OK | X_OK);
	if (rc == -1)
		safefile_strerror(errno, why, len);
	err = errno;
	close(dfd);
	errno = err;
	return rc;
}

int
safefile_check_conf(int fd, const char *path, char *why, size_t len)
{
	struct stat	 st, dst;
	uid_t		 me = geteuid();
	char		*real, *slash;

	if (fstat(fd, &st) == -1) {
		safefile_strerror(errno, why, len);
		return -1;
	}
	if (!safefile_conf_safe(&st, me, path, why, len))
		return -1;
	/* A pipe (-c /dev/stdin) is whatever its writer, root, sends. */
	if (!S_ISREG(st.st_mode))
		return 0;
	/*
	 * The directories on its real path: one that others may change
	 * lets them put another file in its place.
	 */
	if ((real = realpath(path, NULL)) == NULL) {
		safefile_strerror(errno, why, len);
		return -1;
	}
	for (slash = real; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (stat(*real == '\0' ? "/" : real, &dst) == -1) {
			safefile_strerror(errno, why, len);
			break;
		}
		if (!safefile_dir_safe(&dst, me, *real == '\0' ? "/" : real,
		    why, len))
			break;
		*slash = '/';
	}
	free(real);
	return slash == NULL ? 0 : -1;
}

int
safefile_replace(const char *path, const char *data, size_t len,
    char *why, size_t whylen)
{
	char		 tmp[PATH_MAX];
	const char	*base, *tbase;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd, dirfd = -1, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		snprintf(why, whylen, "%s: %s", path, strerror(ENAMETOOLONG));
		errno = ENAMETOOLONG;
		return -1;
	}
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	tbase = strrchr(tmp, '/') != NULL ? strrchr(tmp, '/') + 1 : tmp;
	if ((fd = safefile_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644,
	    &dirfd, why, whylen)) == -1)
		return -1;
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || renameat(dirfd, tbase, dirfd, base) == -1)
		goto fail;
	close(fd);
	close(dirfd);
	return 0;
fail:
	saved = errno;
	snprintf(why, whylen, "%s: %s", tmp, strerror(saved));
	(void)unlinkat(dirfd, tbase, 0);
	close(fd);
	close(dirfd);
	errno = saved;
	return -1;
}
