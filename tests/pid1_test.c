/* SPDX-License-Identifier: ISC */
/*
 * pid1_test: prefork as a container's entrypoint, the way
 * examples/kubernetes/ runs it: process 1 of a PID namespace of its own
 * (unshare --pid --fork --mount-proc), with metrics_listen's /healthz as
 * the readiness probe. prefork is PID 1 there; /healthz answers 200 once
 * min_workers are ready, 503 while a killed worker's replacement is not
 * ready yet, and 200 again once it is; a worker that forks a grandchild
 * and exits leaves no zombie in the namespace; SIGTERM to PID 1 stops
 * the workers and the orphans it adopted itself, and it exits 0; HUP and
 * TERM sent from inside the namespace, as kubectl exec would, work too.
 *
 * The namespace is observed from outside, through the host's /proc: a
 * process belongs to it when /proc/PID/ns/pid is the same namespace as
 * prefork's, and the last number of its NSpid line is its PID inside,
 * the one prefork logs. Skipped (exit 77), saying why, when not run as
 * root or when unshare cannot make a PID namespace.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
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

#include "itest.h"
#include "messages.h"
#include "testlib.h"

/* The deadline of a condition that should hold within milliseconds. */
#define WAIT_MS		20000
#define GRACEFUL_MS	2000
#define TIMEOUTS	"graceful_timeout = 2s\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 200ms\n"

/* The container runtime's part: a PID namespace, and /proc for it. */
static const char *const unshare_argv[] = { "unshare", "--pid", "--fork",
	"--kill-child", "--mount-proc", NULL };
static const char *const unshare_argv_true[] = { "unshare", "--pid",
	"--fork", "--mount-proc", "true", NULL };

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/*
 * Why no test here can run on this machine, or NULL when they can: a PID
 * namespace needs root, and an unshare(1) that makes one.
 */
static const char *
pidns_unusable(void)
{
	static char	why[512];
	struct t_run	r;

	if (geteuid() != 0)
		return "making a PID namespace needs root";
	t_run(&r, NULL, unshare_argv_true, WAIT_MS);
	if (r.status != 0)
		snprintf(why, sizeof(why), "unshare --pid --fork --mount-proc "
		    "true: exit %d: %.*s", r.status, (int)strcspn(r.err, "\n"),
		    r.err);
	t_run_free(&r);
	return r.status != 0 ? why : NULL;
}

/*
 * The PID pid has in the innermost PID namespace it belongs to: the last
 * number of the NSpid line of its status, or -1.
 */
static long
ns_pid(pid_t pid)
{
	char	 path[64], line[256], *p;
	FILE	*f;
	long	 last = -1;

	xsnprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (p = line + 6; *p != '\0';) {
			char	*end;
			long	 n = strtol(p, &end, 10);

			if (end == p)
				break;
			last = n;
			p = end;
		}
	}
	fclose(f);
	return last;
}

/* The inode of pid's PID namespace (nsfs), or 0 when it is gone. */
static ino_t
pidns_of(pid_t pid)
{
	char		path[64];
	struct stat	st;

	xsnprintf(path, sizeof(path), "/proc/%ld/ns/pid", (long)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * The processes of the PID namespace ns, read from the host's /proc;
 * how many of them are zombies in *zombies. One that exits during the
 * scan may be counted or not.
 */
static size_t
ns_procs(ino_t ns, size_t *zombies)
{
	DIR		*dir;
	struct dirent	*de;
	size_t		 n = 0;

	*zombies = 0;
	assert_non_null(dir = opendir("/proc"));
	while ((de = readdir(dir)) != NULL) {
		pid_t	pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pidns_of(pid) != ns)
			continue;
		n++;
		if (t_proc_state(pid) == 'Z')
			(*zombies)++;
	}
	closedir(dir);
	return n;
}

/*
 * For t_wait_until(): no zombie in the namespace *(ino_t *)arg, whose
 * scan finds prefork and its guard at least (a scan that finds nothing
 * proves nothing).
 */
static bool
ns_no_zombie(void *arg)
{
	size_t	zombies;

	return ns_procs(*(ino_t *)arg, &zombies) >= 2 && zombies == 0;
}

/*
 * prefork under unshare: the child unshare forked, checked to be PID 1
 * of a namespace other than ours; its namespace in *ns.
 */
static pid_t
pid1_of(const struct t_daemon *d, ino_t *ns)
{
	pid_t	master = first_child(d->pid);

	if (ns_pid(master) != 1) {
		dump_log(d);
		fail_msg("prefork (host pid %ld) is pid %ld in its namespace, "
		    "not 1", (long)master, ns_pid(master));
	}
	*ns = pidns_of(master);
	assert_true(*ns != 0);
	assert_true(*ns != pidns_of(getpid()));
	return master;
}

/* The longest answer read: /metrics of a small pool is a few KiB. */
#define ANSWER_MAX	(1 << 16)

/*
 * GET path from 127.0.0.1:port: the whole answer (the caller frees), or
 * NULL when the connection is refused or the answer does not come whole
 * within WAIT_MS. Fails the test on an answer longer than ANSWER_MAX.
 */
static char *
http_get(unsigned port, const char *path)
{
	double	 deadline = t_now_ms() + WAIT_MS;
	char	 req[256], *buf;
	size_t	 len = 0;
	ssize_t	 n = -1;
	int	 fd;

	if ((fd = connect_port(port)) == -1)
		return NULL;
	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return NULL;
	}
	assert_non_null(buf = malloc(ANSWER_MAX + 1));
	while (len < ANSWER_MAX && t_wait_fd(fd, POLLIN, deadline) &&
	    (n = read(fd, buf + len, ANSWER_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == ANSWER_MAX)
		fail_msg("GET %s: an answer longer than %d bytes", path,
		    ANSWER_MAX);
	if (n != 0) {
		/* The deadline passed, or the read failed, before the end. */
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The status code of GET path, or 0 without an answer. */
static int
http_status(unsigned port, const char *path)
{
	static const char	 proto[] = "HTTP/1.1 ";
	char			*ans = http_get(port, path), *end;
	long			 code = 0;

	if (ans != NULL && strncmp(ans, proto, sizeof(proto) - 1) == 0) {
		code = strtol(ans + sizeof(proto) - 1, &end, 10);
		if (*end != ' ')
			code = 0;
	}
	free(ans);
	return (int)code;
}

struct healthz {
	unsigned	port;
	int		code;
};

static bool
healthz_is(void *arg)
{
	struct healthz	*h = arg;

	return http_status(h->port, "/healthz") == h->code;
}

/* Waits until /healthz answers code; dumps the log and fails if not. */
static void
wait_healthz(const struct t_daemon *d, unsigned port, int code)
{
	struct healthz	h = { port, code };

	if (!t_wait_until(healthz_is, &h, WAIT_MS)) {
		dump_log(d);
		fail_msg("/healthz did not answer %d within %u ms (last: %d)",
		    code, WAIT_MS, http_status(port, "/healthz"));
	}
}

/* Fails unless GET /metrics holds the line. */
static void
assert_metric(unsigned port, const char *line)
{
	char	*ans = http_get(port, "/metrics");
	char	 want[256];

	assert_non_null(ans);
	xsnprintf(want, sizeof(want), "\n%s\n", line);
	assert_true(t_contains(ans, want));
	free(ans);
}

/*
 * Fails unless each of the n processes is gone, reaped and all. Once PID
 * 1 is gone the kernel makes sure of it anyway: what shows that prefork
 * did it, before it exited, is its log.
 */
static void
assert_gone(const pid_t *pids, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (t_proc_state(pids[i]) != 0)
			fail_msg("pid %ld is left (state %c)", (long)pids[i],
			    t_proc_state(pids[i]));
}

static void
touch(const char *path)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd != -1);
	assert_int_equal(close(fd), 0);
}

/*
 * The liveness probe, as the kubelet runs it: preforkctl status --check,
 * the socket named by PREFORK_CONTROL. Returns its exit status.
 */
static int
liveness(const char *sock)
{
	char		env[PATH_MAX + 32];
	struct t_run	r;
	int		status;

	xsnprintf(env, sizeof(env), "PREFORK_CONTROL=%s", sock);
	t_run(&r, (const char *const[]){ env, NULL }, (const char *const[]){
	    t_preforkctl(), "status", "--check", NULL }, WAIT_MS);
	status = r.status;
	if (status != 0 && status != 1)
		fail_msg("preforkctl status --check: exit %d: %s", status,
		    r.err);
	t_run_free(&r);
	return status;
}

/*
 * PID 1 with the readiness probe: /healthz is 200 with min_workers
 * ready; a worker killed is replaced in its slot, and /healthz says 503
 * for as long as the replacement is not ready (it sends READY=1 only once
 * the test creates the ready file), then 200; the liveness probe,
 * preforkctl status --check, says the same. SIGTERM: the workers stop
 * cleanly and PID 1 exits 0.
 */
static void
test_pid1_healthz(void **state)
{
	char		 conf[PATH_MAX], ready[PATH_MAX], sock[PATH_MAX];
	struct t_daemon	*d;
	unsigned	 port = t_free_port(), i;
	pid_t		 master, a[2], b[2], guard;
	long		 nb[2];
	ino_t		 ns;

	xsnprintf(ready, sizeof(ready), "%s/ready", t_tmpdir());
	touch(ready);
	xsnprintf(sock, sizeof(sock), "%s/control.sock", t_tmpdir());
	write_conf(conf, "healthz.ini", "[prefork]\nworkers = 2\n"
	    "min_workers = 2\nready = notify\nready_timeout = 60s\n"
	    "metrics_listen = 127.0.0.1:%u\ncontrol = %s\n" TIMEOUTS, port,
	    sock);
	d = start(NULL, unshare_argv, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), "--ready-file", ready, NULL });
	master = pid1_of(d, &ns);
	pool(d, master, 2, a);
	wait_healthz(d, port, 200);
	assert_metric(port, "prefork_workers{state=\"ready\"} 2");
	/*
	 * The Deployment's liveness probe, "preforkctl status --check" with
	 * PREFORK_CONTROL naming the socket: 0 with the pool ready, and 1
	 * while it is held below min_workers further down.
	 */
	assert_int_equal(liveness(sock), 0);

	/* From now on a new worker is not ready until the file is back. */
	assert_int_equal(unlink(ready), 0);
	wait_lived(a, 2, 200);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_healthz(d, port, 503);
	pool(d, master, 2, b);
	assert_int_not_equal(b[0], a[0]);
	assert_int_equal(b[1], a[1]);
	assert_int_equal(http_status(port, "/healthz"), 503);
	assert_int_equal(liveness(sock), 1);
	assert_metric(port, "prefork_workers{state=\"starting\"} 1");
	assert_metric(port, "prefork_workers{state=\"ready\"} 1");
	assert_metric(port, "prefork_worker_exits_total{reason=\"signal\"} 1");
	touch(ready);
	wait_healthz(d, port, 200);
	assert_metric(port, "prefork_workers{state=\"ready\"} 2");
	assert_int_equal(liveness(sock), 0);

	/* The kubelet's SIGTERM, to the namespace's PID 1. */
	for (i = 0; i < 2; i++)
		assert_true((nb[i] = ns_pid(b[i])) > 1);
	assert_true((guard = t_guard_of(master)) > 0);
	assert_int_equal(kill(master, SIGTERM), 0);
	wait_exit(d, GRACEFUL_MS + WAIT_MS, EX_OK);
	for (i = 0; i < 2; i++)
		assert_true(log_has(d, "worker %u (pid %ld) exited with code 0",
		    i, nb[i]));
	assert_true(log_has(d, "prefork[1]: info: " MSG_EXITING " 0"));
	assert_gone((const pid_t[]){ master, guard, b[0], b[1] }, 4);
}

/*
 * PID 1 reaps what its workers leave. The one worker slot runs, the
 * first time, a worker that forks a grandchild (out of its session, as a
 * daemon would) and exits 0 at SIGTERM; its replacement forks one that
 * would run for ten minutes, and stays. The first grandchild goes to
 * prefork when its worker exits, and once it exits (when the test has
 * seen it there) is reaped: nothing of it is left,
 * and no zombie in the namespace. At SIGTERM prefork stops the second
 * one itself (the log says so, and that it reaped it) before it exits 0:
 * the kernel's end of the namespace, which would kill it anyway, is not
 * what stopped it.
 */
static void
test_pid1_reaps_orphans(void **state)
{
	char		 conf[PATH_MAX], once[PATH_MAX], script[4 * PATH_MAX];
	char		 go[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 master, w1[1], w2[1], g1, g2, guard;
	long		 ng1, ng2, nw2;
	ino_t		 ns;

	xsnprintf(once, sizeof(once), "%s/once", t_tmpdir());
	xsnprintf(go, sizeof(go), "%s/orphan.go", t_tmpdir());
	/*
	 * Only built-ins before the exec: a worker's only child is to be
	 * the grandchild it forks.
	 */
	xsnprintf(script, sizeof(script), "if [ ! -e '%s' ]; then : > '%s'; "
	    "exec '%s' --orphan 600000 --orphan-until '%s'; fi; "
	    "exec '%s' --orphan 600000", once, once, t_testworker(), go,
	    t_testworker());
	write_conf(conf, "orphans.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start(NULL, unshare_argv, (const char *const[]){ "-l", "debug",
	    "-c", conf, "--", "sh", "-c", script, NULL });
	master = pid1_of(d, &ns);
	pool(d, master, 1, w1);
	g1 = first_child(w1[0]);
	remember(&g1, 1);
	assert_true((ng1 = ns_pid(g1)) > 1);

	/* Its worker, booted, exits 0: the grandchild is prefork's now. */
	wait_lived(w1, 1, 200);
	assert_int_equal(kill(w1[0], SIGTERM), 0);
	wait_gone(w1[0], WAIT_MS);
	wait_reparented(d, g1, master);
	/* It exits when told, and prefork reaps it. */
	t_write_file("orphan.go", "");
	wait_logf(d, "reaped pid %ld, not a worker: exited with code 0", ng1);
	assert_int_equal(t_proc_state(g1), 0);
	if (!t_wait_until(ns_no_zombie, &ns, WAIT_MS)) {
		size_t	n, zombies;

		n = ns_procs(ns, &zombies);
		dump_log(d);
		fail_msg("%zu zombies among the %zu processes of the namespace",
		    zombies, n);
	}

	/* The replacement, and the grandchild it leaves running. */
	pool(d, master, 1, w2);
	assert_int_not_equal(w2[0], w1[0]);
	g2 = first_child(w2[0]);
	remember(&g2, 1);
	assert_true((ng2 = ns_pid(g2)) > 1);
	assert_true((nw2 = ns_pid(w2[0])) > 1);
	assert_true((guard = t_guard_of(master)) > 0);

	assert_int_equal(kill(master, SIGTERM), 0);
	wait_exit(d, GRACEFUL_MS + WAIT_MS, EX_OK);
	assert_true(log_has(d, "worker 0 (pid %ld) exited with code 0", nw2));
	assert_true(log_has(d, "stopping 1 orphaned process (a worker's, "
	    "adopted): SIGTERM"));
	assert_true(log_has(d, "reaped pid %ld, not a worker: exited on "
	    "signal 15", ng2));
	assert_true(log_has(d, "prefork[1]: info: " MSG_EXITING " 0"));
	assert_gone((const pid_t[]){ master, guard, w2[0], g2 }, 4);
}

/* Runs "sh -c script" inside master's PID and mount namespaces. */
static void
run_inside(pid_t master, const char *script)
{
	struct t_run	r;
	char		target[32];

	xsnprintf(target, sizeof(target), "%ld", (long)master);
	t_run(&r, NULL, (const char *const[]){ "nsenter", "--target", target,
	    "--pid", "--mount", "--", "sh", "-c", script, NULL }, WAIT_MS);
	if (r.status != 0)
		fail_msg("nsenter ... sh -c '%s': exit %d: %s", script, r.status,
		    r.err);
	t_run_free(&r);
}

/*
 * Signals from inside the namespace, as "kubectl exec POD -- sh -c
 * 'kill -HUP 1'" sends them: the kernel drops a signal sent to a
 * namespace's PID 1 from within unless PID 1 handles it, so this is not
 * the same as signalling it from outside. HUP re-reads and re-sizes, TERM
 * shuts down and exits 0.
 */
static void
test_pid1_signals_from_inside(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 master, a[2];
	ino_t		 ns;

	write_conf(conf, "inside.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, unshare_argv, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), NULL });
	master = pid1_of(d, &ns);
	pool(d, master, 2, a);
	wait_log(d, MSG_POOL_READY);
	run_inside(master, "kill -HUP 1");
	wait_log(d, "prefork[1]: info: " MSG_RECEIVED " SIGHUP");
	wait_log_count(d, "sizing: ", 2);
	run_inside(master, "kill -TERM 1");
	wait_exit(d, GRACEFUL_MS + WAIT_MS, EX_OK);
	assert_true(log_has(d, MSG_RECEIVED " SIGTERM"));
	assert_gone((const pid_t[]){ master, a[0], a[1] }, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pid1_healthz, teardown),
		cmocka_unit_test_teardown(test_pid1_reaps_orphans, teardown),
		cmocka_unit_test_teardown(test_pid1_signals_from_inside,
		    teardown),
	};
	const char	*why;

	/* PID1_TEST=test_pid1_healthz runs one test (a glob). */
	it_init(WAIT_MS, "PID1_TEST", false);
	/* Every test needs the namespace: 77 is a SKIP for automake. */
	if ((why = pidns_unusable()) != NULL) {
		printf("skipped: %s\n", why);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
