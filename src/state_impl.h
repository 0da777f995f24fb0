/* SPDX-License-Identifier: ISC */
/*
 * What the writer (state.c) and the reader (state_read.c) of the
 * master's state share, and nothing else sees: the tables of the records
 * and their fields, both walk, the reasons they give, and the rules of a
 * field's value and of the state as a whole, so that what one writes
 * the other reads. Only they include this header.
 */
#ifndef PREFORK_STATE_IMPL_H
#define PREFORK_STATE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* What a field holds, and so how it is written and read. */
enum state_ftype {
	F_INT,
	F_LONG,
	F_UINT,
	F_SIZE,
	F_U64,
	F_BOOL,
	F_TIME,
	F_STR,
	F_COUNTERS,
};

#define F_NULL		0x1	/* a string that may be NULL */
#define F_EMPTY		0x2	/* a string that may be empty */
#define F_NONE		0x4	/* a number that may also be -1 */
#define F_FD		0x8	/* an fd: distinct from every other */

/* A field of a record: "name=value", stored at off in its struct. */
struct state_field {
	const char		*name;
	enum state_ftype	 type;
	size_t			 off;
	int64_t			 min;	/* numbers: the bounds */
	uint64_t		 max;
	unsigned		 flags;
	size_t			 count;	/* F_COUNTERS: where its count is */
};

/* The records, in the order of the text. */
enum state_rec {
	R_VERSION,
	R_MASTER,
	R_POOL,
	R_COUNTS,
	R_SLOT,
	R_WORKER,
	R_LISTENER,
	R_FDS,
	R_NREC
};

struct state_record {
	const char			*name;
	const struct state_field	*fields;
	size_t				 nfields;
	bool				 positional;	/* "version V": no name= */
};

/* The records' fields, in the order of their lines (state.c). */
extern const struct state_record	state_records[R_NREC];

/* Where a reason points: a line when reading, a record when writing. */
struct state_ctx {
	char		*why;
	size_t		 whylen;
	bool		 reading;
	long		 line;
	const char	*kind;		/* NULL: the text as a whole */
	size_t		 index;
	bool		 counted;	/* writing: "worker 3: ..." */
};

/* A number as read or about to be written: sign and magnitude. */
struct state_ival {
	bool		neg;
	uint64_t	mag;
};

/*
 * Formats the reason into c->why, after "line N: KIND: " when reading,
 * "KIND N: " or "KIND: " when writing. Returns -1, for "return
 * state_fail(...)".
 */
int	state_fail(struct state_ctx *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A piece of a line for a reason: at most 32 bytes, then "...". */
const char	*state_show(const char *p, size_t n, char *buf, size_t len);

/* True for the records there may be any number of (slot, worker, ...). */
bool	state_counted(enum state_rec r);

/* How many of record r there are: the counts, or 1. */
size_t	state_rec_count(const struct state *s, enum state_rec r);

/*
 * Record r's instance i: writable for the reader, which fills its own
 * state; the writer and the checks only read through it.
 */
void	*state_rec_base(const struct state *s, enum state_rec r, size_t i);

/* Points c's reasons at record r, instance i, and its line. */
void	state_where(struct state_ctx *c, const struct state *s,
	    enum state_rec r, size_t i);

/* Whether a number is within field f's bounds. */
bool	state_in_range(const struct state_field *f, struct state_ival v);

/* The reason for a number out of f's bounds; val as it was written. */
int	state_out_of_range(struct state_ctx *c, const struct state_field *f,
	    const char *val);

/* Stores a number already found within the field's bounds. */
void	state_store_int(void *p, enum state_ftype t, struct state_ival v);

/*
 * The rules of field f of the record at base, as the struct holds it.
 * Returns 0, or -1 with the reason.
 */
int	state_check_field(struct state_ctx *c, const void *base,
	    const struct state_field *f);

/*
 * The rules across records (size, a worker's slot, pids and fds
 * distinct), on a state whose every field is within its own bounds.
 * Returns 0, or -1 with the reason, pointed at the record.
 */
int	state_check_state(struct state_ctx *c, const struct state *s);

#endif /* PREFORK_STATE_IMPL_H */
