/* SPDX-License-Identifier: ISC */
/*
 * The master's own state, shared by the files that make up the master:
 * master.c (the loop and its callbacks), master_metrics.c (what it
 * publishes) and master_ctl.c (the control socket's requests). Not for
 * any other module: those get what they need as arguments, and only
 * these files, httpd.c and ctlserver.c include <ev.h>.
 */
#ifndef PREFORK_MASTER_IMPL_H
#define PREFORK_MASTER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "advise.h"
#include "collect.h"
#include "conf.h"
#include "ctlserver.h"
#include "explain.h"
#include "guard.h"
#include "httpd.h"
#include "launch.h"
#include "lifecycle.h"
#include "metrics.h"
#include "notify.h"
#include "oom.h"
#include "pidfile.h"
#include "pool.h"
#include "recycle.h"
#include "sockets.h"
#include "spawn.h"
#include "state.h"
#include "wcgroup.h"

/* The samples kept: a 15-minute window at one a second. */
#define ADV_RING	1024

/* The pool advisor's sampler and autoscale (master_advise.c). */
struct advisor {
	ev_timer		 timer;		/* only while needed */
	double			 period;	/* its repeat */
	struct adv_sample	*ring;		/* ADV_RING samples */
	size_t			 head, n;
	double			 hz;		/* clock ticks a second */
	double			 cpu;		/* the pool's CPU seconds */
	double			 wait;		/* and its waits for one */
	bool			 has_wait;	/* the kernel tells them */
	pid_t			*slot_pid;	/* per slot, the worker */
	struct sample_cpu	*slot_cpu;	/* and its figures, last seen */
	pid_t			*pids;		/* scratch: the live ones */
	unsigned		*slots;
	struct sample_cpu	*cpus;
	size_t			 cap;		/* of each array */
	char			 psi_cpu[PATH_MAX];	/* "": none */
	char			 psi_mem[PATH_MAX];
	struct ratelimit	 warned;
	/* autoscale */
	struct autoscale	 as;
	double			 from;		/* the window began */
	char			 last[ADV_STEP_LEN]; /* the last change */
	double			 last_at;
	uint64_t		 changes[2];	/* up, down */
};

struct master {
	struct ev_loop			*loop;
	const struct conf_source	*src;
	struct conf			 conf;
	struct launch			 launch;	/* for conf */
	struct sockets			 sockets;
	struct notify			 sd;		/* systemd */
	struct notify_server		 ns;		/* the workers' */
	struct decision			 decision;
	struct pool			 pool;
	unsigned			 gen;		/* of conf */
	struct pidfile			 pidfile;
	struct lifecycle		 lc;		/* what systemd is
							   owed */
	struct guard			 guard;
	struct orphans			 orphans;	/* stopped at
							   shutdown */
	bool				 orphans_killed; /* SIGKILL said */
	bool				 orphans_unseen; /* no list said */
	int				 status;	/* to exit with */
	double				 watchdog_at;	/* next WATCHDOG=1 */
	char				 last_exit[160];
	ev_signal			 signals[8];
	ev_child			 child;
	ev_timer			 timer;
	ev_io				 notify_io;
	ev_io				 sd_io;		/* while messages
							   to systemd wait */
	ev_periodic			 clock_jumps;
	/* Metrics: the counters kept where the master learns them. */
	uint64_t			 exits[METRICS_EXIT_COUNT];
	uint64_t			 reloads[METRICS_RELOAD_COUNT];
	struct collect			 collect;
	ev_timer			 metrics_timer;	/* metrics_file */
	struct httpd			 httpd;		/* metrics_listen */
	struct ctlserver		 ctl;		/* control */
	ev_timer			 recycle_timer;	/* only with a
							   limit */
	uint64_t			 rng;		/* if getrandom()
							   fails */
	double				 started;	/* master_clock() */
	struct oomwatch			 oom;		/* the OOM killer's
							   count */
	struct wcg			 wcg;		/* worker_cgroup */
	struct advisor			 adv;
};

/*
 * master.c, for the other files of the master: the pool's clock
 * (monotonic seconds); whether it is shutting down; what USR2 and TERM
 * do, and a resize (TTIN/TTOU); and the bookkeeping after every event.
 * master_reload.c: what HUP does (the configuration's errors into errs,
 * when not NULL; returns -1 when it was rejected).
 */
double	master_clock(void);
bool	master_stopping(const struct master *m);
int	master_reload(struct master *m, struct strv *errs);
void	master_restart(struct master *m);
void	master_term(struct master *m);
void	master_resize(struct master *m, unsigned n, const char *why);
void	master_update(struct master *m);

/*
 * master.c, for master_reload.c: the pool's parameters from a
 * configuration; the sizing decided again and logged; a message to
 * systemd; what the lifecycle says is owed, done.
 */
void	pool_params_of(const struct conf *c, struct pool_params *par);
void	master_decide(struct master *m);
void	master_tell(struct master *m, const char *msg);
void	master_act(struct master *m, int actions);

/*
 * master_metrics.c: the pool's metrics as Prometheus text (the caller
 * frees it), or NULL (ENOMEM); metrics_file's timer, which exists only
 * while metrics_file is set; metrics_listen opened, moved or closed as
 * the configuration says (0, or -1 with the problem logged).
 */
char	*master_metrics(struct master *m, size_t *len);
void	 master_metrics_timer(struct master *m);
int	 master_http(struct master *m);

/*
 * master_recycle.c: a new worker's lifetime drawn; every worker's drawn
 * again (a reload changed max_lifetime or lifetime_jitter); the check's
 * timer, which exists only while a limit is set.
 */
void	 master_recycle_draw(struct master *m, pid_t pid);
void	 master_recycle_redraw(struct master *m);
void	 master_recycle_timer(struct master *m);

/*
 * master_notify.c: the workers' notify socket opened, the first time a
 * configuration asks for ready = notify (0, or -1); and what they have
 * sent there read now, as the socket's watcher does.
 */
int	 master_listen_workers(struct master *m, const struct conf *c);
void	 master_hear_workers(struct master *m);

/*
 * master_ctl.c: the control socket opened, moved or closed as the
 * configuration says (0, or EX_CANTCREAT for start-up: another master
 * answers there, or the path cannot be had); after every event, the answers
 * now owed to waiting clients; a restart that could not finish; and at
 * exit, the answer to stop and the last bytes of every client.
 */
int	 master_control(struct master *m);
void	 master_control_update(struct master *m);
void	 master_control_failed(struct master *m, unsigned slot,
	    const char *why);
void	 master_control_exit(struct master *m);

/*
 * master_advise.c: the sampler, started at start-up (-1 when out of
 * memory) and freed at exit; its timer armed or stopped for what needs
 * it (autoscale, a waiting advise); an advise request taken; autoscale
 * started again from the configured size (HUP), and a size clamped to
 * autoscale's bounds when it is on; a line for
 * status and STATUS= saying whether the size is adaptive.
 */
int	 master_advise_init(struct master *m);
void	 master_advise_free(struct master *m);
void	 master_advise_timer(struct master *m);
void	 master_advise_request(struct master *m, struct ctl_conn *c,
	    const struct ctl_request *r);
void	 master_advise_reset(struct master *m);
unsigned master_advise_clamp(const struct master *m, unsigned n);
void	 master_advise_describe(const struct master *m, char *buf,
	    size_t len);

/*
 * master_upgrade.c: `preforkctl upgrade` (returns only when refused or
 * failed, c answered); the binary's path remembered at start-up; and in
 * the image an upgrade exec'd, the state read, then taken back: the fds
 * that need no loop, the servers on the loop, the pool and counters,
 * and the client that asked answered.
 */
void	 master_upgrade(struct master *m, struct ctl_conn *c);
void	 master_upgrade_init(void);
int	 master_restore_read(struct state *s);
int	 master_restore_fds(struct master *m, const struct state *s);
int	 master_restore_servers(struct master *m, const struct state *s);
int	 master_restore_pool(struct master *m, const struct state *s);
void	 master_restore_answer(struct master *m, const struct state *s);

#endif /* PREFORK_MASTER_IMPL_H */
