/* SPDX-License-Identifier: ISC */
/*
 * The master's state as text, for an in-place upgrade (state.h): the
 * tables of the records, the rules, and the writer; the reader is
 * state_read.c.
 *
 * Each record is a table of fields (name, type, offset, bounds) that the
 * writer and the reader both walk, so that they cannot disagree on the
 * order of the fields or their limits; the rules that span records (fds
 * distinct, a worker's slot, two workers in one place) are one function
 * that both call.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state_impl.h"
#include "util.h"

#define S(m)		offsetof(struct state, m)
#define NUM(st, m, t, lo, hi, fl) \
	{ #m, t, offsetof(st, m), lo, hi, fl, 0 }
#define TIME(st, m)	{ #m, F_TIME, offsetof(st, m), 0, 0, 0, 0 }
#define BOOL(st, m)	{ #m, F_BOOL, offsetof(st, m), 0, 1, 0, 0 }
#define STR(st, m, fl)	{ #m, F_STR, offsetof(st, m), 0, 0, fl, 0 }
#define FD(st, m, lo) \
	{ #m, F_INT, offsetof(st, m), lo, STATE_FD_MAX, F_FD, 0 }
#define U64(st, m)	{ #m, F_U64, offsetof(st, m), 0, UINT64_MAX, 0, 0 }

static const struct state_field	version_fields[] = {
	STR(struct state, version, 0),
};

static const struct state_field	master_fields[] = {
	NUM(struct state, pid, F_LONG, 1, INT_MAX, 0),
	TIME(struct state, written),
	NUM(struct state, gen, F_UINT, 0, UINT_MAX, 0),
	TIME(struct state, started),
	{ "exits", F_COUNTERS, S(exits), 0, UINT64_MAX, 0, S(nexits) },
	{ "reloads", F_COUNTERS, S(reloads), 0, UINT64_MAX, 0, S(nreloads) },
	{ "scaled_up", F_U64, S(scaled), 0, UINT64_MAX, 0, 0 },
	{ "scaled_down", F_U64, S(scaled) + sizeof(uint64_t), 0, UINT64_MAX,
	    0, 0 },
	TIME(struct state, watchdog_at),
	NUM(struct state, lc_state, F_UINT, 0, 7, 0),
};

static const struct state_field	pool_fields[] = {
	NUM(struct state, size, F_UINT, 0, STATE_SLOTS_MAX, 0),
	BOOL(struct state, rolling), BOOL(struct state, booted_any),
	NUM(struct state, first_spawned, F_UINT, 0, UINT_MAX, 0),
	NUM(struct state, first_failed, F_UINT, 0, UINT_MAX, 0),
	NUM(struct state, first_due, F_UINT, 0, UINT_MAX, 0),
};

static const struct state_field	counts_fields[] = {
	{ "slots", F_SIZE, S(nslots), 0, STATE_SLOTS_MAX, 0, 0 },
	{ "workers", F_SIZE, S(nworkers), 0, (uint64_t)STATE_WORKERS_MAX, 0,
	    0 },
	{ "listeners", F_SIZE, S(nlisteners), 0, STATE_LISTENERS_MAX, 0, 0 },
};

static const struct state_field	slot_fields[] = {
	NUM(struct state_slot, failures, F_UINT, 0, UINT_MAX, 0),
	TIME(struct state_slot, restart_at), BOOL(struct state_slot, first_due),
	NUM(struct state_slot, recycling, F_INT, -1, 15, 0),
	NUM(struct state_slot, restarts, F_UINT, 0, UINT_MAX, 0),
	BOOL(struct state_slot, exited),
	NUM(struct state_slot, last_status, F_INT, INT_MIN, INT_MAX, 0),
	TIME(struct state_slot, last_exit), BOOL(struct state_slot, last_oom),
};

static const struct state_field	worker_fields[] = {
	NUM(struct state_worker, pid, F_INT, 2, INT_MAX, 0),
	NUM(struct state_worker, slot, F_UINT, 0, STATE_SLOTS_MAX - 1, 0),
	NUM(struct state_worker, state, F_UINT, 0, 7, 0),
	NUM(struct state_worker, generation, F_UINT, 0, UINT_MAX, 0),
	TIME(struct state_worker, spawned), TIME(struct state_worker, ready_at),
	TIME(struct state_worker, seen), TIME(struct state_worker, kill_at),
	TIME(struct state_worker, heartbeat),
	TIME(struct state_worker, lifetime),
	BOOL(struct state_worker, was_ready),
	BOOL(struct state_worker, exec_failed),
	BOOL(struct state_worker, first),
	NUM(struct state_worker, role, F_UINT, 0, 2, 0),
	NUM(struct state_worker, stop_why, F_INT, -1, 15, 0),
};

static const struct state_field	listener_fields[] = {
	FD(struct state_listener, fd, 0),
	STR(struct state_listener, addr, 0),
	STR(struct state_listener, name, F_EMPTY),
	BOOL(struct state_listener, adopted),
	STR(struct state_listener, path, F_NULL),
	U64(struct state_listener, dev), U64(struct state_listener, ino),
};

static const struct state_field	fds_fields[] = {
	BOOL(struct state, activated),
	FD(struct state, notify_fd, -1), STR(struct state, notify_env, F_NULL),
	FD(struct state, control_fd, -1),
	STR(struct state, control_path, F_NULL),
	U64(struct state, control_dev), U64(struct state, control_ino),
	FD(struct state, reply_fd, -1),
	FD(struct state, http_fd, -1), STR(struct state, http_addr, F_NULL),
	FD(struct state, pidfile_fd, -1), FD(struct state, pidfile_dirfd, -1),
	STR(struct state, pidfile_path, F_NULL),
	U64(struct state, pidfile_dev), U64(struct state, pidfile_ino),
	NUM(struct state, guard_pid, F_LONG, 2, INT_MAX, F_NONE),
	FD(struct state, guard_fd, -1),
};

#define REC(name, f, pos)	{ name, f, nitems(f), pos }

const struct state_record	state_records[R_NREC] = {
	REC("version", version_fields, true),
	REC("master", master_fields, false),
	REC("pool", pool_fields, false),
	REC("counts", counts_fields, false),
	REC("slot", slot_fields, false),
	REC("worker", worker_fields, false),
	REC("listener", listener_fields, false),
	REC("fds", fds_fields, false),
};

int
state_fail(struct state_ctx *c, const char *fmt, ...)
{
	va_list	ap;
	char	msg[320];

	if (c->whylen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->reading && c->kind != NULL)
		snprintf(c->why, c->whylen, "line %ld: %s: %s", c->line,
		    c->kind, msg);
	else if (c->reading && c->line > 0)
		snprintf(c->why, c->whylen, "line %ld: %s", c->line, msg);
	else if (c->kind != NULL && c->counted)
		snprintf(c->why, c->whylen, "%s %zu: %s", c->kind, c->index,
		    msg);
	else if (c->kind != NULL)
		snprintf(c->why, c->whylen, "%s: %s", c->kind, msg);
	else
		snprintf(c->why, c->whylen, "%s", msg);
	return -1;
}

/* A piece of a line for a reason: at most 32 bytes, then "...". */
const char *
state_show(const char *p, size_t n, char *buf, size_t len)
{
	if (n > 32)
		snprintf(buf, len, "%.32s...", p);
	else
		snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

bool
state_counted(enum state_rec r)
{
	return r == R_SLOT || r == R_WORKER || r == R_LISTENER;
}

size_t
state_rec_count(const struct state *s, enum state_rec r)
{
	switch (r) {
	case R_SLOT:
		return s->nslots;
	case R_WORKER:
		return s->nworkers;
	case R_LISTENER:
		return s->nlisteners;
	default:
		return 1;
	}
}

/*
 * Record r's instance i. Writable for the reader, which fills its own
 * state; the writer and the checks only read through it.
 */
void *
state_rec_base(const struct state *s, enum state_rec r, size_t i)
{
	switch (r) {
	case R_SLOT:
		return (void *)&s->slots[i];
	case R_WORKER:
		return (void *)&s->workers[i];
	case R_LISTENER:
		return (void *)&s->listeners[i];
	default:
		return (void *)s;
	}
}

/*
 * Points c at record r, instance i: its line is fixed by the counts,
 * since every record has its place (line 1 is the magic's).
 */
void
state_where(struct state_ctx *c, const struct state *s, enum state_rec r,
    size_t i)
{
	int	k;

	c->kind = state_records[r].name;
	c->index = i;
	c->counted = state_counted(r);
	c->line = 2 + (long)i;
	for (k = 0; k < (int)r; k++)
		c->line += (long)state_rec_count(s, (enum state_rec)k);
}

static struct state_ival
load_int(const void *p, enum state_ftype t)
{
	struct state_ival	v = { false, 0 };
	int64_t		sv;

	switch (t) {
	case F_INT:
		sv = *(const int *)p;
		break;
	case F_LONG:
		sv = *(const long *)p;
		break;
	case F_UINT:
		v.mag = *(const unsigned *)p;
		return v;
	case F_SIZE:
		v.mag = *(const size_t *)p;
		return v;
	default:
		v.mag = *(const uint64_t *)p;
		return v;
	}
	v.neg = sv < 0;
	v.mag = sv < 0 ? (uint64_t)(-(sv + 1)) + 1 : (uint64_t)sv;
	return v;
}

/* Stores a number already found within the field's bounds. */
void
state_store_int(void *p, enum state_ftype t, struct state_ival v)
{
	int64_t	sv = v.neg ? -(int64_t)(v.mag - 1) - 1 : (int64_t)v.mag;

	switch (t) {
	case F_INT:
		*(int *)p = (int)sv;
		break;
	case F_LONG:
		*(long *)p = (long)sv;
		break;
	case F_UINT:
		*(unsigned *)p = (unsigned)v.mag;
		break;
	case F_SIZE:
		*(size_t *)p = (size_t)v.mag;
		break;
	default:
		*(uint64_t *)p = v.mag;
		break;
	}
}

bool
state_in_range(const struct state_field *f, struct state_ival v)
{
	uint64_t	lo;

	if (v.neg) {
		if ((f->flags & F_NONE) && v.mag == 1)
			return true;
		if (f->min >= 0)
			return false;
		return v.mag <= (uint64_t)(-(f->min + 1)) + 1;
	}
	lo = f->min > 0 ? (uint64_t)f->min : 0;
	return v.mag >= lo && v.mag <= f->max;
}

int
state_out_of_range(struct state_ctx *c, const struct state_field *f,
    const char *val)
{
	return state_fail(c, "%s %s is out of range (%s%" PRId64 " to %" PRIu64
	    ")", f->name, val, f->flags & F_NONE ? "-1, or " : "", f->min,
	    f->max);
}

/*
 * The rules of one field's value in the struct, for the writer, and for
 * the reader once it stored it (numbers it checks before).
 */
int
state_check_field(struct state_ctx *c, const void *base,
    const struct state_field *f)
{
	const char	*p = (const char *)base + f->off;
	const char	*str;
	struct state_ival	 v;
	double		 d;
	char		 num[32];

	switch (f->type) {
	case F_BOOL:
		return 0;
	case F_TIME:
		memcpy(&d, p, sizeof(d));
		if (!isfinite(d))
			return state_fail(c, "%s is not finite", f->name);
		if (signbit(d))
			return state_fail(c, "%s is negative", f->name);
		return 0;
	case F_STR:
		if ((str = *(char *const *)p) == NULL)
			return f->flags & F_NULL ? 0 :
			    state_fail(c, "%s is missing", f->name);
		if (strnlen(str, STATE_STR_MAX + 1) > STATE_STR_MAX)
			return state_fail(c, "%s is longer than %d bytes",
			    f->name, STATE_STR_MAX);
		if (*str == '\0' && !(f->flags & F_EMPTY))
			return state_fail(c, "%s is empty", f->name);
		return 0;
	case F_COUNTERS:
		if (*(const unsigned *)((const char *)base + f->count) >
		    STATE_COUNTERS_MAX)
			return state_fail(c, "%s has more than %d counters",
			    f->name, STATE_COUNTERS_MAX);
		return 0;
	default:
		v = load_int(p, f->type);
		if (state_in_range(f, v))
			return 0;
		snprintf(num, sizeof(num), "%s%" PRIu64, v.neg ? "-" : "",
		    v.mag);
		return state_out_of_range(c, f, num);
	}
}

/* --- the rules that span records --- */

struct pidref {
	int	pid;
	size_t	i;
};

static int
pidref_cmp(const void *a, const void *b)
{
	const struct pidref	*x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Two workers with one pid: the later of the first such pair. */
static int
check_pids(struct state_ctx *c, const struct state *s)
{
	struct pidref	*refs;
	size_t		 i, bad = SIZE_MAX;

	if (s->nworkers < 2)
		return 0;
	if ((refs = calloc(s->nworkers, sizeof(*refs))) == NULL)
		return state_fail(c, "out of memory");
	for (i = 0; i < s->nworkers; i++) {
		refs[i].pid = s->workers[i].pid;
		refs[i].i = i;
	}
	qsort(refs, s->nworkers, sizeof(*refs), pidref_cmp);
	for (i = 1; i < s->nworkers; i++)
		if (refs[i].pid == refs[i - 1].pid && refs[i].i < bad)
			bad = refs[i].i;
	free(refs);
	if (bad == SIZE_MAX)
		return 0;
	state_where(c, s, R_WORKER, bad);
	return state_fail(c, "pid %d is another worker's too",
	    s->workers[bad].pid);
}

/*
 * Each worker's slot exists, and holds one current worker and one next
 * at most; workers told to stop (role 2) are in no slot's hands.
 */
static int
check_slots(struct state_ctx *c, const struct state *s)
{
	const struct state_worker	*w;
	unsigned char			*held;
	unsigned char			 bit;
	size_t				 i;

	if (s->nworkers == 0)
		return 0;
	if ((held = calloc(s->nslots + 1, 1)) == NULL)
		return state_fail(c, "out of memory");
	for (i = 0; i < s->nworkers; i++) {
		w = &s->workers[i];
		state_where(c, s, R_WORKER, i);
		if (w->slot >= s->nslots) {
			free(held);
			return state_fail(c, "slot %u is not one of the %zu "
			    "slots", w->slot, s->nslots);
		}
		if (w->role == 2)
			continue;
		bit = w->role == 1 ? 2 : 1;
		if (held[w->slot] & bit) {
			free(held);
			return state_fail(c, "slot %u has two %s workers",
			    w->slot, w->role == 1 ? "next" : "current");
		}
		held[w->slot] |= bit;
	}
	free(held);
	return 0;
}

/* Every fd that is not -1 is handed over once, in the text's order. */
static int
check_fds(struct state_ctx *c, const struct state *s)
{
	unsigned char		 seen[(STATE_FD_MAX + 1) / 8];
	const struct state_field	*f;
	const void		*base;
	size_t			 i, k;
	int			 r, fd;

	memset(seen, 0, sizeof(seen));
	for (r = 0; r < R_NREC; r++)
		for (i = 0; i < state_rec_count(s, (enum state_rec)r); i++) {
			base = state_rec_base(s, (enum state_rec)r, i);
			for (k = 0; k < state_records[r].nfields; k++) {
				f = &state_records[r].fields[k];
				if (!(f->flags & F_FD))
					continue;
				fd = *(const int *)((const char *)base +
				    f->off);
				if (fd < 0)
					continue;
				if (seen[fd / 8] & (1u << (fd % 8))) {
					state_where(c, s, (enum state_rec)r, i);
					return state_fail(c, "%s %d is "
					    "handed over twice", f->name, fd);
				}
				seen[fd / 8] |= (unsigned char)(1u << (fd % 8));
			}
		}
	return 0;
}

/*
 * The rules across records, on a state whose every field is within its
 * own bounds.
 */
int
state_check_state(struct state_ctx *c, const struct state *s)
{
	if (s->size > s->nslots) {
		state_where(c, s, R_POOL, 0);
		return state_fail(c, "size %u is more than the %zu slots",
		    s->size, s->nslots);
	}
	if (check_slots(c, s) == -1 || check_pids(c, s) == -1)
		return -1;
	return check_fds(c, s);
}

void
state_init(struct state *s)
{
	memset(s, 0, sizeof(*s));
	s->format = STATE_FORMAT;
	s->notify_fd = s->control_fd = s->reply_fd = -1;
	s->http_fd = s->pidfile_fd = s->pidfile_dirfd = s->guard_fd = -1;
	s->guard_pid = -1;
}

void
state_free(struct state *s)
{
	size_t	i;

	/* The reader may stop between the counts and the arrays. */
	if (s->listeners != NULL)
		for (i = 0; i < s->nlisteners; i++) {
			free(s->listeners[i].addr);
			free(s->listeners[i].name);
			free(s->listeners[i].path);
		}
	free(s->listeners);
	free(s->slots);
	free(s->workers);
	free(s->version);
	free(s->notify_env);
	free(s->control_path);
	free(s->http_addr);
	free(s->pidfile_path);
	state_init(s);
}

/* --- the writer --- */

static void
write_str(struct buf *b, const char *s)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			n;

	if (s == NULL || strcmp(s, "-") == 0) {
		buf_printf(b, "%s", s == NULL ? "-" : "%2D");
		return;
	}
	n = strlen(s);
	if (!buf_room(b, 3 * n))
		return;
	for (; *s != '\0'; s++) {
		unsigned char	ch = (unsigned char)*s;

		if (ch <= ' ' || ch > '~' || ch == '%') {
			b->p[b->len++] = '%';
			b->p[b->len++] = hex[ch >> 4];
			b->p[b->len++] = hex[ch & 0xf];
		} else
			b->p[b->len++] = (char)ch;
	}
	b->p[b->len] = '\0';
}

/* The shortest of %.15g to %.17g that reads back to the same bits. */
static void
write_time(struct buf *b, double d)
{
	char	t[48];
	double	back;
	int	prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*g", prec, d);
		back = strtod(t, NULL);
		if (back == d)	/* the same bits: d is not -0.0, nor NaN */
			break;
	}
	buf_printf(b, "%s", t);
}

static void
write_field(struct buf *b, const void *base, const struct state_field *f)
{
	const char	*p = (const char *)base + f->off;
	const uint64_t		*list;
	struct state_ival	 v;
	unsigned		 n, i;
	double			 d;

	switch (f->type) {
	case F_BOOL:
		buf_printf(b, "%d", *(const bool *)p ? 1 : 0);
		break;
	case F_TIME:
		memcpy(&d, p, sizeof(d));
		write_time(b, d);
		break;
	case F_STR:
		write_str(b, *(char *const *)p);
		break;
	case F_COUNTERS:
		list = (const uint64_t *)p;
		n = *(const unsigned *)((const char *)base + f->count);
		if (n == 0)
			buf_printf(b, "-");
		for (i = 0; i < n; i++)
			buf_printf(b, "%s%" PRIu64, i ? "," : "", list[i]);
		break;
	default:
		v = load_int(p, f->type);
		buf_printf(b, "%s%" PRIu64, v.neg ? "-" : "", v.mag);
		break;
	}
}

/* Every field of every record within its own bounds. */
static int
check_fields(struct state_ctx *c, const struct state *s)
{
	const void	*base;
	size_t		 i, k;
	int		 r;

	if ((s->nslots > 0 && s->slots == NULL) ||
	    (s->nworkers > 0 && s->workers == NULL) ||
	    (s->nlisteners > 0 && s->listeners == NULL))
		return state_fail(c, "counts without their records");
	for (r = 0; r < R_NREC; r++)
		for (i = 0; i < state_rec_count(s, (enum state_rec)r); i++) {
			base = state_rec_base(s, (enum state_rec)r, i);
			state_where(c, s, (enum state_rec)r, i);
			for (k = 0; k < state_records[r].nfields; k++)
				if (state_check_field(c, base,
				    &state_records[r].fields[k]) == -1)
					return -1;
		}
	c->kind = NULL;
	return 0;
}

int
state_write(const struct state *s, struct buf *b, char *why, size_t whylen)
{
	struct state_ctx	 c = { why, whylen, false, 0, NULL, 0, false };
	const struct state_record	*rec;
	size_t			 start = b->len, i, k;
	int			 r;

	if (s->format != STATE_FORMAT)
		return state_fail(&c, "state format %u, this prefork writes %d",
		    s->format, STATE_FORMAT);
	if (check_fields(&c, s) == -1 || state_check_state(&c, s) == -1)
		return -1;
	buf_printf(b, "%s %d\n", STATE_MAGIC, STATE_FORMAT);
	for (r = 0; r < R_NREC; r++) {
		rec = &state_records[r];
		for (i = 0; i < state_rec_count(s, (enum state_rec)r); i++) {
			buf_printf(b, "%s", rec->name);
			for (k = 0; k < rec->nfields; k++) {
				if (rec->positional)
					buf_printf(b, " ");
				else
					buf_printf(b, " %s=",
					    rec->fields[k].name);
				write_field(b, state_rec_base(s,
				    (enum state_rec)r, i), &rec->fields[k]);
			}
			buf_printf(b, "\n");
		}
	}
	buf_printf(b, "end\n");
	if (!b->failed && b->len - start > STATE_TEXT_MAX) {
		b->len = start;
		b->p[start] = '\0';
		return state_fail(&c, "the state's text is more than %u bytes",
		    STATE_TEXT_MAX);
	}
	return 0;
}

