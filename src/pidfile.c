#include "config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

/* The PID a locked file names, or 0. */
static pid_t
pidfile_holder(int fd)
{
	char	buf[32];
	ssize_t	n;
	long	pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

/*
 * flock(2) rather than fcntl(2) locks: the lock belongs to the open file
 * description, which only the master holds (the fd is close-on-exec), and
 * it is gone the moment the master dies, however it dies.
 */
int
pidfile_open(struct pidfile *pf, const char *path, pid_t *holder)
{
	int	fd, saved;

	*holder = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		if (saved == EWOULDBLOCK)
			*holder = pidfile_holder(fd);
		close(fd);
		errno = saved;
		return -1;
	}
	if ((pf->path = strdup(path)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	pf->fd = fd;
	return 0;
}

int
pidfile_write(struct pidfile *pf, pid_t pid)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (ftruncate(pf->fd, 0) == -1)
		return -1;
	if (pwrite(pf->fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
pidfile_remove(struct pidfile *pf)
{
	if (pf->fd == -1)
		return;
	/* Unlink while still holding the lock, then let go. */
	unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	pf->fd = -1;
	pf->path = NULL;
}
