/*
 * The configuration: defaults, the INI file, command line overrides and
 * the checks that involve several keys. inih splits the lines; a reader
 * of our own feeds it, so that we know the line of every key, can report
 * every bad line (inih reports only the first) and lines too long for
 * its buffer, and can join continuation lines. Nothing here logs: every
 * problem goes to the caller's error list.
 */
#include "config.h"

#include <sys/types.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "conf_parse.h"
#include "creds.h"
#include "words.h"
#include "env.h"
#include "safefile.h"

#define MIB		(UINT64_C(1) << 20)
#define SYNTAX_ERROR	"expected \"key = value\", \"[section]\" or a comment"

struct parse;

static const char	*find_chars_or_comment(const char *, const char *);

/*
 * Where a value's problems go: the file being read (collected with their
 * line, sorted at the end), or the caller's list as "ORIGIN: message".
 */
struct report {
	struct parse	*p;
	struct strv	*errs;
	const char	*origin;
	const char	*key;
	unsigned	 line;
	int		 n;
};

struct key;
typedef int	key_set_fn(struct conf *, const struct key *, const char *,
		    struct report *);

struct key {
	const char	*name;
	key_set_fn	*set;
	size_t		 off;		/* field of the generic setters */
	uint64_t	 min, max;
	unsigned	 flags;
};

#define K_CONT	0x01		/* takes continuation lines */
#define K_AUTO	0x02		/* "auto" means 0 */
#define K_OFF	0x04		/* "off" means 0 */
#define K_ABS	0x08		/* an absolute path */
#define K_NONE	0x10		/* "none" means unset, the default */
#define K_STDERR 0x20		/* "stderr" means unset, the default */

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

struct parse {
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
	const struct key *pkey;		/* the value being joined */
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

static key_set_fn	set_command, set_profile, set_uint, set_size,
			set_class, set_duration, set_codes, set_ready,
			set_listen, set_user, set_group, set_path, set_umask,
			set_log_level, set_bool;

#define F(field)	offsetof(struct conf, field)
#define DMAX		CONF_DURATION_MAX_MS
#define WMAX		SIZE_WORKERS_MAX

static const struct key keys[] = {
	[CONF_KEY_COMMAND] = { "command", set_command, 0, 0, 0, K_CONT },
	[CONF_KEY_PROFILE] = { "profile", set_profile, 0, 0, 0, 0 },
	[CONF_KEY_WORKERS] = { "workers", set_uint, F(workers), 1, WMAX,
	    K_AUTO },
	[CONF_KEY_MAX_WORKERS] = { "max_workers", set_uint, F(max_workers),
	    1, WMAX, K_AUTO },
	[CONF_KEY_MIN_WORKERS] = { "min_workers", set_uint, F(min_workers),
	    1, WMAX, 0 },
	[CONF_KEY_WORKERS_PER_CPU] = { "workers_per_cpu", set_uint,
	    F(workers_per_cpu), 1, 1024, 0 },
	[CONF_KEY_EXTRA_WORKERS] = { "extra_workers", set_uint,
	    F(extra_workers), 0, WMAX, 0 },
	[CONF_KEY_CPUS] = { "cpus", set_uint, F(cpus), 1, 65536, K_AUTO },
	[CONF_KEY_MEMORY] = { "memory", set_size, F(memory), MIB, UINT64_MAX,
	    K_AUTO },
	[CONF_KEY_WORKER_MEMORY] = { "worker_memory", set_size,
	    F(worker_memory), MIB, UINT64_MAX, K_OFF },
	[CONF_KEY_WORKER_CLASS] = { "worker_class", set_class, 0, 1, 64, 0 },
	[CONF_KEY_GRACEFUL_TIMEOUT] = { "graceful_timeout", set_duration,
	    F(graceful_timeout), 0, DMAX, 0 },
	[CONF_KEY_MIN_UPTIME] = { "min_uptime", set_duration, F(min_uptime),
	    0, DMAX, 0 },
	[CONF_KEY_RESTART_DELAY] = { "restart_delay", set_duration,
	    F(restart_delay), 1, DMAX, 0 },
	[CONF_KEY_RESTART_DELAY_MAX] = { "restart_delay_max", set_duration,
	    F(restart_delay_max), 1, DMAX, 0 },
	[CONF_KEY_HALT_EXIT_CODES] = { "halt_exit_codes", set_codes, 0, 0,
	    255, K_CONT | K_NONE },
	[CONF_KEY_READY] = { "ready", set_ready, 0, 0, 0, 0 },
	[CONF_KEY_READY_TIMEOUT] = { "ready_timeout", set_duration,
	    F(ready_timeout), 1, DMAX, 0 },
	[CONF_KEY_TIMEOUT] = { "timeout", set_duration, F(timeout), 0, DMAX,
	    K_OFF },
	[CONF_KEY_LISTEN] = { "listen", set_listen, 0, 1, 65535,
	    K_CONT | K_NONE },
	[CONF_KEY_BACKLOG] = { "backlog", set_uint, F(backlog), 1, 65535, 0 },
	[CONF_KEY_USER] = { "user", set_user, 0, 0, 0, 0 },
	[CONF_KEY_GROUP] = { "group", set_group, 0, 0, 0, 0 },
	[CONF_KEY_CHDIR] = { "chdir", set_path, F(chdir), 0, 0, K_ABS },
	[CONF_KEY_UMASK] = { "umask", set_umask, 0, 0, 0777, 0 },
	[CONF_KEY_PIDFILE] = { "pidfile", set_path, F(pidfile), 0, 0,
	    K_NONE },
	[CONF_KEY_LOG_LEVEL] = { "log_level", set_log_level, 0, 0, 0, 0 },
	[CONF_KEY_LOG_FILE] = { "log_file", set_path, F(log_file), 0, 0,
	    K_STDERR },
	[CONF_KEY_FORWARD_USR1] = { "forward_usr1", set_bool,
	    F(forward_usr1), 0, 0, 0 },
};

static_assert(nitems(keys) == CONF_KEY_COUNT, "a key without an entry");


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
parse_collect(struct parse *p, unsigned line, char *msg)
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

static void	parse_error(struct parse *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Reports a problem of the file at line: "NAME:LINE: message". */
static void
parse_error(struct parse *p, unsigned line, const char *fmt, ...)
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

static void	report_value(struct report *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Reports a bad value: "FILE:LINE: KEY: message" from the file,
 * "ORIGIN: message" from conf_set(), where the origin names the key.
 */
static void
report_value(struct report *r, const char *fmt, ...)
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

		if (r->p != NULL)
			rc = asprintf(&msg, "%s:%u: %s: %s", r->p->name,
			    r->line, r->key, body);
		else
			rc = asprintf(&msg, "%s: %s", r->origin, body);
		if (rc == -1)
			msg = NULL;
	}
	free(body);
	if (r->p != NULL)
		parse_collect(r->p, r->line, msg);
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
parse_emit(struct parse *p, struct strv *errs)
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
 * Word splitting.
 */

/*
 * Setters: each checks a value and stores it in c, or reports what is
 * wrong and leaves c as it was. They return 0 or -1.
 */

static void
report_oom(struct report *r)
{
	report_value(r, "out of memory");
}

static bool
is_keyword(const struct key *k, const char *v)
{
	return ((k->flags & K_AUTO) && strcmp(v, "auto") == 0) ||
	    ((k->flags & K_OFF) && strcmp(v, "off") == 0);
}

static void
report_number(struct report *r, enum conf_perr rc, const char *v, uint64_t min,
    uint64_t max)
{
	if (rc == CONF_PE_RANGE)
		report_value(r, "%s is out of range (%ju to %ju)", v,
		    (uintmax_t)min, (uintmax_t)max);
	else
		report_value(r, "'%s' is not a number", v);
}

static int
set_uint(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	unsigned	*field = (unsigned *)(void *)((char *)c + k->off);
	uint64_t	 n = 0;
	enum conf_perr	 rc;

	if (!is_keyword(k, v) &&
	    (rc = conf_parse_number(v, k->min, k->max, &n)) != CONF_PE_OK) {
		report_number(r, rc, v, k->min, k->max);
		return -1;
	}
	*field = (unsigned)n;
	return 0;
}

/* Formats a duration the way a user would write it: "30s", "1500ms". */
static const char *
format_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%juh", (uintmax_t)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%jum", (uintmax_t)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%jus", (uintmax_t)(ms / 1000));
	else
		snprintf(buf, len, "%jums", (uintmax_t)ms);
	return buf;
}

static int
set_duration(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	uint64_t	*field = (uint64_t *)(void *)((char *)c + k->off);
	uint64_t	 ms = 0;
	char		 lo[32], hi[32];
	enum conf_perr	 rc = CONF_PE_OK;

	if (!is_keyword(k, v) && (rc = conf_parse_ms(v, &ms)) ==
	    CONF_PE_OK && (ms < k->min || ms > k->max))
		rc = CONF_PE_RANGE;
	switch (rc) {
	case CONF_PE_OK:
		*field = ms;
		return 0;
	case CONF_PE_RANGE:
		report_value(r, "%s is out of range (%s to %s)", v,
		    format_ms(k->min, lo, sizeof(lo)),
		    format_ms(k->max, hi, sizeof(hi)));
		return -1;
	case CONF_PE_FRACTION:
		report_value(r, "'%s' is not a whole number of milliseconds",
		    v);
		return -1;
	default:
		report_value(r, "'%s' is not a duration (use ms, s, m, h)", v);
		return -1;
	}
}

static int
set_size(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	uint64_t	*field = (uint64_t *)(void *)((char *)c + k->off);
	uint64_t	 n = 0;
	enum conf_perr	 rc = CONF_PE_OK;

	if (!is_keyword(k, v) && (rc = conf_parse_bytes(v, &n)) ==
	    CONF_PE_OK && n < k->min)
		rc = CONF_PE_RANGE;
	switch (rc) {
	case CONF_PE_OK:
		*field = n;
		return 0;
	case CONF_PE_RANGE:
		report_value(r, "%s is out of range (at least 1M)", v);
		return -1;
	case CONF_PE_OVERFLOW:
		report_value(r, "'%s' is too large (more than 64 bits)", v);
		return -1;
	default:
		report_value(r, "'%s' is not a size (use K, M, G, T)", v);
		return -1;
	}
}

/* Replaces *field with a copy of v. */
static int
replace_string(char **field, const char *v, struct report *r)
{
	char	*copy;

	if ((copy = strdup(v)) == NULL) {
		report_oom(r);
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

static int
set_path(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	char	**field = (char **)(void *)((char *)c + k->off);

	/* The default written out: a file so named is "./none". */
	if (((k->flags & K_NONE) && strcmp(v, "none") == 0) ||
	    ((k->flags & K_STDERR) && strcmp(v, "stderr") == 0)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if ((k->flags & K_ABS) && *v != '/') {
		report_value(r, "'%s' is not an absolute path", v);
		return -1;
	}
	return replace_string(field, v, r);
}

static int
set_command(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv	 argv = STRV_INIT;
	const char	*why;

	if (words_split(v, &argv, &why) == -1) {
		report_value(r, "%s", why);
		return -1;
	}
	if (argv.n == 0 || argv.v[0][0] == '\0') {
		report_value(r, argv.n == 0 ? "no program to run" :
		    "the program name is empty");
		strv_free(&argv);
		return -1;
	}
	if (replace_string(&c->command, v, r) == -1) {
		strv_free(&argv);
		return -1;
	}
	strv_free(&c->argv);
	c->argv = argv;
	return 0;
}

static int
set_profile(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	const struct profile	*pr;
	char			 names[256];
	size_t			 i, n = 0;

	if ((pr = size_profile_find(v)) != NULL) {
		c->profile = pr;
		return 0;
	}
	names[0] = '\0';
	for (i = 0; i < size_nprofiles && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		    i > 0 ? ", " : "", size_profiles[i].name);
	report_value(r, "unknown profile '%s' (%s)", v, names);
	return -1;
}

static int
set_class(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	size_t	n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-");

	if (v[n] != '\0' || n < k->min || n > k->max) {
		report_value(r, "'%s' is not a class name (1 to 64 letters, "
		    "digits, _ . : -)", v);
		return -1;
	}
	return replace_string(&c->worker_class, v, r);
}

static int
set_codes(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv	 items = STRV_INIT;
	uint8_t		 codes[sizeof(c->halt_exit_codes)] = { 0 };
	const char	*why;
	uint64_t	 n;
	enum conf_perr	 rc = CONF_PE_OK;
	size_t		 i;

	if ((k->flags & K_NONE) && strcmp(v, "none") == 0) {
		memset(c->halt_exit_codes, 0, sizeof(c->halt_exit_codes));
		return 0;
	}
	if (conf_parse_list(v, &items, &why) == -1) {
		report_value(r, "%s", why);
		strv_free(&items);
		return -1;
	}
	for (i = 0; rc == CONF_PE_OK && i < items.n; i++) {
		rc = conf_parse_number(items.v[i], k->min, k->max, &n);
		if (rc == CONF_PE_OK)
			codes[n / 8] |= (uint8_t)(1u << (n % 8));
		else
			report_number(r, rc, items.v[i], k->min, k->max);
	}
	strv_free(&items);
	if (rc != CONF_PE_OK)
		return -1;
	memcpy(c->halt_exit_codes, codes, sizeof(codes));
	return 0;
}

static int
set_ready(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	if (strcmp(v, "exec") == 0)
		c->ready = READY_EXEC;
	else if (strcmp(v, "notify") == 0)
		c->ready = READY_NOTIFY;
	else {
		report_value(r, "unknown mode '%s' (exec, notify)", v);
		return -1;
	}
	return 0;
}

/* A yes-or-no key: yes, true, on, 1 or no, false, off, 0. */
static int
set_bool(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	bool	*field = (bool *)((char *)c + k->off);

	if (conf_parse_bool(v, field) == -1) {
		report_value(r, "'%s' is not yes or no", v);
		return -1;
	}
	return 0;
}

static int
set_log_level(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	if (log_level_parse(v, &c->log_level) == -1) {
		report_value(r, "unknown level '%s' (error, warn, info, debug)",
		    v);
		return -1;
	}
	return 0;
}

static int
set_umask(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	unsigned	mode;

	if (conf_parse_mode(v, (unsigned)k->max, &mode) == -1) {
		report_value(r, "'%s' is not an octal mode (0 to 0777)", v);
		return -1;
	}
	c->umask = (mode_t)mode;
	c->umask_set = true;
	return 0;
}

/*
 * listen: "HOST:PORT", "[IPV6]:PORT" or "unix:/PATH", as addr.c parses
 * them.
 */

static int
set_listen(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv		 items = STRV_INIT;
	struct listen_addr	 addr;
	const char		*why = NULL;
	size_t			 i, j;

	if ((k->flags & K_NONE) && strcmp(v, "none") == 0) {
		strv_free(&c->listen);
		return 0;
	}
	if (conf_parse_list(v, &items, &why) == -1) {
		report_value(r, "%s", why);
		strv_free(&items);
		return -1;
	}
	for (i = 0; i < items.n; i++) {
		if ((why = addr_parse(items.v[i], &addr)) != NULL) {
			report_value(r, "'%s': %s", items.v[i], why);
			break;
		}
		for (j = 0; j < i; j++)
			if (strcmp(items.v[i], items.v[j]) == 0)
				break;
		if (j < i) {
			report_value(r, "'%s' is listed twice", items.v[i]);
			why = "";
			break;
		}
	}
	if (why != NULL) {
		strv_free(&items);
		return -1;
	}
	strv_free(&c->listen);
	c->listen = items;
	return 0;
}

/*
 * Credentials: user and group are looked up as they are read, so that a
 * name the system does not know is reported at its line.
 */

static int
set_user(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct passwd	*pw;
	char		*name;

	if ((pw = creds_find_user(v)) == NULL) {
		if (errno != ENOENT)
			report_value(r, "cannot look up '%s': %s", v,
			    strerror(errno));
		else
			report_value(r, "unknown user '%s'", v);
		return -1;
	}
	if ((name = strdup(pw->pw_name)) == NULL) {
		report_oom(r);
		return -1;
	}
	if (replace_string(&c->user, v, r) == -1) {
		free(name);
		return -1;
	}
	free(c->user_name);
	c->user_name = name;
	c->uid = pw->pw_uid;
	c->user_gid = pw->pw_gid;
	return 0;
}

static int
set_group(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct group	*gr;

	if ((gr = creds_find_group(v)) == NULL) {
		if (errno != ENOENT)
			report_value(r, "cannot look up '%s': %s", v,
			    strerror(errno));
		else
			report_value(r, "unknown group '%s'", v);
		return -1;
	}
	if (replace_string(&c->group, v, r) == -1)
		return -1;
	c->group_gid = gr->gr_gid;
	return 0;
}

/*
 * Computes the worker's gid and groups from user and group, which may
 * be set in any order. Returns 0, or -1 (ENOMEM), keeping the old ones.
 */
static int
conf_resolve_creds(struct conf *c)
{
	gid_t	*groups = NULL;
	size_t	 ngroups = 0;
	gid_t	 gid = (gid_t)-1;

	if (c->group != NULL)
		gid = c->group_gid;
	if (c->user != NULL) {
		if (c->group == NULL)
			gid = c->user_gid;
		if (creds_list_groups(c->user_name, gid, &groups,
		    &ngroups) == -1)
			return -1;
	}
	free(c->groups);
	c->groups = groups;
	c->ngroups = ngroups;
	c->gid = gid;
	return 0;
}

/*
 * Keys.
 */

static const struct key *
key_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
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

/* The known name closest to name, if within 2 edits; NULL otherwise. */
static const char *
suggest(const char *name, const char *const *names, size_t n)
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

static const char *
key_suggest(const char *name)
{
	const char	*names[CONF_KEY_COUNT];
	size_t		 i;

	for (i = 0; i < nitems(keys); i++)
		names[i] = keys[i].name;
	return suggest(name, names, nitems(names));
}

/* Checks v and sets key k; an empty value is an error for every key. */
static int
key_apply(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	if (*v == '\0') {
		report_value(r, "empty value");
		return -1;
	}
	if (k->set(c, k, v, r) == -1)
		return -1;
	if ((k == &keys[CONF_KEY_USER] || k == &keys[CONF_KEY_GROUP]) &&
	    conf_resolve_creds(c) == -1) {
		report_oom(r);
		return -1;
	}
	return 0;
}

/*
 * The file: continuation lines.
 */

static struct report
report_line(struct parse *p, const struct key *k, unsigned line)
{
	struct report	r = { .p = p, .key = k->name, .line = line };

	return r;
}

/* Starts the value of a key that may continue on the next lines. */
static void
pending_start(struct parse *p, const struct key *k, const char *v)
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
pending_drop(struct parse *p)
{
	free(p->pend);
	p->pend = NULL;
	p->pkey = NULL;
	p->plen = p->pcap = 0;
}

/* Appends n bytes of a continuation line, joined with one space. */
static void
pending_append(struct parse *p, const char *v, size_t n)
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
pending_flush(struct parse *p)
{
	struct report	r;

	if (p->pkey == NULL)
		return;
	/* An indented line after a line inih did not take is not ours. */
	p->cont = CONT_IGNORE;
	r = report_line(p, p->pkey, p->pline);
	key_apply(p->c, p->pkey, p->pend, &r);
	pending_drop(p);
}

/*
 * The file: the handler inih calls for each value.
 */

static void
parse_prefork(struct parse *p, const char *name, const char *v)
{
	const struct key	*k = key_find(name);
	struct report		 r;
	size_t			 i;

	if (k == NULL) {
		const char	*near = key_suggest(name);

		if (near != NULL)
			parse_error(p, p->lineno, "unknown key '%s' in "
			    "[prefork] (did you mean '%s'?)", name, near);
		else
			parse_error(p, p->lineno, "unknown key '%s' in "
			    "[prefork]", name);
		return;
	}
	i = (size_t)(k - keys);
	if (p->seen[i] != 0) {
		parse_error(p, p->lineno, "duplicate key '%s' (first set on "
		    "line %u)", name, p->seen[i]);
		return;
	}
	p->seen[i] = p->c->lines[i] = p->lineno;
	if (k->flags & K_CONT) {
		pending_start(p, k, v);
		return;
	}
	p->cont = CONT_REJECT;
	snprintf(p->cname, sizeof(p->cname), "%s", name);
	r = report_line(p, k, p->lineno);
	key_apply(p->c, k, v, &r);
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
env_add(struct parse *p, const char *name, const char *v)
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
parse_env(struct parse *p, const char *name, const char *v)
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
parse_continuation(struct parse *p, const char *v)
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
	struct parse	*p = user;

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
parse_getc(struct parse *p)
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
parse_read_line(struct parse *p, size_t *len)
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
parse_section(struct parse *p, const char *start)
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
		if ((near = suggest(name, names, nitems(names))) != NULL)
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
parse_classify(struct parse *p, size_t len)
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
parse_line_end(struct parse *p)
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
	struct parse	*p = stream;
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

static int
conf_parse(struct parse *p, struct strv *errs)
{
	struct conf	*c = p->c;
	char		*msg;
	size_t		 i;

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

/*
 * The API.
 */

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->profile = size_profile_default();
	c->min_workers = 1;
	c->workers_per_cpu = 2;
	c->extra_workers = 1;
	c->graceful_timeout = 30000;
	c->min_uptime = 1000;
	c->restart_delay = 100;
	c->restart_delay_max = 30000;
	c->ready = READY_EXEC;
	c->ready_timeout = 60000;
	c->timeout = 0;
	c->backlog = 2048;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->user_gid = (gid_t)-1;
	c->group_gid = (gid_t)-1;
	c->log_level = LOG_LEVEL_INFO;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	free(c->path);
	strv_free(&c->argv);
	free(c->command);
	free(c->worker_class);
	strv_free(&c->listen);
	free(c->user);
	free(c->group);
	free(c->groups);
	free(c->user_name);
	free(c->chdir);
	free(c->pidfile);
	free(c->log_file);
	strv_free(&c->env);
	for (i = 0; i < nitems(c->origins); i++)
		free(c->origins[i]);
	conf_init(c);
}

int
conf_load(struct conf *c, const char *path, struct strv *errs)
{
	struct parse	 p = { .c = c, .name = path };
	char		 why[SAFEFILE_WHY_MAX];
	int		 n;

	if ((p.fp = fopen(path, "re")) == NULL) {
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
	if (geteuid() == 0 && safefile_check_conf(fileno(p.fp), path, why,
	    sizeof(why)) == -1) {
		if (strv_pushf(errs, "%s: %s", path, why) == -1)
			(void)strv_push(errs, "out of memory");
		fclose(p.fp);
		return 1;
	}
	n = conf_parse(&p, errs);
	fclose(p.fp);
	return n;
}

int
conf_load_string(struct conf *c, const char *name, const char *text,
    struct strv *errs)
{
	struct parse	p = { .c = c, .name = name, .s = text };

	return conf_parse(&p, errs);
}

int
conf_set(struct conf *c, const char *key, const char *value,
    const char *origin, struct strv *errs)
{
	const struct key	*k = key_find(key);
	struct report		 r = { .errs = errs, .origin = origin,
				    .key = key };
	char			*copy;
	size_t			 i;

	if (k == NULL) {
		const char	*near = key_suggest(key);

		if (near != NULL)
			report_value(&r, "unknown key '%s' (did you mean "
			    "'%s'?)", key, near);
		else
			report_value(&r, "unknown key '%s'", key);
		return r.n;
	}
	if (key_apply(c, k, value, &r) == -1)
		return r.n;
	i = (size_t)(k - keys);
	if ((copy = strdup(origin)) == NULL) {
		report_oom(&r);
		return r.n;
	}
	free(c->origins[i]);
	c->origins[i] = copy;
	c->lines[i] = 0;
	return 0;
}

int
conf_set_argv(struct conf *c, char *const argv[], int argc)
{
	struct strv	 words = STRV_INIT;
	char		*command;
	size_t		 i;

	if (argc <= 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < (size_t)argc; i++) {
		if (strv_push(&words, argv[i]) == -1) {
			strv_free(&words);
			return -1;
		}
	}
	if ((command = words_join(argv, (size_t)argc)) == NULL) {
		strv_free(&words);
		return -1;
	}
	strv_free(&c->argv);
	c->argv = words;
	free(c->command);
	c->command = command;
	c->lines[CONF_KEY_COMMAND] = 0;
	return 0;
}

/* The command key's grammar is the shell's, kept in words.c. */
int
conf_split_words(const char *s, struct strv *words, const char **why)
{
	return words_split(s, words, why);
}

const char *
conf_key_where(const struct conf *c, enum conf_key k, char *buf, size_t len)
{
	if (c->lines[k] != 0 && c->path != NULL)
		snprintf(buf, len, "%s:%u: ", c->path, c->lines[k]);
	else if (c->origins[k] != NULL)
		snprintf(buf, len, "%s: ", c->origins[k]);
	else
		return "";
	return buf;
}

/*
 * Where a cross-key problem is reported: at the first of keys a, b that
 * was set, by its line in the file or its origin ("" for defaults).
 */
static const char *
conf_where(const struct conf *c, enum conf_key a, enum conf_key b,
    char *buf, size_t len)
{
	const char	*w = conf_key_where(c, a, buf, len);

	return *w != '\0' ? w : conf_key_where(c, b, buf, len);
}

int
conf_validate(struct conf *c, struct strv *errs)
{
	char	where[PATH_MAX + 32];
	int	n = 0;

	if (c->max_workers != 0 && c->min_workers > c->max_workers) {
		n++;
		if (strv_pushf(errs, "%smin_workers (%u) is above max_workers "
		    "(%u)", conf_where(c, CONF_KEY_MIN_WORKERS,
		    CONF_KEY_MAX_WORKERS, where, sizeof(where)),
		    c->min_workers, c->max_workers) == -1)
			(void)strv_push(errs, "out of memory");
	}
	if (c->restart_delay > c->restart_delay_max) {
		char	x[32], y[32];

		n++;
		if (strv_pushf(errs, "%srestart_delay (%s) is above "
		    "restart_delay_max (%s)", conf_where(c,
		    CONF_KEY_RESTART_DELAY, CONF_KEY_RESTART_DELAY_MAX, where,
		    sizeof(where)), format_ms(c->restart_delay, x, sizeof(x)),
		    format_ms(c->restart_delay_max, y, sizeof(y))) == -1)
			(void)strv_push(errs, "out of memory");
	}
	if (c->timeout != 0 && c->ready == READY_EXEC) {
		n++;
		if (strv_pushf(errs, "%stimeout needs ready = notify (ready is "
		    "exec)", conf_where(c, CONF_KEY_TIMEOUT, CONF_KEY_READY,
		    where, sizeof(where))) == -1)
			(void)strv_push(errs, "out of memory");
	}
	return n;
}

const char *
conf_worker_class(const struct conf *c)
{
	return c->worker_class != NULL ? c->worker_class :
	    c->profile->worker_class;
}

bool
conf_halts(const struct conf *c, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (c->halt_exit_codes[code / 8] >> (code % 8)) & 1;
}

bool
conf_worker_changed(const struct conf *a, const struct conf *b)
{
	if (!strv_equal(&a->argv, &b->argv) || !strv_equal(&a->env, &b->env))
		return true;
	if (strcmp(conf_worker_class(a), conf_worker_class(b)) != 0)
		return true;
	if (a->uid != b->uid || a->gid != b->gid ||
	    a->ngroups != b->ngroups || (a->ngroups > 0 &&
	    memcmp(a->groups, b->groups, a->ngroups * sizeof(gid_t)) != 0))
		return true;
	if (!util_streq(a->chdir, b->chdir))
		return true;
	/* Sockets and readiness show in the worker's fds and LISTEN_*,
	   NOTIFY_SOCKET and WATCHDOG_USEC. */
	if (!strv_equal(&a->listen, &b->listen) || a->ready != b->ready ||
	    a->timeout != b->timeout)
		return true;
	return a->umask_set != b->umask_set ||
	    (a->umask_set && a->umask != b->umask);
}

int
conf_build(struct conf *c, const struct conf_source *src, struct strv *errs)
{
	size_t	i;
	int	n = 0;

	conf_init(c);
	if (src->path != NULL)
		n += conf_load(c, src->path, errs);
	for (i = 0; i + 2 < src->overrides.n; i += 3)
		n += conf_set(c, src->overrides.v[i], src->overrides.v[i + 1],
		    src->overrides.v[i + 2], errs);
	if (src->argc > 0 && conf_set_argv(c, src->argv, src->argc) == -1) {
		strv_pushf(errs, "out of memory");
		n++;
	}
	/* Cross-key messages about a file that is already wrong confuse. */
	if (n == 0)
		n += conf_validate(c, errs);
	return n;
}
