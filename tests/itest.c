#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "util.h"

#define DUMP_MAX	65536

unsigned	it_wait_ms = 5000;

const char *const it_clean_env[] = {
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "PREFORK_SYSROOT",
	NULL,
};

/*
 * The daemons a test started, and the workers it saw: the teardown ends
 * them all, even after a failed assertion.
 */
static struct t_daemon	daemons[4];
static size_t		ndaemons;
static pid_t		seen[256];
static size_t		nseen;
/* The sockets it holds: the teardown closes them. */
static int		held[16];
static size_t		nheld;

void
it_init(unsigned wait_ms, const char *filter_env, bool no_cores)
{
	struct rlimit	rl;

	it_wait_ms = wait_ms;
	if (getenv(filter_env) != NULL)
		cmocka_set_test_filter(getenv(filter_env));
	if (no_cores && getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
}

void
xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("text too long for its buffer: %s", buf);
}

struct t_daemon *
start(const char *const env[], const char *const wrapper[],
    const char *const args[])
{
	const char	*all[32];
	size_t		 n = 0, i;

	assert_true(ndaemons < nitems(daemons));
	for (i = 0; it_clean_env[i] != NULL; i++)
		all[n++] = it_clean_env[i];
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		assert_true(n < nitems(all) - 1);
		all[n++] = env[i];
	}
	all[n] = NULL;
	t_daemon_start(&daemons[ndaemons], all, wrapper, args);
	return &daemons[ndaemons++];
}

void
copy_testworker(const char *path)
{
	char	buf[65536];
	ssize_t	n;
	int	in, out;

	assert_true((in = open(t_testworker(), O_RDONLY | O_CLOEXEC)) != -1);
	assert_true((out = open(path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0755)) != -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
}

void
remember(const pid_t *pids, size_t n)
{
	size_t	i;

	for (i = 0; i < n && nseen < nitems(seen); i++)
		seen[nseen++] = pids[i];
}

int
hold(int fd)
{
	assert_true(fd != -1);
	assert_true(nheld < nitems(held));
	held[nheld++] = fd;
	return fd;
}

void
unhold(int fd)
{
	size_t	i;

	for (i = 0; i < nheld; i++)
		if (held[i] == fd) {
			held[i] = held[--nheld];
			break;
		}
	close(fd);
}

int
it_teardown(void)
{
	size_t	i;
	bool	clean = true;

	for (i = 0; i < ndaemons; i++)
		t_daemon_cleanup(&daemons[i]);
	/* A worker the master left behind: still ours if it has a slot. */
	for (i = 0; i < nseen; i++)
		if (t_alive(seen[i]) && t_worker_slot(seen[i]) >= 0)
			kill(seen[i], SIGKILL);
	nseen = 0;
	for (i = 0; i < nheld; i++)
		close(held[i]);
	nheld = 0;
	for (i = 0; i < ndaemons; i++) {
		char	*log = t_daemon_log(&daemons[i]);

		if (sanitizer_report(log)) {
			dump_log(&daemons[i]);
			clean = false;
		}
		free(log);
	}
	ndaemons = 0;
	return clean ? 0 : -1;
}

void
dump_log(const struct t_daemon *d)
{
	char	*log = t_daemon_log(d);
	size_t	 len = strlen(log);

	fflush(stdout);
	fprintf(stderr, "--- %s%s ---\n%s--- end of %s ---\n", d->log,
	    len > DUMP_MAX ? " (its end)" : "", len > DUMP_MAX ?
	    log + len - DUMP_MAX : log, d->log);
	fflush(stderr);
	free(log);
}

bool
sanitizer_report(const char *text)
{
	return strstr(text, "runtime error") != NULL ||
	    strstr(text, "Sanitizer") != NULL;
}

void
assert_no_sanitizer_report(const struct t_daemon *d)
{
	char	*log = t_daemon_log(d);
	bool	 found = sanitizer_report(log);

	free(log);
	if (found) {
		dump_log(d);
		fail_msg("sanitizer report in %s", d->log);
	}
}

void
it_run_prefork(struct t_run *r, const char *const args[],
    unsigned timeout_ms)
{
	t_run_prefork(r, it_clean_env, args, timeout_ms);
	if (r->timed_out) {
		fprintf(stderr, "%s", r->err);
		fail_msg("prefork did not exit within %u ms", timeout_ms);
	}
	if (sanitizer_report(r->err)) {
		fprintf(stderr, "%s", r->err);
		fail_msg("sanitizer report");
	}
}

const char *
subdir(const char *name, char *buf)
{
	xsnprintf(buf, PATH_MAX, "%s/%s", t_tmpdir(), name);
	assert_int_equal(mkdir(buf, 0700), 0);
	return buf;
}

void
it_skip_unless(const char *const argv[], const char *why)
{
	struct t_run	r;

	t_run(&r, NULL, argv, it_wait_ms);
	if (r.status != 0) {
		print_message("skipped: %s (%d): %s\n", why, r.status, r.err);
		t_run_free(&r);
		skip();
	}
	t_run_free(&r);
}

const char *
it_nobody_dir(const char *name, char *buf, bool worker)
{
	/* Without worker, the list ends before the worker's test. */
	it_skip_unless((const char *const[]){ "setpriv", "--reuid=nobody",
	    "--regid=nogroup", "--clear-groups", "test", "-x", t_prefork(),
	    worker ? "-a" : NULL, "-x", t_testworker(), NULL },
	    "nobody cannot run the build's binaries through setpriv");
	subdir(name, buf);
	assert_int_equal(chmod(t_tmpdir(), 0711), 0);
	assert_int_equal(chmod(buf, 0755), 0);
	return buf;
}

const char *
write_conf(char *buf, const char *name, const char *fmt, ...)
{
	char	text[4096], tmp[PATH_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		fail_msg("configuration %s too long", name);
	xsnprintf(tmp, sizeof(tmp), "%s.new", name);
	xsnprintf(tmp, sizeof(tmp), "%s", t_write_file(tmp, text));
	xsnprintf(buf, PATH_MAX, "%s/%s", t_tmpdir(), name);
	assert_int_equal(rename(tmp, buf), 0);
	return buf;
}

void
pool_within(const struct t_daemon *d, pid_t master, unsigned n,
    pid_t *by_slot, unsigned timeout_ms)
{
	if (!t_wait_pool(master, n, by_slot, timeout_ms)) {
		dump_log(d);
		fail_msg("no pool of %u within %u ms", n, timeout_ms);
	}
	remember(by_slot, n);
}

void
pool(const struct t_daemon *d, pid_t master, unsigned n, pid_t *by_slot)
{
	pool_within(d, master, n, by_slot, it_wait_ms);
}

bool
gone(void *arg)
{
	return !t_alive(*(pid_t *)arg);
}

void
wait_gone(pid_t pid, unsigned timeout_ms)
{
	if (!t_wait_until(gone, &pid, timeout_ms))
		fail_msg("pid %ld still alive after %u ms", (long)pid,
		    timeout_ms);
}

void
wait_log(const struct t_daemon *d, const char *needle)
{
	if (!t_daemon_log_wait(d, needle, it_wait_ms)) {
		dump_log(d);
		fail_msg("no \"%s\" in the log", needle);
	}
}

void
wait_logf(const struct t_daemon *d, const char *fmt, ...)
{
	char	needle[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	wait_log(d, needle);
}

struct log_count {
	const struct t_daemon	*d;
	const char		*needle;
	unsigned		 n;
};

static bool
log_count_reached(void *arg)
{
	struct log_count	*c = arg;

	return t_daemon_log_count(c->d, c->needle) >= c->n;
}

void
wait_log_count(const struct t_daemon *d, const char *needle, unsigned n)
{
	struct log_count	c = { d, needle, n };

	if (!t_wait_until(log_count_reached, &c, it_wait_ms)) {
		dump_log(d);
		fail_msg("\"%s\" %u times in the log, not %u", needle,
		    t_daemon_log_count(d, needle), n);
	}
}

bool
log_has(const struct t_daemon *d, const char *fmt, ...)
{
	char	needle[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	return t_daemon_log_count(d, needle) > 0;
}

long
log_pos(const struct t_daemon *d, const char *fmt, ...)
{
	char	needle[512];
	va_list	ap;
	long	pos;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	if ((pos = t_daemon_log_pos(d, needle, 0)) == -1) {
		dump_log(d);
		fail_msg("no \"%s\" in the log", needle);
	}
	return pos;
}

void
wait_exit(struct t_daemon *d, unsigned timeout_ms, int status)
{
	if (!t_daemon_wait(d, timeout_ms)) {
		dump_log(d);
		fail_msg("prefork still running after %u ms", timeout_ms);
	}
	if (d->status != status) {
		dump_log(d);
		fail_msg("prefork exited %d, not %d", d->status, status);
	}
	assert_no_sanitizer_report(d);
}

struct aged {
	const pid_t	*pids;
	unsigned	 n;
	unsigned	 ms;
};

static bool
aged(void *arg)
{
	struct aged	*a = arg;
	unsigned	 i;

	/* The age may be a clock tick too high: 20 ms to spare. */
	for (i = 0; i < a->n; i++)
		if (t_proc_age_ms(a->pids[i]) < a->ms + 20)
			return false;
	return true;
}

void
wait_lived(const pid_t *pids, unsigned n, unsigned ms)
{
	struct aged	a = { pids, n, ms };

	if (!t_wait_until(aged, &a, it_wait_ms))
		fail_msg("the workers did not live %u ms", ms);
}

void
observe(unsigned ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

int
connect_port(unsigned port)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

char *
read_all(int fd, unsigned timeout_ms)
{
	double	 deadline = t_now_ms() + timeout_ms;
	size_t	 len = 0, cap = 1 << 16;
	char	*buf = malloc(cap + 1);
	ssize_t	 n;

	assert_non_null(buf);
	for (;;) {
		if (!t_wait_fd(fd, POLLIN, deadline)) {
			free(buf);
			return NULL;
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			assert_non_null(buf = realloc(buf, cap + 1));
		}
	}
	buf[len] = '\0';
	return buf;
}

const char *
it_http_worker(void)
{
	static char	path[PATH_MAX];
	const char	*src = getenv("PREFORK_SRCDIR");

	if (src == NULL)
		fail_msg("PREFORK_SRCDIR is not set: run it by make check");
	xsnprintf(path, sizeof(path), "%s/examples/http_worker.py", src);
	if (access(path, R_OK) == -1)
		fail_msg("%s: %s", path, strerror(errno));
	return path;
}

static bool
master_sleeping(void *pid)
{
	return t_proc_state(*(const pid_t *)pid) == 'S';
}

void
assert_master_idle(const struct t_daemon *d, const pid_t *pids,
    unsigned n, unsigned min_uptime_ms, const char *what)
{
	long long	v0, v1;
	pid_t		master = d->pid;

	assert_true(t_wait_until(master_sleeping, &master, it_wait_ms));
	/* A pool just started has its min_uptime deadlines: past them. */
	wait_lived(pids, n, min_uptime_ms);
	observe(100);
	v0 = t_proc_status_num(master, "voluntary_ctxt_switches");
	/* The window is the measurement: an idle master never wakes in it. */
	observe(1500);
	v1 = t_proc_status_num(master, "voluntary_ctxt_switches");
	print_message("idle master with %s: %lld -> %lld voluntary "
	    "switches\n", what, v0, v1);
	assert_true(v0 >= 0);
	assert_int_equal(v1, v0);
}
