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
 * Creates a private temporary directory for this test program, removed
 * recursively at exit, and returns its path (static).
 */
const char	*t_tmpdir(void);

/*
 * Writes text to a new file name under t_tmpdir() and returns its path
 * (static buffer reused by the next call).
 */
const char	*t_write_file(const char *name, const char *text);

/* True if needle occurs in haystack; prints both when it does not. */
bool	t_contains(const char *haystack, const char *needle);

/*
 * The number after "key": in a flat JSON text, or -1 when the key is
 * absent or not followed by a number. Enough for --explain=json.
 */
long long	t_json_int(const char *json, const char *key);

/* The string after "key": copied into buf, or NULL when absent. */
char	*t_json_str(const char *json, const char *key, char *buf, size_t len);

#endif /* PREFORK_TESTLIB_H */
