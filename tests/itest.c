/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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
/* The loads it runs: the teardown stops them. */
static struct it_load	*loads[4];
static size_t		nloads;
/* The pools it_start_pool() started, one per daemon at most. */
static struct it_pool	pools[nitems(daemons)];
static size_t		npools;
/* Names of their own for the sockets and copies, across tests. */
static unsigned		pool_seq;

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
copy_file(const char *from, const char *to, size_t max)
{
	char	buf[65536];
	ssize_t	n;
	size_t	done = 0;
	int	in, out;

	assert_true((in = open(from, O_RDONLY | O_CLOEXEC)) != -1);
	assert_true((out = open(to, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0755)) != -1);
	while (done < max && (n = read(in, buf, max - done < sizeof(buf) ?
	    max - done : sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, (size_t)n), n);
		done += (size_t)n;
	}
	close(in);
	assert_int_equal(close(out), 0);
}

void
copy_testworker(const char *path)
{
	copy_file(t_testworker(), path, SIZE_MAX);
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

	/* Before the daemons: their end is no client's failure then. */
	while (nloads > 0)
		it_load_stop(loads[nloads - 1], NULL);
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
	npools = 0;
	return clean ? 0 : -1;
}

/* The command of a pool: after "--", argv or the test worker. */
static size_t
pool_args(const struct it_pool_opts *o, const char *conf, const char **args,
    size_t max)
{
	const char *const	 tw[] = { t_testworker(), NULL };
	const char *const	*v = o->argv != NULL ? o->argv : tw;
	size_t			 n = 0;

	args[n++] = "-c";
	args[n++] = conf;
	args[n++] = "--";
	for (; *v != NULL; v++) {
		assert_true(n < max - 1);
		args[n++] = *v;
	}
	args[n] = NULL;
	return n;
}

struct it_pool *
it_start_pool(const struct it_pool_opts *o)
{
	struct it_pool	*p;
	const char	*args[40], *wrap[] = { "/bin/sh", "-c",
			    "shift; exec \"$0\" \"$@\"", NULL, NULL };
	char		 listen[PATH_MAX + 32] = "", dir[PATH_MAX], name[32];
	unsigned	 seq = pool_seq++, n, i;

	n = o->expect > 0 ? o->expect : o->workers;
	assert_true(n >= 1 && n <= IT_POOL_MAX);
	assert_true(npools < nitems(pools));
	p = &pools[npools++];
	memset(p, 0, sizeof(*p));
	/*
	 * A socket of its own per daemon: a worker that the last test's
	 * teardown made its master replace holds the master's sockets
	 * until its exec, and would answer at the old path.
	 */
	if (o->control_path != NULL)
		xsnprintf(p->sock, sizeof(p->sock), "%s", o->control_path);
	else if (o->control)
		xsnprintf(p->sock, sizeof(p->sock), "%s/control-%u.sock",
		    t_tmpdir(), seq);
	if (o->tcp) {
		p->port = t_free_port();
		xsnprintf(listen, sizeof(listen), "listen = 127.0.0.1:%u\n",
		    p->port);
	} else if (o->unix_listen != NULL)
		xsnprintf(listen, sizeof(listen), "listen = unix:%s\n",
		    o->unix_listen);
	write_conf(p->conf, o->conf_name != NULL ? o->conf_name : "pool.ini",
	    "[prefork]\nworkers = %u\n%s%s%s%s%s%s", o->workers,
	    p->sock[0] != '\0' ? "control = " : "", p->sock,
	    p->sock[0] != '\0' ? "\n" : "", listen,
	    o->timeouts != NULL ? o->timeouts : "",
	    o->extra != NULL ? o->extra : "");
	pool_args(o, p->conf, args, nitems(args));
	if (o->copy) {
		/* sh execs the copy in its own place: the daemon's pid. */
		xsnprintf(name, sizeof(name), "bin%u", seq);
		xsnprintf(p->bin, sizeof(p->bin), "%s/prefork",
		    subdir(name, dir));
		copy_file(t_prefork(), p->bin, SIZE_MAX);
		wrap[3] = p->bin;
	} else
		xsnprintf(p->bin, sizeof(p->bin), "%s", t_prefork());
	p->d = start(o->env, o->copy ? wrap : NULL, args);
	pool(p->d, p->d->pid, n, p->pids);
	if (p->sock[0] != '\0')
		wait_log(p->d, "control: listening on");
	for (i = 0; o->wait_ready && i < n; i++)
		wait_logf(p->d, "worker %u (pid %ld) ready", i,
		    (long)p->pids[i]);
	return p;
}

int
connect_unix(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void
it_ctl_within(struct t_run *r, const char *sock, unsigned timeout_ms,
    const char *const words[])
{
	const char	*argv[16] = { t_preforkctl(), "-s", sock };
	size_t		 n = 3;

	for (; *words != NULL; words++) {
		assert_true(n < nitems(argv) - 1);
		argv[n++] = *words;
	}
	argv[n] = NULL;
	t_run(r, NULL, argv, timeout_ms);
	if (r->timed_out) {
		fprintf(stderr, "%s%s", r->out, r->err);
		fail_msg("preforkctl %s: no exit within %u ms", argv[3],
		    timeout_ms);
	}
}

void
it_ctl(struct t_run *r, const char *sock, const char *const words[])
{
	it_ctl_within(r, sock, IT_CTL_MS, words);
}

char *
it_ctl_raw(const char *sock, const char *req, size_t len,
    unsigned timeout_ms)
{
	char	*answer;
	int	 fd;

	if ((fd = connect_unix(sock)) == -1)
		fail_msg("connect %s: %s", sock, strerror(errno));
	/* A peer refused may be closed before it asks: the answer says. */
	if (len > 0 && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len &&
	    errno != EPIPE && errno != ECONNRESET)
		fail_msg("send to %s: %s", sock, strerror(errno));
	answer = read_all(fd, timeout_ms);
	close(fd);
	return answer;
}

char *
it_ask(const char *sock, const char *line)
{
	char	 req[512], *answer;

	xsnprintf(req, sizeof(req), "%s\n", line);
	if ((answer = it_ctl_raw(sock, req, strlen(req), it_wait_ms)) ==
	    NULL)
		fail_msg("'%s': no answer within %u ms", line, it_wait_ms);
	return answer;
}

static bool
has_child(void *arg)
{
	pid_t	kid;

	return t_children(*(pid_t *)arg, &kid, 1) >= 1;
}

pid_t
first_child(pid_t parent)
{
	pid_t	kid;

	if (!t_wait_until(has_child, &parent, it_wait_ms))
		fail_msg("pid %ld has no child", (long)parent);
	assert_true(t_children(parent, &kid, 1) >= 1);
	return kid;
}

struct reparented {
	pid_t	pid;
	pid_t	to;
};

static bool
reparented(void *arg)
{
	struct reparented	*r = arg;

	return t_proc_ppid(r->pid) == r->to;
}

void
wait_reparented(const struct t_daemon *d, pid_t pid, pid_t to)
{
	struct reparented	r = { pid, to };

	if (!t_wait_until(reparented, &r, it_wait_ms)) {
		dump_log(d);
		fail_msg("orphan %ld went to %ld, not to %ld", (long)pid,
		    (long)t_proc_ppid(pid), (long)to);
	}
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

double
log_time(const struct t_daemon *d, const char *fmt, ...)
{
	char		 needle[512], *log, *at, *line;
	struct tm	 tm;
	va_list		 ap;
	int		 ms = -1;
	double		 t;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	log = t_daemon_log(d);
	if ((at = strstr(log, needle)) == NULL) {
		free(log);
		dump_log(d);
		fail_msg("no \"%s\" in the log", needle);
	}
	for (line = at; line > log && line[-1] != '\n'; line--)
		continue;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(line, "%d-%d-%d %d:%d:%d.%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		ms = -1;
	free(log);
	if (ms < 0)
		fail_msg("no timestamp on the line of \"%s\"", needle);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (double)timegm(&tm) * 1000 + ms;
	return t;
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

/*
 * The load. Its threads never call cmocka, whose failures jump out of
 * the test's own thread: they count, and the test's thread judges.
 */

/* Latencies kept per client: enough for a p99 from a few seconds. */
#define LOAD_RESERVOIR	2048

struct load_client {
	pthread_t	 thread;
	struct it_load	*load;
	uint64_t	 ok, failed;
	uint64_t	 rng;
	double		 max_ms, last_ms;
	size_t		 nlat;		/* kept in lat[], <= LOAD_RESERVOIR */
	double		 lat[LOAD_RESERVOIR];
};

struct it_load {
	unsigned		 port;
	double			 interval_ms;	/* 0: closed loop */
	double			 start_ms, end_ms;
	atomic_bool		 stop;
	pthread_mutex_t		 lock;		/* for wake */
	pthread_cond_t		 wake;		/* on CLOCK_MONOTONIC */
	size_t			 nclients;
	struct load_client	*clients;
};

static double
load_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Sleeps until t (load_now() time), the stop or the hard end, whichever
 * comes first. Returns false when the load is over.
 */
static bool
load_sleep(struct it_load *l, double t)
{
	struct timespec	ts;

	if (t > l->end_ms)
		t = l->end_ms;
	ts.tv_sec = (time_t)(t / 1e3);
	ts.tv_nsec = (long)((t - (double)ts.tv_sec * 1e3) * 1e6);
	pthread_mutex_lock(&l->lock);
	while (!atomic_load(&l->stop) && load_now() < t)
		if (pthread_cond_timedwait(&l->wake, &l->lock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&l->lock);
	return !atomic_load(&l->stop) && load_now() < l->end_ms;
}

/* Waits for events on fd until deadline. Returns 0, or -1 past it. */
static int
load_poll(int fd, short events, double deadline)
{
	struct pollfd	p = { .fd = fd, .events = events };
	double		left;
	int		n;

	for (;;) {
		if ((left = deadline - load_now()) <= 0)
			return -1;
		n = poll(&p, 1, (int)left + 1);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/*
 * One request: connect, "x\n", the answer to its end, each step with
 * the time left of IT_LOAD_TIMEOUT_MS. Returns whether it was ok.
 */
static bool
load_request(unsigned port)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	double			 deadline = load_now() + IT_LOAD_TIMEOUT_MS;
	char			 buf[256];
	size_t			 len = 0;
	socklen_t		 elen = sizeof(int);
	ssize_t			 n = -1;
	int			 fd, err = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return false;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    (errno != EINPROGRESS || load_poll(fd, POLLOUT, deadline) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
	    err != 0))
		goto out;
	if (load_poll(fd, POLLOUT, deadline) == -1 ||
	    send(fd, "x\n", 2, MSG_NOSIGNAL) != 2)
		goto out;
	/* To the end: only the first bytes are kept, the rest counted. */
	while (load_poll(fd, POLLIN, deadline) == 0) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if ((len += (size_t)n) == sizeof(buf) - 1)
			len = 7;
	}
out:
	close(fd);
	return n == 0 && len >= 7 && memcmp(buf, "worker ", 7) == 0;
}

/* Keeps ms in c's reservoir: each of the ok latencies equally likely. */
static void
load_keep(struct load_client *c, double ms)
{
	uint64_t	j;

	if (ms > c->max_ms)
		c->max_ms = ms;
	if (c->nlat < LOAD_RESERVOIR) {
		c->lat[c->nlat++] = ms;
		return;
	}
	/* xorshift64: a thread's own, cheap and good enough to sample. */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	if ((j = c->rng % c->ok) < LOAD_RESERVOIR)
		c->lat[j] = ms;
}

static void *
load_client(void *arg)
{
	struct load_client	*c = arg;
	struct it_load		*l = c->load;
	double			 t0, next = load_now();

	while (!atomic_load(&l->stop) && load_now() < l->end_ms) {
		t0 = load_now();
		if (load_request(l->port)) {
			c->ok++;
			c->last_ms = load_now();
			load_keep(c, c->last_ms - t0);
		} else {
			c->failed++;
			c->last_ms = load_now();
			/* A refused port must not become a busy loop. */
			if (!load_sleep(l, c->last_ms + 10))
				break;
		}
		/* Paced: the next start, never a burst to catch up. */
		if (l->interval_ms > 0) {
			next += l->interval_ms;
			if (next < load_now())
				next = load_now();
			if (!load_sleep(l, next))
				break;
		}
	}
	return NULL;
}

struct it_load *
it_load_start(unsigned port, unsigned clients, double rate,
    unsigned max_seconds)
{
	struct it_load		*l;
	pthread_condattr_t	 ca;
	size_t			 i;

	assert_true(port > 0 && port <= 65535);
	assert_true(clients >= 1 && clients <= IT_LOAD_MAX_CLIENTS);
	assert_true(rate >= 0 && max_seconds >= 1);
	assert_true(nloads < nitems(loads));
	assert_non_null(l = calloc(1, sizeof(*l)));
	assert_non_null(l->clients = calloc(clients, sizeof(*l->clients)));
	l->port = port;
	l->interval_ms = rate > 0 ? 1e3 / rate : 0;
	atomic_init(&l->stop, false);
	assert_int_equal(pthread_mutex_init(&l->lock, NULL), 0);
	assert_int_equal(pthread_condattr_init(&ca), 0);
	assert_int_equal(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	assert_int_equal(pthread_cond_init(&l->wake, &ca), 0);
	pthread_condattr_destroy(&ca);
	l->start_ms = load_now();
	l->end_ms = l->start_ms + max_seconds * 1e3;
	loads[nloads++] = l;
	for (i = 0; i < clients; i++) {
		l->clients[i].load = l;
		l->clients[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		if (pthread_create(&l->clients[i].thread, NULL, load_client,
		    &l->clients[i]) != 0) {
			it_load_stop(l, NULL);
			fail_msg("cannot start load client %zu of %u", i,
			    clients);
		}
		l->nclients++;
	}
	return l;
}

struct load_sample {
	double	ms;
	double	weight;		/* the ok requests it stands for */
};

static int
load_sample_cmp(const void *a, const void *b)
{
	double	x = ((const struct load_sample *)a)->ms;
	double	y = ((const struct load_sample *)b)->ms;

	return x < y ? -1 : x > y;
}

/*
 * The percentiles of the clients' reservoirs together, each sample
 * weighed by the ok requests of its client it stands for.
 */
static void
load_percentiles(const struct it_load *l, struct it_load_result *r)
{
	struct load_sample	*all;
	double			 total = 0, sum = 0;
	size_t			 i, j, n = 0;

	if ((all = calloc(l->nclients * LOAD_RESERVOIR + 1,
	    sizeof(*all))) == NULL)
		return;
	for (i = 0; i < l->nclients; i++)
		for (j = 0; j < l->clients[i].nlat; j++) {
			all[n].ms = l->clients[i].lat[j];
			all[n++].weight = (double)l->clients[i].ok /
			    (double)l->clients[i].nlat;
		}
	for (i = 0; i < n; i++)
		total += all[i].weight;
	qsort(all, n, sizeof(*all), load_sample_cmp);
	for (i = 0; i < n; i++) {
		sum += all[i].weight;
		if (r->p50_ms == 0 && sum >= total * 0.50)
			r->p50_ms = all[i].ms;
		if (r->p99_ms == 0 && sum >= total * 0.99)
			r->p99_ms = all[i].ms;
	}
	free(all);
}

void
it_load_stop(struct it_load *l, struct it_load_result *r)
{
	struct it_load_result	 res = { 0 };
	double			 last = 0;
	size_t			 i;

	pthread_mutex_lock(&l->lock);
	atomic_store(&l->stop, true);
	pthread_cond_broadcast(&l->wake);
	pthread_mutex_unlock(&l->lock);
	for (i = 0; i < l->nclients; i++) {
		struct load_client	*c = &l->clients[i];

		pthread_join(c->thread, NULL);
		res.ok += c->ok;
		res.failed += c->failed;
		if (c->max_ms > res.max_ms)
			res.max_ms = c->max_ms;
		if (c->last_ms > last)
			last = c->last_ms;
	}
	res.seconds = last > l->start_ms ? (last - l->start_ms) / 1e3 : 0;
	load_percentiles(l, &res);
	for (i = 0; i < nloads; i++)
		if (loads[i] == l) {
			loads[i] = loads[--nloads];
			break;
		}
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	free(l->clients);
	free(l);
	if (r != NULL)
		*r = res;
}
