/* SPDX-License-Identifier: ISC */
/*
 * The master's start-up, before its event loop: what it opens and
 * checks, each step logging its problem and returning the exit status
 * (sysexits(3)) that main() exits with, or 0.
 */
#ifndef PREFORK_STARTUP_H
#define PREFORK_STARTUP_H

#include "conf.h"
#include "pidfile.h"
#include "sockets.h"
#include "wcgroup.h"

/*
 * The open file limit leaves room for the master's own fds and one per
 * listening socket: with fewer it could not even run its loop. Returns
 * 0, or EX_OSERR naming the limit and how to raise it.
 */
int	startup_fd_room(const struct conf *c);

/*
 * Opens the log file, then the pidfile, which gets the master's PID now,
 * before any worker. Returns 0, or EX_CANTCREAT (the holder's PID when
 * another prefork holds the pidfile).
 */
int	startup_files(const struct conf *c, struct pidfile *pf);

/*
 * The listening sockets, adopted from systemd or bound from listen,
 * before any worker exists; judged by the calls' return values, so that
 * a failure whose message was lost to ENOMEM is still one. Returns 0, or
 * EX_OSERR.
 */
int	startup_sockets(const struct conf *c, struct sockets *s);

/*
 * worker_cgroup: judges the master's cgroup v2 under probe_root() and,
 * where it is delegated (or when on), sets the worker cgroups up in w,
 * moving the master into its own leaf; before the guard is forked,
 * whose process would otherwise stay behind in the cgroup. Logs what it
 * decided. With auto, a cgroup that is not delegated, or a set-up the
 * kernel refuses, leaves w inactive with the reason in w->why. Returns
 * 0, or for on EX_CONFIG (not delegated) or EX_OSERR (a step failed).
 */
int	startup_worker_cgroups(const struct conf *c, struct wcg *w);

/*
 * For ev_set_syserr_cb(): libev reports a system call that failed where
 * it cannot return an error (it would abort). The master cannot run
 * without its loop: logs why, naming the open file limit when that is
 * the cause, and exits EX_OSERR.
 */
_Noreturn void	startup_syserr(const char *msg);

#endif /* PREFORK_STARTUP_H */
