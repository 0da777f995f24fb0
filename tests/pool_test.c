/* SPDX-License-Identifier: ISC */
/*
 * pool_test: the pool's state machine with recorded operations and a
 * clock the test moves by hand: replacement, backoff, the first
 * generation's failure, resizing, rolling restarts, timeouts, shutdown.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"

#define MAXREC	256

/* Everything the pool did, in order. */
static struct rec {
	pid_t		next_pid;
	int		fail_spawns;		/* this many spawns fail */
	int		fail_execs;		/* this many children fail */
	unsigned	nspawn;
	struct {
		unsigned	slot, gen;
		pid_t		pid;
	} spawn[MAXREC];
	unsigned	nsig;
	struct {
		pid_t	pid;
		int	sig;
	} sig[MAXREC];
	unsigned	nnote;
	struct {
		enum pool_event	event;
		unsigned	slot;
		double		delay;
		const char	*why;
	} note[MAXREC];
} rec;

static pid_t
mock_spawn(void *ctx, unsigned slot, unsigned gen, bool *failed)
{
	if (rec.fail_spawns > 0) {
		rec.fail_spawns--;
		errno = EAGAIN;
		return -1;
	}
	*failed = rec.fail_execs > 0;
	if (rec.fail_execs > 0)
		rec.fail_execs--;
	assert_true(rec.nspawn < MAXREC);
	rec.spawn[rec.nspawn].slot = slot;
	rec.spawn[rec.nspawn].gen = gen;
	rec.spawn[rec.nspawn].pid = ++rec.next_pid;
	return rec.spawn[rec.nspawn++].pid;
}

static void
mock_signal(void *ctx, pid_t pid, int sig)
{
	assert_true(rec.nsig < MAXREC);
	rec.sig[rec.nsig].pid = pid;
	rec.sig[rec.nsig++].sig = sig;
}

static void
mock_note(void *ctx, const struct pool_note *n)
{
	assert_true(rec.nnote < MAXREC);
	rec.note[rec.nnote].event = n->event;
	rec.note[rec.nnote].slot = n->slot;
	rec.note[rec.nnote].delay = n->delay;
	rec.note[rec.nnote++].why = n->why;
}

static const struct pool_ops ops = { mock_spawn, mock_signal, mock_note };

static const struct pool_params exec_params = {
	.min_uptime = 1,
	.restart_delay = 0.1,
	.restart_delay_max = 30,
	.graceful_timeout = 30,
	.ready_timeout = 60,
	.heartbeat_timeout = 0,
	.abort_grace = 1,
	.ready_on_spawn = true,
};

static struct pool	pool;

static int
setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	rec.next_pid = 100;
	pool_init(&pool, &ops, NULL, &exec_params);
	return 0;
}

static int
teardown(void **state)
{
	pool_free(&pool);
	return 0;
}

static int
exited(int code)
{
	return W_EXITCODE(code, 0);
}

static pid_t
slot_pid(unsigned i)
{
	assert_true(i < pool.size);
	assert_non_null(pool.slots[i].w);
	return pool.slots[i].w->pid;
}

/* Any live worker's pid. */
static pid_t
slot_pid_any(void)
{
	assert_true(pool.nall > 0);
	return pool.all[0]->pid;
}

static unsigned
count_notes(enum pool_event e)
{
	unsigned	i, n = 0;

	for (i = 0; i < rec.nnote; i++)
		n += rec.note[i].event == e;
	return n;
}

/* Was sig sent to pid? */
static bool
signalled(pid_t pid, int sig)
{
	unsigned	i;

	for (i = 0; i < rec.nsig; i++)
		if (rec.sig[i].pid == pid && rec.sig[i].sig == sig)
			return true;
	return false;
}

/* Start: one worker a slot, ready at once, and no timer at all. */
static void
test_start_idle(void **state)
{
	unsigned	i;

	assert_int_equal(pool_start(&pool, 3, 0), 0);
	assert_int_equal(rec.nspawn, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rec.spawn[i].slot, i);
		assert_int_equal(slot_pid(i), rec.spawn[i].pid);
	}
	assert_int_equal(pool_ready_count(&pool), 3);
	assert_true(pool_next_deadline(&pool) == 0);
	assert_int_equal(count_notes(POOL_READY), 3);
}

/*
 * A worker that dies after min_uptime is replaced at once, same slot: by
 * the next tick, due now, not inside the exit (which would let workers
 * dying as fast as they are replaced starve the master's event loop).
 */
static void
test_replace_at_once(void **state)
{
	pid_t	old, kept;

	pool_start(&pool, 3, 0);
	old = slot_pid(1);
	kept = slot_pid(0);
	assert_int_equal(pool_exited(&pool, old, W_EXITCODE(0, SIGKILL), 5),
	    POOL_EXIT_WORKER);
	assert_int_equal(rec.nspawn, 3);
	assert_true(pool_next_deadline(&pool) == 5);
	pool_tick(&pool, 5);
	assert_int_equal(rec.nspawn, 4);
	assert_int_equal(rec.spawn[3].slot, 1);
	assert_int_not_equal(slot_pid(1), old);
	assert_int_equal(slot_pid(0), kept);
	assert_true(pool_find(&pool, old) == NULL);
	assert_true(pool_next_deadline(&pool) == 0);
}

/*
 * A slot's history, for status: a worker that dies on its own counts as
 * a restart of its slot and is its last exit; one stopped on purpose
 * (replaced by a roll) is the last exit but no restart.
 */
static void
test_slot_history(void **state)
{
	pid_t	old;

	pool_start(&pool, 2, 0);
	assert_false(pool.slots[1].exited);
	assert_int_equal(pool.slots[1].restarts, 0);
	pool_exited(&pool, slot_pid(1), W_EXITCODE(0, SIGKILL), 5);
	assert_int_equal(pool.slots[1].restarts, 1);
	assert_true(pool.slots[1].exited);
	assert_int_equal(pool.slots[1].last_status, W_EXITCODE(0, SIGKILL));
	assert_true(pool.slots[1].last_exit == 5);
	assert_int_equal(pool.slots[0].restarts, 0);
	assert_false(pool.slots[0].exited);
	pool_tick(&pool, 5);
	pool_exited(&pool, slot_pid(1), exited(3), 6);
	assert_int_equal(pool.slots[1].restarts, 2);
	assert_int_equal(pool.slots[1].last_status, exited(3));

	/* A roll: the old worker of slot 0 exits, stopped: no restart. */
	old = slot_pid(0);
	pool_set_generation(&pool, 1, true, 10);
	pool_tick(&pool, 11);
	assert_true(signalled(old, SIGTERM));
	pool_exited(&pool, old, exited(0), 12);
	assert_int_equal(pool.slots[0].restarts, 0);
	assert_true(pool.slots[0].exited);
	assert_true(pool.slots[0].last_exit == 12);
}

/*
 * A surge recycle: the replacement starts at once, the old worker keeps
 * serving until the new one is ready (min_uptime under ready = exec),
 * then stops for the recycle's reason; the pool never has fewer ready
 * workers than slots, and the slot's exit is no restart.
 */
static void
test_recycle_surge(void **state)
{
	pid_t	old, other;

	pool_start(&pool, 2, 0);
	old = slot_pid(1);
	other = slot_pid(0);
	assert_int_equal(pool_recycle(&pool, 1, "recycle_memory", true, 10),
	    0);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(rec.spawn[2].slot, 1);
	assert_string_equal(pool.slots[1].recycling, "recycle_memory");
	assert_int_equal(pool_recycling_count(&pool), 1);
	assert_int_equal(rec.nsig, 0);
	assert_int_equal(slot_pid(1), old);
	assert_true(pool_next_deadline(&pool) == 11);
	/* A second recycle of the slot, or during it: busy. */
	assert_int_equal(pool_recycle(&pool, 1, "recycle_manual", true, 10),
	    -1);
	assert_int_equal(errno, EBUSY);
	pool_tick(&pool, 10.5);
	assert_int_equal(rec.nsig, 0);
	assert_int_equal(pool_ready_count(&pool), 2);
	pool_tick(&pool, 11);
	assert_true(signalled(old, SIGTERM));
	assert_false(signalled(other, SIGTERM));
	assert_int_equal(slot_pid(1), rec.spawn[2].pid);
	assert_null(pool.slots[1].recycling);
	assert_int_equal(pool_recycling_count(&pool), 0);
	assert_int_equal(pool_ready_count(&pool), 2);
	assert_string_equal(pool_find(&pool, old)->stop_why, "recycle_memory");
	pool_exited(&pool, old, W_EXITCODE(0, SIGTERM), 12);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(pool.slots[1].restarts, 0);
	assert_false(pool.rolling);
}

/*
 * stop-first: the old worker stops at once, the slot starts again once
 * it has exited, and the recycle is over when the new worker is ready.
 */
static void
test_recycle_stop_first(void **state)
{
	pid_t	old;

	pool_start(&pool, 2, 0);
	old = slot_pid(0);
	assert_int_equal(pool_recycle(&pool, 0, "recycle_lifetime", false,
	    10), 0);
	assert_true(signalled(old, SIGTERM));
	assert_int_equal(rec.nspawn, 2);
	assert_int_equal(pool_ready_count(&pool), 1);
	assert_int_equal(pool_recycling_count(&pool), 1);
	pool_exited(&pool, old, W_EXITCODE(0, SIGTERM), 11);
	assert_int_equal(pool.slots[0].restarts, 0);
	pool_tick(&pool, 11);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(rec.spawn[2].slot, 0);
	/* Ready at once (exec), but a recycle is done after min_uptime. */
	assert_int_equal(pool_recycling_count(&pool), 1);
	assert_true(pool_next_deadline(&pool) == 12);
	pool_tick(&pool, 12);
	assert_int_equal(pool_recycling_count(&pool), 0);
}

/* What cannot be recycled, and a replacement that fails. */
static void
test_recycle_refused(void **state)
{
	pid_t	old;

	pool_start(&pool, 2, 0);
	assert_int_equal(pool_recycle(&pool, 2, "recycle_manual", true, 1),
	    -1);
	assert_int_equal(errno, ERANGE);
	pool_set_generation(&pool, 1, true, 1);
	assert_int_equal(pool_recycle(&pool, 1, "recycle_manual", true, 1),
	    -1);
	assert_int_equal(errno, EBUSY);
	pool_tick(&pool, 2);
	pool_tick(&pool, 3);
	assert_false(pool.rolling);
	/* The replacement dies before it is ready: the old one serves. */
	old = slot_pid(1);
	assert_int_equal(pool_recycle(&pool, 1, "recycle_manual", true, 10),
	    0);
	pool_exited(&pool, rec.spawn[rec.nspawn - 1].pid, exited(1), 10.2);
	assert_null(pool.slots[1].recycling);
	assert_int_equal(slot_pid(1), old);
	assert_false(signalled(old, SIGTERM));
	/* Stopping: nothing is recycled. */
	pool_stop(&pool, 1, 20);
	assert_int_equal(pool_recycle(&pool, 0, "recycle_manual", true, 20),
	    -1);
	assert_int_equal(errno, EBUSY);
}

/*
 * Quick deaths back off, doubling from restart_delay to its maximum;
 * one worker that lives min_uptime resets the backoff.
 */
static void
test_backoff_doubles_and_resets(void **state)
{
	double	now = 0, want = 0.1;
	int	i;

	pool_start(&pool, 1, now);
	for (i = 0; i < 12; i++) {
		pool_exited(&pool, slot_pid(0), exited(1), now + 0.01);
		now += 0.01;
		assert_null(pool.slots[0].w);
		assert_true(pool_next_deadline(&pool) == now + want);
		/* Nothing happens before the deadline ... */
		pool_tick(&pool, now + want / 2);
		assert_null(pool.slots[0].w);
		/* ... and the slot starts again at it. */
		now += want;
		pool_tick(&pool, now);
		assert_non_null(pool.slots[0].w);
		want = want * 2 > 30 ? 30 : want * 2;
	}
	assert_int_equal(rec.nspawn, 13);
	/* A worker that lives min_uptime resets the backoff. */
	pool_exited(&pool, slot_pid(0), exited(0), now + 2);
	pool_tick(&pool, now + 2);
	assert_non_null(pool.slots[0].w);
	assert_int_equal(pool.slots[0].failures, 0);
	assert_int_equal(rec.nspawn, 14);
}

/* When the whole first generation fails before booting: give up. */
static void
test_first_generation_fails(void **state)
{
	pool_start(&pool, 3, 0);
	assert_int_equal(pool_exited(&pool, slot_pid(0), exited(1), 0.1),
	    POOL_EXIT_WORKER);
	assert_int_equal(pool_exited(&pool, slot_pid(1), exited(1), 0.1),
	    POOL_EXIT_WORKER);
	assert_int_equal(pool_exited(&pool, slot_pid(2), exited(1), 0.1),
	    POOL_EXIT_FIRST_FAILED);
	/* Said once: the exits of the shutdown that follows are plain. */
	pool_tick(&pool, 0.2);
	pool_stop(&pool, 1, 0.2);
	assert_int_equal(pool_exited(&pool, slot_pid_any(), exited(0), 0.3),
	    POOL_EXIT_WORKER);
}

/* Young workers stopped on purpose did not fail to boot. */
static void
test_first_generation_stopped_young(void **state)
{
	pid_t	p0, p1;

	pool_start(&pool, 2, 0);
	p0 = slot_pid(0);
	p1 = slot_pid(1);
	pool_stop(&pool, 30, 0.1);
	assert_int_equal(pool_exited(&pool, p0, exited(0), 0.2),
	    POOL_EXIT_WORKER);
	assert_int_equal(pool_exited(&pool, p1, exited(0), 0.2),
	    POOL_EXIT_WORKER);
	assert_true(pool_empty(&pool));
}

/*
 * A young worker stopped on purpose leaves the first generation: when
 * the rest all fail, that is still a failed first generation.
 */
static void
test_first_generation_shrunk_then_fails(void **state)
{
	pool_start(&pool, 2, 0);
	pool_resize(&pool, 1, 0.05);
	assert_int_equal(pool_exited(&pool, rec.spawn[1].pid, exited(0),
	    0.1), POOL_EXIT_WORKER);
	assert_int_equal(pool_exited(&pool, slot_pid(0), exited(1), 0.15),
	    POOL_EXIT_FIRST_FAILED);
}

/* One booted worker is enough to keep going. */
static void
test_first_generation_one_boots(void **state)
{
	pool_start(&pool, 3, 0);
	pool_exited(&pool, slot_pid(0), exited(1), 0.1);
	pool_exited(&pool, slot_pid(1), exited(1), 1.5);	/* booted */
	assert_int_equal(pool_exited(&pool, slot_pid(2), exited(1), 1.6),
	    POOL_EXIT_WORKER);
}

/*
 * A rolling restart before any worker booted (a reload or USR2 during
 * start-up) supersedes the first generation: its young workers dying
 * after that, killed from outside or stopped by the roll, no longer
 * say that the command cannot start (found by fault_test's HUP storm,
 * where the test's SIGKILLs took the last two first-generation workers
 * and the master exited 69 with the new generation running).
 */
static void
test_first_generation_superseded(void **state)
{
	pid_t		old0, old1;
	double		now = 0.3;
	unsigned	round, spawned;

	pool_start(&pool, 2, 0);
	old0 = slot_pid(0);
	old1 = slot_pid(1);
	pool_set_generation(&pool, 1, true, 0.1);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(pool_exited(&pool, old0, W_EXITCODE(0, SIGKILL),
	    0.2), POOL_EXIT_WORKER);
	assert_int_equal(pool_exited(&pool, old1, W_EXITCODE(0, SIGKILL),
	    0.3), POOL_EXIT_WORKER);
	/* Nor does the new generation failing: it backs off like any. */
	for (round = 0; round < 4; round++) {
		while (pool.nall > 0)
			assert_int_equal(pool_exited(&pool, slot_pid_any(),
			    exited(1), now), POOL_EXIT_WORKER);
		spawned = rec.nspawn;
		now = pool_next_deadline(&pool);
		assert_true(now > 0);
		pool_tick(&pool, now);
		assert_true(rec.nspawn > spawned);
	}
	assert_false(pool.stopping);
}

/* Unknown pids (orphans the master reaped) are not workers. */
static void
test_orphan_exit(void **state)
{
	pool_start(&pool, 1, 0);
	assert_int_equal(pool_exited(&pool, 9999, exited(0), 1),
	    POOL_EXIT_UNKNOWN);
	assert_int_equal(rec.nspawn, 1);
}

/* Growing adds slots; the workers already there stay. */
static void
test_grow(void **state)
{
	pid_t	p0, p1;

	pool_start(&pool, 2, 0);
	p0 = slot_pid(0);
	p1 = slot_pid(1);
	assert_int_equal(pool_resize(&pool, 5, 1), 0);
	assert_int_equal(pool.size, 5);
	assert_int_equal(slot_pid(0), p0);
	assert_int_equal(slot_pid(1), p1);
	assert_int_equal(rec.nspawn, 5);
	assert_int_equal(rec.spawn[4].slot, 4);
	assert_int_equal(rec.nsig, 0);
}

/*
 * Shrinking stops the highest slots, is never respawned, and kills the
 * stragglers at graceful_timeout.
 */
static void
test_shrink(void **state)
{
	pid_t	p[5];
	int	i;

	pool_start(&pool, 5, 0);
	for (i = 0; i < 5; i++)
		p[i] = slot_pid(i);
	assert_int_equal(pool_resize(&pool, 2, 10), 0);
	assert_int_equal(pool.size, 2);
	assert_int_equal(rec.nsig, 3);
	assert_int_equal(rec.sig[0].pid, p[4]);
	assert_int_equal(rec.sig[1].pid, p[3]);
	assert_int_equal(rec.sig[2].pid, p[2]);
	assert_int_equal(rec.sig[0].sig, SIGTERM);
	assert_int_equal(slot_pid(0), p[0]);
	assert_int_equal(slot_pid(1), p[1]);
	assert_true(pool_next_deadline(&pool) == 40);

	/* Two leave in time; they are not replaced. */
	pool_exited(&pool, p[4], exited(0), 11);
	pool_exited(&pool, p[3], exited(0), 11);
	assert_int_equal(rec.nspawn, 5);
	/* The third does not: SIGKILL at the deadline. */
	pool_tick(&pool, 39.9);
	assert_false(signalled(p[2], SIGKILL));
	pool_tick(&pool, 40);
	assert_true(signalled(p[2], SIGKILL));
	assert_int_equal(count_notes(POOL_KILLED), 1);
	/* Killed: no further deadline for it. */
	assert_true(pool_next_deadline(&pool) == 0);
	pool_exited(&pool, p[2], W_EXITCODE(0, SIGKILL), 40.1);
	assert_int_equal(rec.nspawn, 5);
	assert_int_equal(pool.nall, 2);
}

/* Shutdown: SIGTERM to all, SIGKILL at the grace, nothing respawned. */
static void
test_stop(void **state)
{
	pid_t	p0, p1;

	pool_start(&pool, 2, 0);
	p0 = slot_pid(0);
	p1 = slot_pid(1);
	pool_stop(&pool, 30, 5);
	assert_true(signalled(p0, SIGTERM));
	assert_true(signalled(p1, SIGTERM));
	pool_exited(&pool, p0, exited(0), 6);
	assert_int_equal(rec.nspawn, 2);
	assert_false(pool_empty(&pool));
	/* A quick shutdown on top shortens the grace, never lengthens it. */
	pool_stop(&pool, 1, 7);
	assert_true(pool_next_deadline(&pool) == 8);
	pool_stop(&pool, 30, 7.5);
	assert_true(pool_next_deadline(&pool) == 8);
	pool_tick(&pool, 8);
	assert_true(signalled(p1, SIGKILL));
	pool_exited(&pool, p1, W_EXITCODE(0, SIGKILL), 8.1);
	assert_true(pool_empty(&pool));
	/* Stopped pools do not grow. */
	pool_resize(&pool, 4, 9);
	assert_int_equal(rec.nspawn, 2);
}

/*
 * Rolling restart with ready = exec: slot by slot, the old worker stops
 * only once its replacement has lived min_uptime.
 */
static void
test_roll_exec(void **state)
{
	pid_t	old[3];
	int	i;

	pool_start(&pool, 3, 0);
	for (i = 0; i < 3; i++)
		old[i] = slot_pid(i);
	pool_set_generation(&pool, 1, true, 10);
	assert_int_equal(rec.nspawn, 4);
	assert_int_equal(rec.spawn[3].slot, 0);
	assert_int_equal(rec.spawn[3].gen, 1);
	assert_int_equal(rec.nsig, 0);
	assert_int_equal(slot_pid(0), old[0]);
	assert_true(pool_next_deadline(&pool) == 11);

	pool_tick(&pool, 10.5);
	assert_int_equal(rec.nsig, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pool_ready_count(&pool), 3);
		pool_tick(&pool, 11 + i);
		assert_true(signalled(old[i], SIGTERM));
		assert_int_equal(slot_pid(i), rec.spawn[3 + i].pid);
	}
	assert_int_equal(rec.nspawn, 6);
	assert_int_equal(count_notes(POOL_ROLLED), 1);
	assert_false(pool.rolling);
	/* The old ones exit; nothing is respawned for them. */
	for (i = 0; i < 3; i++)
		pool_exited(&pool, old[i], exited(0), 15);
	assert_int_equal(rec.nspawn, 6);
}

/* Rolling restart with ready = notify: READY=1 moves it along. */
static void
test_roll_notify(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			old0, old1, new0;

	par.ready_on_spawn = false;
	pool_set_params(&pool, &par);
	pool_start(&pool, 2, 0);
	assert_int_equal(pool_ready_count(&pool), 0);
	pool_ready(&pool, slot_pid(0), 0.5);
	pool_ready(&pool, slot_pid(1), 0.5);
	assert_int_equal(pool_ready_count(&pool), 2);
	old0 = slot_pid(0);
	old1 = slot_pid(1);

	pool_set_generation(&pool, 1, true, 10);
	new0 = rec.spawn[2].pid;
	assert_int_equal(rec.nsig, 0);
	pool_ready(&pool, new0, 10.2);
	assert_true(signalled(old0, SIGTERM));
	assert_int_equal(slot_pid(0), new0);
	assert_int_equal(rec.nspawn, 4);
	assert_false(signalled(old1, SIGTERM));
	pool_ready(&pool, rec.spawn[3].pid, 10.4);
	assert_true(signalled(old1, SIGTERM));
	assert_int_equal(count_notes(POOL_ROLLED), 1);
}

/* A replacement that dies: the old worker keeps serving; retry later. */
static void
test_roll_replacement_fails(void **state)
{
	pid_t	old0, bad;

	pool_start(&pool, 2, 0);
	old0 = slot_pid(0);
	pool_set_generation(&pool, 1, true, 10);
	bad = rec.spawn[2].pid;
	pool_exited(&pool, bad, exited(1), 10.1);
	assert_int_equal(slot_pid(0), old0);
	assert_false(signalled(old0, SIGTERM));
	assert_null(pool.slots[0].next);
	assert_true(pool_next_deadline(&pool) == 10.1 + 0.1);
	pool_tick(&pool, 10.2);
	assert_int_equal(rec.nspawn, 4);
	assert_int_equal(rec.spawn[3].slot, 0);
	assert_true(pool.rolling);
}

/* The old worker dies mid-roll: its replacement simply takes over. */
static void
test_roll_old_dies(void **state)
{
	pid_t	old0, new0;

	pool_start(&pool, 1, 0);
	old0 = slot_pid(0);
	pool_set_generation(&pool, 1, true, 10);
	new0 = rec.spawn[1].pid;
	pool_exited(&pool, old0, exited(0), 10.5);
	assert_int_equal(slot_pid(0), new0);
	assert_int_equal(rec.nspawn, 2);
	pool_tick(&pool, 11);
	assert_int_equal(count_notes(POOL_ROLLED), 1);
	assert_true(pool_next_deadline(&pool) == 0);
}

/*
 * A second reload while a slot's replacement is still starting: that
 * replacement, of the first new generation, takes over once it is
 * ready, and is itself replaced by one of the newest before the roll
 * moves on or is done (found by fault_test's HUP storm).
 */
static void
test_roll_superseded(void **state)
{
	pid_t	old0, old1, mid0;

	pool_start(&pool, 2, 0);
	old0 = slot_pid(0);
	old1 = slot_pid(1);
	pool_set_generation(&pool, 1, true, 10);
	mid0 = rec.spawn[2].pid;
	assert_int_equal(rec.spawn[2].gen, 1);
	pool_set_generation(&pool, 2, true, 10.5);
	assert_int_equal(rec.nspawn, 3);

	/* mid0 has lived min_uptime: it takes over, and is outdated. */
	pool_tick(&pool, 11);
	assert_true(signalled(old0, SIGTERM));
	assert_int_equal(slot_pid(0), mid0);
	assert_int_equal(rec.nspawn, 4);
	assert_int_equal(rec.spawn[3].slot, 0);
	assert_int_equal(rec.spawn[3].gen, 2);
	assert_false(signalled(old1, SIGTERM));

	pool_tick(&pool, 12);
	assert_true(signalled(mid0, SIGTERM));
	assert_int_equal(slot_pid(0), rec.spawn[3].pid);
	assert_int_equal(rec.spawn[4].slot, 1);
	assert_int_equal(rec.spawn[4].gen, 2);
	pool_tick(&pool, 13);
	assert_true(signalled(old1, SIGTERM));
	assert_int_equal(rec.nspawn, 5);
	assert_int_equal(count_notes(POOL_ROLLED), 1);
	assert_false(pool.rolling);
	assert_int_equal(pool.slots[0].w->generation, 2);
	assert_int_equal(pool.slots[1].w->generation, 2);
}

/* A new generation without roll only affects workers started later. */
static void
test_generation_without_roll(void **state)
{
	pid_t	p0;

	pool_start(&pool, 2, 0);
	p0 = slot_pid(0);
	pool_set_generation(&pool, 3, false, 5);
	assert_int_equal(rec.nspawn, 2);
	pool_exited(&pool, p0, exited(0), 6);
	pool_tick(&pool, 6);
	assert_int_equal(rec.spawn[2].gen, 3);
}

/* Not ready within ready_timeout: SIGKILL, and a failed boot. */
static void
test_ready_timeout(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			p;

	par.ready_on_spawn = false;
	par.ready_timeout = 5;
	pool_set_params(&pool, &par);
	pool_start(&pool, 1, 0);
	p = slot_pid(0);
	assert_true(pool_next_deadline(&pool) == 5);
	pool_tick(&pool, 5);
	assert_true(signalled(p, SIGKILL));
	assert_int_equal(count_notes(POOL_READY_TIMEOUT), 1);
	assert_true(pool_next_deadline(&pool) == 0);
	assert_int_equal(pool_exited(&pool, p, W_EXITCODE(0, SIGKILL), 5.1),
	    POOL_EXIT_FIRST_FAILED);
}

/*
 * A ready worker silent for longer than the heartbeat timeout gets
 * SIGABRT, then SIGKILL; one that keeps talking is spared.
 */
static void
test_heartbeat_timeout(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			quiet, chatty;

	par.ready_on_spawn = false;
	par.heartbeat_timeout = 3;
	pool_set_params(&pool, &par);
	pool_start(&pool, 2, 0);
	quiet = slot_pid(0);
	chatty = slot_pid(1);
	pool_ready(&pool, quiet, 1);
	pool_ready(&pool, chatty, 1);
	assert_true(pool_next_deadline(&pool) == 4);
	pool_heartbeat(&pool, chatty, 3);
	pool_tick(&pool, 4);
	assert_true(signalled(quiet, SIGABRT));
	assert_false(signalled(chatty, SIGABRT));
	assert_int_equal(count_notes(POOL_HEARTBEAT_TIMEOUT), 1);
	/* SIGKILL abort_grace later, if it is still there. */
	assert_true(pool_next_deadline(&pool) == 5);
	pool_heartbeat(&pool, chatty, 5);
	pool_tick(&pool, 5);
	assert_true(signalled(quiet, SIGKILL));
	assert_false(signalled(chatty, SIGKILL));
	/* It had booted: it is replaced at once. */
	pool_exited(&pool, quiet, W_EXITCODE(0, SIGKILL), 5.1);
	pool_tick(&pool, 5.1);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(rec.spawn[2].slot, 0);
}

/*
 * A worker's state through each signal: silent -> ABORTED -> KILLED;
 * nothing is sent to it after SIGKILL, not even by a shutdown, which
 * makes it STOP_KILLED (stopped on purpose) without a SIGTERM.
 */
static void
test_worker_states(void **state)
{
	struct pool_params	 par = exec_params;
	struct worker		*w, *slow;
	unsigned		 nsig;

	par.ready_on_spawn = false;
	par.heartbeat_timeout = 3;
	pool_set_params(&pool, &par);
	pool_start(&pool, 2, 0);
	w = pool.slots[0].w;
	slow = pool.slots[1].w;
	assert_int_equal(w->state, WORKER_STARTING);
	pool_ready(&pool, w->pid, 1);
	assert_int_equal(w->state, WORKER_READY);
	pool_tick(&pool, 4);
	assert_int_equal(w->state, WORKER_ABORTED);
	assert_false(pool_worker_stopped(w));
	/* Still counted until it dies; its replacement comes at once. */
	assert_int_equal(pool_ready_count(&pool), 1);
	pool_tick(&pool, 5);
	assert_int_equal(w->state, WORKER_KILLED);
	assert_true(signalled(w->pid, SIGKILL));
	/* The other one was never ready: killed at ready_timeout. */
	pool_tick(&pool, 60);
	assert_int_equal(slow->state, WORKER_KILLED);
	assert_int_equal(count_notes(POOL_READY_TIMEOUT), 1);
	assert_true(pool_next_deadline(&pool) == 0);

	nsig = rec.nsig;
	pool_signal_all(&pool, SIGUSR1);
	assert_int_equal(rec.nsig, nsig);
	pool_stop(&pool, 30, 61);
	assert_int_equal(w->state, WORKER_STOP_KILLED);
	assert_true(pool_worker_stopped(w));
	assert_int_equal(rec.nsig, nsig);
	assert_true(pool_next_deadline(&pool) == 0);
}

/*
 * A reload that turns the heartbeat timeout on applies to workers started
 * from then on: the running ones were never told to send heartbeats.
 */
static void
test_heartbeat_timeout_new_workers_only(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			old;

	par.ready_on_spawn = false;
	pool_set_params(&pool, &par);
	pool_start(&pool, 1, 0);
	old = slot_pid(0);
	pool_ready(&pool, old, 0.5);
	par.heartbeat_timeout = 1;
	pool_set_params(&pool, &par);
	assert_true(pool_next_deadline(&pool) == 0);
	pool_tick(&pool, 100);
	assert_false(signalled(old, SIGABRT));
	pool_set_generation(&pool, 1, true, 100);
	pool_ready(&pool, rec.spawn[1].pid, 100.5);
	assert_true(signalled(old, SIGTERM));
	assert_true(pool_next_deadline(&pool) == 101.5);
}

/*
 * A child that could not exec is never ready (it must not count in the
 * pool's readiness), and its exit, however late, is a failure: backoff.
 */
static void
test_exec_failure_not_ready(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			bad;

	par.min_uptime = 0;
	pool_set_params(&pool, &par);
	pool_start(&pool, 2, 1);
	rec.fail_execs = 1;
	pool_exited(&pool, slot_pid(0), W_EXITCODE(0, SIGKILL), 2);
	pool_tick(&pool, 2);
	bad = slot_pid(0);
	assert_int_equal(pool_ready_count(&pool), 1);
	assert_int_equal(pool_exited(&pool, bad, exited(127), 3),
	    POOL_EXIT_WORKER);
	assert_int_equal(count_notes(POOL_BACKOFF), 1);
	assert_null(pool.slots[0].w);
	assert_true(pool_next_deadline(&pool) == 3 + 0.1);
}

/*
 * Forks that fail at start leave their slots owing a first-generation
 * worker: the whole first generation has failed only once those were
 * made and failed too.
 */
static void
test_first_generation_after_fork_failures(void **state)
{
	rec.fail_spawns = 1;
	pool_start(&pool, 2, 1);
	assert_null(pool.slots[0].w);
	assert_int_equal(pool.first_due, 1);
	/* The one made fails; slot 0's is still owed: not yet. */
	assert_int_equal(pool_exited(&pool, slot_pid(1), exited(1), 1.1),
	    POOL_EXIT_WORKER);
	pool_tick(&pool, pool_next_deadline(&pool));
	assert_non_null(pool.slots[0].w);
	assert_true(pool.slots[0].w->first);
	assert_int_equal(pool.first_due, 0);
	assert_int_equal(pool_exited(&pool, slot_pid(0), exited(1),
	    pool_next_deadline(&pool) + 0.01), POOL_EXIT_FIRST_FAILED);
}

/* fork() failing: the slot backs off and fills once it works again. */
static void
test_spawn_failure(void **state)
{
	rec.fail_spawns = 3;
	pool_start(&pool, 2, 0);
	assert_null(pool.slots[0].w);
	assert_null(pool.slots[1].w);
	assert_int_equal(count_notes(POOL_SPAWN_FAILED), 2);
	pool_tick(&pool, 0.1);		/* slot 0 fails again, slot 1 works */
	assert_null(pool.slots[0].w);
	assert_non_null(pool.slots[1].w);
	assert_true(pool_next_deadline(&pool) == 0.1 + 0.2);
	pool_tick(&pool, pool_next_deadline(&pool));
	assert_non_null(pool.slots[0].w);
	assert_true(pool_next_deadline(&pool) == 0);
}

/*
 * A halt code from a worker that was not told to stop: reported, and the
 * slot is not refilled; the same code while stopping means nothing.
 */
static void
test_halt_code(void **state)
{
	struct pool_params	par = exec_params;
	pid_t			p0, p1;

	par.halt_codes[4 / 8] |= 1u << (4 % 8);
	pool_set_params(&pool, &par);
	pool_start(&pool, 2, 0);
	p0 = slot_pid(0);
	p1 = slot_pid(1);
	assert_int_equal(pool_exited(&pool, p0, exited(3), 5),
	    POOL_EXIT_WORKER);
	pool_tick(&pool, 5);
	assert_int_equal(rec.nspawn, 3);
	assert_int_equal(pool_exited(&pool, slot_pid(0), exited(4), 9),
	    POOL_EXIT_HALT);
	assert_int_equal(rec.nspawn, 3);
	assert_null(pool.slots[0].w);
	pool_stop(&pool, 30, 9);
	assert_int_equal(pool_exited(&pool, p1, exited(4), 10),
	    POOL_EXIT_WORKER);
	assert_true(pool_empty(&pool));
}

/* USR1 and the like go to every worker not already killed. */
static void
test_signal_all(void **state)
{
	pool_start(&pool, 3, 0);
	pool_resize(&pool, 2, 1);		/* slot 2 stopping */
	pool_tick(&pool, 31);			/* ... and killed */
	rec.nsig = 0;
	pool_signal_all(&pool, SIGUSR1);
	assert_int_equal(rec.nsig, 2);
	assert_int_equal(rec.sig[0].sig, SIGUSR1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_start_idle),
		T(test_replace_at_once),
		T(test_slot_history),
		T(test_recycle_surge),
		T(test_recycle_stop_first),
		T(test_recycle_refused),
		T(test_backoff_doubles_and_resets),
		T(test_first_generation_fails),
		T(test_first_generation_stopped_young),
		T(test_first_generation_shrunk_then_fails),
		T(test_first_generation_one_boots),
		T(test_first_generation_superseded),
		T(test_orphan_exit),
		T(test_grow),
		T(test_shrink),
		T(test_stop),
		T(test_roll_exec),
		T(test_roll_notify),
		T(test_roll_replacement_fails),
		T(test_roll_superseded),
		T(test_roll_old_dies),
		T(test_generation_without_roll),
		T(test_ready_timeout),
		T(test_heartbeat_timeout),
		T(test_worker_states),
		T(test_heartbeat_timeout_new_workers_only),
		T(test_exec_failure_not_ready),
		T(test_first_generation_after_fork_failures),
		T(test_spawn_failure),
		T(test_halt_code),
		T(test_signal_all),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
