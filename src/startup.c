/* SPDX-License-Identifier: ISC */
/*
 * What the master opens and checks before its loop runs: the open file
 * limit, the log file and the pidfile, the listening sockets, and what
 * to do when libev cannot go on. Each logs its problem, naming the file,
 * address or limit, and returns the sysexits(3) status main() exits with.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "messages.h"
#include "probe.h"
#include "safefile.h"
#include "startup.h"

/*
 * The fds the master needs for itself: 0, 1, 2, the event loop's three
 * (epoll, the signal eventfd, the timerfd), the guard's pipe, a spawn's
 * error pipe (two) and the cgroup.procs of its worker's leaf, the
 * pidfile, the log file and its reopening, the notify sockets (the
 * workers', systemd's) and a few for the fds a notify message may carry;
 * the listening sockets come on top.
 */
#define STARTUP_FDS	17

int
startup_fd_room(const struct conf *c)
{
	struct rlimit	rl;
	size_t		need = STARTUP_FDS + c->listen.n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	log_errorx("the open file limit (RLIMIT_NOFILE, ulimit -n) is %llu: "
	    "prefork needs at least %zu here; raise it (ulimit -n, or "
	    "LimitNOFILE= under systemd)", (unsigned long long)rl.rlim_cur,
	    need);
	return EX_OSERR;
}

int
startup_files(const struct conf *c, struct pidfile *pf)
{
	char	why[SAFEFILE_WHY_MAX];
	pid_t	holder;

	if (c->log_file != NULL && log_open(c->log_file, why,
	    sizeof(why)) == -1) {
		log_errorx("log_file %s: %s", c->log_file, why);
		return EX_CANTCREAT;
	}
	/* Open already: handed over by an upgrade. */
	if (c->pidfile == NULL || pf->fd != -1)
		return 0;
	if (pidfile_open(pf, c->pidfile, getpid(), &holder, why,
	    sizeof(why)) == 0)
		return 0;
	if (errno == EWOULDBLOCK && holder != 0)
		log_errorx("pidfile %s is held by a running prefork (pid %ld)",
		    c->pidfile, (long)holder);
	else if (errno == EWOULDBLOCK)
		log_errorx("pidfile %s is locked by another process",
		    c->pidfile);
	else
		log_errorx("pidfile %s: %s", c->pidfile, why);
	return EX_CANTCREAT;
}

int
startup_sockets(const struct conf *c, struct sockets *s)
{
	struct strv	errs = STRV_INIT;
	int		n, rc = 0;

	/*
	 * Both is a normal set-up (one file, run by hand and by a socket
	 * unit): said once, at start, not as a warning.
	 */
	if ((n = sockets_adopt(s, &errs)) > 0)
		log_info("socket-activated: %d sockets from systemd%s", n,
		    c->listen.n > 0 ? "; listen is ignored" : "");
	else if (n == -1)
		rc = -1;
	else
		rc = sockets_update(s, &c->listen,
		    c->backlog, &errs);
	/* The return values decide: a message may be lost to ENOMEM. */
	if (rc == -1 && errs.n == 0)
		strv_pushf(&errs, "listen: %s", strerror(errno));
	log_errors(&errs);
	if (rc == -1 && errs.n == 0)
		log_errorx("listen: the sockets could not be set up");
	strv_free(&errs);
	return rc == -1 ? EX_OSERR : 0;
}

int
startup_worker_cgroups(const struct conf *c, struct wcg *w)
{
	struct wcg_probe	p;
	char			line[WCG_REASON_MAX + WCG_DIR_MAX];

	if (c->worker_cgroup == TRI_OFF)
		return 0;
	wcg_detect(&p, probe_root());
	switch (wcg_decide(c->worker_cgroup, &p)) {
	case WCG_OFF:
		return 0;
	case WCG_REFUSE:
		log_errorx("worker_cgroup = on: %s", p.reason);
		return EX_CONFIG;
	case WCG_FALLBACK:
		snprintf(w->why, sizeof(w->why), "%s", p.reason);
		log_info(MSG_WORKER_CGROUPS ": %s", wcg_describe(
		    c->worker_cgroup, &p, 0, 0, line, sizeof(line)));
		return 0;
	case WCG_USE:
		break;
	}
	if (wcg_setup(w, probe_root(), &p, c->worker_memory,
	    c->max_worker_memory) == -1) {
		if (c->worker_cgroup == TRI_ON) {
			log_errorx("worker_cgroup = on: %s", w->why);
			return EX_OSERR;
		}
		log_warnx(MSG_WORKER_CGROUPS ": off (%s)", w->why);
		return 0;
	}
	log_info(MSG_WORKER_CGROUPS ": %s", wcg_describe(c->worker_cgroup,
	    &p, c->worker_memory, c->max_worker_memory, line, sizeof(line)));
	return 0;
}

void
startup_syserr(const char *msg)
{
	struct rlimit	rl;
	int		saved = errno;

	if ((saved == EMFILE || saved == ENFILE) &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		log_errorx("%s: %s (the open file limit, ulimit -n, is %llu)",
		    msg, strerror(saved), (unsigned long long)rl.rlim_cur);
	else {
		errno = saved;
		log_error("%s", msg);
	}
	exit(EX_OSERR);
}
