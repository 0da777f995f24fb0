/* SPDX-License-Identifier: ISC */
/*
 * state_test: the master's state for an in-place upgrade (state.c,
 * state_read.c): a full state and an empty pool read back to the same
 * struct and written again to the same bytes, the exact text, and every
 * way the reader refuses a text and the writer a struct, each with its
 * exact reason.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"

/* A small valid text, as the writer writes it: the edits start here. */
static const char	base[] =
    "prefork-state 1\n"
    "version 0.9.0\n"
    "master pid=4242 written=1234.5 gen=3 started=12.25 exits=5,1 "
    "reloads=- scaled_up=0 scaled_down=0 watchdog_at=0 lc_state=0\n"
    "pool size=2 rolling=0 booted_any=1 first_spawned=2 first_failed=0 "
    "first_due=0\n"
    "counts slots=2 workers=2 listeners=1\n"
    "slot failures=0 restart_at=0 first_due=0 recycling=-1 restarts=0 "
    "exited=0 last_status=0 last_exit=0 last_oom=0\n"
    "slot failures=0 restart_at=0 first_due=0 recycling=-1 restarts=1 "
    "exited=1 last_status=9 last_exit=100.5 last_oom=0\n"
    "worker pid=100 slot=0 state=1 generation=3 spawned=13 ready_at=13.5 "
    "seen=1200 kill_at=0 heartbeat=0 lifetime=0 was_ready=1 exec_failed=0 "
    "first=1 role=0 stop_why=-1\n"
    "worker pid=101 slot=1 state=0 generation=3 spawned=1230 ready_at=0 "
    "seen=1230 kill_at=0 heartbeat=0 lifetime=0 was_ready=0 exec_failed=0 "
    "first=0 role=0 stop_why=-1\n"
    "listener fd=3 addr=*:8080 name=web adopted=0 path=- dev=0 ino=0\n"
    "fds activated=0 notify_fd=-1 notify_env=- control_fd=5 "
    "control_path=/run/prefork.sock control_dev=2049 control_ino=77 "
    "reply_fd=-1 http_fd=-1 http_addr=- pidfile_fd=-1 pidfile_dirfd=-1 "
    "pidfile_path=- pidfile_dev=0 pidfile_ino=0 guard_pid=99 guard_fd=6\n"
    "end\n";

static char	why[512];

static char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	assert_non_null(p);
	return p;
}

/* The state of base, built field by field. */
static void
small(struct state *s)
{
	state_init(s);
	s->version = xstrdup("0.9.0");
	s->pid = 4242;
	s->written = 1234.5;
	s->gen = 3;
	s->started = 12.25;
	s->nexits = 2;
	s->exits[0] = 5;
	s->exits[1] = 1;
	s->size = 2;
	s->booted_any = true;
	s->first_spawned = 2;
	s->nslots = 2;
	assert_non_null(s->slots = calloc(2, sizeof(*s->slots)));
	s->slots[0].recycling = s->slots[1].recycling = -1;
	s->slots[1].restarts = 1;
	s->slots[1].exited = true;
	s->slots[1].last_status = 9;
	s->slots[1].last_exit = 100.5;
	s->nworkers = 2;
	assert_non_null(s->workers = calloc(2, sizeof(*s->workers)));
	s->workers[0] = (struct state_worker){ .pid = 100, .state = 1,
	    .generation = 3, .spawned = 13, .ready_at = 13.5, .seen = 1200,
	    .was_ready = true, .first = true, .stop_why = -1 };
	s->workers[1] = (struct state_worker){ .pid = 101, .slot = 1,
	    .generation = 3, .spawned = 1230, .seen = 1230, .stop_why = -1 };
	s->nlisteners = 1;
	assert_non_null(s->listeners = calloc(1, sizeof(*s->listeners)));
	s->listeners[0].fd = 3;
	s->listeners[0].addr = xstrdup("*:8080");
	s->listeners[0].name = xstrdup("web");
	s->control_fd = 5;
	s->control_path = xstrdup("/run/prefork.sock");
	s->control_dev = 2049;
	s->control_ino = 77;
	s->guard_pid = 99;
	s->guard_fd = 6;
}

/* Every byte but NUL, and the characters the escapes are made of. */
static char *
all_bytes(void)
{
	char	*s = malloc(300);
	int	 i;

	assert_non_null(s);
	for (i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	strcpy(s + 255, " %%41 -");
	return s;
}

/* A state with a little of everything: every fd, odd strings and times. */
static void
full(struct state *s)
{
	struct state_listener	*l;

	small(s);
	free(s->version);
	s->version = xstrdup("1.0 rc%1\n\xff");
	s->written = 123456.789;
	s->watchdog_at = 1e-300;
	s->lc_state = 7;
	s->nreloads = STATE_COUNTERS_MAX;
	s->reloads[15] = UINT64_MAX;
	s->scaled[0] = 4;
	s->scaled[1] = 2;
	s->rolling = true;
	s->first_failed = UINT32_MAX;
	s->slots[0] = (struct state_slot){ .failures = 3, .restart_at = 0.1,
	    .first_due = true, .recycling = 15, .restarts = 7,
	    .last_status = -2147483647 - 1, .last_exit = 5e-324,
	    .last_oom = true };
	s->nworkers = 3;
	assert_non_null(s->workers = realloc(s->workers,
	    3 * sizeof(*s->workers)));
	s->workers[2] = (struct state_worker){ .pid = 2147483647, .slot = 0,
	    .state = 7, .generation = UINT32_MAX,
	    .spawned = 1.7976931348623157e308,
	    .ready_at = 2.5, .seen = 3, .kill_at = 4, .heartbeat = 30,
	    .lifetime = 3600.000001, .was_ready = true, .exec_failed = true,
	    .role = 1, .stop_why = 15 };
	s->nlisteners = 3;
	assert_non_null(s->listeners = realloc(s->listeners,
	    3 * sizeof(*s->listeners)));
	l = &s->listeners[1];
	*l = (struct state_listener){ .fd = 65535, .adopted = true,
	    .dev = UINT64_MAX, .ino = 1 };
	l->addr = xstrdup("unix:/run/my app/%s.sock");
	l->name = xstrdup("");
	l->path = xstrdup("/run/my app/%s.sock");
	l = &s->listeners[2];
	*l = (struct state_listener){ .fd = 0 };
	l->addr = xstrdup("[::1%lo]:80");
	l->name = xstrdup("-");
	l->path = all_bytes();
	s->activated = true;
	s->notify_fd = 7;
	s->notify_env = xstrdup("NOTIFY_SOCKET=@prefork/4242");
	s->reply_fd = 9;
	s->http_fd = 10;
	s->http_addr = xstrdup("127.0.0.1:9100");
	s->pidfile_fd = 11;
	s->pidfile_dirfd = 12;
	s->pidfile_path = xstrdup("/run/prefork.pid");
	s->pidfile_dev = 1;
	s->pidfile_ino = 2;
}

static void
assert_time(double a, double b)
{
	assert_memory_equal(&a, &b, sizeof(a));
}

/* The slots and the workers. */
static void
assert_same_pool(const struct state *a, const struct state *b)
{
	size_t	i;

	assert_int_equal(a->nslots, b->nslots);
	for (i = 0; i < a->nslots; i++) {
		const struct state_slot	*x = &a->slots[i], *y = &b->slots[i];

		assert_int_equal(x->failures, y->failures);
		assert_time(x->restart_at, y->restart_at);
		assert_int_equal(x->first_due, y->first_due);
		assert_int_equal(x->recycling, y->recycling);
		assert_int_equal(x->restarts, y->restarts);
		assert_int_equal(x->exited, y->exited);
		assert_int_equal(x->last_status, y->last_status);
		assert_time(x->last_exit, y->last_exit);
		assert_int_equal(x->last_oom, y->last_oom);
	}
	assert_int_equal(a->nworkers, b->nworkers);
	for (i = 0; i < a->nworkers; i++) {
		const struct state_worker *x = &a->workers[i],
		    *y = &b->workers[i];

		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->slot, y->slot);
		assert_int_equal(x->state, y->state);
		assert_int_equal(x->generation, y->generation);
		assert_time(x->spawned, y->spawned);
		assert_time(x->ready_at, y->ready_at);
		assert_time(x->seen, y->seen);
		assert_time(x->kill_at, y->kill_at);
		assert_time(x->heartbeat, y->heartbeat);
		assert_time(x->lifetime, y->lifetime);
		assert_int_equal(x->was_ready, y->was_ready);
		assert_int_equal(x->exec_failed, y->exec_failed);
		assert_int_equal(x->first, y->first);
		assert_int_equal(x->role, y->role);
		assert_int_equal(x->stop_why, y->stop_why);
	}
}

/* The listeners and the other fds. */
static void
assert_same_fds(const struct state *a, const struct state *b)
{
	size_t	i;

	assert_int_equal(a->nlisteners, b->nlisteners);
	for (i = 0; i < a->nlisteners; i++) {
		const struct state_listener *x = &a->listeners[i],
		    *y = &b->listeners[i];

		assert_int_equal(x->fd, y->fd);
		assert_string_equal(x->addr, y->addr);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->adopted, y->adopted);
		assert_true((x->path == NULL) == (y->path == NULL));
		if (x->path != NULL)
			assert_string_equal(x->path, y->path);
		assert_int_equal(x->dev, y->dev);
		assert_int_equal(x->ino, y->ino);
	}
	assert_int_equal(a->activated, b->activated);
	assert_int_equal(a->notify_fd, b->notify_fd);
	assert_true(util_streq(a->notify_env, b->notify_env));
	assert_int_equal(a->control_fd, b->control_fd);
	assert_true(util_streq(a->control_path, b->control_path));
	assert_int_equal(a->control_dev, b->control_dev);
	assert_int_equal(a->control_ino, b->control_ino);
	assert_int_equal(a->reply_fd, b->reply_fd);
	assert_int_equal(a->http_fd, b->http_fd);
	assert_true(util_streq(a->http_addr, b->http_addr));
	assert_int_equal(a->pidfile_fd, b->pidfile_fd);
	assert_int_equal(a->pidfile_dirfd, b->pidfile_dirfd);
	assert_true(util_streq(a->pidfile_path, b->pidfile_path));
	assert_int_equal(a->pidfile_dev, b->pidfile_dev);
	assert_int_equal(a->pidfile_ino, b->pidfile_ino);
	assert_int_equal(a->guard_pid, b->guard_pid);
	assert_int_equal(a->guard_fd, b->guard_fd);
}

static void
assert_same(const struct state *a, const struct state *b)
{
	assert_int_equal(a->format, b->format);
	assert_string_equal(a->version, b->version);
	assert_int_equal(a->pid, b->pid);
	assert_time(a->written, b->written);
	assert_int_equal(a->gen, b->gen);
	assert_time(a->started, b->started);
	assert_int_equal(a->nexits, b->nexits);
	assert_memory_equal(a->exits, b->exits, sizeof(a->exits));
	assert_int_equal(a->nreloads, b->nreloads);
	assert_memory_equal(a->reloads, b->reloads, sizeof(a->reloads));
	assert_memory_equal(a->scaled, b->scaled, sizeof(a->scaled));
	assert_time(a->watchdog_at, b->watchdog_at);
	assert_int_equal(a->lc_state, b->lc_state);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->rolling, b->rolling);
	assert_int_equal(a->booted_any, b->booted_any);
	assert_int_equal(a->first_spawned, b->first_spawned);
	assert_int_equal(a->first_failed, b->first_failed);
	assert_int_equal(a->first_due, b->first_due);
	assert_same_pool(a, b);
	assert_same_fds(a, b);
}

/* Written, read back to the same struct, written again to the same text. */
static void
round_trip(const struct state *s, struct buf *b)
{
	struct buf	again = BUF_INIT;
	struct state	back;

	assert_int_equal(state_write(s, b, why, sizeof(why)), 0);
	assert_false(b->failed);
	if (state_read(b->p, b->len, &back, why, sizeof(why)) == -1)
		fail_msg("%s", why);
	assert_same(s, &back);
	assert_int_equal(state_write(&back, &again, why, sizeof(why)), 0);
	assert_false(again.failed);
	assert_int_equal(again.len, b->len);
	assert_memory_equal(again.p, b->p, b->len);
	state_free(&back);
	free(again.p);
}

static void
test_text(void **unused)
{
	struct state	s;
	struct buf	b = BUF_INIT;

	small(&s);
	round_trip(&s, &b);
	assert_string_equal(b.p, base);
	state_free(&s);
	free(b.p);
}

static void
test_round_trip_full(void **unused)
{
	struct state	s;
	struct buf	b = BUF_INIT;

	full(&s);
	round_trip(&s, &b);
	assert_non_null(strstr(b.p, "\nversion 1.0%20rc%251%0A%FF\n"));
	assert_non_null(strstr(b.p, " written=123456.789 "));
	assert_non_null(strstr(b.p, " watchdog_at=1e-300 "));
	assert_non_null(strstr(b.p, " last_exit=4.94065645841247e-324 "));
	assert_non_null(strstr(b.p, " lifetime=3600.000001 "));
	assert_non_null(strstr(b.p, " reloads=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	    "18446744073709551615 "));
	assert_non_null(strstr(b.p, " addr=unix:/run/my%20app/%25s.sock "
	    "name= adopted=1 "));
	assert_non_null(strstr(b.p, " name=%2D "));
	assert_non_null(strstr(b.p, " path=%01%02"));
	assert_non_null(strstr(b.p, "}~%7F%80"));
	assert_non_null(strstr(b.p, "%FE%FF%20%25%2541%20- dev=0 "));
	assert_non_null(strstr(b.p, " last_status=-2147483648 "));
	assert_non_null(strstr(b.p, " role=1 "));
	state_free(&s);
	free(b.p);
}

/* No slot, no worker, no listener, no fd: what state_init() leaves. */
static void
test_empty_pool(void **unused)
{
	struct state	s;
	struct buf	b = BUF_INIT;

	state_init(&s);
	s.version = xstrdup("0.9.0");
	s.pid = 1;
	round_trip(&s, &b);
	assert_string_equal(b.p, "prefork-state 1\n"
	    "version 0.9.0\n"
	    "master pid=1 written=0 gen=0 started=0 exits=- reloads=- "
	    "scaled_up=0 scaled_down=0 watchdog_at=0 lc_state=0\n"
	    "pool size=0 rolling=0 booted_any=0 first_spawned=0 "
	    "first_failed=0 first_due=0\n"
	    "counts slots=0 workers=0 listeners=0\n"
	    "fds activated=0 notify_fd=-1 notify_env=- "
	    "control_fd=-1 control_path=- control_dev=0 control_ino=0 "
	    "reply_fd=-1 http_fd=-1 http_addr=- pidfile_fd=-1 "
	    "pidfile_dirfd=-1 pidfile_path=- pidfile_dev=0 pidfile_ino=0 "
	    "guard_pid=-1 guard_fd=-1\n"
	    "end\n");
	state_free(&s);
	free(b.p);
}

/* Refused, with exactly this reason; s is freed either way. */
static void
refused_text(const char *text, size_t len, const char *want)
{
	struct state	s;

	why[0] = '\0';
	assert_int_equal(state_read(text, len, &s, why, sizeof(why)), -1);
	state_free(&s);
	assert_string_equal(why, want);
}

/* The first "from" in text (of 4096 bytes) made "to". */
static void
edit(char *text, const char *from, const char *to)
{
	size_t	flen = strlen(from), tlen = strlen(to);
	char	*at;

	assert_true(strlen(text) + tlen < 4096);
	at = strstr(text, from);
	assert_non_null(at);
	memmove(at + tlen, at + flen, strlen(at + flen) + 1);
	memcpy(at, to, tlen);
}

/* base with one edit, refused with exactly this reason. */
static void
refused(const char *from, const char *to, const char *want)
{
	char	text[4096];

	memcpy(text, base, sizeof(base));
	edit(text, from, to);
	refused_text(text, strlen(text), want);
}

static void
test_base_reads(void **unused)
{
	struct state	s;

	assert_int_equal(state_read(base, strlen(base), &s, why, sizeof(why)),
	    0);
	state_free(&s);
}

static void
test_refused_header(void **unused)
{
	refused("prefork-state 1\n", "prefork-state 2\n",
	    "line 1: state format 2, this prefork reads 1");
	refused("prefork-state 1\n", "prefork-state x\n",
	    "line 1: state format 'x' is not a number");
	refused("prefork-state 1\n", "prefork-stat 1\n",
	    "line 1: not a prefork state (no 'prefork-state' line)");
	refused_text("", 0, "line 1: the text ends before 'end'");
	refused("version 0.9.0\n", "version -\n",
	    "line 2: version: version is missing");
	refused("version 0.9.0\n", "version\n",
	    "line 2: version: version is missing");
	refused("version 0.9.0\n", "version 0.9 .0\n",
	    "line 2: version: '.0' after the last field");
	refused("version 0.9.0\n", "",
	    "line 2: 'master' where 'version' was expected");
}

static void
test_refused_layout(void **unused)
{
	refused("end\n", "", "line 12: the text ends before 'end'");
	refused("end\n", "end", "line 12: the text ends within a line");
	refused("end\n", "end\nend\n", "line 13: text after 'end'");
	refused("end\n", "end\n\n", "line 13: text after 'end'");
	refused("end\n", "end now\n", "line 12: end: a line of its own");
	refused("pool ", "frob x=1\npool ", "line 4: unknown record 'frob'");
	refused("pool ", "master pid=1\npool ",
	    "line 4: a second 'master' record");
	refused("end\n", "fds x=1\nend\n", "line 12: a second 'fds' record");
	refused("listener ", "slot x=1\nlistener ",
	    "line 10: more 'slot' records than counts says (2)");
	refused("listener ", "end\nlistener ",
	    "line 10: only 0 'listener' records, counts says 1");
	refused("pool ", "end\npool ",
	    "line 4: 'end' where 'pool' was expected");
	refused("counts slots=2 workers=2", "counts slots=2 workers=3",
	    "line 10: only 2 'worker' records, counts says 3");
	refused("end\n", "prefork-state 1\nend\n",
	    "line 12: a second 'prefork-state' line");
	refused("pool size", "pool  size",
	    "line 4: pool: size= expected, found ''");
	refused(" ino=0\n", " ino=0 \n",
	    "line 10: listener: '' after the last field");
	refused(" ino=0\n", " ino=0 ino=0\n",
	    "line 10: listener: 'ino=0' after the last field");
	refused(" ino=0\n", "\n", "line 10: listener: no ino= field");
	refused("dev=0 ino=0", "ino=0 dev=0",
	    "line 10: listener: dev= expected, found 'ino=0'");
	refused("end\n", "end\r\n",
	    "line 12: byte 0x0d at column 4: the state is printable ASCII");
	refused("web", "w\xc3\xa9",
	    "line 10: byte 0xc3 at column 33: the state is printable ASCII");
}

static void
test_refused_numbers(void **unused)
{
	refused("pid=100", "pid=x", "line 8: worker: pid 'x' is not a number");
	refused("pid=100", "pid=", "line 8: worker: pid '' is not a number");
	refused("pid=100", "pid=+5",
	    "line 8: worker: pid '+5' is not a number");
	refused("pid=100", "pid=1",
	    "line 8: worker: pid 1 is out of range (2 to 2147483647)");
	refused("pid=100", "pid=2147483648",
	    "line 8: worker: pid 2147483648 is out of range (2 to "
	    "2147483647)");
	refused("pid=4242", "pid=0",
	    "line 3: master: pid 0 is out of range (1 to 2147483647)");
	refused("gen=3", "gen=-1",
	    "line 3: master: gen -1 is out of range (0 to 4294967295)");
	refused("gen=3", "gen=99999999999999999999999",
	    "line 3: master: gen 99999999999999999999999 is out of range (0 "
	    "to 4294967295)");
	refused("lc_state=0", "lc_state=8",
	    "line 3: master: lc_state 8 is out of range (0 to 7)");
	refused("state=1", "state=8",
	    "line 8: worker: state 8 is out of range (0 to 7)");
	refused("stop_why=-1", "stop_why=16",
	    "line 8: worker: stop_why 16 is out of range (-1 to 15)");
	refused("recycling=-1", "recycling=-2",
	    "line 6: slot: recycling -2 is out of range (-1 to 15)");
	refused("last_status=0", "last_status=-2147483649",
	    "line 6: slot: last_status -2147483649 is out of range "
	    "(-2147483648 to 2147483647)");
	refused("guard_pid=99", "guard_pid=1",
	    "line 11: fds: guard_pid 1 is out of range (-1, or 2 to "
	    "2147483647)");
	refused("ino=77", "ino=18446744073709551616",
	    "line 11: fds: control_ino 18446744073709551616 is out of range "
	    "(0 to 18446744073709551615)");
	refused("rolling=0", "rolling=2",
	    "line 4: pool: rolling '2' is not 0 or 1");
	refused("exits=5,1", "exits=5,",
	    "line 3: master: exits: '' is not a counter");
	refused("exits=5,1", "exits=5,-1",
	    "line 3: master: exits: '-1' is not a counter");
	refused("exits=5,1", "exits=",
	    "line 3: master: exits: '' is not a counter");
	refused("exits=5,1", "exits=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	    "line 3: master: exits has more than 16 counters");
}

static void
test_refused_times(void **unused)
{
	refused("spawned=13", "spawned=nan",
	    "line 8: worker: spawned 'nan' is not a number");
	refused("spawned=13", "spawned=inf",
	    "line 8: worker: spawned 'inf' is not a number");
	refused("spawned=13", "spawned=0x1p3",
	    "line 8: worker: spawned '0x1p3' is not a number");
	refused("spawned=13", "spawned=1e999",
	    "line 8: worker: spawned is not finite");
	refused("spawned=13", "spawned=-1",
	    "line 8: worker: spawned is negative");
	refused("spawned=13", "spawned=-0",
	    "line 8: worker: spawned is negative");
	refused("spawned=13", "spawned=1.5e",
	    "line 8: worker: spawned '1.5e' is not a number");
	refused("spawned=13", "spawned=",
	    "line 8: worker: spawned '' is not a number");
}

static void
test_refused_strings(void **unused)
{
	struct state	s;
	char		text[16384], *p;
	size_t		n;

	refused("addr=*:8080", "addr=-",
	    "line 10: listener: addr is missing");
	refused("addr=*:8080", "addr=",
	    "line 10: listener: addr is empty");
	refused("name=web", "name=-", "line 10: listener: name is missing");
	refused("path=-", "path=",
	    "line 10: listener: path is empty");
	refused("name=web", "name=w%00b",
	    "line 10: listener: name holds a NUL byte");
	refused("name=web", "name=w%4",
	    "line 10: listener: name has a bad escape at byte 2");
	refused("name=web", "name=w%4g",
	    "line 10: listener: name has a bad escape at byte 2");
	refused("name=web", "name=w%a4",
	    "line 10: listener: name has a bad escape at byte 2");
	refused("name=web", "name=w%4a",
	    "line 10: listener: name has a bad escape at byte 2");
	refused("name=web", "name=%",
	    "line 10: listener: name has a bad escape at byte 1");
	/* STATE_STR_MAX bytes are fine, one more is not. */
	p = strstr(base, "name=web");
	n = (size_t)(p - base) + 5;
	memcpy(text, base, n);
	memset(text + n, 'a', STATE_STR_MAX);
	strcpy(text + n + STATE_STR_MAX, p + 8);
	assert_int_equal(state_read(text, strlen(text), &s, why, sizeof(why)),
	    0);
	assert_int_equal(strlen(s.listeners[0].name), STATE_STR_MAX);
	state_free(&s);
	memcpy(text + n + STATE_STR_MAX - 1, "%41%41", 6);
	strcpy(text + n + STATE_STR_MAX + 5, p + 8);
	refused_text(text, strlen(text),
	    "line 10: listener: name is longer than 4096 bytes");
}

/* The rules across records, found once the text is read. */
static void
test_refused_rules(void **unused)
{
	struct state	s;
	char		text[4096];

	refused("pool size=2", "pool size=3",
	    "line 4: pool: size 3 is more than the 2 slots");
	refused("pid=101 slot=1", "pid=101 slot=2",
	    "line 9: worker: slot 2 is not one of the 2 slots");
	refused("pid=101 slot=1", "pid=101 slot=0",
	    "line 9: worker: slot 0 has two current workers");
	/* A replacement without a current worker is fine, two are not. */
	memcpy(text, base, sizeof(base));
	edit(text, "first=0 role=0", "first=0 role=1");
	assert_int_equal(state_read(text, strlen(text), &s, why, sizeof(why)),
	    0);
	state_free(&s);
	edit(text, "pid=101 slot=1", "pid=101 slot=0");
	edit(text, "first=1 role=0", "first=1 role=1");
	refused_text(text, strlen(text),
	    "line 9: worker: slot 0 has two next workers");
	/* Workers told to stop are in no slot's hands: any number. */
	memcpy(text, base, sizeof(base));
	edit(text, "pid=101 slot=1", "pid=101 slot=0");
	edit(text, "first=0 role=0", "first=0 role=2");
	assert_int_equal(state_read(text, strlen(text), &s, why, sizeof(why)),
	    0);
	assert_int_equal(s.workers[1].role, 2);
	state_free(&s);
	refused("first=0 role=0", "first=0 role=3",
	    "line 9: worker: role 3 is out of range (0 to 2)");
	refused("pid=101", "pid=100",
	    "line 9: worker: pid 100 is another worker's too");
	refused("guard_fd=6", "guard_fd=3",
	    "line 11: fds: guard_fd 3 is handed over twice");
	refused("control_fd=5", "control_fd=6",
	    "line 11: fds: guard_fd 6 is handed over twice");
	refused("fd=3", "fd=-1",
	    "line 10: listener: fd -1 is out of range (0 to 65535)");
	refused("fd=3", "fd=65536",
	    "line 10: listener: fd 65536 is out of range (0 to 65535)");
	refused("reply_fd=-1", "reply_fd=-2",
	    "line 11: fds: reply_fd -2 is out of range (-1 to 65535)");
	refused("slots=2", "slots=4097",
	    "line 5: counts: slots 4097 is out of range (0 to 4096)");
	refused("workers=2", "workers=12289",
	    "line 5: counts: workers 12289 is out of range (0 to 12288)");
	refused("listeners=1", "listeners=257",
	    "line 5: counts: listeners 257 is out of range (0 to 256)");
}

static void
test_refused_bytes(void **unused)
{
	char	*big;
	char	 text[sizeof(base)];

	memcpy(text, base, sizeof(base));
	*strstr(text, "web") = '\0';
	refused_text(text, sizeof(base) - 1,
	    "line 10: byte 0x00 at column 32: the state is printable ASCII");
	/* Past the limit, whatever it holds. */
	assert_non_null(big = malloc(STATE_TEXT_MAX + 1));
	memset(big, '\n', STATE_TEXT_MAX + 1);
	refused_text(big, STATE_TEXT_MAX + 1,
	    "state text of 16777217 bytes, more than 16777216");
	free(big);
}

/* Refused by the writer, with this reason, and b left as it was. */
static void
unwritable(struct state *s, const char *want)
{
	struct buf	b = BUF_INIT;

	why[0] = '\0';
	assert_int_equal(state_write(s, &b, why, sizeof(why)), -1);
	assert_string_equal(why, want);
	assert_int_equal(b.len, 0);
	state_free(s);
	small(s);
}

static void
test_writer_refuses(void **unused)
{
	struct state	s;

	small(&s);
	s.format = 2;
	unwritable(&s, "state format 2, this prefork writes 1");
	free(s.version);
	s.version = NULL;
	unwritable(&s, "version: version is missing");
	s.pid = 0;
	unwritable(&s, "master: pid 0 is out of range (1 to 2147483647)");
	s.written = NAN;
	unwritable(&s, "master: written is not finite");
	s.started = -INFINITY;
	unwritable(&s, "master: started is not finite");
	s.watchdog_at = -0.0;
	unwritable(&s, "master: watchdog_at is negative");
	s.nexits = 17;
	unwritable(&s, "master: exits has more than 16 counters");
	s.workers[1].pid = 1;
	unwritable(&s, "worker 1: pid 1 is out of range (2 to 2147483647)");
	s.workers[1].stop_why = -2;
	unwritable(&s, "worker 1: stop_why -2 is out of range (-1 to 15)");
	s.workers[1].slot = 2;
	unwritable(&s, "worker 1: slot 2 is not one of the 2 slots");
	s.workers[1].pid = 100;
	unwritable(&s, "worker 1: pid 100 is another worker's too");
	s.workers[1].slot = 0;
	unwritable(&s, "worker 1: slot 0 has two current workers");
	s.size = 3;
	unwritable(&s, "pool: size 3 is more than the 2 slots");
	s.slots[1].recycling = 16;
	unwritable(&s, "slot 1: recycling 16 is out of range (-1 to 15)");
	s.nslots = 4097;
	unwritable(&s, "counts: slots 4097 is out of range (0 to 4096)");
	free(s.listeners[0].addr);
	s.listeners[0].addr = xstrdup("");
	unwritable(&s, "listener 0: addr is empty");
	s.listeners[0].path = calloc(1, STATE_STR_MAX + 2);
	assert_non_null(s.listeners[0].path);
	memset(s.listeners[0].path, 'a', STATE_STR_MAX + 1);
	unwritable(&s, "listener 0: path is longer than 4096 bytes");
	s.listeners[0].fd = 6;
	unwritable(&s, "fds: guard_fd 6 is handed over twice");
	s.notify_fd = 70000;
	unwritable(&s, "fds: notify_fd 70000 is out of range (-1 to 65535)");
	s.guard_pid = 0;
	unwritable(&s, "fds: guard_pid 0 is out of range (-1, or 2 to "
	    "2147483647)");
	free(s.workers);
	s.workers = NULL;
	unwritable(&s, "counts without their records");
	state_free(&s);
}

/* Every byte but NUL, "-" and "" make it through the escapes. */
static void
test_strings(void **unused)
{
	struct state	s;
	struct buf	b = BUF_INIT;

	small(&s);
	free(s.version);
	s.version = all_bytes();
	free(s.listeners[0].name);
	s.listeners[0].name = xstrdup("");
	s.notify_env = xstrdup("-");
	s.http_addr = xstrdup("%2D");
	round_trip(&s, &b);
	assert_non_null(strstr(b.p, " name= adopted"));
	assert_non_null(strstr(b.p, " notify_env=%2D "));
	assert_non_null(strstr(b.p, " http_addr=%252D "));
	state_free(&s);
	free(b.p);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_empty_pool),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_base_reads),
		cmocka_unit_test(test_refused_header),
		cmocka_unit_test(test_refused_layout),
		cmocka_unit_test(test_refused_numbers),
		cmocka_unit_test(test_refused_times),
		cmocka_unit_test(test_refused_strings),
		cmocka_unit_test(test_refused_rules),
		cmocka_unit_test(test_refused_bytes),
		cmocka_unit_test(test_writer_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
