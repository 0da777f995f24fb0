/* SPDX-License-Identifier: ISC */
/*
 * The INI file. inih splits the lines; a reader of our own feeds it, so
 * that we know the line of every key, can report every bad line (inih
 * reports only the first) and lines too long for its buffer, and can
 * join continuation lines. The handler inih calls hands each value to
 * conf.c's keys, and every problem, the file's and the values', is kept
 * with its line and given to the caller sorted. conf_load() opens the
 * file, refusing one a root master must not trust. Nothing here logs.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_impl.h"
#include "env.h"
#include "safefile.h"
#include "util.h"

#define SYNTAX_ERROR	"expected \"key = value\", \"[section]\" or a comment"

static const char	*find_chars_or_comment(const char *, const char *);

enum line_kind {
	LINE_NONE,		/* no line pending */
	LINE_BLANK,		/* blank or comment */
	LINE_BAD,		/* reported; inih gets an empty line */
	LINE_SECTION,
	LINE_CONT,		/* continues the previous key */
	LINE_KEY,		/* must reach the handler */
};

enum section {
	SECT_NONE,
	SECT_PREFORK,
	SECT_ENV,
	SECT_UNKNOWN,
};

enum cont {
	CONT_IGNORE,		/* the key was already reported */
	CONT_JOIN,		/* append to the pending value */
	CONT_REJECT,		/* the key takes one line */
};

struct error {
	unsigned	 line;
	size_t		 seq;
	char		*msg;		/* NULL: out of memory */
};

/*
 * A file being read: where its bytes come from, what the reader knows of
 * the current line, the value being joined over continuation lines, the
 * keys and [env] names seen so far, and the problems found, each kept
 * with its line so that they come out in the file's order.
 */
struct conf_file {
	struct conf	*c;
	const char	*name;
	FILE		*fp;		/* the file, or NULL for s */
	const char	*s;
	size_t		 pos;
	int		 read_errno;

	unsigned	 lineno;
	enum line_kind	 kind;
	bool		 nul;		/* the line holds a NUL byte */
	bool		 called;	/* the handler ran for the line */
	bool		 named;		/* ... with a non-empty name */
	bool		 prev_key;	/* inih would take a continuation */
	enum section	 sect;

	enum cont	 cont;
	char		 cname[CONF_LINE_MAX + 1];
	enum conf_key	 pkey;		/* the key being joined, when pend */
	unsigned	 pline;
	char		*pend;
	size_t		 plen, pcap;

	unsigned	 seen[CONF_KEY_COUNT];
	size_t		 env_base;
	unsigned	*env_lines;
	size_t		 env_cap;
	struct env_index env_names;	/* c->env by name */

	struct error	*errv;
	size_t		 nerr, errcap;
	int		 nproblems;

	/* One line, its '\r' and a NUL; longer lines are cut here. */
	char		 buf[CONF_LINE_MAX + 2];
};

/*
 * Error lists.
 */

/* Control characters of a value must not reach the terminal or log. */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Appends msg (NULL: we ran out of memory making it) and frees it. */
static void
push_owned(struct strv *errs, char *msg)
{
	if (msg != NULL) {
		sanitize(msg);
		if (strv_push(errs, msg) == 0) {
			free(msg);
			return;
		}
		free(msg);
	}
	(void)strv_push(errs, "out of memory");
}

/* Keeps msg (owned, or NULL for "out of memory") for line. */
static void
parse_collect(struct conf_file *p, unsigned line, char *msg)
{
	p->nproblems++;
	if (p->nerr == p->errcap) {
		size_t		 cap = p->errcap ? p->errcap * 2 : 16;
		struct error	*v = realloc(p->errv, cap * sizeof(*v));

		if (v == NULL) {
			/* Counted: parse_emit() says "out of memory". */
			free(msg);
			return;
		}
		p->errv = v;
		p->errcap = cap;
	}
	p->errv[p->nerr].line = line;
	p->errv[p->nerr].seq = p->nerr;
	p->errv[p->nerr].msg = msg;
	p->nerr++;
}

static void	parse_error(struct conf_file *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Reports a problem of the file at line: "NAME:LINE: message". */
static void
parse_error(struct conf_file *p, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	char	*body, *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) == -1)
		body = NULL;
	va_end(ap);
	if (body != NULL && asprintf(&msg, "%s:%u: %s", p->name, line,
	    body) == -1)
		msg = NULL;
	free(body);
	parse_collect(p, line, msg);
}

void
conf_report(struct report *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*body, *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) == -1)
		body = NULL;
	va_end(ap);
	r->n++;
	if (body != NULL) {
		int	rc;

		if (r->file != NULL)
			rc = asprintf(&msg, "%s:%u: %s: %s", r->file->name,
			    r->line, r->key, body);
		else
			rc = asprintf(&msg, "%s: %s", r->origin, body);
		if (rc == -1)
			msg = NULL;
	}
	free(body);
	if (r->file != NULL)
		parse_collect(r->file, r->line, msg);
	else
		push_owned(r->errs, msg);
}

static int
error_cmp(const void *a, const void *b)
{
	const struct error	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands the collected messages to errs in line order. */
static void
parse_emit(struct conf_file *p, struct strv *errs)
{
	size_t	i;

	if (p->nerr > 0)
		qsort(p->errv, p->nerr, sizeof(*p->errv), error_cmp);
	for (i = 0; i < p->nerr; i++)
		push_owned(errs, p->errv[i].msg);
	/* Problems whose message memory ran out still show. */
	if ((size_t)p->nproblems > p->nerr)
		(void)strv_push(errs, "out of memory");
	free(p->errv);
	p->errv = NULL;
	p->nerr = 0;
}

/*
 * The file: continuation lines.
 */

static struct report
report_line(struct conf_file *p, enum conf_key k, unsigned line)
{
	struct report	r = { .file = p, .key = conf_key_name(k),
			    .line = line };

	return r;
}

/* Starts the value of a key that may continue on the next lines. */
static void
pending_start(struct conf_file *p, enum conf_key k, const char *v)
{
	p->plen = strlen(v);
	p->pcap = p->plen + 1;
	if ((p->pend = strdup(v)) == NULL) {
		parse_error(p, p->lineno, "out of memory");
		return;
	}
	p->pkey = k;
	p->pline = p->lineno;
	p->cont = CONT_JOIN;
}

static void
pending_drop(struct conf_file *p)
{
	free(p->pend);
	p->pend = NULL;
	p->plen = p->pcap = 0;
}

/* Appends n bytes of a continuation line, joined with one space. */
static void
pending_append(struct conf_file *p, const char *v, size_t n)
{
	size_t	need = p->plen + 1 + n + 1;

	if (need > p->pcap) {
		size_t	 cap = need > p->pcap * 2 ? need : p->pcap * 2;
		char	*s = realloc(p->pend, cap);

		if (s == NULL) {
			parse_error(p, p->lineno, "out of memory");
			pending_drop(p);
			p->cont = CONT_IGNORE;
			return;
		}
		p->pend = s;
		p->pcap = cap;
	}
	if (p->plen > 0)
		p->pend[p->plen++] = ' ';
	memcpy(p->pend + p->plen, v, n);
	p->plen += n;
	p->pend[p->plen] = '\0';
}

/* The joined value is complete: check and set it. */
static void
pending_flush(struct conf_file *p)
{
	struct report	r;

	if (p->pend == NULL)
		return;
	/* An indented line after a line inih did not take is not ours. */
	p->cont = CONT_IGNORE;
	r = report_line(p, p->pkey, p->pline);
	conf_key_apply(p->c, p->pkey, p->pend, &r);
	pending_drop(p);
}

/*
 * The file: the handler inih calls for each value.
 */

static void
parse_prefork(struct conf_file *p, const char *name, const char *v)
{
	enum conf_key	 k = conf_key_find(name);
	struct report	 r;

	if (k == CONF_KEY_COUNT) {
		const char	*near = conf_key_suggest(name);

		if (near != NULL)
			parse_error(p, p->lineno, "unknown key '%s' in "
			    "[prefork] (did you mean '%s'?)", name, near);
		else
			parse_error(p, p->lineno, "unknown key '%s' in "
			    "[prefork]", name);
		return;
	}
	if (p->seen[k] != 0) {
		parse_error(p, p->lineno, "duplicate key '%s' (first set on "
		    "line %u)", name, p->seen[k]);
		return;
	}
	p->seen[k] = p->c->lines[k] = p->lineno;
	if (conf_key_continues(k)) {
		pending_start(p, k, v);
		return;
	}
	p->cont = CONT_REJECT;
	snprintf(p->cname, sizeof(p->cname), "%s", name);
	r = report_line(p, k, p->lineno);
	conf_key_apply(p->c, k, v, &r);
}

static bool
env_name_ok(const char *name)
{
	return (isalpha((unsigned char)*name) || *name == '_') &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name);
}

/* Adds NAME=value to env, remembering its line. */
static void
env_add(struct conf_file *p, const char *name, const char *v)
{
	struct conf	*c = p->c;
	size_t		 i = c->env.n - p->env_base;

	if (i == p->env_cap) {
		size_t		 cap = p->env_cap ? p->env_cap * 2 : 16;
		unsigned	*lines = realloc(p->env_lines,
				    cap * sizeof(*lines));

		if (lines == NULL) {
			parse_error(p, p->lineno, "out of memory");
			return;
		}
		p->env_lines = lines;
		p->env_cap = cap;
	}
	if (strv_pushf(&c->env, "%s=%s", name, v) == -1) {
		parse_error(p, p->lineno, "out of memory");
		return;
	}
	p->env_lines[i] = p->lineno;
	if (env_index_add(&p->env_names, &c->env, c->env.n - 1) == -1)
		parse_error(p, p->lineno, "out of memory");
}

static void
parse_env(struct conf_file *p, const char *name, const char *v)
{
	const char	*hint;
	ssize_t		 i;

	if (!env_name_ok(name)) {
		parse_error(p, p->lineno, "[env] '%s' is not a valid variable "
		    "name (letters, digits and _, not starting with a digit)",
		    name);
		return;
	}
	if ((hint = env_reserved_hint(name)) != NULL) {
		parse_error(p, p->lineno, "[env] %s is set by prefork (%s)",
		    name, hint);
		return;
	}
	if ((i = env_index_find(&p->env_names, &p->c->env, name)) != -1) {
		parse_error(p, p->lineno, "duplicate key '%s' (first set on "
		    "line %u)", name, (size_t)i >= p->env_base ?
		    p->env_lines[(size_t)i - p->env_base] : 0);
		return;
	}
	p->cont = CONT_REJECT;
	snprintf(p->cname, sizeof(p->cname), "%s", name);
	env_add(p, name, v);
}

static void
parse_continuation(struct conf_file *p, const char *v)
{
	const char	*end;

	switch (p->cont) {
	case CONT_JOIN:
		/*
		 * inih 55 leaves the inline comment on a continuation line
		 * (later versions cut it): cut it here, as on key lines.
		 */
		end = find_chars_or_comment(v, NULL);
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		pending_append(p, v, (size_t)(end - v));
		break;
	case CONT_REJECT:
		parse_error(p, p->lineno, "'%s' takes no continuation lines "
		    "(only command, listen and halt_exit_codes do)",
		    p->cname);
		break;
	case CONT_IGNORE:
		break;
	}
}

static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_file	*p = user;

	p->called = true;
	if (p->kind == LINE_CONT) {
		parse_continuation(p, value);
		return 1;
	}
	p->named = *name != '\0';
	p->cont = CONT_IGNORE;
	if (!p->named)
		parse_error(p, p->lineno, SYNTAX_ERROR);
	else if (p->sect == SECT_NONE)
		parse_error(p, p->lineno, "key '%s' outside any section: put "
		    "it under [prefork]", name);
	else if (p->sect == SECT_PREFORK)
		parse_prefork(p, name, value);
	else if (p->sect == SECT_ENV)
		parse_env(p, name, value);
	return 1;
}

/*
 * The file: the reader inih calls for each line.
 */

static int
parse_getc(struct conf_file *p)
{
	if (p->fp != NULL) {
		int	ch = getc(p->fp);

		if (ch == EOF && ferror(p->fp))
			p->read_errno = errno;
		return ch;
	}
	if (p->s[p->pos] == '\0')
		return EOF;
	return (unsigned char)p->s[p->pos++];
}

/*
 * Reads the next line into buf, cut to fit; *len is its real length
 * without the newline and a '\r' before it. Returns -1 at the end.
 */
static int
parse_read_line(struct conf_file *p, size_t *len)
{
	size_t	n = 0, total = 0;
	int	ch, last = EOF;

	p->nul = false;
	while ((ch = parse_getc(p)) != EOF && ch != '\n') {
		if (ch == '\0')
			p->nul = true;
		if (n < sizeof(p->buf) - 1)
			p->buf[n++] = (char)ch;
		if (total < SIZE_MAX)
			total++;
		last = ch;
	}
	if (ch == EOF && total == 0)
		return -1;
	if (last == '\r') {
		total--;
		if (n > total)
			n = total;
	}
	p->buf[n] = '\0';
	*len = total;
	return 0;
}

/* inih's rules: where a name or a section ends, or an inline comment. */
static const char *
find_chars_or_comment(const char *s, const char *chars)
{
	bool	was_space = false;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static enum line_kind
parse_section(struct conf_file *p, const char *start)
{
	static const char *const names[] = { "prefork", "env" };
	const char	*end = find_chars_or_comment(start + 1, "]"), *rest;
	const char	*near;
	char		 name[CONF_LINE_MAX + 1];
	size_t		 len;

	rest = end + (*end == ']');
	rest += strspn(rest, " \t\v\f\r");
	if (*end != ']' || (*rest != '\0' && *rest != ';')) {
		parse_error(p, p->lineno, SYNTAX_ERROR);
		return LINE_BAD;
	}
	pending_flush(p);
	len = (size_t)(end - start - 1);
	memcpy(name, start + 1, len);
	name[len] = '\0';
	p->prev_key = false;
	p->cont = CONT_IGNORE;
	if (strcmp(name, "prefork") == 0)
		p->sect = SECT_PREFORK;
	else if (strcmp(name, "env") == 0)
		p->sect = SECT_ENV;
	else {
		p->sect = SECT_UNKNOWN;
		if ((near = util_suggest(name, names, nitems(names))) != NULL)
			parse_error(p, p->lineno, "unknown section [%s] (did "
			    "you mean [%s]?)", name, near);
		else
			parse_error(p, p->lineno, "unknown section [%s]",
			    name);
	}
	return LINE_SECTION;
}

/* Sorts the line in buf (len long) the way inih will see it. */
static enum line_kind
parse_classify(struct conf_file *p, size_t len)
{
	char	*start = p->buf, *end;

	if (len > CONF_LINE_MAX) {
		parse_error(p, p->lineno, "line longer than %d characters",
		    CONF_LINE_MAX);
		return LINE_BAD;
	}
	if (p->nul) {
		parse_error(p, p->lineno, "line contains a NUL byte");
		return LINE_BAD;
	}
	if (p->lineno == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	while (isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*start == '\0' || *start == ';' || *start == '#')
		return LINE_BLANK;
	if (p->prev_key && start > p->buf)
		return LINE_CONT;
	if (*start == '[')
		return parse_section(p, start);
	pending_flush(p);
	return LINE_KEY;
}

/* The line inih was given is done: was it a line inih understood? */
static void
parse_line_end(struct conf_file *p)
{
	if (p->kind == LINE_KEY) {
		if (!p->called)
			parse_error(p, p->lineno, SYNTAX_ERROR);
		else
			p->prev_key = p->named;
	}
	p->kind = LINE_NONE;
}

static char *
parse_reader(char *str, int num, void *stream)
{
	struct conf_file	*p = stream;
	size_t		 len;

	parse_line_end(p);
	if (parse_read_line(p, &len) == -1)
		return NULL;
	p->lineno++;
	p->called = false;
	if (len >= (size_t)num)
		len = SIZE_MAX;		/* a smaller inih: too long for it */
	p->kind = parse_classify(p, len);
	if (p->kind == LINE_BAD)
		str[0] = '\0';
	else
		memcpy(str, p->buf, strlen(p->buf) + 1);
	return str;
}

int
conf_file_read(struct conf *c, const char *name, FILE *fp, const char *text,
    struct strv *errs)
{
	struct conf_file	 f = { .c = c, .name = name, .fp = fp,
				    .s = text };
	struct conf_file	*p = &f;
	char			*msg;
	size_t			 i;

	free(c->path);
	if ((c->path = strdup(p->name)) == NULL)
		parse_collect(p, 0, NULL);
	p->env_base = c->env.n;
	for (i = 0; i < c->env.n; i++)
		if (env_index_add(&p->env_names, &c->env, i) == -1)
			parse_collect(p, 0, NULL);
	ini_parse_stream(parse_reader, p, parse_handler, p);
	parse_line_end(p);
	pending_flush(p);
	/* A read error ends the file: it comes after what was read. */
	if (p->read_errno != 0) {
		if (asprintf(&msg, "%s: cannot read: %s", p->name,
		    strerror(p->read_errno)) == -1)
			msg = NULL;
		parse_collect(p, UINT_MAX, msg);
	}
	parse_emit(p, errs);
	free(p->env_lines);
	env_index_free(&p->env_names);
	pending_drop(p);
	return p->nproblems;
}

int
conf_load(struct conf *c, const char *path, struct strv *errs)
{
	FILE	*fp;
	char	 why[SAFEFILE_WHY_MAX];
	int	 n;

	if ((fp = fopen(path, "re")) == NULL) {
		if (strv_pushf(errs, "%s: cannot read: %s", path,
		    strerror(errno)) == -1)
			(void)strv_push(errs, "out of memory");
		return 1;
	}
	/*
	 * The file decides what a root master runs: nobody but root may
	 * own it or write it, or the directories it is in. A master that
	 * is not root runs nothing its user could not run anyway.
	 */
	if (geteuid() == 0 && safefile_check_conf(fileno(fp), path, why,
	    sizeof(why)) == -1) {
		if (strv_pushf(errs, "%s: %s", path, why) == -1)
			(void)strv_push(errs, "out of memory");
		fclose(fp);
		return 1;
	}
	n = conf_file_read(c, path, fp, NULL, errs);
	fclose(fp);
	return n;
}

int
conf_load_string(struct conf *c, const char *name, const char *text,
    struct strv *errs)
{
	return conf_file_read(c, name, NULL, text, errs);
}
