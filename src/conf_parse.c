/* SPDX-License-Identifier: ISC */
/*
 * The value parsers of the configuration: numbers, durations, sizes,
 * lists, yes-or-no and octal modes. They are pure (no file, no global
 * state, no message that names a key) so that the unit tests and the
 * fuzzer call them on any bytes; conf.c's setters word the messages.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_parse.h"

#define BLANKS		" \t\n"

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Parses the digits at *sp, advancing it past all of them. Returns
 * CONF_PE_SYNTAX when there is none, CONF_PE_RANGE when they overflow 64 bits.
 */
static enum conf_perr
parse_digits(const char **sp, uint64_t *value)
{
	const char	*s = *sp;
	uint64_t	 n = 0;
	bool		 over = false;

	if (!is_digit(*s))
		return CONF_PE_SYNTAX;
	for (; is_digit(*s); s++) {
		unsigned	d = (unsigned)(*s - '0');

		if (n > (UINT64_MAX - d) / 10)
			over = true;
		else
			n = n * 10 + d;
	}
	*sp = s;
	*value = n;
	return over ? CONF_PE_RANGE : CONF_PE_OK;
}

enum conf_perr
conf_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *value)
{
	const char	*p = s + (*s == '-');
	uint64_t	 n;
	enum conf_perr	 rc;

	rc = parse_digits(&p, &n);
	if (rc == CONF_PE_SYNTAX || *p != '\0')
		return CONF_PE_SYNTAX;
	if (rc == CONF_PE_RANGE || *s == '-' || n < min || n > max)
		return CONF_PE_RANGE;
	*value = n;
	return CONF_PE_OK;
}

int
conf_parse_uint(const char *s, unsigned min, unsigned max, unsigned *value,
    const char **why)
{
	uint64_t	n;

	switch (conf_parse_number(s, min, max, &n)) {
	case CONF_PE_OK:
		*value = (unsigned)n;
		return 0;
	case CONF_PE_RANGE:
		*why = "is out of range";
		return -1;
	default:
		*why = "is not a number";
		return -1;
	}
}

/* Milliseconds per unit of a duration, or 0 for an unknown unit. */
static uint64_t
duration_unit(const char *s)
{
	static const struct {
		const char	*name;
		uint64_t	 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "", 1000 },
	};
	size_t	i;

	for (i = 0; i < nitems(units); i++)
		if (strcmp(s, units[i].name) == 0)
			return units[i].ms;
	return 0;
}

/*
 * Adds the decimal fraction frac (n digits) of unit milliseconds to *ms,
 * which must stay a whole number of milliseconds.
 */
static enum conf_perr
duration_fraction(const char *frac, size_t n, uint64_t unit, uint64_t *ms)
{
	uint64_t	f = 0, scale = 1;
	size_t		i;

	while (n > 0 && frac[n - 1] == '0')
		n--;
	/*
	 * A unit is at most 2^7 * 3^2 * 5^5 ms, so more than 7 significant
	 * decimals can't be a whole millisecond; 9 keeps f * unit small.
	 */
	if (n > 9)
		return CONF_PE_FRACTION;
	for (i = 0; i < n; i++) {
		f = f * 10 + (uint64_t)(frac[i] - '0');
		scale *= 10;
	}
	if (f * unit % scale != 0)
		return CONF_PE_FRACTION;
	*ms += f * unit / scale;
	return CONF_PE_OK;
}

enum conf_perr
conf_parse_ms(const char *s, uint64_t *value)
{
	const char	*p = s + (*s == '-'), *frac = p;
	uint64_t	 n, unit, ms;
	size_t		 nfrac = 0;
	enum conf_perr	 rc;

	if ((rc = parse_digits(&p, &n)) == CONF_PE_SYNTAX)
		return CONF_PE_SYNTAX;
	if (*p == '.') {
		frac = ++p;
		while (is_digit(*p))
			p++;
		if ((nfrac = (size_t)(p - frac)) == 0)
			return CONF_PE_SYNTAX;
	}
	if ((unit = duration_unit(p)) == 0)
		return CONF_PE_SYNTAX;
	if (rc == CONF_PE_RANGE || *s == '-' ||
	    n > CONF_DURATION_MAX_MS / unit)
		return CONF_PE_RANGE;
	ms = n * unit;
	if (duration_fraction(frac, nfrac, unit, &ms) != CONF_PE_OK)
		return CONF_PE_FRACTION;
	if (ms > CONF_DURATION_MAX_MS)
		return CONF_PE_RANGE;
	*value = ms;
	return CONF_PE_OK;
}

int
conf_parse_duration(const char *s, uint64_t *ms, const char **why)
{
	switch (conf_parse_ms(s, ms)) {
	case CONF_PE_OK:
		return 0;
	case CONF_PE_RANGE:
		*why = "is out of range (0 to one year)";
		return -1;
	case CONF_PE_FRACTION:
		*why = "is not a whole number of milliseconds";
		return -1;
	default:
		*why = "is not a duration (use ms, s, m, h)";
		return -1;
	}
}

/* The power of 1024 of a size's unit ("", K, M, G, T, and B or iB). */
static int
size_shift(const char *s)
{
	int	shift = 0;

	switch (tolower((unsigned char)*s)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	}
	if (shift != 0)
		s++;
	if (*s == '\0' || strcasecmp(s, "b") == 0 ||
	    (shift != 0 && strcasecmp(s, "ib") == 0))
		return shift;
	return -1;
}

enum conf_perr
conf_parse_bytes(const char *s, uint64_t *bytes)
{
	const char	*p = s + (*s == '-');
	uint64_t	 n;
	enum conf_perr	 rc;
	int		 shift;

	if ((rc = parse_digits(&p, &n)) == CONF_PE_SYNTAX)
		return CONF_PE_SYNTAX;
	if ((shift = size_shift(p)) == -1)
		return CONF_PE_SYNTAX;
	if (*s == '-')
		return CONF_PE_RANGE;
	if (rc == CONF_PE_RANGE || n > UINT64_MAX >> shift)
		return CONF_PE_OVERFLOW;
	*bytes = n << shift;
	return CONF_PE_OK;
}

int
conf_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	switch (conf_parse_bytes(s, bytes)) {
	case CONF_PE_OK:
		return 0;
	case CONF_PE_RANGE:
		*why = "is out of range";
		return -1;
	case CONF_PE_OVERFLOW:
		*why = "is too large (more than 64 bits)";
		return -1;
	default:
		*why = "is not a size (use K, M, G, T)";
		return -1;
	}
}

/* An empty item between commas (or before the first, after the last). */
int
conf_parse_list(const char *s, struct strv *items, const char **why)
{
	s += strspn(s, BLANKS);
	while (*s != '\0') {
		size_t	 n = strcspn(s, BLANKS ",");
		char	*item;

		if (*s == ',') {
			*why = "empty item in the list";
			return -1;
		}
		if ((item = strndup(s, n)) == NULL ||
		    strv_push(items, item) == -1) {
			free(item);
			*why = "out of memory";
			return -1;
		}
		free(item);
		s += n;
		s += strspn(s, BLANKS);
		if (*s == ',') {
			s++;
			s += strspn(s, BLANKS);
			if (*s == '\0' || *s == ',') {
				*why = "empty item in the list";
				return -1;
			}
		}
	}
	return 0;
}

int
conf_parse_bool(const char *s, bool *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -1;
}

int
conf_parse_mode(const char *s, unsigned max, unsigned *mode)
{
	const char	*p = s;
	unsigned	 m = 0;

	/* Leading zeros are fine; the value stops growing past max. */
	while (*p >= '0' && *p <= '7' && m <= max)
		m = m * 8 + (unsigned)(*p++ - '0');
	if (p == s || *p != '\0' || m > max)
		return -1;
	*mode = m;
	return 0;
}
