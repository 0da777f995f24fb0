/* SPDX-License-Identifier: ISC */
/*
 * Small helpers shared by every module: a growable, NULL-terminated
 * vector of strings, used for argv, envp and error lists.
 */
#ifndef PREFORK_UTIL_H
#define PREFORK_UTIL_H

#include <signal.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct strv {
	char	**v;	/* NULL-terminated once anything was pushed */
	size_t	  n;
	size_t	  cap;
};

#define STRV_INIT	{ NULL, 0, 0 }

/*
 * Appends a copy of s. Returns 0, or -1 with errno set (ENOMEM); the
 * vector is unchanged on error.
 */
int	strv_push(struct strv *sv, const char *s);

/* Appends a formatted string. Returns 0, or -1 with errno set. */
int	strv_pushf(struct strv *sv, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	strv_vpushf(struct strv *sv, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/* Frees every string and the vector; leaves it empty and reusable. */
void	strv_free(struct strv *sv);

/* True when both hold the same strings in the same order. */
bool	strv_equal(const struct strv *a, const struct strv *b);

/*
 * Formats bytes for people: "16.0 GiB", "512.0 MiB", "900 B". Returns
 * buf. This function can't fail.
 */
char	*util_format_bytes(uint64_t bytes, char *buf, size_t len);

/* True when both are NULL or both are equal strings. */
bool	util_streq(const char *a, const char *b);

/*
 * Reads a whole small file (at most max bytes) into a NUL-terminated
 * buffer the caller frees. Returns NULL with errno set on error; EFBIG
 * when the file is larger than max.
 */
char	*util_read_file(const char *path, size_t max);

/*
 * Reads path into buf (len bytes, at least 1), NUL-terminated, cut at
 * len - 1 bytes: for /proc files read often, without allocating.
 * Returns the length read, or -1 with errno set.
 */
ssize_t	util_read_buf(const char *path, char *buf, size_t len);

/*
 * Opens /dev/null on whichever of 0, 1 and 2 is closed, so that the
 * first file or socket opened later does not take that number (and get
 * the output meant for stdout or stderr). This function can't fail: if
 * /dev/null cannot be opened, the fds stay as they were.
 */
void	 util_std_fds(void);

/*
 * The earlier of two deadlines, where 0 means none. This function can't
 * fail.
 */
double	util_earliest(double a, double b);

/*
 * Copies text that someone else wrote (a worker's STATUS=) into buf as
 * one line of plain text: control characters, DEL, C1 controls, a
 * backslash and bytes that are not UTF-8 become C escapes ("\\r",
 * "\\x1b"), so that nothing reaches a terminal or the journal that can
 * move the cursor, ring, or forge a line. Text that does not fit in len
 * bytes is cut at a whole character and ends in "...". Returns buf. This
 * function can't fail (len is at least 4).
 */
char	*util_escape(const char *s, char *buf, size_t len);

/*
 * A limit on how often something is done: at most burst times in any
 * window of interval seconds, counting what was held back.
 */
struct ratelimit {
	double		start;		/* of the current window */
	unsigned	n;		/* let through in it */
	unsigned	held;		/* held back since the last one */
};

/*
 * True when one more may pass at time now; counts it either way. When it
 * passes, *held is how many were held back before it (and the count
 * starts again). This function can't fail.
 */
bool	ratelimit_pass(struct ratelimit *rl, double now, double interval,
	    unsigned burst, unsigned *held);

/*
 * Undoes what a parent may have left us across execve(): every signal
 * it ignored is put back to SIG_DFL (a handler cannot survive exec, so
 * any handler found was installed in this process, by a sanitizer
 * runtime for instance, and is kept), and the signal mask is set to
 * mask, or emptied when mask is NULL. Returns 0, or -1 with errno set
 * when the mask could not be set; a disposition that cannot be changed
 * (SIGKILL, SIGSTOP, the C library's own) is skipped.
 */
int	 util_signals_reset(const sigset_t *mask);

/*
 * The name among names[0..n) closest to name, within 2 edits
 * (Levenshtein, names of at most 32 characters), for "did you mean";
 * NULL when none is that close.
 */
const char	*util_suggest(const char *name, const char *const *names,
		    size_t n);

/*
 * A growing text buffer, always NUL-terminated once written to; failed
 * is sticky, so that a writer checks once, at the end. Start from
 * BUF_INIT; the text is b.p (free(3) it), its length b.len.
 */
struct buf {
	char	*p;
	size_t	 len, cap;
	bool	 failed;
};

#define BUF_INIT	{ NULL, 0, 0, false }

/* Makes room for n more bytes and the NUL. Returns false on failure. */
bool	buf_room(struct buf *b, size_t n);

/* Appends, as printf(3) formats. */
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Appends s as a JSON string: quoted, with quotes, backslashes and
 * control characters escaped.
 */
void	buf_json_string(struct buf *b, const char *s);

#endif /* PREFORK_UTIL_H */
