/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int
strv_grow(struct strv *sv)
{
	char	**v;
	size_t	  cap;

	if (sv->n + 1 < sv->cap)
		return 0;
	cap = sv->cap ? sv->cap * 2 : 8;
	v = realloc(sv->v, cap * sizeof(*v));
	if (v == NULL)
		return -1;
	sv->v = v;
	sv->cap = cap;
	return 0;
}

int
strv_push(struct strv *sv, const char *s)
{
	char	*copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	if (strv_grow(sv) == -1) {
		free(copy);
		return -1;
	}
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

int
strv_vpushf(struct strv *sv, const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		return -1;
	if (strv_grow(sv) == -1) {
		free(s);
		return -1;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int
strv_pushf(struct strv *sv, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = strv_vpushf(sv, fmt, ap);
	va_end(ap);
	return rc;
}

void
strv_free(struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

bool
strv_equal(const struct strv *a, const struct strv *b)
{
	size_t	i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

char *
util_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double	v = (double)bytes / 1024;
	size_t	u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && u + 1 < nitems(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

bool
util_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

char *
util_read_file(const char *path, size_t max)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	/* Read one byte past max so that a file too large is noticed. */
	for (;;) {
		r = read(fd, buf + len, max + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > max)
			break;
	}
	saved = errno;
	close(fd);
	if (r == -1) {
		free(buf);
		errno = saved;
		return NULL;
	}
	if (len > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

void
util_std_fds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		continue;
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * The length of the UTF-8 character at s (2 to 4), or 0 when s does not
 * start one that is valid, shortest-form and not a C1 control.
 */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 && !(s[0] == 0xc2 && s[1] < 0xa0) ?
		    2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] >= 0xa0))
			return 0;	/* overlong, or a surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;	/* overlong, or past U+10FFFF */
		return 4;
	}
	return 0;
}

/* The escape of byte c, or "" when c stands for itself. */
static const char *
escape_byte(unsigned char c, char *tmp)
{
	switch (c) {
	case '\\':
		return "\\\\";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\n':
		return "\\n";
	case '\a':
		return "\\a";
	case '\b':
		return "\\b";
	default:
		break;
	}
	if (c < 0x20 || c >= 0x7f) {
		snprintf(tmp, 5, "\\x%02x", c);
		return tmp;
	}
	return "";
}

/*
 * The text that stands for the character at p: the character itself or
 * its escape, k bytes at *piece (tmp holds a \xNN); returns how many
 * bytes of p it stands for.
 */
static size_t
escape_next(const unsigned char *p, char *tmp, const char **piece,
    size_t *k)
{
	size_t	n = *p >= 0x80 ? utf8_len(p) : 0;

	if (n > 0) {
		*piece = (const char *)p;
		*k = n;
		return n;
	}
	*piece = escape_byte(*p, tmp);
	if (**piece == '\0') {
		*piece = (const char *)p;
		*k = 1;
	} else
		*k = strlen(*piece);
	return 1;
}

char *
util_escape(const char *s, char *buf, size_t len)
{
	const unsigned char	*p;
	const char		*piece;
	char			 tmp[5];
	size_t			 n = 0, k, room = len - 1;

	/* Whole if it fits; else as much as leaves room for "...". */
	for (p = (const unsigned char *)s; *p != '\0' && n <= room;) {
		p += escape_next(p, tmp, &piece, &k);
		n += k;
	}
	if (n > room)
		room = len - 4;
	n = 0;
	for (p = (const unsigned char *)s; *p != '\0';) {
		p += escape_next(p, tmp, &piece, &k);
		if (n + k > room) {
			memcpy(buf + n, "...", 4);
			return buf;
		}
		memcpy(buf + n, piece, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}

bool
ratelimit_pass(struct ratelimit *rl, double now, double interval,
    unsigned burst, unsigned *held)
{
	if (rl->n == 0 || now - rl->start >= interval || now < rl->start) {
		rl->start = now;
		rl->n = 0;
	}
	if (rl->n >= burst) {
		rl->held++;
		return false;
	}
	rl->n++;
	*held = rl->held;
	rl->held = 0;
	return true;
}

double
util_earliest(double a, double b)
{
	if (a == 0)
		return b;
	return b != 0 && b < a ? b : a;
}

int
util_signals_reset(const sigset_t *mask)
{
	struct sigaction	old, dfl = { .sa_handler = SIG_DFL };
	sigset_t		none;
	int			sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) == 0) {
			if (!(old.sa_flags & SA_SIGINFO) &&
			    old.sa_handler == SIG_IGN)
				(void)sigaction(sig, &dfl, NULL);
			continue;
		}
#if defined(SYS_rt_sigaction)
		/*
		 * glibc refuses the two signals it keeps for itself (32,
		 * 33), which can be inherited ignored all the same. It
		 * installs its handlers for them when a thread is
		 * cancelled or credentials change in a threaded process,
		 * neither of which has happened yet: the kernel is asked
		 * directly for the default (an all-zero kernel sigaction,
		 * whatever the architecture's layout), as spawn.c does for
		 * the workers.
		 */
		if (errno == EINVAL) {
			unsigned long	zero[16] = { 0 };

			(void)syscall(SYS_rt_sigaction, sig, zero, NULL,
			    (NSIG - 1) / 8);
		}
#endif
	}
	if (mask == NULL) {
		sigemptyset(&none);
		mask = &none;
	}
	return sigprocmask(SIG_SETMASK, mask, NULL);
}

ssize_t
util_read_buf(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	size_t	got = 0;
	int	fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	while (got < len - 1) {
		if ((n = read(fd, buf + got, len - 1 - got)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Levenshtein distance, for names up to 32 characters. */
static unsigned
edit_distance(const char *a, const char *b)
{
	unsigned	row[33];
	size_t		la = strlen(a), lb = strlen(b), i, j;

	if (la > 32 || lb > 32)
		return UINT_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		unsigned	prev = row[0];

		row[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			unsigned	tmp = row[j];
			unsigned	best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
util_suggest(const char *name, const char *const *names, size_t n)
{
	const char	*best = NULL;
	unsigned	 bestd = 3;
	size_t		 i;

	for (i = 0; i < n; i++) {
		unsigned	d = edit_distance(name, names[i]);

		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

bool
buf_room(struct buf *b, size_t n)
{
	size_t	cap;
	char	*p;

	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1; cap *= 2)
		if (cap > SIZE_MAX / 4) {
			b->failed = true;
			return false;
		}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_room(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_json_string(struct buf *b, const char *s)
{
	buf_printf(b, "\"");
	for (; *s != '\0'; s++) {
		unsigned char	ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			buf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			buf_printf(b, "\\u%04x", ch);
		else
			buf_printf(b, "%c", ch);
	}
	buf_printf(b, "\"");
}
