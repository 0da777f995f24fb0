/* SPDX-License-Identifier: ISC */
/*
 * What the files of the configuration share, and nothing else sees:
 * conf.c knows the keys and what their values mean, conf_file.c reads
 * the INI file and collects the problems of both in line order,
 * conf_build.c checks and builds the whole. Only they include this
 * header.
 */
#ifndef PREFORK_CONF_IMPL_H
#define PREFORK_CONF_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "util.h"

/* A file being read; its insides are conf_file.c's. */
struct conf_file;

/*
 * Where a value's problems go: the file being read (collected with their
 * line, sorted at the end), or the caller's list as "ORIGIN: message".
 * n counts them.
 */
struct report {
	struct conf_file *file;		/* NULL: not from a file */
	struct strv	*errs;		/* when file is NULL */
	const char	*origin;	/* when file is NULL */
	const char	*key;
	unsigned	 line;
	int		 n;
};

/*
 * Reports a bad value: "FILE:LINE: KEY: message" into the file's list,
 * or "ORIGIN: message" into r->errs (the origin names the key), and
 * counts it in r->n. Control characters become '?'; a message that
 * cannot be made is "out of memory". This function can't fail.
 */
void	conf_report(struct report *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Reads an INI file into c: from fp when it is not NULL, from text
 * otherwise; name is the file's name in messages. Every problem is
 * appended to errs, in line order. Returns the number of problems.
 */
int	conf_file_read(struct conf *c, const char *name, FILE *fp,
	    const char *text, struct strv *errs);

/* The [prefork] key called name, or CONF_KEY_COUNT when there is none. */
enum conf_key	conf_key_find(const char *name);

/* The name of key k, as the file spells it. */
const char	*conf_key_name(enum conf_key k);

/* True when key k's value may go on over continuation lines. */
bool	conf_key_continues(enum conf_key k);

/* The [prefork] key closest to name (see util_suggest()), or NULL. */
const char	*conf_key_suggest(const char *name);

/*
 * Checks v and sets key k of c; an empty value is an error for every
 * key. Returns 0, or -1 after reporting to r, with c as it was.
 */
int	conf_key_apply(struct conf *c, enum conf_key k, const char *v,
	    struct report *r);

/* A duration in ms for messages, as a value would say it: "1s", "250ms". */
const char	*conf_format_ms(uint64_t ms, char *buf, size_t len);

#endif /* PREFORK_CONF_IMPL_H */
