/* SPDX-License-Identifier: ISC */
/*
 * What the libFuzzer targets share: splitting an input at its NUL bytes
 * into strings, each copied into a buffer of exactly its size (so that
 * AddressSanitizer sees a read one byte past the NUL), and a check that
 * turns a broken contract into a crash libFuzzer keeps.
 */
#ifndef PREFORK_FUZZ_H
#define PREFORK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A contract the code under test broke: say which, then abort, which
 * libFuzzer reports as a crash and saves the input for. Quiet otherwise.
 */
#define FUZZ_CHECK(cond)	do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/* A walk over the NUL-separated parts of an input. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 n;
	bool		 left;	/* a part, maybe empty, remains */
};

static inline void
fuzz_in_init(struct fuzz_in *in, const uint8_t *data, size_t size)
{
	in->p = data;
	in->n = size;
	in->left = true;
}

/*
 * Returns the next part, up to a NUL byte or the end, as a string the
 * caller frees, in a buffer of exactly its length plus the NUL; NULL
 * once the input is used up. Allocation failures abort: a fuzzer cannot
 * do anything more useful with them.
 */
static inline char *
fuzz_in_next(struct fuzz_in *in)
{
	const uint8_t	*nul;
	size_t		 len;
	char		*s;

	if (!in->left)
		return NULL;
	nul = in->n > 0 ? memchr(in->p, '\0', in->n) : NULL;
	len = nul != NULL ? (size_t)(nul - in->p) : in->n;
	if ((s = malloc(len + 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(s, in->p, len);
	s[len] = '\0';
	in->p += len;
	in->n -= len;
	if (nul != NULL) {
		in->p++;
		in->n--;
	} else
		in->left = false;
	return s;
}

#endif /* PREFORK_FUZZ_H */
