/* SPDX-License-Identifier: ISC */
/*
 * Users and groups, as the configuration names them: by name or by
 * number, looked up in the system's databases (passwd and group, through
 * NSS), and a user's supplementary groups. conf.c asks when it reads the
 * user and group keys, so that an unknown name is a configuration error
 * with its line, not a worker that cannot start.
 */
#ifndef PREFORK_CREDS_H
#define PREFORK_CREDS_H

#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stddef.h>

/*
 * Looks v up as a user name, then as a numeric uid. Returns the entry,
 * in the static storage of getpwnam(3) (good until the next look-up), or
 * NULL with errno set: ENOENT when there is no such user, another value
 * (ENOMEM, EIO, EMFILE, ENFILE, EINTR) when the look-up itself failed.
 */
struct passwd	*creds_find_user(const char *v);

/* The same for a group name or gid, with getgrnam(3) and getgrgid(3). */
struct group	*creds_find_group(const char *v);

/*
 * The supplementary groups of user name when its group is gid, as
 * getgrouplist(3) gives them (gid among them). Returns 0 with *groups, a
 * list of *ngroups the caller frees, or -1 with errno set (ENOMEM).
 */
int	creds_list_groups(const char *name, gid_t gid, gid_t **groups,
	    size_t *ngroups);

#endif /* PREFORK_CREDS_H */
