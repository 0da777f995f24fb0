/* SPDX-License-Identifier: ISC */
/*
 * Shell words: the command key split into an argument vector, and an
 * argument vector quoted back into one line. Nothing is expanded; the
 * quoting is the shell's, so that an operator can paste the logged
 * command into a shell and run the same program.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"

#define BLANKS		" \t\n"

/* Copies a single-quoted part at *sp (past the quote) to *op. */
static int
words_single(const char **sp, char **op)
{
	const char	*s = *sp;
	char		*o = *op;

	while (*s != '\0' && *s != '\'')
		*o++ = *s++;
	if (*s == '\0')
		return -1;
	*sp = s + 1;
	*op = o;
	return 0;
}

/* Copies a double-quoted part; a backslash escapes only " \ $ ` newline. */
static int
words_double(const char **sp, char **op)
{
	const char	*s = *sp;
	char		*o = *op;

	while (*s != '\0' && *s != '"') {
		if (*s == '\\' && s[1] != '\0' && strchr("\"\\$`\n", s[1])) {
			if (s[1] != '\n')
				*o++ = s[1];
			s += 2;
		} else
			*o++ = *s++;
	}
	if (*s == '\0')
		return -1;
	*sp = s + 1;
	*op = o;
	return 0;
}

/* Splits s into tmp; w is scratch space as long as s. */
static int
split_into(const char *s, char *w, struct strv *tmp, const char **why)
{
	char	*o = w;
	bool	 inword = false;

	for (;;) {
		char	ch = *s++;

		if (ch == '\0' || strchr(BLANKS, ch) != NULL) {
			if (inword) {
				*o = '\0';
				if (strv_push(tmp, w) == -1) {
					*why = "out of memory";
					return -1;
				}
				o = w;
				inword = false;
			}
			if (ch == '\0')
				return 0;
			continue;
		}
		if (ch == '\\' && *s == '\n') {
			s++;
			continue;
		}
		inword = true;
		if (ch == '\'' && words_single(&s, &o) == -1) {
			*why = "unterminated single quote";
			return -1;
		} else if (ch == '"' && words_double(&s, &o) == -1) {
			*why = "unterminated double quote";
			return -1;
		} else if (ch == '\\') {
			if (*s == '\0') {
				*why = "ends with a backslash";
				return -1;
			}
			*o++ = *s++;
		} else if (ch != '\'' && ch != '"')
			*o++ = ch;
	}
}

int
words_split(const char *s, struct strv *words, const char **why)
{
	struct strv	 tmp = STRV_INIT;
	char		*w;
	size_t		 i, n0 = words->n;
	int		 rc;

	if ((w = malloc(strlen(s) + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	rc = split_into(s, w, &tmp, why);
	free(w);
	for (i = 0; rc == 0 && i < tmp.n; i++) {
		if (strv_push(words, tmp.v[i]) == -1) {
			*why = "out of memory";
			rc = -1;
		}
	}
	if (rc == -1) {
		/* Leave words as it was. */
		while (words->n > n0)
			free(words->v[--words->n]);
		if (words->v != NULL)
			words->v[n0] = NULL;
	}
	strv_free(&tmp);
	return rc;
}

/* A word as a shell would read it back: quoted unless plainly safe. */
static size_t
quote(const char *w, char *out)
{
	static const char	 safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
	size_t			 n = 0;

	/* out is a part of a longer string: the caller terminates it. */
	if (*w != '\0' && strspn(w, safe) == strlen(w)) {
		n = strlen(w);
		if (out != NULL)
			memcpy(out, w, n); /* NOLINT */
		return n;
	}
	/* 'it'\''s' */
	for (n = 1; *w != '\0'; w++) {
		if (*w == '\'') {
			if (out != NULL)
				memcpy(out + n, "'\\''", 4); /* NOLINT */
			n += 4;
		} else {
			if (out != NULL)
				out[n] = *w;
			n++;
		}
	}
	if (out != NULL)
		out[0] = out[n] = '\'';
	return n + 1;
}

char *
words_join(char *const argv[], size_t argc)
{
	char	*line;
	size_t	 len = 0, i;

	for (i = 0; i < argc; i++)
		len += quote(argv[i], NULL) + 1;
	/* argc 0 is an empty line: len is 0, the NUL still needs a byte. */
	if ((line = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	for (i = 0, len = 0; i < argc; i++) {
		if (i > 0)
			line[len++] = ' ';
		len += quote(argv[i], line + len);
	}
	line[len] = '\0';
	return line;
}
