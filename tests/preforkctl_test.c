/* SPDX-License-Identifier: ISC */
/*
 * preforkctl_test: the real preforkctl binary against a fake master, a
 * unix socket this test listens on and answers from a child process with
 * scripted replies: the request line each command form sends, the exit
 * status and the output of each kind of answer (preforkctl(8) EXIT
 * STATUS), a master that is missing, stale, busy, silent or not a master
 * at all, usage errors refused before connecting, the order in which the
 * socket is found, and a socket whose mode refuses the user.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

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
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"
#include "itest.h"
#include "testlib.h"
#include "util.h"

#define WAIT_MS		20000
/* How long a preforkctl run may take: its own deadlines are shorter. */
#define RUN_MS		15000
/* How long a fake master waits for its client, then gives up. */
#define FAKE_MS		15000

/* What a fake master does with its one connection. */
enum fm_mode {
	FM_ANSWER,	/* reads the request, answers, closes */
	FM_NOREAD,	/* answers once the request is there, unread (so
			   that the close resets the connection) */
	FM_CLOSE,	/* reads the request, closes without a word */
	FM_SILENT,	/* reads the request, waits for the client to go */
	FM_FLOOD,	/* answers OK and more than 64 MiB of body */
};

struct fake {
	pid_t	pid;
	int	report;		/* what the master received, then EOF */
	char	path[PATH_MAX];
};

/* The fake masters a test started; the teardown ends them. */
static struct fake	fakes[8];
static size_t		nfakes;

static int
teardown(void **state)
{
	size_t	i;
	int	status;

	(void)state;
	for (i = 0; i < nfakes; i++) {
		if (fakes[i].pid > 0) {
			kill(fakes[i].pid, SIGKILL);
			waitpid(fakes[i].pid, &status, 0);
		}
		if (fakes[i].report != -1)
			close(fakes[i].report);
	}
	nfakes = 0;
	return it_teardown();
}

/* A listening unix socket at path, which is replaced. */
static int
listen_at(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd;

	assert_true(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static bool
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* OK, then 64 MiB and a byte more of body, or until the client goes. */
static void
flood(int fd)
{
	static char	chunk[65536];
	size_t		sent = 0;

	memset(chunk, 'x', sizeof(chunk));
	if (!write_all(fd, "OK\n", 3))
		return;
	while (sent <= ((size_t)64 << 20) && write_all(fd, chunk,
	    sizeof(chunk)))
		sent += sizeof(chunk);
}

/*
 * The fake master's child: one connection on lfd, served as mode says;
 * the request it received (or, unread, saw) goes to report. Every wait
 * has FAKE_MS as its deadline. Never returns.
 */
static _Noreturn void
fake_serve(int lfd, int report, enum fm_mode mode, const char *answer)
{
	double	deadline = t_now_ms() + FAKE_MS;
	char	req[CTL_REQUEST_MAX + 64];
	size_t	n = 0;
	ssize_t	r;
	int	fd;

	signal(SIGPIPE, SIG_IGN);
	if (!t_wait_fd(lfd, POLLIN, deadline) ||
	    (fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	while (memchr(req, '\n', n) == NULL && n < sizeof(req)) {
		if (!t_wait_fd(fd, POLLIN, deadline))
			_exit(3);
		r = recv(fd, req + (mode == FM_NOREAD ? 0 : n),
		    sizeof(req) - n, mode == FM_NOREAD ? MSG_PEEK : 0);
		if (r <= 0)
			break;
		n = mode == FM_NOREAD ? (size_t)r : n + (size_t)r;
	}
	(void)write_all(report, req, n);
	if (mode == FM_ANSWER || mode == FM_NOREAD)
		(void)write_all(fd, answer, strlen(answer));
	else if (mode == FM_FLOOD)
		flood(fd);
	else if (mode == FM_SILENT && t_wait_fd(fd, POLLIN, deadline) &&
	    read(fd, req, sizeof(req)) != 0)
		_exit(4);	/* the client sent more, or the read failed */
	close(fd);
	_exit(0);
}

/*
 * Starts a fake master on t_tmpdir()/name: it listens before this
 * returns, so that preforkctl finds it at once.
 */
static struct fake *
fake_start(const char *name, enum fm_mode mode, const char *answer)
{
	struct fake	*f;
	int		 lfd, pfd[2];

	assert_true(nfakes < sizeof(fakes) / sizeof(fakes[0]));
	f = &fakes[nfakes++];
	f->pid = -1;
	f->report = -1;
	xsnprintf(f->path, sizeof(f->path), "%s/%s", t_tmpdir(), name);
	lfd = listen_at(f->path);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	f->pid = fork();
	assert_true(f->pid != -1);
	if (f->pid == 0) {
		close(pfd[0]);
		fake_serve(lfd, pfd[1], mode, answer);
	}
	close(lfd);
	close(pfd[1]);
	f->report = pfd[0];
	return f;
}

/*
 * What the fake master received (up to its newline), once it is done
 * with its connection; "" if it never had one. The caller frees it.
 */
static char *
fake_request(struct fake *f)
{
	double	 deadline = t_now_ms() + FAKE_MS;
	char	*text = calloc(1, CTL_REQUEST_MAX + 65), buf[512];
	size_t	 len = 0;
	ssize_t	 n;
	int	 status;

	assert_non_null(text);
	for (;;) {
		if (!t_wait_fd(f->report, POLLIN, deadline))
			fail_msg("fake master %s: no report", f->path);
		if ((n = read(f->report, buf, sizeof(buf))) <= 0)
			break;
		assert_true(len + (size_t)n <= CTL_REQUEST_MAX + 64);
		memcpy(text + len, buf, (size_t)n);
		len += (size_t)n;
	}
	/* The report's end is the child's exit. */
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("fake master %s: exit status 0x%x", f->path, status);
	f->pid = -1;
	close(f->report);
	f->report = -1;
	return text;
}

/*
 * True when a client is waiting on listening socket lfd, now; it is
 * taken off the queue. A client that connected and went is still there.
 */
static bool
connection_queued(int lfd)
{
	struct pollfd	p = { .fd = lfd, .events = POLLIN };
	int		fd;

	if (poll(&p, 1, 0) != 1)
		return false;
	fd = accept(lfd, NULL, NULL);
	assert_true(fd != -1);
	close(fd);
	return true;
}

/*
 * Runs preforkctl args (NULL-terminated) with env applied over an
 * environment without PREFORK_CONTROL and RUNTIME_DIRECTORY.
 */
static void
ctl(struct t_run *r, const char *const env[], const char *const args[])
{
	const char	*argv[32], *envv[16];
	size_t		 n = 0, m = 0;

	envv[m++] = "PREFORK_CONTROL";
	envv[m++] = "RUNTIME_DIRECTORY";
	for (; env != NULL && *env != NULL; env++) {
		assert_true(m < 15);
		envv[m++] = *env;
	}
	envv[m] = NULL;
	argv[n++] = t_preforkctl();
	for (; *args != NULL; args++) {
		assert_true(n < 31);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	t_run(r, envv, argv, RUN_MS);
	if (r->timed_out)
		fail_msg("preforkctl still running after %d ms", RUN_MS);
	if (sanitizer_report(r->err))
		fail_msg("sanitizer report: %s", r->err);
}

/* Fails, showing what preforkctl printed, unless it exited with want. */
static void
assert_status(const struct t_run *r, int want)
{
	if (r->status != want)
		fail_msg("exit %d, not %d; stdout: %s; stderr: %s",
		    r->status, want, r->out, r->err);
}

/* Fails unless text is exactly want, showing both. */
static void
assert_text(const char *text, const char *want)
{
	if (strcmp(text, want) != 0)
		fail_msg("got '%s', not '%s'", text, want);
}

/* The number of lines of text. */
static size_t
lines(const char *text)
{
	size_t	n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* Each command form sends exactly its words, one space apart, and "\n". */
static void
test_request_lines(void **state)
{
	static const struct {
		const char *const	 args[5];
		const char		*line;
	} cases[] = {
		{ { "status" }, "status\n" },
		{ { "status", "--json" }, "status --json\n" },
		{ { "status", "--check" }, "status --check\n" },
		{ { "status", "--json", "--check" }, "status --json --check\n" },
		{ { "metrics" }, "metrics\n" },
		{ { "scale", "3" }, "scale 3\n" },
		{ { "scale", "+2" }, "scale +2\n" },
		{ { "scale", "-1" }, "scale -1\n" },
		{ { "reload" }, "reload\n" },
		{ { "restart" }, "restart\n" },
		{ { "stop" }, "stop\n" },
	};
	struct t_run	 r;
	struct fake	*f;
	const char	*args[10];
	char		*req;
	size_t		 i, j, n;

	for (i = 0; i < nitems(cases); i++) {
		f = fake_start("ctl.sock", FM_ANSWER, "OK\nbody\n");
		n = 0;
		args[n++] = "-s";
		args[n++] = f->path;
		args[n++] = "-t";
		args[n++] = "5";
		for (j = 0; j < 5 && cases[i].args[j] != NULL; j++)
			args[n++] = cases[i].args[j];
		args[n] = NULL;
		ctl(&r, NULL, args);
		req = fake_request(f);
		assert_status(&r, EX_OK);
		assert_text(req, cases[i].line);
		assert_text(r.out, "body\n");
		assert_text(r.err, "");
		free(req);
		t_run_free(&r);
		nfakes = 0;
	}
}

/*
 * Runs preforkctl args after "-s PATH" against a fake master of mode
 * answering answer; the request it received is checked against want
 * (NULL: not checked).
 */
static void
against(struct t_run *r, enum fm_mode mode, const char *answer,
    const char *const args[], const char *want)
{
	struct fake	*f = fake_start("ctl.sock", mode, answer);
	const char	*argv[16];
	char		*req;
	size_t		 n = 0;

	argv[n++] = "-s";
	argv[n++] = f->path;
	for (; *args != NULL; args++) {
		assert_true(n < 15);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	ctl(r, NULL, argv);
	req = fake_request(f);
	if (want != NULL)
		assert_text(req, want);
	free(req);
	nfakes = 0;
}

/* OK: exit 0, the body on standard output byte for byte, stderr quiet. */
static void
test_ok_body_as_is(void **state)
{
	struct t_run	r;

	against(&r, FM_ANSWER, "OK\n# HELP a\n\ta 1\n\nno newline at the end",
	    (const char *const[]){ "metrics", NULL }, "metrics\n");
	assert_status(&r, EX_OK);
	assert_text(r.out, "# HELP a\n\ta 1\n\nno newline at the end");
	assert_text(r.err, "");
	t_run_free(&r);

	/* No body at all, not even the newline. */
	against(&r, FM_ANSWER, "OK", (const char *const[]){ "scale", "+1",
	    NULL }, "scale +1\n");
	assert_status(&r, EX_OK);
	assert_text(r.out, "");
	assert_text(r.err, "");
	t_run_free(&r);
}

/* ERR: exit 1, the reason and then the body on standard error. */
static void
test_err(void **state)
{
	struct t_run	r;

	against(&r, FM_ANSWER, "ERR the configuration has errors\n"
	    "/etc/prefork/app.ini:3: workers: 'lots' is not a number\n",
	    (const char *const[]){ "reload", NULL }, "reload\n");
	assert_status(&r, 1);
	assert_text(r.out, "");
	assert_text(r.err, "preforkctl: the configuration has errors\n"
	    "/etc/prefork/app.ini:3: workers: 'lots' is not a number\n");
	t_run_free(&r);

	/* A reason from outside reaches the terminal escaped. */
	against(&r, FM_ANSWER, "ERR scale: \x1b[2Jno\n",
	    (const char *const[]){ "scale", "-9", NULL }, "scale -9\n");
	assert_status(&r, 1);
	assert_text(r.err, "preforkctl: scale: \\x1b[2Jno\n");
	t_run_free(&r);
}

/*
 * status --check: the answer goes to standard output whatever it is, so
 * that an exec probe's log shows it; exit 0 when ready, 1 when not.
 */
static void
test_status_check(void **state)
{
	struct t_run	r;

	against(&r, FM_ANSWER, "OK\n3 of 3 workers ready\n",
	    (const char *const[]){ "status", "--check", NULL },
	    "status --check\n");
	assert_status(&r, EX_OK);
	assert_text(r.out, "3 of 3 workers ready\n");
	t_run_free(&r);

	against(&r, FM_ANSWER, "ERR 1 of 3 workers ready (min_workers 2)\n"
	    "slot 1: backoff\n", (const char *const[]){ "status", "--check",
	    NULL }, "status --check\n");
	assert_status(&r, 1);
	assert_text(r.out, "1 of 3 workers ready (min_workers 2)\n"
	    "slot 1: backoff\n");
	assert_text(r.err, "");
	t_run_free(&r);
}

/*
 * DENIED: 77 and one line. The fake answers without reading the request,
 * so that its close resets the connection after the answer: the answer
 * must still be read.
 */
static void
test_denied(void **state)
{
	struct t_run	r;

	against(&r, FM_NOREAD, "DENIED uid 1000 is not root nor in group "
	    "prefork\n", (const char *const[]){ "stop", NULL }, "stop\n");
	assert_status(&r, EX_NOPERM);
	assert_text(r.out, "");
	assert_text(r.err, "preforkctl: permission denied: uid 1000 is not "
	    "root nor in group prefork\n");
	t_run_free(&r);
}

/* BUSY: 69, naming the socket and the reason; unread request too. */
static void
test_busy(void **state)
{
	struct t_run	r;
	char		want[PATH_MAX + 100];

	against(&r, FM_NOREAD, "BUSY 16 clients at once\n",
	    (const char *const[]){ "status", NULL }, "status\n");
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: %s/ctl.sock: the master "
	    "is busy: 16 clients at once; try again\n", t_tmpdir());
	assert_text(r.err, want);
	assert_text(r.out, "");
	t_run_free(&r);
}

/* No socket file: 69, one line naming it and why. */
static void
test_missing_socket(void **state)
{
	struct t_run	r;
	char		path[PATH_MAX], want[PATH_MAX + 100];

	xsnprintf(path, sizeof(path), "%s/nosuch.sock", t_tmpdir());
	ctl(&r, NULL, (const char *const[]){ "-s", path, "status", NULL });
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: %s: no master answers "
	    "(%s)\n", path, strerror(ENOENT));
	assert_text(r.err, want);
	t_run_free(&r);
}

/* A socket file left by a master that is gone: refused, 69. */
static void
test_stale_socket(void **state)
{
	struct t_run	r;
	char		path[PATH_MAX], want[PATH_MAX + 100];

	xsnprintf(path, sizeof(path), "%s/stale.sock", t_tmpdir());
	close(listen_at(path));
	ctl(&r, NULL, (const char *const[]){ "-s", path, "reload", NULL });
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: %s: no master answers "
	    "(%s)\n", path, strerror(ECONNREFUSED));
	assert_text(r.err, want);
	t_run_free(&r);
}

/* A master that reads the request and closes without a word: 69. */
static void
test_closed_without_answer(void **state)
{
	struct t_run	r;

	against(&r, FM_CLOSE, "", (const char *const[]){ "restart", NULL },
	    "restart\n");
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "ctl.sock: no master answers (the "
	    "connection closed without an answer)\n"));
	assert_int_equal(lines(r.err), 1);
	t_run_free(&r);
}

/* Whatever does not start like an answer is not a master's: 69. */
static void
test_unparsable_answer(void **state)
{
	static const char *const	answers[] = {
		"HTTP/1.1 400 Bad Request\r\n\r\n", "OKAY\n", "ok\n",
		"\nOK\n", " OK\n", "ERR", "DENIEDx\n",
	};
	struct t_run			r;
	size_t				i;

	for (i = 0; i < nitems(answers); i++) {
		against(&r, FM_ANSWER, answers[i], (const char *const[]){
		    "status", NULL }, "status\n");
		if (i == 5) {
			/* "ERR" alone is an answer, with no reason. */
			assert_status(&r, 1);
			t_run_free(&r);
			continue;
		}
		assert_status(&r, EX_UNAVAILABLE);
		assert_true(t_contains(r.err, "not a prefork master's "
		    "answer"));
		assert_int_equal(lines(r.err), 1);
		assert_text(r.out, "");
		t_run_free(&r);
	}
}

/*
 * A master that never answers: -t bounds the wait, and the message says
 * so; for reload, that the request may still be carried out.
 */
static void
test_timeout(void **state)
{
	struct t_run	r;
	double		start = t_now_ms();

	against(&r, FM_SILENT, "", (const char *const[]){ "-t", "1",
	    "status", NULL }, "status\n");
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "ctl.sock: no answer within 1 s\n"));
	/* The deadline, not RUN_MS, ended it: it ran at least 1 s. */
	assert_true(t_now_ms() - start >= 1000);
	t_run_free(&r);

	against(&r, FM_SILENT, "", (const char *const[]){ "--timeout=300ms",
	    "reload", NULL }, "reload\n");
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "no answer within 300 ms (the request "
	    "was sent: the master may still carry it out)\n"));
	t_run_free(&r);
}

/* More than 64 MiB is not an answer: 69, and nothing printed of it. */
static void
test_answer_too_large(void **state)
{
	struct t_run	r;

	against(&r, FM_FLOOD, "", (const char *const[]){ "metrics", NULL },
	    "metrics\n");
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "an answer larger than 64 MiB"));
	assert_text(r.out, "");
	t_run_free(&r);
}

/*
 * Usage errors exit 64 with the usage, and never connect: the socket
 * they would have used has no client queued afterwards.
 */
static void
test_usage_errors(void **state)
{
	static char			huge[CTL_REQUEST_MAX + 16];
	char				path[PATH_MAX];
	const char *const *const	cases[] = {
		(const char *const[]){ NULL },
		(const char *const[]){ "frobnicate", NULL },
		(const char *const[]){ "statsu", NULL },
		(const char *const[]){ "scale", "abc", NULL },
		(const char *const[]){ "scale", NULL },
		(const char *const[]){ "scale", "1", "2", NULL },
		(const char *const[]){ "scale", "+", NULL },
		(const char *const[]){ "status", "--bogus", NULL },
		(const char *const[]){ "status", "--json", "--check", "--json",
		    "--check", NULL },
		(const char *const[]){ "reload", "now", NULL },
		(const char *const[]){ "metrics", "x", NULL },
		(const char *const[]){ "stop", "--force", NULL },
		(const char *const[]){ "status", "", NULL },
		(const char *const[]){ "status\nstop", NULL },
		(const char *const[]){ "recycle", NULL },
		(const char *const[]){ "-x", "status", NULL },
		(const char *const[]){ "-t", "abc", "status", NULL },
		(const char *const[]){ "-t", "-1", "status", NULL },
		(const char *const[]){ "-t", NULL },
		(const char *const[]){ "scale", huge, NULL },
	};
	const char	*argv[16];
	struct t_run	 r;
	size_t		 i, j, n;
	int		 lfd;

	/* A request longer than the protocol's limit, in the last case. */
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	xsnprintf(path, sizeof(path), "%s/usage.sock", t_tmpdir());
	lfd = hold(listen_at(path));
	for (i = 0; i < nitems(cases); i++) {
		n = 0;
		argv[n++] = "-s";
		argv[n++] = path;
		for (j = 0; cases[i][j] != NULL; j++)
			argv[n++] = cases[i][j];
		argv[n] = NULL;
		ctl(&r, NULL, argv);
		if (r.status != EX_USAGE)
			fail_msg("case %zu: exit %d, stderr: %s", i, r.status,
			    r.err);
		assert_true(t_contains(r.err, "usage: preforkctl"));
		assert_text(r.out, "");
		if (connection_queued(lfd))
			fail_msg("case %zu connected", i);
		t_run_free(&r);
	}
	/* The check above sees a connection: a request does queue one. */
	ctl(&r, NULL, (const char *const[]){ "-s", path, "-t", "100ms",
	    "status", NULL });
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(connection_queued(lfd));
	t_run_free(&r);
}

/* A mistyped command gets a suggestion; the reasons are ctl_parse()'s. */
static void
test_usage_messages(void **state)
{
	struct t_run	r;

	ctl(&r, NULL, (const char *const[]){ "statsu", NULL });
	assert_status(&r, EX_USAGE);
	assert_true(t_contains(r.err, "preforkctl: unknown command 'statsu' "
	    "(did you mean 'status'?)\n"));
	t_run_free(&r);

	ctl(&r, NULL, (const char *const[]){ "scale", "abc", NULL });
	assert_status(&r, EX_USAGE);
	assert_true(t_contains(r.err, "preforkctl: scale: 'abc' is not N"));
	t_run_free(&r);

	ctl(&r, NULL, (const char *const[]){ NULL });
	assert_status(&r, EX_USAGE);
	assert_true(t_contains(r.err, "preforkctl: no command\n"));
	t_run_free(&r);
}

/* --help on standard output, exit 0; --version like prefork's. */
static void
test_help_version(void **state)
{
	struct t_run	r;

	ctl(&r, NULL, (const char *const[]){ "--help", NULL });
	assert_status(&r, EX_OK);
	assert_true(t_contains(r.out, "usage: preforkctl"));
	assert_true(t_contains(r.out, "status [--json] [--check]"));
	t_run_free(&r);

	ctl(&r, NULL, (const char *const[]){ "-V", NULL });
	assert_status(&r, EX_OK);
	assert_text(r.out, "preforkctl (prefork) " PACKAGE_VERSION "\n");
	t_run_free(&r);
}

/*
 * Runs "preforkctl ARGS status" with env and fails unless the fake
 * master f answered it.
 */
static void
reaches(struct fake *f, const char *const env[], const char *const args[])
{
	const char	*argv[16];
	struct t_run	 r;
	char		*req;
	size_t		 n = 0;

	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n++] = "status";
	argv[n] = NULL;
	ctl(&r, env, argv);
	req = fake_request(f);
	assert_status(&r, EX_OK);
	assert_text(req, "status\n");
	assert_text(r.out, "picked\n");
	free(req);
	t_run_free(&r);
	nfakes = 0;
}

/*
 * Runs "preforkctl ARGS status" with env and fails unless it tried path,
 * and only path: 69 naming it, and nobody connected to the socket lfd
 * listens on, which a later source names.
 */
static void
tries(const char *path, int lfd, const char *const env[],
    const char *const args[])
{
	const char	*argv[16];
	struct t_run	 r;
	char		 want[PATH_MAX + 100];
	size_t		 n = 0;

	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n++] = "status";
	argv[n] = NULL;
	ctl(&r, env, argv);
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: %s: no master answers "
	    "(%s)\n", path, strerror(ENOENT));
	assert_text(r.err, want);
	assert_false(connection_queued(lfd));
	t_run_free(&r);
}

/*
 * The socket is the first of -s, -c's control, $PREFORK_CONTROL (when
 * not empty), $RUNTIME_DIRECTORY/control.sock (its first directory),
 * /run/prefork/control.sock; the first that applies is used even when
 * nothing answers there, never a later one.
 */
static void
test_socket_order(void **state)
{
	char	 good[PATH_MAX], run[PATH_MAX], nos[PATH_MAX], noc[PATH_MAX],
		 noe[PATH_MAX], conf_noc[PATH_MAX], conf_good[PATH_MAX],
		 conf_unset[PATH_MAX], e_noe[PATH_MAX + 20], e_good[PATH_MAX + 20],
		 rd_no[PATH_MAX + 40], rd_run[PATH_MAX + 40], rdsock[PATH_MAX];
	struct fake	*f;
	int		 lfd;

	xsnprintf(good, sizeof(good), "%s/good.sock", t_tmpdir());
	subdir("run", run);
	xsnprintf(rdsock, sizeof(rdsock), "%s/control.sock", run);
	xsnprintf(nos, sizeof(nos), "%s/no-s.sock", t_tmpdir());
	xsnprintf(noc, sizeof(noc), "%s/no-c.sock", t_tmpdir());
	xsnprintf(noe, sizeof(noe), "%s/no-env.sock", t_tmpdir());
	write_conf(conf_noc, "noc.ini", "[prefork]\ncontrol = %s\n", noc);
	write_conf(conf_good, "good.ini", "[prefork]\ncontrol = %s\n", good);
	write_conf(conf_unset, "unset.ini", "[prefork]\nworkers = 2\n");
	xsnprintf(e_noe, sizeof(e_noe), "PREFORK_CONTROL=%s", noe);
	xsnprintf(e_good, sizeof(e_good), "PREFORK_CONTROL=%s", good);
	xsnprintf(rd_no, sizeof(rd_no), "RUNTIME_DIRECTORY=%s/norun",
	    t_tmpdir());
	xsnprintf(rd_run, sizeof(rd_run), "RUNTIME_DIRECTORY=%s:/elsewhere",
	    run);

	/* Each source wins over those after it. */
	f = fake_start("good.sock", FM_ANSWER, "OK\npicked\n");
	reaches(f, (const char *const[]){ e_noe, rd_no, NULL },
	    (const char *const[]){ "-s", good, "-c", conf_noc, NULL });
	f = fake_start("good.sock", FM_ANSWER, "OK\npicked\n");
	reaches(f, (const char *const[]){ e_noe, rd_no, NULL },
	    (const char *const[]){ "-c", conf_good, NULL });
	f = fake_start("good.sock", FM_ANSWER, "OK\npicked\n");
	reaches(f, (const char *const[]){ e_good, rd_no, NULL },
	    (const char *const[]){ NULL });
	f = fake_start("run/control.sock", FM_ANSWER, "OK\npicked\n");
	reaches(f, (const char *const[]){ "PREFORK_CONTROL=", rd_run, NULL },
	    (const char *const[]){ NULL });
	/* A file without control: the default a master would have. */
	f = fake_start("run/control.sock", FM_ANSWER, "OK\npicked\n");
	reaches(f, (const char *const[]){ e_noe, rd_run, NULL },
	    (const char *const[]){ "-c", conf_unset, NULL });

	/* The first that applies is the one, answered or not. */
	lfd = hold(listen_at(good));
	tries(nos, lfd, NULL, (const char *const[]){ "-s", nos, "-c",
	    conf_good, NULL });
	tries(noc, lfd, (const char *const[]){ e_good, NULL },
	    (const char *const[]){ "-c", conf_noc, NULL });
	unhold(lfd);
	lfd = hold(listen_at(rdsock));
	tries(noe, lfd, (const char *const[]){ e_noe, rd_run, NULL },
	    (const char *const[]){ NULL });
	unhold(lfd);
}

/* With nothing set, the socket of prefork.service. */
static void
test_socket_default(void **state)
{
	struct t_run	r;
	char		want[PATH_MAX + 100], rd[PATH_MAX];

	if (access("/run/prefork/control.sock", F_OK) == 0) {
		print_message("skipped: a prefork runs here, and its socket "
		    "would answer\n");
		skip();
	}
	ctl(&r, NULL, (const char *const[]){ "status", NULL });
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: /run/prefork/control.sock:"
	    " no master answers (%s)\n", strerror(ENOENT));
	assert_text(r.err, want);
	t_run_free(&r);

	/* A RUNTIME_DIRECTORY that does not exist is still the one. */
	xsnprintf(rd, sizeof(rd), "RUNTIME_DIRECTORY=%s/gone", t_tmpdir());
	ctl(&r, (const char *const[]){ rd, NULL }, (const char *const[]){
	    "status", NULL });
	assert_status(&r, EX_UNAVAILABLE);
	xsnprintf(want, sizeof(want), "preforkctl: %s/gone/control.sock: no "
	    "master answers (%s)\n", t_tmpdir(), strerror(ENOENT));
	assert_text(r.err, want);
	t_run_free(&r);
}

/*
 * -c with a file that has errors: 64, every error as FILE:LINE, and no
 * connection; -s wins, and the file is then not read at all.
 */
static void
test_config_errors(void **state)
{
	struct t_run	 r;
	struct fake	*f;
	char		 conf[PATH_MAX], want[PATH_MAX + 100], *req;

	write_conf(conf, "bad.ini", "[prefork]\nworkers = lots\n"
	    "wrokers = 3\ncontrol = relative.sock\n");
	ctl(&r, NULL, (const char *const[]){ "-c", conf, "status", NULL });
	assert_status(&r, EX_USAGE);
	xsnprintf(want, sizeof(want), "preforkctl: %s:2: workers", conf);
	assert_true(t_contains(r.err, want));
	xsnprintf(want, sizeof(want), "preforkctl: %s:3: unknown key "
	    "'wrokers'", conf);
	assert_true(t_contains(r.err, want));
	xsnprintf(want, sizeof(want), "preforkctl: %s:4: control", conf);
	assert_true(t_contains(r.err, want));
	assert_text(r.out, "");
	t_run_free(&r);

	ctl(&r, NULL, (const char *const[]){ "-c", "/nonexistent/app.ini",
	    "status", NULL });
	assert_status(&r, EX_USAGE);
	assert_true(t_contains(r.err, "/nonexistent/app.ini: cannot read"));
	t_run_free(&r);

	f = fake_start("ctl.sock", FM_ANSWER, "OK\n");
	ctl(&r, NULL, (const char *const[]){ "-s", f->path, "-c", conf,
	    "status", NULL });
	req = fake_request(f);
	assert_status(&r, EX_OK);
	assert_text(req, "status\n");
	free(req);
	t_run_free(&r);
}

/* control = none: the master has no socket; 64, saying so. */
static void
test_control_none(void **state)
{
	struct t_run	r;
	char		conf[PATH_MAX], want[PATH_MAX + 100], rd[PATH_MAX];

	write_conf(conf, "none.ini", "[prefork]\nworkers = 2\n"
	    "control = none\n");
	/* Under systemd too: none wins over the default. */
	xsnprintf(rd, sizeof(rd), "RUNTIME_DIRECTORY=%s", t_tmpdir());
	ctl(&r, (const char *const[]){ rd, NULL }, (const char *const[]){
	    "-c", conf, "status", NULL });
	assert_status(&r, EX_USAGE);
	xsnprintf(want, sizeof(want), "preforkctl: %s:3: control = none: "
	    "the master of %s has no control socket\n", conf, conf);
	assert_text(r.err, want);
	t_run_free(&r);
}

/*
 * A socket of mode 0600 that root owns refuses another user at
 * connect(2): 77, saying the socket's permissions refuse it. The same
 * socket made 0666 lets the same user connect: the mode was the cause.
 */
static void
test_socket_mode_refuses(void **state)
{
	struct t_run	r;
	char		dir[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 100];
	int		lfd;

	if (geteuid() != 0) {
		print_message("skipped: needs root, to own a socket another "
		    "user may not use\n");
		skip();
	}
	it_skip_unless((const char *const[]){ "setpriv", "--reuid=65534",
	    "--regid=65534", "--clear-groups", "test", "-x", t_preforkctl(),
	    NULL }, "uid 65534 cannot run the build's preforkctl through "
	    "setpriv");
	subdir("shared", dir);
	assert_int_equal(chmod(t_tmpdir(), 0711), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	xsnprintf(path, sizeof(path), "%s/control.sock", dir);
	lfd = hold(listen_at(path));
	assert_int_equal(chmod(path, 0600), 0);
	t_run(&r, (const char *const[]){ "PREFORK_CONTROL",
	    "RUNTIME_DIRECTORY", NULL }, (const char *const[]){ "setpriv",
	    "--reuid=65534", "--regid=65534", "--clear-groups",
	    t_preforkctl(), "-s", path, "status", NULL }, RUN_MS);
	assert_false(r.timed_out);
	assert_status(&r, EX_NOPERM);
	xsnprintf(want, sizeof(want), "preforkctl: permission denied: %s: the "
	    "socket's permissions refuse this user (uid 65534)\n", path);
	assert_text(r.err, want);
	assert_false(connection_queued(lfd));
	t_run_free(&r);

	assert_int_equal(chmod(path, 0666), 0);
	t_run(&r, NULL, (const char *const[]){ "setpriv", "--reuid=65534",
	    "--regid=65534", "--clear-groups", t_preforkctl(), "-s", path,
	    "-t", "100ms", "status", NULL }, RUN_MS);
	assert_status(&r, EX_UNAVAILABLE);
	assert_true(connection_queued(lfd));
	t_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_request_lines, teardown),
		cmocka_unit_test_teardown(test_ok_body_as_is, teardown),
		cmocka_unit_test_teardown(test_err, teardown),
		cmocka_unit_test_teardown(test_status_check, teardown),
		cmocka_unit_test_teardown(test_denied, teardown),
		cmocka_unit_test_teardown(test_busy, teardown),
		cmocka_unit_test_teardown(test_missing_socket, teardown),
		cmocka_unit_test_teardown(test_stale_socket, teardown),
		cmocka_unit_test_teardown(test_closed_without_answer,
		    teardown),
		cmocka_unit_test_teardown(test_unparsable_answer, teardown),
		cmocka_unit_test_teardown(test_timeout, teardown),
		cmocka_unit_test_teardown(test_answer_too_large, teardown),
		cmocka_unit_test_teardown(test_usage_errors, teardown),
		cmocka_unit_test_teardown(test_usage_messages, teardown),
		cmocka_unit_test_teardown(test_help_version, teardown),
		cmocka_unit_test_teardown(test_socket_order, teardown),
		cmocka_unit_test_teardown(test_socket_default, teardown),
		cmocka_unit_test_teardown(test_config_errors, teardown),
		cmocka_unit_test_teardown(test_control_none, teardown),
		cmocka_unit_test_teardown(test_socket_mode_refuses, teardown),
	};

	/* PREFORKCTL_TEST=test_busy runs one test (a glob). */
	it_init(WAIT_MS, "PREFORKCTL_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
