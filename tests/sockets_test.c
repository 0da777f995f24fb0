/* SPDX-License-Identifier: ISC */
/*
 * sockets_test: the listening sockets of prefork.ini(5) "Sockets":
 * binding TCP (IPv4, IPv6, host names) and unix addresses, the
 * all-or-nothing update a reload makes, the error messages, stale and
 * foreign unix socket files, and adoption from systemd. Everything is on
 * the loopback interface or under t_tmpdir(). Adoption runs in a child,
 * so that this process's own fds 3 and 4 are never touched.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sockets.h"
#include "testlib.h"
#include "util.h"

#define DEADLINE_MS	10000

/* Tries at finding a free port before a test gives up. */
#define PORT_TRIES	20

/* The set under test and its errors; teardown() releases both. */
static struct sockets	S = SOCKETS_INIT;
static struct strv	errs = STRV_INIT;

/* Sockets a test holds itself (other servers); closed by teardown(). */
static int	held[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int
teardown(void **state)
{
	size_t	i;

	sockets_close(&S);
	strv_free(&errs);
	for (i = 0; i < nitems(held); i++)
		if (held[i] != -1) {
			close(held[i]);
			held[i] = -1;
		}
	return 0;
}

static int
hold(int fd)
{
	size_t	i;

	for (i = 0; i < nitems(held); i++)
		if (held[i] == -1)
			return held[i] = fd;
	fail_msg("more than %zu held sockets", nitems(held));
	return -1;
}

/* The list of addresses from a NULL-terminated array (caller frees). */
static struct strv
list(const char *const *addrs)
{
	struct strv	sv = STRV_INIT;

	for (; *addrs != NULL; addrs++)
		assert_int_equal(strv_push(&sv, *addrs), 0);
	return sv;
}

/* sockets_update(&S, addrs, backlog, &errs). */
static int
update(const char *const *addrs, unsigned backlog)
{
	struct strv	want = list(addrs);
	int		rc;

	rc = sockets_update(&S, &want, backlog, &errs);
	strv_free(&want);
	return rc;
}

/* True when errs holds exactly these messages (NULL-terminated). */
static bool
errs_are(const char *const *want)
{
	size_t	i;

	for (i = 0; i < errs.n && want[i] != NULL; i++)
		if (strcmp(want[i], errs.v[i]) != 0)
			break;
	if (want[i] == NULL && i == errs.n)
		return true;
	print_error("expected errors:\n");
	for (i = 0; want[i] != NULL; i++)
		print_error("  %s\n", want[i]);
	print_error("got:\n");
	for (i = 0; i < errs.n; i++)
		print_error("  %s\n", errs.v[i]);
	return false;
}

static bool
errs_in_use(void)
{
	size_t	i;

	for (i = 0; i < errs.n; i++)
		if (strstr(errs.v[i], strerror(EADDRINUSE)) != NULL)
			return true;
	return false;
}

/* A listening TCP socket of ours on ip (port 0: any), SO_REUSEADDR off. */
static int
tcp_listener(int family, const char *ip, unsigned port)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 8) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The port a socket is bound to. */
static unsigned
port_of(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * A port free on ip a moment ago: the kernel's pick for port 0. Another
 * process can take it before we bind it; callers that mind retry.
 */
static unsigned
free_port(int family, const char *ip)
{
	unsigned	port;
	int		fd;

	assert_int_not_equal(fd = tcp_listener(family, ip, 0), -1);
	port = port_of(fd);
	close(fd);
	return port;
}

/*
 * Binds "HOST:PORT" with a free port of ip into S, trying other ports
 * while the one picked was taken meanwhile. The address is left in addr.
 */
static void
update_free(const char *host, int family, const char *ip, unsigned backlog,
    char *addr, size_t len)
{
	const char	*addrs[2] = { addr, NULL };
	int		 i;

	for (i = 0; i < PORT_TRIES; i++) {
		snprintf(addr, len, "%s:%u", host, free_port(family, ip));
		if (update(addrs, backlog) == 0)
			return;
		if (!errs_in_use())
			fail_msg("%s", errs.n > 0 ? errs.v[0] : addr);
		strv_free(&errs);
	}
	fail_msg("no free port for %s in %d tries", host, PORT_TRIES);
}

/* connect(2) to ip:port; 0 or the errno. */
static int
connect_tcp(int family, const char *ip, unsigned port)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	assert_int_not_equal(fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC,
	    0), -1);
	rc = connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

static struct sockaddr_un
unix_addr(const char *path)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	return sun;
}

/* connect(2) to a unix socket; 0 or the errno. */
static int
connect_unix(const char *path)
{
	struct sockaddr_un	sun = unix_addr(path);
	int			fd, rc;

	assert_int_not_equal(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
	    0), -1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 :
	    errno;
	close(fd);
	return rc;
}

/* A unix socket bound at path by "someone else"; listening if asked. */
static int
unix_bound(const char *path, bool listening)
{
	struct sockaddr_un	sun = unix_addr(path);
	int			fd;

	assert_int_not_equal(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
	    0), -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* A path under t_tmpdir(), made unique per test by name. */
static const char *
tmp_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t_tmpdir(), name);
	unlink(buf);
	return buf;
}

static bool
is_listening(int fd)
{
	int		on = 0;
	socklen_t	len = sizeof(on);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len),
	    0);
	return on == 1;
}

static int
int_opt(int fd, int level, int opt)
{
	int		v = -1;
	socklen_t	len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, opt, &v, &len), 0);
	return v;
}

static bool
is_cloexec(int fd)
{
	int	flags = fcntl(fd, F_GETFD);

	assert_int_not_equal(flags, -1);
	return (flags & FD_CLOEXEC) != 0;
}

static bool
is_blocking(int fd)
{
	int	flags = fcntl(fd, F_GETFL);

	assert_int_not_equal(flags, -1);
	return (flags & O_NONBLOCK) == 0;
}

static bool
exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

/* A bound, listening, blocking, close-on-exec TCP socket: all of it. */
static void
assert_tcp_listener(int fd, int family)
{
	assert_true(is_listening(fd));
	assert_int_equal(int_opt(fd, SOL_SOCKET, SO_DOMAIN), family);
	assert_int_equal(int_opt(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(int_opt(fd, SOL_SOCKET, SO_REUSEADDR), 1);
	assert_true(is_cloexec(fd));
	assert_true(is_blocking(fd));
}

/* TCP: "127.0.0.1:PORT" is bound, listens and accepts; close ends it. */
static void
test_tcp_ipv4(void **state)
{
	char	addr[64], name[64];
	int	fd;

	update_free("127.0.0.1", AF_INET, "127.0.0.1", 16, addr,
	    sizeof(addr));
	assert_int_equal(S.n, 1);
	assert_false(S.activated);
	assert_string_equal(S.v[0].addr, addr);
	snprintf(name, sizeof(name), "127.0.0.1_%s", strchr(addr, ':') + 1);
	assert_string_equal(S.v[0].name, name);
	assert_false(S.v[0].adopted);
	assert_null(S.v[0].path);
	fd = S.v[0].fd;
	assert_tcp_listener(fd, AF_INET);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", port_of(fd)), 0);

	sockets_close(&S);
	assert_int_equal(S.n, 0);
	assert_null(S.v);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1",
	    (unsigned)atoi(strchr(addr, ':') + 1)), ECONNREFUSED);
}

/* TCP: "*:PORT" is INADDR_ANY (IPv4 only) and reachable on loopback. */
static void
test_tcp_any(void **state)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			addr[64], name[64];

	update_free("*", AF_INET, "0.0.0.0", 16, addr, sizeof(addr));
	assert_tcp_listener(S.v[0].fd, AF_INET);
	assert_int_equal(getsockname(S.v[0].fd, (struct sockaddr *)&sin,
	    &len), 0);
	assert_int_equal(sin.sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1",
	    port_of(S.v[0].fd)), 0);
	snprintf(name, sizeof(name), "*_%u", port_of(S.v[0].fd));
	assert_string_equal(S.v[0].name, name);
}

/* True when this host can bind ::1. */
static bool
have_ipv6(void)
{
	int	fd = tcp_listener(AF_INET6, "::1", 0);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/*
 * TCP: "[::1]:PORT" is an IPv6-only socket, and "[::]:PORT" can be bound
 * beside "0.0.0.0:PORT" because of it.
 */
static void
test_tcp_ipv6(void **state)
{
	const char	*both[3];
	char		 addr[64], name[64], any6[64], any4[64];
	int		 i;

	if (!have_ipv6())
		skip();
	update_free("[::1]", AF_INET6, "::1", 16, addr, sizeof(addr));
	assert_tcp_listener(S.v[0].fd, AF_INET6);
	assert_int_equal(int_opt(S.v[0].fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	snprintf(name, sizeof(name), "[__1]_%u", port_of(S.v[0].fd));
	assert_string_equal(S.v[0].name, name);
	assert_int_equal(connect_tcp(AF_INET6, "::1", port_of(S.v[0].fd)),
	    0);

	for (i = 0; i < PORT_TRIES; i++) {
		unsigned	port = free_port(AF_INET, "0.0.0.0");

		snprintf(any6, sizeof(any6), "[::]:%u", port);
		snprintf(any4, sizeof(any4), "0.0.0.0:%u", port);
		both[0] = any6;
		both[1] = any4;
		both[2] = NULL;
		if (update(both, 16) == 0)
			break;
		assert_true(errs_in_use());
		strv_free(&errs);
	}
	assert_true(i < PORT_TRIES);
	assert_int_equal(S.n, 2);
	assert_int_equal(int_opt(S.v[0].fd, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	assert_int_equal(int_opt(S.v[1].fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_string_equal(S.v[0].addr, any6);
	assert_string_equal(S.v[1].addr, any4);
}

/*
 * TCP: an IPv6 address with a zone, "[::1%lo]:PORT", is bound with that
 * interface's index as its scope; a zone that names no interface, or one
 * after an IPv4 address, is an error that says so.
 */
static void
test_tcp_ipv6_zone(void **state)
{
	const char	*addrs[2], *want[2];
	char		 addr[64], msg[160];

	if (!have_ipv6() || if_nametoindex("lo") == 0)
		skip();
	update_free("[::1%lo]", AF_INET6, "::1", 16, addr, sizeof(addr));
	assert_tcp_listener(S.v[0].fd, AF_INET6);
	assert_int_equal(connect_tcp(AF_INET6, "::1", port_of(S.v[0].fd)),
	    0);
	sockets_close(&S);

	addrs[0] = "[fe80::1%no-such-if0]:8080";
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg, sizeof(msg), "listen %s: no network interface "
	    "'no-such-if0'", addrs[0]);
	want[0] = msg;
	want[1] = NULL;
	assert_true(errs_are(want));
	strv_free(&errs);

	addrs[0] = "127.0.0.1%lo:8080";
	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg, sizeof(msg), "listen %s: a zone (%%) needs an IPv6 "
	    "address in brackets ([fe80::1%%eth0]:PORT)", addrs[0]);
	assert_true(errs_are(want));
}

/* TCP: a host name is resolved and its first address bound. */
static void
test_tcp_hostname(void **state)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 addr[64], name[64], ip[INET6_ADDRSTRLEN];
	int			 family;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
	if (getaddrinfo("localhost", "1", &hints, &res) != 0)
		skip();
	family = res->ai_family;
	freeaddrinfo(res);

	update_free("localhost", family, family == AF_INET ? "127.0.0.1" :
	    "::1", 16, addr, sizeof(addr));
	assert_string_equal(S.v[0].addr, addr);
	assert_int_equal(int_opt(S.v[0].fd, SOL_SOCKET, SO_DOMAIN), family);
	assert_tcp_listener(S.v[0].fd, family);
	assert_int_equal(getsockname(S.v[0].fd, (struct sockaddr *)&ss, &len),
	    0);
	if (family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
		    sizeof(ip));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    ip, sizeof(ip));
	assert_int_equal(connect_tcp(family, ip, port_of(S.v[0].fd)), 0);
	snprintf(name, sizeof(name), "localhost_%u", port_of(S.v[0].fd));
	assert_string_equal(S.v[0].name, name);
}

/*
 * Update: an address listed again keeps its socket (same fd), a new one
 * is bound, a removed one is closed, and a new backlog is accepted.
 */
static void
test_update_keep_add_remove(void **state)
{
	const char	*ab[3], *b[2];
	char		 a_addr[64], b_addr[64];
	unsigned	 a_port, b_port;
	int		 a_fd, b_fd, i;

	update_free("127.0.0.1", AF_INET, "127.0.0.1", 16, a_addr,
	    sizeof(a_addr));
	a_fd = S.v[0].fd;
	a_port = port_of(a_fd);

	for (i = 0; i < PORT_TRIES; i++) {
		snprintf(b_addr, sizeof(b_addr), "127.0.0.1:%u",
		    free_port(AF_INET, "127.0.0.1"));
		ab[0] = a_addr;
		ab[1] = b_addr;
		ab[2] = NULL;
		if (update(ab, 16) == 0)
			break;
		assert_true(errs_in_use());
		strv_free(&errs);
	}
	assert_true(i < PORT_TRIES);
	assert_int_equal(S.n, 2);
	assert_int_equal(S.v[0].fd, a_fd);
	assert_string_equal(S.v[1].addr, b_addr);
	b_fd = S.v[1].fd;
	b_port = port_of(b_fd);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", a_port), 0);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", b_port), 0);

	b[0] = b_addr;
	b[1] = NULL;
	assert_int_equal(update(b, 16), 0);
	assert_int_equal(S.n, 1);
	assert_int_equal(S.v[0].fd, b_fd);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", a_port),
	    ECONNREFUSED);

	assert_int_equal(update(b, 1024), 0);
	assert_int_equal(S.n, 1);
	assert_int_equal(S.v[0].fd, b_fd);
	assert_true(is_listening(b_fd));
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", b_port), 0);
	assert_int_equal(errs.n, 0);
}

/*
 * How many connections a unix listener queues before refusing more:
 * non-blocking connects until EAGAIN (at most max). The clients are
 * kept open in fds so that they stay queued.
 */
static size_t
queue_fill(const char *path, int *fds, size_t max)
{
	struct sockaddr_un	sun = unix_addr(path);
	size_t			n;

	for (n = 0; n < max; n++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		assert_int_not_equal(fds[n], -1);
		if (connect(fds[n], (struct sockaddr *)&sun, sizeof(sun)) ==
		    -1) {
			assert_int_equal(errno, EAGAIN);
			close(fds[n]);
			break;
		}
	}
	return n;
}

/*
 * Update: listen(2) is called again on a kept socket, so a new backlog
 * takes effect: a unix listener queues backlog + 1 connections.
 */
static void
test_update_backlog_applied(void **state)
{
	const char	*addrs[2];
	char		 path[256], addr[300];
	int		 clients[32];
	size_t		 n, more, i;
	int		 fd;

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("backlog.sock",
	    path, sizeof(path)));
	addrs[0] = addr;
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 1), 0);
	fd = S.v[0].fd;
	n = queue_fill(path, clients, nitems(clients));
	assert_int_equal(n, 2);

	assert_int_equal(update(addrs, 5), 0);
	assert_int_equal(S.v[0].fd, fd);
	more = queue_fill(path, clients + n, nitems(clients) - n);
	assert_int_equal(n + more, 6);
	for (i = 0; i < n + more; i++)
		close(clients[i]);
}

/*
 * Update, all or nothing: one impossible address (a port another
 * socket holds) fails the whole update; the good new addresses are not
 * left open (no fd more, connect refused, no socket file) and the old
 * set is intact.
 */
static void
test_update_all_or_nothing(void **state)
{
	const char	*addrs[5], *want[2];
	char		 a_addr[64], b_addr[64], c_addr[64], u_addr[300];
	char		 path[256], msg[128];
	size_t		 fds;
	unsigned	 b_port, c_port;
	int		 a_fd, c_fd;

	update_free("127.0.0.1", AF_INET, "127.0.0.1", 16, a_addr,
	    sizeof(a_addr));
	a_fd = S.v[0].fd;
	c_fd = hold(tcp_listener(AF_INET, "127.0.0.1", 0));
	assert_int_not_equal(c_fd, -1);
	c_port = port_of(c_fd);
	b_port = free_port(AF_INET, "127.0.0.1");
	snprintf(b_addr, sizeof(b_addr), "127.0.0.1:%u", b_port);
	snprintf(c_addr, sizeof(c_addr), "127.0.0.1:%u", c_port);
	snprintf(u_addr, sizeof(u_addr), "unix:%s", tmp_path("rollback.sock",
	    path, sizeof(path)));
	addrs[0] = a_addr;
	addrs[1] = b_addr;
	addrs[2] = u_addr;
	addrs[3] = c_addr;
	addrs[4] = NULL;
	fds = t_dir_entries("/proc/self/fd");

	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg, sizeof(msg), "listen %s: %s", c_addr,
	    strerror(EADDRINUSE));
	want[0] = msg;
	want[1] = NULL;
	assert_true(errs_are(want));
	assert_int_equal(t_dir_entries("/proc/self/fd"), fds);
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", b_port),
	    ECONNREFUSED);
	assert_false(exists(path));
	assert_int_equal(S.n, 1);
	assert_int_equal(S.v[0].fd, a_fd);
	assert_string_equal(S.v[0].addr, a_addr);
	assert_true(is_listening(a_fd));
	assert_int_equal(connect_tcp(AF_INET, "127.0.0.1", port_of(a_fd)), 0);
}

/* Errors: every failing address is reported, each with its reason. */
static void
test_error_messages(void **state)
{
	struct addrinfo	 hints, *res;
	const char	*addrs[3], *want[3];
	char		 in_use[64], msg1[128], msg2[128];
	int		 fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
	rc = getaddrinfo("nosuchhost.invalid", "80", &hints, &res);
	if (rc == 0)
		freeaddrinfo(res);
	if (rc != EAI_NONAME) {
		print_message("resolver answers %s for .invalid\n",
		    rc == 0 ? "an address" : gai_strerror(rc));
		skip();
	}

	fd = hold(tcp_listener(AF_INET, "127.0.0.1", 0));
	assert_int_not_equal(fd, -1);
	snprintf(in_use, sizeof(in_use), "127.0.0.1:%u", port_of(fd));
	addrs[0] = in_use;
	addrs[1] = "nosuchhost.invalid:80";
	addrs[2] = NULL;
	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg1, sizeof(msg1), "listen %s: Address already in use",
	    in_use);
	snprintf(msg2, sizeof(msg2), "listen nosuchhost.invalid:80: %s",
	    "Name or service not known");
	want[0] = msg1;
	want[1] = msg2;
	want[2] = NULL;
	assert_true(errs_are(want));
	assert_int_equal(S.n, 0);
}

/*
 * Errors: a privileged port as an unprivileged user is "Permission
 * denied". Run in a child that gives up root, if we are root.
 */
static void
test_error_permission(void **state)
{
	char	*start, buf[512];
	ssize_t	 n;
	pid_t	 pid;
	int	 p[2], status, first = 1024;

	start = util_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    64);
	if (start != NULL)
		first = atoi(start);
	free(start);
	if (first <= 80)
		skip();
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if ((pid = fork()) == 0) {
		const char	*addrs[] = { "127.0.0.1:80", NULL };
		struct strv	 want = list(addrs);
		int		 rc;

		close(p[0]);
		if (geteuid() == 0 && (setgid(65534) == -1 ||
		    setuid(65534) == -1)) {
			(void)!write(p[1], "skip", 4);
			_exit(0);
		}
		rc = sockets_update(&S, &want, 16, &errs);
		dprintf(p[1], "%d %s", rc, errs.n > 0 ? errs.v[0] : "-");
		sockets_close(&S);
		strv_free(&errs);
		strv_free(&want);
		close(p[1]);
		_exit(0);
	}
	assert_int_not_equal(pid, -1);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(n > 0);
	buf[n] = '\0';
	if (strcmp(buf, "skip") == 0)
		skip();
	assert_string_equal(buf, "-1 listen 127.0.0.1:80: Permission denied");
}

/*
 * Unix: a fresh path is bound with the master's umask, accepts, is
 * named "unix_/PATH", and its file is removed by sockets_close().
 */
static void
test_unix_fresh(void **state)
{
	const char	*addrs[2];
	struct stat	 st;
	char		 path[256], addr[300], name[300];
	mode_t		 old;
	int		 rc;

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("fresh.sock", path,
	    sizeof(path)));
	addrs[0] = addr;
	addrs[1] = NULL;
	old = umask(077);
	rc = update(addrs, 16);
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(S.n, 1);
	assert_string_equal(S.v[0].path, path);
	snprintf(name, sizeof(name), "unix_%s", path);
	assert_string_equal(S.v[0].name, name);
	assert_true(is_listening(S.v[0].fd));
	assert_int_equal(int_opt(S.v[0].fd, SOL_SOCKET, SO_DOMAIN), AF_UNIX);
	assert_true(is_cloexec(S.v[0].fd));
	assert_true(is_blocking(S.v[0].fd));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(connect_unix(path), 0);

	sockets_close(&S);
	assert_false(exists(path));
}

/* Unix: a socket file nobody listens on (a crash's leftover) is replaced. */
static void
test_unix_stale(void **state)
{
	const char	*addrs[2];
	char		 path[256], addr[300];

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("stale.sock", path,
	    sizeof(path)));
	close(unix_bound(path, false));
	assert_true(exists(path));
	assert_int_equal(connect_unix(path), ECONNREFUSED);

	addrs[0] = addr;
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 16), 0);
	assert_int_equal(connect_unix(path), 0);
	sockets_close(&S);
	assert_false(exists(path));
}

/* Unix: a socket another server listens on is left alone and refused. */
static void
test_unix_live(void **state)
{
	const char	*addrs[2], *want[2];
	char		 path[256], addr[300], msg[400];

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("live.sock", path,
	    sizeof(path)));
	hold(unix_bound(path, true));
	addrs[0] = addr;
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg, sizeof(msg), "listen %s: address in use by another "
	    "process", addr);
	want[0] = msg;
	want[1] = NULL;
	assert_true(errs_are(want));
	assert_int_equal(S.n, 0);
	assert_true(exists(path));
	assert_int_equal(connect_unix(path), 0);
}

/*
 * Unix: a live listener whose backlog is full still counts as in use
 * (the probe does not block on it).
 */
static void
test_unix_live_full(void **state)
{
	const char	*addrs[2], *want[2];
	char		 path[256], addr[300], msg[400];
	int		 clients[8], fd;
	size_t		 n, i;

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("full.sock", path,
	    sizeof(path)));
	fd = hold(unix_bound(path, false));
	assert_int_equal(listen(fd, 0), 0);
	n = queue_fill(path, clients, nitems(clients));
	assert_true(n < nitems(clients));
	addrs[0] = addr;
	addrs[1] = NULL;
	/* A probe that blocks would hang here: end the test instead. */
	alarm(DEADLINE_MS / 1000);
	assert_int_equal(update(addrs, 16), -1);
	alarm(0);
	snprintf(msg, sizeof(msg), "listen %s: address in use by another "
	    "process", addr);
	want[0] = msg;
	want[1] = NULL;
	assert_true(errs_are(want));
	for (i = 0; i < n; i++)
		close(clients[i]);
}

/* Unix: a path that is not a socket is refused and left alone. */
static void
test_unix_not_socket(void **state)
{
	const char	*addrs[2], *want[2];
	char		 path[256], addr[300], msg[400];
	char		*text;

	snprintf(path, sizeof(path), "%s", t_write_file("plain", "data\n"));
	snprintf(addr, sizeof(addr), "unix:%s", path);
	addrs[0] = addr;
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 16), -1);
	snprintf(msg, sizeof(msg), "listen %s: exists and is not a socket",
	    addr);
	want[0] = msg;
	want[1] = NULL;
	assert_true(errs_are(want));
	assert_non_null(text = util_read_file(path, 64));
	assert_string_equal(text, "data\n");
	free(text);
}

/*
 * Unix: a socket file replaced by someone else (another prefork that
 * found ours stale) is not removed by sockets_close().
 */
static void
test_unix_replaced(void **state)
{
	const char	*addrs[2];
	struct stat	 st, st2;
	char		 path[256], addr[300];

	snprintf(addr, sizeof(addr), "unix:%s", tmp_path("replaced.sock",
	    path, sizeof(path)));
	addrs[0] = addr;
	addrs[1] = NULL;
	assert_int_equal(update(addrs, 16), 0);
	assert_int_equal(unlink(path), 0);
	hold(unix_bound(path, true));
	assert_int_equal(lstat(path, &st), 0);

	sockets_close(&S);
	assert_true(exists(path));
	assert_int_equal(connect_unix(path), 0);
	assert_int_equal(lstat(path, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
}

/*
 * Names and fds: LISTEN_FDNAMES joins the names with ':' in listen
 * order, sockets_fds() gives the fds in the same order; empty set "".
 */
static void
test_names_fds(void **state)
{
	const char	*addrs[4];
	char		 a[64], b[64], u[300], path[256], want[512];
	char		*names;
	int		 fds[3], i;

	assert_non_null(names = sockets_names(&S));
	assert_string_equal(names, "");
	free(names);

	snprintf(u, sizeof(u), "unix:%s", tmp_path("names.sock", path,
	    sizeof(path)));
	for (i = 0; i < PORT_TRIES; i++) {
		snprintf(a, sizeof(a), "127.0.0.1:%u",
		    free_port(AF_INET, "127.0.0.1"));
		snprintf(b, sizeof(b), "127.0.0.1:%u",
		    free_port(AF_INET, "127.0.0.1"));
		addrs[0] = b;
		addrs[1] = u;
		addrs[2] = a;
		addrs[3] = NULL;
		if (strcmp(a, b) != 0 && update(addrs, 16) == 0)
			break;
		strv_free(&errs);
	}
	assert_true(i < PORT_TRIES);
	snprintf(want, sizeof(want), "127.0.0.1_%s:unix_%s:127.0.0.1_%s",
	    strchr(b, ':') + 1, path, strchr(a, ':') + 1);
	assert_non_null(names = sockets_names(&S));
	assert_string_equal(names, want);
	free(names);

	sockets_fds(&S, fds);
	for (i = 0; i < 3; i++)
		assert_int_equal(fds[i], S.v[i].fd);
	assert_int_equal(port_of(fds[0]), atoi(strchr(b, ':') + 1));
	assert_int_equal(int_opt(fds[1], SOL_SOCKET, SO_DOMAIN), AF_UNIX);
	assert_int_equal(port_of(fds[2]), atoi(strchr(a, ':') + 1));
}

/*
 * Adoption runs in a child: it puts sockets (or, with fd4_plain, a
 * regular file) on fds 3 and 4 without close-on-exec, sets LISTEN_*
 * as the case says, adopts, and writes what it saw to a pipe, one
 * "key value" line each.
 */
struct adopt_case {
	const char	*pid;	/* "self", "other", or NULL: unset */
	const char	*fds;	/* LISTEN_FDS, or NULL: unset */
	const char	*names;	/* LISTEN_FDNAMES, or NULL: unset */
	bool		 fd4_plain;
};

static void
set_env(const char *name, const char *value)
{
	if (value == NULL)
		unsetenv(name);
	else
		setenv(name, value, 1);
}

/* In the child: moves fd onto target, without close-on-exec. */
static void
child_place(int fd, int target)
{
	int	high = fcntl(fd, F_DUPFD, 20);

	close(fd);
	dup2(high, target);
	close(high);
}

static void
child_report_set(int out, const char *what)
{
	char	*names = sockets_names(&S);
	size_t	 i;

	dprintf(out, "%s_n %zu\n%s_names %s\n", what, S.n, what,
	    names ? names : "(null)");
	for (i = 0; i < S.n; i++)
		dprintf(out, "%s_%zu %s fd %d adopted %d\n", what, i,
		    S.v[i].addr, S.v[i].fd, S.v[i].adopted);
	free(names);
}

static _Noreturn void
adopt_child(const struct adopt_case *c, int out)
{
	const char	*addrs[2];
	struct strv	 want;
	char		 buf[32], addr[300], path[300];
	int		 rc;

	child_place(tcp_listener(AF_INET, "127.0.0.1", 0), 3);
	child_place(c->fd4_plain ? open("/dev/null", O_RDONLY) :
	    tcp_listener(AF_INET, "127.0.0.1", 0), 4);
	snprintf(buf, sizeof(buf), "%ld", c->pid == NULL ? 0L :
	    strcmp(c->pid, "self") == 0 ? (long)getpid() : (long)getppid());
	set_env("LISTEN_PID", c->pid == NULL ? NULL : buf);
	set_env("LISTEN_FDS", c->fds);
	set_env("LISTEN_FDNAMES", c->names);

	rc = sockets_adopt(&S, &errs);
	dprintf(out, "rc %d\nactivated %d\ncloexec %d %d\nerr %s\n", rc,
	    S.activated, is_cloexec(3), is_cloexec(4),
	    errs.n > 0 ? errs.v[0] : "-");
	child_report_set(out, "adopted");

	/* An update leaves the adopted sockets alone, and first. */
	snprintf(addr, sizeof(addr), "unix:%s/adopt.%ld.sock", t_tmpdir(),
	    (long)getpid());
	snprintf(path, sizeof(path), "%s", addr + 5);
	addrs[0] = addr;
	addrs[1] = NULL;
	want = list(addrs);
	dprintf(out, "update %d\n", sockets_update(&S, &want, 8, &errs));
	child_report_set(out, "updated");
	strv_free(&want);
	dprintf(out, "update_empty %d\n", sockets_update(&S, &want, 8, &errs));
	child_report_set(out, "emptied");

	sockets_close(&S);
	dprintf(out, "closed %d %d\nfile %d\n", fcntl(3, F_GETFD) == -1,
	    fcntl(4, F_GETFD) == -1, exists(path));
	strv_free(&errs);
	close(out);
	_exit(0);
}

/* Runs a case in a child and returns its report (caller frees). */
static char *
adopt_run(const struct adopt_case *c)
{
	struct pollfd	 pfd;
	char		*text;
	size_t		 len = 0, cap = 8192;
	ssize_t		 n;
	double		 deadline = t_now_ms() + DEADLINE_MS;
	pid_t		 pid;
	int		 p[2], status;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if ((pid = fork()) == 0) {
		/* Out of the way of fds 3 and 4, which pipe2() may have. */
		int	out = fcntl(p[1], F_DUPFD_CLOEXEC, 30);

		close(p[0]);
		close(p[1]);
		adopt_child(c, out);
	}
	assert_int_not_equal(pid, -1);
	close(p[1]);
	assert_non_null(text = malloc(cap));
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		if (t_now_ms() >= deadline)
			fail_msg("adopt child %ld: no report in time",
			    (long)pid);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(p[0], text + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		assert_true(len < cap - 1);
	}
	text[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return text;
}

/* True when the report holds this whole line; prints the report if not. */
static bool
has_line(const char *report, const char *line)
{
	const char	*p = report;
	size_t		 len = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == report || p[-1] == '\n') && p[len] == '\n')
			return true;
		p++;
	}
	print_error("no line \"%s\" in the report:\n%s", line, report);
	return false;
}

/*
 * Adopt: LISTEN_PID is ours and LISTEN_FDS=2: fds 3 and 4 are adopted,
 * close-on-exec, named from LISTEN_FDNAMES; an update adds after them
 * and never removes them; sockets_close() closes them too.
 */
static void
test_adopt(void **state)
{
	const struct adopt_case	c = { "self", "2", "web:admin", false };
	char			*r = adopt_run(&c);

	assert_true(has_line(r, "rc 2"));
	assert_true(has_line(r, "activated 1"));
	assert_true(has_line(r, "cloexec 1 1"));
	assert_true(has_line(r, "err -"));
	assert_true(has_line(r, "adopted_n 2"));
	assert_true(has_line(r, "adopted_names web:admin"));
	assert_true(has_line(r, "adopted_0 fd:3 fd 3 adopted 1"));
	assert_true(has_line(r, "adopted_1 fd:4 fd 4 adopted 1"));
	assert_true(has_line(r, "update 0"));
	assert_true(has_line(r, "updated_n 3"));
	assert_true(has_line(r, "updated_0 fd:3 fd 3 adopted 1"));
	assert_true(has_line(r, "updated_1 fd:4 fd 4 adopted 1"));
	assert_true(has_line(r, "update_empty 0"));
	assert_true(has_line(r, "emptied_n 2"));
	assert_true(has_line(r, "emptied_names web:admin"));
	assert_true(has_line(r, "closed 1 1"));
	assert_true(has_line(r, "file 0"));
	free(r);
}

/* Adopt: names missing from LISTEN_FDNAMES are "unknown", as systemd's. */
static void
test_adopt_unknown_names(void **state)
{
	const struct adopt_case	unset = { "self", "2", NULL, false };
	const struct adopt_case	 part = { "self", "2", "web", false };
	char			*r;

	r = adopt_run(&unset);
	assert_true(has_line(r, "rc 2"));
	assert_true(has_line(r, "adopted_names unknown:unknown"));
	free(r);
	r = adopt_run(&part);
	assert_true(has_line(r, "rc 2"));
	assert_true(has_line(r, "adopted_names web:unknown"));
	free(r);
}

/*
 * Adopt: not for us (LISTEN_PID of another process, or unset) or no
 * fds (LISTEN_FDS 0 or unset): nothing adopted, fds untouched.
 */
static void
test_adopt_not_activated(void **state)
{
	const struct adopt_case	cases[] = {
		{ "other", "2", "web:admin", false },
		{ NULL, "2", "web:admin", false },
		{ "self", "0", NULL, false },
		{ "self", NULL, NULL, false },
		{ "self", "x", NULL, false },
	};
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		char	*r = adopt_run(&cases[i]);

		assert_true(has_line(r, "rc 0"));
		assert_true(has_line(r, "activated 0"));
		assert_true(has_line(r, "cloexec 0 0"));
		assert_true(has_line(r, "adopted_n 0"));
		assert_true(has_line(r, "err -"));
		free(r);
	}
}

/* Adopt: an fd that is not a socket fails adoption, naming the fd. */
static void
test_adopt_not_socket(void **state)
{
	const struct adopt_case	c = { "self", "2", "web:admin", true };
	char			*r = adopt_run(&c);

	assert_true(has_line(r, "rc -1"));
	assert_true(has_line(r, "activated 0"));
	assert_true(has_line(r, "err LISTEN_FDS: fd 4 is not a socket"));
	assert_true(has_line(r, "adopted_n 0"));
	assert_true(has_line(r, "cloexec 0 0"));
	free(r);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_tcp_ipv4, teardown),
		cmocka_unit_test_teardown(test_tcp_any, teardown),
		cmocka_unit_test_teardown(test_tcp_ipv6, teardown),
		cmocka_unit_test_teardown(test_tcp_ipv6_zone, teardown),
		cmocka_unit_test_teardown(test_tcp_hostname, teardown),
		cmocka_unit_test_teardown(test_update_keep_add_remove,
		    teardown),
		cmocka_unit_test_teardown(test_update_backlog_applied,
		    teardown),
		cmocka_unit_test_teardown(test_update_all_or_nothing,
		    teardown),
		cmocka_unit_test_teardown(test_error_messages, teardown),
		cmocka_unit_test_teardown(test_error_permission, teardown),
		cmocka_unit_test_teardown(test_unix_fresh, teardown),
		cmocka_unit_test_teardown(test_unix_stale, teardown),
		cmocka_unit_test_teardown(test_unix_live, teardown),
		cmocka_unit_test_teardown(test_unix_live_full, teardown),
		cmocka_unit_test_teardown(test_unix_not_socket, teardown),
		cmocka_unit_test_teardown(test_unix_replaced, teardown),
		cmocka_unit_test_teardown(test_names_fds, teardown),
		cmocka_unit_test_teardown(test_adopt, teardown),
		cmocka_unit_test_teardown(test_adopt_unknown_names, teardown),
		cmocka_unit_test_teardown(test_adopt_not_activated, teardown),
		cmocka_unit_test_teardown(test_adopt_not_socket, teardown),
	};

	(void)t_tmpdir();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
