/* SPDX-License-Identifier: ISC */
/*
 * The grammar of a configuration value: counts, durations, sizes, lists,
 * yes-or-no and octal modes. Text in, a number or a list out, nothing
 * else touched: the unit tests and the fuzzer call these on any bytes,
 * and conf.c turns what they find into messages that name the key. They
 * accept exactly the syntax prefork.ini(5) documents, never skip blanks
 * or signs the way strtoul(3) does, and never read past the NUL.
 */
#ifndef PREFORK_CONF_PARSE_H
#define PREFORK_CONF_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* Upper bound of every duration key: one year. */
#define CONF_DURATION_MAX_MS	(UINT64_C(365) * 24 * 3600 * 1000)

/* What a value parser found wrong. */
enum conf_perr {
	CONF_PE_OK,
	CONF_PE_SYNTAX,		/* not a number, duration, size */
	CONF_PE_RANGE,		/* negative, too small or too large */
	CONF_PE_FRACTION,	/* a duration finer than a millisecond */
	CONF_PE_OVERFLOW,	/* a size beyond 64 bits */
};

/*
 * Parsers that say what kind of problem they found, for callers that
 * word their own messages. Each sets its result only on CONF_PE_OK.
 */

/*
 * A decimal number in [min, max]. A negative number is CONF_PE_RANGE,
 * not CONF_PE_SYNTAX: it is a number, just not one that may be used.
 */
enum conf_perr	conf_parse_number(const char *s, uint64_t min, uint64_t max,
		    uint64_t *value);

/*
 * A duration in milliseconds: "30s", "100ms", "5m", "1h", "1.5s"; a
 * bare number is seconds. CONF_PE_FRACTION when it is not a whole
 * number of milliseconds, CONF_PE_RANGE above CONF_DURATION_MAX_MS.
 */
enum conf_perr	conf_parse_ms(const char *s, uint64_t *ms);

/*
 * A size in bytes: "512M", "16G", "1T", "4096", with an optional B or
 * iB, in any case; powers of 1024. CONF_PE_RANGE when negative,
 * CONF_PE_OVERFLOW beyond 64 bits.
 */
enum conf_perr	conf_parse_bytes(const char *s, uint64_t *bytes);

/*
 * Parsers with a reason: each returns 0, or -1 with a static message in
 * *why, worded to follow the value: "'10x' is not a duration (use ms, s,
 * m, h)".
 */

/* "30s", "100ms", "5m", "1h", "1.5s"; a bare number is seconds. */
int	conf_parse_duration(const char *s, uint64_t *ms, const char **why);

/* "512M", "16G", "1T", "4096"; powers of 1024; a bare number is bytes. */
int	conf_parse_size(const char *s, uint64_t *bytes, const char **why);

/* A decimal count in [min, max]. */
int	conf_parse_uint(const char *s, unsigned min, unsigned max,
	    unsigned *value, const char **why);

/*
 * Splits a list into items separated by commas and/or blanks, appended
 * to items. Returns 0, or -1 with a reason that stands alone in *why
 * ("empty item in the list", "out of memory"); items then holds what was
 * split before the problem. The caller frees items either way.
 */
int	conf_parse_list(const char *s, struct strv *items, const char **why);

/*
 * A yes-or-no value, spelt as systemd spells its booleans, in any case:
 * yes, true, on, 1 or no, false, off, 0. Returns 0, or -1 when s is none
 * of them.
 */
int	conf_parse_bool(const char *s, bool *value);

/*
 * An octal mode in [0, max] (max below 0100000), leading zeros allowed.
 * Returns 0, or -1 when s is not one.
 */
int	conf_parse_mode(const char *s, unsigned max, unsigned *mode);

#endif /* PREFORK_CONF_PARSE_H */
