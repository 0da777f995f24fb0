/* SPDX-License-Identifier: ISC */
/*
 * state_fuzz: any bytes as the master's state, read as the new image of
 * an upgrade reads what the old one handed it. The reader may not read
 * past what it is given nor leak on any path; a refusal's reason is one
 * printable line (it goes to the log); a text it takes is one the writer
 * writes again, which reads back to a state that writes the same bytes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_why(const char *why, size_t len)
{
	size_t	i;

	FUZZ_CHECK(memchr(why, '\0', len) != NULL);
	for (i = 0; why[i] != '\0'; i++)
		FUZZ_CHECK(why[i] >= 0x20 && why[i] < 0x7f);
	FUZZ_CHECK(i > 0);
}

/* s was read: written, read again, written again to the same bytes. */
static void
check_again(const struct state *s)
{
	struct buf	a = BUF_INIT, b = BUF_INIT;
	struct state	t;
	char		why[256];

	FUZZ_CHECK(state_write(s, &a, why, sizeof(why)) == 0);
	FUZZ_CHECK(!a.failed);
	FUZZ_CHECK(a.len <= STATE_TEXT_MAX);
	FUZZ_CHECK(state_read(a.p, a.len, &t, why, sizeof(why)) == 0);
	FUZZ_CHECK(state_write(&t, &b, why, sizeof(why)) == 0);
	FUZZ_CHECK(!b.failed);
	FUZZ_CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	FUZZ_CHECK(t.nslots == s->nslots && t.nworkers == s->nworkers &&
	    t.nlisteners == s->nlisteners);
	state_free(&t);
	free(a.p);
	free(b.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state	 s;
	char		 why[256];
	char		*buf;

	/* A copy of exactly its size: ASan sees a read one byte past. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	memset(why, 'X', sizeof(why));
	if (state_read(buf, size, &s, why, sizeof(why)) == -1)
		check_why(why, sizeof(why));
	else {
		FUZZ_CHECK(s.format == STATE_FORMAT);
		FUZZ_CHECK(s.size <= s.nslots);
		check_again(&s);
	}
	state_free(&s);
	free(buf);
	return 0;
}
