/* SPDX-License-Identifier: ISC */
/*
 * Checks that only the running system can answer: does the worker
 * command exist and may it be executed, does the working directory
 * exist, may the master switch credentials, can the log and pid files be
 * written. --check reports them all; start-up stops on them.
 */
#ifndef PREFORK_CHECK_H
#define PREFORK_CHECK_H

#include <stddef.h>

#include "conf.h"
#include "wcgroup.h"

/*
 * Finds name as execvp(3) would: a name with a slash is taken as is, a
 * bare name is looked for in the directories of $PATH ("/bin:/usr/bin"
 * when unset). Copies the path found into buf. Returns 0, or -1 with
 * errno set: ENOENT when there is no such file, EACCES when one was
 * found but none may be executed, ENAMETOOLONG.
 */
int	check_find_command(const char *name, char *buf, size_t len);

/*
 * Finds the worker command of c (argv[0]) as the worker will exec it:
 * as check_find_command() does, except that a relative path with a
 * slash ("./run", "bin/app") is taken from c's chdir when it has one,
 * since the worker changes directory before it execs.
 */
int	check_resolve_command(const struct conf *c, char *buf, size_t len);

/*
 * Appends to errs each problem with the worker command of c. Returns the
 * number of problems (0 or 1).
 */
int	check_command(const struct conf *c, struct strv *errs);

/*
 * Appends to errs each problem with chdir and credentials, prefixed with
 * where the key was set. Returns the number of problems.
 */
int	check_system(const struct conf *c, struct strv *errs);

/*
 * Appends to errs each problem with log_file, pidfile and metrics_file
 * that start-up
 * would find: a symbolic link, a directory others may change, not a
 * regular file, neither the file nor, when it does not exist, its
 * directory writable, a pidfile that holds something else than a PID or
 * that another user owns. Creates nothing. Returns the number of
 * problems.
 */
int	check_files(const struct conf *c, struct strv *errs);

/* check_files() for log_file, the pidfile, metrics_file alone. */
int	check_log_file(const struct conf *c, struct strv *errs);
int	check_pidfile(const struct conf *c, struct strv *errs);
int	check_metrics_file(const struct conf *c, struct strv *errs);

/*
 * worker_cgroup = on needs a delegated cgroup v2: appends the reason
 * there is none, prefixed with where the key was set. With running NULL
 * (--check, start-up), the master's cgroup is judged under probe_root();
 * on a reload, running is the master's, set up or not at its start,
 * which a new configuration cannot change. Returns the number of
 * problems (0 or 1).
 */
int	check_worker_cgroup(const struct conf *c, const struct wcg *running,
	    struct strv *errs);

/*
 * Appends to errs each listen port that this process may not bind: one
 * below net.ipv4.ip_unprivileged_port_start without root or
 * CAP_NET_BIND_SERVICE. For --check; start-up learns it from bind(2).
 * Returns the number of problems.
 */
int	check_ports(const struct conf *c, struct strv *errs);

#endif /* PREFORK_CHECK_H */
