/* SPDX-License-Identifier: ISC */
/*
 * What sample_groups() costs: the memory of N process groups, their
 * descendants included, in one scan of /proc.
 *
 *     groups RUNS PGID...
 *
 * Calls sample_groups("/proc", PGIDS) RUNS times, after one call not
 * timed, and prints the median, the 10th and 90th percentiles and the
 * fastest of the wall time per call (CLOCK_MONOTONIC), the median CPU
 * time per call (CLOCK_PROCESS_CPUTIME_ID), and the median per group. Then,
 * for comparison, the same for sample_proc() on each group's leader, one
 * after the other: what the metrics sample does for its workers today,
 * descendants left out, and for the scan alone: sample_groups() of one
 * group that no process is in, which reads every process's stat and no
 * smaps_rollup. Last, what the groups held at the last call:
 * members counted, and how many groups had their PSS. bench/groups
 * starts the groups and builds this against a build's libprefork.a.
 */
#define _GNU_SOURCE
#include <sys/types.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sample.h"

struct figures {
	double	wall[3];	/* p10, median, p90, in seconds */
	double	min;
	double	cpu;		/* median */
};

static double
now(clockid_t c)
{
	struct timespec	ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of the n sorted values, by the nearest rank. */
static double
quantile(const double *v, size_t n, double q)
{
	size_t	i = (size_t)(q * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static void
summarize(double *wall, double *cpu, size_t runs, struct figures *f)
{
	qsort(wall, runs, sizeof(*wall), cmp_double);
	qsort(cpu, runs, sizeof(*cpu), cmp_double);
	f->wall[0] = quantile(wall, runs, 0.1);
	f->wall[1] = quantile(wall, runs, 0.5);
	f->wall[2] = quantile(wall, runs, 0.9);
	f->min = wall[0];
	f->cpu = quantile(cpu, runs, 0.5);
}

/* The figures, and the median divided among n of what per names. */
static void
print(const char *what, const struct figures *f, size_t n, const char *per)
{
	printf("%-22s median %8.3f ms (p10 %.3f, p90 %.3f, min %.3f), "
	    "CPU %.3f ms; per %s %.1f us\n", what, f->wall[1] * 1e3,
	    f->wall[0] * 1e3, f->wall[2] * 1e3, f->min * 1e3, f->cpu * 1e3,
	    per, f->wall[1] * 1e6 / (double)(n > 0 ? n : 1));
}

/* The numeric entries of /proc: the processes a scan walks. */
static size_t
count_procs(void)
{
	struct dirent	*e;
	DIR		*d;
	size_t		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

/* What is timed: one call, on the n groups of pgids. */
struct job {
	const pid_t		*pgids;
	size_t			 n;
	struct sample_group	*g;
	struct sample_sys	 sys;
};

static void
job_groups(struct job *j)
{
	if (sample_groups("/proc", j->pgids, j->n, j->g) == -1) {
		perror("sample_groups");
		exit(71);
	}
}

/* The scan alone: a group that no process is in (above pid_max). */
static void
job_scan(struct job *j)
{
	static const pid_t	none = 0x7ffffff0;
	struct sample_group	g;

	if (sample_groups("/proc", &none, 1, &g) == -1) {
		perror("sample_groups");
		exit(71);
	}
}

static void
job_leaders(struct job *j)
{
	struct sample_proc	p;
	size_t			i;

	for (i = 0; i < j->n; i++)
		(void)sample_proc(&j->sys, "/proc", j->pgids[i], &p);
}

/* Times runs calls of fn, after one not counted that warms the caches. */
static void
timeit(void (*fn)(struct job *), struct job *j, double *wall, double *cpu,
    size_t runs, struct figures *f)
{
	double	w, c;
	size_t	r;

	for (r = 0; r <= runs; r++) {
		w = now(CLOCK_MONOTONIC);
		c = now(CLOCK_PROCESS_CPUTIME_ID);
		fn(j);
		if (r > 0) {
			wall[r - 1] = now(CLOCK_MONOTONIC) - w;
			cpu[r - 1] = now(CLOCK_PROCESS_CPUTIME_ID) - c;
		}
	}
	summarize(wall, cpu, runs, f);
}

int
main(int argc, char *argv[])
{
	struct figures	 fg, fs, fp;
	struct job	 j;
	double		*wall, *cpu;
	pid_t		*pgids;
	size_t		 runs, n, i, members = 0, exact = 0, procs;

	if (argc < 3 || (runs = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: groups RUNS PGID...\n");
		return 64;
	}
	n = (size_t)argc - 2;
	pgids = calloc(n, sizeof(*pgids));
	j.g = calloc(n, sizeof(*j.g));
	wall = calloc(runs, sizeof(*wall));
	cpu = calloc(runs, sizeof(*cpu));
	if (pgids == NULL || j.g == NULL || wall == NULL || cpu == NULL ||
	    sample_init(&j.sys, "/proc") == -1) {
		perror("groups");
		return 71;
	}
	for (i = 0; i < n; i++)
		pgids[i] = (pid_t)strtol(argv[i + 2], NULL, 10);
	j.pgids = pgids;
	j.n = n;
	procs = count_procs();

	timeit(job_groups, &j, wall, cpu, runs, &fg);
	for (i = 0; i < n; i++) {
		members += j.g[i].nprocs;
		exact += j.g[i].has_pss;
	}
	timeit(job_scan, &j, wall, cpu, runs, &fs);
	timeit(job_leaders, &j, wall, cpu, runs, &fp);

	printf("groups:                %zu, %zu processes in them, %zu in "
	    "/proc; %zu runs\n", n, members, procs, runs);
	print("sample_groups():", &fg, n, "group");
	print("the scan alone:", &fs, procs, "process");
	print("sample_proc() each:", &fp, n, "group");
	printf("groups with their PSS: %zu of %zu\n", exact, n);
	free(pgids);
	free(j.g);
	free(wall);
	free(cpu);
	return 0;
}
