/* SPDX-License-Identifier: ISC */
/*
 * The log API, after OpenBSD's log.c: log_warn() appends strerror(errno),
 * log_warnx() does not. One line per event, written with one write(2), as
 * "TIMESTAMP prefork[PID]: LEVEL: message", or "<N>prefork[PID]: LEVEL:
 * message" when standard error is the systemd journal. A line that a full
 * disk would cut short is dropped whole, and the log file says later how
 * many were.
 */
#ifndef PREFORK_LOG_H
#define PREFORK_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Parses "error", "warn", "info" or "debug". Returns 0, or -1. */
int		 log_level_parse(const char *name, enum log_level *level);

/*
 * Sets the level and decides the format: journal prefixes when fd 2 is
 * the stream named by $JOURNAL_STREAM, timestamps otherwise. Can't fail.
 */
void	log_init(enum log_level level);
void	log_set_level(enum log_level level);

/*
 * Sends the log to a file opened for appending (close-on-exec) instead
 * of standard error, opened as safefile_open() does (no link, a regular
 * file); NULL goes back to standard error. Returns 0, or -1 with errno
 * set and the reason in why, in which case the previous destination is
 * kept.
 */
int	log_open(const char *path, char *why, size_t len);

/*
 * Reopens the log file, for logrotate. Returns 0 (also when there is no
 * log file), or -1 with errno set and the reason in why, keeping the old
 * file open.
 */
int	log_reopen(char *why, size_t len);

/* Closes the log file, if any. */
void	log_close(void);

/* Logs each message of a list as an error, in order. */
void	log_errors(const struct strv *errs);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Logs at error level into the log file and to standard error both: for
 * what goes wrong with the log file itself, which nobody may be reading.
 */
void	log_errorx_tee(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Logs at error level and exits with status (a sysexits code). */
_Noreturn void	fatal(int status, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
_Noreturn void	fatalx(int status, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif /* PREFORK_LOG_H */
