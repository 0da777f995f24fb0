/* SPDX-License-Identifier: ISC */
/*
 * probe_fuzz: feeds arbitrary text to the parsers of probe.c, the
 * probe_parse_* functions that read /proc/self/cgroup, mountinfo,
 * meminfo, cpu.max and the other /proc, /sys and cgroup files.
 *
 * The first byte picks the parser (its low three bits) and a variant
 * (the other five: the controller, the sizes of the output buffers). The
 * rest, up to a NUL byte, is the file. For cgroup, a second NUL-separated
 * part is the controller; for mountinfo, the second and third parts are
 * the process's cgroup path and the controller. Every string and every
 * output buffer is allocated to its exact size, so AddressSanitizer
 * catches a byte read or written past it, and every result is checked
 * against the contract in probe.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "probe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The controllers a variant picks when the input names none. */
static const char *const controllers[] = { NULL, "cpu", "memory",
    "cpuacct" };

/* The output buffer sizes a variant picks, down to one byte. */
static const size_t sizes[] = { PATH_MAX, 256, 64, 16, 8, 4, 2, 1 };

/* True when only white space follows end. */
static bool
ends_at_space(const char *end)
{
	return end[strspn(end, " \t\n")] == '\0';
}

/* Counts a list the parser took again, the plain way, with strtoul(3). */
static unsigned long
recount(const char *p)
{
	unsigned long	 n = 0, lo, hi;
	char		*end;

	for (;;) {
		lo = hi = strtoul(p, &end, 10);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		n += hi - lo + 1;
		if (*end != ',')
			return n;
		p = end + 1;
	}
}

static void
fuzz_cpulist(const char *text)
{
	unsigned	n;

	if (probe_parse_cpulist(text, &n) == -1)
		return;
	FUZZ_CHECK(n >= 1 && n <= 4194304);
	FUZZ_CHECK(recount(text) == n);
}

static void
fuzz_cpu_max(const char *text)
{
	uint64_t	q, per;

	if (probe_parse_cpu_max(text, &q, &per) == -1)
		return;
	FUZZ_CHECK(per != 0);
	FUZZ_CHECK(q != UINT64_MAX || strncmp(text, "max", 3) == 0);
}

/* A number the parser took must read the same with strtoll(3). */
static void
fuzz_int(const char *text)
{
	int64_t		 v;
	long long	 w;
	char		*end;

	if (probe_parse_int(text, &v) == -1)
		return;
	FUZZ_CHECK(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'));
	errno = 0;
	w = strtoll(text, &end, 10);
	FUZZ_CHECK(errno == 0 && ends_at_space(end) && w == v);
}

static void
fuzz_memory_max(const char *text)
{
	uint64_t		 v;
	unsigned long long	 w;
	char			*end;

	if (probe_parse_memory_max(text, &v) == -1)
		return;
	if (v == UINT64_MAX) {
		FUZZ_CHECK(strncmp(text, "max", 3) == 0);
		return;
	}
	FUZZ_CHECK(text[0] >= '0' && text[0] <= '9');
	errno = 0;
	w = strtoull(text, &end, 10);
	FUZZ_CHECK(errno == 0 && ends_at_space(end) && w == v);
}

static void
fuzz_meminfo(const char *text)
{
	uint64_t	v;

	if (probe_parse_meminfo(text, &v) == 0)
		FUZZ_CHECK(v > 0 && v % 1024 == 0);
}

static bool
hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* No "0x", no blanks or sign before: strtoull(3) reads the same. */
static void
fuzz_block_size(const char *text)
{
	uint64_t		 v;
	unsigned long long	 w;
	char			*end;

	if (probe_parse_block_size(text, &v) == -1)
		return;
	FUZZ_CHECK(v != 0 && hex(text[0]));
	errno = 0;
	w = strtoull(text, &end, 16);
	FUZZ_CHECK(errno == 0 && ends_at_space(end) && w == v);
}

static void
fuzz_cgroup(const char *text, const char *controller, size_t len)
{
	char	*path;
	int	 r;

	if ((path = malloc(len)) == NULL)
		abort();
	r = probe_parse_cgroup(text, controller, path, len);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r == 0)
		FUZZ_CHECK(path[0] == '/' && strlen(path) < len);
	free(path);
}

/* True when root is cgpath or one of its ancestors, as probe.h says. */
static bool
holds(const char *root, const char *cgpath)
{
	size_t	n = strlen(root);

	if (strcmp(root, "/") == 0)
		return cgpath[0] == '/';
	return strncmp(cgpath, root, n) == 0 &&
	    (cgpath[n] == '\0' || cgpath[n] == '/');
}

static void
fuzz_mountinfo(const char *text, const char *cgpath, const char *controller,
    size_t rootlen, size_t mntlen)
{
	char	*root, *mnt;
	int	 r;

	if ((root = malloc(rootlen)) == NULL || (mnt = malloc(mntlen)) == NULL)
		abort();
	r = probe_parse_mountinfo(text, controller, cgpath, root, rootlen,
	    mnt, mntlen);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r == 0) {
		FUZZ_CHECK(strlen(root) < rootlen && strlen(mnt) < mntlen);
		FUZZ_CHECK(holds(root, cgpath));
	}
	free(root);
	free(mnt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	const char	*ctl;
	char		*text, *a, *b;
	unsigned	 v;

	if (size == 0)
		return 0;
	v = data[0] >> 3;
	ctl = controllers[v % 4];
	fuzz_in_init(&in, data + 1, size - 1);
	text = fuzz_in_next(&in);
	a = fuzz_in_next(&in);
	b = fuzz_in_next(&in);
	switch (data[0] & 7) {
	case 0:
		fuzz_cpulist(text);
		break;
	case 1:
		fuzz_cpu_max(text);
		break;
	case 2:
		fuzz_int(text);
		break;
	case 3:
		fuzz_memory_max(text);
		break;
	case 4:
		fuzz_meminfo(text);
		break;
	case 5:
		fuzz_block_size(text);
		break;
	case 6:
		fuzz_cgroup(text, a != NULL ? a : ctl, sizes[v / 4]);
		break;
	case 7:
		fuzz_mountinfo(text, a != NULL ? a : "/", b != NULL ? b : ctl,
		    sizes[v / 4], sizes[(v / 4 + v % 4) % 8]);
		break;
	}
	free(text);
	free(a);
	free(b);
	return 0;
}
