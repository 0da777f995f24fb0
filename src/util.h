/*
 * Small helpers shared by every module: a growable, NULL-terminated
 * vector of strings, used for argv, envp and error lists.
 */
#ifndef PREFORK_UTIL_H
#define PREFORK_UTIL_H

#include <signal.h>
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

/* Replaces dst with a deep copy of src. Returns 0, or -1 (ENOMEM). */
int	strv_copy(struct strv *dst, const struct strv *src);

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
 * Opens /dev/null on whichever of 0, 1 and 2 is closed, so that the
 * first file or socket opened later does not take that number (and get
 * the output meant for stdout or stderr). This function can't fail: if
 * /dev/null cannot be opened, the fds stay as they were.
 */
void	 util_std_fds(void);

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

#endif /* PREFORK_UTIL_H */
