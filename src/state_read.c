/* SPDX-License-Identifier: ISC */
/*
 * The reader of the master's state (state.h): the new image's first
 * contact with what the old one wrote, maybe another build. It takes
 * nothing on trust, reads only within text[0..len), and leaves every
 * string it allocated in the struct, so that state_free() releases it on
 * any error.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_impl.h"
#include "util.h"

struct reader {
	struct state_ctx	 c;
	struct state	*s;
	const char	*p, *end;	/* the text not read yet */
	enum state_rec	 r;		/* the record expected; R_NREC: end */
	size_t		 i;		/* which of them */
	long		 line;		/* c.line is where a reason points */
	bool		 done;		/* "end" read */
};

/*
 * Decimal digits, maybe after a '-'. Returns 0, -1 when it is not a
 * number, or 1 when it is one too large for 64 bits.
 */
static int
parse_ival(const char *p, size_t n, struct state_ival *v)
{
	size_t		i = 0;
	unsigned	d;

	v->neg = n > 0 && p[0] == '-';
	v->mag = 0;
	if (v->neg)
		i++;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (v->mag > (UINT64_MAX - d) / 10)
			return 1;
		v->mag = v->mag * 10 + d;
	}
	if (v->mag == 0)
		v->neg = false;
	return 0;
}

static int
read_int(struct state_ctx *c, const char *p, size_t n, void *dst,
    const struct state_field *f)
{
	struct state_ival	v;
	char		t[40];
	int		rc;

	if ((rc = parse_ival(p, n, &v)) == -1)
		return state_fail(c, "%s '%s' is not a number", f->name,
		    state_show(p, n, t, sizeof(t)));
	if (rc == 1 || !state_in_range(f, v))
		return state_out_of_range(c, f, state_show(p, n, t, sizeof(t)));
	state_store_int(dst, f->type, v);
	return 0;
}

/*
 * A decimal double. Only the characters of one ("inf", "nan" and hex
 * are not what the writer writes); strtod() reads it in the C locale,
 * which the master never changes.
 */
static int
read_time(struct state_ctx *c, const char *p, size_t n, double *d,
    const struct state_field *f)
{
	static const char	chars[] = "0123456789.eE+-";
	char			t[64], *end;
	size_t			i;

	if (n == 0 || n >= sizeof(t))
		goto bad;
	for (i = 0; i < n; i++)
		if (memchr(chars, p[i], sizeof(chars) - 1) == NULL)
			goto bad;
	memcpy(t, p, n);
	t[n] = '\0';
	*d = strtod(t, &end);
	if (end == t + n)
		return 0;
bad:
	return state_fail(c, "%s '%s' is not a number", f->name,
	    state_show(p, n, t, sizeof(t)));
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A string as write_str() writes it: "-" is NULL. Its length and
 * whether it may be NULL or empty are state_check_field()'s, as for the
 * writer.
 */
static int
read_str(struct state_ctx *c, const char *p, size_t n, char **dst,
    const struct state_field *f)
{
	size_t	i, len = 0;
	char	*s;

	if (n == 1 && *p == '-')
		return 0;
	for (i = 0; i < n; i++, len++) {
		if (p[i] != '%')
			continue;
		if (n - i < 3 || hexval(p[i + 1]) == -1 ||
		    hexval(p[i + 2]) == -1)
			return state_fail(c, "%s has a bad escape at byte %zu",
			    f->name, i + 1);
		if (p[i + 1] == '0' && p[i + 2] == '0')
			return state_fail(c, "%s holds a NUL byte", f->name);
		i += 2;
	}
	if ((s = malloc(len + 1)) == NULL)
		return state_fail(c, "out of memory");
	for (i = 0, len = 0; i < n; i++, len++)
		if (p[i] == '%') {
			s[len] = (char)(hexval(p[i + 1]) << 4 |
			    hexval(p[i + 2]));
			i += 2;
		} else
			s[len] = p[i];
	s[len] = '\0';
	*dst = s;
	return 0;
}

static int
read_counters(struct state_ctx *c, const char *p, size_t n, void *base,
    const struct state_field *f)
{
	uint64_t	*list = (uint64_t *)((char *)base + f->off);
	unsigned	*count = (unsigned *)((char *)base + f->count);
	const char	*q, *comma, *end = p + n;
	struct state_ival	 v;
	char		 t[40];

	*count = 0;
	if (n == 1 && *p == '-')
		return 0;
	for (q = p;; q = comma + 1) {
		if ((comma = memchr(q, ',', (size_t)(end - q))) == NULL)
			comma = end;
		if (*count == STATE_COUNTERS_MAX)
			return state_fail(c, "%s has more than %d counters",
			    f->name, STATE_COUNTERS_MAX);
		if (parse_ival(q, (size_t)(comma - q), &v) != 0 || v.neg)
			return state_fail(c, "%s: '%s' is not a counter",
			    f->name, state_show(q, (size_t)(comma - q), t,
			    sizeof(t)));
		list[(*count)++] = v.mag;
		if (comma == end)
			return 0;
	}
}

static int
read_value(struct state_ctx *c, const char *p, size_t n, void *base,
    const struct state_field *f)
{
	char	*dst = (char *)base + f->off;
	char	 t[40];
	double	 d = 0;

	switch (f->type) {
	case F_BOOL:
		if (n != 1 || (*p != '0' && *p != '1'))
			return state_fail(c, "%s '%s' is not 0 or 1", f->name,
			    state_show(p, n, t, sizeof(t)));
		*(bool *)dst = *p == '1';
		return 0;
	case F_TIME:
		if (read_time(c, p, n, &d, f) == -1)
			return -1;
		memcpy(dst, &d, sizeof(d));
		break;
	case F_STR:
		if (read_str(c, p, n, (char **)dst, f) == -1)
			return -1;
		break;
	case F_COUNTERS:
		return read_counters(c, p, n, base, f);
	default:
		return read_int(c, p, n, dst, f);
	}
	return state_check_field(c, base, f);
}

/* The fields of a record, p at the space after its name. */
static int
read_fields(struct state_ctx *c, const char *p, const char *end, void *base,
    const struct state_record *rec)
{
	const struct state_field	*f;
	const char		*tok, *tend;
	size_t			 k, nl;
	char			 t[40];

	for (k = 0; k < rec->nfields; k++) {
		f = &rec->fields[k];
		if (p == end && rec->positional)
			return state_fail(c, "%s is missing", f->name);
		if (p == end)
			return state_fail(c, "no %s= field", f->name);
		tok = p + 1;
		if ((tend = memchr(tok, ' ', (size_t)(end - tok))) == NULL)
			tend = end;
		if (!rec->positional) {
			nl = strlen(f->name);
			if ((size_t)(tend - tok) <= nl ||
			    memcmp(tok, f->name, nl) != 0 || tok[nl] != '=')
				return state_fail(c, "%s= expected, found '%s'",
				    f->name, state_show(tok,
				    (size_t)(tend - tok), t, sizeof(t)));
			tok += nl + 1;
		}
		if (read_value(c, tok, (size_t)(tend - tok), base, f) == -1)
			return -1;
		p = tend;
	}
	if (p != end)
		return state_fail(c, "'%s' after the last field",
		    state_show(p + 1, (size_t)(end - p - 1), t, sizeof(t)));
	return 0;
}

/* The arrays, once the counts are known: zeroed, for state_free(). */
static int
alloc_arrays(struct reader *rd)
{
	struct state	*s = rd->s;

	if ((s->nslots > 0 &&
	    (s->slots = calloc(s->nslots, sizeof(*s->slots))) == NULL) ||
	    (s->nworkers > 0 &&
	    (s->workers = calloc(s->nworkers, sizeof(*s->workers))) == NULL) ||
	    (s->nlisteners > 0 && (s->listeners = calloc(s->nlisteners,
	    sizeof(*s->listeners))) == NULL))
		return state_fail(&rd->c, "out of memory");
	return 0;
}

static bool
is_word(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(w, name, n) == 0;
}

/* A line that is not the record expected: say what is wrong. */
static int
wrong_kind(struct reader *rd, const char *w, size_t n)
{
	const char	*want = rd->r < R_NREC ? state_records[rd->r].name :
			    "end";
	char		 t[40];
	int		 k;

	rd->c.kind = NULL;
	for (k = 0; k < R_NREC; k++) {
		if (!is_word(w, n, state_records[k].name))
			continue;
		if (k < (int)rd->r && state_counted((enum state_rec)k))
			return state_fail(&rd->c, "more '%s' records than "
			    "counts says (%zu)", state_records[k].name,
			    state_rec_count(rd->s, (enum state_rec)k));
		if (k < (int)rd->r)
			return state_fail(&rd->c, "a second '%s' record",
			    state_records[k].name);
		break;
	}
	if (k == R_NREC && is_word(w, n, STATE_MAGIC))
		return state_fail(&rd->c, "a second '%s' line", STATE_MAGIC);
	if (k == R_NREC && !is_word(w, n, "end"))
		return state_fail(&rd->c, "unknown record '%s'",
		    state_show(w, n, t, sizeof(t)));
	if (state_counted(rd->r))
		return state_fail(&rd->c, "only %zu '%s' records, counts "
		    "says %zu", rd->i, want, state_rec_count(rd->s, rd->r));
	return state_fail(&rd->c, "'%s' where '%s' was expected",
	    state_show(w, n, t, sizeof(t)), want);
}

/* Line 1: the magic and the format, which must be ours. */
static int
read_header(struct reader *rd, const char *p, size_t n)
{
	size_t		m = strlen(STATE_MAGIC);
	struct state_ival	v;
	char		t[40];

	if (n <= m || memcmp(p, STATE_MAGIC, m) != 0 || p[m] != ' ')
		return state_fail(&rd->c, "not a prefork state (no '%s' line)",
		    STATE_MAGIC);
	p += m + 1;
	n -= m + 1;
	if (parse_ival(p, n, &v) == -1)
		return state_fail(&rd->c, "state format '%s' is not a number",
		    state_show(p, n, t, sizeof(t)));
	if (v.neg || v.mag != STATE_FORMAT)
		return state_fail(&rd->c, "state format %s, this prefork "
		    "reads %d", state_show(p, n, t, sizeof(t)), STATE_FORMAT);
	rd->s->format = STATE_FORMAT;
	return 0;
}

static void
advance(struct reader *rd)
{
	rd->i++;
	while (rd->r < R_NREC && rd->i >= state_rec_count(rd->s, rd->r)) {
		rd->r = (enum state_rec)(rd->r + 1);
		rd->i = 0;
	}
}

/* A line after the first: the record expected, or "end". */
static int
read_line(struct reader *rd, const char *p, size_t n)
{
	const char	*want = rd->r < R_NREC ? state_records[rd->r].name :
			    "end";
	const char	*sp = memchr(p, ' ', n);
	size_t		 wn = sp != NULL ? (size_t)(sp - p) : n;

	if (!is_word(p, wn, want))
		return wrong_kind(rd, p, wn);
	rd->c.kind = want;
	if (rd->r == R_NREC) {
		if (wn != n)
			return state_fail(&rd->c, "a line of its own");
		rd->done = true;
		return state_check_state(&rd->c, rd->s);
	}
	if (read_fields(&rd->c, p + wn, p + n, state_rec_base(rd->s, rd->r,
	    rd->i), &state_records[rd->r]) == -1)
		return -1;
	if (rd->r == R_COUNTS && alloc_arrays(rd) == -1)
		return -1;
	advance(rd);
	return 0;
}

static int
check_line(struct state_ctx *c, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return state_fail(c, "byte 0x%02x at column %zu: the "
			    "state is printable ASCII", (unsigned char)p[i],
			    i + 1);
	return 0;
}

int
state_read(const char *text, size_t len, struct state *s, char *why,
    size_t whylen)
{
	struct reader	 rd = { { why, whylen, true, 0, NULL, 0, false }, s,
	    text, text + len, R_VERSION, 0, 0, false };
	const char	*nl;
	size_t		 n;

	state_init(s);
	if (len > STATE_TEXT_MAX)
		return state_fail(&rd.c, "state text of %zu bytes, more "
		    "than %u", len, STATE_TEXT_MAX);
	while (!rd.done) {
		rd.c.line = ++rd.line;
		rd.c.kind = NULL;
		if (rd.p == rd.end)
			return state_fail(&rd.c, "the text ends before 'end'");
		if ((nl = memchr(rd.p, '\n', (size_t)(rd.end - rd.p))) == NULL)
			return state_fail(&rd.c, "the text ends within a line");
		n = (size_t)(nl - rd.p);
		if (check_line(&rd.c, rd.p, n) == -1 ||
		    (rd.c.line == 1 ? read_header(&rd, rd.p, n) :
		    read_line(&rd, rd.p, n)) == -1)
			return -1;
		rd.p = nl + 1;
	}
	if (rd.p != rd.end) {
		rd.c.line = rd.line + 1;
		rd.c.kind = NULL;
		return state_fail(&rd.c, "text after 'end'");
	}
	return 0;
}
