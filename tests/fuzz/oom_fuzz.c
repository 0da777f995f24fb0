/* SPDX-License-Identifier: ISC */
/*
 * oom_fuzz: feeds arbitrary text to the pure parts of the OOM watch:
 * oom_parse_events() on a memory.events or memory.oom_control text,
 * oom_locate() on a /proc/self/cgroup and a mountinfo, and the join it
 * ends with, probe_cgroup_dir().
 *
 * The first byte picks the function (its low two bits), the hierarchy
 * (the next bit) and the size of the output buffer (the other five).
 * The rest is split at its NUL bytes: the events text; or the cgroup
 * text and the mountinfo; or the cgroup path, the mount's root and the
 * mount point. Every string and buffer is allocated to its exact size,
 * so AddressSanitizer catches a byte read or written past it, and every
 * result is checked against the contract in oom.h and probe_parse.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oom.h"
#include "probe_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The output buffer sizes the variant picks, down to one byte. */
static const size_t sizes[] = { PATH_MAX, 256, 64, 16, 8, 4, 2, 1 };

/* The value of the one "oom_kill" line, found the plain way. */
static bool
recount(const char *text, unsigned long long *v)
{
	const char	*line, *end, *hit = NULL;
	char		*after;

	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (strncmp(line, "oom_kill", 8) == 0 &&
		    (line[8] == ' ' || line[8] == '\t' || line[8] == '\n' ||
		    line[8] == '\0')) {
			if (hit != NULL)
				return false;
			hit = line;
		}
	}
	if (hit == NULL)
		return false;
	hit += 8;
	hit += strspn(hit, " \t");
	if (*hit < '0' || *hit > '9')
		return false;
	errno = 0;
	*v = strtoull(hit, &after, 10);
	if (errno != 0)
		return false;
	after += strspn(after, " \t");
	return *after == '\n' || *after == '\0';
}

static void
fuzz_events(const char *text)
{
	uint64_t		n = 7;
	unsigned long long	v;
	int			r;

	r = oom_parse_events(text, &n);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r != 0) {
		FUZZ_CHECK(n == 7);
		return;
	}
	FUZZ_CHECK(recount(text, &v) && v == n);
}

static void
fuzz_locate(const char *cgroup, const char *mountinfo, int version,
    size_t len)
{
	char	*dir;
	size_t	 top = SIZE_MAX;
	int	 r;

	if ((dir = malloc(len)) == NULL)
		abort();
	r = oom_locate(cgroup, mountinfo, version, dir, len, &top);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	if (r == 0) {
		FUZZ_CHECK(strlen(dir) < len && top <= strlen(dir));
		FUZZ_CHECK(dir[top] == '\0' || dir[top] == '/');
		FUZZ_CHECK(strstr(dir + top, "/../") == NULL);
	} else
		FUZZ_CHECK(top == SIZE_MAX);
	free(dir);
}

static void
fuzz_dir(const char *cgpath, const char *mroot, const char *mnt, size_t len)
{
	char	*dir;
	size_t	 top = SIZE_MAX;
	int	 r;

	if ((dir = malloc(len)) == NULL)
		abort();
	r = probe_cgroup_dir(cgpath, mroot, mnt, dir, len, &top);
	FUZZ_CHECK(r == -1 || r == 0);
	if (r == 0) {
		FUZZ_CHECK(probe_cgroup_plain(cgpath));
		FUZZ_CHECK(strlen(dir) < len && top <= strlen(mnt));
		FUZZ_CHECK(strncmp(dir, mnt, top) == 0);
		FUZZ_CHECK(top == 0 || mnt[top - 1] != '/');
	} else
		FUZZ_CHECK(top == SIZE_MAX);
	free(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	char		*a, *b, *c;
	size_t		 len;
	int		 version;

	if (size == 0)
		return 0;
	version = data[0] & 4 ? 2 : 1;
	len = sizes[(data[0] >> 3) % 8];
	fuzz_in_init(&in, data + 1, size - 1);
	a = fuzz_in_next(&in);
	b = fuzz_in_next(&in);
	c = fuzz_in_next(&in);
	switch (data[0] & 3) {
	case 0:
	case 3:
		fuzz_events(a);
		break;
	case 1:
		fuzz_locate(a, b != NULL ? b : "", version, len);
		break;
	case 2:
		fuzz_dir(a, b != NULL ? b : "/", c != NULL ? c : "/m", len);
		break;
	}
	free(a);
	free(b);
	free(c);
	return 0;
}
