/* SPDX-License-Identifier: ISC */
/*
 * ctl_itest: the control socket of prefork(8) with the real daemon,
 * spoken to as preforkctl does (one request line, the answer up to the
 * close) by a client of the test's own, so that it can also be hostile:
 * every command and what it did to the pool, a reload's errors, the
 * socket's mode and group, a live socket (73) and a stale one
 * (replaced), peers refused by SO_PEERCRED even through a lax mode, the
 * limits (request size, idle clients, 16 at once, a client that never
 * reads), a worker replaced at once meanwhile, and an idle master with
 * the socket still making no wake-up.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include "messages.h"
#include "testlib.h"
#include "util.h"

#define WAIT_MS		20000
#define TIMEOUTS	"graceful_timeout = 500ms\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/* True when the answer starts with prefix. */
static bool
starts(const char *answer, const char *prefix)
{
	return strncmp(answer, prefix, strlen(prefix)) == 0;
}

/*
 * A pool of n test workers with its control socket (at path, or at one
 * of its own when NULL), into sock.
 */
static struct t_daemon *
start_pool_at(unsigned n, const char *extra, const char *path, char *sock,
    pid_t *by_slot)
{
	struct it_pool	*p;

	p = it_start_pool(&(const struct it_pool_opts){ .workers = n,
	    .timeouts = TIMEOUTS, .extra = extra, .conf_name = "ctl.ini",
	    .control = true, .control_path = path });
	xsnprintf(sock, PATH_MAX, "%s", p->sock);
	memcpy(by_slot, p->pids, n * sizeof(*by_slot));
	return p->d;
}

static struct t_daemon *
start_pool(unsigned n, const char *extra, char *sock, pid_t *by_slot)
{
	return start_pool_at(n, extra, NULL, sock, by_slot);
}

/* status: every slot's row; --json parses; --check says healthy. */
static void
test_status(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], row[64], *ans, path[PATH_MAX];
	pid_t		 a[3];
	struct t_run	 r;
	unsigned	 i;

	d = start_pool(3, "", sock, a);
	wait_lived(a, 3, 200);
	ans = it_ask(sock, "status");
	assert_true(starts(ans, "OK\nprefork " PACKAGE_VERSION ", master pid"));
	assert_true(t_contains(ans, "pool: 3/3 workers ready (min_workers "
	    "1)\ntarget: 3 workers\nsizing: "));
	for (i = 0; i < 3; i++) {
		xsnprintf(row, sizeof(row), "\n%-5u %-8ld ready ", i,
		    (long)a[i]);
		if (!t_contains(ans, row))
			fail_msg("no row '%s' in:\n%s", row + 1, ans);
	}
	free(ans);

	ans = it_ask(sock, "status --json");
	assert_true(starts(ans, "OK\n{"));
	assert_int_equal(t_json_int(ans, "target"), 3);
	assert_int_equal(t_json_int(ans, "ready"), 3);
	assert_int_equal(t_json_int(ans, "pid"), d->pid);
	t_write_file("status.json", ans + 3);
	xsnprintf(path, sizeof(path), "%s/status.json", t_tmpdir());
	t_run(&r, NULL, (const char *const[]){ "python3", "-c",
	    "import json,sys; s=json.load(open(sys.argv[1])); "
	    "assert len(s['workers']) == 3, s; "
	    "assert all(w['rss_bytes'] > 0 for w in s['workers']), s",
	    path, NULL }, WAIT_MS);
	if (r.status != 0)
		fail_msg("status --json: %s", r.err);
	t_run_free(&r);
	free(ans);

	ans = it_ask(sock, "status --check");
	assert_string_equal(ans, "OK\n3/3 workers ready (min_workers 1)\n");
	free(ans);
}

/* status --check fails while fewer than min_workers are ready. */
static void
test_check_unhealthy(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *ans;
	pid_t		 a[2];

	/* Workers that never say READY=1: never ready. */
	d = start_pool(2, "min_workers = 2\nready = notify\n"
	    "ready_timeout = 60s\n", sock, a);
	ans = it_ask(sock, "status --check");
	assert_string_equal(ans, "ERR not enough workers ready\n"
	    "0/2 workers ready (min_workers 2)\n");
	free(ans);
	ans = it_ask(sock, "status --check --json");
	assert_true(starts(ans, "ERR not enough workers ready\n{"));
	assert_true(t_contains(ans, "\"healthy\":false"));
	free(ans);
	(void)d;
}

/* metrics: the exposition, as metrics_listen serves it. */
static void
test_metrics(void **state)
{
	char	 sock[PATH_MAX], *ans;
	pid_t	 a[2];

	(void)start_pool(2, "", sock, a);
	ans = it_ask(sock, "metrics");
	assert_true(starts(ans, "OK\n# HELP prefork_build_info "));
	assert_true(t_contains(ans, "\nprefork_workers_desired 2\n"));
	assert_true(t_contains(ans, "\nprocess_open_fds "));
	free(ans);
}

/* scale N, +N, -N: the pool follows; below 1 is refused. */
static void
test_scale(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *ans;
	pid_t		 a[2], b[5], c[3];

	d = start_pool(2, "", sock, a);
	ans = it_ask(sock, "scale +3");
	assert_string_equal(ans, "OK\nscale: 2 -> 5 workers, until the next "
	    "reload\n");
	free(ans);
	pool(d, d->pid, 5, b);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[1], a[1]);
	ans = it_ask(sock, "scale -2");
	assert_true(starts(ans, "OK\nscale: 5 -> 3 workers"));
	free(ans);
	pool(d, d->pid, 3, c);
	ans = it_ask(sock, "scale 1");
	assert_true(starts(ans, "OK\nscale: 3 -> 1 worker,"));
	free(ans);
	ans = it_ask(sock, "scale -1");
	assert_string_equal(ans, "ERR scale: the pool cannot be smaller than 1 "
	    "worker (it has 1)\n");
	free(ans);
	pool(d, d->pid, 1, c);
	assert_int_equal(c[0], a[0]);
}

/*
 * reload is answered once done: with the new sizing, or with the
 * configuration's errors (FILE:LINE), the running pool kept.
 */
static void
test_reload(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], conf[PATH_MAX], *ans;
	pid_t		 a[2], b[3];

	d = start_pool(2, "", sock, a);
	write_conf(conf, "ctl.ini", "[prefork]\nworkers = 3\ncontrol = %s\n"
	    TIMEOUTS, sock);
	ans = it_ask(sock, "reload");
	assert_true(starts(ans, "OK\nsizing: "));
	assert_true(t_contains(ans, " -> 3 workers\n"));
	free(ans);
	/* Answered when done: the third worker runs already. */
	pool(d, d->pid, 3, b);

	write_conf(conf, "ctl.ini", "[prefork]\nworkers = 3\ncontrol = %s\n"
	    "workers = 4\nbogus = 1\n" TIMEOUTS, sock);
	ans = it_ask(sock, "reload");
	assert_true(starts(ans, "ERR the configuration has errors: the "
	    "running one is kept\n"));
	assert_true(t_contains(ans, "ctl.ini:5: unknown key 'bogus'"));
	assert_true(t_contains(ans, "ctl.ini:4: duplicate key 'workers'"));
	free(ans);
	pool(d, d->pid, 3, b);
	ans = it_ask(sock, "status");
	assert_true(t_contains(ans, "reloads: 2 (1 failed)"));
	free(ans);
}

/* restart: answered when every worker is new; stop: when it exits. */
static void
test_restart_stop(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *ans;
	pid_t		 a[2], b[2];
	struct stat	 st;

	d = start_pool(2, "", sock, a);
	ans = it_ask(sock, "restart");
	assert_string_equal(ans, "OK\nrestart done: 2/2 workers ready\n");
	free(ans);
	/* Done means done: both old workers were replaced. */
	pool(d, d->pid, 2, b);
	assert_int_not_equal(b[0], a[0]);
	assert_int_not_equal(b[1], a[1]);

	ans = it_ask(sock, "stop");
	assert_string_equal(ans, "OK\nstopped: exit status 0\n");
	free(ans);
	wait_exit(d, WAIT_MS, 0);
	assert_int_equal(lstat(sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	wait_gone(b[0], WAIT_MS);
	wait_gone(b[1], WAIT_MS);
}

/* Requests refused, each with its reason; the master carries on. */
static void
test_bad_requests(void **state)
{
	static const struct {
		const char	*req;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "bogus\n", 6, "ERR unknown command 'bogus'\n" },
		{ "\n", 1, "ERR empty request\n" },
		{ "status --all\n", 13, "ERR status: unknown option '--all' "
		    "(--json, --check)\n" },
		{ "scale many\n", 11, "ERR scale: 'many' is not N, +N or -N "
		    "(N a number up to 65536)\n" },
		{ "stat\0us\n", 8, "ERR byte 0x00 at offset 4: a request is "
		    "printable ASCII\n" },
		{ "upgrade 2\n", 10, "ERR upgrade takes no argument\n" },
		{ "advise --window 1h\n", 19, "ERR advise: --window '1h' is "
		    "not between 1s and 15m\n" },
	};
	char	 sock[PATH_MAX], *big, *ans;
	pid_t	 a[2], b[2];
	size_t	 i;
	struct t_daemon	*d;

	d = start_pool(2, "", sock, a);
	for (i = 0; i < nitems(cases); i++) {
		ans = it_ctl_raw(sock, cases[i].req, cases[i].len, WAIT_MS);
		assert_non_null(ans);
		assert_string_equal(ans, cases[i].want);
		free(ans);
	}
	/* 8 KiB without a newline: refused at 4 KiB, not read further. */
	assert_non_null(big = malloc(8192));
	memset(big, 'x', 8192);
	ans = it_ctl_raw(sock, big, 4096, WAIT_MS);
	assert_non_null(ans);
	assert_string_equal(ans, "ERR request too long (4095 bytes at "
	    "most)\n");
	free(ans);
	free(big);
	pool(d, d->pid, 2, b);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[1], a[1]);
}

/*
 * The limits: a client that sends nothing is closed after 5 s; 16 at
 * once, the 17th told BUSY. Meanwhile a killed worker is replaced at
 * once: while the 16 still hold their places, not after their timeout.
 */
static void
test_limits(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *ans;
	pid_t		 a[2], b[2];
	struct pollfd	 first;
	int		 fds[16], i, extra;

	d = start_pool(2, "", sock, a);
	wait_lived(a, 2, 200);
	for (i = 0; i < 16; i++) {
		fds[i] = connect_unix(sock);
		assert_true(fds[i] != -1);
	}
	/* The 16th is in once it could ask: the master has seen them all. */
	assert_int_equal(send(fds[15], "status --check\n", 15, 0), 15);
	ans = read_all(fds[15], WAIT_MS);
	assert_non_null(ans);
	assert_true(starts(ans, "OK\n"));
	free(ans);
	close(fds[15]);
	fds[15] = connect_unix(sock);
	assert_true(fds[15] != -1);
	extra = connect_unix(sock);
	assert_true(extra != -1);
	ans = read_all(extra, WAIT_MS);
	assert_non_null(ans);
	assert_string_equal(ans, "BUSY too many clients (16 at most)\n");
	free(ans);
	close(extra);

	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_gone(a[0], WAIT_MS);
	pool(d, d->pid, 2, b);
	assert_int_not_equal(b[0], a[0]);
	first = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (poll(&first, 1, 0) != 0)
		fail_msg("the replacement waited for the clients' timeout");

	/* Idle for 5 s: closed by the master (EOF), without an answer. */
	ans = read_all(fds[0], WAIT_MS + 5000);
	assert_non_null(ans);
	assert_string_equal(ans, "");
	free(ans);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	ans = it_ask(sock, "status --check");
	assert_true(starts(ans, "OK\n"));
	free(ans);
}

/* The socket file: 0600; with control_group 0660 and that group. */
static void
test_mode_and_group(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], conf[PATH_MAX], *ans;
	struct group	*gr = getgrnam("nogroup");
	struct stat	 st;
	pid_t		 a[1];

	d = start_pool(1, "", sock, a);
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	if (gr == NULL) {
		print_message("no group nogroup: control_group not checked\n");
		return;
	}
	write_conf(conf, "ctl.ini", "[prefork]\nworkers = 1\ncontrol = %s\n"
	    "control_group = nogroup\n" TIMEOUTS, sock);
	ans = it_ask(sock, "reload");
	assert_true(starts(ans, "OK\n"));
	free(ans);
	assert_int_equal(lstat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, gr->gr_gid);
	(void)d;
}

/*
 * As another user (nobody), through a socket made world-writable on
 * purpose: SO_PEERCRED refuses it all the same, with one DENIED line;
 * in control_group, it is let in.
 */
static char *
ask_as_nobody(const char *sock, gid_t gid)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	char			buf[512];
	int			p[2], status, fd;
	ssize_t			n;
	pid_t			pid;
	char			*ans;

	strcpy(sun.sun_path, sock);
	assert_int_equal(pipe(p), 0);
	/* No cmocka in the child: only system calls, and _exit(). */
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) ==
		    -1 || setresuid(65534, 65534, 65534) == -1)
			_exit(2);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			_exit(3);
		/* A refused peer may be closed before it asks: no matter. */
		(void)send(fd, "status --check\n", 15, MSG_NOSIGNAL);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, (size_t)n) != n)
				_exit(4);
		_exit(0);
	}
	assert_true(pid > 0);
	close(p[1]);
	ans = read_all(p[0], WAIT_MS * 2);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return ans;
}

static void
test_peer_refused(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], conf[PATH_MAX], *ans;
	pid_t		 a[1];
	struct group	*gr = getgrnam("nogroup");

	if (geteuid() != 0)
		skip();
	/* nobody must reach the socket's directory. */
	assert_int_equal(chmod(t_tmpdir(), 0711), 0);
	d = start_pool(1, "", sock, a);
	assert_int_equal(chmod(sock, 0666), 0);
	ans = ask_as_nobody(sock, 65534);
	assert_non_null(ans);
	assert_string_equal(ans, "DENIED uid 65534 may not use the control "
	    "socket (root, uid 0 only: see control_group)\n");
	free(ans);
	assert_true(log_has(d, "control: permission denied: uid 65534"));
	if (gr == NULL)
		return;
	write_conf(conf, "ctl.ini", "[prefork]\nworkers = 1\ncontrol = %s\n"
	    "control_group = nogroup\n" TIMEOUTS, sock);
	ans = it_ask(sock, "reload");
	free(ans);
	ans = ask_as_nobody(sock, gr->gr_gid);
	assert_non_null(ans);
	assert_string_equal(ans, "OK\n1/1 workers ready (min_workers 1)\n");
	free(ans);
}

/*
 * A live socket at start-up: the second master exits 73 and the first
 * carries on. A stale one (nobody listening) is replaced; a file that is
 * not a socket is left alone (73).
 */
static void
test_live_and_stale(void **state)
{
	struct t_daemon	*d;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char		 sock[PATH_MAX], conf[PATH_MAX], *ans;
	struct t_run	 r;
	pid_t		 a[1];
	int		 fd;

	d = start_pool(1, "", sock, a);
	write_conf(conf, "second.ini", "[prefork]\nworkers = 1\ncontrol = "
	    "%s\n", sock);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, WAIT_MS * 2);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "another prefork answers there"));
	t_run_free(&r);
	ans = it_ask(sock, "status --check");
	assert_true(starts(ans, "OK\n"));
	free(ans);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);

	/* Stale: bound, then its server gone. */
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	d = start_pool_at(1, "", sock, sock, a);
	assert_true(log_has(d, "replacing a stale socket"));
	ans = it_ask(sock, "status --check");
	assert_true(starts(ans, "OK\n"));
	free(ans);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);

	/* Not a socket: not ours to remove. */
	t_write_file(strrchr(sock, '/') + 1, "keep me\n");
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, WAIT_MS * 2);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "exists and is not a socket"));
	t_run_free(&r);
	ans = util_read_file(sock, 4096);
	assert_string_equal(ans, "keep me\n");
	free(ans);
	assert_int_equal(unlink(sock), 0);
}

/* Under systemd: $RUNTIME_DIRECTORY/control.sock, with no key at all. */
static void
test_runtime_directory_default(void **state)
{
	char		 conf[PATH_MAX], dir[PATH_MAX], sock[PATH_MAX], env[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[1];
	char		*ans;

	subdir("run", dir);
	xsnprintf(env, sizeof(env), "RUNTIME_DIRECTORY=%s", dir);
	xsnprintf(sock, sizeof(sock), "%s/control.sock", dir);
	write_conf(conf, "plain.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start((const char *const[]){ env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	wait_log(d, "control: listening on");
	ans = it_ask(sock, "status --check");
	assert_true(starts(ans, "OK\n"));
	free(ans);
}

/*
 * Every command through the real preforkctl, against the real master:
 * the exit statuses (0, 1, 64, 69) and what each printed; the metrics it
 * prints pass promtool check metrics when promtool is installed.
 */
static void
test_preforkctl_commands(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], path[PATH_MAX];
	struct t_run	 r;
	pid_t		 a[2], b[3];

	d = start_pool(2, "", sock, a);
	wait_lived(a, 2, 200);
	it_ctl(&r, sock, (const char *const[]){ "status", NULL });
	assert_int_equal(r.status, 0);
	assert_true(t_contains(r.out, "pool: 2/2 workers ready"));
	assert_true(t_contains(r.out, "\nSLOT  PID "));
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "status", "--json", NULL });
	assert_int_equal(r.status, 0);
	assert_int_equal(t_json_int(r.out, "ready"), 2);
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "status", "--check", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "2/2 workers ready (min_workers 1)\n");
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "metrics", NULL });
	assert_int_equal(r.status, 0);
	assert_true(t_contains(r.out, "\nprefork_workers_desired 2\n"));
	xsnprintf(path, sizeof(path), "%s",
	    t_write_file("ctl-metrics.prom", r.out));
	t_run_free(&r);
	t_run(&r, NULL, (const char *const[]){ "sh", "-c", "! command -v "
	    "promtool >/dev/null || promtool check metrics < \"$0\"", path,
	    NULL }, 20000);
	if (r.status != 0)
		fail_msg("promtool check metrics: %s%s", r.out, r.err);
	t_run_free(&r);

	it_ctl(&r, sock, (const char *const[]){ "scale", "+1", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "scale: 2 -> 3 workers, until the next "
	    "reload\n");
	t_run_free(&r);
	pool(d, d->pid, 3, b);
	it_ctl(&r, sock, (const char *const[]){ "scale", "-5", NULL });
	assert_int_equal(r.status, 1);
	assert_true(t_contains(r.err, "the pool cannot be smaller than 1"));
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "scale", "lots", NULL });
	assert_int_equal(r.status, 64);
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "reload", NULL });
	assert_int_equal(r.status, 0);
	assert_true(t_contains(r.out, "sizing: "));
	t_run_free(&r);
	pool(d, d->pid, 2, b);
	it_ctl(&r, sock, (const char *const[]){ "restart", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "restart done: 2/2 workers ready\n");
	t_run_free(&r);
	it_ctl(&r, sock, (const char *const[]){ "stop", NULL });
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	wait_exit(d, WAIT_MS, 0);
	it_ctl(&r, sock, (const char *const[]){ "status", NULL });
	assert_int_equal(r.status, 69);
	assert_true(t_contains(r.err, "no master answers"));
	t_run_free(&r);
}

/*
 * preforkctl as another user (setpriv): through a world-writable socket
 * the master refuses it by SO_PEERCRED, one line and exit 77; through
 * the 0600 socket the kernel does, 77 as well.
 */
static void
test_preforkctl_refused(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], dir[PATH_MAX], conf[PATH_MAX];
	struct t_run	 r;
	pid_t		 a[1];
	const char	*const as_nobody[] = { "setpriv", "--reuid=nobody",
	    "--regid=nogroup", "--clear-groups", t_preforkctl(), "-s", sock,
	    "status", NULL };

	if (geteuid() != 0)
		skip();
	it_skip_unless((const char *const[]){ "setpriv", "--reuid=nobody",
	    "--regid=nogroup", "--clear-groups", "test", "-x", t_preforkctl(),
	    NULL }, "nobody cannot run the build's preforkctl through setpriv");
	it_nobody_dir("nobody", dir, false);
	xsnprintf(sock, sizeof(sock), "%s/control.sock", dir);
	write_conf(conf, "ctl.ini", "[prefork]\nworkers = 1\ncontrol = %s\n"
	    TIMEOUTS, sock);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	wait_log(d, "control: listening on");

	t_run(&r, NULL, as_nobody, WAIT_MS * 2);
	assert_int_equal(r.status, 77);
	assert_true(t_contains(r.err, "permission"));
	assert_string_equal(r.out, "");
	t_run_free(&r);

	assert_int_equal(chmod(sock, 0666), 0);
	t_run(&r, NULL, as_nobody, WAIT_MS * 2);
	assert_int_equal(r.status, 77);
	assert_string_equal(r.err, "preforkctl: permission denied: uid 65534 "
	    "may not use the control socket (root, uid 0 only: see "
	    "control_group)\n");
	assert_string_equal(r.out, "");
	t_run_free(&r);
	/* The master is unharmed. */
	it_ctl(&r, sock, (const char *const[]){ "status", "--check", NULL });
	assert_int_equal(r.status, 0);
	t_run_free(&r);
}

/* The socket adds a timer only while a client is connected. */
static void
test_idle_with_socket(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *ans;
	pid_t		 a[2];

	d = start_pool(2, "", sock, a);
	ans = it_ask(sock, "status");
	free(ans);
	assert_master_idle(d, a, 2, 300, "a control socket");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_status, teardown),
		cmocka_unit_test_teardown(test_check_unhealthy, teardown),
		cmocka_unit_test_teardown(test_metrics, teardown),
		cmocka_unit_test_teardown(test_scale, teardown),
		cmocka_unit_test_teardown(test_reload, teardown),
		cmocka_unit_test_teardown(test_restart_stop, teardown),
		cmocka_unit_test_teardown(test_bad_requests, teardown),
		cmocka_unit_test_teardown(test_limits, teardown),
		cmocka_unit_test_teardown(test_mode_and_group, teardown),
		cmocka_unit_test_teardown(test_peer_refused, teardown),
		cmocka_unit_test_teardown(test_live_and_stale, teardown),
		cmocka_unit_test_teardown(test_runtime_directory_default,
		    teardown),
		cmocka_unit_test_teardown(test_idle_with_socket, teardown),
		cmocka_unit_test_teardown(test_preforkctl_commands, teardown),
		cmocka_unit_test_teardown(test_preforkctl_refused, teardown),
	};

	it_init(WAIT_MS, "CTL_ITEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
