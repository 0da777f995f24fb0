/*
 * The pidfile: created and locked at start-up, so that a second prefork
 * on the same file refuses to start; the PID is written once the pool is
 * up; removed at exit. A file left by a dead prefork is not locked, and
 * is taken over.
 */
#ifndef PREFORK_PIDFILE_H
#define PREFORK_PIDFILE_H

#include <sys/types.h>

struct pidfile {
	char	*path;
	int	 fd;	/* -1 when none; close-on-exec, holds the lock */
};

#define PIDFILE_INIT	{ NULL, -1 }

/*
 * Opens (creating) and locks path. Returns 0, or -1 with errno set:
 * EWOULDBLOCK when another process holds the lock, in which case *holder
 * is the PID the file names (0 if it names none).
 */
int	pidfile_open(struct pidfile *pf, const char *path, pid_t *holder);

/* Writes pid into the locked file. Returns 0, or -1 with errno set. */
int	pidfile_write(struct pidfile *pf, pid_t pid);

/* Removes and closes the file, if open. This function can't fail. */
void	pidfile_remove(struct pidfile *pf);

#endif /* PREFORK_PIDFILE_H */
