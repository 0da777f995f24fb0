/* SPDX-License-Identifier: ISC */
/*
 * The request reader of the metrics server. See http.h. Strict on
 * purpose: a request line is three fields separated by single spaces, a
 * header line has a name of token characters and a colon, and no byte is
 * a NUL or a control character but tab and the line ends.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "http.h"

/* RFC 9110's tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Where the head ends (just past the empty line), or 0 when it has not
 * ended within buf.
 */
static size_t
head_end(const char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The length of the line at p, without its CRLF or LF; *next after it. */
static size_t
line_len(const char *p, const char *end, const char **next)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));
	size_t		 n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static bool
header_ok(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n && is_tchar((unsigned char)p[i]); i++)
		continue;
	if (i == 0 || i == n || p[i] != ':')
		return false;
	for (i++; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return false;
	return true;
}

enum http_result
http_parse(const char *buf, size_t len, enum http_target *target, int *head)
{
	const char	*end, *p, *next, *sp1, *sp2, *path;
	size_t		 n, mlen, plen, i;

	if ((n = head_end(buf, len)) == 0)
		return len >= HTTP_HEAD_MAX ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
	if (n > HTTP_HEAD_MAX)
		return HTTP_TOO_LARGE;
	end = buf + n;

	/* The request line: METHOD SP TARGET SP HTTP/1.x */
	n = line_len(buf, end, &next);
	if ((sp1 = memchr(buf, ' ', n)) == NULL)
		return HTTP_BAD_REQUEST;
	mlen = (size_t)(sp1 - buf);
	path = sp1 + 1;
	if ((sp2 = memchr(path, ' ', n - mlen - 1)) == NULL)
		return HTTP_BAD_REQUEST;
	plen = (size_t)(sp2 - path);
	if (mlen == 0 || plen == 0 || (size_t)(buf + n - (sp2 + 1)) != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' ||
	    sp2[8] > '9')
		return HTTP_BAD_REQUEST;
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)buf[i]))
			return HTTP_BAD_REQUEST;
	for (i = 0; i < plen; i++)
		if ((unsigned char)path[i] <= 0x20 ||
		    (unsigned char)path[i] >= 0x7f)
			return HTTP_BAD_REQUEST;

	/* The headers: each "Name: value", then the empty line. */
	for (p = next; p < end; p = next) {
		n = line_len(p, end, &next);
		if (n == 0)
			break;
		if (!header_ok(p, n))
			return HTTP_BAD_REQUEST;
	}

	if (mlen == 3 && memcmp(buf, "GET", 3) == 0)
		*head = 0;
	else if (mlen == 4 && memcmp(buf, "HEAD", 4) == 0)
		*head = 1;
	else
		return HTTP_BAD_METHOD;
	/* The path, without a query string. */
	for (i = 0; i < plen && path[i] != '?'; i++)
		continue;
	if (i == 8 && memcmp(path, "/metrics", 8) == 0)
		*target = HTTP_METRICS;
	else if (i == 8 && memcmp(path, "/healthz", 8) == 0)
		*target = HTTP_HEALTHZ;
	else
		return HTTP_NOT_FOUND;
	return HTTP_OK;
}

const char *
http_status(enum http_result r)
{
	switch (r) {
	case HTTP_OK:
		return "200 OK";
	case HTTP_NOT_FOUND:
		return "404 Not Found";
	case HTTP_BAD_METHOD:
		return "405 Method Not Allowed";
	case HTTP_TOO_LARGE:
		return "431 Request Header Fields Too Large";
	case HTTP_INCOMPLETE:
	case HTTP_BAD_REQUEST:
		break;
	}
	return "400 Bad Request";
}
