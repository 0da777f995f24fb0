/* SPDX-License-Identifier: ISC */
/*
 * Tests of the OOM watch (oom.c): the parser of memory.events and
 * memory.oom_control on real, hostile and huge text; the memory cgroup
 * found from /proc/self/cgroup and mountinfo, in text and over fixture
 * trees (tests/fixtures/oom-*: v2, v1 in a container, hybrid, a kernel
 * before 4.13, the v2 root cgroup, a malformed count); and oom_exit()'s
 * verdicts on a count the test rewrites under an open watch. The real
 * OOM killer is oom_test's.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "oom.h"
#include "itest.h"
#include "testlib.h"

/* What the kernels print. */
static const char v2_events[] =
    "low 0\nhigh 0\nmax 12\noom 4\noom_kill 3\noom_group_kill 0\n";
static const char v1_oom_control[] =
    "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";

/* Wait statuses, as waitpid(2) gives them. */
#define KILLED	SIGKILL			/* WIFSIGNALED, WTERMSIG 9 */
#define SEGV	SIGSEGV
#define EXITED0	0			/* WIFEXITED, code 0 */

/* oom_parse_events(): -1, or 1 with *count untouched, or 0 and it. */
static int
parse(const char *text, uint64_t *count)
{
	*count = 12345;
	return oom_parse_events(text, count);
}

static void
test_parse_events(void **state)
{
	uint64_t	n;

	assert_int_equal(parse(v2_events, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parse(v1_oom_control, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse("oom_kill 0", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("a b\noom_kill\t7 \t\nz 1\n", &n), 0);
	assert_int_equal(n, 7);
	/* Other lines are not ours to judge. */
	assert_int_equal(parse("\n\n???\x01\noom_kill 5\n-1 x\n", &n), 0);
	assert_int_equal(n, 5);

	/* No line: a v1 kernel before 4.13. */
	assert_int_equal(parse("oom_kill_disable 0\nunder_oom 0\n", &n), 1);
	assert_int_equal(n, 12345);
	assert_int_equal(parse("", &n), 1);
	assert_int_equal(parse("oom_killer 5\nxoom_kill 5\n oom_kill 5\n",
	    &n), 1);
	assert_int_equal(parse("OOM_KILL 5\n", &n), 1);
	assert_int_equal(n, 12345);
}

static void
test_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"oom_kill\n", "oom_kill \n", "oom_kill", "oom_kill x\n",
		"oom_kill -1\n", "oom_kill +1\n", "oom_kill 1 2\n",
		"oom_kill 1x\n", "oom_kill 0x10\n", "oom_kill 1\r\n",
		"oom_kill 1.5\n", "oom_kill 1\noom_kill 1\n",
		"oom_kill 1\nlow 0\noom_kill 2\n",
		"oom_kill 18446744073709551616\n",
		"oom_kill 99999999999999999999999999999\n",
	};
	uint64_t	n;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &n) != -1)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_int_equal(n, 12345);
	}
}

/* The largest count the kernel's counter can hold, and leading zeros. */
static void
test_parse_huge(void **state)
{
	uint64_t	n;

	assert_int_equal(parse("oom_kill 18446744073709551615\n", &n), 0);
	assert_true(n == UINT64_MAX);
	assert_int_equal(parse("oom_kill 9223372036854775807\n", &n), 0);
	assert_true(n == INT64_MAX);
	assert_int_equal(parse("oom_kill 000000000000000000000000042\n", &n),
	    0);
	assert_int_equal(n, 42);
}

/*
 * Every prefix of real text, each in a buffer of its exact size: a read
 * past the NUL fails the run under ASan or valgrind.
 */
static void
test_parse_prefixes(void **state)
{
	const char	*texts[] = { v2_events, v1_oom_control };
	char		*buf;
	uint64_t	 n;
	size_t		 i, len;
	int		 r;

	for (i = 0; i < 2; i++) {
		for (len = 0; len <= strlen(texts[i]); len++) {
			assert_non_null(buf = malloc(len + 1));
			memcpy(buf, texts[i], len);
			buf[len] = '\0';
			r = oom_parse_events(buf, &n);
			assert_true(r == -1 || r == 0 || r == 1);
			/* Cut inside the number: a smaller number, still. */
			if (r == 0)
				assert_true(n <= 3);
			free(buf);
		}
	}
}

/* The texts of the fixture trees, for oom_locate() on its own. */
static const char host_cgroup[] =
    "4:memory:/process_api/e9da089d\n1:cpu:/\n0::/\n";
static const char host_mountinfo[] =
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup "
    "rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 "
    "rw\n";

static void
test_locate(void **state)
{
	char	dir[PATH_MAX];
	size_t	top;

	/* Hybrid: both hierarchies are there; which one has memory is for
	   oom_open() to find out. */
	assert_int_equal(oom_locate(host_cgroup, host_mountinfo, 1, dir,
	    sizeof(dir), &top), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory/process_api/e9da089d");
	assert_int_equal(top, strlen("/sys/fs/cgroup/memory"));
	assert_int_equal(oom_locate(host_cgroup, host_mountinfo, 2, dir,
	    sizeof(dir), &top), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified");

	/* v2 only: no memory hierarchy of v1; in a container's namespace. */
	assert_int_equal(oom_locate("0::/\n", "1 0 0:1 / /sys/fs/cgroup rw - "
	    "cgroup2 cgroup2 rw\n", 1, dir, sizeof(dir), &top), 1);
	assert_int_equal(oom_locate("0::/\n", "1 0 0:1 / /sys/fs/cgroup rw - "
	    "cgroup2 cgroup2 rw\n", 2, dir, sizeof(dir), &top), 0);
	assert_string_equal(dir, "/sys/fs/cgroup");
	/* The cgroup outside our namespace: no mount reaches it. */
	assert_int_equal(oom_locate("0::/../../x\n", "1 0 0:1 / "
	    "/sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", 2, dir, sizeof(dir),
	    &top), 1);
	/* A cgroup no mount holds. */
	assert_int_equal(oom_locate("4:memory:/a\n", "1 0 0:1 /b /m rw - "
	    "cgroup cgroup rw,memory\n", 1, dir, sizeof(dir), &top), 1);
	/* Malformed texts, and no room. */
	assert_int_equal(oom_locate("memory:/a\n", host_mountinfo, 1, dir,
	    sizeof(dir), &top), -1);
	assert_int_equal(oom_locate(host_cgroup, "1 0 0:1 /\n", 1, dir,
	    sizeof(dir), &top), -1);
	assert_int_equal(oom_locate(host_cgroup, host_mountinfo, 1, dir, 16,
	    &top), -1);
}

/* oom_open() over a fixture tree; the count's fd is close-on-exec. */
static void
open_fixture(struct oomwatch *w, const char *name, int version,
    const char *file, uint64_t seen, const char *describe)
{
	char	why[OOM_WHY_MAX], buf[PATH_MAX + 64];

	memset(w, 0, sizeof(*w));
	if (oom_open(w, t_fixture(name), why, sizeof(why)) == -1)
		fail_msg("%s: %s", name, why);
	assert_true(w->open);
	assert_int_equal(w->version, version);
	assert_true((fcntl(w->fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_string_equal(oom_file(w, buf, sizeof(buf)), file);
	assert_true(w->seen == seen);
	assert_string_equal(oom_describe(w, buf, sizeof(buf)), describe);
	oom_close(w);
	assert_false(w->open);
}

static void
test_open_fixtures(void **state)
{
	struct oomwatch	w;

	/* v2 counts the subtree: the service's own file, not its slice's. */
	open_fixture(&w, "oom-v2", 2,
	    "/sys/fs/cgroup/system.slice/app.service/memory.events", 3,
	    "memory cgroup /sys/fs/cgroup/system.slice/app.service, "
	    "limit 512.0 MiB of /sys/fs/cgroup/system.slice");
	open_fixture(&w, "oom-v1", 1,
	    "/sys/fs/cgroup/memory/memory.oom_control", 2,
	    "memory cgroup /sys/fs/cgroup/memory, limit 64.0 MiB");
	/* Hybrid: the unified hierarchy has no memory.events. */
	open_fixture(&w, "oom-hybrid", 1,
	    "/sys/fs/cgroup/memory/process_api/e9da089d/memory.oom_control",
	    0, "memory cgroup /sys/fs/cgroup/memory/process_api/e9da089d, "
	    "limit 256.0 MiB of /sys/fs/cgroup/memory/process_api");
}

/* oom_open() fails with err and a reason that says needle. */
static void
open_fails(const char *root, int err, const char *needle)
{
	struct oomwatch	w;
	char		why[OOM_WHY_MAX];

	memset(&w, 0, sizeof(w));
	why[0] = '\0';
	assert_int_equal(oom_open(&w, root, why, sizeof(why)), -1);
	if (errno != err)
		fail_msg("%s: errno %d (%s), not %d: %s", root, errno,
		    strerror(errno), err, why);
	assert_false(w.open);
	if (strstr(why, needle) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", root, why, needle);
	oom_close(&w);
}

static void
test_open_fails(void **state)
{
	open_fails(t_fixture("oom-v1-old"), ENODATA,
	    "/sys/fs/cgroup/memory/app/memory.oom_control: no oom_kill line");
	open_fails(t_fixture("oom-v2-root"), ENOENT,
	    "cgroup v2: /sys/fs/cgroup/memory.events: No such file");
	open_fails(t_fixture("oom-malformed"), EINVAL,
	    "/sys/fs/cgroup/app/memory.events: oom_kill line not understood");
	open_fails(t_fixture("probe-empty"), ENOENT, "/proc/self/cgroup: ");
	open_fails(t_fixture("probe-meminfo-only"), ENOENT,
	    "/proc/self/cgroup");
}

/* A zeroed watch is a closed one, and says so. */
static void
test_closed(void **state)
{
	struct oomwatch	w;
	char		buf[64];
	uint64_t	n;

	memset(&w, 0, sizeof(w));
	assert_int_equal(oom_exit(&w, KILLED, 1), 0);
	assert_int_equal(oom_count(&w, &n), -1);
	assert_int_equal(errno, EBADF);
	assert_string_equal(oom_file(&w, buf, sizeof(buf)), "");
	assert_string_equal(oom_describe(&w, buf, sizeof(buf)),
	    "no memory cgroup");
	oom_close(&w);
	oom_close(&w);
}

/* A v1 tree under the test's directory, whose count the test writes. */
static char	tree[PATH_MAX], count_path[PATH_MAX];

static void
mkdirs(const char *path)
{
	char	buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
}

static void
put(const char *path, const char *fmt, ...)
{
	va_list	 ap;
	FILE	*f;

	/* "w" truncates the same file: the watch's fd sees the new text. */
	assert_non_null(f = fopen(path, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static void
make_tree(void)
{
	char	p[PATH_MAX];

	xsnprintf(tree, sizeof(tree), "%s/tree", t_tmpdir());
	xsnprintf(p, sizeof(p), "%s/proc/self", tree);
	mkdirs(p);
	xsnprintf(p, sizeof(p), "%s/sys/fs/cgroup/memory/pool/w", tree);
	mkdirs(p);
	xsnprintf(p, sizeof(p), "%s/proc/self/cgroup", tree);
	put(p, "4:memory:/pool/w\n0::/\n");
	xsnprintf(p, sizeof(p), "%s/proc/self/mountinfo", tree);
	put(p, "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup "
	    "rw,memory\n");
	xsnprintf(count_path, sizeof(count_path),
	    "%s/sys/fs/cgroup/memory/pool/w/memory.oom_control", tree);
	put(count_path, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
}

static void
set_count(unsigned long long n)
{
	put(count_path, "oom_kill_disable 0\nunder_oom 0\noom_kill %llu\n", n);
}

static void
open_tree(struct oomwatch *w)
{
	char	why[OOM_WHY_MAX];

	make_tree();
	memset(w, 0, sizeof(*w));
	if (oom_open(w, tree, why, sizeof(why)) == -1)
		fail_msg("%s: %s", tree, why);
}

/*
 * The verdicts: a SIGKILL while the count stood still is a plain signal
 * 9; while it rose, an OOM kill, once per kill; any other death is
 * never one. The file is read again at every exit, through the fd kept
 * open (pread at offset 0).
 */
static void
test_exit_verdicts(void **state)
{
	struct oomwatch	w;
	uint64_t	n;

	open_tree(&w);
	assert_true(w.seen == 0);
	assert_int_equal(oom_exit(&w, KILLED, 10), 0);
	set_count(1);
	assert_int_equal(oom_count(&w, &n), 0);
	assert_true(n == 1);
	assert_int_equal(oom_exit(&w, KILLED, 11), 1);
	/* That kill was taken: the next SIGKILL is someone else's. */
	assert_int_equal(oom_exit(&w, KILLED, 12), 0);
	/* A worker that crashed or exited while the count rose: no. */
	set_count(2);
	assert_int_equal(oom_exit(&w, SEGV, 13), 0);
	assert_int_equal(oom_exit(&w, EXITED0, 13), 0);
	assert_true(w.seen == 2);
	oom_close(&w);
}

/*
 * Two workers killed at once: the first exit reads both kills, the
 * second exit takes the one left. A kill left over expires.
 */
static void
test_exit_two_at_once(void **state)
{
	struct oomwatch	w;

	open_tree(&w);
	set_count(2);
	assert_int_equal(oom_exit(&w, KILLED, 100), 1);
	assert_int_equal(oom_exit(&w, KILLED, 100.1), 1);
	assert_int_equal(oom_exit(&w, KILLED, 100.2), 0);

	/* Seen at an exit that was not a SIGKILL: taken by a later one. */
	set_count(3);
	assert_int_equal(oom_exit(&w, EXITED0, 200), 0);
	assert_int_equal(oom_exit(&w, KILLED, 200 + OOM_CLAIM_SECONDS), 1);

	/* Seen, and not taken in time: a later SIGKILL is a plain one. */
	set_count(4);
	assert_int_equal(oom_exit(&w, EXITED0, 300), 0);
	assert_int_equal(oom_exit(&w, KILLED, 301 + OOM_CLAIM_SECONDS), 0);
	oom_close(&w);
}

/* A count that cannot be read any more closes the watch, once. */
static void
test_exit_unreadable(void **state)
{
	struct oomwatch	w;

	open_tree(&w);
	put(count_path, "oom_kill many\n");
	assert_int_equal(oom_exit(&w, KILLED, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_false(w.open);
	assert_int_equal(oom_exit(&w, KILLED, 2), 0);
	oom_close(&w);
}

/* The limit of the log line: the tightest between cgroup and mount. */
static void
test_describe(void **state)
{
	struct oomwatch	w;
	char		buf[PATH_MAX + 64], p[PATH_MAX];

	open_tree(&w);
	assert_string_equal(oom_describe(&w, buf, sizeof(buf)),
	    "memory cgroup /sys/fs/cgroup/memory/pool/w, no limit");
	xsnprintf(p, sizeof(p), "%s/sys/fs/cgroup/memory/pool/w/"
	    "memory.limit_in_bytes", tree);
	put(p, "9223372036854771712\n");
	assert_string_equal(oom_describe(&w, buf, sizeof(buf)),
	    "memory cgroup /sys/fs/cgroup/memory/pool/w, no limit");
	xsnprintf(p, sizeof(p), "%s/sys/fs/cgroup/memory/memory."
	    "limit_in_bytes", tree);
	put(p, "1073741824\n");
	assert_string_equal(oom_describe(&w, buf, sizeof(buf)),
	    "memory cgroup /sys/fs/cgroup/memory/pool/w, limit 1.0 GiB of "
	    "/sys/fs/cgroup/memory");
	xsnprintf(p, sizeof(p), "%s/sys/fs/cgroup/memory/pool/w/"
	    "memory.limit_in_bytes", tree);
	put(p, "67108864\n");
	assert_string_equal(oom_describe(&w, buf, sizeof(buf)),
	    "memory cgroup /sys/fs/cgroup/memory/pool/w, limit 64.0 MiB");
	/* Cut short, never past the buffer. */
	assert_string_equal(oom_describe(&w, buf, 14), "memory cgroup");
	oom_close(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_events),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_huge),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_open_fixtures),
		cmocka_unit_test(test_open_fails),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_exit_verdicts),
		cmocka_unit_test(test_exit_two_at_once),
		cmocka_unit_test(test_exit_unreadable),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
