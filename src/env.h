/* SPDX-License-Identifier: ISC */
/*
 * The workers' environment: the master's own, without what systemd gave
 * the master alone (NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*) and without what
 * prefork sets itself, plus the [env] section; each spawn then adds the
 * worker's own variables.
 */
#ifndef PREFORK_ENV_H
#define PREFORK_ENV_H

#include <sys/types.h>

#include "util.h"

/* The most variables env_worker() adds to the base. */
#define ENV_EXTRA_MAX	12

/*
 * Builds the base environment from environ and the [env] pairs (as
 * "NAME=value"), which win over the master's variables of the same name.
 * Returns 0, or -1 (ENOMEM) with base unchanged.
 */
int	env_base(struct strv *base, char *const *environ,
	    const struct strv *pairs);

/*
 * True when the variable "NAME=value" (or "NAME") is one prefork never
 * passes on from its own environment.
 */
bool	env_reserved(const char *var);

/*
 * For a reserved variable, what an [env] section should set instead
 * ("use listen"); NULL for any other. This function can't fail.
 */
const char *env_reserved_hint(const char *var);

/*
 * Fills envp (room for base->n + ENV_EXTRA_MAX + 1 pointers) with the
 * base and the extra variables given (NULL-terminated, at most
 * ENV_EXTRA_MAX); the strings are borrowed, not copied. This function
 * can't fail.
 */
void	env_worker(char **envp, const struct strv *base,
	    char *const *extra);

/*
 * An index of the names in a vector of "NAME=value" strings, so that a
 * configuration with tens of thousands of [env] pairs is checked for
 * duplicates in linear time. It holds positions in the vector, not
 * copies: the vector must outlive it and only grow at its end.
 */
struct env_index {
	size_t	*slot;		/* position + 1; 0 is an empty slot */
	size_t	 cap;		/* a power of two, or 0 */
	size_t	 n;
};

#define ENV_INDEX_INIT	{ NULL, 0, 0 }

/*
 * Indexes sv->v[i] by its name. Returns 0, or -1 (ENOMEM) with the index
 * unchanged.
 */
int	env_index_add(struct env_index *ix, const struct strv *sv, size_t i);

/*
 * The position in sv of the variable called name (a bare name, or
 * "NAME=value"), or -1 when it has none. This function can't fail.
 */
ssize_t	env_index_find(const struct env_index *ix, const struct strv *sv,
	    const char *name);

void	env_index_free(struct env_index *ix);

#endif /* PREFORK_ENV_H */
