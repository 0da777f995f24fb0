/* SPDX-License-Identifier: ISC */
/*
 * Tests of the hardware probe: the parsers on their own, then probe_run()
 * on fixture trees under tests/fixtures/probe-* (fake proc/ and sys/
 * roots), then once on this machine.
 */
#include "config.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"
#include "testlib.h"

#define GIB	(UINT64_C(1) << 30)
#define MIB	(UINT64_C(1) << 20)

/* The source called name of kind; fails the test when there is none. */
static const struct probe_source *
source(const struct probe *p, enum probe_kind kind, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nsources; i++)
		if (p->sources[i].kind == kind &&
		    strcmp(p->sources[i].name, name) == 0)
			return &p->sources[i];
	fail_msg("no %s source \"%s\"", kind == PROBE_CPU ? "cpu" : "memory",
	    name);
	return NULL;
}

static const struct probe_source *
cpu(const struct probe *p, const char *name)
{
	return source(p, PROBE_CPU, name);
}

static const struct probe_source *
mem(const struct probe *p, const char *name)
{
	return source(p, PROBE_MEMORY, name);
}

/* Checks a source's status, value (when OK or UNUSED) and path. */
static void
check_source(const struct probe_source *s, enum probe_status status,
    uint64_t value, const char *path)
{
	if (s->status != status)
		fail_msg("%s: status %s, expected %s (%s)", s->name,
		    probe_status_name(s->status), probe_status_name(status),
		    s->detail);
	if (status == PROBE_OK || status == PROBE_UNUSED)
		assert_int_equal(s->value, value);
	assert_string_equal(s->path, path);
}

/* True when some warning contains both needles. */
static bool
warned(const struct probe *p, const char *file, const char *what)
{
	size_t	i;

	for (i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], file) != NULL &&
		    strstr(p->warnings[i], what) != NULL)
			return true;
	for (i = 0; i < p->nwarnings; i++)
		print_message("warning: %s\n", p->warnings[i]);
	return false;
}

static void
run(struct probe *p, const char *fixture)
{
	probe_run(p, t_fixture(fixture));
}

/*
 * Parsers. Each input is copied into a buffer of exactly its size, so
 * that a read past the NUL shows under ASan and valgrind.
 */

static char *
exact(const char *text)
{
	size_t	 n = strlen(text) + 1;
	char	*buf = malloc(n);

	assert_non_null(buf);
	memcpy(buf, text, n);
	return buf;
}

static int
cpulist(const char *text, unsigned *count)
{
	char	*buf = exact(text);
	int	 r = probe_parse_cpulist(buf, count);

	free(buf);
	return r;
}

/* probe_parse_cpulist: ranges, lists, and what the kernel never prints. */
static void
test_parse_cpulist(void **state)
{
	static const char *const bad[] = { "", "\n", "a", "3-1", "1,", ",1",
	    "0-", "-1", "0--1", "0-3,2-5", "4,0", "1,1", " 0", "0 1", "0-3\nx",
	    "0x1", "4194304", "0-4194304", "99999999999999999999999",
	    "0-18446744073709551615", "0-3:2" };
	unsigned	n;
	size_t		i;

	assert_int_equal(cpulist("0", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpulist("0-0", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpulist("0-3,8-11\n", &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(cpulist("0,2,4-5", &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cpulist("0-3,4-7", &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(cpulist("0-4194303", &n), 0);
	assert_int_equal(n, 4194304);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cpulist(bad[i], &n) != -1)
			fail_msg("cpulist \"%s\" accepted as %u", bad[i], n);
}

static int
cpu_max(const char *text, uint64_t *q, uint64_t *per)
{
	char	*buf = exact(text);
	int	 r = probe_parse_cpu_max(buf, q, per);

	free(buf);
	return r;
}

/* probe_parse_cpu_max: "QUOTA PERIOD", "max PERIOD", and garbage. */
static void
test_parse_cpu_max(void **state)
{
	static const char *const bad[] = { "", "max", "150000", "max\n",
	    "150000 0", "maxi 100000", "-1 100000", "150000\t100000",
	    "1 2 3", "150000 100000x", "18446744073709551615 100000",
	    "18446744073709551616 1", "150000 18446744073709551616",
	    " 150000 100000", "max -1" };
	uint64_t	q, per;
	size_t		i;

	assert_int_equal(cpu_max("max 100000\n", &q, &per), 0);
	assert_true(q == UINT64_MAX);
	assert_int_equal(per, 100000);
	assert_int_equal(cpu_max("150000 100000\n", &q, &per), 0);
	assert_int_equal(q, 150000);
	assert_int_equal(per, 100000);
	assert_int_equal(cpu_max("0 1", &q, &per), 0);
	assert_int_equal(q, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cpu_max(bad[i], &q, &per) != -1)
			fail_msg("cpu.max \"%s\" accepted", bad[i]);
}

static int
parse_int(const char *text, int64_t *v)
{
	char	*buf = exact(text);
	int	 r = probe_parse_int(buf, v);

	free(buf);
	return r;
}

/* probe_parse_int: the v1 files, down to both ends of int64_t. */
static void
test_parse_int(void **state)
{
	static const char *const bad[] = { "", "-", "+1", "1x", " 1", "12 34",
	    "--1", "9223372036854775808", "-9223372036854775809", "0x10",
	    "1.5", "\n" };
	int64_t	v;
	size_t	i;

	assert_int_equal(parse_int("-1\n", &v), 0);
	assert_true(v == -1);
	assert_int_equal(parse_int("100000\n", &v), 0);
	assert_true(v == 100000);
	assert_int_equal(parse_int("9223372036854771712\n", &v), 0);
	assert_true(v == INT64_C(9223372036854771712));
	assert_int_equal(parse_int("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_int("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_int("0", &v), 0);
	assert_true(v == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_int(bad[i], &v) != -1)
			fail_msg("integer \"%s\" accepted", bad[i]);
}

static int
memory_max(const char *text, uint64_t *v)
{
	char	*buf = exact(text);
	int	 r = probe_parse_memory_max(buf, v);

	free(buf);
	return r;
}

/* probe_parse_memory_max: "max", bytes, and garbage. */
static void
test_parse_memory_max(void **state)
{
	static const char *const bad[] = { "", "max 1", "maximum", "-1",
	    "1G", "18446744073709551615", "18446744073709551616", " 1" };
	uint64_t	v;
	size_t		i;

	assert_int_equal(memory_max("max\n", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(memory_max("1073741824\n", &v), 0);
	assert_true(v == GIB);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (memory_max(bad[i], &v) != -1)
			fail_msg("memory.max \"%s\" accepted", bad[i]);
}

static int
meminfo(const char *text, uint64_t *v)
{
	char	*buf = exact(text);
	int	 r = probe_parse_meminfo(buf, v);

	free(buf);
	return r;
}

/* probe_parse_meminfo: MemTotal wherever it is, in kB, no overflow. */
static void
test_parse_meminfo(void **state)
{
	static const char *const bad[] = { "", "MemFree: 5 kB\n",
	    "MemTotal: 0 kB\n", "MemTotal: 12 MB\n", "MemTotal: 12\n",
	    "MemTotal: 5 kBx\n", "XMemTotal: 5 kB\n", "MemTotal: lots kB\n",
	    "MemTotal: 18014398509481984 kB\n", "MemTotal: -5 kB\n",
	    "MemTotal:" };
	uint64_t	v;
	size_t		i;

	assert_int_equal(meminfo("MemTotal:       24683620 kB\n"
	    "MemFree:         1000 kB\n", &v), 0);
	assert_true(v == UINT64_C(24683620) * 1024);
	assert_int_equal(meminfo("MemFree: 1 kB\nMemTotal:\t2 kB", &v), 0);
	assert_true(v == 2048);
	assert_int_equal(meminfo("MemTotal: 18014398509481983 kB\n", &v), 0);
	assert_true(v == UINT64_C(18014398509481983) * 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (meminfo(bad[i], &v) != -1)
			fail_msg("meminfo \"%s\" accepted", bad[i]);
}

static int
block_size(const char *text, uint64_t *v)
{
	char	*buf = exact(text);
	int	 r = probe_parse_block_size(buf, v);

	free(buf);
	return r;
}

/* probe_parse_block_size: bare hexadecimal, never 0, never too wide. */
static void
test_parse_block_size(void **state)
{
	static const char *const bad[] = { "", "\n", "0", "0x8000000", "g",
	    "8000000 x", "-8000000", "10000000000000000", " 8000000" };
	uint64_t	v;
	size_t		i;

	assert_int_equal(block_size("8000000\n", &v), 0);
	assert_true(v == 128 * MIB);
	assert_int_equal(block_size("80000000", &v), 0);
	assert_true(v == 2 * GIB);
	assert_int_equal(block_size("FfFfFfFfFfFfFfFf", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(block_size("000000000000000000008", &v), 0);
	assert_true(v == 8);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (block_size(bad[i], &v) != -1)
			fail_msg("block_size_bytes \"%s\" accepted", bad[i]);
}

static const char host_cgroup[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "4:memory:/process_api/e9da\n"
    "3:cpuset:/\n"
    "2:cpuacct:/acct\n"
    "1:cpu:/\n"
    "0::/\n";

static int
cgroup(const char *text, const char *controller, char *path, size_t len)
{
	char	*buf = exact(text);
	int	 r = probe_parse_cgroup(buf, controller, path, len);

	free(buf);
	return r;
}

/* probe_parse_cgroup: exact controller names, v2, and bad lines. */
static void
test_parse_cgroup(void **state)
{
	char	path[64];

	assert_int_equal(cgroup(host_cgroup, NULL, path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(cgroup(host_cgroup, "cpu", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(cgroup(host_cgroup, "cpuacct", path, sizeof(path)),
	    0);
	assert_string_equal(path, "/acct");
	assert_int_equal(cgroup(host_cgroup, "memory", path, sizeof(path)),
	    0);
	assert_string_equal(path, "/process_api/e9da");
	assert_int_equal(cgroup(host_cgroup, "systemd", path, sizeof(path)),
	    1);
	assert_int_equal(cgroup("4:cpu,cpuacct:/docker/abc\n", "cpu", path,
	    sizeof(path)), 0);
	assert_string_equal(path, "/docker/abc");
	/* "cpuset" and "cpuacct" alone are not "cpu". */
	assert_int_equal(cgroup("5:cpuset:/a\n3:cpuacct:/b\n", "cpu", path,
	    sizeof(path)), 1);
	/* A pure v1 host has no v2 line; a pure v2 host no v1 line. */
	assert_int_equal(cgroup("1:cpu:/\n", NULL, path, sizeof(path)), 1);
	assert_int_equal(cgroup("0::/a\n", "cpu", path, sizeof(path)), 1);
	assert_int_equal(cgroup("", NULL, path, sizeof(path)), 1);
	/* Only the first two colons split. */
	assert_int_equal(cgroup("0::/a:b\n", NULL, path, sizeof(path)), 0);
	assert_string_equal(path, "/a:b");
	assert_int_equal(cgroup("garbage\n", NULL, path, sizeof(path)), -1);
	assert_int_equal(cgroup("x:cpu:/\n", "cpu", path, sizeof(path)), -1);
	assert_int_equal(cgroup("1:cpu:\n", "cpu", path, sizeof(path)), -1);
	assert_int_equal(cgroup("1:cpu:rel\n", "cpu", path, sizeof(path)), -1);
	assert_int_equal(cgroup(":cpu:/\n", "cpu", path, sizeof(path)), -1);
	/* A bad line anywhere spoils the file, even after the match. */
	assert_int_equal(cgroup("0::/\n1:cpu\n", NULL, path, sizeof(path)),
	    -1);
	/* The path must fit. */
	assert_int_equal(cgroup("0::/abcdef\n", NULL, path, 7), -1);
	assert_int_equal(cgroup("0::/abcde\n", NULL, path, 7), 0);
}

static const char host_mountinfo[] =
    "22 1 0:20 / / rw,relatime - overlay overlay rw,lowerdir=/l\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "4026 22 0:4 net:[4026531840] /run/netns/x rw shared:5 - nsfs nsfs rw\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
    "rw,cpuacct\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static int
mountinfo(const char *text, const char *controller, const char *cgpath,
    char *root, char *mnt, size_t mntlen)
{
	char	*buf = exact(text);
	int	 r;

	r = probe_parse_mountinfo(buf, controller, cgpath, root, 64, mnt,
	    mntlen);
	free(buf);
	return r;
}

/* probe_parse_mountinfo: the host's hybrid layout, exact controllers. */
static void
test_parse_mountinfo_host(void **state)
{
	char	root[64], mnt[64];

	assert_int_equal(mountinfo(host_mountinfo, NULL, "/", root, mnt,
	    sizeof(mnt)), 0);
	assert_string_equal(root, "/");
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");
	assert_int_equal(mountinfo(host_mountinfo, "cpu", "/x/y", root, mnt,
	    sizeof(mnt)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/cpu");
	assert_int_equal(mountinfo(host_mountinfo, "cpuacct", "/", root, mnt,
	    sizeof(mnt)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/cpuacct");
	assert_int_equal(mountinfo(host_mountinfo, "memory", "/", root, mnt,
	    sizeof(mnt)), 1);
	assert_int_equal(mountinfo(host_mountinfo, "systemd", "/", root, mnt,
	    sizeof(mnt)), 1);
	assert_int_equal(mountinfo("", NULL, "/", root, mnt, sizeof(mnt)), 1);
	/* "/" is the ancestor of absolute paths only. */
	assert_int_equal(mountinfo(host_mountinfo, "cpu", "x", root, mnt,
	    sizeof(mnt)), 1);
}

/* probe_parse_mountinfo: container roots, ancestors, and the shortest. */
static void
test_parse_mountinfo_roots(void **state)
{
	static const char docker[] =
	    "617 612 0:34 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro master:17 "
	    "- cgroup cgroup rw,cpu,cpuacct\n";
	static const char two[] =
	    "1 0 0:1 /a/b /deep rw - cgroup2 none rw\n"
	    "2 0 0:2 /a /shallow rw - cgroup2 none rw\n"
	    "3 0 0:3 /a /again rw - cgroup2 none rw\n";
	char	root[64], mnt[64];

	assert_int_equal(mountinfo(docker, "cpu", "/docker/abc", root, mnt,
	    sizeof(mnt)), 0);
	assert_string_equal(root, "/docker/abc");
	assert_string_equal(mnt, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(mountinfo(docker, "cpu", "/docker/abc/sub", root,
	    mnt, sizeof(mnt)), 0);
	assert_string_equal(root, "/docker/abc");
	/* A root that is a prefix but not an ancestor does not hold it. */
	assert_int_equal(mountinfo(docker, "cpu", "/docker/abcd", root, mnt,
	    sizeof(mnt)), 1);
	assert_int_equal(mountinfo(docker, "cpu", "/docker", root, mnt,
	    sizeof(mnt)), 1);
	assert_int_equal(mountinfo(docker, "cpuset", "/docker/abc", root, mnt,
	    sizeof(mnt)), 1);
	/* Two mounts hold /a/b/c: the shorter root shows more ancestors. */
	assert_int_equal(mountinfo(two, NULL, "/a/b/c", root, mnt,
	    sizeof(mnt)), 0);
	assert_string_equal(root, "/a");
	assert_string_equal(mnt, "/shallow");
}

/* probe_parse_mountinfo: octal escapes, optional fields, bad lines. */
static void
test_parse_mountinfo_format(void **state)
{
	static const char *const bad[] = { "1 2 3\n",
	    "1 0 0:1 / /m rw cgroup2 none rw\n",
	    "1 0 0:1 / /m rw -\n", "1 0 0:1 / /m rw - cgroup2\n",
	    "1 0 0:1 / /m\\000x rw - cgroup2 none rw\n",
	    "1 0 0:1 / /m\\777 rw - cgroup2 none rw\n" };
	char	root[64], mnt[64];
	size_t	i;

	assert_int_equal(mountinfo("1 0 0:1 /a\\040b /my\\040cg\\011x\\134 rw "
	    "shared:4 master:1 propagate_from:2 - cgroup2 none rw\n", NULL,
	    "/a b/c", root, mnt, sizeof(mnt)), 0);
	assert_string_equal(root, "/a b");
	assert_string_equal(mnt, "/my cg\tx\\");
	/* A backslash without three octal digits is kept as it is. */
	assert_int_equal(mountinfo("1 0 0:1 / /m\\12 rw - cgroup2 none rw",
	    NULL, "/", root, mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, "/m\\12");
	/* No superoptions: no controller can match, but the line is fine. */
	assert_int_equal(mountinfo("1 0 0:1 / /m rw - cgroup none\n", "cpu",
	    "/", root, mnt, sizeof(mnt)), 1);
	/* The mount point must fit. */
	assert_int_equal(mountinfo("1 0 0:1 / /abcdef rw - cgroup2 none rw\n",
	    NULL, "/", root, mnt, 7), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mountinfo(bad[i], NULL, "/", root, mnt, sizeof(mnt)) != -1)
			fail_msg("mountinfo \"%s\" accepted", bad[i]);
}

/* True when r is -1, 0, or (if may_be_one) 1. */
static bool
valid(int r, bool may_be_one)
{
	return r == -1 || r == 0 || (may_be_one && r == 1);
}

/* Runs every parser on buf and checks that each answers as documented. */
static void
parse_all(const char *buf)
{
	char		path[64], root[64];
	unsigned	u;
	uint64_t	a, b;
	int64_t		v;

	assert_true(valid(probe_parse_cpulist(buf, &u), false));
	assert_true(valid(probe_parse_cpu_max(buf, &a, &b), false));
	assert_true(valid(probe_parse_int(buf, &v), false));
	assert_true(valid(probe_parse_memory_max(buf, &a), false));
	assert_true(valid(probe_parse_meminfo(buf, &a), false));
	assert_true(valid(probe_parse_block_size(buf, &a), false));
	assert_true(valid(probe_parse_cgroup(buf, "cpu", path, sizeof(path)),
	    true));
	assert_true(valid(probe_parse_mountinfo(buf, "cpu", "/", root,
	    sizeof(root), path, sizeof(path)), true));
}

/*
 * Every parser on every prefix of a real file, each in a buffer of its
 * exact size: the answer is always one the contract allows, and a read
 * past the NUL fails the run under ASan or valgrind.
 */
static void
test_parse_prefixes(void **state)
{
	static const char *const texts[] = { host_cgroup, host_mountinfo,
	    "0-3,8-11\n", "max 100000\n", "-1\n", "MemTotal: 5 kB\n",
	    "8000000\n", "1 0 0:1 / /m\\040x rw - cgroup2 none rw\n" };
	char	*buf;
	size_t	 i, n;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (n = 0; n <= strlen(texts[i]); n++) {
			assert_non_null(buf = malloc(n + 1));
			memcpy(buf, texts[i], n);
			buf[n] = '\0';
			parse_all(buf);
			free(buf);
		}
	}
}

/*
 * probe_cgroup_plain() and probe_cgroup_dir(): a cgroup's directory is
 * the mount point and what its path adds to the mount's root; never one
 * outside the namespace, cut short, or outside the root.
 */
static void
test_cgroup_dir(void **state)
{
	char	dir[64];
	size_t	top;

	assert_true(probe_cgroup_plain("/"));
	assert_true(probe_cgroup_plain("/a/b..c/..d"));
	assert_false(probe_cgroup_plain("/../x"));
	assert_false(probe_cgroup_plain("/a/.."));
	assert_false(probe_cgroup_plain("a"));

	/* v1 on the host: the root is "/". */
	assert_int_equal(probe_cgroup_dir("/process_api/x", "/",
	    "/sys/fs/cgroup/memory", dir, sizeof(dir), &top), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory/process_api/x");
	assert_int_equal(top, strlen("/sys/fs/cgroup/memory"));
	/* In a container: the mount's root is the cgroup itself. */
	assert_int_equal(probe_cgroup_dir("/docker/4f", "/docker/4f",
	    "/sys/fs/cgroup/memory/", dir, sizeof(dir), &top), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory");
	assert_int_equal(top, strlen("/sys/fs/cgroup/memory"));
	assert_int_equal(probe_cgroup_dir("/docker/4f/w", "/docker",
	    "/c", dir, sizeof(dir), &top), 0);
	assert_string_equal(dir, "/c/4f/w");
	assert_int_equal(top, 2);
	/* A mount on "/" adds nothing; the root cgroup, nothing either. */
	assert_int_equal(probe_cgroup_dir("/", "/", "/", dir, sizeof(dir),
	    &top), 0);
	assert_string_equal(dir, "");
	assert_int_equal(top, 0);

	top = 99;
	assert_int_equal(probe_cgroup_dir("/../x", "/", "/m", dir,
	    sizeof(dir), &top), -1);
	assert_int_equal(probe_cgroup_dir("/dockerx", "/docker", "/m", dir,
	    sizeof(dir), &top), -1);
	assert_int_equal(probe_cgroup_dir("/a", "/", "/m", dir, 4, &top), -1);
	assert_int_equal(top, 99);
	assert_int_equal(probe_cgroup_dir("/a", "/", "/m", dir, 5, &top), 0);
	assert_string_equal(dir, "/m/a");
}

/* probe_status_name: the names --explain prints. */
static void
test_status_names(void **state)
{
	assert_string_equal(probe_status_name(PROBE_OK), "ok");
	assert_string_equal(probe_status_name(PROBE_UNLIMITED), "unlimited");
	assert_string_equal(probe_status_name(PROBE_UNUSED), "unused");
	assert_string_equal(probe_status_name(PROBE_MISSING), "missing");
	assert_string_equal(probe_status_name(PROBE_MALFORMED), "malformed");
}

/* probe_root: $PREFORK_SYSROOT when set and not empty, else "/". */
static void
test_root(void **state)
{
	char	*saved = getenv("PREFORK_SYSROOT");

	if (saved != NULL)
		assert_non_null(saved = strdup(saved));
	unsetenv("PREFORK_SYSROOT");
	assert_string_equal(probe_root(), "/");
	setenv("PREFORK_SYSROOT", "", 1);
	assert_string_equal(probe_root(), "/");
	setenv("PREFORK_SYSROOT", "/tmp/tree", 1);
	assert_string_equal(probe_root(), "/tmp/tree");
	if (saved != NULL)
		setenv("PREFORK_SYSROOT", saved, 1);
	else
		unsetenv("PREFORK_SYSROOT");
	free(saved);
}

/*
 * Fixture trees. Each test names its tree; see the files for the
 * layout it mimics.
 */

/* Nothing readable: every source missing, 1 CPU from the fallback. */
static void
test_empty(void **state)
{
	struct probe	p;
	size_t		i;

	run(&p, "probe-empty");
	assert_int_equal(p.cpus, 1);
	assert_string_equal(p.cpus_from, "fallback");
	assert_true(p.memory == 0);
	assert_null(p.memory_from);
	assert_int_equal(p.nsources, PROBE_SOURCES_MAX);
	for (i = 0; i < p.nsources; i++)
		assert_int_equal(p.sources[i].status, PROBE_MISSING);
	assert_int_equal(p.nwarnings, 0);
	check_source(cpu(&p, "online"), PROBE_MISSING, 0,
	    "/sys/devices/system/cpu/online");
	assert_true(t_contains(cpu(&p, "online")->detail,
	    "/sys/devices/system/cpu/online: No such file"));
	assert_true(t_contains(cpu(&p, "cgroup v2")->detail,
	    "/proc/self/cgroup"));
	assert_true(t_contains(mem(&p, "meminfo")->detail, "/proc/meminfo"));
}

/* The sources come in the documented order, with their kinds. */
static void
test_source_order(void **state)
{
	static const char *const names[] = { "online", "affinity",
	    "cgroup v2", "cgroup v1", "memory blocks", "meminfo", "cgroup v2",
	    "cgroup v1" };
	struct probe	p;
	size_t		i;

	run(&p, "probe-empty");
	assert_int_equal(p.nsources, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < p.nsources; i++) {
		assert_string_equal(p.sources[i].name, names[i]);
		assert_int_equal(p.sources[i].kind,
		    i < 4 ? PROBE_CPU : PROBE_MEMORY);
	}
}

/* A root with a trailing slash reads the same tree. */
static void
test_root_trailing_slash(void **state)
{
	struct probe	p;
	char		root[4096];

	snprintf(root, sizeof(root), "%s//", t_fixture("probe-cgv1-docker"));
	probe_run(&p, root);
	assert_int_equal(p.cpus, 2);
	check_source(cpu(&p, "cgroup v1"), PROBE_OK, 2,
	    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us");
}

/* online: a sparse list, 0-3,8-11, is 8 CPUs. */
static void
test_sparse_online(void **state)
{
	struct probe	p;

	run(&p, "probe-sparse-online");
	assert_int_equal(p.cpus, 8);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "online"), PROBE_OK, 8,
	    "/sys/devices/system/cpu/online");
	assert_true(t_contains(cpu(&p, "online")->detail, "0-3,8-11"));
	check_source(cpu(&p, "affinity"), PROBE_MISSING, 0,
	    "/proc/self/status");
}

/* affinity: Cpus_allowed_list 0-1 with 0-7 online gives 2. */
static void
test_affinity_narrower(void **state)
{
	struct probe	p;

	run(&p, "probe-affinity");
	assert_int_equal(p.cpus, 2);
	assert_string_equal(p.cpus_from, "affinity");
	check_source(cpu(&p, "online"), PROBE_OK, 8,
	    "/sys/devices/system/cpu/online");
	check_source(cpu(&p, "affinity"), PROBE_OK, 2, "/proc/self/status");
}

/* cgroup v2: the parent's 1.5 CPUs beat the leaf's 4, giving 2. */
static void
test_cgv2_nested(void **state)
{
	struct probe			 p;
	const struct probe_source	*s;

	run(&p, "probe-cgv2-nested");
	assert_int_equal(p.cpus, 2);
	assert_string_equal(p.cpus_from, "cgroup v2");
	s = cpu(&p, "cgroup v2");
	check_source(s, PROBE_OK, 2,
	    "/sys/fs/cgroup/system.slice/app.slice/cpu.max");
	assert_true(t_contains(s->detail, "quota 150000 / period 100000 = "
	    "1.50 CPUs, rounded up to 2"));
	check_source(cpu(&p, "cgroup v1"), PROBE_MISSING, 0,
	    "/proc/self/cgroup");
	/* memory.max: the parent's 1 GiB, under a 4 GiB MemTotal. */
	assert_true(p.memory == GIB);
	assert_string_equal(p.memory_from, "cgroup v2");
	check_source(mem(&p, "cgroup v2"), PROBE_OK, GIB,
	    "/sys/fs/cgroup/system.slice/app.slice/memory.max");
	check_source(mem(&p, "meminfo"), PROBE_OK, 4 * GIB, "/proc/meminfo");
	assert_int_equal(p.nwarnings, 0);
}

/* cgroup v2: "max" at every level is unlimited, and decides nothing. */
static void
test_cgv2_unlimited(void **state)
{
	struct probe	p;

	run(&p, "probe-cgv2-unlimited");
	assert_int_equal(p.cpus, 4);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "cgroup v2"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/system.slice/app.service/cpu.max");
	check_source(mem(&p, "cgroup v2"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/system.slice/app.service/memory.max");
	assert_true(p.memory == 8 * GIB);
	assert_string_equal(p.memory_from, "meminfo");
}

/* cgroup v2: a quota of half a CPU rounds up to 1. */
static void
test_cgv2_half(void **state)
{
	struct probe	p;

	run(&p, "probe-cgv2-half");
	assert_int_equal(p.cpus, 1);
	assert_string_equal(p.cpus_from, "cgroup v2");
	check_source(cpu(&p, "cgroup v2"), PROBE_OK, 1,
	    "/sys/fs/cgroup/job/cpu.max");
	assert_true(t_contains(cpu(&p, "cgroup v2")->detail,
	    "0.50 CPUs, rounded up to 1"));
}

/* cgroup v1: Docker without cgroupns; the mount root is the container. */
static void
test_cgv1_docker(void **state)
{
	struct probe	p;

	run(&p, "probe-cgv1-docker");
	assert_int_equal(p.cpus, 2);
	assert_string_equal(p.cpus_from, "cgroup v1");
	/* Not the cpuset hierarchy's decoy files, which say 1 CPU. */
	check_source(cpu(&p, "cgroup v1"), PROBE_OK, 2,
	    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us");
	assert_true(t_contains(cpu(&p, "cgroup v1")->detail,
	    "1.50 CPUs, rounded up to 2"));
	assert_true(t_contains(cpu(&p, "cgroup v2")->detail,
	    "no cgroup v2 mount"));
	assert_true(p.memory == 512 * MIB);
	assert_string_equal(p.memory_from, "cgroup v1");
	check_source(mem(&p, "cgroup v1"), PROBE_OK, 512 * MIB,
	    "/sys/fs/cgroup/memory/memory.limit_in_bytes");
	check_source(mem(&p, "meminfo"), PROBE_OK, 2 * GIB, "/proc/meminfo");
}

/* cgroup v1: quota -1, 2^63 - 4096 and 2^62 bytes all mean no limit. */
static void
test_cgv1_unlimited(void **state)
{
	struct probe	p;

	run(&p, "probe-cgv1-unlimited");
	assert_int_equal(p.cpus, 4);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "cgroup v1"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us");
	/* The child's exactly 2^62 is no limit either. */
	check_source(mem(&p, "cgroup v1"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/memory/app/memory.limit_in_bytes");
	assert_true(t_contains(mem(&p, "cgroup v1")->detail,
	    "no limit in 2 levels"));
	assert_true(p.memory == 8 * GIB);
	assert_string_equal(p.memory_from, "meminfo");
	assert_int_equal(p.nwarnings, 0);
}

/*
 * cgroup v1: 2.5 CPUs in a child cgroup round up to 3, and 2^62 - 4096
 * bytes is still a limit.
 */
static void
test_cgv1_fraction(void **state)
{
	struct probe	p;

	run(&p, "probe-cgv1-fraction");
	assert_int_equal(p.cpus, 3);
	assert_string_equal(p.cpus_from, "cgroup v1");
	check_source(cpu(&p, "cgroup v1"), PROBE_OK, 3,
	    "/sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us");
	assert_true(t_contains(cpu(&p, "cgroup v1")->detail,
	    "quota 250000 / period 100000 = 2.50 CPUs, rounded up to 3"));
	assert_true(p.memory == (UINT64_C(1) << 62) - 4096);
	assert_string_equal(p.memory_from, "cgroup v1");
	check_source(mem(&p, "cgroup v1"), PROBE_OK, p.memory,
	    "/sys/fs/cgroup/memory/batch/memory.limit_in_bytes");
}

/* cgroup paths no mount reaches are skipped with a reason. */
static void
test_cgroup_outside(void **state)
{
	struct probe	p;

	run(&p, "probe-cgroup-outside");
	/* Both trees hold a 1-CPU limit the probe must not reach. */
	assert_int_equal(p.cpus, 4);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "cgroup v1"), PROBE_MISSING, 0,
	    "/proc/self/mountinfo");
	assert_true(t_contains(cpu(&p, "cgroup v1")->detail,
	    "no cgroup v1 cpu mount whose root holds /docker/abc"));
	check_source(cpu(&p, "cgroup v2"), PROBE_MISSING, 0,
	    "/proc/self/cgroup");
	assert_true(t_contains(cpu(&p, "cgroup v2")->detail,
	    "/../../user.slice is outside this cgroup namespace"));
	assert_int_equal(p.nwarnings, 0);
}

/* memory blocks: 8 of 10 blocks of 128 MiB beat a smaller MemTotal. */
static void
test_memory_blocks(void **state)
{
	struct probe			 p;
	const struct probe_source	*s;

	run(&p, "probe-memory-blocks");
	assert_true(p.memory == GIB);
	assert_string_equal(p.memory_from, "memory blocks");
	s = mem(&p, "memory blocks");
	check_source(s, PROBE_OK, GIB,
	    "/sys/devices/system/memory/block_size_bytes");
	assert_true(t_contains(s->detail, "8 of 10 blocks online"));
	s = mem(&p, "meminfo");
	check_source(s, PROBE_UNUSED, UINT64_C(1000000) * 1024,
	    "/proc/meminfo");
	assert_true(t_contains(s->detail, "memory blocks take precedence"));
}

/* meminfo: no memory block directory, so MemTotal is used. */
static void
test_meminfo_only(void **state)
{
	struct probe	p;

	run(&p, "probe-meminfo-only");
	assert_true(p.memory == UINT64_C(16303620) * 1024);
	assert_string_equal(p.memory_from, "meminfo");
	check_source(mem(&p, "meminfo"), PROBE_OK, UINT64_C(16303620) * 1024,
	    "/proc/meminfo");
	check_source(mem(&p, "memory blocks"), PROBE_MISSING, 0,
	    "/sys/devices/system/memory/block_size_bytes");
	assert_true(t_contains(mem(&p, "memory blocks")->detail,
	    "block_size_bytes: No such file"));
}

/* Malformed files are skipped with a warning; the good ones still count. */
static void
test_malformed(void **state)
{
	struct probe	p;

	run(&p, "probe-malformed");
	assert_int_equal(p.cpus, 4);
	assert_string_equal(p.cpus_from, "affinity");
	check_source(cpu(&p, "online"), PROBE_MALFORMED, 0,
	    "/sys/devices/system/cpu/online");
	check_source(cpu(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/sys/fs/cgroup/app/cpu.max");
	check_source(mem(&p, "meminfo"), PROBE_MALFORMED, 0, "/proc/meminfo");
	/* The root's memory.max is garbage; the leaf's 1 GiB still counts. */
	assert_true(p.memory == GIB);
	assert_string_equal(p.memory_from, "cgroup v2");
	check_source(mem(&p, "cgroup v2"), PROBE_OK, GIB,
	    "/sys/fs/cgroup/app/memory.max");
	assert_int_equal(p.nwarnings, 4);
	assert_true(warned(&p, "/sys/devices/system/cpu/online:",
	    "\"zero-three\""));
	assert_true(warned(&p, "/sys/fs/cgroup/app/cpu.max:",
	    "\"lots of cpus\""));
	assert_true(warned(&p, "/proc/meminfo:", "MemTotal"));
	assert_true(warned(&p, "/sys/fs/cgroup/memory.max:", "\"-5\""));
}

/*
 * Quotas, periods and memory limits of 0 are malformed: no cgroup a
 * process runs in has them. Memory blocks that are all offline count
 * for nothing.
 */
static void
test_zero(void **state)
{
	struct probe	p;

	run(&p, "probe-zero");
	assert_int_equal(p.cpus, 2);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/sys/fs/cgroup/unified/z/cpu.max");
	/* a/b and a are skipped; the root's -1 still says "no limit". */
	check_source(cpu(&p, "cgroup v1"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us");
	assert_true(t_contains(cpu(&p, "cgroup v1")->detail,
	    "no limit in 1 level up to /sys/fs/cgroup/cpu, 2 malformed"));
	check_source(mem(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/sys/fs/cgroup/unified/z/memory.max");
	check_source(mem(&p, "cgroup v1"), PROBE_MALFORMED, 0,
	    "/sys/fs/cgroup/memory/memory.limit_in_bytes");
	/* No block online is no installed memory to speak of. */
	check_source(mem(&p, "memory blocks"), PROBE_MISSING, 0,
	    "/sys/devices/system/memory/block_size_bytes");
	assert_true(t_contains(mem(&p, "memory blocks")->detail,
	    "none of 1 memory blocks is online"));
	assert_true(p.memory == 0);
	assert_null(p.memory_from);
	assert_int_equal(p.nwarnings, 5);
	assert_true(warned(&p, "/sys/fs/cgroup/memory/memory.limit_in_bytes:",
	    "\"0\""));
	assert_true(warned(&p, "/sys/fs/cgroup/unified/z/cpu.max:",
	    "\"0 100000\""));
	assert_true(warned(&p, "/sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us:",
	    "\"0\""));
	assert_true(warned(&p, "/sys/fs/cgroup/cpu/a/cpu.cfs_period_us:",
	    "\"0\""));
	assert_true(warned(&p, "/sys/fs/cgroup/unified/z/memory.max:",
	    "\"0\""));
}

/* A bad /proc/self/cgroup spoils four sources but warns once. */
static void
test_bad_cgroup(void **state)
{
	struct probe	p;
	size_t		i;

	run(&p, "probe-bad-cgroup");
	for (i = 2; i < p.nsources; i++)
		if (strncmp(p.sources[i].name, "cgroup", 6) == 0)
			check_source(&p.sources[i], PROBE_MALFORMED, 0,
			    "/proc/self/cgroup");
	assert_int_equal(p.nwarnings, 1);
	assert_true(warned(&p, "/proc/self/cgroup:", "ID:CONTROLLERS:PATH"));
}

/* A bad mountinfo spoils the sources whose hierarchy exists. */
static void
test_bad_mountinfo(void **state)
{
	struct probe	p;

	run(&p, "probe-bad-mountinfo");
	check_source(cpu(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/proc/self/mountinfo");
	check_source(cpu(&p, "cgroup v1"), PROBE_MALFORMED, 0,
	    "/proc/self/mountinfo");
	check_source(mem(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/proc/self/mountinfo");
	check_source(mem(&p, "cgroup v1"), PROBE_MISSING, 0,
	    "/proc/self/cgroup");
	assert_int_equal(p.nwarnings, 1);
	assert_true(warned(&p, "/proc/self/mountinfo:", "mountinfo format"));
}

/* More malformed files than warning slots: the rest are counted. */
static void
test_many_malformed(void **state)
{
	struct probe	p;

	run(&p, "probe-many-malformed");
	assert_int_equal(p.cpus, 1);
	assert_string_equal(p.cpus_from, "fallback");
	check_source(cpu(&p, "cgroup v2"), PROBE_MALFORMED, 0,
	    "/sys/fs/cgroup/a/b/c/d/e/f/g/h/i/cpu.max");
	assert_int_equal(p.nwarnings, PROBE_WARNINGS_MAX);
	assert_int_equal(p.nwarnings_dropped, 2);
	assert_true(warned(&p, "/sys/fs/cgroup/a/b/c/d/e/f/g/h/i/cpu.max:",
	    "\"garbage\""));
}

/*
 * The hybrid layout of a real host: v1 controllers, each its own
 * hierarchy, and an empty cgroup2 at /sys/fs/cgroup/unified.
 */
static void
test_hybrid(void **state)
{
	struct probe	p;

	run(&p, "probe-hybrid");
	assert_int_equal(p.cpus, 2);
	assert_string_equal(p.cpus_from, "online");
	check_source(cpu(&p, "cgroup v2"), PROBE_MISSING, 0,
	    "/sys/fs/cgroup/unified/cpu.max");
	check_source(cpu(&p, "cgroup v1"), PROBE_UNLIMITED, 0,
	    "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
	check_source(mem(&p, "memory blocks"), PROBE_OK, 512 * MIB,
	    "/sys/devices/system/memory/block_size_bytes");
	check_source(mem(&p, "cgroup v2"), PROBE_MISSING, 0,
	    "/sys/fs/cgroup/unified/memory.max");
	/* The limit sits on process_api, above the process's own cgroup. */
	check_source(mem(&p, "cgroup v1"), PROBE_OK, 256 * MIB,
	    "/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes");
	assert_true(p.memory == 256 * MIB);
	assert_string_equal(p.memory_from, "cgroup v1");
	assert_int_equal(p.nwarnings, 0);
}

/* This machine, through sched_getaffinity() and the real /proc, /sys. */
static void
test_host(void **state)
{
	struct probe			 p;
	const struct probe_source	*s;
	cpu_set_t			 set;

	probe_run(&p, "/");
	assert_true(p.cpus >= 1);
	s = cpu(&p, "affinity");
	assert_int_equal(s->status, PROBE_OK);
	assert_string_equal(s->path, "");
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		assert_int_equal(s->value, CPU_COUNT(&set));
	assert_true(p.cpus <= s->value);
	assert_int_equal(cpu(&p, "online")->status, PROBE_OK);
	assert_true(p.memory > 0);
	assert_non_null(p.memory_from);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cpulist),
		cmocka_unit_test(test_parse_cpu_max),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_memory_max),
		cmocka_unit_test(test_parse_meminfo),
		cmocka_unit_test(test_parse_block_size),
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_parse_mountinfo_host),
		cmocka_unit_test(test_parse_mountinfo_roots),
		cmocka_unit_test(test_parse_mountinfo_format),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_cgroup_dir),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_source_order),
		cmocka_unit_test(test_root_trailing_slash),
		cmocka_unit_test(test_sparse_online),
		cmocka_unit_test(test_affinity_narrower),
		cmocka_unit_test(test_cgv2_nested),
		cmocka_unit_test(test_cgv2_unlimited),
		cmocka_unit_test(test_cgv2_half),
		cmocka_unit_test(test_cgv1_docker),
		cmocka_unit_test(test_cgv1_unlimited),
		cmocka_unit_test(test_cgv1_fraction),
		cmocka_unit_test(test_cgroup_outside),
		cmocka_unit_test(test_memory_blocks),
		cmocka_unit_test(test_meminfo_only),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_bad_cgroup),
		cmocka_unit_test(test_bad_mountinfo),
		cmocka_unit_test(test_many_malformed),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
