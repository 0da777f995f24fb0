/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "probe_parse.h"
#include "util.h"

/* A field of a line: not NUL-terminated. */
struct span {
	const char	*s;
	size_t		 n;
};

/*
 * Parsers. They see text from files anyone might have mangled (and a
 * fuzzer), so each one walks the buffer by hand, stops at the NUL, and
 * checks every multiplication.
 */

/*
 * Reads decimal digits into *v. Returns the end, or NULL if there are
 * none or too many.
 */
static const char *
parse_u64(const char *s, uint64_t *v)
{
	const char	*p;
	uint64_t	 n = 0;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		unsigned	d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return NULL;
		n = n * 10 + d;
	}
	if (p == s)
		return NULL;
	*v = n;
	return p;
}

static bool
only_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s == '\0';
}

int
probe_parse_cpulist(const char *text, unsigned *count)
{
	const char	*p = text;
	uint64_t	 lo, hi, next = 0, n = 0;

	for (;;) {
		if ((p = parse_u64(p, &lo)) == NULL)
			return -1;
		hi = lo;
		if (*p == '-' && (p = parse_u64(p + 1, &hi)) == NULL)
			return -1;
		/* Ascending and apart, so no CPU is counted twice. */
		if (hi < lo || hi > PROBE_CPU_NUMBER_MAX || lo < next)
			return -1;
		n += hi - lo + 1;
		next = hi + 1;
		if (*p != ',')
			break;
		p++;
	}
	if (!only_space(p))
		return -1;
	*count = (unsigned)n;
	return 0;
}

int
probe_parse_cpu_max(const char *text, uint64_t *quota, uint64_t *period)
{
	const char	*p;
	uint64_t	 q, per;

	if (strncmp(text, "max", 3) == 0) {
		q = UINT64_MAX;
		p = text + 3;
	} else if ((p = parse_u64(text, &q)) == NULL || q == UINT64_MAX)
		return -1;
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	if ((p = parse_u64(p, &per)) == NULL || per == 0 || !only_space(p))
		return -1;
	*quota = q;
	*period = per;
	return 0;
}

int
probe_parse_int(const char *text, int64_t *value)
{
	bool		 neg = *text == '-';
	const char	*p;
	uint64_t	 u;

	if ((p = parse_u64(text + neg, &u)) == NULL || !only_space(p))
		return -1;
	if (u > (uint64_t)INT64_MAX + neg)
		return -1;
	if (!neg)
		*value = (int64_t)u;
	else if (u == (uint64_t)INT64_MAX + 1)
		*value = INT64_MIN;
	else
		*value = -(int64_t)u;
	return 0;
}

int
probe_parse_memory_max(const char *text, uint64_t *bytes)
{
	const char	*p;
	uint64_t	 n;

	if (strncmp(text, "max", 3) == 0 && only_space(text + 3)) {
		*bytes = UINT64_MAX;
		return 0;
	}
	if ((p = parse_u64(text, &n)) == NULL || n == UINT64_MAX ||
	    !only_space(p))
		return -1;
	*bytes = n;
	return 0;
}

/* Parses " N kB" up to the end of the line. */
static int
parse_kb_line(const char *p, uint64_t *bytes)
{
	uint64_t	kb;

	p += strspn(p, " \t");
	if ((p = parse_u64(p, &kb)) == NULL || kb == 0 ||
	    kb > UINT64_MAX / 1024)
		return -1;
	p += strspn(p, " \t");
	if (strncmp(p, "kB", 2) != 0)
		return -1;
	p += 2;
	p += strspn(p, " \t");
	if (*p != '\n' && *p != '\0')
		return -1;
	*bytes = kb * 1024;
	return 0;
}

int
probe_parse_meminfo(const char *text, uint64_t *bytes)
{
	const char	*line = text;

	while (*line != '\0') {
		if (strncmp(line, "MemTotal:", 9) == 0)
			return parse_kb_line(line + 9, bytes);
		line += strcspn(line, "\n");
		if (*line == '\n')
			line++;
	}
	return -1;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
probe_parse_block_size(const char *text, uint64_t *bytes)
{
	const char	*p;
	uint64_t	 n = 0;
	int		 d;

	for (p = text; (d = hex_digit(*p)) != -1; p++) {
		if (n > UINT64_MAX >> 4)
			return -1;
		n = n << 4 | (uint64_t)d;
	}
	if (p == text || n == 0 || !only_space(p))
		return -1;
	*bytes = n;
	return 0;
}

/* True when the comma-separated list holds word exactly. */
static bool
list_has(const char *list, size_t n, const char *word)
{
	const char	*end = list + n, *comma;
	size_t		 wlen = strlen(word);

	while (list < end) {
		if ((comma = memchr(list, ',', (size_t)(end - list))) == NULL)
			comma = end;
		if ((size_t)(comma - list) == wlen &&
		    memcmp(list, word, wlen) == 0)
			return true;
		list = comma + 1;
	}
	return false;
}

/*
 * Splits one /proc/self/cgroup line, "ID:CONTROLLERS:PATH", ending at end.
 * The path may itself hold colons, so only the first two count.
 */
static int
cgroup_line(const char *line, const char *end, struct span *id,
    struct span *ctl, struct span *path)
{
	const char	*c1, *c2;

	if ((c1 = memchr(line, ':', (size_t)(end - line))) == NULL ||
	    (c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1))) == NULL)
		return -1;
	*id = (struct span){ line, (size_t)(c1 - line) };
	*ctl = (struct span){ c1 + 1, (size_t)(c2 - c1 - 1) };
	*path = (struct span){ c2 + 1, (size_t)(end - c2 - 1) };
	if (id->n == 0 || strspn(line, "0123456789") != id->n ||
	    path->n == 0 || path->s[0] != '/')
		return -1;
	return 0;
}

static bool
cgroup_match(const struct span *id, const struct span *ctl,
    const char *controller)
{
	bool	v2 = id->n == 1 && id->s[0] == '0' && ctl->n == 0;

	if (controller == NULL)
		return v2;
	return !v2 && list_has(ctl->s, ctl->n, controller);
}

int
probe_parse_cgroup(const char *text, const char *controller, char *path,
    size_t len)
{
	const char	*line, *end;
	struct span	 id, ctl, cg;
	int		 found = 1;

	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (end == line)
			continue;
		if (cgroup_line(line, end, &id, &ctl, &cg) == -1)
			return -1;
		if (found == 0 || !cgroup_match(&id, &ctl, controller))
			continue;
		if (cg.n >= len)
			return -1;
		memcpy(path, cg.s, cg.n);
		path[cg.n] = '\0';
		found = 0;
	}
	return found;
}

/* The next space-separated field before end, if any. */
static bool
field_next(const char **pp, const char *end, struct span *f)
{
	const char	*p = *pp;

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return false;
	f->s = p;
	while (p < end && *p != ' ')
		p++;
	f->n = (size_t)(p - f->s);
	*pp = p;
	return true;
}

/*
 * Splits one mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS". The optional fields end at
 * a lone "-".
 */
static int
mount_line(const char *line, const char *end, struct span *f)
{
	const char	*p = line;
	struct span	 x;
	int		 i;

	/* f: 0 root, 1 mount point, 2 fstype, 3 superoptions. */
	for (i = 0; i < 6; i++) {
		if (!field_next(&p, end, &x))
			return -1;
		if (i == 3 || i == 4)
			f[i - 3] = x;
	}
	do {
		if (!field_next(&p, end, &x))
			return -1;
	} while (x.n != 1 || x.s[0] != '-');
	if (!field_next(&p, end, &f[2]) || !field_next(&p, end, &x))
		return -1;
	if (!field_next(&p, end, &f[3]))
		f[3] = (struct span){ end, 0 };
	return 0;
}

static bool
is_odigit(char c)
{
	return c >= '0' && c <= '7';
}

/* Decodes the kernel's \ooo escapes. Returns the length, or -1. */
static int
unescape(const struct span *f, char *out, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < f->n; i++) {
		int	c = (unsigned char)f->s[i];

		if (c == '\\' && f->n - i > 3 && is_odigit(f->s[i + 1]) &&
		    is_odigit(f->s[i + 2]) && is_odigit(f->s[i + 3])) {
			c = (f->s[i + 1] - '0') << 6 |
			    (f->s[i + 2] - '0') << 3 | (f->s[i + 3] - '0');
			i += 3;
			if (c == 0 || c > 0xff)
				return -1;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > INT_MAX ? -1 : (int)n;
}

/* True when root is cgpath or one of its ancestors. */
static bool
path_holds(const char *root, const char *cgpath)
{
	size_t	n = strlen(root);

	if (strcmp(root, "/") == 0)
		return cgpath[0] == '/';
	return strncmp(cgpath, root, n) == 0 &&
	    (cgpath[n] == '\0' || cgpath[n] == '/');
}

static bool
mount_match(const struct span *f, const char *controller)
{
	if (controller == NULL)
		return f[2].n == 7 && memcmp(f[2].s, "cgroup2", 7) == 0;
	return f[2].n == 6 && memcmp(f[2].s, "cgroup", 6) == 0 &&
	    list_has(f[3].s, f[3].n, controller);
}

int
probe_parse_mountinfo(const char *text, const char *controller,
    const char *cgpath, char *root, size_t rootlen, char *mnt, size_t mntlen)
{
	const char	*line, *end;
	struct span	 f[4];
	char		 r[PATH_MAX];
	int		 n, best = -1;

	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (end == line)
			continue;
		if (mount_line(line, end, f) == -1)
			return -1;
		if (!mount_match(f, controller))
			continue;
		if ((n = unescape(&f[0], r, sizeof(r))) == -1)
			return -1;
		if (!path_holds(r, cgpath) || (best != -1 && n >= best))
			continue;
		if ((size_t)n >= rootlen || unescape(&f[1], mnt, mntlen) == -1)
			return -1;
		memcpy(root, r, (size_t)n + 1);
		best = n;
	}
	return best == -1 ? 1 : 0;
}

bool
probe_cgroup_plain(const char *cgpath)
{
	const char	*p = cgpath;

	while (*p == '/') {
		size_t	n = strcspn(++p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
	}
	return *p == '\0';
}

int
probe_cgroup_dir(const char *cgpath, const char *mroot, const char *mnt,
    char *dir, size_t len, size_t *top)
{
	const char	*rel;
	size_t		 n = strlen(mnt);
	int		 r;

	if (!probe_cgroup_plain(cgpath) || !path_holds(mroot, cgpath))
		return -1;
	rel = strcmp(mroot, "/") == 0 ? cgpath : cgpath + strlen(mroot);
	if (strcmp(rel, "/") == 0)
		rel = "";
	/* A mount point of "/" adds nothing before the cgroup's path. */
	while (n > 0 && mnt[n - 1] == '/')
		n--;
	if (n > INT_MAX)
		return -1;
	r = snprintf(dir, len, "%.*s%s", (int)n, mnt, rel);
	if (r < 0 || (size_t)r >= len)
		return -1;
	*top = n;
	return 0;
}
