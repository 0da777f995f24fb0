/* SPDX-License-Identifier: ISC */
/*
 * advise_test: the pool advisor (advise.c) on synthetic series (steady,
 * bursty, ramp, saturation, memory pressure, missing PSI, a listener
 * without TCP_INFO) and on series recorded from a real pool
 * (tests/fixtures/advise/), and autoscale's step against a model of a
 * pool under load: it grows to the load, shrinks when it stops, and
 * does not flap, with and without the connections in service.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "advise.h"
#include "testlib.h"

#define GIB	(1024ull * 1024 * 1024)
#define N	30

/* A pool over a window: what each sample sees. */
struct shape {
	unsigned	workers;
	double		cpus;
	double		cpu;		/* share of the CPUs, each interval */
	const unsigned	*queue;		/* per sample; NULL: none known */
	unsigned	queue_all;	/* when queue is NULL and has_queue */
	bool		has_queue;
	int		serving;	/* -1: unknown */
	double		psi_cpu;	/* share stalled; < 0: unknown */
	double		psi_mem;
	uint64_t	mem;
	bool		has_wait;
	double		wait;		/* share of the workers' time */
};

static void
build(const struct shape *sh, struct adv_sample *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].t = 100 + (double)i;
		s[i].workers = sh->workers;
		s[i].cpu = 5 + sh->cpu * sh->cpus * (double)i;
		s[i].has_queue = sh->has_queue;
		s[i].queue = sh->queue != NULL ? sh->queue[i] : sh->queue_all;
		s[i].queue_limit = 128;
		s[i].has_serving = sh->serving >= 0;
		s[i].serving = sh->serving >= 0 ? (uint32_t)sh->serving : 0;
		s[i].has_psi_cpu = sh->psi_cpu >= 0;
		s[i].psi_cpu = sh->psi_cpu * (double)i;
		s[i].has_psi_mem = sh->psi_mem >= 0;
		s[i].psi_mem = sh->psi_mem * (double)i;
		s[i].mem = sh->mem;
		s[i].has_wait = sh->has_wait;
		s[i].wait = sh->wait * sh->workers * (double)i;
	}
}

static const struct adv_params	two_cpus = { 2, 0, 1, 0 };

static void
judge(const struct shape *sh, const struct adv_params *p,
    struct adv_result *r)
{
	struct adv_sample	s[N];

	build(sh, s, N);
	assert_int_equal(advise(p, s, N, r), 0);
}

static bool
said(const struct adv_result *r, const char *needle)
{
	unsigned	i;

	for (i = 0; i < r->nsteps; i++)
		if (strstr(r->steps[i], needle) != NULL)
			return true;
	return false;
}

/* I/O-bound and too small: 6 always waiting, 15 % CPU: 5 + 6. */
static void
test_steady_too_few(void **state)
{
	struct shape		sh = { 5, 2, 0.15, NULL, 6, true, 5, 0.01,
				    0, 0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_string_equal(adv_verdict_names[r.verdict], "too-few");
	assert_int_equal(r.suggested, 11);
	assert_true(r.cpu > 0.149 && r.cpu < 0.151);
	assert_true(r.queue_share > 0.99);
	assert_true(said(&r, "too-few: 5 workers + 6.0 waiting"));
}

/* Growth is capped where the CPUs would reach 80 %. */
static void
test_too_few_cpu_cap(void **state)
{
	struct shape		sh = { 4, 2, 0.50, NULL, 10, true, 4, -1,
				    -1, 0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
	assert_int_equal(r.suggested, 7);	/* 4 * 0.8 / 0.5 = 6.4 */
	assert_true(said(&r, "cpu cap: 7 workers"));
}

/* A queue with the CPUs above 80 %: more workers will not help. */
static void
test_saturation(void **state)
{
	struct shape		sh = { 5, 2, 0.95, NULL, 20, true, 5, 0.05,
				    0, 0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_CPU_BOUND);
	assert_int_equal(r.suggested, 5);
}

/* Below 80 % of its CPUs, but they are contended: CPU-bound too. */
static void
test_cpu_contended(void **state)
{
	struct shape		sh = { 5, 2, 0.40, NULL, 8, true, 5, 0.35,
				    0, 0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_CPU_BOUND);
	assert_true(said(&r, "contended"));
	sh.psi_cpu = 0.05;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
	/*
	 * A pool that barely computes, on a machine others keep busy: its
	 * workers wait on I/O, and more of them still help.
	 */
	sh.cpu = 0.02;
	sh.psi_cpu = 0.45;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
}

/*
 * The workers' own waits for a CPU, where the kernel tells them, decide
 * instead of pressure: the pool's share of the CPUs is what the others
 * leave it, whatever it would use.
 */
static void
test_cpu_wait(void **state)
{
	static const struct {
		double		cpu, psi, wait;
		enum adv_verdict verdict;
	} cases[] = {
		/* CPU-bound beside other jobs (tests/hogs): 17 %, 92 %. */
		{ 0.17, 0.98, 0.92, ADV_CPU_BOUND },
		/* I/O-bound beside them: its workers sleep, then wait. */
		{ 0.002, 0.86, 0.03, ADV_TOO_FEW },
		/* Woken often for little work: waits, but runs little. */
		{ 0.02, 0.90, 0.30, ADV_TOO_FEW },
		/* Pressure from others, and the workers never wait. */
		{ 0.45, 0.35, 0.02, ADV_TOO_FEW },
		/* No pressure file at all: the waits say it alone. */
		{ 0.30, -1, 0.60, ADV_CPU_BOUND },
	};
	struct shape		sh = { 5, 2, 0, NULL, 8, true, 5, 0, 0, 0,
				    true, 0 };
	struct adv_result	r;
	size_t			i;

	for (i = 0; i < nitems(cases); i++) {
		sh.cpu = cases[i].cpu;
		sh.psi_cpu = cases[i].psi;
		sh.wait = cases[i].wait;
		judge(&sh, &two_cpus, &r);
		if (r.verdict != cases[i].verdict)
			fail_msg("case %zu: %s, not %s", i,
			    adv_verdict_names[r.verdict],
			    adv_verdict_names[cases[i].verdict]);
		assert_true(r.has_wait);
		assert_true(r.wait > cases[i].wait - 0.001 &&
		    r.wait < cases[i].wait + 0.001);
		assert_true(r.run > cases[i].cpu * 2 / 5 - 0.001 &&
		    r.run < cases[i].cpu * 2 / 5 + 0.001);
	}
	assert_true(said(&r, "the workers waited for a CPU 60 % of their "
	    "time (ran 12 %): the CPUs are contended"));
	/* The first case, told without the waits: pressure alone misses it. */
	sh.cpu = cases[0].cpu;
	sh.psi_cpu = cases[0].psi;
	sh.has_wait = false;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
}

/* Idle and oversized: down to the busiest moment plus one. */
static void
test_idle_too_many(void **state)
{
	struct shape		sh = { 9, 2, 0.02, NULL, 0, true, 1, 0, 0,
				    0, false, 0 };
	struct adv_result	r;
	struct adv_params	p = two_cpus;

	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_TOO_MANY);
	assert_int_equal(r.suggested, 2);
	/* With nothing known of the connections: toward 70 % CPU. */
	sh.serving = -1;
	judge(&sh, &p, &r);
	assert_int_equal(r.suggested, 1);
	p.min_workers = 3;
	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_TOO_MANY);
	assert_int_equal(r.suggested, 3);
	/* At min_workers already: nothing to shrink. */
	p.min_workers = 9;
	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_RIGHT_SIZED);
	assert_int_equal(r.suggested, 9);
}

/*
 * I/O-bound and sized to its load: no queue and little CPU, which the
 * CPU rule alone would call too many; the connections in service say
 * every worker was needed at once.
 */
static void
test_steady_right(void **state)
{
	struct shape		sh = { 13, 2, 0.20, NULL, 0, true, 12, 0,
				    0, 0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_RIGHT_SIZED);
	assert_int_equal(r.suggested, 13);
	assert_true(said(&r, "at most 12 connections at once"));
	/* Between 60 and 80 % with no queue: right. */
	sh.cpu = 0.7;
	sh.serving = -1;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_RIGHT_SIZED);
}

/* A queue now and then, not most of the time: right-sized. */
static void
test_bursty(void **state)
{
	unsigned		q[N] = { 0 };
	struct shape		sh = { 6, 2, 0.3, q, 0, true, 6, 0, 0, 0,
				    false, 0 };
	struct adv_result	r;
	size_t			i;

	for (i = 0; i < N; i += 3)
		q[i] = 25;			/* a third of the time */
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_RIGHT_SIZED);
	assert_true(r.queue_share > 0.3 && r.queue_share < 0.35);
	assert_int_equal(r.queue_max, 25);
	assert_true(said(&r, "some of the time"));
	/* Once in 30 samples is no queue: an idle pool still shrinks. */
	memset(q, 0, sizeof(q));
	q[7] = 1;
	sh.serving = 2;
	sh.cpu = 0.05;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_MANY);
}

/* A queue that builds up over the window: most of it, too few. */
static void
test_ramp(void **state)
{
	unsigned		q[N];
	struct shape		sh = { 4, 2, 0.2, q, 0, true, 4, -1, -1,
				    0, false, 0 };
	struct adv_result	r;
	size_t			i;

	for (i = 0; i < N; i++)
		q[i] = i < 10 ? 0 : (unsigned)(i - 10);
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
	assert_true(r.suggested > 4);
	assert_int_equal(r.queue_max, 19);
}

/* Memory caps the size, and memory pressure stops growth. */
static void
test_memory(void **state)
{
	struct shape		sh = { 5, 2, 0.15, NULL, 7, true, 5, 0, 0,
				    1 * GIB, false, 0 };
	struct adv_params	p = two_cpus;
	struct adv_result	r;

	p.mem_limit = 8 * GIB;
	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_MEMORY_BOUND);
	assert_int_equal(r.mem_cap, 8);
	assert_int_equal(r.suggested, 8);
	assert_true(said(&r, "12 workers * 1.0 GiB > 8.0 GiB"));
	/* Already over the limit's room, with nothing to grow for. */
	sh.workers = 10;
	sh.queue_all = 0;
	sh.cpu = 0.7;
	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_MEMORY_BOUND);
	assert_int_equal(r.suggested, 8);
	/* Room enough, but the pool stalls on memory. */
	p.mem_limit = 0;
	sh.workers = 5;
	sh.queue_all = 7;
	sh.cpu = 0.15;
	sh.psi_mem = 0.25;
	judge(&sh, &p, &r);
	assert_int_equal(r.verdict, ADV_MEMORY_BOUND);
	assert_int_equal(r.suggested, 5);
}

/* No PSI: figures unknown, said so, and the rules still hold. */
static void
test_missing_psi(void **state)
{
	struct shape		sh = { 5, 2, 0.15, NULL, 6, true, 5, -1, -1,
				    0, false, 0 };
	struct adv_result	r;
	struct buf		b = BUF_INIT;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_TOO_FEW);
	assert_false(r.has_psi_cpu);
	advise_text(&r, &b);
	assert_non_null(strstr(b.p, "cpu pressure     unknown"));
	b.len = 0;
	advise_json(&r, &b);
	assert_non_null(strstr(b.p, "\"cpu_pressure\":null"));
	assert_non_null(strstr(b.p, "\"verdict\":\"too-few\""));
	assert_non_null(strstr(b.p, "\"suggested_workers\":11"));
	assert_false(b.failed);
	free(b.p);
}

/*
 * Counters read a moment after the clock overshoot the window: a share
 * is never reported above 100 %.
 */
static void
test_share_capped(void **state)
{
	struct shape		sh = { 5, 2, 1.03, NULL, 6, true, 5, 1.0146,
				    1.2, 0, true, 1.1 };
	struct adv_result	r;
	struct buf		b = BUF_INIT;

	judge(&sh, &two_cpus, &r);
	assert_true(r.cpu == 1 && r.psi_cpu == 1 && r.psi_mem == 1 &&
	    r.wait == 1);
	advise_json(&r, &b);
	assert_non_null(strstr(b.p, "\"cpu\":1.0000,"));
	assert_non_null(strstr(b.p, "\"cpu_pressure\":1.0000,"));
	assert_non_null(strstr(b.p, "\"memory_pressure\":1.0000,"));
	assert_non_null(strstr(b.p, "\"cpu_wait\":1.0000,"));
	assert_false(b.failed);
	free(b.p);
}

/* Only unix sockets: no queue; CPU and memory decide alone. */
static void
test_no_tcp_info(void **state)
{
	struct shape		sh = { 5, 2, 0.1, NULL, 0, false, -1, 0, 0,
				    0, false, 0 };
	struct adv_result	r;

	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_RIGHT_SIZED);
	assert_false(r.has_queue);
	assert_true(said(&r, "queue: unknown"));
	sh.cpu = 0.9;
	judge(&sh, &two_cpus, &r);
	assert_int_equal(r.verdict, ADV_CPU_BOUND);
}

static void
test_bounds(void **state)
{
	struct shape		sh = { 5, 2, 0.15, NULL, 30, true, 5, 0, 0,
				    0, false, 0 };
	struct adv_params	p = two_cpus;
	struct adv_result	r;

	p.max_workers = 9;
	judge(&sh, &p, &r);
	assert_int_equal(r.suggested, 9);
	assert_true(said(&r, "autoscale_max: capped at 9"));
}

static void
test_bad_series(void **state)
{
	struct shape		sh = { 5, 2, 0.15, NULL, 6, true, 5, 0, 0,
				    0, false, 0 };
	struct adv_sample	s[N];
	struct adv_result	r;

	build(&sh, s, N);
	assert_int_equal(advise(&two_cpus, s, 2, &r), -1);
	assert_true(said(&r, "at least 3"));
	s[5].t = s[4].t;
	assert_int_equal(advise(&two_cpus, s, N, &r), -1);
	assert_true(said(&r, "sample 5: time"));
	build(&sh, s, N);
	s[9].cpu = 0;
	assert_int_equal(advise(&two_cpus, s, N, &r), -1);
	assert_true(said(&r, "sample 9: a counter"));
	build(&sh, s, N);
	s[3].psi_cpu = -1;
	assert_int_equal(advise(&two_cpus, s, N, &r), -1);
}

/* A figure of a recorded line: "-" before it means unknown. */
static bool
figure(const char *word, double *v)
{
	if (*word == '-')
		return false;
	*v = strtod(word, NULL);
	return true;
}

/*
 * Loads tests/fixtures/advise/name (the master's debug lines, "t T
 * workers N cpu C queue Q limit L serving S psi_cpu P psi_mem M", and
 * " wait W" where the master had it) into s; the answer the master
 * gave, from the "# verdict" line, into want. Returns the number of
 * samples.
 */
static size_t
load(const char *name, struct adv_sample *s, size_t max,
    struct adv_result *want)
{
	char		 path[256], line[512], w[8][32], verdict[32], *p;
	FILE		*f;
	size_t		 n = 0;
	double		 v = 0;
	unsigned	 i;

	snprintf(path, sizeof(path), "advise/%s", name);
	assert_non_null(f = fopen(t_fixture(path), "r"));
	memset(want, 0, sizeof(*want));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "# verdict %31s workers %u suggested %u",
		    verdict, &want->workers, &want->suggested) == 3) {
			for (i = 0; i < ADV_VERDICT_COUNT; i++)
				if (strcmp(verdict, adv_verdict_names[i]) == 0)
					want->verdict = (enum adv_verdict)i;
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_true(n < max);
		assert_int_equal(sscanf(line, "t %31s workers %31s cpu %31s "
		    "queue %31s limit %31s serving %31s psi_cpu %31s "
		    "psi_mem %31s", w[0], w[1], w[2], w[3], w[4], w[5], w[6],
		    w[7]), 8);
		memset(&s[n], 0, sizeof(s[n]));
		assert_true(figure(w[0], &s[n].t));
		assert_true(figure(w[1], &v));
		s[n].workers = (unsigned)v;
		assert_true(figure(w[2], &s[n].cpu));
		if ((s[n].has_queue = figure(w[3], &v)))
			s[n].queue = (uint32_t)v;
		if (figure(w[4], &v))
			s[n].queue_limit = (uint32_t)v;
		if ((s[n].has_serving = figure(w[5], &v)))
			s[n].serving = (uint32_t)v;
		s[n].has_psi_cpu = figure(w[6], &s[n].psi_cpu);
		s[n].has_psi_mem = figure(w[7], &s[n].psi_mem);
		if ((p = strstr(line, " wait ")) != NULL)
			s[n].has_wait = figure(p + 6, &s[n].wait);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Series recorded from real pools of known truth, two of them beside
 * CPU-bound jobs (tests/hogs): the verdict and the suggestion the master
 * gave; and again without pressure stall information, which changes
 * neither here.
 */
static void
test_recorded(void **state)
{
	static const char *const	names[] = { "io-too-few.samples",
	    "idle-too-many.samples", "cpu-bound.samples",
	    "cpu-bound-busy.samples", "io-too-few-busy.samples" };
	static const enum adv_verdict	truth[] = { ADV_TOO_FEW,
	    ADV_TOO_MANY, ADV_CPU_BOUND, ADV_CPU_BOUND, ADV_TOO_FEW };
	struct adv_sample		s[64];
	struct adv_result		r, want;
	size_t				i, j, n;

	for (i = 0; i < nitems(names); i++) {
		n = load(names[i], s, nitems(s), &want);
		assert_true(n >= 20);
		assert_int_equal(want.verdict, truth[i]);
		assert_int_equal(advise(&two_cpus, s, n, &r), 0);
		assert_string_equal(adv_verdict_names[r.verdict],
		    adv_verdict_names[want.verdict]);
		assert_int_equal(r.workers, want.workers);
		assert_int_equal(r.suggested, want.suggested);
		for (j = 0; j < n; j++)
			s[j].has_psi_cpu = s[j].has_psi_mem = false;
		assert_int_equal(advise(&two_cpus, s, n, &r), 0);
		assert_int_equal(r.verdict, want.verdict);
		assert_int_equal(r.suggested, want.suggested);
	}
}

/*
 * A pool under a closed-loop load: clients each wait service seconds
 * per request (I/O), using cpu seconds of CPU; the queue is the clients
 * a worker does not hold. One window of n samples.
 */
struct plant {
	unsigned	clients;
	double		service;
	double		cpu;
	double		cpus;
	bool		serving;	/* the master sees connections */
};

static void
plant_window(const struct plant *pl, unsigned workers,
    struct adv_sample *s, size_t n)
{
	unsigned	held = workers < pl->clients ? workers : pl->clients;
	double		rate = held / pl->service;
	size_t		i;

	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].t = (double)i;
		s[i].workers = workers;
		s[i].cpu = rate * pl->cpu * (double)i;
		s[i].has_queue = true;
		s[i].queue = pl->clients - held;
		s[i].queue_limit = 128;
		s[i].has_serving = pl->serving;
		s[i].serving = held;
	}
}

/* Runs autoscale for windows; returns the size, counts reversals. */
static unsigned
run_plant(struct autoscale *a, const struct plant *pl,
    const struct adv_params *p, unsigned size, unsigned windows,
    unsigned *reversals)
{
	struct adv_sample	s[10];
	struct adv_result	r;
	char			why[128];
	unsigned		w, next;
	int			dir = 0;

	for (w = 0; w < windows; w++) {
		plant_window(pl, size, s, 10);
		assert_int_equal(advise(p, s, 10, &r), 0);
		next = autoscale_step(a, p, &r, why, sizeof(why));
		assert_true(next >= p->min_workers);
		assert_true(p->max_workers == 0 || next <= p->max_workers);
		if (next != size) {
			assert_true(why[0] != '\0');
			if (dir != 0 && (next > size) != (dir > 0))
				(*reversals)++;
			dir = next > size ? 1 : -1;
		} else
			assert_string_equal(why, "");
		size = next;
	}
	return size;
}

/* It grows to the load, stays, and shrinks once the load stops. */
static void
test_autoscale_converges(void **state)
{
	struct plant		pl = { 12, 0.05, 0.002, 2, true };
	struct adv_params	p = { 2, 0, 2, 40 };
	struct autoscale	a;
	unsigned		size, rev = 0;

	autoscale_reset(&a);
	size = run_plant(&a, &pl, &p, 2, 10, &rev);
	assert_true(size >= 12 && size <= 13);
	assert_int_equal(rev, 0);
	/* Half an hour of the same load: not one change. */
	assert_int_equal(run_plant(&a, &pl, &p, size, 60, &rev), size);
	pl.clients = 0;
	size = run_plant(&a, &pl, &p, size, 40, &rev);
	assert_int_equal(size, p.min_workers);
	assert_int_equal(rev, 0);
}

/*
 * Without the connections in service (workers that multiplex, or a
 * kernel without sock_diag), the CPU rule shrinks a pool its load
 * needs; the queue that follows grows it back, and the regret floor
 * keeps it there instead of flapping.
 */
static void
test_autoscale_no_flap(void **state)
{
	struct plant		pl = { 10, 0.05, 0.002, 2, false };
	struct adv_params	p = { 2, 0, 1, 0 };
	struct autoscale	a;
	unsigned		size, rev = 0;

	autoscale_reset(&a);
	size = run_plant(&a, &pl, &p, 2, 120, &rev);
	assert_true(size >= 10);
	/* A probe down and back at each regret, each floor twice longer. */
	assert_true(rev <= 2 * (1 + AS_FLOOR_DOUBLINGS));
	assert_true(a.regrets >= 1);
	/* The load stops: down to min_workers once the floor runs out. */
	pl.clients = 0;
	size = run_plant(&a, &pl, &p, size, (AS_FLOOR_WINDOWS <<
	    AS_FLOOR_DOUBLINGS) + 20, &rev);
	assert_int_equal(size, p.min_workers);
}

/* A shrink waits for two too-many windows and for the hold. */
static void
test_autoscale_hysteresis(void **state)
{
	struct adv_params	p = { 2, 0, 1, 0 };
	struct adv_result	r;
	struct autoscale	a;
	char			why[128];

	autoscale_reset(&a);
	memset(&r, 0, sizeof(r));
	r.workers = 8;
	r.verdict = ADV_TOO_MANY;
	r.suggested = 2;
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 8);
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 6);
	assert_non_null(strstr(why, "too-many: 8 -> 6 workers"));
	r.workers = 6;
	r.verdict = ADV_TOO_FEW;
	r.suggested = 20;
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 9);
	/* The regret: 8 is a floor now; a too-many waits for the hold. */
	r.workers = 9;
	r.verdict = ADV_TOO_MANY;
	r.suggested = 1;
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 9);
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 9);
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 9);
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 8);
	r.workers = 8;
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 8);
	/* A right-sized or cpu-bound verdict never moves the size. */
	r.verdict = ADV_CPU_BOUND;
	r.suggested = 8;
	assert_int_equal(autoscale_step(&a, &p, &r, why, sizeof(why)), 8);
	assert_string_equal(why, "");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_steady_too_few),
		cmocka_unit_test(test_too_few_cpu_cap),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_cpu_contended),
		cmocka_unit_test(test_cpu_wait),
		cmocka_unit_test(test_idle_too_many),
		cmocka_unit_test(test_steady_right),
		cmocka_unit_test(test_bursty),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_missing_psi),
		cmocka_unit_test(test_share_capped),
		cmocka_unit_test(test_no_tcp_info),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_bad_series),
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_autoscale_converges),
		cmocka_unit_test(test_autoscale_no_flap),
		cmocka_unit_test(test_autoscale_hysteresis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
