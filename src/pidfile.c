/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"
#include "safefile.h"

/* Longer than any PID line: a file this big holds something else. */
#define PIDFILE_TEXT_MAX	32

bool
pidfile_text_ok(const char *text, size_t len)
{
	size_t	i;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 0)
		return true;
	for (i = 0; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return false;
	/* "0" names no process; leading zeros are not what we write. */
	return text[0] != '0';
}

/* Whether the file open as fd holds nothing or a PID. */
static bool
pidfile_holds_pid(int fd, const struct stat *st)
{
	char	buf[PIDFILE_TEXT_MAX];
	ssize_t	n;

	if (st->st_size > PIDFILE_TEXT_MAX)
		return false;
	if ((n = pread(fd, buf, sizeof(buf), 0)) == -1)
		return false;
	return pidfile_text_ok(buf, (size_t)n);
}

/*
 * Two locks, on two bytes past the PID. The one that keeps a second
 * prefork out is an open file description lock on byte 0: it belongs to
 * the master's descriptor, which the workers never get (close-on-exec),
 * dies with the master however it dies, and stays even if the master
 * opens and closes the file again. An OFD lock does not say who holds
 * it, so a POSIX record lock on byte 1 does, for F_GETLK: the holder is
 * the process the kernel knows, not whatever PID the file's content says.
 */
#define PIDFILE_LOCK_BYTE	0
#define PIDFILE_OWNER_BYTE	1

static struct flock
pidfile_range(short type, off_t byte)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	return fl;
}

/* The process that holds the lock, or 0 when the kernel does not say. */
static pid_t
pidfile_holder(int fd)
{
	struct flock	fl = pidfile_range(F_WRLCK, PIDFILE_OWNER_BYTE);

	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid > 0 ? fl.l_pid : 0;
}

/*
 * Takes the file open as fd, unless it is someone else's: locked by
 * another process, holding something else than a PID, or owned by
 * another user, who could keep writing to it.
 */
static int
pidfile_take(int fd, bool created, pid_t *holder, char *why, size_t len)
{
	struct flock	fl = pidfile_range(F_WRLCK, PIDFILE_LOCK_BYTE);
	struct stat	st;

	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		if (errno != EACCES && errno != EAGAIN) {
			snprintf(why, len, "%s", strerror(errno));
			return -1;
		}
		*holder = pidfile_holder(fd);
		snprintf(why, len, "is held by a running prefork");
		errno = EWOULDBLOCK;
		return -1;
	}
	/* Only to be named: the OFD lock above is what keeps others out. */
	fl = pidfile_range(F_WRLCK, PIDFILE_OWNER_BYTE);
	(void)fcntl(fd, F_SETLK, &fl);
	if (fstat(fd, &st) == -1) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (!created && !pidfile_holds_pid(fd, &st)) {
		snprintf(why, len, "exists and holds something else than a "
		    "PID (not overwriting it)");
		errno = EEXIST;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, len, "owned by uid %lu, who could keep writing "
		    "it: remove it", (unsigned long)st.st_uid);
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 07777) != 0644 && fchmod(fd, 0644) == -1) {
		snprintf(why, len, "chmod: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
pidfile_put(int fd, pid_t pid, char *why, size_t len)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		snprintf(why, len, "write: %s", errno == 0 ? "short write" :
		    strerror(errno));
		return -1;
	}
	return 0;
}

static const char *
pidfile_name(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int
pidfile_open(struct pidfile *pf, const char *path, pid_t pid,
    pid_t *holder, char *why, size_t len)
{
	struct stat	st;
	bool		created = true;
	int		fd, dirfd, err;

	*holder = 0;
	fd = safefile_open(path, O_RDWR | O_CREAT | O_EXCL, 0644, &dirfd,
	    why, len);
	if (fd == -1 && errno == EEXIST) {
		created = false;
		fd = safefile_open(path, O_RDWR, 0, &dirfd, why, len);
	}
	if (fd == -1)
		return -1;
	errno = 0;
	if (pidfile_take(fd, created, holder, why, len) == -1 ||
	    pidfile_put(fd, pid, why, len) == -1 || fstat(fd, &st) == -1 ||
	    (pf->path = strdup(path)) == NULL) {
		err = errno != 0 ? errno : EIO;
		/* Locked: another prefork won the race for it, and has it. */
		if (created && err != EWOULDBLOCK)
			unlinkat(dirfd, pidfile_name(path), 0);
		close(fd);
		close(dirfd);
		errno = err;
		return -1;
	}
	pf->fd = fd;
	pf->dirfd = dirfd;
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	return 0;
}

int
pidfile_check(const char *path, char *why, size_t len)
{
	struct stat	st;
	int		fd, rc = 0;

	if (safefile_check(path, why, len) == -1)
		return -1;
	if ((fd = safefile_open(path, O_RDONLY, 0, NULL, why, len)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		snprintf(why, len, "%s", strerror(errno));
		rc = -1;
	} else if (!pidfile_holds_pid(fd, &st)) {
		snprintf(why, len, "exists and holds something else than a "
		    "PID (not overwriting it)");
		errno = EEXIST;
		rc = -1;
	} else if (st.st_uid != geteuid()) {
		snprintf(why, len, "owned by uid %lu, who could keep writing "
		    "it: remove it", (unsigned long)st.st_uid);
		errno = EPERM;
		rc = -1;
	}
	close(fd);
	return rc;
}

void
pidfile_remove(struct pidfile *pf)
{
	struct stat	st;

	if (pf->fd == -1)
		return;
	/*
	 * Only the file we wrote, and while still holding the lock: another
	 * file put at that name since is someone else's.
	 */
	if (fstatat(pf->dirfd, pidfile_name(pf->path), &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == pf->dev &&
	    st.st_ino == pf->ino)
		unlinkat(pf->dirfd, pidfile_name(pf->path), 0);
	close(pf->fd);
	close(pf->dirfd);
	free(pf->path);
	pf->fd = pf->dirfd = -1;
	pf->path = NULL;
}
