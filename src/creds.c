/* SPDX-License-Identifier: ISC */
/*
 * User and group look-ups. A name is tried first, then a number, so that
 * a user called "1000" is that user, as in chown(1). The databases may
 * be remote (NSS): a look-up that fails is told apart from a name that
 * does not exist, since only the second is the operator's mistake.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "conf_parse.h"
#include "creds.h"

/*
 * Whether errno after a getpw or getgr call that returned NULL says the
 * lookup itself failed; anything else means there is no such name.
 */
static bool
lookup_failed(void)
{
	return errno == ENOMEM || errno == EIO || errno == EMFILE ||
	    errno == ENFILE || errno == EINTR;
}

struct passwd *
creds_find_user(const char *v)
{
	struct passwd	*pw;
	uint64_t	 id;

	errno = 0;
	if ((pw = getpwnam(v)) != NULL)
		return pw;
	if (lookup_failed())
		return NULL;
	if (conf_parse_number(v, 0, (uid_t)-1 - 1, &id) == CONF_PE_OK) {
		errno = 0;
		if ((pw = getpwuid((uid_t)id)) != NULL)
			return pw;
		if (lookup_failed())
			return NULL;
	}
	errno = ENOENT;
	return NULL;
}

struct group *
creds_find_group(const char *v)
{
	struct group	*gr;
	uint64_t	 id;

	errno = 0;
	if ((gr = getgrnam(v)) != NULL)
		return gr;
	if (lookup_failed())
		return NULL;
	if (conf_parse_number(v, 0, (gid_t)-1 - 1, &id) == CONF_PE_OK) {
		errno = 0;
		if ((gr = getgrgid((gid_t)id)) != NULL)
			return gr;
		if (lookup_failed())
			return NULL;
	}
	errno = ENOENT;
	return NULL;
}

int
creds_list_groups(const char *name, gid_t gid, gid_t **groups,
    size_t *ngroups)
{
	gid_t	*g = NULL, *tmp;
	int	 n = 16, want;

	for (;;) {
		if ((tmp = realloc(g, (size_t)n * sizeof(*g))) == NULL) {
			free(g);
			return -1;
		}
		g = tmp;
		want = n;
		if (getgrouplist(name, gid, g, &want) != -1) {
			*groups = g;
			*ngroups = (size_t)want;
			return 0;
		}
		if (n >= 65536) {
			free(g);
			errno = ENOMEM;
			return -1;
		}
		n = want > n ? want : n * 2;
	}
}
