/* SPDX-License-Identifier: ISC */
/*
 * The pidfile: created, locked and written with the master's PID at
 * start-up, before any worker, so that a second prefork on the same file
 * refuses to start; removed at exit, if it is still the file we wrote. A
 * file left by a dead prefork is not locked, and is taken over; a file
 * that holds something else than a PID is never overwritten.
 */
#ifndef PREFORK_PIDFILE_H
#define PREFORK_PIDFILE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct pidfile {
	char	*path;
	int	 fd;	/* -1 when none; close-on-exec, holds the lock */
	int	 dirfd;	/* O_PATH, the directory it is in */
	dev_t	 dev;	/* what we wrote, removed only if still there */
	ino_t	 ino;
};

#define PIDFILE_INIT	{ NULL, -1, -1, 0, 0 }

/*
 * True when text, len bytes, is what a pidfile holds: nothing, or a
 * decimal PID and an optional newline.
 */
bool	pidfile_text_ok(const char *text, size_t len);

/*
 * Opens path safely (safefile_open()), creating it mode 0644, locks it
 * and writes pid into it. Returns 0, or -1 with errno set and the reason
 * in why: EWOULDBLOCK when another process holds the lock, in which case
 * *holder is that process (from the lock, 0 if unknown); EEXIST when the
 * file holds something else than a PID; EPERM when another user owns it
 * (it could keep writing it). A file that it created is removed again on
 * error.
 */
int	pidfile_open(struct pidfile *pf, const char *path, pid_t pid,
	    pid_t *holder, char *why, size_t len);

/*
 * What pidfile_open() would refuse, creating and locking nothing: for
 * --check. Returns 0, or -1 with errno set and the reason in why.
 */
int	pidfile_check(const char *path, char *why, size_t len);

/*
 * Removes the file if it is still the one pidfile_open() wrote, and
 * closes it, if open. This function can't fail.
 */
void	pidfile_remove(struct pidfile *pf);

#endif /* PREFORK_PIDFILE_H */
