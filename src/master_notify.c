/* SPDX-License-Identifier: ISC */
/*
 * The workers' notify socket, on the master's side: opened when a
 * configuration first asks for ready = notify, and what the workers say
 * there (READY=1, WATCHDOG=1, STATUS=), handed to the pool and logged,
 * rate-limited and escaped. Part of the master (master_impl.h).
 */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "master_impl.h"

static void
notify_cb(struct ev_loop *loop, ev_io *w, int revents);

/*
 * The workers' notify socket, opened the first time a configuration asks
 * for ready = notify, and kept from then on. Returns 0, or -1.
 */
int
master_listen_workers(struct master *m, const struct conf *c)
{
	/* Open already when an upgrade handed it over: watched now. */
	if (m->ns.fd == -1 && c->ready != READY_NOTIFY)
		return 0;
	if (m->ns.fd == -1 && notify_server_open(&m->ns) == -1)
		return -1;
	if (ev_is_active(&m->notify_io))
		return 0;
	ev_io_init(&m->notify_io, notify_cb, m->ns.fd, EV_READ);
	m->notify_io.data = m;
	ev_io_start(m->loop, &m->notify_io);
	return 0;
}

/*
 * What a worker says is logged at most STATUS_BURST times in any
 * STATUS_INTERVAL seconds, so that a worker in a loop cannot flood the
 * log or the journal; what was held back is counted in the next line.
 */
#define STATUS_BURST	10
#define STATUS_INTERVAL	10.0

/* Logs a line of a worker's, rate-limited and escaped. */
static void
master_worker_says(struct worker *w, double now, bool warn,
    const char *text)
{
	char		esc[512];
	unsigned	held;

	if (!ratelimit_pass(&w->told, now, STATUS_INTERVAL, STATUS_BURST,
	    &held))
		return;
	if (held > 0)
		log_warnx("worker %u (pid %ld): %u message%s not logged "
		    "(more than %d in %.0fs)", w->slot, (long)w->pid, held,
		    held == 1 ? "" : "s", STATUS_BURST, STATUS_INTERVAL);
	util_escape(text, esc, sizeof(esc));
	if (warn)
		log_warnx("worker %u (pid %ld): %s", w->slot, (long)w->pid,
		    esc);
	else
		log_info("worker %u (pid %ld): %s", w->slot, (long)w->pid,
		    esc);
}

/*
 * One message from a worker: any message is a sign of life, but for one
 * too long to read whole, which is ignored, as systemd ignores it.
 */
static void
master_heard(struct master *m, pid_t pid, char *buf, size_t size,
    double now)
{
	struct worker		*w = pool_find(&m->pool, pid);
	struct notify_msg	 msg;
	char			 why[128];

	if (w == NULL) {
		log_debug("notify message from pid %ld, not a worker: "
		    "ignored", (long)pid);
		return;
	}
	if (size > NOTIFY_MSG_MAX) {
		snprintf(why, sizeof(why), "notify message of %zu bytes "
		    "ignored (the limit is %d)", size, NOTIFY_MSG_MAX);
		master_worker_says(w, now, true, why);
		return;
	}
	notify_parse(buf, &msg);
	if (msg.status != NULL)
		master_worker_says(w, now, false, msg.status);
	pool_heartbeat(&m->pool, pid, now);
	if (msg.ready)
		pool_ready(&m->pool, pid, now);
}

void
master_hear_workers(struct master *m)
{
	/* One message at a time, too large for the stack of a callback. */
	static char	 buf[NOTIFY_MSG_MAX + 1];
	size_t		 size;
	pid_t		 pid;
	int		 r;

	if (!ev_is_active(&m->notify_io))
		return;
	while ((r = notify_server_recv(&m->ns, &pid, buf, sizeof(buf),
	    &size)) == 1)
		master_heard(m, pid, buf, size, master_clock());
	if (r == -1)
		log_warn("notify socket");
}

static void
notify_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct master	*m = io->data;

	master_hear_workers(m);
	master_update(m);
}
