/* SPDX-License-Identifier: ISC */
/*
 * Opening a file the master writes (the pidfile, log_file), safely: the
 * path is walked one component at a time, a symbolic link is followed
 * only where nobody but root and the master's own user could have put it,
 * no directory on the way may be changed by anyone else, and the file
 * itself is never a link, and must be a regular file (a FIFO or a device
 * would block the master or do worse). The same decisions check the
 * configuration file a root master reads. The predicates are pure, for
 * the tests; a refusal comes with a reason, for the caller's message.
 */
#ifndef PREFORK_SAFEFILE_H
#define PREFORK_SAFEFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* Room enough for any reason below, paths included. */
#define SAFEFILE_WHY_MAX	8192

/*
 * True when a user other than root and me may add, remove or rename
 * entries of the directory st: it is owned by someone else, or it is
 * writable by its group or by others without the sticky bit. When it is
 * not safe and why is not NULL, writes there why, naming the directory
 * path and the chmod or chown that would make it safe.
 */
bool	safefile_dir_safe(const struct stat *st, uid_t me, const char *path,
	    char *why, size_t len);

/*
 * True when the symbolic link lnk, in the directory dir (itself safe),
 * may be followed: in a sticky directory others may write (/tmp), only a
 * link of root's or mine is, as the kernel's fs.protected_symlinks and
 * systemd's unsafe path transitions have it.
 */
bool	safefile_link_safe(const struct stat *dir, const struct stat *lnk,
	    uid_t me);

/*
 * True when st, found at the end of the path in the directory dir, is
 * something the master may write: a regular file with one name (another
 * hard link could be a file the master must not write), and in a sticky
 * directory others may write, one of root's or mine. Otherwise writes
 * the reason in why.
 */
bool	safefile_file_safe(const struct stat *dir, const struct stat *st,
	    uid_t me, char *why, size_t len);

/*
 * True when a root master may read the configuration file st: owned by
 * root (or me) and writable by nobody else. Otherwise writes in why what
 * is wrong and the command that fixes it, naming path.
 */
bool	safefile_conf_safe(const struct stat *st, uid_t me, const char *path,
	    char *why, size_t len);

/*
 * Opens path as open(2) would with flags (O_WRONLY or O_RDWR, with
 * O_APPEND, O_CREAT, O_EXCL as wanted) and mode, after the checks
 * above, close-on-exec and without blocking on the way (the fd is back
 * in blocking mode when returned). With dirfd not NULL, *dirfd is an
 * O_PATH descriptor of the directory the file is in (close-on-exec), for
 * removing it later. Returns the fd, or -1 with errno set and the reason
 * in why: ELOOP for a link refused, EPERM for a directory others may
 * change, EINVAL for a file that is not a regular file or has other
 * names, or open(2)'s errno.
 */
int	safefile_open(const char *path, int flags, mode_t mode, int *dirfd,
	    char *why, size_t len);

/*
 * Replaces the file at path with data[0..len), atomically, for readers
 * that must never see half of it (node_exporter's textfile collector):
 * written to PATH.tmp beside it (opened with safefile_open()'s checks,
 * mode 0644, truncated), fsync(2)ed, then renamed over path. Returns 0,
 * or -1 with errno set and the reason in why; PATH.tmp is then removed.
 */
int	safefile_replace(const char *path, const char *data, size_t len,
	    char *why, size_t whylen);

/*
 * The same checks as safefile_open(), creating and opening nothing: for
 * --check. A missing file is fine when its directory could take it.
 * Returns 0, or -1 with errno set and the reason in why.
 */
int	safefile_check(const char *path, char *why, size_t len);

/*
 * For a root master: checks the configuration file open as fd, read from
 * path, and every directory on its real path. Returns 0, or -1 with the
 * reason and its remedy in why.
 */
int	safefile_check_conf(int fd, const char *path, char *why, size_t len);

#endif /* PREFORK_SAFEFILE_H */
