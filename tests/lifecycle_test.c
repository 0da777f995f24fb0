/* SPDX-License-Identifier: ISC */
/*
 * lifecycle_test: what the master owes systemd, decided by lifecycle.c
 * over a real pool driven with fake operations and a clock the test
 * moves by hand, as pool_test does, without libev: the first READY=1,
 * a reload that ends when the new workers serve, one that a failing
 * worker ends early (and what STATUS= says until the pool settles), a
 * rejected one, a superseded one, and nothing after STOPPING=1.
 */
#include "config.h"

#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "messages.h"
#include "pool.h"

static struct lifecycle	lc;
static struct pool	pool;
static pid_t		next_pid;
static pid_t		spawned[64];
static unsigned		nspawned;

static pid_t
fake_spawn(void *ctx, unsigned slot, unsigned gen, bool *failed)
{
	*failed = false;
	assert_true(nspawned < 64);
	spawned[nspawned] = ++next_pid;
	return spawned[nspawned++];
}

static void
fake_signal(void *ctx, pid_t pid, int sig)
{
}

/* The master's part: a worker that backs off fails the reload. */
static void
fake_note(void *ctx, const struct pool_note *n)
{
	if (n->event == POOL_BACKOFF)
		lc_worker_failed(&lc, n->slot, n->why);
}

static const struct pool_ops ops = { fake_spawn, fake_signal, fake_note };

static const struct pool_params params = {
	.min_uptime = 1,
	.restart_delay = 0.1,
	.restart_delay_max = 30,
	.graceful_timeout = 30,
	.ready_timeout = 60,
	.abort_grace = 1,
	.ready_on_spawn = false,	/* ready = notify */
};

/* lc_update() with the pool as it is. */
static int
update(void)
{
	struct lc_pool	p = {
		.all_ready = pool_ready_count(&pool) == pool.size,
		.rolling = pool.rolling,
		.empty = pool_empty(&pool),
	};

	return lc_update(&lc, &p);
}

static const char *
note(void)
{
	static char	buf[160];

	return lc_status_note(&lc, buf, sizeof(buf));
}

static int
setup(void **state)
{
	lc = (struct lifecycle)LIFECYCLE_INIT;
	next_pid = 100;
	nspawned = 0;
	pool_init(&pool, &ops, NULL, &params);
	return 0;
}

static int
teardown(void **state)
{
	pool_free(&pool);
	return 0;
}

/* Starts n workers and makes them ready at time t. */
static void
start_ready(unsigned n, double t)
{
	unsigned	i;

	pool_start(&pool, n, t);
	for (i = 0; i < n; i++)
		pool_ready(&pool, spawned[i], t);
}

/* The first READY=1 comes once, when the last worker is ready. */
static void
test_first_ready(void **state)
{
	pool_start(&pool, 3, 0);
	assert_int_equal(update(), 0);
	pool_ready(&pool, spawned[0], 0.1);
	pool_ready(&pool, spawned[1], 0.2);
	assert_int_equal(update(), 0);
	assert_int_equal(lc.state, LC_STARTING);
	pool_ready(&pool, spawned[2], 0.3);
	assert_int_equal(update(), LC_POOL_READY | LC_TELL_READY);
	assert_int_equal(lc.state, LC_RUNNING);
	assert_int_equal(update(), 0);
	assert_string_equal(note(), "");
}

/* Before the first READY=1, systemd still waits for that one. */
static void
test_reload_while_starting(void **state)
{
	pool_start(&pool, 2, 0);
	assert_false(lc_reload_begin(&lc));
	assert_int_equal(lc_reload_rejected(&lc), 0);
	assert_int_equal(lc.state, LC_STARTING);
}

/* A reload that rolls the workers: READY=1 once the new ones serve. */
static void
test_reload_rolls(void **state)
{
	start_ready(2, 0);
	assert_int_equal(update(), LC_POOL_READY | LC_TELL_READY);

	assert_true(lc_reload_begin(&lc));
	lc_reload_accepted(&lc);
	pool_set_generation(&pool, 1, true, 10);
	assert_int_equal(update(), 0);
	assert_int_equal(lc.state, LC_RELOADING);
	pool_ready(&pool, spawned[2], 10.2);
	assert_int_equal(update(), 0);
	pool_ready(&pool, spawned[3], 10.4);
	assert_false(pool.rolling);
	assert_int_equal(update(), LC_TELL_READY);
	assert_int_equal(lc.state, LC_RUNNING);
	assert_int_equal(update(), 0);
}

/*
 * A replacement that fails ends the reload at once: READY=1, the
 * failure logged, STATUS= saying so until the pool settles.
 */
static void
test_reload_replacement_fails(void **state)
{
	start_ready(2, 0);
	update();
	assert_true(lc_reload_begin(&lc));
	lc_reload_accepted(&lc);
	pool_set_generation(&pool, 1, true, 10);
	assert_int_equal(pool_exited(&pool, spawned[2], W_EXITCODE(1, 0),
	    10.1), POOL_EXIT_WORKER);
	assert_true(lc.failed.set);
	assert_int_equal(update(), LC_RELOAD_UNFINISHED | LC_TELL_READY);
	assert_int_equal(lc.state, LC_RUNNING);
	assert_string_equal(note(), "reload not complete (worker 0: "
	    MSG_REPLACEMENT_FAILED "), older workers serve; ");
	/* A second failure of the same roll changes nothing. */
	pool_tick(&pool, pool_next_deadline(&pool));
	assert_int_equal(pool_exited(&pool, spawned[nspawned - 1],
	    W_EXITCODE(1, 0), 10.3), POOL_EXIT_WORKER);
	assert_int_equal(update(), 0);
	assert_string_equal(note(), "reload not complete (worker 0: "
	    MSG_REPLACEMENT_FAILED "), older workers serve; ");
	/* The retries succeed: the pool settles and STATUS= is plain. */
	while (pool.rolling) {
		if (pool_next_deadline(&pool) > 0)
			pool_tick(&pool, pool_next_deadline(&pool));
		pool_ready(&pool, spawned[nspawned - 1], 12);
		assert_true(nspawned < 60);
	}
	assert_int_equal(update(), 0);
	assert_string_equal(note(), "");
}

/* A rejected file: nothing of it is waited for. */
static void
test_reload_rejected(void **state)
{
	start_ready(2, 0);
	update();
	assert_true(lc_reload_begin(&lc));
	assert_int_equal(lc_reload_rejected(&lc), LC_TELL_READY);
	assert_int_equal(lc.state, LC_RUNNING);
	assert_int_equal(update(), 0);
	/* Not pending any more: a second rejection owes nothing. */
	assert_int_equal(lc_reload_rejected(&lc), 0);
}

/* A reload still pending is superseded: one READY=1, at the end. */
static void
test_reload_superseded(void **state)
{
	start_ready(2, 0);
	update();
	assert_true(lc_reload_begin(&lc));
	pool_set_generation(&pool, 1, true, 10);
	assert_int_equal(update(), 0);
	assert_true(lc_reload_begin(&lc));
	pool_set_generation(&pool, 2, true, 11);
	assert_int_equal(update(), 0);
	while (pool.rolling)
		pool_ready(&pool, spawned[nspawned - 1], 12);
	assert_int_equal(update(), LC_TELL_READY);
	assert_int_equal(update(), 0);
}

/* A failure recorded by a superseded reload does not end the new one. */
static void
test_reload_failure_reset(void **state)
{
	start_ready(1, 0);
	update();
	assert_true(lc_reload_begin(&lc));
	lc_worker_failed(&lc, 0, MSG_REPLACEMENT_FAILED);
	assert_true(lc_reload_begin(&lc));
	assert_false(lc.failed.set);
	assert_int_equal(update(), LC_TELL_READY);
}

/* A failure while running is the pool's business, not a reload's. */
static void
test_failure_outside_reload(void **state)
{
	start_ready(1, 0);
	update();
	lc_worker_failed(&lc, 0, MSG_DIED_YOUNG);
	assert_false(lc.failed.set);
	assert_int_equal(update(), 0);
	assert_string_equal(note(), "");
}

/* An accepted reload clears what the last unfinished one left. */
static void
test_accepted_clears_unfinished(void **state)
{
	start_ready(1, 0);
	update();
	lc.unfinished.set = true;
	lc.unfinished.why = MSG_REPLACEMENT_FAILED;
	assert_true(lc_reload_begin(&lc));
	lc_reload_accepted(&lc);
	assert_string_equal(note(), "");
}

/* STOPPING=1 once; no READY=1 after it; the exit when the pool is empty. */
static void
test_stop(void **state)
{
	start_ready(2, 0);
	update();
	assert_true(lc_reload_begin(&lc));
	pool_set_generation(&pool, 1, true, 10);
	assert_true(lc_stop(&lc));
	assert_false(lc_stop(&lc));
	assert_false(lc_reload_begin(&lc));
	assert_int_equal(lc_reload_rejected(&lc), 0);
	pool_stop(&pool, 30, 11);
	assert_int_equal(update(), 0);
	while (!pool_empty(&pool))
		pool_exited(&pool, pool.all[0]->pid, W_EXITCODE(0, 15), 12);
	assert_int_equal(update(), LC_EXIT);
	assert_string_equal(note(), "");
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_first_ready),
		T(test_reload_while_starting),
		T(test_reload_rolls),
		T(test_reload_replacement_fails),
		T(test_reload_rejected),
		T(test_reload_superseded),
		T(test_reload_failure_reset),
		T(test_failure_outside_reload),
		T(test_accepted_clears_unfinished),
		T(test_stop),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
