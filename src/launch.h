/* SPDX-License-Identifier: ISC */
/*
 * What a worker is started with: the program found in PATH, the
 * environment (the base of env.c plus the worker's own variables), the
 * listening sockets and the notify socket. Prepared when a configuration
 * is adopted, so that a reload can fail before anything changes, and used
 * for every spawn without allocating.
 */
#ifndef PREFORK_LAUNCH_H
#define PREFORK_LAUNCH_H

#include <limits.h>
#include <stdint.h>

#include "conf.h"
#include "sockets.h"
#include "spawn.h"
#include "util.h"
#include "wcgroup.h"

struct launch {
	char		  path[PATH_MAX];	/* the program */
	struct strv	  env;			/* the base environment */
	char		**envp;			/* room for one worker's */
	int		 *fds;			/* listening sockets */
	size_t		  nfds;
	char		 *fdnames;		/* "LISTEN_FDNAMES=..." */
	const char	 *notify;		/* "NOTIFY_SOCKET=@...", or
						   NULL */
	uint64_t	  watchdog_usec;	/* WATCHDOG_USEC, 0 = none */
	struct wcg	 *cg;			/* the worker cgroups, or
						   NULL: borrowed */
};

#define LAUNCH_INIT	{ "", STRV_INIT, NULL, NULL, 0, NULL, NULL, 0, NULL }

/*
 * Prepares l for workers of c: finds the command (as execvp would) and
 * builds the environment, with the sockets of s (may be NULL) and the
 * notify variable notify ("NOTIFY_SOCKET=@...", borrowed; NULL unless
 * ready = notify). While cg (borrowed, may be NULL) is active, each
 * worker joins its slot's leaf there. Returns 0, or -1 with errno set
 * (ENOENT, EACCES: the command; ENOMEM), l then untouched.
 */
int	launch_prepare(struct launch *l, const struct conf *c,
	    const struct sockets *s, const char *notify, struct wcg *cg);

/* Frees what l holds and leaves it as LAUNCH_INIT. */
void	launch_free(struct launch *l);

/*
 * Starts the worker for slot in a pool of size workers, under c (the
 * configuration l was prepared for). Returns spawn_worker()'s pid; r says
 * how it went: a leaf that could not be made or opened is a failure of
 * the child at SPAWN_CGROUP, with the errno of that.
 */
pid_t	launch_spawn(struct launch *l, const struct conf *c, unsigned slot,
	    unsigned size, struct spawn_result *r);

#endif /* PREFORK_LAUNCH_H */
