/* SPDX-License-Identifier: ISC */
/*
 * Helpers shared by the tests: where the daemon and the fixtures are,
 * running a command with a deadline and capturing what it printed, and
 * waiting on a condition with a deadline (never a bare sleep).
 */
#ifndef PREFORK_TESTLIB_H
#define PREFORK_TESTLIB_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* The prefork binary under test: $PREFORK_BIN. */
const char	*t_prefork(void);

/* The control client under test: $PREFORKCTL_BIN. */
const char	*t_preforkctl(void);

/* The path of a fixture tree or file: $PREFORK_FIXTURES/name (static). */
const char	*t_fixture(const char *name);

struct t_run {
	int	 status;	/* exit code, or 128 + signal */
	bool	 timed_out;	/* killed at the deadline */
	char	*out;		/* standard output, NUL-terminated */
	char	*err;		/* standard error, NUL-terminated */
};

/*
 * Runs argv (argv[0] looked up in PATH) with the current environment
 * changed by env ("NAME=value" sets, "NAME" unsets; NULL-terminated, or
 * NULL), standard input from stdin_text (or /dev/null when NULL), and
 * waits at most timeout_ms for it to exit, killing it at the deadline.
 * Fails the test on any system error.
 */
void	t_run(struct t_run *r, const char *const env[],
	    const char *const argv[], unsigned timeout_ms);
void	t_run_free(struct t_run *r);

/* Runs the daemon with args (NULL-terminated) after argv[0]. */
void	t_run_prefork(struct t_run *r, const char *const env[],
	    const char *const args[], unsigned timeout_ms);

/*
 * Calls cond(arg) until it returns true or timeout_ms have passed,
 * polling every few milliseconds. Returns cond's last answer.
 */
bool	t_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms);

/* Milliseconds on the monotonic clock. */
double	t_now_ms(void);

/*
 * For main() or a group set-up: makes this process a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so that what its descendants orphan comes to
 * it, not to init, and can be seen and reaped. Returns 0, or -1 with
 * errno set after saying why on stderr.
 */
int	t_subreaper(void);

/*
 * Seeds rand() for a test that draws at random: from $PREFORK_TEST_SEED
 * when it is set, else from the clock and the pid. Prints the seed, so
 * that a failure can be replayed with PREFORK_TEST_SEED=N. Returns it.
 */
unsigned	t_seed(void);

/*
 * Waits until fd has one of events (poll(2)'s), or deadline (t_now_ms()
 * time) has passed. Returns false at the deadline or on an error.
 */
bool	t_wait_fd(int fd, short events, double deadline);

/*
 * Creates a private temporary directory for this test program, removed
 * recursively at exit, and returns its path (static).
 */
const char	*t_tmpdir(void);

/*
 * Writes text to a new file name under t_tmpdir() and returns its path
 * (static buffer reused by the next call).
 */
const char	*t_write_file(const char *name, const char *text);

/*
 * The report the test worker writes with --report DIR (DIR/report.PID),
 * waited for at most timeout_ms, with "\n" in front so that "\nkey "
 * finds every line, the first one too. Fails the test without one. The
 * caller frees it.
 */
char	*t_report_wait(const char *dir, pid_t pid, unsigned timeout_ms);

/* True when the report holds this whole line; prints the report if not. */
bool	t_has_line(const char *report, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* True if needle occurs in haystack; prints both when it does not. */
bool	t_contains(const char *haystack, const char *needle);

/*
 * The number after "key": in a flat JSON text, or -1 when the key is
 * absent or not followed by a number. Enough for --explain=json.
 */
long long	t_json_int(const char *json, const char *key);

/* The string after "key": copied into buf, or NULL when absent. */
char	*t_json_str(const char *json, const char *key, char *buf, size_t len);

/*
 * A prefork started in the background, for integration tests. Its
 * standard output and error go to a log file under t_tmpdir().
 */
struct t_daemon {
	pid_t	pid;		/* the process we forked (prefork, or a
				   wrapper such as unshare or valgrind) */
	char	log[512];
	bool	exited;
	int	status;		/* exit code, or 128 + signal */
};

/* The test worker: $PREFORK_TESTWORKER. */
const char	*t_testworker(void);

/*
 * Starts "prefork ARGS..." with env applied as in t_run(). When wrapper
 * is not NULL (NULL-terminated argv, e.g. unshare or valgrind), runs
 * "WRAPPER... prefork ARGS..." instead.
 */
void	t_daemon_start(struct t_daemon *d, const char *const env[],
	    const char *const wrapper[], const char *const args[]);

/*
 * The log file the next t_daemon_start() will write to, created empty
 * now, so that a test can learn its device and inode first (static).
 */
const char	*t_daemon_next_log(void);

/* Waits at most timeout_ms for it to exit; true (and status) if it did. */
bool	t_daemon_wait(struct t_daemon *d, unsigned timeout_ms);

/* Sends sig to the daemon. */
void	t_daemon_signal(struct t_daemon *d, int sig);

/*
 * Ends the daemon whatever its state (SIGKILL, reap) and kills any
 * worker left behind; for teardowns.
 */
void	t_daemon_cleanup(struct t_daemon *d);

/* The log so far (caller frees). */
char	*t_daemon_log(const struct t_daemon *d);

/* Waits until the log contains needle; prints the log if it does not. */
bool	t_daemon_log_wait(const struct t_daemon *d, const char *needle,
	    unsigned timeout_ms);

/* How many times needle occurs in the log. */
unsigned	t_daemon_log_count(const struct t_daemon *d, const char *needle);

/*
 * The live (not zombie) children of parent, from /proc, a master's
 * guard left out; returns how many (at most max are stored).
 */
size_t	t_children(pid_t parent, pid_t *pids, size_t max);

/*
 * The guard a master forks (its name is prefork-guard): t_children()
 * leaves it out, not being a worker. t_guard_of() is master's, or -1.
 */
bool	t_is_guard(pid_t pid);
pid_t	t_guard_of(pid_t master);

/* The zombie children of parent. */
size_t	t_zombies(pid_t parent);

/* True while pid exists and is not a zombie. */
bool	t_alive(pid_t pid);

/* The parent of pid, or -1 when it is gone. */
pid_t	t_proc_ppid(pid_t pid);

/* The state letter of pid in /proc/PID/stat ('S', 'R', 'Z'...), or 0. */
char	t_proc_state(pid_t pid);

/* The CPU time pid has used (user + system), in ms, or -1. */
long long	t_proc_cpu_ms(pid_t pid);

/*
 * How long ago pid started, in ms, or -1. The kernel counts in clock
 * ticks (10 ms at USER_HZ 100): the age may be that much too high.
 */
long long	t_proc_age_ms(pid_t pid);

/* The number after "key:" in /proc/PID/status, or -1. */
long long	t_proc_status_num(pid_t pid, const char *key);

/* Waits until path exists; prints its name if it does not. */
bool	t_wait_file(const char *path, unsigned timeout_ms);

/* An environment variable of a running process (static), or NULL. */
const char	*t_proc_env(pid_t pid, const char *name);

/* PREFORK_WORKER_ID of a running process, or -1. */
int	t_worker_slot(pid_t pid);

/*
 * Waits until parent has exactly n live children, one per slot 0..n-1,
 * and stores them by slot in by_slot (room for n). Prints what it saw
 * last when the deadline passes.
 */
bool	t_wait_pool(pid_t parent, unsigned n, pid_t *by_slot,
	    unsigned timeout_ms);

/* The same test, once and silently: true if the pool is so right now. */
bool	t_pool_now(pid_t parent, unsigned n, pid_t *by_slot);

/*
 * A TCP port on 127.0.0.1 that nothing listens on right now (the kernel
 * picks it; a later bind by someone else can still take it).
 */
unsigned	t_free_port(void);

/*
 * The entries of the directory path that do not start with '.', such
 * as the open fds in /proc/self/fd or the threads in /proc/self/task;
 * fails the test when it cannot be read.
 */
size_t	t_dir_entries(const char *path);

/*
 * Where needle first occurs in the daemon's log at or after offset from,
 * as an offset, or -1: for checking the order of events.
 */
long	t_daemon_log_pos(const struct t_daemon *d, const char *needle,
	    long from);

#endif /* PREFORK_TESTLIB_H */
