/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "util.h"

#define nitems_of(a)	(sizeof(a) / sizeof((a)[0]))

static char	tmpdir[256];
static pid_t	tmpdir_owner;

/*
 * A test started with 0, 1 or 2 closed (a CI runner's stdin, `make check
 * <&-`) would have its first pipe or log file take that number, then
 * put /dev/null over it in the child it starts: /dev/null fills the gap
 * before main(), as prefork's own main() does for itself.
 */
__attribute__((constructor)) static void
t_std_fds(void)
{
	util_std_fds();
}

const char *
t_prefork(void)
{
	const char	*bin = getenv("PREFORK_BIN");

	if (bin == NULL || *bin == '\0')
		fail_msg("PREFORK_BIN is not set: run the tests with make check");
	return bin;
}

const char *
t_preforkctl(void)
{
	const char	*bin = getenv("PREFORKCTL_BIN");

	if (bin == NULL || *bin == '\0')
		fail_msg("PREFORKCTL_BIN is not set: run the tests with make check");
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

int
t_subreaper(void)
{
	int	err;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		err = errno;
		fprintf(stderr, "PR_SET_CHILD_SUBREAPER: %s\n", strerror(err));
		errno = err;
		return -1;
	}
	return 0;
}

unsigned
t_seed(void)
{
	const char	*v = getenv("PREFORK_TEST_SEED");
	struct timespec	 ts;
	unsigned	 seed;
	char		*end;

	if (v != NULL && *v != '\0') {
		errno = 0;
		seed = (unsigned)strtoul(v, &end, 10);
		if (errno != 0 || *end != '\0')
			fail_msg("PREFORK_TEST_SEED=%s: not a number", v);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec ^
		    ((unsigned)getpid() << 16);
	}
	print_message("seed %u (PREFORK_TEST_SEED=%u replays it)\n", seed,
	    seed);
	srand(seed);
	return seed;
}

bool
t_wait_fd(int fd, short events, double deadline)
{
	struct pollfd	p = { .fd = fd, .events = events };
	double		left;
	int		r;

	for (;;) {
		if ((left = deadline - t_now_ms()) <= 0)
			return false;
		r = poll(&p, 1, (int)left + 1);
		if (r > 0)
			return true;
		if (r == -1 && errno != EINTR)
			return false;
	}
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
	pid_t		 pid, parent = getpid();
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

		/* A test killed takes this along: no teardown runs then. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
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

char *
t_report_wait(const char *dir, pid_t pid, unsigned timeout_ms)
{
	char	 path[PATH_MAX], *raw, *text;

	snprintf(path, sizeof(path), "%s/report.%ld", dir, (long)pid);
	if (!t_wait_file(path, timeout_ms))
		fail_msg("no report from worker %ld in %s", (long)pid, dir);
	raw = util_read_file(path, 1 << 20);
	assert_non_null(raw);
	text = malloc(strlen(raw) + 2);
	assert_non_null(text);
	text[0] = '\n';
	strcpy(text + 1, raw);
	free(raw);
	return text;
}

bool
t_has_line(const char *report, const char *fmt, ...)
{
	char	line[1024], pat[1100];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(pat, sizeof(pat), "\n%s\n", line);
	if (strstr(report, pat) != NULL)
		return true;
	print_error("no line \"%s\" in the report:%s\n", line, report);
	return false;
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

const char *
t_testworker(void)
{
	const char	*bin = getenv("PREFORK_TESTWORKER");

	if (bin == NULL || *bin == '\0')
		fail_msg("PREFORK_TESTWORKER is not set: run the tests with "
		    "make check");
	return bin;
}

/* How many daemons were started: the next one's log is numbered after. */
static unsigned	daemon_seq;

const char *
t_daemon_next_log(void)
{
	static char	path[512];
	int		fd;

	snprintf(path, sizeof(path), "%s/daemon-%u.log", t_tmpdir(),
	    daemon_seq + 1);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd != -1);
	close(fd);
	return path;
}

void
t_daemon_start(struct t_daemon *d, const char *const env[],
    const char *const wrapper[], const char *const args[])
{
	const char	*argv[96];
	size_t		 n = 0;
	pid_t		 parent = getpid();
	int		 fd;

	memset(d, 0, sizeof(*d));
	snprintf(d->log, sizeof(d->log), "%s/daemon-%u.log", t_tmpdir(),
	    ++daemon_seq);
	for (; wrapper != NULL && *wrapper != NULL; wrapper++)
		argv[n++] = *wrapper;
	argv[n++] = t_prefork();
	for (; args != NULL && *args != NULL; args++) {
		assert_true(n < nitems_of(argv) - 1);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd != -1);
	d->pid = fork();
	assert_true(d->pid != -1);
	if (d->pid == 0) {
		int	null = open("/dev/null", O_RDONLY);

		/* A test killed takes its daemon along: no teardown runs. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		t_apply_env(env);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
}

static bool
t_daemon_reaped(void *arg)
{
	struct t_daemon	*d = arg;
	int		 status;
	pid_t		 r;

	if (d->exited)
		return true;
	r = waitpid(d->pid, &status, WNOHANG);
	if (r != d->pid)
		return false;
	d->exited = true;
	d->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	return true;
}

bool
t_daemon_wait(struct t_daemon *d, unsigned timeout_ms)
{
	return t_wait_until(t_daemon_reaped, d, timeout_ms);
}

void
t_daemon_signal(struct t_daemon *d, int sig)
{
	assert_false(d->exited);
	assert_int_equal(kill(d->pid, sig), 0);
}

static size_t	t_scan(pid_t, bool, bool, pid_t *, size_t);

/* Kills every process whose parent is pid, then their children. */
static void
t_kill_tree(pid_t pid)
{
	pid_t	kids[512];
	size_t	i, n;

	n = t_scan(pid, false, true, kids, nitems_of(kids));
	for (i = 0; i < n && i < nitems_of(kids); i++) {
		t_kill_tree(kids[i]);
		kill(kids[i], SIGKILL);
	}
}

void
t_daemon_cleanup(struct t_daemon *d)
{
	if (d->pid <= 0)
		return;
	if (!d->exited) {
		t_kill_tree(d->pid);
		kill(d->pid, SIGKILL);
		t_daemon_wait(d, 5000);
	}
	d->pid = 0;
}

char *
t_daemon_log(const struct t_daemon *d)
{
	FILE	*f = fopen(d->log, "r");
	char	*buf = NULL;
	size_t	 len = 0;
	ssize_t	 n;

	if (f == NULL)
		return strdup("");
	n = getdelim(&buf, &len, '\0', f);
	fclose(f);
	if (n <= 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

struct log_wait {
	const struct t_daemon	*d;
	const char		*needle;
};

static bool
t_log_has(void *arg)
{
	struct log_wait	*w = arg;
	char		*log = t_daemon_log(w->d);
	bool		 found = strstr(log, w->needle) != NULL;

	free(log);
	return found;
}

bool
t_daemon_log_wait(const struct t_daemon *d, const char *needle,
    unsigned timeout_ms)
{
	struct log_wait	 w = { d, needle };
	char		*log;

	if (t_wait_until(t_log_has, &w, timeout_ms))
		return true;
	log = t_daemon_log(d);
	print_error("log never showed \"%s\":\n%s\n", needle, log);
	free(log);
	return false;
}

unsigned
t_daemon_log_count(const struct t_daemon *d, const char *needle)
{
	char		*log = t_daemon_log(d), *p = log;
	unsigned	 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(log);
	return n;
}

/*
 * Reads /proc/PID/stat into buf and returns what follows the command
 * name (which may hold spaces and parentheses): " STATE PPID ...", the
 * third field on. NULL when there is no such process.
 */
static const char *
t_proc_stat_fields(pid_t pid, char *buf, size_t len)
{
	char	 path[64], *p;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	p = fgets(buf, (int)len, f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return NULL;
	return p + 1;
}

/* Reads /proc/PID/stat: the state letter and the parent. */
static bool
t_proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char		 buf[1024];
	const char	*p = t_proc_stat_fields(pid, buf, sizeof(buf));
	int		 pp;

	if (p == NULL || sscanf(p, " %c %d", state, &pp) != 2)
		return false;
	*ppid = pp;
	return true;
}

bool
t_is_guard(pid_t pid)
{
	char	 path[64], comm[64] = "";
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	return strcmp(comm, "prefork-guard\n") == 0;
}

/*
 * The children of parent from /proc, zombies or live ones; a live
 * master's guard only with guard (it is not a worker).
 */
static size_t
t_scan(pid_t parent, bool zombies, bool guard, pid_t *pids, size_t max)
{
	DIR		*dir = opendir("/proc");
	struct dirent	*e;
	size_t		 n = 0;
	char		 state;
	pid_t		 pid, ppid;

	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL) {
		if ((pid = (pid_t)atol(e->d_name)) <= 0)
			continue;
		if (!t_proc_stat(pid, &state, &ppid) || ppid != parent)
			continue;
		if ((state == 'Z') != zombies || state == 'X')
			continue;
		if (!zombies && !guard && t_is_guard(pid))
			continue;
		if (pids != NULL && n < max)
			pids[n] = pid;
		n++;
	}
	closedir(dir);
	return n;
}

pid_t
t_proc_ppid(pid_t pid)
{
	char	state;
	pid_t	ppid;

	return t_proc_stat(pid, &state, &ppid) ? ppid : -1;
}

char
t_proc_state(pid_t pid)
{
	char	state;
	pid_t	ppid;

	return t_proc_stat(pid, &state, &ppid) ? state : '\0';
}

long long
t_proc_cpu_ms(pid_t pid)
{
	char		 buf[1024];
	const char	*p = t_proc_stat_fields(pid, buf, sizeof(buf));
	unsigned long	 utime, stime;
	long		 hz = sysconf(_SC_CLK_TCK);

	/* State, then fields 4 to 13, then utime, stime. */
	if (p == NULL || sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (long long)(utime + stime) * 1000 / (hz > 0 ? hz : 100);
}

long long
t_proc_age_ms(pid_t pid)
{
	char			 buf[1024];
	const char		*p = t_proc_stat_fields(pid, buf, sizeof(buf));
	unsigned long long	 start;
	long			 hz = sysconf(_SC_CLK_TCK);
	struct timespec		 now;

	/* starttime is field 22: the 20th after the name. */
	if (p == NULL || sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &start) != 1)
		return -1;
	if (clock_gettime(CLOCK_BOOTTIME, &now) == -1)
		return -1;
	if (hz <= 0)
		hz = 100;
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 -
	    (long long)(start * 1000 / (unsigned long long)hz);
}

long long
t_proc_status_num(pid_t pid, const char *key)
{
	char		 path[64], line[256];
	size_t		 klen = strlen(key);
	long long	 v = -1;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static bool
t_file_exists(void *path)
{
	return access(path, F_OK) == 0;
}

bool
t_wait_file(const char *path, unsigned timeout_ms)
{
	if (t_wait_until(t_file_exists, (void *)path, timeout_ms))
		return true;
	print_error("%s never appeared\n", path);
	return false;
}

size_t
t_children(pid_t parent, pid_t *pids, size_t max)
{
	return t_scan(parent, false, false, pids, max);
}

pid_t
t_guard_of(pid_t master)
{
	pid_t	kids[512];
	size_t	i, n;

	n = t_scan(master, false, true, kids, nitems_of(kids));
	for (i = 0; i < n && i < nitems_of(kids); i++)
		if (t_is_guard(kids[i]))
			return kids[i];
	return -1;
}

size_t
t_zombies(pid_t parent)
{
	return t_scan(parent, true, false, NULL, 0);
}

bool
t_alive(pid_t pid)
{
	char	state;
	pid_t	ppid;

	return t_proc_stat(pid, &state, &ppid) && state != 'Z' &&
	    state != 'X';
}

const char *
t_proc_env(pid_t pid, const char *name)
{
	static char	 val[4096];
	char		 path[64], *buf = NULL, *p;
	size_t		 len = 0, nlen = strlen(name);
	ssize_t		 n;
	FILE		*f;
	const char	*found = NULL;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = getdelim(&buf, &len, EOF, f);
	fclose(f);
	for (p = buf; n > 0 && p < buf + n; p += strlen(p) + 1) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			snprintf(val, sizeof(val), "%s", p + nlen + 1);
			found = val;
			break;
		}
	}
	free(buf);
	return found;
}

int
t_worker_slot(pid_t pid)
{
	const char	*v = t_proc_env(pid, "PREFORK_WORKER_ID");

	return v != NULL ? atoi(v) : -1;
}

struct pool_wait {
	pid_t		 parent;
	unsigned	 n;
	pid_t		*by_slot;
	char		 seen[512];
};

static bool
t_pool_is(void *arg)
{
	struct pool_wait	*w = arg;
	pid_t			 kids[4096];
	size_t			 i, n, len = 0;
	int			 slot;

	n = t_children(w->parent, kids, nitems_of(kids));
	w->seen[0] = '\0';
	for (i = 0; i < n && i < nitems_of(kids); i++) {
		slot = t_worker_slot(kids[i]);
		if (len < sizeof(w->seen))
			len += (size_t)snprintf(w->seen + len,
			    sizeof(w->seen) - len, " %ld:%d", (long)kids[i],
			    slot);
	}
	if (n != w->n)
		return false;
	for (i = 0; i < w->n; i++)
		w->by_slot[i] = 0;
	for (i = 0; i < n; i++) {
		slot = t_worker_slot(kids[i]);
		/* Still between fork and exec, or a stranger. */
		if (slot < 0 || (unsigned)slot >= w->n || w->by_slot[slot])
			return false;
		w->by_slot[slot] = kids[i];
	}
	return true;
}

bool
t_pool_now(pid_t parent, unsigned n, pid_t *by_slot)
{
	struct pool_wait	w = { parent, n, by_slot, "" };

	return t_pool_is(&w);
}

bool
t_wait_pool(pid_t parent, unsigned n, pid_t *by_slot, unsigned timeout_ms)
{
	struct pool_wait	w = { parent, n, by_slot, "" };

	if (t_wait_until(t_pool_is, &w, timeout_ms))
		return true;
	print_error("wanted %u workers of pid %ld, saw (pid:slot)%s\n", n,
	    (long)parent, w.seen);
	return false;
}

unsigned
t_free_port(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		len = sizeof(sin);
	int			fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

long
t_daemon_log_pos(const struct t_daemon *d, const char *needle, long from)
{
	char	*log = t_daemon_log(d), *p = NULL;
	long	 pos = -1;

	if (from >= 0 && (size_t)from <= strlen(log))
		p = strstr(log + from, needle);
	if (p != NULL)
		pos = (long)(p - log);
	free(log);
	return pos;
}

size_t
t_dir_entries(const char *path)
{
	DIR		*d = opendir(path);
	struct dirent	*e;
	size_t		 n = 0;

	if (d == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
