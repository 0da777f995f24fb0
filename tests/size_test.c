/* SPDX-License-Identifier: ISC */
/*
 * size_test: the sizing engine against prefork(8) SIZING, its worked
 * examples, every profile, the ultra-scalable tier boundaries, and each
 * cap and floor.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "size.h"
#include "util.h"

#define GIB	SIZE_GIB

static struct size_params
params(const char *profile)
{
	struct size_params	p = {
		.profile = size_profile_find(profile),
		.min_workers = 1,
		.workers_per_cpu = 2,
		.extra_workers = 1,
	};

	assert_non_null(p.profile);
	return p;
}

static unsigned
workers(const char *profile, unsigned cpus, uint64_t memory)
{
	struct size_params	p = params(profile);
	struct size_result	r;

	size_compute(&p, cpus, memory, &r);
	return r.workers;
}

/* The last step of the given rule, or NULL. */
static const struct size_step *
find_step(const struct size_result *r, enum size_rule rule)
{
	size_t	i;

	for (i = r->nsteps; i-- > 0;)
		if (r->steps[i].rule == rule)
			return &r->steps[i];
	return NULL;
}

/* The worked examples of prefork(8) SIZING. */
static void
test_worked_examples(void **state)
{
	assert_int_equal(workers("ec2-free-tier", 1, 1 * GIB), 3);
	assert_int_equal(workers("default", 2, 4 * GIB), 5);
	assert_int_equal(workers("unix", 4, 8 * GIB), 9);
	assert_int_equal(workers("enterprise", 8, 32 * GIB), 16);
	assert_int_equal(workers("ultra-scalable", 4, 16 * GIB), 18);
	assert_int_equal(workers("ultra-scalable", 4, 8 * GIB), 13);
	assert_int_equal(workers("ultra-scalable", 4, 4 * GIB), 9);
	assert_int_equal(workers("ultra-scalable", 4, 2 * GIB), 6);
	assert_int_equal(workers("ultra-scalable", 1, 1 * GIB), 2);
}

/* The 8-CPU enterprise example is 17 capped to 16: the cap is a step. */
static void
test_enterprise_cap_is_explained(void **state)
{
	struct size_params	 p = params("enterprise");
	struct size_result	 r;
	const struct size_step	*s;

	size_compute(&p, 8, 0, &r);
	assert_int_equal(r.base, 17);
	assert_int_equal(r.workers, 16);
	s = find_step(&r, SIZE_RULE_PROFILE_CAP);
	assert_non_null(s);
	assert_true(s->applied);
	assert_int_equal(s->before, 17);
	assert_int_equal(s->after, 16);
	assert_int_equal(s->limit, 16);
	assert_non_null(strstr(r.steps[0].detail, "8 CPUs * 2 + 1 = 17"));
}

/* Each fixed-cap profile: below its cap, at it, and above it. */
static void
test_every_profile(void **state)
{
	static const struct {
		const char	*name;
		unsigned	 max;
		const char	*class;
	} want[] = {
		{ "default", 8, "eventlet" },
		{ "aws-ec2", 12, "eventlet" },
		{ "ec2-free-tier", 6, "sync" },
		{ "render", 16, "gevent" },
		{ "cloud", 8, "gevent" },
		{ "unix", 12, "gevent" },
		{ "enterprise", 16, "eventlet" },
	};
	const struct profile	*prof;
	size_t			 i;
	unsigned		 cpus;

	assert_int_equal(size_nprofiles, 8);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		prof = size_profile_find(want[i].name);
		assert_non_null(prof);
		assert_int_equal(prof->max_workers, want[i].max);
		assert_string_equal(prof->worker_class, want[i].class);
		assert_false(prof->memory_adjusted);
		/* 1 CPU gives 3, under every cap. */
		assert_int_equal(workers(want[i].name, 1, 0), 3);
		/* 64 CPUs give 129, over every cap. */
		assert_int_equal(workers(want[i].name, 64, 0), want[i].max);
		/* The largest base that fits exactly. */
		cpus = (want[i].max - 1) / 2;
		assert_int_equal(workers(want[i].name, cpus, 0),
		    2 * cpus + 1);
	}
	prof = size_profile_find("ultra-scalable");
	assert_non_null(prof);
	assert_true(prof->memory_adjusted);
	assert_int_equal(prof->max_workers, 24);
	assert_string_equal(prof->worker_class, "eventlet");
	assert_null(size_profile_find("Default"));
	assert_null(size_profile_find(""));
	assert_string_equal(size_profile_default()->name, "default");
}

/* Tier boundaries: exactly 4, 8 and 16 GiB, and one byte below each. */
static void
test_tier_boundaries(void **state)
{
	/* 4 CPUs: base 9. */
	assert_int_equal(workers("ultra-scalable", 4, 16 * GIB), 18);
	assert_int_equal(workers("ultra-scalable", 4, 16 * GIB - 1), 13);
	assert_int_equal(workers("ultra-scalable", 4, 8 * GIB), 13);
	assert_int_equal(workers("ultra-scalable", 4, 8 * GIB - 1), 9);
	assert_int_equal(workers("ultra-scalable", 4, 4 * GIB), 9);
	assert_int_equal(workers("ultra-scalable", 4, 4 * GIB - 1), 6);
	assert_int_equal(workers("ultra-scalable", 4, 1), 6);
}

/* Each tier's own cap: 24, 18, 12, 8. */
static void
test_tier_caps(void **state)
{
	assert_int_equal(workers("ultra-scalable", 16, 64 * GIB), 24);
	assert_int_equal(workers("ultra-scalable", 16, 12 * GIB), 18);
	assert_int_equal(workers("ultra-scalable", 16, 6 * GIB), 12);
	assert_int_equal(workers("ultra-scalable", 16, 3 * GIB), 8);
	/* Truncation toward zero: base 5 * 1.5 = 7.5 -> 7; * 0.75 -> 3. */
	assert_int_equal(workers("ultra-scalable", 2, 8 * GIB), 7);
	assert_int_equal(workers("ultra-scalable", 2, 2 * GIB), 3);
}

/* Unknown memory (0) takes the lowest tier, and says so. */
static void
test_tier_unknown_memory(void **state)
{
	struct size_params	 p = params("ultra-scalable");
	struct size_result	 r;
	const struct size_step	*s;

	size_compute(&p, 4, 0, &r);
	assert_int_equal(r.workers, 6);
	s = find_step(&r, SIZE_RULE_MEMORY_TIER);
	assert_non_null(s);
	assert_non_null(strstr(s->detail, "unknown"));
}

/*
 * An explicit max_workers caps any profile, ultra-scalable too; for the
 * others it stands in for the profile's own cap.
 */
static void
test_max_workers(void **state)
{
	struct size_params	 p = params("unix");
	struct size_result	 r;
	const struct size_step	*s;

	p.max_workers = 4;
	size_compute(&p, 4, 0, &r);
	assert_int_equal(r.workers, 4);
	s = find_step(&r, SIZE_RULE_MAX_WORKERS);
	assert_non_null(s);
	assert_true(s->applied);

	p = params("ultra-scalable");
	p.max_workers = 10;
	size_compute(&p, 4, 16 * GIB, &r);
	assert_int_equal(r.workers, 10);

	/* It replaces the profile's cap: above it, the pool grows. */
	p = params("default");
	p.max_workers = 20;
	size_compute(&p, 16, 0, &r);
	assert_int_equal(r.workers, 20);
	assert_null(find_step(&r, SIZE_RULE_PROFILE_CAP));

	/* A cap above the count is recorded but changes nothing. */
	p = params("default");
	p.max_workers = 100;
	size_compute(&p, 2, 0, &r);
	assert_int_equal(r.workers, 5);
	s = find_step(&r, SIZE_RULE_MAX_WORKERS);
	assert_non_null(s);
	assert_false(s->applied);
}

/* worker_memory caps at floor(memory / worker_memory). */
static void
test_worker_memory(void **state)
{
	struct size_params	 p = params("enterprise");
	struct size_result	 r;
	const struct size_step	*s;

	p.worker_memory = 512ULL << 20;
	size_compute(&p, 8, 2 * GIB + 100, &r);	/* 4.0001 -> 4 */
	assert_int_equal(r.workers, 4);
	s = find_step(&r, SIZE_RULE_WORKER_MEMORY);
	assert_non_null(s);
	assert_int_equal(s->limit, 4);
	assert_true(s->applied);

	/* Less memory than one worker needs: the floor still gives 1. */
	size_compute(&p, 8, 100ULL << 20, &r);
	assert_int_equal(r.workers, 1);
	s = find_step(&r, SIZE_RULE_MIN_WORKERS);
	assert_non_null(s);
	assert_true(s->applied);

	/* Unknown memory: no cap, and the step says why. */
	size_compute(&p, 8, 0, &r);
	assert_int_equal(r.workers, 16);
	s = find_step(&r, SIZE_RULE_WORKER_MEMORY);
	assert_non_null(s);
	assert_false(s->applied);
}

/* min_workers raises the result last, over every cap. */
static void
test_min_workers(void **state)
{
	struct size_params	p = params("ec2-free-tier");
	struct size_result	r;

	p.min_workers = 10;
	size_compute(&p, 8, 0, &r);
	assert_int_equal(r.workers, 10);
	p.min_workers = 6;
	size_compute(&p, 8, 0, &r);
	assert_int_equal(r.workers, 6);
	assert_false(find_step(&r, SIZE_RULE_MIN_WORKERS)->applied);
}

/* The formula's constants come from the parameters. */
static void
test_formula_constants(void **state)
{
	struct size_params	p = params("enterprise");
	struct size_result	r;

	p.workers_per_cpu = 3;
	p.extra_workers = 0;
	size_compute(&p, 4, 0, &r);
	assert_int_equal(r.base, 12);
	assert_int_equal(r.workers, 12);
	assert_non_null(strstr(r.steps[0].detail, "4 CPUs * 3 + 0 = 12"));
}

/* workers = N skips the formula and every cap. */
static void
test_fixed_workers(void **state)
{
	struct size_params	p = params("default");
	struct size_result	r;

	p.workers = 20;
	p.max_workers = 4;
	size_compute(&p, 2, 0, &r);
	assert_int_equal(r.workers, 20);
	assert_int_equal(r.nsteps, 1);
	assert_int_equal(r.steps[0].rule, SIZE_RULE_FIXED);
}

/* No pool is larger than SIZE_WORKERS_MAX, and cpus 0 counts as 1. */
static void
test_limits(void **state)
{
	struct size_params	p = params("default");
	struct size_result	r;

	p.workers = SIZE_WORKERS_MAX + 1;
	size_compute(&p, 1, 0, &r);
	assert_int_equal(r.workers, SIZE_WORKERS_MAX);
	assert_non_null(find_step(&r, SIZE_RULE_HARD_LIMIT));

	p = params("default");
	p.min_workers = 1;
	p.max_workers = 100000;
	p.workers_per_cpu = 1024;
	p.extra_workers = 4096;
	p.profile = size_profile_find("ultra-scalable");
	size_compute(&p, 65536, 64 * GIB, &r);
	assert_int_equal(r.base, 65536u * 1024 + 4096);
	assert_int_equal(r.workers, 24);

	p = params("default");
	size_compute(&p, 0, 0, &r);
	assert_int_equal(r.workers, 3);
}

static void
test_format_bytes(void **state)
{
	char	buf[32];

	assert_string_equal(util_format_bytes(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(util_format_bytes(1023, buf, sizeof(buf)),
	    "1023 B");
	assert_string_equal(util_format_bytes(1024, buf, sizeof(buf)),
	    "1.0 KiB");
	assert_string_equal(util_format_bytes(16 * GIB, buf, sizeof(buf)),
	    "16.0 GiB");
	assert_string_equal(util_format_bytes(512ULL << 20, buf,
	    sizeof(buf)), "512.0 MiB");
	assert_string_equal(util_format_bytes(UINT64_MAX, buf, sizeof(buf)),
	    "16.0 EiB");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_enterprise_cap_is_explained),
		cmocka_unit_test(test_every_profile),
		cmocka_unit_test(test_tier_boundaries),
		cmocka_unit_test(test_tier_caps),
		cmocka_unit_test(test_tier_unknown_memory),
		cmocka_unit_test(test_max_workers),
		cmocka_unit_test(test_worker_memory),
		cmocka_unit_test(test_min_workers),
		cmocka_unit_test(test_formula_constants),
		cmocka_unit_test(test_fixed_workers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
