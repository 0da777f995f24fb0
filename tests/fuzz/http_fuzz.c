/* SPDX-License-Identifier: ISC */
/*
 * http_fuzz: any bytes as a request to metrics_listen, read by
 * http_parse() whole and in two pieces as they may arrive. The reader
 * must never read past what it is given, must answer the same for a
 * head whatever follows it, must serve only GET or HEAD of /metrics or
 * /healthz, and must never say "incomplete" once HTTP_HEAD_MAX bytes are
 * there: a client cannot keep the master reading.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum http_target	 t, t2;
	enum http_result	 r, r2;
	char			*buf;
	size_t			 cut;
	int			 head = -1, head2 = -1;

	/* A copy of exactly its size: ASan sees a read one byte past. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	r = http_parse(buf, size, &t, &head);
	if (size >= HTTP_HEAD_MAX)
		FUZZ_CHECK(r != HTTP_INCOMPLETE);
	if (r == HTTP_OK) {
		FUZZ_CHECK(head == 0 || head == 1);
		FUZZ_CHECK(t == HTTP_METRICS || t == HTTP_HEALTHZ);
		FUZZ_CHECK(size >= 4 && (memcmp(buf, "GET ", 4) == 0 ||
		    memcmp(buf, "HEAD ", 5) == 0));
	}
	FUZZ_CHECK(http_status(r) != NULL);
	/*
	 * A prefix is incomplete, or already decided the same way: the
	 * server reads as bytes come, and must not answer differently.
	 */
	cut = size > 0 ? data[0] % (size + 1) : 0;
	r2 = http_parse(buf, cut, &t2, &head2);
	if (r2 != HTTP_INCOMPLETE && r2 != HTTP_TOO_LARGE) {
		FUZZ_CHECK(r2 == r);
		if (r == HTTP_OK)
			FUZZ_CHECK(t2 == t && head2 == head);
	}
	free(buf);
	return 0;
}
