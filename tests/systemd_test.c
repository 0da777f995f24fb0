/* SPDX-License-Identifier: ISC */
/*
 * systemd_test: the real prefork daemon against prefork(8) SYSTEMD. Upward,
 * the sd_notify protocol to a service manager the test plays (READY=1,
 * STATUS=, RELOADING=1 with MONOTONIC_USEC=, STOPPING=1, WATCHDOG=1);
 * the listening sockets prefork binds, moves on HUP, or is handed by
 * socket activation, and passes to its workers; downward, the workers'
 * readiness and heartbeats on the master's notify socket; and a rolling
 * restart under load that must not drop a single request. Each test
 * starts prefork in the background over the test worker
 * (tests/helpers/testworker.c: --serve, --notify-ready, --heartbeat,
 * --notify-child), talks to it over loopback only, with every network
 * wait bounded, and its teardown ends whatever is left.
 */
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
#include <regex.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "messages.h"
#include "testlib.h"
#include "util.h"

/*
 * The deadline for a condition that should hold within milliseconds:
 * generous, for a loaded machine or a sanitizer build. A test that
 * passes waits only as long as the condition takes.
 */
#define WAIT_MS		20000

/* The deadline of one request to a worker. */
#define REQUEST_MS	15000

/* Short timeouts, so that the program runs in seconds. */
#define DELAYS								\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 1s\n"					\
	"min_uptime = 200ms\n"
#define TIMEOUTS	"graceful_timeout = 500ms\n" DELAYS

/*
 * The service manager the test plays: a datagram socket where
 * NOTIFY_SOCKET points, read by a thread of its own, since the kernel
 * queues only net.unix.max_dgram_qlen datagrams (10 by default) and
 * prefork's sends would fail while the test is busy elsewhere. Every
 * message is kept, in order, with the time it arrived.
 */
struct sd_msg {
	char	*text;
	double	 at;		/* t_now_ms() */
};

struct fake_sd {
	int		 fd;
	int		 stop[2];
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	struct sd_msg	*v;
	size_t		 n;
	size_t		 cap;
	char		 env[160];	/* "NOTIFY_SOCKET=..." */
	bool		 running;
	bool		 paused;	/* a busy manager: nothing read */
};

static struct fake_sd	fsd;

static void *
fake_sd_main(void *arg)
{
	struct fake_sd	*s = arg;
	struct sd_msg	*v;
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		struct pollfd	p[2] = {
			{ .fd = s->fd, .events = POLLIN },
			{ .fd = s->stop[0], .events = POLLIN },
		};
		bool		paused;

		pthread_mutex_lock(&s->mu);
		paused = s->paused;
		pthread_mutex_unlock(&s->mu);
		if (paused) {
			/* Only the stop pipe, and a look at the flag soon. */
			p[0].fd = -1;
			if (poll(p, 2, 5) > 0 && p[1].revents != 0)
				break;
			continue;
		}
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents != 0)
			break;
		if ((n = recv(s->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) < 0)
			continue;
		buf[n] = '\0';
		pthread_mutex_lock(&s->mu);
		if (s->n == s->cap) {
			v = realloc(s->v, (s->cap ? s->cap * 2 : 64) *
			    sizeof(*v));
			if (v != NULL) {
				s->v = v;
				s->cap = s->cap ? s->cap * 2 : 64;
			}
		}
		if (s->n < s->cap &&
		    (s->v[s->n].text = strdup(buf)) != NULL)
			s->v[s->n++].at = t_now_ms();
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

/*
 * Opens the fake service manager on a path under t_tmpdir(), or in the
 * abstract namespace ("@name").
 */
static struct fake_sd *
fake_sd_open(bool abstract)
{
	static unsigned		 seq;
	struct fake_sd		*s = &fsd;
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	socklen_t		 len;
	char			 name[100];

	assert_false(s->running);
	memset(s, 0, sizeof(*s));
	seq++;
	if (abstract) {
		xsnprintf(name, sizeof(name), "prefork-test-%ld-%u",
		    (long)getpid(), seq);
		memcpy(sun.sun_path + 1, name, strlen(name));
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(name));
		xsnprintf(s->env, sizeof(s->env), "NOTIFY_SOCKET=@%s", name);
	} else {
		xsnprintf(name, sizeof(name), "%s/notify-%u.sock",
		    t_tmpdir(), seq);
		assert_true(strlen(name) < sizeof(sun.sun_path));
		strcpy(sun.sun_path, name);
		len = sizeof(sun);
		xsnprintf(s->env, sizeof(s->env), "NOTIFY_SOCKET=%s", name);
	}
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->fd != -1);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sun, len), 0);
	assert_int_equal(pipe2(s->stop, O_CLOEXEC), 0);
	assert_int_equal(pthread_mutex_init(&s->mu, NULL), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, fake_sd_main, s),
	    0);
	s->running = true;
	return s;
}

static void
fake_sd_close(void)
{
	struct fake_sd	*s = &fsd;
	size_t		 i;

	if (!s->running)
		return;
	assert_int_equal(write(s->stop[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	for (i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	pthread_mutex_destroy(&s->mu);
	memset(s, 0, sizeof(*s));
}

/*
 * Stops reading (a busy service manager), or reads again. A pause takes
 * effect after at most one more message: make it before prefork starts.
 */
static void
fake_sd_pause(struct fake_sd *s, bool paused)
{
	pthread_mutex_lock(&s->mu);
	s->paused = paused;
	pthread_mutex_unlock(&s->mu);
}

static size_t
fake_sd_count(struct fake_sd *s)
{
	size_t	n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* Message i: its text copied into buf, and when it came. */
static const char *
fake_sd_get(struct fake_sd *s, size_t i, char *buf, size_t len, double *at)
{
	pthread_mutex_lock(&s->mu);
	assert_true(i < s->n);
	snprintf(buf, len, "%s", s->v[i].text);
	if (at != NULL)
		*at = s->v[i].at;
	pthread_mutex_unlock(&s->mu);
	return buf;
}

/*
 * The line of text that is want ("READY=1"), or that starts with want
 * when want ends with '=' ("STATUS="), copied into line (may be NULL).
 */
static bool
msg_line(const char *text, const char *want, char *line, size_t len)
{
	size_t		 wlen = strlen(want), n;
	bool		 prefix = wlen > 0 && want[wlen - 1] == '=';
	const char	*p, *end;

	for (p = text; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "\n");
		n = (size_t)(end - p);
		if (prefix ? n >= wlen && strncmp(p, want, wlen) == 0 :
		    n == wlen && strncmp(p, want, wlen) == 0) {
			if (line != NULL)
				snprintf(line, len, "%.*s", (int)n, p);
			return true;
		}
	}
	return false;
}

/* The first message from index from on with the line want, or -1. */
static long
fake_sd_find(struct fake_sd *s, size_t from, const char *want)
{
	long	found = -1;
	size_t	i;

	pthread_mutex_lock(&s->mu);
	for (i = from; i < s->n && found == -1; i++)
		if (msg_line(s->v[i].text, want, NULL, 0))
			found = (long)i;
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* Every message so far, on stderr, for a failure to show. */
static void
fake_sd_dump(struct fake_sd *s)
{
	char	buf[4096];
	double	at;
	size_t	i, n = fake_sd_count(s);

	fflush(stdout);
	fprintf(stderr, "--- %zu messages to %s ---\n", n, s->env);
	for (i = 0; i < n; i++) {
		fake_sd_get(s, i, buf, sizeof(buf), &at);
		fprintf(stderr, "[%zu] at %.0f ms: %s\n", i, at, buf);
	}
	fflush(stderr);
}

struct sd_wait {
	struct fake_sd	*s;
	size_t		 from;
	const char	*want;
	long		 found;
};

static bool
sd_arrived(void *arg)
{
	struct sd_wait	*w = arg;

	return (w->found = fake_sd_find(w->s, w->from, w->want)) != -1;
}

/* Waits for a message with the line want at index from or later. */
static size_t
fake_sd_wait(struct fake_sd *s, size_t from, const char *want)
{
	struct sd_wait	w = { s, from, want, -1 };

	if (!t_wait_until(sd_arrived, &w, WAIT_MS)) {
		fake_sd_dump(s);
		fail_msg("no \"%s\" from message %zu on", want, from);
	}
	return (size_t)w.found;
}

/* How many messages in [from, to) have the line want. */
static unsigned
fake_sd_tally(struct fake_sd *s, size_t from, size_t to, const char *want)
{
	unsigned	n = 0;
	size_t		i;

	pthread_mutex_lock(&s->mu);
	for (i = from; i < to && i < s->n; i++)
		if (msg_line(s->v[i].text, want, NULL, 0))
			n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int
teardown(void **state)
{
	int	rc;

	(void)state;
	rc = it_teardown();
	fake_sd_close();
	return rc;
}

struct env_wait {
	pid_t		 pid;
	const char	*name;
	const char	*value;
};

static bool
env_there(void *arg)
{
	struct env_wait	*e = arg;

	return (e->value = t_proc_env(e->pid, e->name)) != NULL;
}

/*
 * An environment variable of pid that must be there. A worker run
 * through "sh -c 'exec ...'" reads as having no environment at all for
 * a moment while it execs (the kernel sets the new one up after the new
 * memory), so a missing variable is read again until the deadline.
 */
static const char *
env_of(pid_t pid, const char *name)
{
	struct env_wait	e = { pid, name, NULL };

	if (!t_wait_until(env_there, &e, WAIT_MS))
		fail_msg("worker %ld has no %s", (long)pid, name);
	return e.value;
}

static void
assert_env(pid_t pid, const char *name, const char *want)
{
	const char	*v = env_of(pid, name);

	if (strcmp(v, want) != 0)
		fail_msg("worker %ld: %s=%s, not %s", (long)pid, name, v, want);
}

static void
assert_env_pid(pid_t pid, const char *name)
{
	char	want[32];

	xsnprintf(want, sizeof(want), "%ld", (long)pid);
	assert_env(pid, name, want);
}

/* A variable pid must not have, read from an environment it has. */
static void
assert_no_env(pid_t pid, const char *name)
{
	const char	*v;

	(void)env_of(pid, "PREFORK_WORKER_ID");
	v = t_proc_env(pid, name);

	if (v != NULL)
		fail_msg("worker %ld has %s=%s", (long)pid, name, v);
}

/* The test worker's command for a shell: slot 1 runs odd, 0 the rest. */
static void
slot1_script(char *buf, size_t len, const char *slot1, const char *others)
{
	xsnprintf(buf, len, "if [ \"$PREFORK_WORKER_ID\" = 1 ]; then exec "
	    "'%s' %s; fi; exec '%s' %s", t_testworker(), slot1,
	    t_testworker(), others);
}

/*
 * The client side: one request, as the test worker's --serve protocol
 * has it (a line out, "worker SLOT pid PID\n" back, then end of file).
 */
struct answer {
	int	slot;
	long	pid;
};

/* What went wrong with a request, from its errno value. */
static const char *
failure(int err)
{
	return err == EPROTO ? "empty or malformed answer" : strerror(err);
}

static socklen_t
addr_tcp(unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*sin);
}

static socklen_t
addr_unix(const char *path, struct sockaddr_storage *ss)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun->sun_path));
	strcpy(sun->sun_path, path);
	return sizeof(*sun);
}

/*
 * Connects to ss and sends the request line, by the deadline. Returns
 * the connection, or -1 with *err set to what went wrong.
 */
static int
request_send(const struct sockaddr_storage *ss, socklen_t sslen,
    double deadline, int *err)
{
	socklen_t	elen = sizeof(int);
	int		fd;

	*err = 0;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	assert_true(fd != -1);
	if (connect(fd, (const struct sockaddr *)ss, sslen) == -1) {
		if (errno != EINPROGRESS)
			*err = errno;
		else if (!t_wait_fd(fd, POLLOUT, deadline))
			*err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err,
		    &elen) == -1)
			*err = errno;
	}
	if (*err == 0 && send(fd, "hello\n", 6, MSG_NOSIGNAL) != 6)
		*err = errno != 0 ? errno : EPROTO;
	if (*err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads the answer on fd until end of file, by the deadline, and closes
 * fd. Returns 0, or what went wrong as an errno value.
 */
static int
request_answer(int fd, double deadline, struct answer *ans)
{
	char	buf[256];
	size_t	len = 0;
	ssize_t	n;
	int	err = 0, end = -1;

	for (;;) {
		if (!t_wait_fd(fd, POLLIN, deadline)) {
			err = ETIMEDOUT;
			goto out;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			err = errno;
			goto out;
		}
		if (n == 0 || (len += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	if (sscanf(buf, "worker %d pid %ld\n%n", &ans->slot, &ans->pid,
	    &end) != 2 || end != (int)len)
		err = EPROTO;
out:
	close(fd);
	return err;
}

/*
 * Sends one request to ss and reads the answer, all within timeout_ms.
 * Returns 0, or what went wrong as an errno value: ECONNREFUSED,
 * ECONNRESET, ETIMEDOUT, EPROTO (an empty or malformed answer).
 */
static int
request(const struct sockaddr_storage *ss, socklen_t sslen,
    unsigned timeout_ms, struct answer *ans)
{
	double	deadline = t_now_ms() + timeout_ms;
	int	fd, err;

	if ((fd = request_send(ss, sslen, deadline, &err)) == -1)
		return err;
	return request_answer(fd, deadline, ans);
}

static int
request_tcp(unsigned port, struct answer *ans)
{
	struct sockaddr_storage	ss;
	socklen_t		len = addr_tcp(port, &ss);

	return request(&ss, len, REQUEST_MS, ans);
}

/* An answer must come from one of the n workers of pids, in its slot. */
static void
assert_answer(const struct answer *ans, const pid_t *pids, unsigned n)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		if (pids[i] == ans->pid)
			break;
	if (i == n)
		fail_msg("answered by pid %ld, not a worker of the pool",
		    ans->pid);
	if (ans->slot != (int)i)
		fail_msg("pid %ld said slot %d; it is in slot %u", ans->pid,
		    ans->slot, i);
}

/* A request that must be answered, by one of the n workers of pids. */
static void
served(const struct sockaddr_storage *ss, socklen_t len, const pid_t *pids,
    unsigned n, struct answer *ans)
{
	int	err;

	if ((err = request(ss, len, REQUEST_MS, ans)) != 0)
		fail_msg("request: %s", failure(err));
	assert_answer(ans, pids, n);
}

/*
 * Requests, n at a time, until two workers have answered: the socket
 * is shared, and while a worker takes its --serve-delay over one request
 * another must take the next. Bounded: WAIT_MS.
 */
static void
served_by_many(const struct sockaddr_storage *ss, socklen_t len,
    const pid_t *pids, unsigned n)
{
	struct answer	ans;
	double		deadline = t_now_ms() + WAIT_MS;
	unsigned	slots = 0, nslots = 0, i, requests = 0;
	int		fds[8], err;

	assert_true(n <= nitems(fds));
	while (nslots < 2) {
		if (t_now_ms() > deadline)
			fail_msg("%u requests in %u ms, all answered by one "
			    "worker", requests, WAIT_MS);
		for (i = 0; i < n; i++)
			if ((fds[i] = request_send(ss, len, t_now_ms() +
			    REQUEST_MS, &err)) == -1)
				fail_msg("request: %s", failure(err));
		for (i = 0; i < n; i++) {
			if ((err = request_answer(fds[i], t_now_ms() +
			    REQUEST_MS, &ans)) != 0)
				fail_msg("request: %s", failure(err));
			assert_answer(&ans, pids, n);
			requests++;
			if ((slots & (1u << ans.slot)) == 0)
				nslots++;
			slots |= 1u << ans.slot;
		}
	}
}

/* Returns 0, or the errno of a failed connect (ECONNREFUSED). */
static int
connect_error(unsigned port)
{
	struct answer	ans;

	return request_tcp(port, &ans);
}

/* The matches of STATUS= lines: "N/M workers ready; ...". */
#define STATUS_RE							\
	"^STATUS=([0-9]+)/([0-9]+) workers ready; [0-9]+ CPUs? "	\
	"\\([^)]+\\), [^;]+; profile default$"

/* Checks one STATUS= line against STATUS_RE; stores N and M. */
static void
assert_status(const char *line, unsigned *ready, unsigned *size)
{
	regex_t		rx;
	regmatch_t	m[3];

	assert_int_equal(regcomp(&rx, STATUS_RE, REG_EXTENDED), 0);
	if (regexec(&rx, line, 3, m, 0) != 0) {
		regfree(&rx);
		fail_msg("STATUS line \"%s\" does not match %s", line,
		    STATUS_RE);
	}
	*ready = (unsigned)strtoul(line + m[1].rm_so, NULL, 10);
	*size = (unsigned)strtoul(line + m[2].rm_so, NULL, 10);
	regfree(&rx);
}

/*
 * Checks messages [0, upto): no READY=1, STATUS= lines only as
 * STATUS_RE, the last one "n/n". Returns how many STATUS= lines.
 */
static unsigned
assert_start_messages(struct fake_sd *s, size_t upto, unsigned n)
{
	char		buf[4096], line[512];
	unsigned	ready = 0, size = 0, count = 0;
	size_t		i;

	for (i = 0; i < upto; i++) {
		fake_sd_get(s, i, buf, sizeof(buf), NULL);
		if (msg_line(buf, "READY=1", NULL, 0)) {
			fake_sd_dump(s);
			fail_msg("READY=1 in message %zu, before %zu", i, upto);
		}
		if (!msg_line(buf, "STATUS=", line, sizeof(line)))
			continue;
		assert_status(line, &ready, &size);
		assert_int_equal(size, n);
		assert_true(ready <= n);
		count++;
	}
	if (count == 0 || ready != n) {
		fake_sd_dump(s);
		fail_msg("no STATUS=%u/%u before READY=1", n, n);
	}
	return count;
}

/*
 * The notify socket each worker got: the master's own, in the abstract
 * namespace, never the one of the service manager.
 */
static void
assert_workers_notify(const pid_t *pids, unsigned n, const char *sd_env)
{
	const char	*sd = strchr(sd_env, '=') + 1, *v;
	unsigned	 i;

	for (i = 0; i < n; i++) {
		v = env_of(pids[i], "NOTIFY_SOCKET");
		if (v[0] != '@' || strcmp(v, sd) == 0)
			fail_msg("worker %ld: NOTIFY_SOCKET=%s (prefork's is "
			    "%s)", (long)pids[i], v, sd);
	}
}

/*
 * Path: master_started, master_reload, master_shutdown -> notify_send,
 * with NOTIFY_SOCKET a path and ready = notify.
 *
 * The workers send READY=1 300 ms after they start: prefork's READY=1
 * comes after all three did, after STATUS lines counting them up to
 * 3/3; HUP brings RELOADING=1 with the monotonic time and then READY=1;
 * TERM brings STOPPING=1.
 */
static void
test_notify_path(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	char		 conf[PATH_MAX], buf[4096], line[128];
	struct t_daemon	*d;
	pid_t		 a[3];
	size_t		 ready, reload, again, stop;
	double		 t0, at, t_hup, t_got;
	unsigned long long usec;
	unsigned	 i, n;
	long		 pool_ready;

	write_conf(conf, "sd-path.ini", "[prefork]\nworkers = 3\n"
	    "ready = notify\n" TIMEOUTS);
	t0 = t_now_ms();
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(),
	    "--notify-ready", "300", NULL });
	pool(d, d->pid, 3, a);
	ready = fake_sd_wait(s, 0, "READY=1");
	fake_sd_get(s, ready, buf, sizeof(buf), &at);
	print_message("READY=1 %.0f ms after the start\n", at - t0);
	if (at - t0 < 300) {
		fake_sd_dump(s);
		fail_msg("READY=1 %.0f ms after the start: before the "
		    "workers' own (300 ms)", at - t0);
	}
	n = assert_start_messages(s, ready, 3);
	assert_true(n >= 2);	/* 0/3 at the start, 3/3 at the end */
	pool_ready = log_pos(d, MSG_POOL_READY ": 3 workers");
	for (i = 0; i < 3; i++)
		assert_true(log_pos(d, "worker %u (pid %ld) ready", i,
		    (long)a[i]) < pool_ready);
	assert_workers_notify(a, 3, s->env);

	t_hup = t_now_ms();
	t_daemon_signal(d, SIGHUP);
	reload = fake_sd_wait(s, ready + 1, "RELOADING=1");
	fake_sd_get(s, reload, buf, sizeof(buf), &t_got);
	if (!msg_line(buf, "MONOTONIC_USEC=", line, sizeof(line)) ||
	    sscanf(line, "MONOTONIC_USEC=%llu", &usec) != 1)
		fail_msg("RELOADING=1 without MONOTONIC_USEC: \"%s\"", buf);
	print_message("MONOTONIC_USEC %llu; the test's clock %.0f..%.0f "
	    "ms\n", usec, t_hup, t_got);
	/* The same clock, read between the signal and the arrival. */
	assert_true((double)usec / 1000 >= t_hup - 1);
	assert_true((double)usec / 1000 <= t_got + 1);
	again = fake_sd_wait(s, reload + 1, "READY=1");
	assert_int_equal(fake_sd_find(s, ready + 1, "READY=1"), (long)again);
	wait_log(d, MSG_RECEIVED " SIGHUP");

	t_daemon_signal(d, SIGTERM);
	stop = fake_sd_wait(s, again + 1, "STOPPING=1");
	wait_exit(d, WAIT_MS, EX_OK);
	/* Nothing after STOPPING=1 says ready again. */
	assert_int_equal(fake_sd_find(s, stop, "READY=1"), -1);
}

/*
 * Path: master_upgrade -> exec_new (RELOADING=1), master_restore_answer
 * -> lc_reload_accepted (READY=1): an upgrade in place is a reload to
 * systemd, from the same main process, and never STOPPING=1. With
 * autoscale on, master_status says "(adaptive)".
 */
static void
test_notify_upgrade(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	char		 conf[PATH_MAX], sock[PATH_MAX];
	struct t_daemon	*d;
	struct t_run	 r;
	char		 buf[4096];
	pid_t		 a[2], b[2];
	size_t		 ready, reload, again, i;
	unsigned	 adaptive = 0;

	xsnprintf(sock, sizeof(sock), "%s/sd-upgrade.sock", t_tmpdir());
	/* Autoscale on too: STATUS= says the size is adaptive. */
	write_conf(conf, "sd-upgrade.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\ncontrol = %s\nautoscale = on\n" TIMEOUTS,
	    sock);
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(),
	    "--notify-ready", "0", NULL });
	pool(d, d->pid, 2, a);
	ready = fake_sd_wait(s, 0, "READY=1");
	for (i = 0; i < ready; i++) {
		fake_sd_get(s, i, buf, sizeof(buf), NULL);
		adaptive += strstr(buf, "STATUS=2/2 workers ready (adaptive); ")
		    != NULL;
	}
	if (adaptive == 0) {
		fake_sd_dump(s);
		fail_msg("no STATUS= said the size is adaptive");
	}
	t_run(&r, NULL, (const char *const[]){ t_preforkctl(), "-s", sock,
	    "upgrade", NULL }, WAIT_MS * 2);
	if (r.status != 0)
		fail_msg("preforkctl upgrade: %d: %s", r.status, r.err);
	t_run_free(&r);
	reload = fake_sd_wait(s, ready + 1, "RELOADING=1");
	again = fake_sd_wait(s, reload + 1, "READY=1");
	assert_true(again > reload);
	assert_int_equal(fake_sd_find(s, ready, "STOPPING=1"), -1);
	assert_true(t_alive(d->pid));
	pool(d, d->pid, 2, b);
	assert_int_equal(a[0], b[0]);
	assert_int_equal(a[1], b[1]);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: notify_open with "@name", and ready = exec: the workers get no
 * NOTIFY_SOCKET at all, prefork tells the abstract socket.
 */
static void
test_notify_abstract(void **state)
{
	struct fake_sd	*s = fake_sd_open(true);
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2];
	size_t		 ready;
	unsigned	 i;

	write_conf(conf, "sd-abstract.ini", "[prefork]\nworkers = 2\n"
	    TIMEOUTS);
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	ready = fake_sd_wait(s, 0, "READY=1");
	assert_start_messages(s, ready, 2);
	for (i = 0; i < 2; i++)
		assert_no_env(a[i], "NOTIFY_SOCKET");
	t_daemon_signal(d, SIGTERM);
	fake_sd_wait(s, ready + 1, "STOPPING=1");
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: master_reload while the first pool is still starting.
 *
 * A HUP before the workers are ready must not make prefork tell systemd
 * it is ready: READY=1 still waits for the workers, which here say
 * READY=1 only once the test creates their ready file, after the
 * reload is done.
 */
static void
test_notify_hup_while_starting(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	char		 dir[PATH_MAX], flag[PATH_MAX], conf[PATH_MAX];
	char		 buf[4096];
	struct t_daemon	*d;
	pid_t		 a[2];
	size_t		 ready, i;

	subdir("hup-starting", dir);
	xsnprintf(flag, sizeof(flag), "%s/ready", dir);
	write_conf(conf, "sd-early.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\n" TIMEOUTS);
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(),
	    "--ready-file", flag, NULL });
	pool(d, d->pid, 2, a);
	t_daemon_signal(d, SIGHUP);
	/* The reload ends with the sizing: all it did is in the log. */
	wait_log_count(d, "sizing:", 2);
	assert_non_null(t_write_file("hup-starting/ready", ""));
	wait_log(d, MSG_POOL_READY ": 2 workers");
	ready = fake_sd_wait(s, 0, "READY=1");
	for (i = 0; i < ready; i++)
		if (strstr(fake_sd_get(s, i, buf, sizeof(buf), NULL),
		    "STATUS=2/2 ") != NULL)
			break;
	if (i == ready) {
		fake_sd_dump(s);
		dump_log(d);
		fail_msg("READY=1 (message %zu) before the pool was ready: "
		    "the HUP sent it", ready);
	}
	/* Before it: no READY=1, and STATUS= up to 2/2. */
	assert_start_messages(s, ready, 2);
}

/*
 * Path: notify_send when the service manager's queue is full.
 *
 * A manager busy for a moment (PID 1 under load) reads nothing; the
 * kernel queues net.unix.max_dgram_qlen datagrams (10 by default: 11
 * fit), and prefork's WATCHDOG=1, every 50 ms here, fill them before
 * the workers are let say READY=1. Once the manager reads again, READY=1
 * must still come: sd_notify(3) blocks rather than drop a message, and
 * systemd would otherwise fail the start at TimeoutStartSec.
 */
static void
test_notify_manager_busy(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	char		 dir[PATH_MAX], flag[PATH_MAX], conf[PATH_MAX];
	char		*qlen;
	struct t_daemon	*d;
	pid_t		 a[2];
	bool		 full;

	qlen = util_read_file("/proc/sys/net/unix/max_dgram_qlen", 64);
	if (qlen == NULL || atoi(qlen) > 64) {
		print_message("skipped: net.unix.max_dgram_qlen is %s: too "
		    "long a queue to fill\n", qlen != NULL ? qlen : "unknown");
		free(qlen);
		skip();
	}
	free(qlen);
	subdir("busy", dir);
	xsnprintf(flag, sizeof(flag), "%s/ready", dir);
	fake_sd_pause(s, true);
	write_conf(conf, "sd-busy.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\n" TIMEOUTS);
	d = start((const char *const[]){ s->env, "WATCHDOG_USEC=100000",
	    NULL }, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--ready-file", flag, NULL });
	pool(d, d->pid, 2, a);
	/*
	 * The queue is full once a send fails; a master that blocks on it
	 * instead (a fair design too) says nothing: then 4 s, 80 pings.
	 */
	full = t_daemon_log_wait(d, "Resource temporarily unavailable", 4000);
	assert_non_null(t_write_file("busy/ready", ""));
	t_daemon_log_wait(d, MSG_POOL_READY, full ? WAIT_MS : 1000);
	fake_sd_pause(s, false);
	wait_log(d, MSG_POOL_READY ": 2 workers");
	if (!t_wait_until(sd_arrived, &(struct sd_wait){ s, 0, "READY=1",
	    -1 }, WAIT_MS)) {
		fake_sd_dump(s);
		dump_log(d);
		fail_msg("READY=1 lost while the service manager was busy");
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Watches WATCHDOG=1 over a window: with WATCHDOG_USEC=300000 one every
 * 150 ms, or none at all when !expect. The window starts once prefork
 * is ready (it may be as late as it likes). A loaded machine can only
 * delay a ping (or its reading here, which can make the next gap look
 * as short as it likes), so the bounds are: never more than the window
 * allows, and the median gap nearer 150 ms than 300 ms (WATCHDOG_USEC
 * itself, where systemd would act).
 */
static void
watchdog_case(const char *const env[], const char *const wrapper[],
    bool expect)
{
	/* Ten periods: enough to tell 150 ms from 300 ms or from none. */
	const unsigned	 window_ms = 1500, period_ms = 150;
	char		 conf[PATH_MAX], buf[4096];
	struct t_daemon	*d;
	pid_t		 a[1];
	size_t		 from, to, i;
	double		 t0, t1, at, last = 0, gaps[64];
	unsigned	 n, ngaps = 0;

	write_conf(conf, "watchdog.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start(env, wrapper, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	fake_sd_wait(&fsd, 0, "READY=1");
	/* The master's WATCHDOG_* never reach a worker. */
	assert_no_env(a[0], "WATCHDOG_USEC");
	assert_no_env(a[0], "WATCHDOG_PID");

	from = fake_sd_count(&fsd);
	t0 = t_now_ms();
	/* The window is the measurement. */
	observe(window_ms);
	to = fake_sd_count(&fsd);
	t1 = t_now_ms();
	n = fake_sd_tally(&fsd, from, to, "WATCHDOG=1");
	for (i = from; i < to; i++) {
		fake_sd_get(&fsd, i, buf, sizeof(buf), &at);
		if (!msg_line(buf, "WATCHDOG=1", NULL, 0))
			continue;
		if (last != 0 && ngaps < nitems(gaps))
			gaps[ngaps++] = at - last;
		last = at;
	}
	qsort(gaps, ngaps, sizeof(gaps[0]), cmp_double);
	print_message("%u WATCHDOG=1 in %.0f ms; gaps %.0f..%.0f ms, median "
	    "%.0f\n", n, t1 - t0, ngaps ? gaps[0] : 0,
	    ngaps ? gaps[ngaps - 1] : 0, ngaps ? gaps[ngaps / 2] : 0);
	if (!expect) {
		assert_int_equal(fake_sd_tally(&fsd, 0, to, "WATCHDOG=1"), 0);
	} else if (n > (unsigned)((t1 - t0) / period_ms) + 1 || n < 3 ||
	    gaps[ngaps / 2] > period_ms * 1.5) {
		fake_sd_dump(&fsd);
		fail_msg("%u WATCHDOG=1 in %.0f ms: not one every %u ms", n,
		    t1 - t0, period_ms);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/* Path: master_notify with WATCHDOG_USEC and no WATCHDOG_PID. */
static void
test_watchdog_no_pid(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);

	watchdog_case((const char *const[]){ s->env, "WATCHDOG_USEC=300000",
	    NULL }, NULL, true);
}

/* Path: master_notify with WATCHDOG_PID naming prefork itself. */
static void
test_watchdog_own_pid(void **state)
{
	/* The shell's pid is the one prefork will have after exec. */
	static const char *const wrapper[] = { "/bin/sh", "-c",
	    "WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$0\" \"$@\"", NULL };
	struct fake_sd	*s = fake_sd_open(true);

	watchdog_case((const char *const[]){ s->env, "WATCHDOG_USEC=300000",
	    NULL }, wrapper, true);
}

/* Path: master_notify with WATCHDOG_PID of another process: no pings. */
static void
test_watchdog_foreign_pid(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);

	watchdog_case((const char *const[]){ s->env, "WATCHDOG_USEC=300000",
	    "WATCHDOG_PID=1", NULL }, NULL, false);
}

/* Path: sockets_update at start -> spawn: a TCP socket on fd 3. */
static void
test_tcp_served(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port = t_free_port(), i;
	char			conf[PATH_MAX], name[64], fd3[64], m3[64];
	char			path[64];
	struct t_daemon		*d;
	pid_t			a[3];
	ssize_t			n;

	write_conf(conf, "tcp.ini", "[prefork]\nworkers = 3\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 3, a);
	len = addr_tcp(port, &ss);
	served_by_many(&ss, len, a, 3);
	xsnprintf(name, sizeof(name), "127.0.0.1_%u", port);
	for (i = 0; i < 3; i++) {
		assert_env(a[i], "LISTEN_FDS", "1");
		assert_env_pid(a[i], "LISTEN_PID");
		assert_env(a[i], "LISTEN_FDNAMES", name);
		/* fd 3 is the master's socket, no copy of it. */
		xsnprintf(path, sizeof(path), "/proc/%ld/fd/3", (long)a[i]);
		assert_true((n = readlink(path, fd3, sizeof(fd3) - 1)) > 0);
		fd3[n] = '\0';
		assert_true(strncmp(fd3, "socket:[", 8) == 0);
		if (i == 0)
			memcpy(m3, fd3, sizeof(m3));
		assert_string_equal(fd3, m3);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_int_equal(connect_error(port), ECONNREFUSED);
}

/* readlink(/proc/PID/fd/FD), or "" when it is not open. */
static const char *
fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;

	xsnprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * Path: main -> util_std_fds, then sockets_update. Started with stdin
 * and stdout closed (as by a careless init script), the master puts
 * /dev/null on them before it opens anything: the listening socket does
 * not take fd 0 or 1, and the workers' stdout is /dev/null, not the
 * socket.
 */
static void
test_std_fds_closed(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port = t_free_port(), i;
	char			conf[PATH_MAX], buf[64];
	struct t_daemon		*d;
	pid_t			a[2];
	int			fd;
	const char *const	wrapper[] = { "sh", "-c",
	    "exec \"$@\" <&- >&-", "sh", NULL };

	write_conf(conf, "stdclosed.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port);
	d = start(NULL, wrapper, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 2, a);
	for (fd = 0; fd <= 1; fd++)
		assert_string_equal(fd_target(d->pid, fd, buf, sizeof(buf)),
		    "/dev/null");
	for (i = 0; i < 2; i++) {
		assert_string_equal(fd_target(a[i], 1, buf, sizeof(buf)),
		    "/dev/null");
		assert_true(strncmp(fd_target(a[i], 3, buf, sizeof(buf)),
		    "socket:[", 8) == 0);
	}
	len = addr_tcp(port, &ss);
	served_by_many(&ss, len, a, 2);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: sockets_bind_unix: a stale socket file replaced, served, and
 * removed at exit.
 */
static void
test_unix_served(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	struct stat		st;
	char			dir[PATH_MAX], path[PATH_MAX], conf[PATH_MAX];
	char			name[PATH_MAX + 8];
	struct t_daemon		*d;
	pid_t			a[2];
	int			fd;

	subdir("unix", dir);
	xsnprintf(path, sizeof(path), "%s/app.sock", dir);
	/* A server that died: its file is there, nobody listens. */
	len = addr_unix(path, &ss);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);

	write_conf(conf, "unix.ini", "[prefork]\nworkers = 2\n"
	    "listen = unix:%s\n" TIMEOUTS, path);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 2, a);
	/* Served: bind(2) on the old file would have failed (EADDRINUSE). */
	served_by_many(&ss, len, a, 2);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	xsnprintf(name, sizeof(name), "unix_%s", path);
	assert_env(a[0], "LISTEN_FDNAMES", name);
	assert_env(a[1], "LISTEN_FDS", "1");

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		fail_msg("%s is still there after prefork exited", path);
}

/* Path: startup_sockets at start, the port taken: exit 71, named. */
static void
test_bind_in_use(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port = t_free_port();
	char			conf[PATH_MAX], want[128];
	struct t_run		r;
	int			fd;

	/* Held by the test, without SO_REUSEADDR. */
	len = addr_tcp(port, &ss);
	fd = hold(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, 8), 0);

	write_conf(conf, "inuse.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", NULL }, WAIT_MS);
	xsnprintf(want, sizeof(want), "listen 127.0.0.1:%u: Address already "
	    "in use", port);
	assert_true(t_contains(r.err, want));
	assert_int_equal(r.status, EX_OSERR);
	/* Not a single worker was started. */
	assert_null(strstr(r.err, "spawned"));
	t_run_free(&r);
}

/* The pool is n workers, none of them in old, and every old one gone. */
struct rolled {
	pid_t		 master;
	unsigned	 n;
	const pid_t	*old;
	pid_t		*now;
};

static bool
rolled(void *arg)
{
	struct rolled	*r = arg;
	unsigned	 i, j;

	if (!t_pool_now(r->master, r->n, r->now))
		return false;
	for (i = 0; i < r->n; i++) {
		if (t_alive(r->old[i]))
			return false;
		for (j = 0; j < r->n; j++)
			if (r->now[j] == r->old[i])
				return false;
	}
	return true;
}

/*
 * Path: SIGHUP with a new listen -> sockets_update -> rolling restart.
 *
 * The new port is served by new workers; once the old ones are gone the
 * old port refuses connections: the master closed it, no worker has it.
 */
static void
test_hup_moves_socket(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port1 = t_free_port(), port2 = t_free_port();
	char			conf[PATH_MAX], name[64];
	struct t_daemon		*d;
	struct answer		ans;
	pid_t			a[2], b[2];
	struct rolled		r;
	unsigned		i;

	while (port2 == port1)
		port2 = t_free_port();
	write_conf(conf, "move.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port1);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 2, a);
	len = addr_tcp(port1, &ss);
	served(&ss, len, a, 2, &ans);
	assert_int_equal(connect_error(port2), ECONNREFUSED);

	write_conf(conf, "move.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port2);
	t_daemon_signal(d, SIGHUP);
	r = (struct rolled){ d->pid, 2, a, b };
	if (!t_wait_until(rolled, &r, WAIT_MS)) {
		dump_log(d);
		fail_msg("the workers were not replaced");
	}
	remember(b, 2);
	wait_log(d, MSG_ROLL_DONE);
	len = addr_tcp(port2, &ss);
	served(&ss, len, b, 2, &ans);
	xsnprintf(name, sizeof(name), "127.0.0.1_%u", port2);
	for (i = 0; i < 2; i++)
		assert_env(b[i], "LISTEN_FDNAMES", name);
	assert_int_equal(connect_error(port1), ECONNREFUSED);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: SIGHUP with a listen address that cannot be bound: the reload
 * is refused, naming the address, and the running sockets and workers
 * stay as they were.
 */
static void
test_hup_bind_fails(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port1 = t_free_port(), port2 = t_free_port();
	char			conf[PATH_MAX];
	struct t_daemon		*d;
	struct answer		ans;
	pid_t			a[2], b[2];
	int			fd;

	while (port2 == port1)
		port2 = t_free_port();
	len = addr_tcp(port2, &ss);
	fd = hold(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, 8), 0);

	write_conf(conf, "hupfail.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, port1);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	write_conf(conf, "hupfail.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u, 127.0.0.1:%u\n" TIMEOUTS, port1, port2);
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "listen 127.0.0.1:%u: Address already in use", port2);
	wait_log(d, MSG_KEEPING);
	/* The reload ends with the sizing: all it did is in the log. */
	wait_log_count(d, "sizing:", 2);
	len = addr_tcp(port1, &ss);
	served(&ss, len, a, 2, &ans);
	pool(d, d->pid, 2, b);
	assert_memory_equal(a, b, sizeof(a));
	assert_false(log_has(d, "rolling restart"));
	assert_env(a[0], "LISTEN_FDS", "1");
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * The configuration of the reload tests below: two workers, ready =
 * notify, [env] GEN = gen; a change of GEN replaces them by a rolling
 * restart.
 */
static void
gen_conf(char *conf, const char *name, unsigned gen)
{
	write_conf(conf, name, "[prefork]\nworkers = 2\nready = notify\n"
	    TIMEOUTS "[env]\nGEN = %u\n", gen);
}

/*
 * Starts prefork under the fake service manager over workers that say
 * READY=1 200 ms after they start, and only while the file gate (under
 * t_tmpdir(), created here) exists; waits for the first READY=1, whose
 * index goes in *ready, and for the pool, in a.
 */
static struct t_daemon *
start_gated(struct fake_sd *s, const char *conf, const char *gate,
    pid_t a[2], size_t *ready)
{
	char		 path[PATH_MAX];
	struct t_daemon	*d;

	xsnprintf(path, sizeof(path), "%s/%s", t_tmpdir(), gate);
	assert_non_null(t_write_file(gate, ""));
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(),
	    "--notify-ready", "200", "--ready-file", path, NULL });
	pool(d, d->pid, 2, a);
	*ready = fake_sd_wait(s, 0, "READY=1");
	return d;
}

/*
 * Closes the gate, rewrites the configuration name (under t_tmpdir())
 * to GEN = gen, sends HUP,
 * and waits for RELOADING=1 (its index, from message from on) and for
 * the spawn of slot 0's replacement, the nth worker of the test: the
 * roll is then held at the gate.
 */
static size_t
hup_held(struct fake_sd *s, struct t_daemon *d, const char *name,
    const char *gate, unsigned gen, size_t from, unsigned nth)
{
	char	conf[PATH_MAX], path[PATH_MAX];
	size_t	reload;

	xsnprintf(path, sizeof(path), "%s/%s", t_tmpdir(), gate);
	if (unlink(path) == -1 && errno != ENOENT)
		fail_msg("unlink %s: %s", path, strerror(errno));
	gen_conf(conf, name, gen);
	t_daemon_signal(d, SIGHUP);
	reload = fake_sd_wait(s, from, "RELOADING=1");
	wait_log_count(d, "spawned", nth);
	return reload;
}

/*
 * The STATUS= line in force at message to, into line: the last one up
 * to it (prefork says it again only when it changes).
 */
static void
last_status(struct fake_sd *s, size_t to, char *line, size_t len)
{
	char	buf[4096];
	size_t	i;

	line[0] = '\0';
	for (i = 0; i <= to; i++)
		msg_line(fake_sd_get(s, i, buf, sizeof(buf), NULL), "STATUS=",
		    line, len);
	if (line[0] == '\0') {
		fake_sd_dump(s);
		fail_msg("no STATUS= up to message %zu", to);
	}
}

/* Waits until the pool is n new workers, in now, every one of old gone. */
static void
wait_rolled(struct t_daemon *d, unsigned n, const pid_t *old, pid_t *now)
{
	struct rolled	r = { d->pid, n, old, now };

	if (!t_wait_until(rolled, &r, WAIT_MS)) {
		dump_log(d);
		fail_msg("the workers were not replaced");
	}
	remember(now, n);
}

/*
 * Path: master_reload with a new [env] -> rolling restart ->
 * master_update -> lc_update: READY=1 once the roll is done.
 *
 * Under Type=notify-reload, READY=1 is when `systemctl reload` returns.
 * The new workers take 200 ms each to be ready, from the moment the test
 * opens their gate: READY=1 must come after that, after the log said
 * "rolling restart done", with STATUS=2/2, and only once.
 */
static void
test_hup_ready_after_roll(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	const char	*name = "hup-roll.ini";
	char		 conf[PATH_MAX], buf[4096], line[512];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];
	size_t		 ready, reload, again;
	double		 t_open, at;
	unsigned	 i, n, size;

	gen_conf(conf, name, 1);
	d = start_gated(s, conf, "hup-roll-gate", a, &ready);
	reload = hup_held(s, d, name, "hup-roll-gate", 2, ready + 1, 3);
	t_open = t_now_ms();
	assert_non_null(t_write_file("hup-roll-gate", ""));
	again = fake_sd_wait(s, reload + 1, "READY=1");
	fake_sd_get(s, again, buf, sizeof(buf), &at);
	print_message("READY=1 %.0f ms after the gate opened\n", at - t_open);
	/* prefork logs before it tells: the line is there by now. */
	if (!log_has(d, MSG_ROLL_DONE) || at < t_open + 200) {
		fake_sd_dump(s);
		dump_log(d);
		fail_msg("READY=1 %.0f ms after the gate opened, before the "
		    "rolling restart was done", at - t_open);
	}
	last_status(s, again, line, sizeof(line));
	assert_status(line, &n, &size);
	assert_int_equal(n, 2);
	assert_int_equal(size, 2);
	wait_rolled(d, 2, a, b);
	for (i = 0; i < 2; i++) {
		assert_env(b[i], "GEN", "2");
		assert_true(log_pos(d, "worker %u (pid %ld) ready", i,
		    (long)b[i]) < log_pos(d, MSG_ROLL_DONE));
	}
	assert_int_equal(fake_sd_tally(s, reload, fake_sd_count(s),
	    "READY=1"), 1);
	t_daemon_signal(d, SIGTERM);
	fake_sd_wait(s, again + 1, "STOPPING=1");
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: master_reload while a reload is pending: a second RELOADING=1,
 * and the one READY=1 waits for the newest configuration.
 *
 * The first HUP (GEN = 2) is held at the gate with slot 0's replacement
 * starting; the second (GEN = 3) comes then. Once the gate opens, the
 * GEN = 2 worker takes over and is replaced in turn: READY=1 comes when
 * every worker is of GEN = 3, 2 x 200 ms after the gate at the soonest.
 */
static void
test_hup_twice_ready_newest(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	const char	*name = "hup-twice.ini";
	char		 conf[PATH_MAX], buf[4096];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];
	size_t		 ready, reload1, reload2, again;
	double		 t_open, at;
	unsigned	 i;

	gen_conf(conf, name, 1);
	d = start_gated(s, conf, "hup-twice-gate", a, &ready);
	reload1 = hup_held(s, d, name, "hup-twice-gate", 2, ready + 1, 3);
	wait_log_count(d, "changed: rolling restart", 1);
	reload2 = hup_held(s, d, name, "hup-twice-gate", 3, reload1 + 1, 3);
	wait_log_count(d, "changed: rolling restart", 2);
	assert_int_equal(fake_sd_find(s, reload1, "READY=1"), -1);
	t_open = t_now_ms();
	assert_non_null(t_write_file("hup-twice-gate", ""));
	again = fake_sd_wait(s, reload2 + 1, "READY=1");
	fake_sd_get(s, again, buf, sizeof(buf), &at);
	print_message("READY=1 %.0f ms after the gate opened\n", at - t_open);
	if (!log_has(d, MSG_ROLL_DONE) || at < t_open + 390) {
		fake_sd_dump(s);
		dump_log(d);
		fail_msg("READY=1 %.0f ms after the gate opened, before the "
		    "roll to the newest configuration was done", at - t_open);
	}
	wait_rolled(d, 2, a, b);
	for (i = 0; i < 2; i++)
		assert_env(b[i], "GEN", "3");
	/* The GEN = 2 worker of slot 0 served, and was replaced too. */
	assert_int_equal(t_daemon_log_count(d, "): replaced"), 3);
	assert_int_equal(fake_sd_find(s, reload1, "READY=1"), (long)again);
	assert_int_equal(fake_sd_tally(s, reload1, fake_sd_count(s),
	    "READY=1"), 1);
}

/*
 * Path: master_shutdown while a reload is pending: STOPPING=1, and no
 * READY=1 after it, even with the gate open as the workers stop.
 */
static void
test_hup_pending_term(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	const char	*name = "hup-term.ini";
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2];
	size_t		 ready, reload, stop;

	gen_conf(conf, name, 1);
	d = start_gated(s, conf, "hup-term-gate", a, &ready);
	reload = hup_held(s, d, name, "hup-term-gate", 2, ready + 1, 3);
	t_daemon_signal(d, SIGTERM);
	stop = fake_sd_wait(s, reload + 1, "STOPPING=1");
	assert_non_null(t_write_file("hup-term-gate", ""));
	wait_exit(d, WAIT_MS, EX_OK);
	if (fake_sd_find(s, reload, "READY=1") != -1) {
		fake_sd_dump(s);
		fail_msg("READY=1 after RELOADING=1 (message %zu) and "
		    "STOPPING=1 (message %zu)", reload, stop);
	}
}

/*
 * Path: master_reload -> rolling restart whose replacement exits at
 * once -> POOL_BACKOFF -> lc_worker_failed: READY=1 all the same.
 *
 * A new command that cannot become ready must not keep systemd waiting
 * forever (the pool retries it for as long as it fails): READY=1 comes
 * once the first replacement failed, with a STATUS= that says the
 * reload is not complete, and once only; the old workers serve on.
 */
static void
test_hup_ready_incomplete(void **state)
{
	struct fake_sd		*s = fake_sd_open(false);
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	unsigned		 port = t_free_port(), i;
	const char		*tw = t_testworker();
	char			 conf[PATH_MAX], line[512];
	struct t_daemon		*d;
	pid_t			 a[2];
	size_t			 ready, reload, again;
	long			 failed, warned;
	const char		*want = "STATUS=reload not complete (worker "
	    "0: " MSG_REPLACEMENT_FAILED "), older workers serve; 2/2 workers "
	    "ready; ";

	write_conf(conf, "incomplete.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\nlisten = 127.0.0.1:%u\ncommand = %s --serve "
	    "--serve-delay 10 --notify-ready 0\n" TIMEOUTS, port, tw);
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 2, a);
	ready = fake_sd_wait(s, 0, "READY=1");

	write_conf(conf, "incomplete.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\nlisten = 127.0.0.1:%u\ncommand = %s --exit 1\n"
	    TIMEOUTS, port, tw);
	t_daemon_signal(d, SIGHUP);
	reload = fake_sd_wait(s, ready + 1, "RELOADING=1");
	again = fake_sd_wait(s, reload + 1, "READY=1");
	/* prefork logs before it tells: the lines are there by now. */
	failed = log_pos(d, "worker 0: " MSG_REPLACEMENT_FAILED);
	warned = log_pos(d, "reload not complete: worker 0: replacement "
	    "failed; the older workers keep serving");
	assert_true(failed < warned);
	last_status(s, again, line, sizeof(line));
	print_message("%s\n", line);
	if (strncmp(line, want, strlen(want)) != 0)
		fail_msg("no STATUS= saying the reload is not complete with "
		    "READY=1: \"%s\"", line);

	len = addr_tcp(port, &ss);
	served_by_many(&ss, len, a, 2);
	/* The pool retries; systemd hears nothing more of that reload. */
	wait_log_count(d, "worker 0: " MSG_REPLACEMENT_FAILED "; "
	    MSG_STARTING_AGAIN, 2);
	for (i = 0; i < 2; i++)
		assert_true(t_alive(a[i]));
	assert_false(log_has(d, MSG_ROLL_DONE));
	assert_false(log_has(d, MSG_STOPPING_WORKER));
	assert_int_equal(fake_sd_tally(s, reload, fake_sd_count(s),
	    "READY=1"), 1);
	t_daemon_signal(d, SIGTERM);
	fake_sd_wait(s, again + 1, "STOPPING=1");
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: sockets_update with two addresses -> spawn: fds 3 and 4, named
 * in order, both served.
 */
static void
test_two_sockets(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port = t_free_port(), i;
	char			dir[PATH_MAX], path[PATH_MAX], conf[PATH_MAX];
	char			names[PATH_MAX + 64];
	struct t_daemon		*d;
	pid_t			a[2];

	subdir("two", dir);
	xsnprintf(path, sizeof(path), "%s/two.sock", dir);
	write_conf(conf, "two.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u, unix:%s\n" TIMEOUTS, port, path);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", "10", NULL });
	pool(d, d->pid, 2, a);
	len = addr_tcp(port, &ss);
	served_by_many(&ss, len, a, 2);
	len = addr_unix(path, &ss);
	served_by_many(&ss, len, a, 2);
	xsnprintf(names, sizeof(names), "127.0.0.1_%u:unix_%s", port, path);
	for (i = 0; i < 2; i++) {
		assert_env(a[i], "LISTEN_FDS", "2");
		assert_env(a[i], "LISTEN_FDNAMES", names);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_int_equal(access(path, F_OK), -1);
}

/* A request, for t_wait_until(): done once it is not refused. */
struct first_req {
	struct sockaddr_storage	ss;
	socklen_t		len;
	struct answer		ans;
	int			err;
};

static bool
first_request(void *arg)
{
	struct first_req	*fr = arg;

	fr->err = request(&fr->ss, fr->len, WAIT_MS, &fr->ans);
	return fr->err != ECONNREFUSED;
}

/*
 * Path: sockets_adopt under systemd-socket-activate: the socket it
 * passes is served, named as it says, and listen = is ignored.
 */
static void
test_socket_activation(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	unsigned		port = t_free_port(), other = t_free_port();
	char			conf[PATH_MAX], addr[64];
	struct t_daemon		*d;
	struct first_req	fr;
	struct rolled		rl;
	pid_t			a[2], b[2];
	unsigned		i;
	int			err;

	it_skip_unless((const char *const[]){ "systemd-socket-activate",
	    "--version", NULL }, "systemd-socket-activate is missing");

	while (other == port)
		other = t_free_port();
	xsnprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	write_conf(conf, "activated.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS, other);
	d = start(NULL, (const char *const[]){ "systemd-socket-activate",
	    "-l", addr, "--fdname=web", NULL }, (const char *const[]){ "-c",
	    conf, "--", t_testworker(), "--serve", "--serve-delay", "10",
	    NULL });
	/*
	 * It execs prefork at the first connection, which then waits in
	 * the backlog for a worker: the first request starts it all.
	 */
	fr.len = addr_tcp(port, &fr.ss);
	fr.err = ECONNREFUSED;
	/* Refused until systemd-socket-activate listens. */
	t_wait_until(first_request, &fr, WAIT_MS);
	ss = fr.ss;
	len = fr.len;
	if ((err = fr.err) != 0) {
		dump_log(d);
		fail_msg("first request: %s", failure(err));
	}
	pool(d, d->pid, 2, a);
	served_by_many(&ss, len, a, 2);
	/* Said once, as information: both in one file is normal. */
	wait_log(d, "info: socket-activated: 1 sockets from systemd; listen "
	    "is ignored\n");
	assert_int_equal(t_daemon_log_count(d, "listen"), 1);
	for (i = 0; i < 2; i++) {
		assert_env(a[i], "LISTEN_FDNAMES", "web");
		assert_env(a[i], "LISTEN_FDS", "1");
		assert_env_pid(a[i], "LISTEN_PID");
	}
	/* listen = was not bound. */
	assert_int_equal(connect_error(other), ECONNREFUSED);

	/* A reload keeps the adopted socket: the new workers serve it. */
	write_conf(conf, "activated.ini", "[prefork]\nworkers = 2\n"
	    "listen = 127.0.0.1:%u\n" TIMEOUTS "[env]\nGEN = 2\n", other);
	t_daemon_signal(d, SIGHUP);
	rl = (struct rolled){ d->pid, 2, a, b };
	if (!t_wait_until(rolled, &rl, WAIT_MS)) {
		dump_log(d);
		fail_msg("the workers were not replaced");
	}
	remember(b, 2);
	served_by_many(&ss, len, b, 2);
	for (i = 0; i < 2; i++)
		assert_env(b[i], "LISTEN_FDNAMES", "web");
	assert_int_equal(connect_error(other), ECONNREFUSED);
	/* The same listen again: nothing more to say. */
	assert_int_equal(t_daemon_log_count(d, "listen"), 1);
	assert_int_equal(t_daemon_log_count(d, "warn: listen"), 0);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: notify_cb -> master_heard -> pool_ready, with ready = notify.
 *
 * "pool ready" comes after every worker's "ready", 300 ms after the
 * start at the earliest, and each worker's STATUS= is in the log.
 */
static void
test_ready_gating(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];
	double		 t0, t1;
	long		 pool_ready;
	unsigned	 i;

	write_conf(conf, "gating.ini", "[prefork]\nworkers = 3\n"
	    "ready = notify\n" TIMEOUTS);
	t0 = t_now_ms();
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--notify-ready", "300", NULL });
	pool(d, d->pid, 3, a);
	wait_log(d, MSG_POOL_READY ": 3 workers");
	t1 = t_now_ms();
	assert_true(t1 - t0 >= 300);
	pool_ready = log_pos(d, MSG_POOL_READY);
	for (i = 0; i < 3; i++) {
		assert_true(log_pos(d, "worker %u (pid %ld) ready", i,
		    (long)a[i]) < pool_ready);
		/* A worker's STATUS=, in the master's log. */
		assert_true(log_pos(d, "worker %u (pid %ld): testworker ready "
		    "in slot %u", i, (long)a[i], i) >= 0);
		assert_true(env_of(a[i], "NOTIFY_SOCKET")[0] == '@');
		assert_no_env(a[i], "WATCHDOG_USEC");
		assert_no_env(a[i], "WATCHDOG_PID");
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: master_heard with a pid that is not a worker, then
 * POOL_READY_TIMEOUT.
 *
 * The worker of slot 1 never says READY=1, but its child does: the
 * master ignores the child, keeps the worker starting, kills it at
 * ready_timeout, and the pool is never "ready". Slot 0 booted, so
 * prefork goes on.
 */
static void
test_notify_from_child_ignored(void **state)
{
	char		 conf[PATH_MAX], script[PATH_MAX * 2];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];

	slot1_script(script, sizeof(script), "--notify-child",
	    "--notify-ready 0");
	write_conf(conf, "child.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\nready_timeout = 1s\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-l", "debug", "-c",
	    conf, "--", "/bin/sh", "-c", script, NULL });
	pool(d, d->pid, 2, a);
	wait_logf(d, "worker 0 (pid %ld) ready", (long)a[0]);
	wait_log(d, ", not a worker: ignored");
	assert_false(log_has(d, "worker 1 (pid %ld) ready", (long)a[1]));
	assert_false(log_has(d, "testworker child of"));
	assert_false(log_has(d, MSG_POOL_READY));

	wait_logf(d, "worker 1 (pid %ld) not ready after 1.0s: SIGKILL",
	    (long)a[1]);
	wait_logf(d, "worker 1 (pid %ld) exited on signal 9", (long)a[1]);
	wait_gone(a[1], WAIT_MS);
	pool(d, d->pid, 2, b);
	assert_int_equal(b[0], a[0]);
	assert_false(log_has(d, MSG_POOL_READY));
	assert_false(log_has(d, "every worker of the first generation"));
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: POOL_READY_TIMEOUT -> POOL_EXIT_FIRST_FAILED: a first
 * generation that never gets ready ends prefork with 69, and systemd is
 * never told READY=1.
 */
static void
test_never_ready_exit69(void **state)
{
	struct fake_sd	*s = fake_sd_open(false);
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[1];

	write_conf(conf, "never.ini", "[prefork]\nworkers = 1\n"
	    "ready = notify\nready_timeout = 1s\n" TIMEOUTS);
	d = start((const char *const[]){ s->env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(),
	    "--notify-child", NULL });
	pool(d, d->pid, 1, a);
	wait_exit(d, 1000 + WAIT_MS, EX_UNAVAILABLE);
	assert_true(log_has(d, "worker 0 (pid %ld) not ready after 1.0s: "
	    "SIGKILL", (long)a[0]));
	assert_true(log_has(d, MSG_FIRST_FAILED));
	assert_true(log_has(d, MSG_EXITING " 69"));
	assert_false(log_has(d, MSG_POOL_READY));
	fake_sd_wait(s, 0, "STOPPING=1");
	assert_int_equal(fake_sd_find(s, 0, "READY=1"), -1);
}

/*
 * Path: pool_tick -> POOL_HEARTBEAT_TIMEOUT with timeout = 500ms.
 *
 * Slot 1 stops its heartbeat 300 ms after it starts: it is aborted
 * (SIGABRT) and replaced in its slot. Slot 0 beats every 100 ms and
 * keeps its pid.
 */
static void
test_heartbeat_timeout(void **state)
{
	char		 conf[PATH_MAX], script[PATH_MAX * 2];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];
	unsigned	 i;

	slot1_script(script, sizeof(script),
	    "--notify-ready 0 --heartbeat 100 --heartbeat-stop 300",
	    "--notify-ready 0 --heartbeat 100");
	write_conf(conf, "heartbeat.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\ntimeout = 500ms\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    "/bin/sh", "-c", script, NULL });
	pool(d, d->pid, 2, a);
	for (i = 0; i < 2; i++) {
		assert_env(a[i], "WATCHDOG_USEC", "500000");
		assert_env_pid(a[i], "WATCHDOG_PID");
		assert_true(env_of(a[i], "NOTIFY_SOCKET")[0] == '@');
	}
	wait_logf(d, "worker 1 (pid %ld) silent for more than 0.5s: SIGABRT",
	    (long)a[1]);
	wait_logf(d, "worker 1 (pid %ld) exited on signal 6", (long)a[1]);
	wait_gone(a[1], WAIT_MS);
	pool(d, d->pid, 2, b);
	assert_int_equal(b[0], a[0]);
	assert_int_not_equal(b[1], a[1]);
	/* Three timeouts long: the healthy one is never taken for silent. */
	observe(1500);
	if (!t_alive(a[0]) || log_has(d, "worker 0 (pid %ld) silent",
	    (long)a[0])) {
		dump_log(d);
		fail_msg("the healthy worker 0 (pid %ld) was lost", (long)a[0]);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: timer_cb -> pool_tick with heartbeats waiting in the socket.
 *
 * A master that runs late (stopped here, for three timeouts, as a busy
 * machine or a paused VM may leave it) finds its timer due and the
 * worker's WATCHDOG=1 unread: it must read them before it judges, and
 * keep the worker, which never stopped beating.
 */
static void
test_heartbeat_master_late(void **state)
{
	struct it_pool	*p;
	char		*ans;

	p = it_start_pool(&(const struct it_pool_opts){ .workers = 1,
	    .timeouts = TIMEOUTS, .extra = "ready = notify\ntimeout = 500ms\n",
	    .argv = (const char *const[]){ t_testworker(), "--notify-ready",
	    "0", "--heartbeat", "100", NULL }, .control = true,
	    .wait_ready = true });
	assert_int_equal(kill(p->d->pid, SIGSTOP), 0);
	/* The window: the worker beats into the socket meanwhile. */
	observe(1500);
	assert_int_equal(kill(p->d->pid, SIGCONT), 0);
	/* Answered once the master has run again, its timer first. */
	ans = it_ask(p->sock, "status --check");
	free(ans);
	if (log_has(p->d, "silent for more than") || !t_alive(p->pids[0])) {
		dump_log(p->d);
		fail_msg("a worker that kept beating was taken for silent");
	}
}

/*
 * Path: SIGHUP that sets timeout -> pool_set_params, rolling restart.
 *
 * The workers heartbeat as sd_watchdog_enabled(3) tells them: only with
 * WATCHDOG_USEC. The running ones were started without it, so nothing
 * asks them to; a reload that turns timeout on replaces them by a
 * rolling restart, and must not abort them as silent meanwhile.
 */
static void
test_hup_sets_timeout(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	struct rolled	 r;
	pid_t		 a[2], b[2];
	unsigned	 i;

	write_conf(conf, "settimeout.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--notify-ready", "100", "--heartbeat-auto",
	    NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	/* Older than the timeout to come, as any running pool would be. */
	wait_lived(a, 2, 1100);
	write_conf(conf, "settimeout.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\ntimeout = 1s\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	r = (struct rolled){ d->pid, 2, a, b };
	if (!t_wait_until(rolled, &r, WAIT_MS)) {
		dump_log(d);
		fail_msg("the workers were not replaced");
	}
	remember(b, 2);
	wait_log(d, MSG_ROLL_DONE);
	for (i = 0; i < 2; i++)
		assert_env(b[i], "WATCHDOG_USEC", "1000000");
	/* The new ones heartbeat: 1.5 timeouts long, none is silent. */
	observe(1500);
	if (log_has(d, "silent for more than") || log_has(d, "signal 6")) {
		dump_log(d);
		fail_msg("a worker was aborted as silent; only the new ones "
		    "were told to heartbeat");
	}
	for (i = 0; i < 2; i++)
		assert_true(log_has(d,
		    MSG_STOPPING_WORKER " %u (pid %ld): replaced",
		    i, (long)a[i]));
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: pool_tick -> worker_expired for an aborted worker: one that
 * ignores the SIGABRT of its heartbeat timeout gets SIGKILL 1 s later.
 */
static void
test_heartbeat_abort_ignored(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[1], b[1];
	long		 abrt, kill9;
	double		 grace;

	write_conf(conf, "abrt.ini", "[prefork]\nworkers = 1\n"
	    "ready = notify\ntimeout = 500ms\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--notify-ready", "0", "--ignore-signal", "ABRT",
	    NULL });
	pool(d, d->pid, 1, a);
	wait_logf(d, "worker 0 (pid %ld) silent for more than 0.5s: SIGABRT",
	    (long)a[0]);
	wait_logf(d, "worker 0 (pid %ld) still running at its deadline: "
	    "SIGKILL", (long)a[0]);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9", (long)a[0]);
	abrt = log_pos(d, "SIGABRT");
	kill9 = log_pos(d, "still running at its deadline");
	assert_true(abrt < kill9);
	/* The grace is 1 s, by the master's own clock: its log's. */
	grace = log_time(d, "still running at its deadline") -
	    log_time(d, "SIGABRT");
	print_message("SIGKILL logged %.0f ms after SIGABRT\n", grace);
	assert_true(grace >= 900);
	pool(d, d->pid, 1, b);
	assert_int_not_equal(b[0], a[0]);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * The load of a rolling restart: LOAD_CONNS requests in flight at all
 * times, each one a connection of its own, each answered by a worker
 * that takes SERVE_DELAY_MS over it. The workers are thus busy nearly
 * all the time, and the SIGTERM of a roll finds a request in hand.
 */
#define LOAD_CONNS	8
#define SERVE_DELAY	"1"

enum conn_state { CONN_IDLE, CONN_CONNECTING, CONN_READING };

struct conn {
	enum conn_state	 state;
	int		 fd;
	double		 deadline;
	size_t		 len;
	char		 buf[128];
};

struct load {
	unsigned	port;
	struct conn	c[LOAD_CONNS];
	unsigned	sent;		/* requests finished, well or not */
	unsigned	failed;
	char		first[128];	/* the first failure */
	double		worst_ms;	/* the slowest request */
};

static void
load_done(struct load *l, struct conn *c, int err)
{
	struct answer	ans;
	int		end = -1;
	double		took;

	if (err == 0) {
		c->buf[c->len] = '\0';
		if (sscanf(c->buf, "worker %d pid %ld\n%n", &ans.slot,
		    &ans.pid, &end) != 2 || end != (int)c->len)
			err = EPROTO;
	}
	took = REQUEST_MS - (c->deadline - t_now_ms());
	if (took > l->worst_ms)
		l->worst_ms = took;
	l->sent++;
	if (err != 0 && l->failed++ == 0)
		xsnprintf(l->first, sizeof(l->first), "request %u: %s",
		    l->sent, failure(err));
	close(c->fd);
	c->state = CONN_IDLE;
}

static void
load_start(struct load *l, struct conn *c)
{
	struct sockaddr_storage	ss;
	socklen_t		len = addr_tcp(l->port, &ss);

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	assert_true(c->fd != -1);
	c->len = 0;
	c->deadline = t_now_ms() + REQUEST_MS;
	c->state = CONN_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS)
		load_done(l, c, errno);
}

/* The connection can go on: connected, or something to read. */
static void
load_event(struct load *l, struct conn *c)
{
	socklen_t	elen = sizeof(int);
	ssize_t		n;
	int		err = 0;

	if (c->state == CONN_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			err = errno;
		if (err == 0 && send(c->fd, "hello\n", 6, MSG_NOSIGNAL) != 6)
			err = errno != 0 ? errno : EPROTO;
		if (err != 0)
			load_done(l, c, err);
		else
			c->state = CONN_READING;
		return;
	}
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1)
		load_done(l, c, errno);
	else if (n == 0 || (c->len += (size_t)n) == sizeof(c->buf) - 1)
		load_done(l, c, 0);
}

/*
 * Runs the load for about slice_ms: starts requests on idle connections
 * (when more), and moves the others on. Returns how many are in flight.
 */
static unsigned
load_step(struct load *l, bool more, unsigned slice_ms)
{
	struct pollfd	 p[LOAD_CONNS];
	struct conn	*c;
	double		 now;
	unsigned	 i, busy = 0;

	for (i = 0; i < LOAD_CONNS; i++) {
		c = &l->c[i];
		if (c->state == CONN_IDLE && more)
			load_start(l, c);
		p[i] = (struct pollfd){ .fd = c->state == CONN_IDLE ? -1 :
		    c->fd, .events = c->state == CONN_CONNECTING ? POLLOUT :
		    POLLIN };
	}
	if (poll(p, LOAD_CONNS, (int)slice_ms) == -1 && errno != EINTR)
		fail_msg("poll: %s", strerror(errno));
	now = t_now_ms();
	for (i = 0; i < LOAD_CONNS; i++) {
		c = &l->c[i];
		if (c->state == CONN_IDLE)
			continue;
		if (p[i].revents != 0)
			load_event(l, c);
		else if (now >= c->deadline)
			load_done(l, c, ETIMEDOUT);
		if (c->state != CONN_IDLE)
			busy++;
	}
	return busy;
}

/* Lets the requests in flight finish (each has its own deadline). */
static void
load_drain(struct load *l)
{
	while (load_step(l, false, 10) > 0)
		continue;
}

/*
 * Keeps LOAD_CONNS requests in flight while prefork rolls its four
 * workers (after sig, with the configuration rewritten to env_after
 * first): not one may fail. The new workers say READY=1 100 ms after
 * they start, but only once the test lets them (their ready file): the
 * roll is held at its first slot until 200 requests went through it,
 * however slow the machine, and the old worker of that slot must serve
 * on meanwhile. Then it runs its course under the load. Bounded: 120 s.
 */
static void
zero_downtime(const char *name, int sig, const char *env_after)
{
	const double	 limit_ms = 120000;
	char		 conf[PATH_MAX], file[64], dir[PATH_MAX];
	char		 gate[PATH_MAX], gate_rel[PATH_MAX];
	unsigned	 during = 0, at_gate, i;
	struct t_daemon	*d;
	struct load	 l = { .port = t_free_port() };
	struct rolled	 r;
	pid_t		 a[4], b[4];
	double		 t0, t_open = 0, t_done = 0;
	bool		 done = false;

	subdir(name, dir);
	xsnprintf(gate, sizeof(gate), "%s/ready", dir);
	xsnprintf(gate_rel, sizeof(gate_rel), "%s/ready", name);
	assert_non_null(t_write_file(gate_rel, ""));
	xsnprintf(file, sizeof(file), "%s.ini", name);
	write_conf(conf, file, "[prefork]\nworkers = 4\nready = notify\n"
	    "listen = 127.0.0.1:%u\n" DELAYS "graceful_timeout = 5s\n"
	    "[env]\nGEN = 1\n", l.port);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--serve", "--serve-delay", SERVE_DELAY,
	    "--notify-ready", "100", "--ready-file", gate, NULL });
	pool(d, d->pid, 4, a);
	wait_log(d, MSG_POOL_READY ": 4 workers");
	/* Warming up: the pool serves. */
	while (l.sent < 100)
		load_step(&l, true, 10);
	load_drain(&l);
	if (l.failed != 0)
		fail_msg("before the roll: %u of %u failed (%s)", l.failed,
		    l.sent, l.first);

	if (env_after != NULL)
		write_conf(conf, file, "[prefork]\nworkers = 4\n"
		    "ready = notify\nlisten = 127.0.0.1:%u\n" DELAYS
		    "graceful_timeout = 5s\n[env]\n%s\n", l.port, env_after);
	assert_int_equal(unlink(gate), 0);
	l.sent = l.failed = 0;
	l.worst_ms = 0;
	r = (struct rolled){ d->pid, 4, a, b };
	t0 = t_now_ms();
	t_daemon_signal(d, sig);
	while (l.sent < 200 && t_now_ms() - t0 < limit_ms)
		load_step(&l, true, 5);
	/* Held: the first slot's replacement is not ready, no old worker
	   may have been told to stop. */
	at_gate = l.sent;
	for (i = 0; i < 4; i++)
		assert_true(t_alive(a[i]));
	assert_false(log_has(d, MSG_STOPPING_WORKER));
	t_open = t_now_ms();
	assert_non_null(t_write_file(gate_rel, ""));
	while (t_now_ms() - t0 < limit_ms) {
		/* Looking at /proc takes a while: not at every step. */
		for (i = 0; i < 10; i++)
			load_step(&l, true, 5);
		if (!done && rolled(&r)) {
			done = true;
			during = l.sent;
			t_done = t_now_ms();
		}
		/* A little more once it is over: the new pool serves. */
		if (done && l.sent >= during + 200)
			break;
	}
	load_drain(&l);
	print_message("%s: %u requests during the %.0f ms roll (%u held at "
	    "slot 0, %u in the %.0f ms after), %u in all, %u failed%s%s; "
	    "slowest %.0f ms\n", name, during, t_done - t0, at_gate,
	    during - at_gate, t_done - t_open, l.sent, l.failed,
	    l.failed ? "; first: " : "", l.first, l.worst_ms);
	if (!done) {
		dump_log(d);
		fail_msg("the roll did not finish in %.0f ms", limit_ms);
	}
	remember(b, 4);
	if (l.failed != 0) {
		dump_log(d);
		fail_msg("%u of %u requests failed (%s)", l.failed, l.sent,
		    l.first);
	}
	assert_true(during >= 200);
	wait_log(d, MSG_ROLL_DONE);
	for (i = 0; i < 4; i++) {
		assert_true(log_has(d, "worker %u (pid %ld) exited with code 0",
		    i, (long)a[i]));
		if (env_after != NULL)
			assert_env(b[i], "GEN", "2");
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, 5000 + WAIT_MS, EX_OK);
}

/* Path: SIGUSR2 -> pool_set_generation under load: no request lost. */
static void
test_zero_downtime_usr2(void **state)
{
	zero_downtime("zero-usr2", SIGUSR2, NULL);
}

/* Path: SIGHUP with a new [env] -> rolling restart under load. */
static void
test_zero_downtime_hup(void **state)
{
	zero_downtime("zero-hup", SIGHUP, "GEN = 2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_notify_path, teardown),
		cmocka_unit_test_teardown(test_notify_upgrade, teardown),
		cmocka_unit_test_teardown(test_notify_abstract, teardown),
		cmocka_unit_test_teardown(test_notify_hup_while_starting,
		    teardown),
		cmocka_unit_test_teardown(test_notify_manager_busy, teardown),
		cmocka_unit_test_teardown(test_watchdog_no_pid, teardown),
		cmocka_unit_test_teardown(test_watchdog_own_pid, teardown),
		cmocka_unit_test_teardown(test_watchdog_foreign_pid,
		    teardown),
		cmocka_unit_test_teardown(test_tcp_served, teardown),
		cmocka_unit_test_teardown(test_std_fds_closed, teardown),
		cmocka_unit_test_teardown(test_unix_served, teardown),
		cmocka_unit_test_teardown(test_bind_in_use, teardown),
		cmocka_unit_test_teardown(test_hup_moves_socket, teardown),
		cmocka_unit_test_teardown(test_hup_bind_fails, teardown),
		cmocka_unit_test_teardown(test_hup_ready_after_roll, teardown),
		cmocka_unit_test_teardown(test_hup_twice_ready_newest,
		    teardown),
		cmocka_unit_test_teardown(test_hup_pending_term, teardown),
		cmocka_unit_test_teardown(test_hup_ready_incomplete, teardown),
		cmocka_unit_test_teardown(test_two_sockets, teardown),
		cmocka_unit_test_teardown(test_socket_activation, teardown),
		cmocka_unit_test_teardown(test_ready_gating, teardown),
		cmocka_unit_test_teardown(test_notify_from_child_ignored,
		    teardown),
		cmocka_unit_test_teardown(test_never_ready_exit69, teardown),
		cmocka_unit_test_teardown(test_heartbeat_timeout, teardown),
		cmocka_unit_test_teardown(test_heartbeat_master_late,
		    teardown),
		cmocka_unit_test_teardown(test_heartbeat_abort_ignored,
		    teardown),
		cmocka_unit_test_teardown(test_hup_sets_timeout, teardown),
		cmocka_unit_test_teardown(test_zero_downtime_usr2, teardown),
		cmocka_unit_test_teardown(test_zero_downtime_hup, teardown),
	};
	/* SYSTEMD_TEST=test_name runs one test (a glob). */
	it_init(WAIT_MS, "SYSTEMD_TEST", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
