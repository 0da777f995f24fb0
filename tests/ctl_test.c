/* SPDX-License-Identifier: ISC */
/*
 * ctl_test: the control protocol (ctl.c): every request form, every
 * way a request is refused (with a reason that is one printable line
 * whatever the bytes were), what scale asks for, and the answers'
 * first lines as preforkctl reads them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"
#include "size.h"

static struct ctl_request	req;
static char			why[256];

static int
parse(const char *line)
{
	why[0] = '\0';
	return ctl_parse(line, strlen(line), &req, why, sizeof(why));
}

/* Refused, with exactly this reason. */
static void
refused(const char *line, const char *want)
{
	assert_int_equal(parse(line), -1);
	assert_string_equal(why, want);
}

static void
test_line(void **state)
{
	assert_int_equal(ctl_line("status\n", 7), 6);
	assert_int_equal(ctl_line("status", 6), -1);
	assert_int_equal(ctl_line("\n", 1), 0);
	assert_int_equal(ctl_line("a\nb\n", 4), 1);
	assert_int_equal(ctl_line("", 0), -1);
}

static void
test_commands(void **state)
{
	assert_int_equal(parse("status"), 0);
	assert_int_equal(req.cmd, CTL_STATUS);
	assert_false(req.json);
	assert_false(req.check);
	assert_int_equal(parse("status --json"), 0);
	assert_true(req.json);
	assert_false(req.check);
	assert_int_equal(parse("  status\t--check  --json "), 0);
	assert_true(req.json);
	assert_true(req.check);
	assert_int_equal(parse("metrics"), 0);
	assert_int_equal(req.cmd, CTL_METRICS);
	assert_int_equal(parse("reload"), 0);
	assert_int_equal(req.cmd, CTL_RELOAD);
	assert_int_equal(parse("restart"), 0);
	assert_int_equal(req.cmd, CTL_RESTART);
	assert_int_equal(parse("stop"), 0);
	assert_int_equal(req.cmd, CTL_STOP);
}

static void
test_scale_forms(void **state)
{
	assert_int_equal(parse("scale 4"), 0);
	assert_int_equal(req.cmd, CTL_SCALE);
	assert_int_equal(req.scale, CTL_SCALE_SET);
	assert_int_equal(req.n, 4);
	assert_int_equal(parse("scale +2"), 0);
	assert_int_equal(req.scale, CTL_SCALE_UP);
	assert_int_equal(req.n, 2);
	assert_int_equal(parse("scale -3"), 0);
	assert_int_equal(req.scale, CTL_SCALE_DOWN);
	assert_int_equal(req.n, 3);
	assert_int_equal(parse("scale 65536"), 0);
	refused("scale 65537", "scale: '65537' is not N, +N or -N (N a number "
	    "up to 65536)");
	refused("scale 99999999999999999999999", "scale: "
	    "'99999999999999999999999' is not N, +N or -N (N a number up to "
	    "65536)");
	refused("scale abc", "scale: 'abc' is not N, +N or -N (N a number up "
	    "to 65536)");
	refused("scale +", "scale: '+' is not N, +N or -N (N a number up to "
	    "65536)");
	refused("scale --1", "scale: '--1' is not N, +N or -N (N a number up "
	    "to 65536)");
	refused("scale 1x", "scale: '1x' is not N, +N or -N (N a number up to "
	    "65536)");
	refused("scale", "scale takes one argument: N, +N or -N");
	refused("scale 1 2", "scale takes one argument: N, +N or -N");
}

static void
test_advise_forms(void **state)
{
	assert_int_equal(parse("advise"), 0);
	assert_int_equal(req.cmd, CTL_ADVISE);
	assert_int_equal(req.window_ms, 30000);
	assert_false(req.json);
	assert_int_equal(parse("advise --json --window 2m"), 0);
	assert_true(req.json);
	assert_int_equal(req.window_ms, 120000);
	assert_int_equal(parse("advise --window 1s"), 0);
	assert_int_equal(req.window_ms, 1000);
	assert_int_equal(parse("advise --window 15m"), 0);
	refused("advise --window 999ms", "advise: --window '999ms' is not "
	    "between 1s and 15m");
	refused("advise --window 16m", "advise: --window '16m' is not "
	    "between 1s and 15m");
	refused("advise --window soon", "advise: --window 'soon' is not a "
	    "duration (use ms, s, m, h)");
	refused("advise --window", "advise: unknown option '--window' "
	    "(--window DURATION, --json)");
	refused("advise 30s", "advise: unknown option '30s' (--window "
	    "DURATION, --json)");
}

static void
test_refused(void **state)
{
	char	line[CTL_REQUEST_MAX + 8];

	refused("", "empty request");
	refused("   ", "empty request");
	refused("bogus", "unknown command 'bogus'");
	refused("STATUS", "unknown command 'STATUS'");
	refused("status --verbose", "status: unknown option '--verbose' "
	    "(--json, --check)");
	refused("reload now", "reload takes no argument");
	refused("stop 1", "stop takes no argument");
	refused("status --json --json --json --json", "too many words (4 at "
	    "most)");
	refused("recycle", "recycle takes one argument: a slot number");
	refused("recycle x", "recycle: 'x' is not a slot number");
	refused("recycle 65536", "recycle: '65536' is not a slot number");
	assert_int_equal(parse("recycle 3"), 0);
	assert_int_equal(req.cmd, CTL_RECYCLE);
	assert_int_equal(req.n, 3);
	assert_int_equal(parse("upgrade"), 0);
	assert_int_equal(req.cmd, CTL_UPGRADE);
	refused("upgrade now", "upgrade takes no argument");
	/* Bytes that are not printable ASCII: named, not echoed. */
	assert_int_equal(ctl_parse("status\0x", 8, &req, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "byte 0x00 at offset 6: a request is "
	    "printable ASCII");
	refused("stat\033[2Jus", "byte 0x1b at offset 4: a request is "
	    "printable ASCII");
	refused("status\r", "byte 0x0d at offset 6: a request is printable "
	    "ASCII");
	refused("st\xc3\xa9", "byte 0xc3 at offset 2: a request is printable "
	    "ASCII");
	/* The limit: 4095 bytes and the newline. */
	memset(line, 'a', sizeof(line));
	assert_int_equal(ctl_parse(line, CTL_REQUEST_MAX, &req, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "request too long (4095 bytes at most)");
	/* A long unknown word is cut short in the reason. */
	line[CTL_REQUEST_MAX - 1] = '\0';
	assert_int_equal(parse(line), -1);
	assert_true(strlen(why) < 100);
	assert_non_null(strstr(why, "unknown command 'aaa"));
}

static void
test_scale_size(void **state)
{
	unsigned	n = 0;

	req = (struct ctl_request){ .cmd = CTL_SCALE, .scale = CTL_SCALE_SET,
	    .n = 7 };
	assert_int_equal(ctl_scale_size(&req, 3, SIZE_WORKERS_MAX, &n, why,
	    sizeof(why)), 0);
	assert_int_equal(n, 7);
	req.scale = CTL_SCALE_UP;
	req.n = 2;
	assert_int_equal(ctl_scale_size(&req, 3, 100, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 5);
	req.scale = CTL_SCALE_DOWN;
	assert_int_equal(ctl_scale_size(&req, 3, 100, &n, why, sizeof(why)),
	    0);
	assert_int_equal(n, 1);
	/* Never below 1. */
	req.n = 3;
	assert_int_equal(ctl_scale_size(&req, 3, 100, &n, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "scale: the pool cannot be smaller than 1 "
	    "worker (it has 3)");
	req.n = 65536;
	assert_int_equal(ctl_scale_size(&req, 3, 100, &n, why, sizeof(why)),
	    -1);
	req.scale = CTL_SCALE_SET;
	req.n = 0;
	assert_int_equal(ctl_scale_size(&req, 3, 100, &n, why, sizeof(why)),
	    -1);
	/* Nor above the most a pool may have, even by adding. */
	req.scale = CTL_SCALE_UP;
	req.n = 65536;
	assert_int_equal(ctl_scale_size(&req, 65536, 65536, &n, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "scale: 131072 workers is more than 65536, "
	    "the most a pool may have");
	assert_int_equal(n, 1);
}

static void
test_reply_parse(void **state)
{
	enum ctl_reply	 kind;
	const char	*reason, *t;
	size_t		 rlen, body;

	t = "OK\nbody\n";
	assert_int_equal(ctl_reply_parse(t, strlen(t), &kind, &reason, &rlen,
	    &body), 0);
	assert_int_equal(kind, CTL_OK);
	assert_int_equal(rlen, 0);
	assert_string_equal(t + body, "body\n");
	t = "ERR the configuration has errors\na.ini:3: x\n";
	assert_int_equal(ctl_reply_parse(t, strlen(t), &kind, &reason, &rlen,
	    &body), 0);
	assert_int_equal(kind, CTL_ERR);
	assert_int_equal(rlen, strlen("the configuration has errors"));
	assert_memory_equal(reason, "the configuration has errors", rlen);
	assert_string_equal(t + body, "a.ini:3: x\n");
	t = "DENIED permission denied";
	assert_int_equal(ctl_reply_parse(t, strlen(t), &kind, &reason, &rlen,
	    &body), 0);
	assert_int_equal(kind, CTL_DENIED);
	assert_int_equal(body, strlen(t));
	t = "BUSY too many clients (16 at most)\n";
	assert_int_equal(ctl_reply_parse(t, strlen(t), &kind, &reason, &rlen,
	    &body), 0);
	assert_int_equal(kind, CTL_BUSY);
	/* Not answers. */
	assert_int_equal(ctl_reply_parse("OKAY\n", 5, &kind, &reason, &rlen,
	    &body), -1);
	assert_int_equal(ctl_reply_parse("", 0, &kind, &reason, &rlen,
	    &body), -1);
	assert_int_equal(ctl_reply_parse("HTTP/1.1 200 OK\n", 16, &kind,
	    &reason, &rlen, &body), -1);
	assert_int_equal(ctl_reply_parse("ER", 2, &kind, &reason, &rlen,
	    &body), -1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_scale_forms),
		cmocka_unit_test(test_advise_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_scale_size),
		cmocka_unit_test(test_reply_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
