/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"
#include "util.h"

/* A line longer than this is cut, and ends with "...". */
#define LOG_LINE_MAX	2048

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* syslog(3) priorities, which journald reads from a "<N>" prefix. */
static const int level_prio[] = {
	[LOG_LEVEL_ERROR] = 3,
	[LOG_LEVEL_WARN] = 4,
	[LOG_LEVEL_INFO] = 6,
	[LOG_LEVEL_DEBUG] = 7,
};

static struct {
	enum log_level	 level;
	bool		 journal;	/* fd 2 is the journal's stream */
	int		 fd;		/* log_file, or -1 for stderr */
	char		*path;
	unsigned long	 dropped;	/* lines not written to fd */
	int		 drop_errno;	/* why the last one was not */
	bool		 torn;		/* a cut line could not be cut off */
} logger = { LOG_LEVEL_INFO, false, -1, NULL, 0, 0, false };

/*
 * The log file is opened as safefile_open() does: never through a link
 * that a worker could plant, never a FIFO or a device, so that a reopen
 * on USR1 can neither write into another file nor block the master.
 */
static int
log_open_file(const char *path, char *why, size_t len)
{
	return safefile_open(path, O_WRONLY | O_APPEND | O_CREAT, 0640, NULL,
	    why, len);
}

int
log_level_parse(const char *name, enum log_level *level)
{
	size_t	i;

	for (i = 0; i < nitems(level_names); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to standard output and error; only when fd 2 is that very stream may we
 * use the "<N>" prefixes, or a redirected stderr would get them too.
 */
static bool
log_stderr_is_journal(void)
{
	const char		*js;
	char			*end;
	unsigned long long	 dev, ino;
	struct stat		 st;

	if ((js = getenv("JOURNAL_STREAM")) == NULL)
		return false;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level)
{
	logger.level = level;
	logger.journal = log_stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	logger.level = level;
}

int
log_open(const char *path, char *why, size_t len)
{
	char	*copy = NULL;
	int	 fd = -1;

	if (path != NULL) {
		if ((copy = strdup(path)) == NULL) {
			snprintf(why, len, "%s", strerror(errno));
			return -1;
		}
		fd = log_open_file(path, why, len);
		if (fd == -1) {
			free(copy);
			return -1;
		}
	}
	log_close();
	logger.fd = fd;
	logger.path = copy;
	return 0;
}

int
log_reopen(char *why, size_t len)
{
	int	fd;

	if (logger.path == NULL)
		return 0;
	if ((fd = log_open_file(logger.path, why, len)) == -1)
		return -1;
	close(logger.fd);
	logger.fd = fd;
	return 0;
}

void
log_close(void)
{
	if (logger.fd != -1)
		close(logger.fd);
	free(logger.path);
	logger.fd = -1;
	logger.path = NULL;
}

static size_t
log_prefix(char *buf, size_t size, enum log_level level, bool file)
{
	struct timespec	ts;
	struct tm	tm;
	size_t		len;
	int		n;

	/*
	 * journald records our identifier and PID itself: a line there
	 * carries its priority and level word only.
	 */
	if (logger.journal && !file)
		return (size_t)snprintf(buf, size, "<%d>%s: ",
		    level_prio[level], level_names[level]);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	len = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(buf + len, size - len, ".%03ld ", ts.tv_nsec / 1000000);
	n += (int)len;
	n += snprintf(buf + n, size - (size_t)n, "prefork[%ld]: %s: ",
	    (long)getpid(), level_names[level]);
	return (size_t)n;
}

/*
 * Writes a whole line, or nothing: a short write (a full disk) is
 * finished, and a line that still cannot be finished is cut off the log
 * file again, so that no torn line is left for the next to run into.
 * Where the file refuses the cut (an append-only file), the next line
 * first ends the torn one. Returns whether the line was written.
 */
static bool
log_write(int fd, const char *buf, size_t len, bool file)
{
	size_t	done = 0;
	ssize_t	n = 0;
	off_t	end;

	if (file && logger.torn) {
		while ((n = write(fd, "\n", 1)) == -1 && errno == EINTR)
			continue;
		if (n != 1) {
			logger.drop_errno = n == 0 ? ENOSPC : errno;
			logger.dropped++;
			return false;
		}
		logger.torn = false;
	}
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == len)
		return true;
	if (!file)
		return false;
	logger.drop_errno = n == 0 ? ENOSPC : errno;
	/* O_APPEND: the offset is the end of the file, after our part. */
	if (done > 0) {
		end = lseek(fd, 0, SEEK_CUR);
		if (end < (off_t)done || ftruncate(fd, end - (off_t)done) == -1)
			logger.torn = true;
	}
	logger.dropped++;
	return false;
}

/* The line "PREFIX message\n" for one destination, cut to fit. */
static size_t
log_line(char *buf, size_t size, enum log_level level, bool file,
    const char *msg)
{
	size_t	len;
	int	n;

	len = log_prefix(buf, size, level, file);
	n = snprintf(buf + len, size - len, "%s", msg);
	if (n > 0)
		len += (size_t)n;
	if (len >= size - 1) {
		len = size - 1;
		buf[len - 3] = buf[len - 2] = buf[len - 1] = '.';
	}
	buf[len++] = '\n';
	return len;
}

/* Says, once the log file takes lines again, how many it lost. */
static void
log_report_drops(void)
{
	char		buf[LOG_LINE_MAX], msg[128];
	size_t		len;
	unsigned long	n;

	snprintf(msg, sizeof(msg), "%lu log line%s dropped: %s",
	    logger.dropped, logger.dropped == 1 ? "" : "s",
	    strerror(logger.drop_errno));
	len = log_line(buf, sizeof(buf), LOG_LEVEL_WARN, true, msg);
	n = logger.dropped;
	logger.dropped = 0;
	if (!log_write(logger.fd, buf, len, true))
		logger.dropped = n;	/* still the same ones lost */
}

/*
 * Formats the whole line into one buffer and writes it with one write(2),
 * so lines from the master never interleave with each other. With tee,
 * a line for the log file goes to standard error too.
 */
static void
log_vlog(enum log_level level, int errnum, bool tee, const char *fmt,
    va_list ap)
{
	char	buf[LOG_LINE_MAX], msg[LOG_LINE_MAX];
	size_t	len;
	int	n;

	if (level > logger.level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n :
	    sizeof(msg) - 1;
	msg[len] = '\0';
	if (len < sizeof(msg) - 1 && errnum != 0)
		snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(errnum));
	if (logger.fd != -1) {
		if (logger.dropped > 0)
			log_report_drops();
		len = log_line(buf, sizeof(buf), level, true, msg);
		(void)log_write(logger.fd, buf, len, true);
	}
	if (logger.fd == -1 || tee) {
		len = log_line(buf, sizeof(buf), level, false, msg);
		(void)log_write(STDERR_FILENO, buf, len, false);
	}
}

#define LOG_FUNC(name, level, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
	int	saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vlog((level), (witherr) ? saved : 0, false, fmt, ap);	\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FUNC(log_error, LOG_LEVEL_ERROR, true)
LOG_FUNC(log_errorx, LOG_LEVEL_ERROR, false)
LOG_FUNC(log_warn, LOG_LEVEL_WARN, true)
LOG_FUNC(log_warnx, LOG_LEVEL_WARN, false)
LOG_FUNC(log_info, LOG_LEVEL_INFO, false)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, false)

void
log_errorx_tee(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, 0, true, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(int status, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, saved, false, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, 0, false, fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_errors(const struct strv *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		log_errorx("%s", errs->v[i]);
}
