/* SPDX-License-Identifier: ISC */
/*
 * http_test: the request reader of metrics_listen: what it serves, what
 * it refuses and with which status, heads that arrive in pieces, and the
 * 8 KiB limit.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static enum http_result
parse(const char *s, enum http_target *t, int *head)
{
	return http_parse(s, strlen(s), t, head);
}

static void
test_served(void **state)
{
	enum http_target	t;
	int			head = -1;

	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Accept: text/plain;version=0.0.4;q=0.3,*/*;q=0.2\r\n\r\n", &t,
	    &head), HTTP_OK);
	assert_int_equal(t, HTTP_METRICS);
	assert_int_equal(head, 0);
	assert_int_equal(parse("GET /healthz HTTP/1.0\n\n", &t, &head),
	    HTTP_OK);
	assert_int_equal(t, HTTP_HEALTHZ);
	assert_int_equal(parse("HEAD /metrics?x=1 HTTP/1.1\r\n\r\n", &t,
	    &head), HTTP_OK);
	assert_int_equal(t, HTTP_METRICS);
	assert_int_equal(head, 1);
}

static void
test_refused(void **state)
{
	static const struct {
		const char		*req;
		enum http_result	 want;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
		{ "GET /metrics/ HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND },
		{ "POST /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_METHOD },
		{ "get /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_METHOD },
		{ "GET /metrics\r\n\r\n", HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/2.0\r\n\r\n", HTTP_BAD_REQUEST },
		{ "GET  /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/1.1 \r\n\r\n", HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
		    HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/1.1\r\n: empty\r\n\r\n",
		    HTTP_BAD_REQUEST },
		{ "GET /metrics HTTP/1.1\r\nX: a\x01\r\n\r\n",
		    HTTP_BAD_REQUEST },
		{ "\r\n\r\n", HTTP_BAD_REQUEST },
		{ "G\x7f /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST },
	};
	enum http_target	t;
	size_t			i;
	int			head;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].req, &t, &head) != cases[i].want)
			fail_msg("'%s': %d, not %d", cases[i].req,
			    parse(cases[i].req, &t, &head), cases[i].want);
	}
	assert_string_equal(http_status(HTTP_NOT_FOUND), "404 Not Found");
	assert_string_equal(http_status(HTTP_BAD_METHOD),
	    "405 Method Not Allowed");
	assert_string_equal(http_status(HTTP_BAD_REQUEST),
	    "400 Bad Request");
}

/* A head that arrives a byte at a time is incomplete until its end. */
static void
test_pieces(void **state)
{
	static const char	req[] = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
	enum http_target	t;
	size_t			n;
	int			head;

	for (n = 0; n < strlen(req); n++)
		assert_int_equal(http_parse(req, n, &t, &head),
		    HTTP_INCOMPLETE);
	assert_int_equal(http_parse(req, n, &t, &head), HTTP_OK);
}

static void
test_limit(void **state)
{
	enum http_target	t;
	char			*big = malloc(HTTP_HEAD_MAX + 16);
	size_t			n;
	int			head;

	assert_non_null(big);
	n = (size_t)snprintf(big, HTTP_HEAD_MAX, "GET /metrics HTTP/1.1\r\n"
	    "X: ");
	memset(big + n, 'a', HTTP_HEAD_MAX - n);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX - 1, &t, &head),
	    HTTP_INCOMPLETE);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX, &t, &head),
	    HTTP_TOO_LARGE);
	/* Exactly the limit, ending the head, is served. */
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX, &t, &head), HTTP_OK);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_served),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
