/* SPDX-License-Identifier: ISC */
/*
 * scrape_test: the metrics outputs of prefork(8) METRICS with the real
 * daemon: metrics_listen's GET /metrics (valid for promtool) and GET
 * /healthz, its refusals and limits, a worker replaced at once while idle
 * clients hold connections; metrics_file, replaced atomically; and a real
 * Prometheus server scraping the pool (skipped, saying why, when
 * prometheus or promtool is not installed).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

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
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "testlib.h"
#include "util.h"

#define WAIT_MS		20000
#define TIMEOUTS	"graceful_timeout = 500ms\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 200ms\n"

/* The Prometheus server a test started, ended by the teardown. */
static pid_t	prometheus = -1;

static int
teardown(void **state)
{
	int	status;

	(void)state;
	if (prometheus != -1) {
		kill(prometheus, SIGKILL);
		waitpid(prometheus, &status, 0);
		prometheus = -1;
	}
	return it_teardown();
}

/*
 * Sends req to 127.0.0.1:port and returns the whole answer (the caller
 * frees), "" when the server closed without one, NULL when it did not
 * answer in time or refused the connection.
 */
static char *
http_raw(unsigned port, const char *req, size_t len)
{
	char	*answer;
	int	 fd;

	if ((fd = connect_port(port)) == -1)
		return NULL;
	if (len > 0 && send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return strdup("");
	}
	answer = read_all(fd, WAIT_MS);
	close(fd);
	return answer;
}

/* The status code of an answer, or 0. */
static int
status_of(const char *answer)
{
	int	code = 0;

	if (answer == NULL || sscanf(answer, "HTTP/1.1 %d ", &code) != 1)
		return 0;
	return code;
}

static char *
http_get(unsigned port, const char *path)
{
	char	req[256];

	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n"
	    "\r\n", path);
	return http_raw(port, req, strlen(req));
}

/* The body of an answer. */
static const char *
body_of(const char *answer)
{
	const char	*p = strstr(answer, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

static bool	answers_metrics(void *);

static bool
have(const char *program)
{
	struct t_run	r;
	char		cmd[128];
	int		status;

	xsnprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", program);
	t_run(&r, NULL, (const char *const[]){ "sh", "-c", cmd, NULL },
	    WAIT_MS);
	status = r.status;
	t_run_free(&r);
	return status == 0;
}

/* promtool check metrics on the file at path; false if no promtool. */
static bool
promtool_check(const char *path)
{
	struct t_run	r;
	char		cmd[PATH_MAX + 64];

	if (!have("promtool")) {
		print_message("promtool is not installed (Debian: apt-get "
		    "install prometheus): not checked\n");
		return false;
	}
	xsnprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
	t_run(&r, NULL, (const char *const[]){ "sh", "-c", cmd, NULL },
	    20000);
	if (r.status != 0)
		fail_msg("promtool check metrics %s: exit %d: %s%s", path,
		    r.status, r.out, r.err);
	t_run_free(&r);
	return true;
}

/* Starts a pool of n with metrics_listen on a free port. */
static struct t_daemon *
start_pool(unsigned n, const char *extra, unsigned *port, pid_t *by_slot)
{
	struct it_pool	*p;
	char		 keys[512];

	*port = t_free_port();
	xsnprintf(keys, sizeof(keys), "metrics_listen = 127.0.0.1:%u\n%s",
	    *port, extra);
	p = it_start_pool(&(const struct it_pool_opts){ .workers = n,
	    .timeouts = TIMEOUTS, .extra = keys, .conf_name = "scrape.ini" });
	memcpy(by_slot, p->pids, n * sizeof(*by_slot));
	wait_log(p->d, "metrics: serving");
	return p->d;
}

/* GET /metrics: the pool, its listener, valid for promtool; HEAD too. */
static void
test_metrics_served(void **state)
{
	struct t_daemon	*d;
	unsigned	 port, app = t_free_port();
	pid_t		 a[3];
	char		 extra[64], want[128], *ans;

	xsnprintf(extra, sizeof(extra), "listen = 127.0.0.1:%u\n", app);
	d = start_pool(3, extra, &port, a);
	wait_lived(a, 3, 200);
	ans = http_get(port, "/metrics");
	assert_int_equal(status_of(ans), 200);
	assert_true(t_contains(ans, "Content-Type: text/plain; "
	    "version=0.0.4"));
	assert_true(t_contains(ans, "Connection: close\r\n"));
	assert_true(t_contains(ans, "\nprefork_workers_desired 3\n"));
	assert_true(t_contains(ans, "\nprefork_workers{state=\"ready\"} 3\n"));
	xsnprintf(want, sizeof(want), "\nprefork_listen_queue_limit{listen="
	    "\"127.0.0.1:%u\"} 2048\n", app);
	assert_true(t_contains(ans, want));
	assert_true(t_contains(ans, "prefork_worker_memory_bytes{slot=\"2\","
	    "measure=\"pss\"} "));
	assert_true(t_contains(ans, "\nprocess_open_fds "));
	if (promtool_check(t_write_file("scraped.prom", body_of(ans))))
		print_message("promtool check metrics: the scrape is valid\n");
	free(ans);
	ans = http_raw(port, "HEAD /metrics HTTP/1.1\r\n\r\n", 26);
	assert_int_equal(status_of(ans), 200);
	assert_string_equal(body_of(ans), "");
	free(ans);
	/* Exits are counted by reason. */
	assert_int_equal(kill(a[1], SIGKILL), 0);
	wait_gone(a[1], WAIT_MS);
	pool(d, d->pid, 3, a);
	ans = http_get(port, "/metrics");
	assert_true(t_contains(ans, "\nprefork_worker_exits_total{reason="
	    "\"signal\"} 1\n"));
	free(ans);
}

static bool
healthz_is(unsigned port, int code)
{
	char	*ans = http_get(port, "/healthz");
	bool	 yes = status_of(ans) == code;

	free(ans);
	return yes;
}

static bool
healthz_200(void *port)
{
	return healthz_is(*(unsigned *)port, 200);
}

static bool
healthz_503(void *port)
{
	return healthz_is(*(unsigned *)port, 503);
}

/*
 * /healthz: 200 with min_workers ready, 503 once they are killed faster
 * than they boot (their replacements take a second to be ready), 200
 * again when they are.
 */
static void
test_healthz(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	unsigned	 port = t_free_port();
	pid_t		 a[2];

	write_conf(conf, "healthz.ini", "[prefork]\nworkers = 2\n"
	    "min_workers = 2\nready = notify\nmetrics_listen = 127.0.0.1:%u\n"
	    TIMEOUTS, port);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--notify-ready", "1000", NULL });
	pool(d, d->pid, 2, a);
	assert_true(t_wait_until(healthz_200, &port, WAIT_MS));
	wait_lived(a, 2, 200);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	assert_int_equal(kill(a[1], SIGKILL), 0);
	assert_true(t_wait_until(healthz_503, &port, WAIT_MS));
	assert_true(t_wait_until(healthz_200, &port, WAIT_MS));
}

/* 404, 405, 400, an oversized head, a client that never finishes. */
static void
test_refusals(void **state)
{
	struct t_daemon	*d;
	unsigned	 port;
	pid_t		 a[1];
	char		*ans, *big;
	size_t		 n = 9000;
	double		 t0;
	int		 fd;

	d = start_pool(1, "", &port, a);
	ans = http_get(port, "/nothing");
	assert_int_equal(status_of(ans), 404);
	free(ans);
	ans = http_raw(port, "POST /metrics HTTP/1.1\r\n\r\n", 26);
	assert_int_equal(status_of(ans), 405);
	assert_true(t_contains(ans, "Allow: GET, HEAD\r\n"));
	free(ans);
	ans = http_raw(port, "hello\r\n\r\n", 9);
	assert_int_equal(status_of(ans), 400);
	free(ans);
	/* A head past 8 KiB: answered 431 and closed, never read whole. */
	assert_non_null(big = malloc(n));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', n - 26);
	ans = http_raw(port, big, n);
	assert_non_null(ans);
	assert_int_equal(status_of(ans), 431);
	free(ans);
	free(big);
	/* Half a request, then silence: closed at the 5 s timeout. */
	t0 = t_now_ms();
	fd = connect_port(port);
	assert_true(fd != -1);
	assert_int_equal(send(fd, "GET /met", 8, 0), 8);
	ans = read_all(fd, 5000 + WAIT_MS);
	assert_non_null(ans);
	assert_string_equal(ans, "");
	assert_true(t_now_ms() - t0 >= 4500);
	free(ans);
	close(fd);
	/* Still serving. */
	ans = http_get(port, "/healthz");
	assert_int_equal(status_of(ans), 200);
	free(ans);
	assert_no_sanitizer_report(d);
}

/*
 * 20 idle clients (16 held, the rest closed at once) while a worker is
 * SIGKILLed: it is replaced at once, and /metrics answers once they are
 * gone.
 */
static void
test_idle_clients_worker_replaced(void **state)
{
	struct t_daemon	*d;
	unsigned	 port;
	pid_t		 a[2], b[2];
	int		 fds[20], i;

	d = start_pool(2, "", &port, a);
	wait_lived(a, 2, 200);
	for (i = 0; i < 20; i++)
		fds[i] = connect_port(port);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_gone(a[0], WAIT_MS);
	pool(d, d->pid, 2, b);
	assert_int_not_equal(b[0], a[0]);
	assert_int_equal(b[1], a[1]);
	for (i = 0; i < 20; i++)
		if (fds[i] != -1)
			close(fds[i]);
	/*
	 * Until the master has read those closes, a new connection may
	 * still find 16 open and be closed at once, as it should.
	 */
	assert_true(t_wait_until(answers_metrics, &port, WAIT_MS));
}

/*
 * metrics_file: it appears, and is replaced (a new inode) every second;
 * read over and over while it is replaced twice, it is never seen
 * half-written.
 */
static void
test_metrics_file_atomic(void **state)
{
	char		 conf[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	struct t_daemon	*d;
	struct stat	 st;
	pid_t		 a[2];
	ino_t		 first;
	unsigned	 reads = 0, inodes = 1;
	double		 until;
	char		*text;
	size_t		 len;

	subdir("textfile", dir);
	xsnprintf(path, sizeof(path), "%s/prefork.prom", dir);
	write_conf(conf, "file.ini", "[prefork]\nworkers = 2\n"
	    "metrics_file = %s\nmetrics_interval = 1s\n" TIMEOUTS, path);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	assert_true(t_wait_file(path, WAIT_MS));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	first = st.st_ino;
	until = t_now_ms() + WAIT_MS;
	while (inodes < 3 && t_now_ms() < until) {
		text = util_read_file(path, 1 << 20);
		assert_non_null(text);
		len = strlen(text);
		if (strncmp(text, "# HELP prefork_build_info ", 26) != 0 ||
		    len == 0 || text[len - 1] != '\n' ||
		    !t_contains(text, "\nprocess_start_time_seconds "))
			fail_msg("metrics_file read half-written (%zu bytes)",
			    len);
		free(text);
		reads++;
		if (stat(path, &st) == 0 && st.st_ino != first) {
			first = st.st_ino;
			inodes++;
		}
		/* Reading every moment would take the CPU from the master. */
		observe(1);
	}
	print_message("metrics_file: %u reads, %u versions, none torn\n",
	    reads, inodes);
	if (inodes < 3)
		fail_msg("metrics_file replaced %u times in %u ms, not twice",
		    inodes - 1, WAIT_MS);
	(void)promtool_check(path);
	assert_no_sanitizer_report(d);
}

static long
open_fds(pid_t pid)
{
	char	path[64], cmd[128];
	struct t_run	r;
	long	n;

	xsnprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	xsnprintf(cmd, sizeof(cmd), "ls %s | wc -l", path);
	t_run(&r, NULL, (const char *const[]){ "sh", "-c", cmd, NULL },
	    WAIT_MS);
	n = atol(r.out);
	t_run_free(&r);
	return n;
}

static void
set_nofile(pid_t pid, long n)
{
	struct t_run	r;
	char		lim[64], p[32];

	/* The soft limit only: raising it back needs no privilege. */
	xsnprintf(lim, sizeof(lim), "--nofile=%ld:", n);
	xsnprintf(p, sizeof(p), "%ld", (long)pid);
	t_run(&r, NULL, (const char *const[]){ "prlimit", "--pid", p, lim,
	    NULL }, WAIT_MS);
	if (r.status != 0)
		fail_msg("prlimit --pid %s %s: %s", p, lim, r.err);
	t_run_free(&r);
}

static bool
answers_metrics(void *port)
{
	char	*ans = http_get(*(unsigned *)port, "/metrics");
	bool	 yes = status_of(ans) == 200;

	free(ans);
	return yes;
}

/*
 * Out of fds, accept(2) fails with the connection still queued: the
 * master rests instead of spinning on a readable socket, and serves
 * again once fds are back.
 */
static void
test_out_of_fds_no_spin(void **state)
{
	struct t_daemon	*d;
	unsigned	 port;
	pid_t		 a[1];
	long long	 cpu0, cpu1;
	long		 fds;
	int		 fd[4], i;

	if (!have("prlimit")) {
		print_message("skipped: prlimit (util-linux) is not "
		    "installed\n");
		skip();
	}
	d = start_pool(1, "", &port, a);
	fds = open_fds(d->pid);
	set_nofile(d->pid, fds);
	for (i = 0; i < 4; i++)
		fd[i] = connect_port(port);
	wait_log(d, "metrics_listen 127.0.0.1:");
	cpu0 = t_proc_cpu_ms(d->pid);
	/* The window is the measurement: a spinning master burns it all. */
	observe(1000);
	cpu1 = t_proc_cpu_ms(d->pid);
	print_message("out of fds: the master used %lld ms of CPU in 1 s\n",
	    cpu1 - cpu0);
	assert_true(cpu1 - cpu0 < 200);
	for (i = 0; i < 4; i++)
		if (fd[i] != -1)
			close(fd[i]);
	set_nofile(d->pid, 1024);
	assert_true(t_wait_until(answers_metrics, &port, WAIT_MS));
}

/*
 * The server adds a timer only while a connection is open: after a
 * scrape, a master with metrics_listen is as idle as one without.
 */
static void
test_idle_with_listener(void **state)
{
	struct t_daemon	*d;
	unsigned	 port;
	pid_t		 a[2];
	char		*ans;

	d = start_pool(2, "", &port, a);
	ans = http_get(port, "/metrics");
	assert_int_equal(status_of(ans), 200);
	free(ans);
	assert_master_idle(d, a, 2, 300, "metrics_listen");
}

/* The query API's answer has "value":[TIME,"n"]. */
struct query {
	unsigned	port;
	char		want[32];
};

static bool
prometheus_has(void *arg)
{
	struct query	*q = arg;
	char		*ans = http_get(q->port, "/api/v1/query?query="
	    "prefork_workers_desired");
	bool		 yes = ans != NULL && status_of(ans) == 200 &&
	    strstr(ans, q->want) != NULL;

	free(ans);
	return yes;
}

/*
 * A real Prometheus server scrapes metrics_listen every second; its
 * query API returns the pool's size.
 */
static void
test_prometheus_scrapes(void **state)
{
	char		 dir[PATH_MAX], yml[PATH_MAX + 16], data[PATH_MAX + 16];
	char		 listen[64], cfg[512];
	struct t_daemon	*d;
	struct query	 q;
	unsigned	 port;
	pid_t		 a[3];
	int		 fd;

	if (!have("prometheus")) {
		print_message("skipped: prometheus is not installed (Debian: "
		    "apt-get install prometheus)\n");
		skip();
	}
	d = start_pool(3, "", &port, a);
	subdir("prometheus", dir);
	xsnprintf(yml, sizeof(yml), "%s/prometheus.yml", dir);
	xsnprintf(data, sizeof(data), "%s/data", dir);
	xsnprintf(cfg, sizeof(cfg), "global:\n  scrape_interval: 1s\n"
	    "  evaluation_interval: 1s\nscrape_configs:\n"
	    "  - job_name: prefork\n    static_configs:\n"
	    "      - targets: ['127.0.0.1:%u']\n", port);
	fd = open(yml, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	assert_int_equal(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
	close(fd);
	q.port = t_free_port();
	xsnprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u",
	    q.port);
	if ((prometheus = fork()) == 0) {
		char	cf[PATH_MAX + 64], st[PATH_MAX + 64];

		/* A test killed runs no teardown: this ends with it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
			_exit(127);
		snprintf(cf, sizeof(cf), "--config.file=%s", yml);
		snprintf(st, sizeof(st), "--storage.tsdb.path=%s", data);
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("prometheus", "prometheus", cf, st, listen,
		    "--log.level=warn", (char *)NULL);
		_exit(127);
	}
	assert_true(prometheus != -1);
	xsnprintf(q.want, sizeof(q.want), "\"3\"]");
	if (!t_wait_until(prometheus_has, &q, 60000)) {
		char	*ans = http_get(q.port, "/api/v1/query?query="
		    "prefork_workers_desired");

		fail_msg("prometheus never returned prefork_workers_desired "
		    "3: %s", ans != NULL ? ans : "(no answer)");
	}
	print_message("prometheus on 127.0.0.1:%u: prefork_workers_desired "
	    "is 3\n", q.port);
	assert_no_sanitizer_report(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_metrics_served, teardown),
		cmocka_unit_test_teardown(test_healthz, teardown),
		cmocka_unit_test_teardown(test_refusals, teardown),
		cmocka_unit_test_teardown(test_idle_clients_worker_replaced,
		    teardown),
		cmocka_unit_test_teardown(test_idle_with_listener, teardown),
		cmocka_unit_test_teardown(test_out_of_fds_no_spin, teardown),
		cmocka_unit_test_teardown(test_metrics_file_atomic, teardown),
		cmocka_unit_test_teardown(test_prometheus_scrapes, teardown),
	};

	/* SCRAPE_TEST=test_healthz runs one test (a glob). */
	it_init(WAIT_MS, "SCRAPE_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
