/* SPDX-License-Identifier: ISC */
/*
 * Words as a POSIX shell reads them, without expanding anything: the
 * command key is split into the worker's argument vector here, and a
 * command given as arguments is quoted back into one line for the log.
 * Pure: strings in, strings out.
 */
#ifndef PREFORK_WORDS_H
#define PREFORK_WORDS_H

#include "util.h"

/*
 * Splits s into words like a POSIX shell: blanks separate words, single
 * quotes keep everything literally, double quotes keep everything but
 * \" \\ \$ \` and backslash-newline, a backslash outside quotes quotes
 * the next character; nothing is expanded. Appends the words to words.
 * Returns 0, or -1 with a static reason that stands alone in *why
 * ("unterminated single quote", "ends with a backslash", "out of
 * memory"); words is then unchanged.
 */
int	words_split(const char *s, struct strv *words, const char **why);

/*
 * Joins argv[0..argc) with single spaces, each word quoted so that
 * words_split() gives it back: as it is when it is plainly safe, in
 * single quotes otherwise. Returns a string the caller frees, or NULL
 * with errno set (ENOMEM).
 */
char	*words_join(char *const argv[], size_t argc);

#endif /* PREFORK_WORDS_H */
