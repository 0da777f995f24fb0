/* SPDX-License-Identifier: ISC */
/*
 * The master: the event loop, its signal, child and timer callbacks, and
 * the wiring between them, the pool that decides, and spawn, which acts.
 * The only module that includes <ev.h>.
 */
#ifndef PREFORK_MASTER_H
#define PREFORK_MASTER_H

#include "conf.h"

/*
 * Blocks the signals the master handles, and ignores SIGPIPE, until its
 * event loop takes them over: a HUP (or TTIN, USR1...) that comes while
 * a long configuration is read waits instead of killing the process,
 * whose default action it would be; a TERM, INT or QUIT then shuts down
 * cleanly as soon as the loop runs. Call it first thing when the master
 * is to run. Returns 0, or -1 with errno set.
 */
int	master_hold_signals(void);

/*
 * Runs the pool under c until it is shut down, re-reading the
 * configuration from src on SIGHUP. Takes c over (and frees it). Returns
 * the exit status: 0 after a shutdown by signal, the code of a worker
 * that exited with one of halt_exit_codes, 69 when the first generation
 * of workers all failed to boot, 71 on an operating-system failure at
 * start-up, 73 when the pidfile or log file cannot be created or the
 * pidfile is held by a running prefork.
 */
int	master_run(struct conf *c, const struct conf_source *src);

/*
 * For an upgrade in place (master_upgrade.c): the command line the
 * master was started with, which the new image gets again, and the fd
 * of the state an upgrade handed over (--upgrade-state), or -1 for a
 * fresh start. master_upgrading() returns that fd.
 */
void	master_upgrade_origin(char *const *argv, int state_fd);
int	master_upgrading(void);

#endif /* PREFORK_MASTER_H */
