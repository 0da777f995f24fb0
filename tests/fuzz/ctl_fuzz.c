/* SPDX-License-Identifier: ISC */
/*
 * ctl_fuzz: any bytes as a control request, parsed by ctl_parse() as the
 * server parses the line before the first newline, and as an answer
 * read by ctl_reply_parse(). Neither may read past what it is given; a
 * refusal's reason is one printable line of bounded length whatever the
 * bytes were (it goes back to the client and into the log); a request
 * taken is one of the commands, with a scale that stays in bounds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_request(const char *buf, size_t len)
{
	struct ctl_request	req;
	char			why[256];
	unsigned		size;
	size_t			i;

	memset(why, 'X', sizeof(why));
	if (ctl_parse(buf, len, &req, why, sizeof(why)) == -1) {
		FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
		for (i = 0; why[i] != '\0'; i++)
			FUZZ_CHECK(why[i] >= 0x20 && why[i] < 0x7f);
		FUZZ_CHECK(i > 0);
		return;
	}
	FUZZ_CHECK(req.cmd < CTL_COMMAND_COUNT);
	FUZZ_CHECK(len < CTL_REQUEST_MAX);
	if (req.cmd != CTL_SCALE)
		return;
	FUZZ_CHECK(req.n <= 65536);
	if (ctl_scale_size(&req, 3, 65536, &size, why, sizeof(why)) == 0)
		FUZZ_CHECK(size >= 1 && size <= 65536);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ctl_reply	 kind;
	const char	*reason;
	size_t		 rlen, body;
	long		 line;
	char		*buf;

	/* A copy of exactly its size: ASan sees a read one byte past. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	line = ctl_line(buf, size);
	FUZZ_CHECK(line >= -1 && line < (long)size);
	check_request(buf, line == -1 ? size : (size_t)line);
	if (ctl_reply_parse(buf, size, &kind, &reason, &rlen, &body) == 0) {
		FUZZ_CHECK(body <= size);
		FUZZ_CHECK(reason >= buf && reason + rlen <= buf + size);
		FUZZ_CHECK(kind <= CTL_BUSY);
	}
	free(buf);
	return 0;
}
