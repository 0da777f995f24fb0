/* SPDX-License-Identifier: ISC */
/*
 * conf_test: the configuration module on its own: value parsers, the INI
 * file read through inih, every error message and its line, command line
 * overrides, cross-key checks and what makes workers differ.
 */
#include "config.h"

#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "conf_parse.h"
#include "testlib.h"

/* The NULL that ends expect_errors() lists, typed for a variadic call. */
#define END	((const char *)NULL)

struct fx {
	struct conf	c;
	struct strv	errs;
};

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	conf_init(&f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	conf_free(&f->c);
	strv_free(&f->errs);
	free(f);
	return 0;
}

/* Loads text as "test.ini" into a fresh configuration. */
static int
load(struct fx *f, const char *text)
{
	conf_free(&f->c);
	strv_free(&f->errs);
	return conf_load_string(&f->c, "test.ini", text, &f->errs);
}

/* Checks that errs holds exactly the messages given, NULL-terminated. */
static void
expect_errors(const struct strv *errs, ...)
{
	va_list		 ap;
	const char	*want;
	size_t		 i = 0;

	va_start(ap, errs);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= errs->n)
			fail_msg("missing error %zu: \"%s\"", i, want);
		assert_string_equal(errs->v[i], want);
		i++;
	}
	va_end(ap);
	for (; i < errs->n; i++)
		fail_msg("unexpected error: \"%s\"", errs->v[i]);
}

/*
 * Loads "[prefork]\nKEY = VALUE\n": no error when want is NULL, else
 * exactly "test.ini:2: KEY: want".
 */
static void
check_value(struct fx *f, const char *key, const char *value,
    const char *want)
{
	char	text[1024], msg[1024];
	int	n;

	snprintf(text, sizeof(text), "[prefork]\n%s = %s\n", key, value);
	n = load(f, text);
	if (want == NULL) {
		expect_errors(&f->errs, END);
		assert_int_equal(n, 0);
		return;
	}
	snprintf(msg, sizeof(msg), "test.ini:2: %s: %s", key, want);
	expect_errors(&f->errs, msg, END);
	assert_int_equal(n, 1);
}

/* conf_init: every default prefork.ini(5) KEYS gives. */
static void
test_defaults(void **state)
{
	struct fx	*f = *state;
	struct conf	*c = &f->c;
	int		 i;

	assert_ptr_equal(c->profile, size_profile_default());
	assert_null(c->path);
	assert_int_equal(c->argv.n, 0);
	assert_null(c->command);
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->max_workers, 0);
	assert_int_equal(c->min_workers, 1);
	assert_int_equal(c->workers_per_cpu, 2);
	assert_int_equal(c->extra_workers, 1);
	assert_int_equal(c->cpus, 0);
	assert_int_equal(c->memory, 0);
	assert_int_equal(c->worker_memory, 0);
	assert_null(c->worker_class);
	assert_string_equal(conf_worker_class(c), "eventlet");
	assert_int_equal(c->graceful_timeout, 30000);
	assert_int_equal(c->min_uptime, 1000);
	assert_int_equal(c->restart_delay, 100);
	assert_int_equal(c->restart_delay_max, 30000);
	for (i = 0; i < 256; i++)
		assert_false(conf_halts(c, i));
	assert_int_equal(c->ready, READY_EXEC);
	assert_int_equal(c->ready_timeout, 60000);
	assert_int_equal(c->timeout, 0);
	assert_int_equal(c->listen.n, 0);
	assert_int_equal(c->backlog, 2048);
	assert_null(c->user);
	assert_null(c->group);
	assert_int_equal(c->uid, (uid_t)-1);
	assert_int_equal(c->gid, (gid_t)-1);
	assert_int_equal(c->ngroups, 0);
	assert_null(c->chdir);
	assert_false(c->umask_set);
	assert_null(c->pidfile);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_null(c->log_file);
	assert_int_equal(c->env.n, 0);
	assert_int_equal(conf_validate(c, &f->errs), 0);
}

/* The file path: every key set to a valid value lands in its field. */
static void
test_every_key_valid(void **state)
{
	struct fx	*f = *state;
	struct conf	*c = &f->c;

	assert_int_equal(load(f,
	    "; a comment\n"
	    "# another\n"
	    "[prefork]\n"
	    "command = python3 -m app --bind 'x y'\n"
	    "profile = ultra-scalable\n"
	    "workers = 7\n"
	    "max_workers = 12\n"
	    "min_workers = 2\n"
	    "workers_per_cpu = 3\n"
	    "extra_workers = 0\n"
	    "cpus = 4\n"
	    "memory = 16G\n"
	    "worker_memory = 512M\n"
	    "worker_class = uvicorn.workers:Uvicorn_Worker-2\n"
	    "graceful_timeout = 0\n"
	    "min_uptime = 2.5s\n"
	    "restart_delay = 250ms\n"
	    "restart_delay_max = 1m\n"
	    "halt_exit_codes = 3, 4\n"
	    "ready = notify\n"
	    "ready_timeout = 1h\n"
	    "timeout = 30\n"
	    "listen = 127.0.0.1:8000, [::1]:8000 unix:/run/app.sock\n"
	    "backlog = 128\n"
	    "user = nobody\n"
	    "group = nogroup\n"
	    "chdir = /srv/app\n"
	    "umask = 027\n"
	    "pidfile = /run/prefork.pid\n"
	    "log_level = debug\n"
	    "log_file = /var/log/prefork.log\n"
	    "[env]\n"
	    "APP_ENV = production\n"), 0);
	expect_errors(&f->errs, END);
	assert_string_equal(c->path, "test.ini");
	assert_int_equal(c->argv.n, 5);
	assert_string_equal(c->argv.v[4], "x y");
	assert_null(c->argv.v[5]);
	assert_string_equal(c->command, "python3 -m app --bind 'x y'");
	assert_string_equal(c->profile->name, "ultra-scalable");
	assert_int_equal(c->workers, 7);
	assert_int_equal(c->max_workers, 12);
	assert_int_equal(c->min_workers, 2);
	assert_int_equal(c->workers_per_cpu, 3);
	assert_int_equal(c->extra_workers, 0);
	assert_int_equal(c->cpus, 4);
	assert_int_equal(c->memory, 16 * SIZE_GIB);
	assert_int_equal(c->worker_memory, 512 << 20);
	assert_string_equal(conf_worker_class(c),
	    "uvicorn.workers:Uvicorn_Worker-2");
	assert_int_equal(c->graceful_timeout, 0);
	assert_int_equal(c->min_uptime, 2500);
	assert_int_equal(c->restart_delay, 250);
	assert_int_equal(c->restart_delay_max, 60000);
	assert_true(conf_halts(c, 3));
	assert_true(conf_halts(c, 4));
	assert_false(conf_halts(c, 5));
	assert_int_equal(c->ready, READY_NOTIFY);
	assert_int_equal(c->ready_timeout, 3600000);
	assert_int_equal(c->timeout, 30000);
	assert_int_equal(c->listen.n, 3);
	assert_string_equal(c->listen.v[1], "[::1]:8000");
	assert_string_equal(c->listen.v[2], "unix:/run/app.sock");
	assert_int_equal(c->backlog, 128);
	assert_string_equal(c->user, "nobody");
	assert_string_equal(c->group, "nogroup");
	assert_int_equal(c->uid, 65534);
	assert_int_equal(c->gid, 65534);
	assert_string_equal(c->chdir, "/srv/app");
	assert_true(c->umask_set);
	assert_int_equal(c->umask, 027);
	assert_string_equal(c->pidfile, "/run/prefork.pid");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c->log_file, "/var/log/prefork.log");
	assert_int_equal(c->env.n, 1);
	assert_string_equal(c->env.v[0], "APP_ENV=production");
	assert_int_equal(c->lines[CONF_KEY_COMMAND], 4);
	assert_int_equal(c->lines[CONF_KEY_LOG_FILE], 31);
	assert_int_equal(conf_validate(c, &f->errs), 0);
}

/* Counts: auto, bounds at min and max and one past, junk, overflow. */
static void
test_counts(void **state)
{
	static const struct {
		const char	*key, *value, *want;
	} cases[] = {
		{ "workers", "auto", NULL },
		{ "workers", "1", NULL },
		{ "workers", "4096", NULL },
		{ "workers", "0", "0 is out of range (1 to 4096)" },
		{ "workers", "4097", "4097 is out of range (1 to 4096)" },
		{ "workers", "-1", "-1 is out of range (1 to 4096)" },
		{ "workers", "99999999999999999999",
		    "99999999999999999999 is out of range (1 to 4096)" },
		{ "workers", "abc", "'abc' is not a number" },
		{ "workers", "+4", "'+4' is not a number" },
		{ "workers", "0x10", "'0x10' is not a number" },
		{ "workers", "4 2", "'4 2' is not a number" },
		{ "workers", "4.0", "'4.0' is not a number" },
		{ "workers", "Auto", "'Auto' is not a number" },
		{ "workers", "-", "'-' is not a number" },
		{ "max_workers", "auto", NULL },
		{ "max_workers", "4097", "4097 is out of range (1 to 4096)" },
		{ "min_workers", "1", NULL },
		{ "min_workers", "0", "0 is out of range (1 to 4096)" },
		{ "min_workers", "auto", "'auto' is not a number" },
		{ "workers_per_cpu", "1024", NULL },
		{ "workers_per_cpu", "1025",
		    "1025 is out of range (1 to 1024)" },
		{ "workers_per_cpu", "0", "0 is out of range (1 to 1024)" },
		{ "extra_workers", "0", NULL },
		{ "extra_workers", "4096", NULL },
		{ "extra_workers", "4097", "4097 is out of range (0 to 4096)" },
		{ "cpus", "auto", NULL },
		{ "cpus", "65536", NULL },
		{ "cpus", "65537", "65537 is out of range (1 to 65536)" },
		{ "cpus", "0", "0 is out of range (1 to 65536)" },
		{ "backlog", "1", NULL },
		{ "backlog", "65535", NULL },
		{ "backlog", "65536", "65536 is out of range (1 to 65535)" },
		{ "backlog", "0", "0 is out of range (1 to 65535)" },
		{ "backlog", "off", "'off' is not a number" },
	};
	struct fx	*f = *state;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++)
		check_value(f, cases[i].key, cases[i].value, cases[i].want);
	check_value(f, "workers", "12", NULL);
	assert_int_equal(f->c.workers, 12);
	check_value(f, "workers", "auto", NULL);
	assert_int_equal(f->c.workers, 0);
	check_value(f, "cpus", "65536", NULL);
	assert_int_equal(f->c.cpus, 65536);
}

/* conf_parse_uint, as the command line uses it: its two reasons. */
static void
test_parse_uint(void **state)
{
	const char	*why = NULL;
	unsigned	 v = 0;

	assert_int_equal(conf_parse_uint("12", 1, 20, &v, &why), 0);
	assert_int_equal(v, 12);
	assert_int_equal(conf_parse_uint("20", 1, 20, &v, &why), 0);
	assert_int_equal(v, 20);
	assert_int_equal(conf_parse_uint("21", 1, 20, &v, &why), -1);
	assert_string_equal(why, "is out of range");
	assert_int_equal(conf_parse_uint("-3", 1, 20, &v, &why), -1);
	assert_string_equal(why, "is out of range");
	assert_int_equal(conf_parse_uint("", 1, 20, &v, &why), -1);
	assert_string_equal(why, "is not a number");
	assert_int_equal(conf_parse_uint(" 3", 1, 20, &v, &why), -1);
	assert_string_equal(why, "is not a number");
	assert_int_equal(v, 20);
}

#define BAD_SYNTAX	"is not a duration (use ms, s, m, h)"
#define BAD_FRACTION	"is not a whole number of milliseconds"
#define BAD_RANGE	"is out of range (0 to one year)"

/* conf_parse_duration: units, bare seconds, decimals, limits, junk. */
static void
test_parse_duration(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 ms;
		const char	*why;
	} cases[] = {
		{ "30s", 30000, NULL },
		{ "100ms", 100, NULL },
		{ "5m", 300000, NULL },
		{ "1h", 3600000, NULL },
		{ "30", 30000, NULL },
		{ "0", 0, NULL },
		{ "0ms", 0, NULL },
		{ "1.5s", 1500, NULL },
		{ "0.25s", 250, NULL },
		{ "2.5h", 9000000, NULL },
		{ "0.001", 1, NULL },
		{ "1.50000000000000000000s", 1500, NULL },
		{ "007s", 7000, NULL },
		{ "8760h", CONF_DURATION_MAX_MS, NULL },
		{ "31536000", CONF_DURATION_MAX_MS, NULL },
		{ "1.5ms", 0, BAD_FRACTION },
		{ "0.5ms", 0, BAD_FRACTION },
		{ "0.0001s", 0, BAD_FRACTION },
		{ "1.0000000001s", 0, BAD_FRACTION },
		{ "8761h", 0, BAD_RANGE },
		{ "8760.5h", 0, BAD_RANGE },
		{ "31536000001ms", 0, BAD_RANGE },
		{ "99999999999999999999s", 0, BAD_RANGE },
		{ "99999999999999999999999999999", 0, BAD_RANGE },
		{ "-1s", 0, BAD_RANGE },
		{ "10x", 0, BAD_SYNTAX },
		{ "10sec", 0, BAD_SYNTAX },
		{ "10S", 0, BAD_SYNTAX },
		{ "10 s", 0, BAD_SYNTAX },
		{ "1e3", 0, BAD_SYNTAX },
		{ "s", 0, BAD_SYNTAX },
		{ "", 0, BAD_SYNTAX },
		{ "1.s", 0, BAD_SYNTAX },
		{ ".5s", 0, BAD_SYNTAX },
		{ "1.5.5s", 0, BAD_SYNTAX },
		{ "0x10", 0, BAD_SYNTAX },
		{ "10ms ", 0, BAD_SYNTAX },
		{ "-", 0, BAD_SYNTAX },
	};
	const char	*why;
	uint64_t	 ms;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		why = NULL;
		ms = UINT64_MAX;
		if (cases[i].why == NULL) {
			if (conf_parse_duration(cases[i].s, &ms, &why) != 0)
				fail_msg("'%s': %s", cases[i].s, why);
			assert_int_equal(ms, cases[i].ms);
		} else {
			if (conf_parse_duration(cases[i].s, &ms, &why) != -1)
				fail_msg("'%s' was accepted", cases[i].s);
			assert_string_equal(why, cases[i].why);
		}
	}
}

/* Duration keys: their own bounds, off, and the messages with the key. */
static void
test_duration_keys(void **state)
{
	struct fx	*f = *state;

	check_value(f, "graceful_timeout", "0", NULL);
	assert_int_equal(f->c.graceful_timeout, 0);
	check_value(f, "graceful_timeout", "10x",
	    "'10x' is not a duration (use ms, s, m, h)");
	check_value(f, "graceful_timeout", "8761h",
	    "8761h is out of range (0 to 8760h)");
	check_value(f, "min_uptime", "0", NULL);
	check_value(f, "min_uptime", "0.5ms",
	    "'0.5ms' is not a whole number of milliseconds");
	check_value(f, "restart_delay", "1ms", NULL);
	assert_int_equal(f->c.restart_delay, 1);
	check_value(f, "restart_delay", "0",
	    "0 is out of range (1ms to 8760h)");
	check_value(f, "restart_delay_max", "0ms",
	    "0ms is out of range (1ms to 8760h)");
	check_value(f, "ready_timeout", "0s",
	    "0s is out of range (1ms to 8760h)");
	check_value(f, "ready_timeout", "-5s",
	    "-5s is out of range (1ms to 8760h)");
	check_value(f, "ready_timeout", "8760h", NULL);
	assert_int_equal(f->c.ready_timeout, CONF_DURATION_MAX_MS);
	check_value(f, "timeout", "off", NULL);
	assert_int_equal(f->c.timeout, 0);
	check_value(f, "timeout", "0", NULL);
	check_value(f, "timeout", "1.5m", NULL);
	assert_int_equal(f->c.timeout, 90000);
	check_value(f, "timeout", "auto",
	    "'auto' is not a duration (use ms, s, m, h)");
	check_value(f, "graceful_timeout", "off",
	    "'off' is not a duration (use ms, s, m, h)");
}

/* conf_parse_size: units in both cases, B and iB, overflow, junk. */
static void
test_parse_size(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 bytes;
		const char	*why;
	} cases[] = {
		{ "4096", 4096, NULL },
		{ "4096B", 4096, NULL },
		{ "0", 0, NULL },
		{ "1K", 1024, NULL },
		{ "1k", 1024, NULL },
		{ "512M", UINT64_C(512) << 20, NULL },
		{ "512MiB", UINT64_C(512) << 20, NULL },
		{ "512mb", UINT64_C(512) << 20, NULL },
		{ "16G", UINT64_C(16) << 30, NULL },
		{ "16GiB", UINT64_C(16) << 30, NULL },
		{ "16GB", UINT64_C(16) << 30, NULL },
		{ "1T", UINT64_C(1) << 40, NULL },
		{ "16777215T", UINT64_C(16777215) << 40, NULL },
		{ "18446744073709551615", UINT64_MAX, NULL },
		{ "16777216T", 0, "is too large (more than 64 bits)" },
		{ "18446744073709551616", 0,
		    "is too large (more than 64 bits)" },
		{ "99999999999999999999G", 0,
		    "is too large (more than 64 bits)" },
		{ "-1M", 0, "is out of range" },
		{ "1.5G", 0, "is not a size (use K, M, G, T)" },
		{ "1iB", 0, "is not a size (use K, M, G, T)" },
		{ "1KX", 0, "is not a size (use K, M, G, T)" },
		{ "1P", 0, "is not a size (use K, M, G, T)" },
		{ "M", 0, "is not a size (use K, M, G, T)" },
		{ "", 0, "is not a size (use K, M, G, T)" },
		{ "1 M", 0, "is not a size (use K, M, G, T)" },
		{ "1Mi", 0, "is not a size (use K, M, G, T)" },
	};
	const char	*why;
	uint64_t	 bytes;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		why = NULL;
		bytes = 1;
		if (cases[i].why == NULL) {
			if (conf_parse_size(cases[i].s, &bytes, &why) != 0)
				fail_msg("'%s': %s", cases[i].s, why);
			assert_int_equal(bytes, cases[i].bytes);
		} else {
			if (conf_parse_size(cases[i].s, &bytes, &why) != -1)
				fail_msg("'%s' was accepted", cases[i].s);
			assert_string_equal(why, cases[i].why);
		}
	}
}

/* memory and worker_memory: auto/off, the 1M floor, messages. */
static void
test_size_keys(void **state)
{
	struct fx	*f = *state;

	check_value(f, "memory", "auto", NULL);
	assert_int_equal(f->c.memory, 0);
	check_value(f, "memory", "1M", NULL);
	assert_int_equal(f->c.memory, 1 << 20);
	check_value(f, "memory", "1048576", NULL);
	check_value(f, "memory", "1048575",
	    "1048575 is out of range (at least 1M)");
	check_value(f, "memory", "1023K",
	    "1023K is out of range (at least 1M)");
	check_value(f, "memory", "0", "0 is out of range (at least 1M)");
	check_value(f, "memory", "-2G", "-2G is out of range (at least 1M)");
	check_value(f, "memory", "off", "'off' is not a size (use K, M, G, T)");
	check_value(f, "memory", "99999999999999999999",
	    "'99999999999999999999' is too large (more than 64 bits)");
	check_value(f, "worker_memory", "off", NULL);
	assert_int_equal(f->c.worker_memory, 0);
	check_value(f, "worker_memory", "256MiB", NULL);
	assert_int_equal(f->c.worker_memory, 256 << 20);
	check_value(f, "worker_memory", "auto",
	    "'auto' is not a size (use K, M, G, T)");
	check_value(f, "worker_memory", "1.5G",
	    "'1.5G' is not a size (use K, M, G, T)");
}

/* conf_split_words: quotes, escapes, adjacent parts, empty words, errors. */
static void
test_split_words(void **state)
{
	static const struct {
		const char	*s;
		const char	*want[6];	/* NULL-terminated */
		const char	*why;
	} cases[] = {
		{ "a b  c", { "a", "b", "c" }, NULL },
		{ " \ta\t b\n", { "a", "b" }, NULL },
		{ "'a b' c", { "a b", "c" }, NULL },
		{ "'a \\ \" $x'", { "a \\ \" $x" }, NULL },
		{ "\"a \\\"b\\\" \\\\ \\$ \\` \\x\"", { "a \"b\" \\ $ ` \\x" },
		    NULL },
		{ "a\\ b", { "a b" }, NULL },
		{ "a\\\\b", { "a\\b" }, NULL },
		{ "\\'", { "'" }, NULL },
		{ "a'b'\"c\"", { "abc" }, NULL },
		{ "''", { "" }, NULL },
		{ "\"\"", { "" }, NULL },
		{ "a '' b", { "a", "", "b" }, NULL },
		{ "'it'\\''s'", { "it's" }, NULL },
		{ "\"$HOME\" * ~ `x` |", { "$HOME", "*", "~", "`x`", "|" },
		    NULL },
		{ "a\\\nb", { "ab" }, NULL },
		{ "\"a\\\nb\"", { "ab" }, NULL },
		{ "\\\n", { NULL }, NULL },
		{ "", { NULL }, NULL },
		{ "   ", { NULL }, NULL },
		{ "\"a", { NULL }, "unterminated double quote" },
		{ "a \"b\\\"", { NULL }, "unterminated double quote" },
		{ "'a", { NULL }, "unterminated single quote" },
		{ "'a\\'b'", { NULL }, "unterminated single quote" },
		{ "a\\", { NULL }, "ends with a backslash" },
	};
	struct strv	 words = STRV_INIT;
	const char	*why;
	size_t		 i, j;

	for (i = 0; i < nitems(cases); i++) {
		why = NULL;
		if (cases[i].why != NULL) {
			assert_int_equal(conf_split_words(cases[i].s, &words,
			    &why), -1);
			assert_string_equal(why, cases[i].why);
			assert_int_equal(words.n, 0);
			continue;
		}
		if (conf_split_words(cases[i].s, &words, &why) != 0)
			fail_msg("'%s': %s", cases[i].s, why);
		for (j = 0; cases[i].want[j] != NULL; j++) {
			assert_true(j < words.n);
			assert_string_equal(words.v[j], cases[i].want[j]);
		}
		assert_int_equal(words.n, j);
		strv_free(&words);
	}
	/* Words are appended; a failure leaves what was there. */
	assert_int_equal(conf_split_words("a b", &words, &why), 0);
	assert_int_equal(conf_split_words("c", &words, &why), 0);
	assert_int_equal(conf_split_words("d 'e", &words, &why), -1);
	assert_int_equal(words.n, 3);
	assert_string_equal(words.v[2], "c");
	assert_null(words.v[3]);
	strv_free(&words);
}

/* The command key: words into argv, the text kept, and its errors. */
static void
test_command_key(void **state)
{
	struct fx	*f = *state;

	check_value(f, "command", "sh -c 'exec \"$0\"' x", NULL);
	assert_int_equal(f->c.argv.n, 4);
	assert_string_equal(f->c.argv.v[2], "exec \"$0\"");
	assert_string_equal(f->c.command, "sh -c 'exec \"$0\"' x");
	check_value(f, "command", "sh -c \"echo", "unterminated double quote");
	check_value(f, "command", "'echo", "unterminated single quote");
	check_value(f, "command", "echo \\", "ends with a backslash");
	check_value(f, "command", "'' x", "the program name is empty");
	check_value(f, "command", "", "empty value");
	/* inih cuts an inline comment (" ;") before we see the quote. */
	check_value(f, "command", "sh -c \"a ; b\"",
	    "unterminated double quote");
	check_value(f, "command", "sh -c \"a; b\"", NULL);
	assert_string_equal(f->c.argv.v[2], "a; b");
}

/* halt_exit_codes: a list of 0..255, and list syntax errors. */
static void
test_halt_exit_codes(void **state)
{
	struct fx	*f = *state;
	int		 i;

	check_value(f, "halt_exit_codes", "3, 4 5,6 ,7", NULL);
	for (i = 0; i < 256; i++)
		assert_int_equal(conf_halts(&f->c, i), i >= 3 && i <= 7);
	check_value(f, "halt_exit_codes", "0,255", NULL);
	assert_true(conf_halts(&f->c, 0));
	assert_true(conf_halts(&f->c, 255));
	assert_false(conf_halts(&f->c, 256));
	assert_false(conf_halts(&f->c, -1));
	check_value(f, "halt_exit_codes", "3,,4", "empty item in the list");
	check_value(f, "halt_exit_codes", "3, ,4", "empty item in the list");
	check_value(f, "halt_exit_codes", ",3", "empty item in the list");
	check_value(f, "halt_exit_codes", "3,", "empty item in the list");
	check_value(f, "halt_exit_codes", ",", "empty item in the list");
	check_value(f, "halt_exit_codes", "3, 256",
	    "256 is out of range (0 to 255)");
	check_value(f, "halt_exit_codes", "-1",
	    "-1 is out of range (0 to 255)");
	check_value(f, "halt_exit_codes", "3 x", "'x' is not a number");
	check_value(f, "halt_exit_codes", "3;4", "'3;4' is not a number");
}

/* listen: each accepted form, then each way an address can be wrong. */
static void
test_listen(void **state)
{
	static const struct {
		const char	*value, *want;
	} cases[] = {
		{ "8000", "'8000': expected HOST:PORT, [IPV6]:PORT or "
		    "unix:/PATH" },
		{ "*:0", "'*:0': port must be a number from 1 to 65535" },
		{ "*:65536", "'*:65536': port must be a number from 1 to "
		    "65535" },
		{ "*:http", "'*:http': port must be a number from 1 to 65535" },
		{ "*:", "'*:': port must be a number from 1 to 65535" },
		{ ":80", "':80': missing host (use *:PORT for all addresses)" },
		{ "::1:80", "'::1:80': put an IPv6 address in brackets "
		    "([::1]:PORT)" },
		{ "[::1]80", "'[::1]80': port must be a number from 1 to "
		    "65535" },
		{ "[1.2.3.4]:80", "'[1.2.3.4]:80': not an IPv6 address" },
		{ "[]:80", "'[]:80': not an IPv6 address" },
		{ "[::1:80", "'[::1:80': not an IPv6 address" },
		{ "[fe80::1%]:80", "'[fe80::1%]:80': not an interface name "
		    "after %" },
		{ "[fe80::1%a/b]:80", "'[fe80::1%a/b]:80': not an interface "
		    "name after %" },
		{ "[fe80::1%abcdefghijklmnop]:80", "'[fe80::1%abcdefghijklmnop]"
		    ":80': not an interface name after %" },
		{ "[fe80::g%lo]:80", "'[fe80::g%lo]:80': not an IPv6 address" },
		{ "127.0.0.1%lo:80", "'127.0.0.1%lo:80': a zone (%) needs an "
		    "IPv6 address in brackets ([fe80::1%eth0]:PORT)" },
		{ "*:080000", "'*:080000': port must be a number from 1 to "
		    "65535" },
		{ "256.1.1.1:80", "'256.1.1.1:80': not an IPv4 address" },
		{ "1.2.3:80", "'1.2.3:80': not an IPv4 address" },
		{ "-bad.example:80", "'-bad.example:80': not a valid host "
		    "name" },
		{ "bad-.example:80", "'bad-.example:80': not a valid host "
		    "name" },
		{ "a..b:80", "'a..b:80': not a valid host name" },
		{ "example-:80", "'example-:80': not a valid host name" },
		{ "a_b:80", "'a_b:80': not a valid host name" },
		{ "unix:run/app.sock", "'unix:run/app.sock': a unix socket "
		    "path must be absolute" },
		{ "*:80 *:80", "'*:80' is listed twice" },
		{ "*:80,,*:81", "empty item in the list" },
	};
	struct fx	*f = *state;
	char		 path[160], want[300];
	size_t		 i;

	check_value(f, "listen", "0.0.0.0:80, *:8080 [::]:443 "
	    "[fe80::1:2]:1 localhost:65535 app-1.example.com:9 unix:/a "
	    "[fe80::1%eth0]:80 [fe80::1%2]:80", NULL);
	assert_int_equal(f->c.listen.n, 9);
	assert_string_equal(f->c.listen.v[1], "*:8080");
	assert_string_equal(f->c.listen.v[6], "unix:/a");
	for (i = 0; i < nitems(cases); i++)
		check_value(f, "listen", cases[i].value, cases[i].want);
	/* sun_path holds 107 bytes and the NUL. */
	memset(path, 'p', sizeof(path));
	memcpy(path, "unix:/", 6);
	path[5 + 107] = '\0';
	check_value(f, "listen", path, NULL);
	path[5 + 107] = 'p';
	path[5 + 108] = '\0';
	snprintf(want, sizeof(want), "'%s': unix socket path longer than "
	    "107 bytes", path);
	check_value(f, "listen", path, want);
}

/* The string keys: profile, worker_class, ready, paths, umask, log_level. */
static void
test_string_keys(void **state)
{
	struct fx	*f = *state;
	char		 long_class[80], want[200];

	check_value(f, "profile", "ec2-free-tier", NULL);
	assert_string_equal(conf_worker_class(&f->c), "sync");
	check_value(f, "profile", "foo", "unknown profile 'foo' (default, "
	    "aws-ec2, ec2-free-tier, render, cloud, unix, enterprise, "
	    "ultra-scalable)");
	check_value(f, "profile", "Default", "unknown profile 'Default' "
	    "(default, aws-ec2, ec2-free-tier, render, cloud, unix, "
	    "enterprise, ultra-scalable)");
	check_value(f, "worker_class", "gevent", NULL);
	assert_string_equal(conf_worker_class(&f->c), "gevent");
	check_value(f, "worker_class", "a b", "'a b' is not a class name "
	    "(1 to 64 letters, digits, _ . : -)");
	check_value(f, "worker_class", "x/y", "'x/y' is not a class name "
	    "(1 to 64 letters, digits, _ . : -)");
	memset(long_class, 'c', 64);
	long_class[64] = '\0';
	check_value(f, "worker_class", long_class, NULL);
	long_class[64] = 'c';
	long_class[65] = '\0';
	snprintf(want, sizeof(want), "'%s' is not a class name (1 to 64 "
	    "letters, digits, _ . : -)", long_class);
	check_value(f, "worker_class", long_class, want);
	check_value(f, "ready", "exec", NULL);
	assert_int_equal(f->c.ready, READY_EXEC);
	check_value(f, "ready", "notify", NULL);
	assert_int_equal(f->c.ready, READY_NOTIFY);
	check_value(f, "ready", "systemd", "unknown mode 'systemd' (exec, "
	    "notify)");
	check_value(f, "chdir", "/", NULL);
	check_value(f, "chdir", "srv/app", "'srv/app' is not an absolute path");
	check_value(f, "pidfile", "run/prefork.pid", NULL);
	assert_string_equal(f->c.pidfile, "run/prefork.pid");
	check_value(f, "log_file", "prefork.log", NULL);
	/* The defaults, written out, are the defaults, not file names. */
	check_value(f, "pidfile", "none", NULL);
	assert_null(f->c.pidfile);
	check_value(f, "pidfile", "./none", NULL);
	assert_string_equal(f->c.pidfile, "./none");
	check_value(f, "log_file", "stderr", NULL);
	assert_null(f->c.log_file);
	check_value(f, "listen", "none", NULL);
	assert_int_equal(f->c.listen.n, 0);
	check_value(f, "halt_exit_codes", "none", NULL);
	assert_memory_equal(f->c.halt_exit_codes,
	    (uint8_t[sizeof(f->c.halt_exit_codes)]){ 0 },
	    sizeof(f->c.halt_exit_codes));
	check_value(f, "log_level", "warn", NULL);
	assert_int_equal(f->c.log_level, LOG_LEVEL_WARN);
	check_value(f, "log_level", "verbose", "unknown level 'verbose' "
	    "(error, warn, info, debug)");
	check_value(f, "umask", "0", NULL);
	assert_int_equal(f->c.umask, 0);
	assert_true(f->c.umask_set);
	check_value(f, "umask", "0777", NULL);
	assert_int_equal(f->c.umask, 0777);
	check_value(f, "umask", "00022", NULL);
	assert_int_equal(f->c.umask, 022);
	check_value(f, "umask", "1000", "'1000' is not an octal mode (0 to "
	    "0777)");
	check_value(f, "umask", "8", "'8' is not an octal mode (0 to 0777)");
	check_value(f, "umask", "-1", "'-1' is not an octal mode (0 to 0777)");
	check_value(f, "umask", "77777777777777777777777", "'7777777777777777"
	    "7777777' is not an octal mode (0 to 0777)");
}

/*
 * forward_usr1: off by default (USR1 kills most workers), a boolean
 * spelt as systemd spells them, in any case; anything else is an error.
 */
static void
test_forward_usr1(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
	    "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No",
	    "OFF" };
	struct fx	*f = *state;
	size_t		 i;

	assert_false(f->c.forward_usr1);
	for (i = 0; i < nitems(yes); i++) {
		check_value(f, "forward_usr1", yes[i], NULL);
		assert_true(f->c.forward_usr1);
		check_value(f, "forward_usr1", no[i], NULL);
		assert_false(f->c.forward_usr1);
	}
	check_value(f, "forward_usr1", "maybe", "'maybe' is not yes or no");
	check_value(f, "forward_usr1", "2", "'2' is not yes or no");
	check_value(f, "forward_usr1", "yes please", "'yes please' is not "
	    "yes or no");
	check_value(f, "forward_usr1", "y", "'y' is not yes or no");
}

/*
 * The metrics keys: none by default, metrics_interval 15s and at least
 * 1s, metrics_listen a TCP address of the listen grammar only.
 */
static void
test_metrics_keys(void **state)
{
	struct fx	*f = *state;

	assert_null(f->c.metrics_file);
	assert_null(f->c.metrics_listen);
	assert_int_equal(f->c.metrics_interval, 15000);
	check_value(f, "metrics_file", "/var/lib/node_exporter/prefork.prom",
	    NULL);
	assert_string_equal(f->c.metrics_file,
	    "/var/lib/node_exporter/prefork.prom");
	check_value(f, "metrics_file", "none", NULL);
	assert_null(f->c.metrics_file);
	check_value(f, "metrics_interval", "1s", NULL);
	assert_int_equal(f->c.metrics_interval, 1000);
	check_value(f, "metrics_interval", "2m", NULL);
	assert_int_equal(f->c.metrics_interval, 120000);
	check_value(f, "metrics_interval", "999ms",
	    "999ms is out of range (1s to 8760h)");
	check_value(f, "metrics_interval", "0", "0 is out of range (1s to "
	    "8760h)");
	check_value(f, "metrics_interval", "soon",
	    "'soon' is not a duration (use ms, s, m, h)");
	check_value(f, "metrics_listen", "127.0.0.1:9100", NULL);
	assert_string_equal(f->c.metrics_listen, "127.0.0.1:9100");
	check_value(f, "metrics_listen", "[::1]:9100", NULL);
	check_value(f, "metrics_listen", "*:9100", NULL);
	check_value(f, "metrics_listen", "localhost:9100", NULL);
	check_value(f, "metrics_listen", "none", NULL);
	assert_null(f->c.metrics_listen);
	check_value(f, "metrics_listen", "unix:/run/m.sock",
	    "'unix:/run/m.sock': a TCP address (HOST:PORT) is needed");
	check_value(f, "metrics_listen", "127.0.0.1:0",
	    "'127.0.0.1:0': port must be a number from 1 to 65535");
	check_value(f, "metrics_listen", "9100",
	    "'9100': expected HOST:PORT, [IPV6]:PORT or unix:/PATH");
}

/*
 * control: none by default, an absolute path that fits a unix socket's
 * address, or none; control_group a known group, or none.
 */
static void
test_control_keys(void **state)
{
	struct fx	*f = *state;
	char		 longpath[128], want[256];

	assert_null(f->c.control);
	assert_null(f->c.control_group);
	assert_int_equal(f->c.control_gid, (gid_t)-1);
	check_value(f, "control", "/run/prefork/control.sock", NULL);
	assert_string_equal(f->c.control, "/run/prefork/control.sock");
	assert_true(f->c.control_set);
	check_value(f, "control", "none", NULL);
	assert_null(f->c.control);
	assert_true(f->c.control_set);
	check_value(f, "control", "control.sock",
	    "'control.sock' is not an absolute path");
	/* sun_path holds 108 bytes: 107 and the NUL. */
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[107] = '\0';
	check_value(f, "control", longpath, NULL);
	longpath[107] = 'a';
	longpath[108] = '\0';
	snprintf(want, sizeof(want), "'%s' is too long for a unix socket "
	    "(107 bytes at most)", longpath);
	check_value(f, "control", longpath, want);
	check_value(f, "control_group", "nogroup", NULL);
	assert_string_equal(f->c.control_group, "nogroup");
	assert_int_equal(f->c.control_gid, getgrnam("nogroup")->gr_gid);
	check_value(f, "control_group", "0", NULL);
	assert_int_equal(f->c.control_gid, 0);
	check_value(f, "control_group", "none", NULL);
	assert_null(f->c.control_group);
	assert_int_equal(f->c.control_gid, (gid_t)-1);
	check_value(f, "control_group", "no-such-group-here",
	    "unknown group 'no-such-group-here'");
}

/*
 * control's default under systemd: $RUNTIME_DIRECTORY/control.sock (the
 * first of several directories), unless the file says otherwise, even
 * none; nothing without RUNTIME_DIRECTORY.
 */
static void
test_control_default(void **state)
{
	struct conf_source	 src = { .path = NULL };
	struct fx		*f = *state;
	const char		*old = getenv("RUNTIME_DIRECTORY");
	char			*saved = old ? strdup(old) : NULL;
	FILE			*fp;
	char			 path[] = "/tmp/conf_test.XXXXXX";
	int			 fd;

	unsetenv("RUNTIME_DIRECTORY");
	conf_free(&f->c);
	assert_int_equal(conf_build(&f->c, &src, &f->errs), 0);
	assert_null(f->c.control);
	conf_free(&f->c);
	setenv("RUNTIME_DIRECTORY", "/run/prefork-app:/run/other", 1);
	assert_int_equal(conf_build(&f->c, &src, &f->errs), 0);
	assert_string_equal(f->c.control, "/run/prefork-app/control.sock");
	conf_free(&f->c);
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("[prefork]\ncontrol = none\n", fp);
	fclose(fp);
	src.path = path;
	assert_int_equal(conf_build(&f->c, &src, &f->errs), 0);
	assert_null(f->c.control);
	conf_free(&f->c);
	unlink(path);
	if (saved != NULL)
		setenv("RUNTIME_DIRECTORY", saved, 1);
	else
		unsetenv("RUNTIME_DIRECTORY");
	free(saved);
}

/*
 * The recycling keys: their defaults, their words, a jitter as a share
 * or a duration, and a duration jitter as long as the lifetime refused.
 */
static void
test_recycle_keys(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(f->c.max_worker_memory, 0);
	assert_int_equal(f->c.measure, MEASURE_PSS);
	assert_int_equal(f->c.max_lifetime, 0);
	assert_int_equal(f->c.jitter_pct, 10);
	assert_int_equal(f->c.recycle, RECYCLE_SURGE);
	assert_int_equal(f->c.max_recycling, 1);
	assert_int_equal(f->c.check_interval, 10000);
	assert_int_equal(f->c.worker_cgroup, TRI_AUTO);
	check_value(f, "max_worker_memory", "512M", NULL);
	assert_int_equal(f->c.max_worker_memory, 512ull << 20);
	check_value(f, "max_worker_memory", "none", NULL);
	assert_int_equal(f->c.max_worker_memory, 0);
	check_value(f, "max_worker_memory", "100K",
	    "100K is out of range (at least 1M)");
	check_value(f, "worker_memory_measure", "uss", NULL);
	assert_int_equal(f->c.measure, MEASURE_USS);
	check_value(f, "worker_memory_measure", "rss", NULL);
	assert_int_equal(f->c.measure, MEASURE_RSS);
	check_value(f, "worker_memory_measure", "vsz",
	    "'vsz' is not one of pss, rss, uss");
	check_value(f, "max_lifetime", "6h", NULL);
	assert_int_equal(f->c.max_lifetime, 6 * 3600 * 1000ull);
	check_value(f, "max_lifetime", "500ms",
	    "500ms is out of range (1s to 8760h)");
	check_value(f, "lifetime_jitter", "25%", NULL);
	assert_int_equal(f->c.jitter_pct, 25);
	check_value(f, "lifetime_jitter", "0%", NULL);
	assert_int_equal(f->c.jitter_pct, 0);
	check_value(f, "lifetime_jitter", "5m", NULL);
	assert_int_equal(f->c.jitter_pct, -1);
	assert_int_equal(f->c.lifetime_jitter, 300000);
	check_value(f, "lifetime_jitter", "100%",
	    "'100%' is not a percentage from 0% to 99%");
	check_value(f, "lifetime_jitter", "-5%",
	    "'-5%' is not a percentage from 0% to 99%");
	check_value(f, "lifetime_jitter", "%",
	    "'%' is not a duration (use ms, s, m, h)");
	check_value(f, "recycle", "stop-first", NULL);
	assert_int_equal(f->c.recycle, RECYCLE_STOP_FIRST);
	check_value(f, "recycle", "later",
	    "'later' is not one of surge, stop-first");
	check_value(f, "max_recycling", "0", "0 is out of range (1 to "
	    "4096)");
	check_value(f, "check_interval", "1s", NULL);
	assert_int_equal(f->c.check_interval, 1000);
	check_value(f, "check_interval", "10ms",
	    "10ms is out of range (100ms to 8760h)");
	check_value(f, "worker_cgroup", "on", NULL);
	assert_int_equal(f->c.worker_cgroup, TRI_ON);
	check_value(f, "worker_cgroup", "yes",
	    "'yes' is not one of auto, on, off");

	assert_int_equal(load(f, "[prefork]\nmax_lifetime = 1m\n"
	    "lifetime_jitter = 1m\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:3: lifetime_jitter (1m) must be "
	    "less than max_lifetime (1m)", END);
}

/*
 * The adaptive sizing of the pool: off by default, every 30s, up to the
 * sizing result (0); each bad value refused with its words, and
 * autoscale_max below min_workers refused at the key that was set.
 * Without autoscale the other two are unused, not wrong.
 */
static void
test_autoscale_keys(void **state)
{
	struct fx	*f = *state;

	assert_false(f->c.autoscale);
	assert_int_equal(f->c.autoscale_interval, 30000);
	assert_int_equal(f->c.autoscale_max, 0);
	check_value(f, "autoscale", "yes", NULL);
	assert_true(f->c.autoscale);
	check_value(f, "autoscale", "on", NULL);
	assert_true(f->c.autoscale);
	check_value(f, "autoscale", "off", NULL);
	assert_false(f->c.autoscale);
	check_value(f, "autoscale", "maybe", "'maybe' is not yes or no");
	check_value(f, "autoscale_interval", "1s", NULL);
	assert_int_equal(f->c.autoscale_interval, 1000);
	check_value(f, "autoscale_interval", "1h", NULL);
	assert_int_equal(f->c.autoscale_interval, 3600000);
	check_value(f, "autoscale_interval", "90", NULL);
	assert_int_equal(f->c.autoscale_interval, 90000);
	check_value(f, "autoscale_interval", "999ms",
	    "999ms is out of range (1s to 1h)");
	check_value(f, "autoscale_interval", "61m",
	    "61m is out of range (1s to 1h)");
	check_value(f, "autoscale_interval", "0",
	    "0 is out of range (1s to 1h)");
	check_value(f, "autoscale_interval", "soon",
	    "'soon' is not a duration (use ms, s, m, h)");
	check_value(f, "autoscale_max", "12", NULL);
	assert_int_equal(f->c.autoscale_max, 12);
	check_value(f, "autoscale_max", "4096", NULL);
	assert_int_equal(f->c.autoscale_max, 4096);
	check_value(f, "autoscale_max", "auto", NULL);
	assert_int_equal(f->c.autoscale_max, 0);
	check_value(f, "autoscale_max", "0", "0 is out of range (1 to 4096)");
	check_value(f, "autoscale_max", "4097",
	    "4097 is out of range (1 to 4096)");
	check_value(f, "autoscale_max", "many", "'many' is not a number");

	assert_int_equal(load(f, "[prefork]\nautoscale = on\n"
	    "autoscale_interval = 5s\nmin_workers = 2\nautoscale_max = 2\n"),
	    0);
	assert_true(f->c.autoscale);
	assert_int_equal(f->c.autoscale_interval, 5000);
	assert_int_equal(conf_validate(&f->c, &f->errs), 0);
	assert_int_equal(load(f, "[prefork]\nmin_workers = 3\n"
	    "autoscale_max = 2\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:3: autoscale_max (2) is below "
	    "min_workers (3)", END);
	/* The default min_workers: at autoscale_max, set from elsewhere. */
	assert_int_equal(load(f, "[prefork]\nautoscale = on\n"), 0);
	assert_int_equal(conf_set(&f->c, "min_workers", "5", "-o", &f->errs),
	    0);
	assert_int_equal(conf_set(&f->c, "autoscale_max", "4", "-x",
	    &f->errs), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "-x: autoscale_max (4) is below min_workers "
	    "(5)", END);
	/* Unset, autoscale_max is the sizing result, raised to min_workers. */
	assert_int_equal(load(f, "[prefork]\nmin_workers = 64\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 0);
	/* Unused without autoscale, but not an error. */
	assert_int_equal(load(f, "[prefork]\nautoscale = no\n"
	    "autoscale_interval = 10s\nautoscale_max = 8\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 0);
	expect_errors(&f->errs, END);
}

/* An empty value is an error for every [prefork] key. */
static void
test_empty_values(void **state)
{
	static const char *const names[] = {
		"command", "profile", "workers", "max_workers", "min_workers",
		"workers_per_cpu", "extra_workers", "cpus", "memory",
		"worker_memory", "worker_class", "graceful_timeout",
		"min_uptime", "restart_delay", "restart_delay_max",
		"halt_exit_codes", "ready", "ready_timeout", "timeout",
		"listen", "backlog", "user", "group", "chdir", "umask",
		"pidfile", "log_level", "log_file", "forward_usr1",
		"metrics_file", "metrics_interval", "metrics_listen",
		"control", "control_group", "max_worker_memory",
		"worker_memory_measure", "max_lifetime", "lifetime_jitter",
		"recycle", "max_recycling", "check_interval", "worker_cgroup",
		"autoscale", "autoscale_interval", "autoscale_max",
	};
	struct fx	*f = *state;
	size_t		 i;

	assert_int_equal(nitems(names), CONF_KEY_COUNT);
	for (i = 0; i < nitems(names); i++)
		check_value(f, names[i], "", "empty value");
}

/* [env]: valid pairs, an empty value, bad and reserved names, repeats. */
static void
test_env(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[env]\n"
	    "APP_ENV = production\n"
	    "EMPTY =\n"
	    "QUOTED = \"a b\" 'c'\n"
	    "_x9 = y=z\n"
	    "9LIVES = 1\n"
	    "A-B = 1\n"
	    "PREFORK_WORKER_CLASS = x\n"
	    "LISTEN_FDS = 3\n"
	    "NOTIFY_SOCKET = /x\n"
	    "PREFORK_WORKER_ID = 1\n"
	    "APP_ENV = staging\n"
	    "app_env = lower\n"), 7);
	expect_errors(&f->errs,
	    "test.ini:6: [env] '9LIVES' is not a valid variable name "
	    "(letters, digits and _, not starting with a digit)",
	    "test.ini:7: [env] 'A-B' is not a valid variable name "
	    "(letters, digits and _, not starting with a digit)",
	    "test.ini:8: [env] PREFORK_WORKER_CLASS is set by prefork "
	    "(use worker_class)",
	    "test.ini:9: [env] LISTEN_FDS is set by prefork (use listen)",
	    "test.ini:10: [env] NOTIFY_SOCKET is set by prefork "
	    "(use ready and timeout)",
	    "test.ini:11: [env] PREFORK_WORKER_ID is set by prefork "
	    "(it is the worker's slot)",
	    "test.ini:12: duplicate key 'APP_ENV' (first set on line 2)",
	    END);
	assert_int_equal(f->c.env.n, 5);
	assert_string_equal(f->c.env.v[0], "APP_ENV=production");
	assert_string_equal(f->c.env.v[1], "EMPTY=");
	assert_string_equal(f->c.env.v[2], "QUOTED=\"a b\" 'c'");
	assert_string_equal(f->c.env.v[3], "_x9=y=z");
	assert_string_equal(f->c.env.v[4], "app_env=lower");
}

/*
 * [env] at scale: 100,000 pairs keep their order, and a repeat anywhere
 * is found and names the line that first set it. The names are found
 * through an index, so that this costs milliseconds rather than the
 * 18 s a pairwise comparison took (bench/conf-env measures it).
 */
static void
test_env_many(void **state)
{
	enum { N = 100000 };
	struct fx	*f = *state;
	char		*text, *t;
	size_t		 cap = (size_t)N * 32 + 256;
	unsigned	 i;

	assert_non_null(text = malloc(cap));
	t = text + sprintf(text, "[env]\n");
	for (i = 0; i < N; i++)
		t += sprintf(t, "K%u = v%u\n", i, i);
	/* Lines 100002 to 100005: repeats of the first, a middle and the
	   last pair, and a reserved name. */
	t += sprintf(t, "K0 = again\nK54321 = again\nK%u = again\n"
	    "LISTEN_PID = 1\n", N - 1);
	assert_true((size_t)(t - text) < cap);
	assert_int_equal(load(f, text), 4);
	expect_errors(&f->errs,
	    "test.ini:100002: duplicate key 'K0' (first set on line 2)",
	    "test.ini:100003: duplicate key 'K54321' (first set on line "
	    "54323)",
	    "test.ini:100004: duplicate key 'K99999' (first set on line "
	    "100001)",
	    "test.ini:100005: [env] LISTEN_PID is set by prefork (use listen)",
	    END);
	assert_int_equal(f->c.env.n, N);
	assert_string_equal(f->c.env.v[0], "K0=v0");
	assert_string_equal(f->c.env.v[54321], "K54321=v54321");
	assert_string_equal(f->c.env.v[N - 1], "K99999=v99999");
	free(text);
}

/* Unknown keys, with and without a suggestion, and unknown sections. */
static void
test_unknown_names(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[prefork]\n"
	    "workers = 2\n"
	    "wrokers = 3\n"
	    "Workers = 3\n"
	    "graceful_timout = 1s\n"
	    "frobnicate = yes\n"
	    "[nosuch]\n"
	    "anything = at all\n"
	    "[prefrok]\n"
	    "more = keys\n"
	    "[Env]\n"), 7);
	expect_errors(&f->errs,
	    "test.ini:3: unknown key 'wrokers' in [prefork] "
	    "(did you mean 'workers'?)",
	    "test.ini:4: unknown key 'Workers' in [prefork] "
	    "(did you mean 'workers'?)",
	    "test.ini:5: unknown key 'graceful_timout' in [prefork] "
	    "(did you mean 'graceful_timeout'?)",
	    "test.ini:6: unknown key 'frobnicate' in [prefork]",
	    "test.ini:7: unknown section [nosuch]",
	    "test.ini:9: unknown section [prefrok] (did you mean [prefork]?)",
	    "test.ini:11: unknown section [Env] (did you mean [env]?)",
	    END);
	assert_int_equal(f->c.workers, 2);
}

/* Duplicates name the first line; a repeated section header is fine. */
static void
test_duplicates(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[prefork]\n"
	    "workers = 3\n"
	    "command = a\n"
	    "  b\n"
	    "  c\n"
	    "[env]\n"
	    "A = 1\n"
	    "[prefork]\n"
	    "max_workers = 9\n"
	    "workers = 4\n"
	    "command = d\n"
	    "  e\n"), 2);
	expect_errors(&f->errs,
	    "test.ini:10: duplicate key 'workers' (first set on line 2)",
	    "test.ini:11: duplicate key 'command' (first set on line 3)",
	    END);
	assert_int_equal(f->c.workers, 3);
	assert_int_equal(f->c.max_workers, 9);
	assert_string_equal(f->c.command, "a b c");
}

/* Every error of a file is reported, in line order, with its line. */
static void
test_several_errors(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "workers = 3\n"
	    "[prefork]\n"
	    "wrokers = 3\n"
	    "workers = abc\n"
	    "garbage\n"
	    "workers = 4\n"
	    "command = \"unterminated\n"
	    "  more words\n"
	    "[nosuch]\n"
	    "foo = bar\n"
	    "[env]\n"
	    "1BAD = x\n"
	    "[prefork\n"
	    "memory = 12\n"), 9);
	expect_errors(&f->errs,
	    "test.ini:1: key 'workers' outside any section: put it under "
	    "[prefork]",
	    "test.ini:3: unknown key 'wrokers' in [prefork] "
	    "(did you mean 'workers'?)",
	    "test.ini:4: workers: 'abc' is not a number",
	    "test.ini:5: expected \"key = value\", \"[section]\" or a comment",
	    "test.ini:6: duplicate key 'workers' (first set on line 4)",
	    "test.ini:7: command: unterminated double quote",
	    "test.ini:9: unknown section [nosuch]",
	    "test.ini:12: [env] '1BAD' is not a valid variable name "
	    "(letters, digits and _, not starting with a digit)",
	    "test.ini:13: expected \"key = value\", \"[section]\" or a comment",
	    END);
	/* The bad header left [env] the current section. */
	assert_int_equal(f->c.env.n, 1);
	assert_string_equal(f->c.env.v[0], "memory=12");
}

/* Lines that are neither key, section nor comment, each reported. */
static void
test_syntax_errors(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[prefork]\n"
	    "just words\n"
	    "= 3\n"
	    "[prefork] trailing\n"
	    "[pre]fork]\n"
	    "[prefork ; comment]\n"
	    "workers = 2\n"
	    "[prefork] ; a comment after a header is fine\n"
	    "[prefork];so is this\n"
	    "cpus: 4\n"
	    "  ; an indented comment\n"
	    "\t\n"), 5);
	expect_errors(&f->errs,
	    "test.ini:2: expected \"key = value\", \"[section]\" or a comment",
	    "test.ini:3: expected \"key = value\", \"[section]\" or a comment",
	    "test.ini:4: expected \"key = value\", \"[section]\" or a comment",
	    "test.ini:5: expected \"key = value\", \"[section]\" or a comment",
	    "test.ini:6: expected \"key = value\", \"[section]\" or a comment",
	    END);
	assert_int_equal(f->c.workers, 2);
	assert_int_equal(f->c.cpus, 4);
}

/* A line of 200 characters or more: its line, then parsing goes on. */
static void
test_long_lines(void **state)
{
	struct fx	*f = *state;
	char		 text[4096], word[1200];
	int		 n;

	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	n = snprintf(text, sizeof(text),
	    "[prefork]\n"
	    "workers = 3\n"
	    "; %.250s\n"
	    "max_workers = 8\n"
	    "command = %.1000s\n"
	    "min_workers = 2\n"
	    "pidfile = %.189s\n"
	    "log_file = %.189s\n"
	    "listen = *:80,\n"
	    "  %.300s\n"
	    "  *:81\n"
	    "cpus = %.300s", word, word, word, word, word, word);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load(f, text), 5);
	expect_errors(&f->errs,
	    "test.ini:3: line longer than 199 characters",
	    "test.ini:5: line longer than 199 characters",
	    "test.ini:8: line longer than 199 characters",
	    "test.ini:10: line longer than 199 characters",
	    "test.ini:12: line longer than 199 characters",
	    END);
	assert_int_equal(f->c.workers, 3);
	assert_int_equal(f->c.max_workers, 8);
	assert_int_equal(f->c.min_workers, 2);
	assert_int_equal(f->c.argv.n, 0);
	/* "pidfile = " and 189 characters: 199, the longest line. */
	assert_int_equal(strlen(f->c.pidfile), 189);
	assert_null(f->c.log_file);
	assert_int_equal(f->c.listen.n, 2);
	assert_string_equal(f->c.listen.v[1], "*:81");
}

/* The limit counts characters, not the newline or a '\r' before it. */
static void
test_line_limit_exact(void **state)
{
	struct fx	*f = *state;
	char		 text[512], word[256];

	memset(word, 'a', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	/* "command = " is 10 characters. */
	snprintf(text, sizeof(text), "[prefork]\r\ncommand = %.189s\r\n"
	    "workers = 2\r\n", word);
	assert_int_equal(load(f, text), 0);
	assert_int_equal(strlen(f->c.argv.v[0]), 189);
	assert_int_equal(f->c.workers, 2);
	snprintf(text, sizeof(text), "[prefork]\ncommand = %.189s", word);
	assert_int_equal(load(f, text), 0);
	snprintf(text, sizeof(text), "[prefork]\ncommand = %.190s\n", word);
	assert_int_equal(load(f, text), 1);
	expect_errors(&f->errs, "test.ini:2: line longer than 199 characters",
	    END);
}

/* Continuation lines: joined for command, rejected for other keys. */
static void
test_continuations(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[prefork]\n"
	    "command =\n"
	    "  python3\n"
	    "\t-m app ; comment\n"
	    "; a comment between\n"
	    "\n"
	    "  --port \"8 0\"\n"
	    "workers = 2\n"
	    "  3\n"
	    "halt_exit_codes = 3,\n"
	    "    4\n"
	    "[env]\n"
	    "A = 1\n"
	    "  2\n"
	    "[prefork]\n"
	    "  max_workers = 4\n"
	    "wrokers = 1\n"
	    "  ignored, the key was reported\n"), 3);
	expect_errors(&f->errs,
	    "test.ini:9: 'workers' takes no continuation lines (only "
	    "command, listen and halt_exit_codes do)",
	    "test.ini:14: 'A' takes no continuation lines (only command, "
	    "listen and halt_exit_codes do)",
	    "test.ini:17: unknown key 'wrokers' in [prefork] "
	    "(did you mean 'workers'?)",
	    END);
	assert_string_equal(f->c.command, "python3 -m app --port \"8 0\"");
	assert_int_equal(f->c.argv.n, 5);
	assert_string_equal(f->c.argv.v[4], "8 0");
	assert_int_equal(f->c.workers, 2);
	assert_true(conf_halts(&f->c, 3) && conf_halts(&f->c, 4));
	assert_string_equal(f->c.env.v[0], "A=1");
	assert_int_equal(f->c.max_workers, 4);
	assert_int_equal(f->c.lines[CONF_KEY_COMMAND], 2);
}

/* A quote opened on one line may close on a continuation line. */
static void
test_continuation_joins_before_parsing(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f,
	    "[prefork]\n"
	    "command = sh -c \"exec\n"
	    "  app\"\n"
	    "command2 = x\n"
	    "listen = *:80,\n"), 2);
	expect_errors(&f->errs,
	    "test.ini:4: unknown key 'command2' in [prefork] "
	    "(did you mean 'command'?)",
	    "test.ini:5: listen: empty item in the list",
	    END);
	assert_int_equal(f->c.argv.n, 3);
	assert_string_equal(f->c.argv.v[2], "exec app");

	/* A bad line ends the value; inih still passes what follows. */
	assert_int_equal(load(f, "[prefork]\ncommand = a\nbad\n  b\n"), 1);
	expect_errors(&f->errs, "test.ini:3: expected \"key = value\", "
	    "\"[section]\" or a comment", END);
	assert_string_equal(f->c.command, "a");

	/* Checked at the end of the value, reported at its first line. */
	assert_int_equal(load(f,
	    "[prefork]\n"
	    "command = 'x\n"
	    "; 345678901234567890123456789012345678901234567890123456789012345"
	    "6789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890\n"), 2);
	expect_errors(&f->errs,
	    "test.ini:2: command: unterminated single quote",
	    "test.ini:3: line longer than 199 characters",
	    END);
}

/* A key before any section header, and its continuation. */
static void
test_key_outside_section(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f, "command = app\n  --flag\n[prefork]\n"), 1);
	expect_errors(&f->errs, "test.ini:1: key 'command' outside any "
	    "section: put it under [prefork]", END);
	assert_int_equal(f->c.argv.n, 0);
}

/* Blank files, comments, a BOM, CRLF, "key: value" and inline comments. */
static void
test_file_forms(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(load(f, "\n\n; only\n# comments\n"), 0);
	assert_int_equal(load(f, "\xEF\xBB\xBF[prefork]\r\nworkers = 2\r\n"
	    "cpus: 3 ; three\r\n"
	    "pidfile = /run/a;b.pid\n"), 0);
	assert_int_equal(f->c.workers, 2);
	assert_int_equal(f->c.cpus, 3);
	assert_string_equal(f->c.pidfile, "/run/a;b.pid");
	/* A BOM only counts on the first line. */
	assert_int_equal(load(f, "[prefork]\n\xEF\xBB\xBFworkers = 2\n"), 1);
	assert_non_null(strstr(f->errs.v[0], "test.ini:2: unknown key"));
}

/* user and group: names, numbers, unknown names, and supplementary groups. */
static void
test_credentials(void **state)
{
	struct fx	*f = *state;
	size_t		 i;
	bool		 found = false;

	check_value(f, "user", "root", NULL);
	assert_int_equal(f->c.uid, 0);
	assert_int_equal(f->c.gid, 0);
	assert_true(f->c.ngroups >= 1);
	check_value(f, "user", "0", NULL);
	assert_int_equal(f->c.uid, 0);
	assert_string_equal(f->c.user, "0");
	check_value(f, "user", "nobody", NULL);
	assert_int_equal(f->c.uid, 65534);
	assert_int_equal(f->c.gid, 65534);
	check_value(f, "user", "nosuchuser-prefork", "unknown user "
	    "'nosuchuser-prefork'");
	check_value(f, "user", "4294967295", "unknown user '4294967295'");
	check_value(f, "group", "nosuchgroup-prefork", "unknown group "
	    "'nosuchgroup-prefork'");

	/* group alone: the gid, and no supplementary groups. */
	check_value(f, "group", "nogroup", NULL);
	assert_int_equal(f->c.uid, (uid_t)-1);
	assert_int_equal(f->c.gid, 65534);
	assert_int_equal(f->c.ngroups, 0);
	check_value(f, "group", "1", NULL);
	assert_int_equal(f->c.gid, 1);

	/* user and group, in either order: group wins the gid. */
	assert_int_equal(load(f, "[prefork]\ngroup = nogroup\n"
	    "user = daemon\n"), 0);
	assert_int_equal(f->c.uid, 1);
	assert_int_equal(f->c.gid, 65534);
	for (i = 0; i < f->c.ngroups; i++)
		found |= f->c.groups[i] == 65534;
	assert_true(found);
	assert_int_equal(load(f, "[prefork]\nuser = daemon\n"
	    "group = nogroup\n"), 0);
	assert_int_equal(f->c.gid, 65534);
	assert_int_equal(load(f, "[prefork]\nuser = daemon\n"), 0);
	assert_int_equal(f->c.gid, 1);
}

/* conf_set: overrides replace file values; errors name the origin. */
static void
test_conf_set(void **state)
{
	struct fx	*f = *state;
	struct strv	*e = &f->errs;

	assert_int_equal(load(f, "[prefork]\nworkers = 3\npidfile = /a\n"), 0);
	assert_int_equal(conf_set(&f->c, "workers", "5", "--workers", e), 0);
	assert_int_equal(f->c.workers, 5);
	assert_int_equal(f->c.lines[CONF_KEY_WORKERS], 0);
	assert_string_equal(f->c.origins[CONF_KEY_WORKERS], "--workers");
	assert_int_equal(conf_set(&f->c, "workers", "auto", "-w", e), 0);
	assert_int_equal(f->c.workers, 0);
	assert_int_equal(conf_set(&f->c, "pidfile", "/run/b.pid", "--pidfile",
	    e), 0);
	assert_string_equal(f->c.pidfile, "/run/b.pid");
	assert_int_equal(conf_set(&f->c, "profile", "unix", "--profile", e), 0);
	assert_string_equal(f->c.profile->name, "unix");
	assert_int_equal(conf_set(&f->c, "log_level", "error", "--log-level",
	    e), 0);
	assert_int_equal(f->c.log_level, LOG_LEVEL_ERROR);
	assert_int_equal(conf_set(&f->c, "command", "app 'a b'", "--command",
	    e), 0);
	assert_string_equal(f->c.argv.v[1], "a b");
	assert_int_equal(conf_set(&f->c, "group", "nogroup", "-o", e), 0);
	assert_int_equal(f->c.gid, 65534);
	expect_errors(e, END);

	assert_int_equal(conf_set(&f->c, "workers", "abc", "--workers", e), 1);
	assert_int_equal(conf_set(&f->c, "workers", "0", "--workers", e), 1);
	assert_int_equal(conf_set(&f->c, "workers", "", "--workers", e), 1);
	assert_int_equal(conf_set(&f->c, "profile", "nosuch", "--profile", e),
	    1);
	assert_int_equal(conf_set(&f->c, "log_level", "loud", "--log-level",
	    e), 1);
	assert_int_equal(conf_set(&f->c, "wrokers", "3", "-o", e), 1);
	assert_int_equal(conf_set(&f->c, "nosuch", "3", "-o", e), 1);
	assert_int_equal(conf_set(&f->c, "command", "'x", "--command", e), 1);
	expect_errors(e,
	    "--workers: 'abc' is not a number",
	    "--workers: 0 is out of range (1 to 4096)",
	    "--workers: empty value",
	    "--profile: unknown profile 'nosuch' (default, aws-ec2, "
	    "ec2-free-tier, render, cloud, unix, enterprise, ultra-scalable)",
	    "--log-level: unknown level 'loud' (error, warn, info, debug)",
	    "-o: unknown key 'wrokers' (did you mean 'workers'?)",
	    "-o: unknown key 'nosuch'",
	    "--command: unterminated single quote",
	    END);
	/* A rejected value leaves the one before. */
	assert_int_equal(f->c.workers, 0);
	assert_string_equal(f->c.profile->name, "unix");
	assert_string_equal(f->c.argv.v[0], "app");
}

/* conf_set_argv: the command line's command wins over the file's. */
static void
test_set_argv(void **state)
{
	struct fx	*f = *state;
	char		 a0[] = "python3", a1[] = "-c", a2[] = "print('hi')";
	char		 a3[] = "", a4[] = "a b";
	char		*argv[] = { a0, a1, a2, a3, a4, NULL };

	assert_int_equal(load(f, "[prefork]\ncommand = file-app --x\n"), 0);
	assert_int_equal(conf_set_argv(&f->c, argv, 5), 0);
	assert_int_equal(f->c.argv.n, 5);
	assert_string_equal(f->c.argv.v[0], "python3");
	assert_string_equal(f->c.argv.v[2], "print('hi')");
	assert_string_equal(f->c.argv.v[3], "");
	assert_null(f->c.argv.v[5]);
	assert_string_equal(f->c.command,
	    "python3 -c 'print('\\''hi'\\'')' '' 'a b'");
	assert_int_equal(f->c.lines[CONF_KEY_COMMAND], 0);
	assert_int_equal(conf_set_argv(&f->c, argv, 0), -1);
	assert_int_equal(f->c.argv.n, 5);
}

/* conf_validate: each cross-key rule, located at the offending key. */
static void
test_validate(void **state)
{
	struct fx	*f = *state;

	assert_int_equal(load(f, "[prefork]\nmax_workers = 4\n"
	    "min_workers = 6\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:3: min_workers (6) is above "
	    "max_workers (4)", END);

	/* Equal is fine; so is workers above max_workers. */
	assert_int_equal(load(f, "[prefork]\nmax_workers = 4\n"
	    "min_workers = 4\nworkers = 10\nrestart_delay = 30s\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 0);

	assert_int_equal(load(f, "[prefork]\nmax_workers = 4\n"), 0);
	assert_int_equal(conf_set(&f->c, "min_workers", "5", "-o", &f->errs),
	    0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "-o: min_workers (5) is above max_workers "
	    "(4)", END);

	assert_int_equal(load(f, "[prefork]\n\nrestart_delay = 40s\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:3: restart_delay (40s) is above "
	    "restart_delay_max (30s)", END);

	/* The default restart_delay: blame the key that was set. */
	assert_int_equal(load(f, "[prefork]\nrestart_delay_max = 50ms\n"), 0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:2: restart_delay (100ms) is above "
	    "restart_delay_max (50ms)", END);

	assert_int_equal(load(f, "[prefork]\nready = exec\ntimeout = 10s\n"),
	    0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "test.ini:3: timeout needs ready = notify "
	    "(ready is exec)", END);
	assert_int_equal(load(f, "[prefork]\nready = notify\ntimeout = 10s\n"),
	    0);
	assert_int_equal(conf_validate(&f->c, &f->errs), 0);

	/* Not set anywhere (a caller filled the struct): no location. */
	load(f, "");
	f->c.max_workers = 2;
	f->c.min_workers = 3;
	assert_int_equal(conf_validate(&f->c, &f->errs), 1);
	expect_errors(&f->errs, "min_workers (3) is above max_workers (2)",
	    END);
}

/* conf_worker_changed: each field that makes a worker differ. */
static void
test_worker_changed(void **state)
{
	static const char base[] = "[prefork]\ncommand = app --x\n"
	    "workers = 2\n[env]\nA = 1\n";
	static const struct {
		const char	*text;
		bool		 changed;
	} cases[] = {
		{ "[prefork]\ncommand = app --x\nworkers = 2\n[env]\nA = 1\n",
		    false },
		{ "[prefork]\ncommand = app  '--x'\nworkers = 9\n"
		    "profile = aws-ec2\nmax_workers = 3\ncpus = 2\n"
		    "memory = 1G\nbacklog = 9\ngraceful_timeout = 1s\n"
		    "[env]\nA = 1\n", false },
		{ "[prefork]\ncommand = app --y\n[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\n[env]\nA = 2\n", true },
		{ "[prefork]\ncommand = app --x\n[env]\nA = 1\nB = 1\n", true },
		{ "[prefork]\ncommand = app --x\nworker_class = eventlet\n"
		    "[env]\nA = 1\n", false },
		{ "[prefork]\ncommand = app --x\nworker_class = sync\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nprofile = unix\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nuser = nobody\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\ngroup = nogroup\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nchdir = /srv\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\numask = 022\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nlisten = 127.0.0.1:8000\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nready = notify\n"
		    "[env]\nA = 1\n", true },
		{ "[prefork]\ncommand = app --x\nready = notify\n"
		    "timeout = 5s\n[env]\nA = 1\n", true },
		/* The master's own: taken on SIGHUP, no worker restarted. */
		{ "[prefork]\ncommand = app --x\nautoscale = on\n"
		    "autoscale_interval = 5s\nautoscale_max = 9\n"
		    "[env]\nA = 1\n", false },
	};
	struct fx	*f = *state;
	struct conf	 a, b;
	size_t		 i;

	conf_init(&a);
	assert_int_equal(conf_load_string(&a, "a.ini", base, &f->errs), 0);
	for (i = 0; i < nitems(cases); i++) {
		conf_init(&b);
		assert_int_equal(conf_load_string(&b, "b.ini", cases[i].text,
		    &f->errs), 0);
		if (conf_worker_changed(&a, &b) != cases[i].changed ||
		    conf_worker_changed(&b, &a) != cases[i].changed)
			fail_msg("case %zu: expected %s", i,
			    cases[i].changed ? "changed" : "unchanged");
		conf_free(&b);
	}
	/* The same umask set or not, and groups alone, also count. */
	conf_init(&b);
	assert_int_equal(conf_load_string(&b, "b.ini", base, &f->errs), 0);
	b.umask_set = true;
	assert_true(conf_worker_changed(&a, &b));
	a.umask_set = true;
	assert_false(conf_worker_changed(&a, &b));
	a.umask = 077;
	assert_true(conf_worker_changed(&a, &b));
	a.umask = b.umask;
	conf_free(&b);
	assert_int_equal(conf_load_string(&b, "b.ini",
	    "[prefork]\ncommand = app --x\nuser = root\n[env]\nA = 1\n",
	    &f->errs), 0);
	conf_free(&a);
	assert_int_equal(conf_load_string(&a, "a.ini",
	    "[prefork]\ncommand = app --x\nuser = root\n[env]\nA = 1\n",
	    &f->errs), 0);
	assert_false(conf_worker_changed(&a, &b));
	assert_true(b.ngroups >= 1);
	b.groups[0] = 12345;
	assert_true(conf_worker_changed(&a, &b));
	conf_free(&a);
	conf_free(&b);
	expect_errors(&f->errs, END);
}

/* conf_load: a missing file, a directory, a real file, a NUL byte. */
static void
test_load_file(void **state)
{
	struct fx	*f = *state;
	const char	*path;
	char		 want[600];
	FILE		*fp;

	assert_int_equal(conf_load(&f->c, "/nonexistent/prefork.ini",
	    &f->errs), 1);
	expect_errors(&f->errs, "/nonexistent/prefork.ini: cannot read: "
	    "No such file or directory", END);
	strv_free(&f->errs);

	assert_int_equal(conf_load(&f->c, t_tmpdir(), &f->errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory",
	    t_tmpdir());
	expect_errors(&f->errs, want, END);
	strv_free(&f->errs);
	conf_free(&f->c);

	path = t_write_file("app.ini", "[prefork]\nworkers = 5\n"
	    "command = app\n  --flag\nworkers = 6\n");
	assert_int_equal(conf_load(&f->c, path, &f->errs), 1);
	snprintf(want, sizeof(want), "%s:5: duplicate key 'workers' (first "
	    "set on line 2)", path);
	expect_errors(&f->errs, want, END);
	assert_string_equal(f->c.path, path);
	assert_int_equal(f->c.workers, 5);
	assert_int_equal(f->c.argv.n, 2);
	strv_free(&f->errs);
	conf_free(&f->c);

	path = t_write_file("nul.ini", "");
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite("[prefork]\nworkers = 4\0junk\ncpus = 2\n",
	    1, 36, fp), 36);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(conf_load(&f->c, path, &f->errs), 1);
	snprintf(want, sizeof(want), "%s:2: line contains a NUL byte", path);
	expect_errors(&f->errs, want, END);
	assert_int_equal(f->c.workers, 0);
	assert_int_equal(f->c.cpus, 2);
}

/* Control characters in a value do not reach the message. */
static void
test_message_sanitized(void **state)
{
	struct fx	*f = *state;

	check_value(f, "workers", "\x1b[31mred", "'?[31mred' is not a number");
	check_value(f, "profile", "a\x7f" "b", "unknown profile 'a?b' "
	    "(default, aws-ec2, ec2-free-tier, render, cloud, unix, "
	    "enterprise, ultra-scalable)");
}

/* conf_free releases everything and leaves the defaults. */
static void
test_free_resets(void **state)
{
	struct fx	*f = *state;
	struct conf	 fresh;

	assert_int_equal(load(f, "[prefork]\ncommand = a b\nuser = root\n"
	    "group = nogroup\nlisten = *:1\nchdir = /\npidfile = p\n"
	    "log_file = l\nworker_class = w\n[env]\nA = 1\n"), 0);
	assert_int_equal(conf_set(&f->c, "workers", "3", "-w", &f->errs), 0);
	conf_free(&f->c);
	conf_init(&fresh);
	assert_memory_equal(&f->c, &fresh, sizeof(fresh));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_defaults),
		T(test_every_key_valid),
		T(test_counts),
		T(test_parse_uint),
		T(test_parse_duration),
		T(test_duration_keys),
		T(test_parse_size),
		T(test_size_keys),
		T(test_split_words),
		T(test_command_key),
		T(test_halt_exit_codes),
		T(test_listen),
		T(test_string_keys),
		T(test_forward_usr1),
		T(test_metrics_keys),
		T(test_control_keys),
		T(test_control_default),
		T(test_recycle_keys),
		T(test_autoscale_keys),
		T(test_empty_values),
		T(test_env),
		T(test_env_many),
		T(test_unknown_names),
		T(test_duplicates),
		T(test_several_errors),
		T(test_syntax_errors),
		T(test_long_lines),
		T(test_line_limit_exact),
		T(test_continuations),
		T(test_continuation_joins_before_parsing),
		T(test_key_outside_section),
		T(test_file_forms),
		T(test_credentials),
		T(test_conf_set),
		T(test_set_argv),
		T(test_validate),
		T(test_worker_changed),
		T(test_load_file),
		T(test_message_sanitized),
		T(test_free_resets),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
