/* SPDX-License-Identifier: ISC */
/*
 * The worker of prefork's benchmarks, and their start-up stopwatch.
 *
 *     benchworker                      a worker
 *     benchworker -x FILE PROG [ARG]   stamp FILE, then exec PROG
 *     benchworker -b FILE N            the floor: fork+exec itself N times
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
 * With -b it measures what no exec-based supervisor can beat on this
 * machine: N times, it forks, execs itself as a worker stamping FILE, and
 * prints the nanoseconds from just before fork(2) to the worker's stamp,
 * then kills and reaps the worker and waits 20 ms.
 *
 * Gunicorn's side of the benchmarks records the same clock from its
 * post_fork hook (gunicorn_conf.py), so that both are measured alike.
 *
 * Build: cc -O2 -o benchworker benchworker.c
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
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

static long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The stamp of the file's only line, or -1 while there is none. */
static long long
read_stamp(const char *path)
{
	char		buf[64];
	long long	ns;
	ssize_t		n;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[n - 1] != '\n')
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%*d %lld", &ns) != 1)
		return -1;
	return ns;
}

static int
baseline(const char *self, const char *path, int n)
{
	struct timespec	pause_ts = { 0, 50000 };
	long long	t0, ns, end;
	pid_t		pid;
	int		i;

	if (setenv("BENCH_START_FILE", path, 1) == -1)
		return 1;
	unsetenv("BENCH_CRASH_FILE");
	for (i = 0; i < n; i++) {
		unlink(path);
		t0 = now_ns();
		if ((pid = fork()) == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execl(self, self, (char *)NULL);
			_exit(127);
		}
		end = t0 + 5000000000LL;
		while ((ns = read_stamp(path)) == -1 && now_ns() < end)
			nanosleep(&pause_ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (ns == -1) {
			fprintf(stderr, "no stamp within 5 s\n");
			return 1;
		}
		printf("%lld\n", ns - t0);
		fflush(stdout);
		pause_ts.tv_nsec = 20000000;
		nanosleep(&pause_ts, NULL);
		pause_ts.tv_nsec = 50000;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct timespec	ts;
	long long	ns;
	const char	*crash;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;

	if (argc == 4 && strcmp(argv[1], "-b") == 0)
		return baseline(argv[0], argv[2], atoi(argv[3]));
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
