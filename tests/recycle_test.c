/* SPDX-License-Identifier: ISC */
/*
 * recycle_test: the recycling decision (recycle.c) with fake workers:
 * who is recycled and why, in what order, never more than max_recycling
 * at once counting those under way, nothing for unsampled memory or a
 * worker without a lifetime; and lifetimes drawn within max_lifetime +-
 * the jitter, spread over it, for a share and for a duration.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "recycle.h"
#include "testlib.h"

#define MIB	(1024ull * 1024)

static const struct recycle_params	both = {
	.max_memory = 512 * MIB,
	.max_lifetime = 3600,
	.jitter_pct = 10,
	.max_recycling = 2,
};

static void
test_nothing_to_do(void **state)
{
	struct recycle_worker	w[] = {
		{ 0, 100, 3600, true, 100 * MIB },
		{ 1, 3599, 3600, true, 512 * MIB },	/* at the limit */
		{ 2, 9000, 0, true, 0 },		/* no lifetime */
		{ 3, 10, 3600, false, 0 },		/* not sampled */
	};
	struct recycle_pick	out[4];

	assert_int_equal(recycle_decide(&both, w, 4, 0, out), 0);
	assert_int_equal(recycle_decide(&both, w, 0, 0, out), 0);
}

/* Memory first, the largest first; then lifetime, the longest past. */
static void
test_order(void **state)
{
	struct recycle_worker	w[] = {
		{ 0, 4000, 3600, true, 100 * MIB },	/* 400 s past */
		{ 1, 50, 3600, true, 600 * MIB },	/* 88 MiB over */
		{ 2, 3700, 3600, true, 700 * MIB },	/* both: memory */
		{ 3, 5000, 3600, true, 10 * MIB },	/* 1400 s past */
	};
	struct recycle_params	p = both;
	struct recycle_pick	out[4];

	p.max_recycling = 4;
	assert_int_equal(recycle_decide(&p, w, 4, 0, out), 4);
	assert_int_equal(out[0].slot, 2);
	assert_int_equal(out[0].why, RECYCLE_MEMORY);
	assert_int_equal(out[1].slot, 1);
	assert_int_equal(out[1].why, RECYCLE_MEMORY);
	assert_int_equal(out[2].slot, 3);
	assert_int_equal(out[2].why, RECYCLE_LIFETIME);
	assert_int_equal(out[3].slot, 0);
	assert_int_equal(out[3].why, RECYCLE_LIFETIME);
}

/* At most max_recycling at once, counting those under way. */
static void
test_max_recycling(void **state)
{
	struct recycle_worker	w[] = {
		{ 0, 4000, 3600, true, 0 },
		{ 1, 4100, 3600, true, 0 },
		{ 2, 4200, 3600, true, 0 },
	};
	struct recycle_pick	out[3];

	assert_int_equal(recycle_decide(&both, w, 3, 0, out), 2);
	assert_int_equal(out[0].slot, 2);
	assert_int_equal(out[1].slot, 1);
	assert_int_equal(recycle_decide(&both, w, 3, 1, out), 1);
	assert_int_equal(out[0].slot, 2);
	assert_int_equal(recycle_decide(&both, w, 3, 2, out), 0);
	assert_int_equal(recycle_decide(&both, w, 3, 5, out), 0);
}

/* A limit that is not set picks nothing. */
static void
test_limits_off(void **state)
{
	struct recycle_worker	w[] = { { 0, 1e9, 0, true, 1ull << 40 } };
	struct recycle_params	p = both;
	struct recycle_pick	out[1];

	p.max_memory = 0;
	assert_int_equal(recycle_decide(&p, w, 1, 0, out), 0);
	p.max_memory = 1;
	assert_int_equal(recycle_decide(&p, w, 1, 0, out), 1);
}

/*
 * Lifetimes stay within max_lifetime +- the jitter, and spread over it
 * (the lowest and highest tenth are both drawn), for a share and for a
 * duration; no jitter is the lifetime itself, none without a lifetime.
 */
static void
test_lifetime_draws(void **state)
{
	struct recycle_params	p = both;
	double			t, lo = 1e18, hi = 0;
	unsigned		i;

	srand(t_seed());
	for (i = 0; i < 10000; i++) {
		t = recycle_lifetime(&p, (double)rand() / ((double)RAND_MAX +
		    1));
		assert_true(t >= 3240 && t < 3960);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	assert_true(lo < 3240 + 72 && hi > 3960 - 72);
	assert_true(recycle_lifetime(&p, 0) == 3240);
	assert_true(recycle_lifetime(&p, 0.5) == 3600);
	p.jitter_pct = -1;
	p.jitter = 60;
	for (i = 0; i < 1000; i++) {
		t = recycle_lifetime(&p, (double)rand() / ((double)RAND_MAX +
		    1));
		assert_true(t >= 3540 && t < 3660);
	}
	p.jitter_pct = 0;
	assert_true(recycle_lifetime(&p, 0.9) == 3600);
	/* Never under a second, whatever the jitter. */
	p.max_lifetime = 1;
	p.jitter_pct = 99;
	assert_true(recycle_lifetime(&p, 0) == 1);
	p.max_lifetime = 0;
	assert_true(recycle_lifetime(&p, 0.3) == 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_max_recycling),
		cmocka_unit_test(test_limits_off),
		cmocka_unit_test(test_lifetime_draws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
