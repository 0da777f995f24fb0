/* SPDX-License-Identifier: ISC */
/*
 * sample_load_test: the pressure files' parser on fixed text, the file
 * found over fixture trees (tests/fixtures/psi-*) and on this system,
 * and the connections on real loopback listeners counted through
 * sock_diag: queued, accepted, closed by either end, on another port or
 * address, over IPv6, and what is no TCP listener.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sample.h"
#include "sample_load.h"
#include "testlib.h"
#include "util.h"

static void
test_parse_psi(void **state)
{
	static const struct {
		const char	*text;
		uint64_t	 some, full;
		bool		 has_full;
	} good[] = {
		{ "some avg10=0.00 avg60=0.00 avg300=0.00 total=576191133\n"
		    "full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n",
		    576191133, 12, true },
		/* cpu.pressure before Linux 5.13: no full line. */
		{ "some avg10=1.75 avg60=0.59 avg300=0.14 total=42\n", 42, 0,
		    false },
		/* No final newline; the other order; a key to come. */
		{ "full total=7 avg10=0.00\nsome avg10=99.99 total=8", 8, 7,
		    true },
		{ "some avg10=0.00 avg600=0.00 total=18446744073709551615\n",
		    UINT64_MAX, 0, false },
		{ "some total=0\n", 0, 0, false },
	};
	static const char	*const bad[] = {
		"",
		"\n",
		"some\n",
		"some \n",
		"some avg10=0.00\n",
		"some total=1 total=1\n",
		"some total=18446744073709551616\n",
		"some total=-1\n",
		"some total=\n",
		"some total=1x\n",
		"some total=1.5\n",
		"some  total=1\n",
		"some total=1 \n",
		"some\ttotal=1\n",
		"some total=1\n\nfull total=2\n",
		"some total=1\nsome total=2\n",
		"some total=1\nfull total=2\nfull total=3\n",
		"full total=2\n",
		"half total=2\n",
		"Some total=2\n",
		"some Total=2\n",
		"some =2 total=2\n",
		"some avg10=abc total=2\n",
		"some avg10 total=2\n",
		"some total=1\r\n",
	};
	static const char	nul[] = "some total=1\0\nfull total=2\n";
	struct sample_psi	p;
	size_t			i;

	for (i = 0; i < nitems(good); i++) {
		memset(&p, 0xa5, sizeof(p));
		assert_int_equal(sample_parse_psi(good[i].text,
		    strlen(good[i].text), &p), 0);
		assert_true(p.some_us == good[i].some);
		assert_true(p.full_us == good[i].full);
		assert_int_equal(p.has_full, good[i].has_full);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (sample_parse_psi(bad[i], strlen(bad[i]), &p) != -1)
			fail_msg("taken: \"%s\"", bad[i]);
	}
	/* A NUL is a byte like another: not a digit. */
	assert_int_equal(sample_parse_psi(nul, sizeof(nul) - 1, &p), -1);
	/* The length is obeyed: cut in the number, then before "total". */
	assert_int_equal(sample_parse_psi(good[0].text, 49, &p), 0);
	assert_true(p.some_us == 5761);
	assert_false(p.has_full);
	assert_int_equal(sample_parse_psi(good[0].text, 40, &p), -1);
}

/* sample_psi_find() under a fixture; checks its path and why. */
static void
find_expect(const char *fixture, enum sample_psi_kind kind,
    const char *file, const char *why, uint64_t some)
{
	char			root[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
	char			reason[512];
	struct sample_psi	p;

	/* A root may end with a slash. */
	snprintf(root, sizeof(root), "%s/", t_fixture(fixture));
	snprintf(want, sizeof(want), "%s%s", t_fixture(fixture), file);
	memset(reason, 'x', sizeof(reason));
	assert_int_equal(sample_psi_find(root, kind, path, sizeof(path),
	    reason, sizeof(reason)), 0);
	assert_string_equal(path, want);
	assert_string_equal(reason, why);
	assert_int_equal(sample_psi_read(path, &p), 0);
	assert_true(p.some_us == some);
}

/*
 * psi-cgv2: the master's cgroup v2 has both files, and /proc/pressure
 * too: the cgroup's are taken. psi-cgv2-bare: the cgroup has no
 * cpu.pressure and a memory.pressure that does not parse: the system's
 * are taken, and why says why.
 */
static void
test_psi_find_fixtures(void **state)
{
	find_expect("psi-cgv2", SAMPLE_PSI_CPU,
	    "/sys/fs/cgroup/system.slice/app.service/cpu.pressure", "",
	    576191133);
	find_expect("psi-cgv2", SAMPLE_PSI_MEMORY,
	    "/sys/fs/cgroup/system.slice/app.service/memory.pressure", "",
	    388438);
	find_expect("psi-cgv2-bare", SAMPLE_PSI_CPU, "/proc/pressure/cpu",
	    "/sys/fs/cgroup/system.slice/app.service/cpu.pressure: No such "
	    "file or directory", 5555);
	find_expect("psi-cgv2-bare", SAMPLE_PSI_MEMORY,
	    "/proc/pressure/memory",
	    "/sys/fs/cgroup/system.slice/app.service/memory.pressure: not "
	    "understood", 6666);
}

/*
 * psi-none: cgroup v1 only, and a kernel without PSI (or psi=0). Then a
 * path too long, and files that are no pressure files.
 */
static void
test_psi_find_none(void **state)
{
	char			path[PATH_MAX], why[512];
	struct sample_psi	p;

	errno = 0;
	assert_int_equal(sample_psi_find(t_fixture("psi-none"),
	    SAMPLE_PSI_CPU, path, sizeof(path), why, sizeof(why)), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(why, "no cgroup v2 pressure file and "
	    "/proc/pressure/cpu: No such file or directory");
	assert_int_equal(sample_psi_find(t_fixture("psi-none"),
	    SAMPLE_PSI_MEMORY, path, sizeof(path), why, sizeof(why)), -1);
	assert_string_equal(why, "no cgroup v2 pressure file and "
	    "/proc/pressure/memory: No such file or directory");
	/* A path that does not fit is no file. */
	errno = 0;
	assert_int_equal(sample_psi_find(t_fixture("psi-cgv2"),
	    SAMPLE_PSI_CPU, path, 8, why, sizeof(why)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_true(t_contains(why, "path too long"));
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/system.slice/"
	    "app.service/memory.pressure", t_fixture("psi-cgv2-bare"));
	errno = 0;
	assert_int_equal(sample_psi_read(path, &p), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sample_psi_read(t_fixture("psi-none"), &p), -1);
	assert_int_equal(errno, EISDIR);
}

/* This system: whichever file it has, it reads; or it has none. */
static void
test_psi_find_system(void **state)
{
	char			path[PATH_MAX], why[512];
	struct sample_psi	p;
	int			r;

	r = sample_psi_find("/", SAMPLE_PSI_CPU, path, sizeof(path), why,
	    sizeof(why));
	if (r == -1) {
		assert_true(t_contains(why, "no cgroup v2 pressure file"));
		skip();
	}
	print_message("cpu pressure: %s%s%s\n", path, *why != '\0' ? ": " :
	    "", why);
	assert_int_equal(sample_psi_read(path, &p), 0);
	assert_int_equal(sample_psi_find("", SAMPLE_PSI_MEMORY, path,
	    sizeof(path), why, sizeof(why)), 0);
	assert_int_equal(sample_psi_read(path, &p), 0);
}

/* A TCP listener on addr (family's loopback or wildcard), port 0. */
static int
listen_on(int family, const char *addr, int backlog)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		len;
	int			fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
		    1);
		len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, backlog) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A client connected to l's port, at addr (l's own address if NULL). */
static int
connect_to(int l, const char *addr)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			fd;

	assert_int_equal(getsockname(l, (struct sockaddr *)&ss, &len), 0);
	if (addr != NULL)
		assert_int_equal(inet_pton(AF_INET, addr,
		    &((struct sockaddr_in *)&ss)->sin_addr), 1);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* A listener, and the counts it must reach. */
struct conns_wait {
	int		l;
	uint32_t	want;
	uint32_t	queued;		/* its accept queue */
};

static bool
conns_reached(void *arg)
{
	const struct conns_wait	*w = arg;
	struct sample_queue	 q;
	uint32_t		 n;

	return sample_listen_conns(w->l, &n) == 0 && n == w->want &&
	    sample_listen_queue(w->l, &q) == 0 && q.length == w->queued;
}

/*
 * Waits until l's count is want and its queue queued, then checks them
 * once more: a handshake, or a FIN, ends in the kernel's own time.
 */
static void
expect_conns(int l, uint32_t want, uint32_t queued)
{
	struct conns_wait	w = { l, want, queued };
	struct sample_queue	q;
	uint32_t		n = UINT32_MAX;

	(void)t_wait_until(conns_reached, &w, 5000);
	assert_int_equal(sample_listen_conns(l, &n), 0);
	assert_int_equal(n, want);
	assert_int_equal(sample_listen_queue(l, &q), 0);
	assert_int_equal(q.length, queued);
}

/* Waits until fd reads its end of stream: the peer closed it. */
static void
wait_eof(int fd)
{
	char	c;

	assert_true(t_wait_fd(fd, POLLIN, t_now_ms() + 5000));
	assert_int_equal(read(fd, &c, 1), 0);
}

/*
 * 127.0.0.1, backlog 16: 5 clients, 2 of them accepted. Every server
 * end counts, queued or held (5, 3 of them queued: 2 in service), and
 * no client end, whose remote port is the listener's. An accepted end
 * the server closed no longer counts; one whose client closed it
 * (CLOSE_WAIT) still does while the worker holds it, in the queue too.
 * Another listener's connections are its own.
 */
static void
test_listen_conns_v4(void **state)
{
	int		l, other, c[5], a[2], oc[2], i;

	assert_true((l = listen_on(AF_INET, "127.0.0.1", 16)) >= 0);
	assert_true((other = listen_on(AF_INET, "127.0.0.1", 16)) >= 0);
	expect_conns(l, 0, 0);
	for (i = 0; i < 5; i++)
		c[i] = connect_to(l, NULL);
	for (i = 0; i < 2; i++)
		oc[i] = connect_to(other, NULL);
	expect_conns(l, 5, 5);
	for (i = 0; i < 2; i++)
		assert_true((a[i] = accept(l, NULL, NULL)) >= 0);
	expect_conns(l, 5, 3);
	expect_conns(other, 2, 2);

	/* The server closes one it accepted (c[0]'s end, FIN_WAIT). */
	close(a[0]);
	expect_conns(l, 4, 3);
	/* c[1] closes: a[1] is in CLOSE_WAIT, and held. */
	close(c[1]);
	wait_eof(a[1]);
	expect_conns(l, 4, 3);
	/* c[2] closes while queued: still one to accept, and to serve. */
	close(c[2]);
	expect_conns(l, 4, 3);
	close(a[1]);
	expect_conns(l, 3, 3);
	for (i = 0; i < 5; i++)
		if (i != 1 && i != 2)
			close(c[i]);
	for (i = 0; i < 2; i++)
		close(oc[i]);
	close(other);
	close(l);
}

/*
 * Two listeners on one port, at 127.0.0.1 and 127.0.0.2: each counts
 * its own address's. A wildcard listener counts every address's.
 */
static void
test_listen_conns_address(void **state)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			l1, l2, any, c[4], i, on = 1;

	assert_true((any = listen_on(AF_INET, "0.0.0.0", 16)) >= 0);
	c[0] = connect_to(any, "127.0.0.1");
	c[1] = connect_to(any, "127.0.0.2");
	expect_conns(any, 2, 2);
	for (i = 0; i < 2; i++)
		close(c[i]);
	close(any);

	assert_true((l1 = listen_on(AF_INET, "127.0.0.1", 16)) >= 0);
	assert_int_equal(getsockname(l1, (struct sockaddr *)&sin, &len), 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	l2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l2 >= 0);
	assert_int_equal(setsockopt(l2, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)), 0);
	if (bind(l2, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(l1);
		close(l2);
		skip();
	}
	assert_int_equal(listen(l2, 16), 0);
	c[0] = connect_to(l1, NULL);
	for (i = 1; i < 4; i++)
		c[i] = connect_to(l2, NULL);
	expect_conns(l1, 1, 1);
	expect_conns(l2, 3, 3);
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(l1);
	close(l2);
}

/* ::1, when this machine has an IPv6 loopback. */
static void
test_listen_conns_v6(void **state)
{
	int	l, c[3], a, i;

	if ((l = listen_on(AF_INET6, "::1", 16)) == -1) {
		print_message("no IPv6 loopback: %s\n", strerror(errno));
		skip();
	}
	for (i = 0; i < 3; i++)
		c[i] = connect_to(l, NULL);
	expect_conns(l, 3, 3);
	assert_true((a = accept(l, NULL, NULL)) >= 0);
	expect_conns(l, 3, 2);
	close(a);
	expect_conns(l, 2, 2);
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(l);
}

/* What is no TCP listener. */
static void
test_listen_conns_not(void **state)
{
	struct sockaddr_un	sun;
	struct sockaddr_in	sin;
	uint32_t		n = 77;
	int			fd, fds[2];

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* An abstract name: nothing to remove. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "prefork-sample-load-%ld", (long)getpid());
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	errno = 0;
	assert_int_equal(sample_listen_conns(fd, &n), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	close(fd);
	/* TCP, not listening: unbound, then bound to a port. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	errno = 0;
	assert_int_equal(sample_listen_conns(fd, &n), -1);
	assert_int_equal(errno, EINVAL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	errno = 0;
	assert_int_equal(sample_listen_conns(fd, &n), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	/* UDP. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	errno = 0;
	assert_int_equal(sample_listen_conns(fd, &n), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	close(fd);
	/* No socket. */
	assert_int_equal(pipe(fds), 0);
	errno = 0;
	assert_int_equal(sample_listen_conns(fds[0], &n), -1);
	assert_int_equal(errno, ENOTSOCK);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(n, 77);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_psi),
		cmocka_unit_test(test_psi_find_fixtures),
		cmocka_unit_test(test_psi_find_none),
		cmocka_unit_test(test_psi_find_system),
		cmocka_unit_test(test_listen_conns_v4),
		cmocka_unit_test(test_listen_conns_address),
		cmocka_unit_test(test_listen_conns_v6),
		cmocka_unit_test(test_listen_conns_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
