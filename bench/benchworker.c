/*
 * The worker of prefork's benchmarks, and their start-up stopwatch.
 *
 *     benchworker                      a worker
 *     benchworker -x FILE PROG [ARG]   stamp FILE, then exec PROG
 *
 * As a worker, the first thing it does is read CLOCK_MONOTONIC and append
 * "PID NANOSECONDS\n" to the file named by BENCH_START_FILE, with one
 * write(2) on an O_APPEND descriptor, so that lines from many workers never
 * interleave. Then it waits for a signal: SIGTERM (or any other fatal
 * signal) ends it with the default action. If BENCH_CRASH_FILE names a file
 * that exists, it exits with status 1 right after the stamp instead: the
 * crash-storm worker.
 *
 * With -x it stamps FILE the same way and execs PROG, so that the line
 * holds the time at which the measured master was executed, under the same
 * PID.
 *
 * Gunicorn's side of the benchmarks records the same clock from its
 * post_fork hook (gunicorn_conf.py), so that both are measured alike.
 *
 * Build: cc -O2 -o benchworker benchworker.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
stamp(const char *path, long long ns)
{
	char	line[64];
	int	fd, n;

	if (path == NULL || *path == '\0')
		return;
	n = snprintf(line, sizeof(line), "%ld %lld\n", (long)getpid(), ns);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* Nothing to do: the benchmark sees a missing line. */
	}
	close(fd);
}

int
main(int argc, char *argv[])
{
	struct timespec	ts;
	long long	ns;
	const char	*crash;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;

	if (argc >= 4 && strcmp(argv[1], "-x") == 0) {
		stamp(argv[2], ns);
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		return 127;
	}
	stamp(getenv("BENCH_START_FILE"), ns);
	crash = getenv("BENCH_CRASH_FILE");
	if (crash != NULL && *crash != '\0' && access(crash, F_OK) == 0)
		_exit(1);
	for (;;)
		pause();
}
