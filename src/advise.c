/* SPDX-License-Identifier: ISC */
/*
 * The pool advisor and autoscale's step: pure functions of the samples.
 * advise.h says what goes in and out; prefork(8), SIZING UNDER LOAD,
 * says why each rule is what it is.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "advise.h"

const char *const adv_verdict_names[ADV_VERDICT_COUNT] = {
	[ADV_RIGHT_SIZED] = "right-sized",
	[ADV_TOO_FEW] = "too-few",
	[ADV_TOO_MANY] = "too-many",
	[ADV_CPU_BOUND] = "cpu-bound",
	[ADV_MEMORY_BOUND] = "memory-bound",
};

static void	step(struct adv_result *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Adds a line to the explanation; the last ones are cut if too many. */
static void
step(struct adv_result *r, const char *fmt, ...)
{
	va_list	ap;

	if (r->nsteps == ADV_STEPS_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(r->steps[r->nsteps++], ADV_STEP_LEN, fmt, ap);
	va_end(ap);
}

/* v rounded up to a worker count, 1 at least (NaN too). */
static unsigned
clamp_count(double v)
{
	unsigned	u;

	if (!(v >= 1))
		return 1;
	if (v >= 1e6)
		return 1000000;
	u = (unsigned)v;
	return (double)u < v - 1e-9 ? u + 1 : u;
}

static unsigned
umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

static unsigned
umin(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* Checks the series; on a problem says it in r's first step. */
static int
check_series(const struct adv_sample *s, size_t n, struct adv_result *r)
{
	size_t	i;

	if (n < ADV_SAMPLES_MIN) {
		step(r, "%zu samples: at least %d are needed", n,
		    ADV_SAMPLES_MIN);
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (!(s[i].t > s[i - 1].t)) {
			step(r, "sample %zu: time does not move forward", i);
			return -1;
		}
		if (!(s[i].cpu >= s[i - 1].cpu) ||
		    (s[i].has_psi_cpu && s[i - 1].has_psi_cpu &&
		    !(s[i].psi_cpu >= s[i - 1].psi_cpu)) ||
		    (s[i].has_psi_mem && s[i - 1].has_psi_mem &&
		    !(s[i].psi_mem >= s[i - 1].psi_mem)) ||
		    (s[i].has_wait && s[i - 1].has_wait &&
		    !(s[i].wait >= s[i - 1].wait))) {
			step(r, "sample %zu: a counter runs backwards", i);
			return -1;
		}
	}
	return 0;
}

/*
 * A share of the window or of the CPUs. The clock and the counters are
 * read a moment apart, and a reaped child's CPU lands in one interval,
 * so a delta can exceed what it is a share of.
 */
static double
share(double part, double whole)
{
	double	v = part / whole;

	return v > 1 ? 1 : v < 0 ? 0 : v;
}

/* The figures of the window, before any rule. */
static void
figures(const struct adv_params *p, const struct adv_sample *s, size_t n,
    struct adv_result *r)
{
	const struct adv_sample	*a = &s[0], *z = &s[n - 1];
	unsigned		 queued = 0, nq = 0, ns = 0;
	double			 qsum = 0, ssum = 0, wsum = 0, busy;
	size_t			 i;

	r->workers = z->workers;
	r->window = z->t - a->t;
	r->samples = (unsigned)n;
	r->cpus = p->cpus;
	r->cpu = share(z->cpu - a->cpu, r->window * p->cpus);
	for (i = 0; i < n; i++) {
		if (s[i].has_queue) {
			nq++;
			qsum += s[i].queue;
			queued += s[i].queue > 0;
			r->queue_max = umax(r->queue_max, s[i].queue);
			r->queue_limit = s[i].queue_limit;
		}
		if (s[i].has_serving) {
			ns++;
			ssum += s[i].serving;
			r->serving_peak = umax(r->serving_peak, s[i].serving);
		}
		if (s[i].mem > 0)
			r->mem = s[i].mem;
		wsum += s[i].workers;
	}
	/* A listener that shows its queue in most samples counts. */
	r->has_queue = (size_t)nq * 2 > n;
	if (r->has_queue) {
		r->queue_share = (double)queued / nq;
		r->queue_mean = qsum / nq;
	}
	r->has_serving = (size_t)ns * 2 > n;
	if (r->has_serving)
		r->serving_mean = ssum / ns;
	r->has_psi_cpu = a->has_psi_cpu && z->has_psi_cpu;
	if (r->has_psi_cpu)
		r->psi_cpu = share(z->psi_cpu - a->psi_cpu, r->window);
	r->has_psi_mem = a->has_psi_mem && z->has_psi_mem;
	if (r->has_psi_mem)
		r->psi_mem = share(z->psi_mem - a->psi_mem, r->window);
	/* The workers' time: the window times their mean number. */
	busy = r->window * wsum / (double)n;
	r->has_wait = a->has_wait && z->has_wait && busy > 0;
	if (r->has_wait) {
		r->run = share(z->cpu - a->cpu, busy);
		r->wait = share(z->wait - a->wait, busy);
	}
	r->mem_limit = p->mem_limit;
	if (r->mem > 0 && p->mem_limit > 0)
		r->mem_cap = umax(1, (unsigned)umin(1000000,
		    (unsigned)(p->mem_limit / r->mem)));
}

/*
 * Are the CPUs contended? The workers' own waits for a CPU say it best;
 * without them, the pressure of the cgroup or of the whole machine, for
 * a pool that computes.
 */
static bool
cpu_contended(struct adv_result *r)
{
	if (r->has_wait) {
		if (r->wait < ADV_WAIT_HIGH ||
		    r->run + r->wait < ADV_RUNNABLE_MIN)
			return false;
		step(r, "cpu: %.0f %% of %g CPUs, but the workers waited for "
		    "a CPU %.0f %% of their time (ran %.0f %%): the CPUs are "
		    "contended", r->cpu * 100, r->cpus, r->wait * 100,
		    r->run * 100);
		return true;
	}
	if (!r->has_psi_cpu || r->psi_cpu < ADV_PSI_CPU_HIGH ||
	    r->cpu < ADV_CPU_PSI_MIN)
		return false;
	step(r, "cpu: %.0f %% of %g CPUs, but CPU pressure %.0f %% >= %.0f %%: "
	    "the CPUs are contended", r->cpu * 100, r->cpus, r->psi_cpu * 100,
	    ADV_PSI_CPU_HIGH * 100);
	return true;
}

/* The CPU rule: is the pool CPU-bound? */
static bool
cpu_high(struct adv_result *r)
{
	if (r->cpu >= ADV_CPU_HIGH) {
		step(r, "cpu: %.0f %% of %g CPUs >= %.0f %%: the CPUs are busy",
		    r->cpu * 100, r->cpus, ADV_CPU_HIGH * 100);
		return true;
	}
	if (cpu_contended(r))
		return true;
	step(r, "cpu: %.0f %% of %g CPUs < %.0f %%", r->cpu * 100, r->cpus,
	    ADV_CPU_HIGH * 100);
	return false;
}

/* A queue most of the window, and CPUs to spare: grow. */
static void
too_few(struct adv_result *r)
{
	unsigned	want, cap;

	want = r->workers + clamp_count(r->queue_mean);
	cap = r->cpu > 0 ? clamp_count(r->workers * ADV_CPU_HIGH / r->cpu) :
	    want;
	cap = umax(cap, r->workers + 1);
	r->verdict = ADV_TOO_FEW;
	r->suggested = umin(want, cap);
	step(r, "too-few: %u workers + %.1f waiting on average = %u%s",
	    r->workers, r->queue_mean, want, want > cap ? "" :
	    " (the CPUs allow it)");
	if (want > cap)
		step(r, "cpu cap: %u workers would use %.0f %% of the CPUs",
		    cap, ADV_CPU_HIGH * 100);
}

/* No queue, idle CPUs: shrink toward ADV_CPU_TARGET, not below need. */
static void
too_many(const struct adv_params *p, struct adv_result *r)
{
	unsigned	by_cpu, by_serving, want;

	by_cpu = clamp_count(r->workers * r->cpu / ADV_CPU_TARGET);
	want = umax(by_cpu, p->min_workers);
	step(r, "shrink toward %.0f %% CPU: %u workers * %.0f %% / %.0f %% "
	    "= %u", ADV_CPU_TARGET * 100, r->workers, r->cpu * 100,
	    ADV_CPU_TARGET * 100, by_cpu);
	if (r->has_serving) {
		by_serving = umin(r->serving_peak + 1, r->workers);
		step(r, "in service: at most %u connection%s at once, so no "
		    "fewer than %u worker%s", r->serving_peak,
		    r->serving_peak == 1 ? "" : "s", by_serving,
		    by_serving == 1 ? "" : "s");
		want = umax(want, by_serving);
	}
	if (want >= r->workers) {
		r->verdict = ADV_RIGHT_SIZED;
		r->suggested = r->workers;
		step(r, "right-sized: no fewer workers would serve the "
		    "busiest moment");
		return;
	}
	r->verdict = ADV_TOO_MANY;
	r->suggested = want;
	step(r, "too-many: %u worker%s would do", want, want == 1 ? "" : "s");
}

/* The rules on the queue and the CPU, before memory and the bounds. */
static void
judge(const struct adv_params *p, struct adv_result *r)
{
	bool	busy;

	r->verdict = ADV_RIGHT_SIZED;
	r->suggested = r->workers;
	busy = cpu_high(r);
	if (!r->has_queue) {
		step(r, "queue: unknown: no TCP listener held by the master "
		    "(a unix socket has no TCP_INFO); the queue rules are "
		    "left out");
		if (busy) {
			r->verdict = ADV_CPU_BOUND;
			step(r, "cpu-bound: more workers will not help");
		} else
			step(r, "right-sized, as far as the CPU tells");
		return;
	}
	step(r, "queue: waiting in %.0f %% of %u samples, %.1f on average, "
	    "at most %u (limit %u)", r->queue_share * 100, r->samples,
	    r->queue_mean, r->queue_max, r->queue_limit);
	if (r->queue_share > ADV_QUEUE_MOST && busy) {
		r->verdict = ADV_CPU_BOUND;
		step(r, "cpu-bound: a queue with busy CPUs: more workers "
		    "will not help");
	} else if (r->queue_share > ADV_QUEUE_MOST)
		too_few(r);
	else if (r->queue_share <= ADV_QUEUE_RARE && r->cpu < ADV_CPU_LOW &&
	    !busy && r->workers > p->min_workers)
		too_many(p, r);
	else
		step(r, "right-sized: %s", r->queue_share > ADV_QUEUE_RARE ?
		    "a queue some of the time only" : r->cpu >= ADV_CPU_LOW ?
		    "the CPUs are between 60 and 80 % busy" :
		    "no fewer than min_workers");
}

/* Memory: the limit caps the size; memory pressure stops growth. */
static void
memory(struct adv_result *r)
{
	char	per[16], lim[16];

	if (r->has_psi_mem)
		step(r, "memory pressure: %.1f %% of the window",
		    r->psi_mem * 100);
	if (r->has_psi_mem && r->psi_mem >= ADV_PSI_MEM_HIGH &&
	    r->suggested > r->workers) {
		r->verdict = ADV_MEMORY_BOUND;
		r->suggested = r->workers;
		step(r, "memory-bound: memory pressure %.0f %% >= %.0f %%: "
		    "no more workers", r->psi_mem * 100,
		    ADV_PSI_MEM_HIGH * 100);
	}
	if (r->mem_cap == 0)
		return;
	util_format_bytes(r->mem, per, sizeof(per));
	util_format_bytes(r->mem_limit, lim, sizeof(lim));
	step(r, "memory: %s per worker, limit %s: room for %u workers", per,
	    lim, r->mem_cap);
	if (r->suggested > r->mem_cap) {
		r->verdict = ADV_MEMORY_BOUND;
		step(r, "memory-bound: %u workers * %s > %s: capped at %u",
		    r->suggested, per, lim, r->mem_cap);
		r->suggested = r->mem_cap;
	}
}

int
advise(const struct adv_params *p, const struct adv_sample *s, size_t n,
    struct adv_result *r)
{
	memset(r, 0, sizeof(*r));
	if (check_series(s, n, r) == -1)
		return -1;
	figures(p, s, n, r);
	judge(p, r);
	memory(r);
	if (p->max_workers > 0 && r->suggested > p->max_workers) {
		step(r, "autoscale_max: capped at %u", p->max_workers);
		r->suggested = p->max_workers;
	}
	if (r->suggested < p->min_workers) {
		step(r, "min_workers: raised to %u", p->min_workers);
		r->suggested = p->min_workers;
	}
	return 0;
}

void
advise_text(const struct adv_result *r, struct buf *b)
{
	char		per[16], lim[16];
	unsigned	i;

	buf_printf(b, "Verdict: %s (%u workers; suggested %u)\n\n",
	    adv_verdict_names[r->verdict], r->workers, r->suggested);
	buf_printf(b, "Window: %.1f s, %u samples\n", r->window, r->samples);
	buf_printf(b, "  %-16s %5.1f %%   of %g CPUs\n", "cpu", r->cpu * 100,
	    r->cpus);
	if (r->has_queue)
		buf_printf(b, "  %-16s %5.1f %%   of the samples; %.1f waiting "
		    "on average, at most %u (limit %u)\n", "queue",
		    r->queue_share * 100, r->queue_mean, r->queue_max,
		    r->queue_limit);
	else
		buf_printf(b, "  %-16s unknown   no TCP listener\n", "queue");
	if (r->has_serving)
		buf_printf(b, "  %-16s %5u     connections at most, %.1f on "
		    "average\n", "in service", r->serving_peak,
		    r->serving_mean);
	else
		buf_printf(b, "  %-16s unknown\n", "in service");
	if (r->has_psi_cpu)
		buf_printf(b, "  %-16s %5.1f %%   of the window\n",
		    "cpu pressure", r->psi_cpu * 100);
	else
		buf_printf(b, "  %-16s unknown   no pressure stall "
		    "information\n", "cpu pressure");
	if (r->has_psi_mem)
		buf_printf(b, "  %-16s %5.1f %%   of the window\n",
		    "memory pressure", r->psi_mem * 100);
	if (r->has_wait)
		buf_printf(b, "  %-16s %5.1f %%   of the workers' time\n",
		    "cpu wait", r->wait * 100);
	if (r->mem > 0) {
		util_format_bytes(r->mem, per, sizeof(per));
		util_format_bytes(r->mem_limit, lim, sizeof(lim));
		buf_printf(b, "  %-16s %s per worker; limit %s\n", "memory",
		    per, r->mem_limit > 0 ? lim : "unknown");
	}
	buf_printf(b, "\nRules:\n");
	for (i = 0; i < r->nsteps; i++)
		buf_printf(b, "  %s\n", r->steps[i]);
}

static void
json_share(struct buf *b, const char *name, bool known, double v)
{
	if (known)
		buf_printf(b, ",\"%s\":%.4f", name, v);
	else
		buf_printf(b, ",\"%s\":null", name);
}

void
advise_json(const struct adv_result *r, struct buf *b)
{
	unsigned	i;

	buf_printf(b, "{\"verdict\":\"%s\",\"workers\":%u,"
	    "\"suggested_workers\":%u,\"window_seconds\":%.3f,"
	    "\"samples\":%u,\"cpus\":%g,\"cpu\":%.4f",
	    adv_verdict_names[r->verdict], r->workers, r->suggested,
	    r->window, r->samples, r->cpus, r->cpu);
	if (r->has_queue)
		buf_printf(b, ",\"queue\":{\"share\":%.4f,\"mean\":%.3f,"
		    "\"max\":%u,\"limit\":%u}", r->queue_share,
		    r->queue_mean, r->queue_max, r->queue_limit);
	else
		buf_printf(b, ",\"queue\":null");
	if (r->has_serving)
		buf_printf(b, ",\"in_service\":{\"peak\":%u,\"mean\":%.3f}",
		    r->serving_peak, r->serving_mean);
	else
		buf_printf(b, ",\"in_service\":null");
	json_share(b, "cpu_pressure", r->has_psi_cpu, r->psi_cpu);
	json_share(b, "memory_pressure", r->has_psi_mem, r->psi_mem);
	json_share(b, "cpu_wait", r->has_wait, r->wait);
	buf_printf(b, ",\"memory_per_worker\":%llu,\"memory_limit\":%llu,"
	    "\"memory_cap\":%u,\"rules\":[",
	    (unsigned long long)r->mem, (unsigned long long)r->mem_limit,
	    r->mem_cap);
	for (i = 0; i < r->nsteps; i++) {
		if (i > 0)
			buf_printf(b, ",");
		buf_json_string(b, r->steps[i]);
	}
	buf_printf(b, "]}\n");
}

void
autoscale_reset(struct autoscale *a)
{
	memset(a, 0, sizeof(*a));
}

/* The size r asks for, one step from r->workers, in [lo, hi]. */
static unsigned
one_step(const struct adv_result *r, unsigned lo, unsigned hi)
{
	unsigned	cur = r->workers, next = r->suggested;

	if (next > cur)
		next = umin(next, cur + umax(1, (cur + 1) / 2));
	else if (next < cur)
		next = umax(next, cur - umin(cur, umax(1, cur / 4)));
	next = umax(lo, next);
	return hi > 0 ? umin(hi, next) : next;
}

unsigned
autoscale_step(struct autoscale *a, const struct adv_params *p,
    const struct adv_result *r, char *why, size_t len)
{
	unsigned	cur = r->workers, next, lo;
	unsigned	w = ++a->windows;

	why[0] = '\0';
	a->too_many = r->verdict == ADV_TOO_MANY ? a->too_many + 1 : 0;
	lo = p->min_workers;
	if (a->floor > 0 && w <= a->floor_until)
		lo = umax(lo, a->floor);
	next = one_step(r, lo, p->max_workers);
	if (next < cur && r->verdict != ADV_TOO_MANY &&
	    r->verdict != ADV_MEMORY_BOUND)
		next = cur;	/* only above the floor or the ceiling */
	if (next < cur && r->verdict == ADV_TOO_MANY &&
	    (a->too_many < AS_SHRINK_AFTER || (a->last_grow > 0 &&
	    w - a->last_grow < AS_HOLD_AFTER_GROW + 1)))
		next = cur;
	if (next > cur) {
		if (a->last_shrink > 0 && w - a->last_shrink <=
		    AS_REGRET_WINDOWS) {
			a->floor = a->before_shrink;
			a->floor_until = w + (AS_FLOOR_WINDOWS <<
			    umin(a->regrets, AS_FLOOR_DOUBLINGS));
			a->regrets++;
		}
		a->last_grow = w;
	} else if (next < cur) {
		a->last_shrink = w;
		a->before_shrink = cur;
		a->too_many = 0;
	}
	if (next != cur) {
		a->changes++;
		(void)snprintf(why, len, "%s: %u -> %u workers (suggested "
		    "%u)", adv_verdict_names[r->verdict], cur, next,
		    r->suggested);
	}
	return next;
}
