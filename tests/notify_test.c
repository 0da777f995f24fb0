/* SPDX-License-Identifier: ISC */
/*
 * notify_test: the sd_notify protocol both ways: addresses, messages to a
 * service manager the test plays, the watchdog variables, the workers'
 * socket with the senders' credentials, and message parsing.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"
#include "testlib.h"

/* A datagram socket bound where NOTIFY_SOCKET will point. */
static int
manager_socket(const char *where)
{
	struct sockaddr_un	addr;
	socklen_t		len;
	int			fd;

	assert_int_equal(notify_parse_address(where, &addr, &len), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, len), 0);
	return fd;
}

/* The next datagram, waiting at most a second. */
static char *
receive(int fd, char *buf, size_t len)
{
	struct timeval	tv = { 1, 0 };
	ssize_t		n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, len - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Paths and "@abstract" names; nothing else. */
static void
test_parse_address(void **state)
{
	struct sockaddr_un	a;
	socklen_t		len;
	char			longpath[200];

	assert_int_equal(notify_parse_address("/run/systemd/notify", &a,
	    &len), 0);
	assert_string_equal(a.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);
	assert_int_equal(notify_parse_address("@abc", &a, &len), 0);
	assert_int_equal(a.sun_path[0], '\0');
	assert_memory_equal(a.sun_path + 1, "abc", 3);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 4);
	assert_int_equal(notify_parse_address("relative", &a, &len), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(notify_parse_address("", &a, &len), -1);
	assert_int_equal(notify_parse_address("@", &a, &len), -1);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(notify_parse_address(longpath, &a, &len), -1);
}

/* Unset NOTIFY_SOCKET: nothing is sent, and that is not an error. */
static void
test_no_manager(void **state)
{
	struct notify	n;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_int_equal(notify_status(&n, "x"), 0);
	notify_close(&n);
}

/* Messages reach the manager's socket, at a path and in the abstract
   namespace; STATUS= only when it changed. */
static void
test_send(void **state)
{
	const char *const	 where[] = { NULL, "@prefork-notify-test" };
	struct notify		 n;
	char			 path[300], buf[512];
	size_t			 i;
	int			 fd;

	snprintf(path, sizeof(path), "%s/notify.sock", t_tmpdir());
	for (i = 0; i < 2; i++) {
		const char	*w = where[i] ? where[i] : path;

		fd = manager_socket(w);
		setenv("NOTIFY_SOCKET", w, 1);
		assert_int_equal(notify_open(&n), 0);
		assert_true(n.fd != -1);
		assert_int_equal(notify_send(&n, "READY=1"), 0);
		assert_string_equal(receive(fd, buf, sizeof(buf)), "READY=1");
		assert_int_equal(notify_status(&n, "1/2 workers ready"), 0);
		assert_int_equal(notify_status(&n, "1/2 workers ready"), 0);
		assert_int_equal(notify_status(&n, "2/2 workers ready"), 0);
		assert_string_equal(receive(fd, buf, sizeof(buf)),
		    "STATUS=1/2 workers ready");
		assert_string_equal(receive(fd, buf, sizeof(buf)),
		    "STATUS=2/2 workers ready");
		notify_close(&n);
		close(fd);
	}
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
}

/* WATCHDOG_USEC counts only when WATCHDOG_PID is unset or ours. */
static void
test_watchdog_env(void **state)
{
	struct notify	n;
	char		pid[32];
	int		fd = manager_socket("@prefork-notify-wd");

	setenv("NOTIFY_SOCKET", "@prefork-notify-wd", 1);
	setenv("WATCHDOG_USEC", "3000000", 1);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.watchdog_usec, 3000000);
	notify_close(&n);

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.watchdog_usec, 3000000);
	notify_close(&n);

	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.watchdog_usec, 0);
	notify_close(&n);

	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "soon", 1);
	assert_int_equal(notify_open(&n), 0);
	assert_int_equal(n.watchdog_usec, 0);
	notify_close(&n);
	unsetenv("WATCHDOG_USEC");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

/* No manager listening where NOTIFY_SOCKET points: an error, at once. */
static void
test_manager_missing(void **state)
{
	struct notify	n;

	setenv("NOTIFY_SOCKET", "@prefork-notify-nobody-here", 1);
	assert_int_equal(notify_open(&n), -1);
	assert_int_equal(n.fd, -1);
	notify_close(&n);
	unsetenv("NOTIFY_SOCKET");
}

/*
 * A manager that does not read: messages wait in order, heartbeats and
 * status lines fold, and once it reads again every one arrives, READY
 * after the STATUS that came before it.
 */
static void
test_queue_when_manager_busy(void **state)
{
	struct notify	n;
	char		buf[512], want[64];
	int		fd, i, sent = 0;

	fd = manager_socket("@prefork-notify-busy");
	setenv("NOTIFY_SOCKET", "@prefork-notify-busy", 1);
	assert_int_equal(notify_open(&n), 0);
	/* Fill the manager's queue (max_dgram_qlen) until we must queue. */
	for (i = 0; i < 10000 && !notify_pending(&n); i++) {
		snprintf(want, sizeof(want), "X=%d", i);
		assert_int_equal(notify_send(&n, want), 0);
		sent++;
	}
	assert_true(notify_pending(&n));
	assert_int_equal(notify_flush(&n), 1);
	assert_int_equal(notify_send(&n, "WATCHDOG=1"), 0);
	assert_int_equal(notify_status(&n, "1/2 workers ready"), 0);
	assert_int_equal(notify_send(&n, "WATCHDOG=1"), 0);
	assert_int_equal(notify_status(&n, "2/2 workers ready"), 0);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	/* X=last, WATCHDOG=1, STATUS=2/2 (folded), READY=1 */
	assert_int_equal(n.queue.n, 4);

	/* The manager reads everything, and we flush. */
	for (i = 0; i < sent - 1; i++) {
		snprintf(want, sizeof(want), "X=%d", i);
		assert_string_equal(receive(fd, buf, sizeof(buf)), want);
	}
	assert_int_equal(notify_flush(&n), 0);
	assert_false(notify_pending(&n));
	snprintf(want, sizeof(want), "X=%d", sent - 1);
	assert_string_equal(receive(fd, buf, sizeof(buf)), want);
	assert_string_equal(receive(fd, buf, sizeof(buf)), "WATCHDOG=1");
	assert_string_equal(receive(fd, buf, sizeof(buf)),
	    "STATUS=2/2 workers ready");
	assert_string_equal(receive(fd, buf, sizeof(buf)), "READY=1");
	notify_close(&n);
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

/* The workers' socket: an abstract name, and each message with the pid
   of the process that sent it. */
static void
test_server_credentials(void **state)
{
	struct notify_server	ns = NOTIFY_SERVER_INIT;
	char			buf[256];
	pid_t			child, from = 0;
	size_t			size;
	int			status;

	assert_int_equal(notify_server_open(&ns), 0);
	assert_int_equal(strncmp(ns.env, "NOTIFY_SOCKET=@", 15), 0);
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf), &size), 0);

	child = fork();
	assert_true(child != -1);
	if (child == 0) {
		struct notify	n;

		setenv("NOTIFY_SOCKET", ns.env + strlen("NOTIFY_SOCKET="), 1);
		_exit(notify_open(&n) == 0 &&
		    notify_send(&n, "READY=1\nSTATUS=serving") == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf), &size), 1);
	assert_int_equal(from, child);
	assert_string_equal(buf, "READY=1\nSTATUS=serving");
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf), &size), 0);
	notify_server_close(&ns);
	assert_int_equal(ns.fd, -1);
}

/* Descriptors passed along with a message are closed, not kept. */
static void
test_server_drops_fds(void **state)
{
	struct notify_server	 ns = NOTIFY_SERVER_INIT;
	struct sockaddr_un	 addr;
	socklen_t		 alen;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(3 * sizeof(int))];
	} control;
	struct iovec		 iov = { (char *)"FDSTORE=1", 9 };
	struct msghdr		 msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr		*c;
	int			 fds[3], s, i;
	size_t			 before;
	char			 buf[64];
	pid_t			 from;
	size_t			 size;

	assert_int_equal(notify_server_open(&ns), 0);
	assert_int_equal(notify_parse_address(ns.env + 14, &addr, &alen), 0);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < 3; i++)
		fds[i] = dup(0);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	msg.msg_name = &addr;
	msg.msg_namelen = alen;
	assert_int_equal(sendmsg(s, &msg, 0), 9);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	before = t_dir_entries("/proc/self/fd");
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf), &size), 1);
	assert_int_equal(from, getpid());
	assert_int_equal(t_dir_entries("/proc/self/fd"), before);
	close(s);
	notify_server_close(&ns);
}

/*
 * A long message is cut to the buffer, still NUL-terminated, and its
 * real size says that it was.
 */
static void
test_server_truncates(void **state)
{
	struct notify_server	ns = NOTIFY_SERVER_INIT;
	struct notify		n;
	char			big[300], buf[16];
	pid_t			from;
	size_t			size = 0;

	assert_int_equal(notify_server_open(&ns), 0);
	setenv("NOTIFY_SOCKET", ns.env + 14, 1);
	assert_int_equal(notify_open(&n), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(notify_send(&n, big), 0);
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf), &size), 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(size, sizeof(big) - 1);
	notify_close(&n);
	notify_server_close(&ns);
	unsetenv("NOTIFY_SOCKET");
}

/*
 * A long STATUS= does not cost a worker the READY=1 after it: a message
 * of up to NOTIFY_MSG_MAX bytes is read whole.
 */
static void
test_server_long_message(void **state)
{
	static char		msg[NOTIFY_MSG_MAX + 1], buf[NOTIFY_MSG_MAX + 1];
	struct notify_server	ns = NOTIFY_SERVER_INIT;
	struct notify_msg	m;
	struct notify		n;
	size_t			size = 0, len;
	pid_t			from;

	assert_int_equal(notify_server_open(&ns), 0);
	setenv("NOTIFY_SOCKET", ns.env + 14, 1);
	assert_int_equal(notify_open(&n), 0);
	len = NOTIFY_MSG_MAX - strlen("\nREADY=1");
	memcpy(msg, "STATUS=", 7);
	memset(msg + 7, 's', len - 7);
	strcpy(msg + len, "\nREADY=1");
	assert_int_equal(strlen(msg), NOTIFY_MSG_MAX);
	assert_int_equal(notify_send(&n, msg), 0);
	assert_int_equal(notify_server_recv(&ns, &from, buf, sizeof(buf),
	    &size), 1);
	assert_int_equal(size, NOTIFY_MSG_MAX);
	notify_parse(buf, &m);
	assert_true(m.ready);
	assert_non_null(m.status);
	assert_int_equal(strlen(m.status), len - 7);
	notify_close(&n);
	notify_server_close(&ns);
	unsetenv("NOTIFY_SOCKET");
}

/* What a message says; unknown assignments are ignored. */
static void
test_parse_message(void **state)
{
	struct notify_msg	m;
	char			a[] = "READY=1\nSTATUS=warming up\nFOO=bar";
	char			b[] = "WATCHDOG=1";
	char			c[] = "READY=0\nSTATUS=\nSTOPPING=1\n";
	char			d[] = "";

	notify_parse(a, &m);
	assert_true(m.ready);
	assert_false(m.watchdog);
	assert_string_equal(m.status, "warming up");
	notify_parse(b, &m);
	assert_false(m.ready);
	assert_true(m.watchdog);
	assert_null(m.status);
	notify_parse(c, &m);
	assert_false(m.ready);
	assert_true(m.stopping);
	assert_string_equal(m.status, "");
	notify_parse(d, &m);
	assert_false(m.ready || m.watchdog || m.stopping);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_address),
		cmocka_unit_test(test_no_manager),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_watchdog_env),
		cmocka_unit_test(test_manager_missing),
		cmocka_unit_test(test_queue_when_manager_busy),
		cmocka_unit_test(test_server_credentials),
		cmocka_unit_test(test_server_drops_fds),
		cmocka_unit_test(test_server_truncates),
		cmocka_unit_test(test_server_long_message),
		cmocka_unit_test(test_parse_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
