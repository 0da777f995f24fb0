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
} logger = { LOG_LEVEL_INFO, false, -1, NULL };

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
log_open(const char *path)
{
	char	*copy = NULL;
	int	 fd = -1;

	if (path != NULL) {
		if ((copy = strdup(path)) == NULL)
			return -1;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
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
log_reopen(void)
{
	int	fd;

	if (logger.path == NULL)
		return 0;
	fd = open(logger.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
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

	if (logger.journal && !file)
		n = snprintf(buf, size, "<%d>", level_prio[level]);
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		len = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
		n = snprintf(buf + len, size - len, ".%03ld ",
		    ts.tv_nsec / 1000000);
		n += (int)len;
	}
	n += snprintf(buf + n, size - (size_t)n, "prefork[%ld]: %s: ",
	    (long)getpid(), level_names[level]);
	return (size_t)n;
}

/*
 * Formats the whole line into one buffer and writes it with one write(2),
 * so lines from the master never interleave with each other.
 */
static void
log_vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char	buf[LOG_LINE_MAX];
	size_t	len;
	int	n, fd;

	if (level > logger.level)
		return;
	fd = logger.fd != -1 ? logger.fd : STDERR_FILENO;
	len = log_prefix(buf, sizeof(buf), level, logger.fd != -1);
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len < sizeof(buf) && errnum != 0) {
		n = snprintf(buf + len, sizeof(buf) - len, ": %s",
		    strerror(errnum));
		if (n > 0)
			len += (size_t)n;
	}
	if (len >= sizeof(buf) - 1) {
		len = sizeof(buf) - 1;
		buf[len - 3] = buf[len - 2] = buf[len - 1] = '.';
	}
	buf[len++] = '\n';
	while (write(fd, buf, len) == -1 && errno == EINTR)
		continue;
}

#define LOG_FUNC(name, level, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
	int	saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vlog((level), (witherr) ? saved : 0, fmt, ap);		\
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
fatal(int status, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
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
