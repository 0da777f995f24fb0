/* SPDX-License-Identifier: ISC */
/*
 * The vocabulary of the integration tests: start prefork in the
 * background with a clean environment (start(), or a whole pool with
 * it_start_pool()), speak to its control socket (it_ctl()), remember the
 * workers seen so that the teardown ends whatever a failed test left,
 * wait on the log, the pool and exits with a deadline, put a load on the
 * test worker's sockets, and fail on a sanitizer report. Built on
 * testlib.
 */
#ifndef PREFORK_ITEST_H
#define PREFORK_ITEST_H

#include <sys/types.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testlib.h"

/*
 * The deadline of every wait below that takes none: for a condition that
 * should hold within milliseconds. Each test program sets its own in
 * main() (5000 unless it loads the machine on purpose).
 */
extern unsigned	it_wait_ms;

/*
 * For main(): the deadline of the waits, and the one test (a cmocka
 * glob) that the variable filter_env names, if set; with no_cores, a core
 * size limit of 0, inherited by every daemon and worker, so that the
 * workers a test aborts leave no core file behind.
 */
void	it_init(unsigned wait_ms, const char *filter_env, bool no_cores);

/* systemd's variables and PREFORK_SYSROOT, unset for every daemon. */
extern const char *const	it_clean_env[];

/* snprintf(), failing the test rather than cutting the text short. */
void	xsnprintf(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Starts prefork args (NULL-terminated) under wrapper (NULL for none),
 * with systemd's variables and PREFORK_SYSROOT removed from the
 * environment and then env (NULL-terminated, or NULL) applied. At most
 * four daemons a test; the teardown ends them.
 */
struct t_daemon	*start(const char *const env[], const char *const wrapper[],
		    const char *const args[]);

/*
 * The one pool starter: writes t_tmpdir()/conf_name ("pool.ini" when
 * NULL) with workers, the program's timeouts and the test's extra lines
 * (each NULL or "KEY = VALUE\n" lines), a control socket at
 * control_path, or with control at a path of its own, a listener on a
 * free port of 127.0.0.1 (tcp) or on unix_listen; starts prefork (a copy
 * of the built binary in a directory of its own, with copy: an upgrade
 * replaces it) with env applied as by start(), argv (the test worker
 * when NULL) after "--"; waits for the pool (of expect workers when the
 * configuration makes it other than workers), the control socket and,
 * with wait_ready, each worker's ready line. The teardown ends it.
 */
#define IT_POOL_MAX	64

struct it_pool_opts {
	unsigned		 workers;	/* 1 to IT_POOL_MAX */
	unsigned		 expect;	/* the pool, if not workers */
	const char		*timeouts;
	const char		*extra;
	const char *const	*argv;
	const char *const	*env;
	const char		*conf_name;
	bool			 control;
	const char		*control_path;
	bool			 tcp;
	const char		*unix_listen;
	bool			 copy;
	bool			 wait_ready;
};

struct it_pool {
	struct t_daemon	*d;
	pid_t		 pids[IT_POOL_MAX];	/* by slot */
	char		 conf[PATH_MAX];
	char		 sock[PATH_MAX];	/* "" without control */
	char		 bin[PATH_MAX];		/* the copy, with copy */
	unsigned	 port;			/* with tcp */
};

struct it_pool	*it_start_pool(const struct it_pool_opts *o);

/*
 * The one control client. it_ctl() runs preforkctl -s sock words...
 * (NULL-terminated) into r (t_run_free() it), and fails the test when it
 * has not exited within IT_CTL_MS (it_ctl_within(): timeout_ms), longer
 * than preforkctl's own deadlines but for done commands. it_ctl_raw()
 * speaks the socket itself: len bytes of req, then the answer up to the
 * close, at most timeout_ms; returns it (the caller frees), or NULL when
 * it did not come; a connection refused fails the test. it_ask() sends
 * one request line and fails the test without an answer in it_wait_ms.
 */
#define IT_CTL_MS	60000

void	it_ctl(struct t_run *r, const char *sock, const char *const words[]);
void	it_ctl_within(struct t_run *r, const char *sock, unsigned timeout_ms,
	    const char *const words[]);
char	*it_ctl_raw(const char *sock, const char *req, size_t len,
	    unsigned timeout_ms);
char	*it_ask(const char *sock, const char *line);

/* A connection to the unix socket at path, or -1 with errno set. */
int	connect_unix(const char *path);

/*
 * The first live child of parent, waited for (it_wait_ms). And a wait
 * until pid's parent is to, showing d's log when it does not come.
 */
pid_t	first_child(pid_t parent);
void	wait_reparented(const struct t_daemon *d, pid_t pid, pid_t to);

/* Copies the test worker's program to path, executable (0755). */
void	copy_testworker(const char *path);

/* Copies at most max bytes of the file from to the file to, 0755. */
void	copy_file(const char *from, const char *to, size_t max);

/* Remembers workers, so that the teardown kills any left behind. */
void	remember(const pid_t *pids, size_t n);

/*
 * A socket the teardown closes (at most 16 at once), returned as is;
 * unhold() closes it now and forgets it.
 */
int	hold(int fd);
void	unhold(int fd);

/*
 * Ends the daemons a test started and the workers it saw, closes the
 * sockets it holds, and checks the
 * daemons' logs for sanitizer reports: 0, or -1 when there was one (a
 * cmocka teardown's return value).
 */
int	it_teardown(void);

/*
 * Prints a daemon's log (its last 64 KiB) to stderr, for a failure to
 * show what happened: cmocka's messages are cut at 1 KiB.
 */
void	dump_log(const struct t_daemon *d);

/* True if text holds an AddressSanitizer, LeakSanitizer or UBSan report. */
bool	sanitizer_report(const char *text);

/* Fails the test when the daemon's log holds a sanitizer report. */
void	assert_no_sanitizer_report(const struct t_daemon *d);

/*
 * Runs prefork args (NULL-terminated) in the foreground with
 * it_clean_env, as t_run_prefork() does, and fails the test, showing
 * its standard error, when it is still running after timeout_ms or
 * reported a sanitizer error.
 */
void	it_run_prefork(struct t_run *r, const char *const args[],
	    unsigned timeout_ms);

/* Makes the directory t_tmpdir()/name; its path in buf (PATH_MAX). */
const char	*subdir(const char *name, char *buf);

/*
 * For a test that needs what argv (NULL-terminated) tries: runs it, and
 * unless it exits 0 within it_wait_ms, skips the test, saying "skipped:
 * why", its exit status and its standard error.
 */
void	it_skip_unless(const char *const argv[], const char *why);

/*
 * For a test that runs prefork as nobody through setpriv(1): skips the
 * test, saying why, unless nobody can run the build's prefork (and, with
 * worker, its test worker); then makes the directory t_tmpdir()/name,
 * its path in buf (PATH_MAX), and opens the way to it (t_tmpdir() 0711,
 * the directory 0755), since the test's own directories are private.
 */
const char	*it_nobody_dir(const char *name, char *buf, bool worker);

/*
 * Writes t_tmpdir()/name from a format, atomically (a new file renamed
 * over the old one), so that a master reading it at a SIGHUP never sees
 * half of it; its path in buf (PATH_MAX).
 */
const char	*write_conf(char *buf, const char *name, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Waits, it_wait_ms or timeout_ms, for exactly n workers of master in
 * slots 0..n-1, their pids in by_slot, and remembers them; dumps the log
 * and fails otherwise.
 */
void	pool(const struct t_daemon *d, pid_t master, unsigned n,
	    pid_t *by_slot);
void	pool_within(const struct t_daemon *d, pid_t master, unsigned n,
	    pid_t *by_slot, unsigned timeout_ms);

/*
 * Waits until pid no longer runs (no such process, or a zombie not yet
 * reaped); gone() is that condition, for t_wait_until() on a pid_t *.
 */
void	wait_gone(pid_t pid, unsigned timeout_ms);
bool	gone(void *pid);

/* Waits until the log says needle; wait_logf() builds it from a format. */
void	wait_log(const struct t_daemon *d, const char *needle);
void	wait_logf(const struct t_daemon *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Waits until the log says needle at least n times. */
void	wait_log_count(const struct t_daemon *d, const char *needle,
	    unsigned n);

/* True if the log says what the format makes, now. */
bool	log_has(const struct t_daemon *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Where the log first says it, failing the test when it does not. */
long	log_pos(const struct t_daemon *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * When the daemon logged the first line that holds what the format
 * makes: its timestamp, in ms of the wall clock; the test fails when
 * the log has no such line. For intervals the master measured itself,
 * which a test polling the log would see shortened by its own delays.
 */
double	log_time(const struct t_daemon *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Waits at most timeout_ms for the daemon's exit, and fails unless it
 * exited with status and without a sanitizer report.
 */
void	wait_exit(struct t_daemon *d, unsigned timeout_ms, int status);

/*
 * Waits until each of the n workers has lived ms (its min_uptime), so
 * that it booted: a worker killed younger failed to start, which backs
 * its slot off, and a first generation killed that young makes prefork
 * give up (exit 69).
 */
void	wait_lived(const pid_t *pids, unsigned n, unsigned ms);

/*
 * A TCP connection to 127.0.0.1:port, or -1 when it is refused (the
 * socket itself failing fails the test).
 */
int	connect_port(unsigned port);

/*
 * Reads fd until the peer closes it, at most timeout_ms. Returns what
 * came, NUL-terminated (the caller frees), or NULL at the deadline.
 */
char	*read_all(int fd, unsigned timeout_ms);

/*
 * That the master of d, whose n workers in pids have just started, makes
 * no wake-up: once asleep and past the workers' min_uptime (ms), its
 * voluntary context switches do not move in 1.5 s. what names the
 * master's set-up in the message.
 */
void	assert_master_idle(const struct t_daemon *d, const pid_t *pids,
	    unsigned n, unsigned min_uptime_ms, const char *what);

/*
 * examples/http_worker.py in the source tree ($PREFORK_SRCDIR), the
 * demo's HTTP worker; fails the test when it is not there.
 */
const char	*it_http_worker(void);

/*
 * A load on the test worker's protocol (--serve): clients threads, each
 * looping over a new connection to 127.0.0.1:port, "x\n" sent, the
 * answer read to its end and closed; an answer that starts with
 * "worker " counts as ok, anything else (refused, reset, short, over
 * IT_LOAD_TIMEOUT_MS for the whole request) as failed, and the next
 * try waits 10 ms. rate paces each client to that many requests a
 * second (0: the next one as soon as an answer comes). It runs until
 * it_load_stop(), or max_seconds (at least 1) after the start, a hard
 * bound; the teardown stops a load a failed test left. Latencies are
 * kept in a reservoir of fixed size per client. Fails the test when
 * the threads cannot be made.
 */
#define IT_LOAD_TIMEOUT_MS	10000
#define IT_LOAD_MAX_CLIENTS	64

struct it_load;

struct it_load_result {
	uint64_t	ok, failed;
	double		seconds;	/* from the start to the last answer */
	double		p50_ms, p99_ms, max_ms;	/* 0 when nothing was ok */
};

struct it_load	*it_load_start(unsigned port, unsigned clients, double rate,
		    unsigned max_seconds);

/*
 * Stops the clients, waits for their requests in hand (at most
 * IT_LOAD_TIMEOUT_MS), and frees l; the counts and the latencies of
 * the ok requests in *r, unless r is NULL. This function can't fail.
 */
void	it_load_stop(struct it_load *l, struct it_load_result *r);

/*
 * An observation window: how long a test watches for something that
 * must NOT happen, or counts what happens. It is the measurement itself,
 * not a wait for a condition, so it is a plain sleep, and each use says
 * why it is long enough.
 */
void	observe(unsigned ms);

#endif /* PREFORK_ITEST_H */
