/* SPDX-License-Identifier: ISC */
/*
 * The pool advisor: pure. A series of samples of the running pool, taken
 * by the master over a window, goes in; a verdict, a suggested size and
 * every figure and rule that led there come out. Autoscale's step, from
 * one verdict to the next size, is here too, with the memory that keeps
 * it from flapping. No clock, no I/O: the decision is tested on recorded
 * and synthetic series (tests/advise_test.c).
 *
 * The signals are the ones the master sees without the workers' help:
 * the pool's CPU time against the CPUs it may use, the accept queue of
 * the TCP listeners it holds, how many connections its workers hold in
 * service, pressure stall information, and memory per worker against
 * the memory limit. prefork(8), SIZING UNDER LOAD, is the contract; the
 * thresholds below are its numbers.
 */
#ifndef PREFORK_ADVISE_H
#define PREFORK_ADVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The pool's share of its CPUs above which it is CPU-bound. */
#define ADV_CPU_HIGH		0.80
/* Below it, with no queue, the pool is too large; a shrink aims at... */
#define ADV_CPU_LOW		0.60
/* ...this share. */
#define ADV_CPU_TARGET		0.70
/* A queue in more than this share of the samples: most of the window. */
#define ADV_QUEUE_MOST		0.50
/* A queue in at most this share: none to speak of. */
#define ADV_QUEUE_RARE		0.10
/*
 * CPU pressure ("some") above this share, while the pool itself uses at
 * least ADV_CPU_PSI_MIN of its CPUs: the CPUs are contended. A pool that
 * barely computes waits on something else, however busy the machine.
 */
#define ADV_PSI_CPU_HIGH	0.20
#define ADV_CPU_PSI_MIN		0.40
/*
 * Where the kernel tells how long the workers waited for a CPU, that
 * replaces pressure: contended when they waited at least ADV_WAIT_HIGH
 * of their time, and ran or waited at least ADV_RUNNABLE_MIN of it.
 */
#define ADV_WAIT_HIGH		0.20
#define ADV_RUNNABLE_MIN	0.50
/* Memory pressure above this share: the pool must not grow. */
#define ADV_PSI_MEM_HIGH	0.10
/* The fewest samples a verdict is drawn from. */
#define ADV_SAMPLES_MIN		3

/* One reading of the pool; the counters are cumulative. */
struct adv_sample {
	double		t;		/* monotonic seconds */
	unsigned	workers;	/* live */
	double		cpu;		/* the pool's CPU seconds so far */
	bool		has_queue;	/* a TCP listener's queue was read */
	uint32_t	queue;		/* connections waiting for accept() */
	uint32_t	queue_limit;
	bool		has_serving;	/* connections in service were read */
	uint32_t	serving;	/* accepted, held by the workers */
	bool		has_psi_cpu;
	bool		has_psi_mem;
	double		psi_cpu;	/* seconds of "some" CPU stall */
	double		psi_mem;	/* seconds of "some" memory stall */
	bool		has_wait;
	double		wait;		/* the workers' seconds waiting for
					   a CPU */
	uint64_t	mem;		/* bytes per worker, mean; 0: unknown */
};

/* What the pool may use. */
struct adv_params {
	double		cpus;		/* > 0 */
	uint64_t	mem_limit;	/* bytes; 0: unknown */
	unsigned	min_workers;	/* >= 1 */
	unsigned	max_workers;	/* a ceiling (autoscale_max); 0: none */
};

enum adv_verdict {
	ADV_RIGHT_SIZED,
	ADV_TOO_FEW,
	ADV_TOO_MANY,
	ADV_CPU_BOUND,
	ADV_MEMORY_BOUND,
	ADV_VERDICT_COUNT
};

/* "right-sized", "too-few", "too-many", "cpu-bound", "memory-bound". */
extern const char *const	adv_verdict_names[ADV_VERDICT_COUNT];

#define ADV_STEPS_MAX	12
#define ADV_STEP_LEN	200

struct adv_result {
	enum adv_verdict verdict;
	unsigned	workers;	/* at the end of the window */
	unsigned	suggested;
	double		window;		/* seconds */
	unsigned	samples;
	double		cpus;
	double		cpu;		/* the pool's share of its CPUs */
	bool		has_queue;
	double		queue_share;	/* of the samples with a queue */
	double		queue_mean;
	uint32_t	queue_max;
	uint32_t	queue_limit;
	bool		has_serving;
	uint32_t	serving_peak;
	double		serving_mean;
	bool		has_psi_cpu;
	bool		has_psi_mem;
	double		psi_cpu;	/* share of the window stalled */
	double		psi_mem;
	bool		has_wait;
	double		run;		/* share of the workers' time on a
					   CPU... */
	double		wait;		/* ...and waiting for one */
	uint64_t	mem;		/* bytes per worker; 0: unknown */
	uint64_t	mem_limit;
	unsigned	mem_cap;	/* workers the limit holds; 0: none */
	unsigned	nsteps;
	char		steps[ADV_STEPS_MAX][ADV_STEP_LEN];
};

/*
 * Judges the samples s[0..n-1], in time order, under p into *r. Returns
 * 0, or -1 when the series cannot be judged: fewer than ADV_SAMPLES_MIN
 * samples, time not moving forward, or a counter running backwards (r
 * then says why in steps[0]).
 */
int	advise(const struct adv_params *p, const struct adv_sample *s,
	    size_t n, struct adv_result *r);

/*
 * The result as text in the style of --explain (the verdict, then each
 * figure, then each rule), or as one JSON object, appended to b.
 */
void	advise_text(const struct adv_result *r, struct buf *b);
void	advise_json(const struct adv_result *r, struct buf *b);

/* Shrinking waits for this many too-many windows in a row... */
#define AS_SHRINK_AFTER		2
/* ...and this many windows after a growth. */
#define AS_HOLD_AFTER_GROW	3
/* A growth this soon after a shrink makes the size before it a floor... */
#define AS_REGRET_WINDOWS	3
/* ...for this many windows, doubled at each regret, at most... */
#define AS_FLOOR_WINDOWS	10
/* ...this many times. */
#define AS_FLOOR_DOUBLINGS	3

/*
 * Autoscale's memory between windows. Zero it (or autoscale_reset())
 * when the size starts again from the configuration.
 */
struct autoscale {
	unsigned	windows;	/* judged since the reset */
	unsigned	last_grow;	/* window of the last growth, 0: none */
	unsigned	last_shrink;	/* of the last shrink, 0: none */
	unsigned	before_shrink;	/* the size it left */
	unsigned	too_many;	/* too-many verdicts in a row */
	unsigned	floor;		/* no shrink below, until... */
	unsigned	floor_until;	/* ...this window */
	unsigned	regrets;	/* growths soon after a shrink */
	unsigned	changes;	/* made since the reset */
};

void	autoscale_reset(struct autoscale *a);

/*
 * One window's step: from the verdict r on the current size
 * r->workers, the size to set now (r->workers itself for none), at most
 * half the size up or a quarter down, within [min_workers, max_workers]
 * of p, with the reason in why (a line for the log; "" for none).
 * Growth is at once; a shrink waits for AS_SHRINK_AFTER too-many
 * windows in a row and for AS_HOLD_AFTER_GROW windows after a growth;
 * a growth that follows a shrink within AS_REGRET_WINDOWS makes the
 * size before that shrink a floor for AS_FLOOR_WINDOWS windows, twice
 * as long at each such regret (AS_FLOOR_DOUBLINGS times at most). Call it
 * once per window, only with windows that began after the last change
 * took effect.
 */
unsigned	autoscale_step(struct autoscale *a, const struct adv_params *p,
		    const struct adv_result *r, char *why, size_t len);

#endif /* PREFORK_ADVISE_H */
