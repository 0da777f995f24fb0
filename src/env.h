/*
 * The workers' environment: the master's own, without what systemd gave
 * the master alone (NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*) and without what
 * prefork sets itself, plus the [env] section; each spawn then adds the
 * worker's own variables.
 */
#ifndef PREFORK_ENV_H
#define PREFORK_ENV_H

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
 * Fills envp (room for base->n + ENV_EXTRA_MAX + 1 pointers) with the
 * base and the extra variables given (NULL-terminated, at most
 * ENV_EXTRA_MAX); the strings are borrowed, not copied. This function
 * can't fail.
 */
void	env_worker(char **envp, const struct strv *base,
	    char *const *extra);

#endif /* PREFORK_ENV_H */
