/* SPDX-License-Identifier: ISC */
/*
 * demo_test: the README's demo, the real prefork over
 * examples/http_worker.py, as examples/http.ini sets it up (ready =
 * notify, a heartbeat timeout) but with two workers on a free loopback
 * port. Requests are answered by different workers; idle clients
 * neither silence a worker's heartbeat nor hold up a graceful shutdown;
 * every socket prefork passes (TCP, [::1], unix:) is served. Loopback
 * only, every network wait bounded; the teardown ends whatever is left.
 * Skipped when python3 is missing.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
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
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "testlib.h"
#include "util.h"

/*
 * The deadline for a condition that should hold soon: generous, since
 * each worker is a Python interpreter that takes a while to start on a
 * loaded machine.
 */
#define WAIT_MS		20000

/* The deadline of one request. */
#define REQUEST_MS	3000

/* The heartbeat timeout of the pool, as "timeout = 2s" sets it. */
#define TIMEOUT_MS	2000

/*
 * graceful_timeout, as "graceful_timeout = 10s" sets it: long, so that a
 * shutdown that waits for it, rather than for workers that exit
 * promptly, is plain to see.
 */
#define GRACE_MS	10000

/*
 * How long a SIGTERM may take with idle clients connected: the worker
 * gives a connection that sent nothing a quarter of a second (IDLE_GRACE
 * in the worker), and one with a request under way at most a second
 * (STOP_GRACE).
 */
#define STOP_MS		4000
static_assert(STOP_MS * 2 <= GRACE_MS, "a prompt exit is well within "
    "graceful_timeout");

/*
 * How long the worker lets a client take over its request
 * (DEADLINE in examples/http_worker.py), and a margin for a busy machine.
 */
#define CLIENT_DEADLINE_MS	5000
#define MARGIN_MS		3000

#define KEYS								\
	"ready = notify\n"						\
	"ready_timeout = 20s\n"						\
	"timeout = 2s\n"						\
	"graceful_timeout = 10s\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/* The test needs python3 in PATH: skipped, and says so, without it. */
static void
need_python(void)
{
	struct t_run	r;
	int		status;

	t_run(&r, NULL, (const char *const[]){ "python3", "-c", "", NULL },
	    WAIT_MS);
	status = r.status;
	t_run_free(&r);
	if (status != 0) {
		print_message("python3 not found (status %d): skipped\n",
		    status);
		skip();
	}
}

/*
 * Starts the demo pool on addrs (an http.ini "listen =" value), waits
 * for both workers to say READY=1, and stores their pids by slot.
 */
static struct t_daemon *
start_demo(const char *addrs, pid_t *pids)
{
	struct it_pool	*p;
	char		 listen[256];

	xsnprintf(listen, sizeof(listen), "listen = %s\n", addrs);
	p = it_start_pool(&(const struct it_pool_opts){ .workers = 2,
	    .timeouts = KEYS, .extra = listen, .argv = (const char *const[]){
	    "python3", it_http_worker(), NULL }, .conf_name = "demo.ini",
	    .wait_ready = true });
	memcpy(pids, p->pids, 2 * sizeof(*pids));
	return p->d;
}

/* Where to connect. */
struct addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

static void
addr_inet(struct addr *a, int family, const char *host, unsigned port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, host, &sin->sin_addr), 1);
		a->len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, host, &sin6->sin6_addr),
		    1);
		a->len = sizeof(*sin6);
	}
}

static void
addr_unix(struct addr *a, const char *path)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&a->ss;

	memset(a, 0, sizeof(*a));
	sun->sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun->sun_path));
	strcpy(sun->sun_path, path);
	a->len = sizeof(*sun);
}

/*
 * A port on [::1] that nothing listens on right now, or 0 when ::1
 * cannot be bound (no IPv6, or no loopback address for it).
 */
static unsigned
free_port6(void)
{
	struct addr		 a;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&a.ss;
	unsigned		 port = 0;
	int			 fd;

	addr_inet(&a, AF_INET6, "::1", 0);
	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a.ss, &a.len) == 0)
		port = ntohs(sin6->sin6_port);
	close(fd);
	return port;
}

/*
 * Connects to a, by the deadline, and sends what (may be ""). Returns the
 * connection, held until the teardown; fails the test on any error.
 */
static int
client(const struct addr *a, const char *what, double deadline)
{
	socklen_t	elen = sizeof(int);
	size_t		len = strlen(what);
	int		fd, err = 0;

	fd = hold(socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == -1) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (!t_wait_fd(fd, POLLOUT, deadline))
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &elen) == -1)
			err = errno;
	}
	if (err != 0)
		fail_msg("connect: %s", strerror(err));
	if (len > 0 && send(fd, what, len, MSG_NOSIGNAL) != (ssize_t)len)
		fail_msg("send: %s", strerror(errno));
	return fd;
}

/*
 * Reads fd until end of file, by the deadline, into buf (NUL-terminated)
 * and closes it. Returns 0, or what went wrong as an errno value.
 */
static int
read_into(int fd, char *buf, size_t size, double deadline)
{
	size_t	len = 0;
	ssize_t	n;
	int	err = 0;

	for (;;) {
		if (!t_wait_fd(fd, POLLIN, deadline)) {
			err = ETIMEDOUT;
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			err = errno;
			break;
		}
		if (n == 0 || (len += (size_t)n) == size - 1)
			break;
	}
	buf[len] = '\0';
	unhold(fd);
	return err;
}

/*
 * GET / on a, within REQUEST_MS: the answer must be a 200 whose body is
 * "hello from worker N (pid P)", from the worker of pids in slot N.
 * Returns N.
 */
static int
get(const struct addr *a, const pid_t *pids, unsigned n)
{
	char		 buf[1024];
	const char	*body;
	double		 deadline = t_now_ms() + REQUEST_MS;
	long		 pid;
	int		 fd, slot, end = -1, err;

	fd = client(a, "GET / HTTP/1.0\r\nHost: demo\r\n\r\n", deadline);
	if ((err = read_into(fd, buf, sizeof(buf), deadline)) != 0)
		fail_msg("GET /: %s", strerror(err));
	if (strncmp(buf, "HTTP/1.0 200 ", 13) != 0 ||
	    (body = strstr(buf, "\r\n\r\n")) == NULL)
		fail_msg("GET /: not a 200 answer: \"%s\"", buf);
	body += 4;
	if (sscanf(body, "hello from worker %d (pid %ld)\n%n", &slot, &pid,
	    &end) != 2 || end != (int)strlen(body))
		fail_msg("GET /: body \"%s\" is not the hello line", body);
	if (slot < 0 || (unsigned)slot >= n || pids[slot] != pid)
		fail_msg("GET /: answered by pid %ld as slot %d, not a worker "
		    "of the pool", pid, slot);
	return slot;
}

/* Requests on a until both workers have answered; bounded: WAIT_MS. */
static void
served_by_both(const struct addr *a, const pid_t *pids)
{
	double		deadline = t_now_ms() + WAIT_MS;
	unsigned	seen = 0, requests = 0;

	while (seen != 3) {
		if (t_now_ms() > deadline)
			fail_msg("%u requests in %u ms, all answered by one "
			    "worker", requests, WAIT_MS);
		seen |= 1u << get(a, pids, 2);
		requests++;
	}
}

/* The sockets among the open fds of the n workers of pids, in all. */
static unsigned
worker_sockets(const pid_t *pids, unsigned n)
{
	char		 dir[64], path[PATH_MAX], link[64];
	struct dirent	*e;
	unsigned	 count = 0, i;
	ssize_t		 len;
	DIR		*dp;

	for (i = 0; i < n; i++) {
		xsnprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pids[i]);
		if ((dp = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(dp)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			xsnprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len > 0 && strncmp(link, "socket:[", 8) == 0)
				count++;
		}
		closedir(dp);
	}
	return count;
}

struct accepted {
	const pid_t	*pids;
	unsigned	 want;
};

static bool
all_accepted(void *arg)
{
	struct accepted	*a = arg;

	return worker_sockets(a->pids, 2) >= a->want;
}

/*
 * Waits until the workers hold n sockets more than they did (base): the
 * clients just connected were accepted, not left in the backlog.
 */
static void
wait_accepted(const struct t_daemon *d, const pid_t *pids, unsigned base,
    unsigned n)
{
	struct accepted	a = { pids, base + n };

	if (!t_wait_until(all_accepted, &a, WAIT_MS)) {
		dump_log(d);
		fail_msg("the workers hold %u sockets, not %u: the clients "
		    "were not accepted", worker_sockets(pids, 2), base + n);
	}
}

/* Fails if the log says a worker was aborted, killed or died. */
static void
assert_no_casualty(const struct t_daemon *d)
{
	static const char *const	bad[] = {
		"silent for", "SIGABRT", "still running at its deadline",
		"exited on signal", "not ready after",
	};
	size_t				i;

	for (i = 0; i < nitems(bad); i++)
		if (log_has(d, "%s", bad[i])) {
			dump_log(d);
			fail_msg("the log says \"%s\"", bad[i]);
		}
}

/*
 * Path: the demo worker's accept loop on the one shared socket:
 * GET / is answered with the README's hello line, by both workers.
 */
static void
test_hello(void **state)
{
	struct addr	 a;
	struct t_daemon	*d;
	unsigned	 port = t_free_port();
	char		 addrs[64];
	pid_t		 pids[2];

	(void)state;
	need_python();
	xsnprintf(addrs, sizeof(addrs), "127.0.0.1:%u", port);
	d = start_demo(addrs, pids);
	addr_inet(&a, AF_INET, "127.0.0.1", port);
	served_by_both(&a, pids);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, STOP_MS, EX_OK);
	assert_no_casualty(d);
}

/*
 * Path: the worker's heartbeat (WATCHDOG=1) and per-connection deadline
 * against the master's timeout.
 *
 * Two clients connect and then stall, one sending nothing, one half a
 * request. Watched for two timeouts, no worker is taken for silent, the
 * pool is the same, and a request is still answered; then each stalled
 * client is cut off by the worker's own deadline.
 */
static void
test_idle_clients(void **state)
{
	struct addr	 a;
	struct t_daemon	*d;
	unsigned	 port = t_free_port(), base;
	char		 addrs[64], buf[256];
	pid_t		 pids[2], now[2];
	double		 deadline;
	int		 idle[2], i, err;

	(void)state;
	need_python();
	xsnprintf(addrs, sizeof(addrs), "127.0.0.1:%u", port);
	d = start_demo(addrs, pids);
	addr_inet(&a, AF_INET, "127.0.0.1", port);
	base = worker_sockets(pids, 2);
	deadline = t_now_ms() + REQUEST_MS;
	idle[0] = client(&a, "", deadline);
	idle[1] = client(&a, "GET / HTTP/1.0\r\n", deadline);
	wait_accepted(d, pids, base, 2);

	/*
	 * Two timeouts: a worker stuck reading either client, its last
	 * heartbeat at most half a timeout before, would be aborted in
	 * this window. It is shorter than the worker's own deadline, so
	 * the clients are still connected at its end.
	 */
	observe(2 * TIMEOUT_MS);
	assert_no_casualty(d);
	if (!t_pool_now(d->pid, 2, now) || now[0] != pids[0] ||
	    now[1] != pids[1]) {
		dump_log(d);
		fail_msg("the pool changed while the clients were idle");
	}
	get(&a, pids, 2);

	for (i = 0; i < 2; i++) {
		err = read_into(idle[i], buf, sizeof(buf), t_now_ms() +
		    CLIENT_DEADLINE_MS + MARGIN_MS);
		if (err != 0 || buf[0] != '\0')
			fail_msg("stalled client %d: %s, \"%s\" instead of an "
			    "end of file", i, err ? strerror(err) : "read",
			    buf);
	}
	assert_no_casualty(d);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, STOP_MS, EX_OK);
}

/*
 * Path: SIGTERM to the workers while clients are connected and idle.
 *
 * The workers stop accepting and close the connections within a short
 * bound, so prefork exits 0 long before graceful_timeout, with no
 * worker killed.
 */
static void
test_term_idle(void **state)
{
	struct addr	 a;
	struct t_daemon	*d;
	unsigned	 port = t_free_port(), base, i;
	char		 addrs[64];
	pid_t		 pids[2];
	double		 deadline;

	(void)state;
	need_python();
	xsnprintf(addrs, sizeof(addrs), "127.0.0.1:%u", port);
	d = start_demo(addrs, pids);
	addr_inet(&a, AF_INET, "127.0.0.1", port);
	base = worker_sockets(pids, 2);
	deadline = t_now_ms() + REQUEST_MS;
	client(&a, "", deadline);
	client(&a, "GET / HTTP/1.0\r\n", deadline);
	wait_accepted(d, pids, base, 2);

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, STOP_MS, EX_OK);
	assert_no_casualty(d);
	assert_false(log_has(d, "SIGKILL\n"));
	for (i = 0; i < 2; i++)
		if (!log_has(d, "worker %u (pid %ld) exited with code 0", i,
		    (long)pids[i])) {
			dump_log(d);
			fail_msg("worker %u did not exit 0", i);
		}
}

/*
 * Path: a worker serving every socket in LISTEN_FDS: 127.0.0.1, a
 * unix: socket and, where ::1 can be bound, [::1].
 */
static void
test_every_socket(void **state)
{
	struct addr	 a;
	struct t_daemon	*d;
	unsigned	 port = t_free_port(), port6 = free_port6();
	char		 dir[PATH_MAX], path[PATH_MAX], addrs[PATH_MAX * 2];
	char		 fds[8];
	pid_t		 pids[2];

	(void)state;
	need_python();
	subdir("every", dir);
	xsnprintf(path, sizeof(path), "%s/demo.sock", dir);
	if (port6 != 0)
		xsnprintf(addrs, sizeof(addrs), "127.0.0.1:%u, unix:%s, "
		    "[::1]:%u", port, path, port6);
	else {
		print_message("::1 cannot be bound: the IPv6 part is "
		    "skipped\n");
		xsnprintf(addrs, sizeof(addrs), "127.0.0.1:%u, unix:%s",
		    port, path);
	}
	d = start_demo(addrs, pids);
	xsnprintf(fds, sizeof(fds), "%d", port6 != 0 ? 3 : 2);
	assert_string_equal(t_proc_env(pids[0], "LISTEN_FDS"), fds);

	addr_inet(&a, AF_INET, "127.0.0.1", port);
	served_by_both(&a, pids);
	addr_unix(&a, path);
	served_by_both(&a, pids);
	if (port6 != 0) {
		addr_inet(&a, AF_INET6, "::1", port6);
		served_by_both(&a, pids);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, STOP_MS, EX_OK);
	assert_no_casualty(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hello, teardown),
		cmocka_unit_test_teardown(test_idle_clients, teardown),
		cmocka_unit_test_teardown(test_term_idle, teardown),
		cmocka_unit_test_teardown(test_every_socket, teardown),
	};
	/* DEMO_TEST=test_name runs one test (a glob). */
	it_init(WAIT_MS, "DEMO_TEST", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
