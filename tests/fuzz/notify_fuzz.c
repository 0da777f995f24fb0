/* SPDX-License-Identifier: ISC */
/*
 * notify_fuzz: feeds arbitrary bytes to the two parsers of notify.c.
 * The whole input, NUL bytes included, is a datagram a worker sent:
 * notify_parse() reads it in place from a writable copy NUL-terminated
 * after its last byte, as notify_server_recv() leaves it. The input up
 * to its first NUL byte is a NOTIFY_SOCKET value for
 * notify_parse_address(). Both results are checked against notify.h.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "notify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* STATUS= points into the message, at a line cut at its end. */
static void
fuzz_message(const uint8_t *data, size_t size)
{
	struct notify_msg	 m;
	char			*buf;
	size_t			 n;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	n = strlen(buf);
	notify_parse(buf, &m);
	if (m.status != NULL) {
		FUZZ_CHECK(m.status >= buf + 7 && m.status <= buf + n);
		FUZZ_CHECK(memcmp(m.status - 7, "STATUS=", 7) == 0);
		FUZZ_CHECK(strchr(m.status, '\n') == NULL);
	}
	free(buf);
}

/* A path is NUL-terminated in sun_path; "@name" starts with a NUL. */
static void
fuzz_address(const char *s)
{
	struct sockaddr_un	addr;
	socklen_t		len = 0;
	size_t			n = strlen(s);
	size_t			base;

	base = offsetof(struct sockaddr_un, sun_path);
	errno = 0;
	if (notify_parse_address(s, &addr, &len) == -1) {
		FUZZ_CHECK(errno == EINVAL);
		return;
	}
	FUZZ_CHECK(addr.sun_family == AF_UNIX);
	FUZZ_CHECK(n >= 2 && len <= sizeof(addr));
	if (s[0] == '/') {
		FUZZ_CHECK(len == base + n + 1);
		FUZZ_CHECK(memcmp(addr.sun_path, s, n + 1) == 0);
	} else {
		FUZZ_CHECK(s[0] == '@' && len == base + n);
		FUZZ_CHECK(addr.sun_path[0] == '\0' &&
		    memcmp(addr.sun_path + 1, s + 1, n - 1) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	char		*s;

	fuzz_message(data, size);
	fuzz_in_init(&in, data, size);
	s = fuzz_in_next(&in);
	fuzz_address(s);
	free(s);
	return 0;
}
