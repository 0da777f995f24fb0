#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

static char	tmpdir[256];
static pid_t	tmpdir_owner;

const char *
t_prefork(void)
{
	const char	*bin = getenv("PREFORK_BIN");

	if (bin == NULL || *bin == '\0')
		fail_msg("PREFORK_BIN is not set: run the tests with make check");
	return bin;
}

const char *
t_fixture(const char *name)
{
	static char	 path[4096];
	const char	*dir = getenv("PREFORK_FIXTURES");

	if (dir == NULL || *dir == '\0')
		fail_msg("PREFORK_FIXTURES is not set: run the tests with make check");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

double
t_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

bool
t_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
	struct timespec	tick = { 0, 2 * 1000 * 1000 };
	double		deadline = t_now_ms() + timeout_ms;

	for (;;) {
		if (cond(arg))
			return true;
		if (t_now_ms() >= deadline)
			return cond(arg);
		nanosleep(&tick, NULL);
	}
}

static void
t_apply_env(const char *const env[])
{
	const char	*eq;
	char		 name[256];

	for (; env != NULL && *env != NULL; env++) {
		if ((eq = strchr(*env, '=')) == NULL) {
			unsetenv(*env);
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *env), *env);
		setenv(name, eq + 1, 1);
	}
}

/* Appends what is readable on fd to *buf; returns false at EOF. */
static bool
t_drain(int fd, char **buf, size_t *len)
{
	char	chunk[4096];
	ssize_t	n;

	n = read(fd, chunk, sizeof(chunk));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	*buf = realloc(*buf, *len + (size_t)n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return true;
}

void
t_run(struct t_run *r, const char *const env[], const char *const argv[],
    unsigned timeout_ms)
{
	int		 out[2], err[2], status, ws;
	size_t		 outlen = 0, errlen = 0;
	struct pollfd	 pfd[2];
	double		 deadline;
	pid_t		 pid;
	bool		 open_out = true, open_err = true;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	assert_true(r->out != NULL && r->err != NULL);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int	null = open("/dev/null", O_RDONLY);

		t_apply_env(env);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	deadline = t_now_ms() + timeout_ms;
	while (open_out || open_err) {
		double	left = deadline - t_now_ms();

		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		pfd[0] = (struct pollfd){ open_out ? out[0] : -1, POLLIN, 0 };
		pfd[1] = (struct pollfd){ open_err ? err[0] : -1, POLLIN, 0 };
		if (poll(pfd, 2, (int)left + 1) <= 0)
			continue;
		if (pfd[0].revents && !t_drain(out[0], &r->out, &outlen))
			open_out = false;
		if (pfd[1].revents && !t_drain(err[0], &r->err, &errlen))
			open_err = false;
	}
	close(out[0]);
	close(err[0]);
	/* The pipes are closed; only the exit is left to wait for. */
	while ((ws = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		continue;
	assert_int_equal(ws, pid);
	if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else
		r->status = 128 + WTERMSIG(status);
}

void
t_run_free(struct t_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void
t_run_prefork(struct t_run *r, const char *const env[],
    const char *const args[], unsigned timeout_ms)
{
	const char	*argv[64];
	size_t		 n = 0;

	argv[n++] = t_prefork();
	for (; args != NULL && *args != NULL; args++) {
		assert_true(n < 63);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	t_run(r, env, argv, timeout_ms);
}

static int
t_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) == -1)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* Only the process that made the directory removes it. */
static void
t_rmtree(void)
{
	if (tmpdir[0] != '\0' && getpid() == tmpdir_owner)
		nftw(tmpdir, t_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
t_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/prefork-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	tmpdir_owner = getpid();
	atexit(t_rmtree);
	return tmpdir;
}

const char *
t_write_file(const char *name, const char *text)
{
	static char	 path[512];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

bool
t_contains(const char *haystack, const char *needle)
{
	if (haystack != NULL && strstr(haystack, needle) != NULL)
		return true;
	print_error("expected to find \"%s\" in:\n%s\n", needle,
	    haystack ? haystack : "(null)");
	return false;
}

long long
t_json_int(const char *json, const char *key)
{
	char		 pat[128];
	const char	*p;
	char		*end;
	long long	 v;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return -1;
	p += strlen(pat);
	v = strtoll(p, &end, 10);
	return end == p ? -1 : v;
}

char *
t_json_str(const char *json, const char *key, char *buf, size_t len)
{
	char		 pat[128];
	const char	*p, *q;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(json, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((q = strchr(p, '"')) == NULL)
		return NULL;
	snprintf(buf, len, "%.*s", (int)(q - p), p);
	return buf;
}
