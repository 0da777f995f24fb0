/* SPDX-License-Identifier: ISC */
/*
 * The sampler: /proc and TCP_INFO read, parsed, and handed back. See
 * sample.h. Every file is read into a buffer on the stack with one
 * read(2) or a few: sampling 512 workers every 15 seconds must cost next
 * to nothing, so no stdio, and no allocation but the one sorted copy of
 * the groups asked for that a scan of their groups makes.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample.h"
#include "util.h"

/* smaps_rollup is about 1 KiB; stat and status under 2 KiB. */
#define SAMPLE_FILE_MAX	4096

/*
 * Parses a decimal number at *p, skipping spaces first; moves *p past
 * it. Returns 0, or -1 when there is none or it overflows.
 */
static int
parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char	*s = *p;
	uint64_t	 n = 0;

	while (s < end && *s == ' ')
		s++;
	if (s == end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = n;
	return 0;
}

/* Skips one field and the spaces after it. Returns 0, or -1 at end. */
static int
skip_field(const char **p, const char *end)
{
	const char	*s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return -1;
	while (s < end && *s != ' ')
		s++;
	*p = s;
	return 0;
}

/*
 * Where the fields after the command (field 2) start: past its last ')',
 * since a process may put anything in its name, ')' and spaces included.
 * Returns NULL when text has no ')'.
 */
static const char *
stat_fields(const char *text, size_t len)
{
	const char	*end = text + len, *p = NULL, *s;

	for (s = text; s < end; s++)
		if (*s == ')')
			p = s;
	return p != NULL ? p + 1 : NULL;
}

int
sample_parse_stat(const char *text, size_t len, struct sample_stat *st)
{
	const char	*end = text + len, *p;
	uint64_t	*v;
	int		 field;

	if ((p = stat_fields(text, len)) == NULL)
		return -1;
	/* Field 3 (the state) is next; the times are 14 to 17, start 22. */
	for (field = 3; field <= 22; field++) {
		v = field == 14 ? &st->utime : field == 15 ? &st->stime :
		    field == 16 ? &st->cutime : field == 17 ? &st->cstime :
		    field == 22 ? &st->starttime : NULL;
		if (v != NULL ? parse_u64(&p, end, v) == -1 :
		    skip_field(&p, end) == -1)
			return -1;
	}
	return 0;
}

/*
 * The state (field 3, one letter) and the process group (field 5) of
 * the text of /proc/PID/stat. Returns 0, or -1 when text is not such a
 * line.
 */
static int
parse_pgrp_state(const char *text, size_t len, pid_t *pgrp, char *state)
{
	const char	*end = text + len, *p;
	uint64_t	 v;

	if ((p = stat_fields(text, len)) == NULL)
		return -1;
	/* ") S 1": one space, the state's letter, one space. */
	if (end - p < 3 || p[0] != ' ' || p[1] == ' ' || p[2] != ' ')
		return -1;
	*state = p[1];
	p += 2;
	/*
	 * Field 4 (the parent), then the group; a space must follow it, or
	 * the number may have been cut short.
	 */
	if (skip_field(&p, end) == -1 || parse_u64(&p, end, &v) == -1 ||
	    v > INT_MAX || p == end || *p != ' ')
		return -1;
	*pgrp = (pid_t)v;
	return 0;
}

int
sample_parse_pgrp(const char *text, size_t len, pid_t *pgrp)
{
	char	state;

	return parse_pgrp_state(text, len, pgrp, &state);
}

int
sample_parse_schedstat(const char *text, size_t len, uint64_t *run_ns,
    uint64_t *wait_ns)
{
	const char	*p = text, *end = text + len;
	uint64_t	 slices;

	if (parse_u64(&p, end, run_ns) == -1 ||
	    parse_u64(&p, end, wait_ns) == -1 ||
	    parse_u64(&p, end, &slices) == -1)
		return -1;
	return p == end || *p == '\n' ? 0 : -1;
}

/*
 * The value of a "Name:   1234 kB" line that starts at line, in bytes,
 * if line starts with name. Returns 1 when it does and parses, 0 when it
 * is another line, -1 when it is this one but does not parse.
 */
static int
kb_line(const char *line, const char *end, const char *name, uint64_t *v)
{
	size_t		 n = strlen(name);
	const char	*p = line + n;
	uint64_t	 kb;

	if ((size_t)(end - line) < n || memcmp(line, name, n) != 0)
		return 0;
	while (p < end && *p == '\t')
		p++;
	if (parse_u64(&p, end, &kb) == -1 || kb > UINT64_MAX / 1024)
		return -1;
	*v = kb * 1024;
	return 1;
}

/* Adds v to *sum. Returns 0, or -1 when the sum would overflow. */
static int
add_u64(uint64_t *sum, uint64_t v)
{
	if (*sum > UINT64_MAX - v)
		return -1;
	*sum += v;
	return 0;
}

int
sample_parse_smaps(const char *text, size_t len, struct sample_mem *m)
{
	static const char *const names[] = {
		"Rss:", "Pss:", "Private_Clean:", "Private_Dirty:"
	};
	const char	*end = text + len, *line, *nl;
	uint64_t	 v, sums[nitems(names)] = { 0 };
	bool		 seen[nitems(names)] = { false };
	size_t		 i;
	int		 r;

	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		for (i = 0; i < nitems(names); i++) {
			if ((r = kb_line(line, nl, names[i], &v)) == -1)
				return -1;
			if (r == 1) {
				if (add_u64(&sums[i], v) == -1)
					return -1;
				seen[i] = true;
				break;
			}
		}
	}
	if (!seen[0] || add_u64(&sums[2], sums[3]) == -1)
		return -1;
	*m = (struct sample_mem){ .rss = sums[0], .pss = sums[1],
	    .has_pss = seen[1], .has_uss = seen[2] && seen[3] };
	if (m->has_uss)
		m->uss = sums[2];
	return 0;
}

int
sample_parse_status_rss(const char *text, size_t len, uint64_t *rss)
{
	const char	*end = text + len, *line, *nl;
	int		 r;

	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((r = kb_line(line, nl, "VmRSS:", rss)) != 0)
			return r == 1 ? 0 : -1;
	}
	return -1;
}

/*
 * Reads the file dir/pid/name (pid 0: dir/name) into buf, NUL-terminated.
 * Returns its length, or -1 with errno set.
 */
static ssize_t
read_proc(const char *proc, pid_t pid, const char *name, char *buf,
    size_t len)
{
	char	path[PATH_MAX];
	int	w;

	if (pid > 0)
		w = snprintf(path, sizeof(path), "%s/%ld/%s", proc, (long)pid,
		    name);
	else
		w = snprintf(path, sizeof(path), "%s/%s", proc, name);
	if (w < 0 || (size_t)w >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return util_read_buf(path, buf, len);
}

int
sample_init(struct sample_sys *sys, const char *proc)
{
	char		 buf[SAMPLE_FILE_MAX * 4];
	const char	*p;
	uint64_t	 btime;
	ssize_t		 n;

	if ((sys->ticks = sysconf(_SC_CLK_TCK)) <= 0)
		sys->ticks = 100;
	/* btime is after the per-CPU lines: big machines need the room. */
	if ((n = read_proc(proc, 0, "stat", buf, sizeof(buf))) == -1)
		return -1;
	if ((p = strstr(buf, "\nbtime ")) == NULL) {
		errno = EINVAL;
		return -1;
	}
	p += strlen("\nbtime");
	if (parse_u64(&p, buf + n, &btime) == -1) {
		errno = EINVAL;
		return -1;
	}
	sys->boot_time = (double)btime;
	return 0;
}

int
sample_proc(const struct sample_sys *sys, const char *proc, pid_t pid,
    struct sample_proc *p)
{
	char			buf[SAMPLE_FILE_MAX];
	struct sample_stat	st;
	struct sample_mem	mem;
	ssize_t			n;

	if ((n = read_proc(proc, pid, "stat", buf, sizeof(buf))) == -1)
		return -1;
	if (sample_parse_stat(buf, (size_t)n, &st) == -1) {
		errno = EINVAL;
		return -1;
	}
	p->cpu_seconds = (double)(st.utime + st.stime) / (double)sys->ticks;
	p->start_time = sys->boot_time + (double)st.starttime /
	    (double)sys->ticks;
	if ((n = read_proc(proc, pid, "smaps_rollup", buf, sizeof(buf))) !=
	    -1 && sample_parse_smaps(buf, (size_t)n, &mem) == 0) {
		p->rss = mem.rss;
		p->pss = mem.has_pss ? mem.pss : mem.rss;
		p->has_pss = mem.has_pss;
		return 0;
	}
	/* No smaps_rollup (before Linux 4.14, or hidden): RSS only. */
	if ((n = read_proc(proc, pid, "status", buf, sizeof(buf))) == -1)
		return -1;
	if (sample_parse_status_rss(buf, (size_t)n, &p->rss) == -1) {
		/* A zombie, or a kernel thread: no memory of its own. */
		p->rss = 0;
	}
	p->pss = p->rss;
	p->has_pss = false;
	return 0;
}

/* A group asked for: its pgid, and where its sums go in out[]. */
struct group_key {
	pid_t	pgid;
	size_t	i;
};

static int
group_key_cmp(const void *a, const void *b)
{
	const struct group_key	*x = a, *y = b;

	if (x->pgid != y->pgid)
		return x->pgid < y->pgid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first of the n sorted keys with pgid, or NULL. */
static const struct group_key *
group_key_find(const struct group_key *k, size_t n, pid_t pgid)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k[mid].pgid < pgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && k[lo].pgid == pgid ? &k[lo] : NULL;
}

/* Past the last of the keys, from k to end, with k's pgid. */
static const struct group_key *
group_key_end(const struct group_key *k, const struct group_key *end)
{
	const struct group_key	*e = k;

	while (e < end && e->pgid == k->pgid)
		e++;
	return e;
}

/* The pid an entry of proc names, or 0 when it is not a process. */
static pid_t
proc_entry_pid(const char *name)
{
	uint64_t	v = 0;

	if (*name < '1' || *name > '9')
		return 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		v = v * 10 + (uint64_t)(*name - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (pid_t)v;
}

/*
 * The memory of pid into *m: from smaps_rollup, or VmRSS from status
 * with has_pss and has_uss false. Returns 1 when pid holds memory to
 * count, 0 when it holds none (a zombie, a process in exit) or is gone.
 */
static int
member_mem(const char *proc, pid_t pid, struct sample_mem *m)
{
	char	buf[SAMPLE_FILE_MAX];
	ssize_t	n;

	if ((n = read_proc(proc, pid, "smaps_rollup", buf, sizeof(buf))) !=
	    -1 && sample_parse_smaps(buf, (size_t)n, m) == 0)
		return 1;
	*m = (struct sample_mem){ 0 };
	if ((n = read_proc(proc, pid, "status", buf, sizeof(buf))) == -1 ||
	    sample_parse_status_rss(buf, (size_t)n, &m->rss) == -1)
		return 0;
	return 1;
}

/* Adds v to *sum, stopping at UINT64_MAX. */
static void
add_sat(uint64_t *sum, uint64_t v)
{
	*sum = *sum > UINT64_MAX - v ? UINT64_MAX : *sum + v;
}

/* A process of a group asked for, as the scan of proc found it. */
struct group_member {
	const char	*proc;
	pid_t		 pid;
	const char	*stat;		/* the text of its stat */
	size_t		 len;
	char		 state;		/* field 3: 'Z' for a zombie */
};

/*
 * What a scan does with each member: adds it to the groups of the keys
 * [k, end), which all have its pgid, in out.
 */
typedef void	group_add_fn(const struct group_member *,
		    const struct group_key *, const struct group_key *, void *);

/*
 * The scan that sample_groups() and sample_groups_cpu() share: the keys
 * of the entries of pgids > 0 sorted, then every process of proc whose
 * stat names one of their groups handed to add with those keys. A dead
 * process ('X'), or one gone since readdir(), is left out; so is a
 * directory whose name is not a pid. The caller fills out first.
 * Returns 0, or -1 with errno set.
 */
static int
groups_scan(const char *proc, const pid_t *pgids, size_t n,
    group_add_fn *add, void *out)
{
	char			 buf[SAMPLE_FILE_MAX];
	struct group_member	 m = { .proc = proc, .stat = buf };
	struct group_key	*keys;
	const struct group_key	*k, *end;
	struct dirent		*e;
	DIR			*d;
	size_t			 i, nkeys = 0;
	ssize_t			 len;
	pid_t			 pgrp;
	int			 saved;

	if ((keys = calloc(n > 0 ? n : 1, sizeof(*keys))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (pgids[i] > 0)
			keys[nkeys++] = (struct group_key){ pgids[i], i };
	if (nkeys == 0) {
		free(keys);
		return 0;
	}
	qsort(keys, nkeys, sizeof(*keys), group_key_cmp);
	if ((d = opendir(proc)) == NULL) {
		saved = errno;
		free(keys);
		errno = saved;
		return -1;
	}
	for (end = keys + nkeys;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL)
			break;
		if ((m.pid = proc_entry_pid(e->d_name)) == 0)
			continue;
		if ((len = read_proc(proc, m.pid, "stat", buf, sizeof(buf))) ==
		    -1 || parse_pgrp_state(buf, (size_t)len, &pgrp, &m.state) ==
		    -1 || m.state == 'X' ||
		    (k = group_key_find(keys, nkeys, pgrp)) == NULL)
			continue;
		m.len = (size_t)len;
		add(&m, k, group_key_end(k, end), out);
	}
	saved = errno;
	closedir(d);
	free(keys);
	errno = saved;
	return saved == 0 ? 0 : -1;
}

/* Adds a member's memory to its groups; a zombie holds none. */
static void
mem_add(const struct group_member *m, const struct group_key *k,
    const struct group_key *end, void *out)
{
	struct sample_group	*g;
	struct sample_mem	 mem;

	if (m->state == 'Z' || member_mem(m->proc, m->pid, &mem) == 0)
		return;
	for (; k < end; k++) {
		g = (struct sample_group *)out + k->i;
		add_sat(&g->rss, mem.rss);
		add_sat(&g->pss, mem.pss);
		add_sat(&g->uss, mem.uss);
		g->has_pss = g->has_pss && mem.has_pss;
		g->has_uss = g->has_uss && mem.has_uss;
		g->nprocs++;
	}
}

int
sample_groups(const char *proc, const pid_t *pgids, size_t n,
    struct sample_group *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		out[i] = (struct sample_group){ .has_pss = true,
		    .has_uss = true };
	return groups_scan(proc, pgids, n, mem_add, out);
}

/*
 * Adds a member's CPU time, its waited-for children's included, and its
 * wait for a CPU to its groups. A zombie's time is still its own until
 * it is reaped.
 */
static void
cpu_add(const struct group_member *m, const struct group_key *k,
    const struct group_key *end, void *out)
{
	struct sample_stat	st;
	struct sample_cpu	*c;
	char			 buf[128];
	uint64_t		 t = 0, run, wait = 0;
	ssize_t			 len;

	if (sample_parse_stat(m->stat, m->len, &st) == -1)
		return;
	add_sat(&t, st.utime);
	add_sat(&t, st.stime);
	add_sat(&t, st.cutime);
	add_sat(&t, st.cstime);
	if ((len = read_proc(m->proc, m->pid, "schedstat", buf,
	    sizeof(buf))) == -1 ||
	    sample_parse_schedstat(buf, (size_t)len, &run, &wait) == -1)
		wait = 0;
	for (; k < end; k++) {
		c = (struct sample_cpu *)out + k->i;
		add_sat(&c->ticks, t);
		add_sat(&c->wait_ns, wait);
	}
}

int
sample_groups_cpu(const char *proc, const pid_t *pgids, size_t n,
    struct sample_cpu *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		out[i] = (struct sample_cpu){ 0 };
	return groups_scan(proc, pgids, n, cpu_add, out);
}

bool
sample_has_schedstat(const char *proc)
{
	char		buf[128];
	uint64_t	run, wait;
	ssize_t		len;

	return (len = read_proc(proc, 0, "self/schedstat", buf,
	    sizeof(buf))) != -1 &&
	    sample_parse_schedstat(buf, (size_t)len, &run, &wait) == 0;
}

uint64_t
sample_group_bytes(const struct sample_group *g, enum mem_measure m,
    bool *exact)
{
	bool		 ok = true;
	uint64_t	 v = g->rss;

	switch (m) {
	case MEASURE_PSS:
		if ((ok = g->has_pss))
			v = g->pss;
		break;
	case MEASURE_USS:
		if ((ok = g->has_uss))
			v = g->uss;
		break;
	case MEASURE_RSS:
		break;
	}
	if (exact != NULL)
		*exact = ok;
	return v;
}

long
sample_open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	long		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	/* The directory's own fd was counted. */
	return n > 0 ? n - 1 : 0;
}

int
sample_listen_queue(int fd, struct sample_queue *q)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return -1;
	if (ti.tcpi_state != TCP_LISTEN) {
		errno = EINVAL;
		return -1;
	}
	q->length = ti.tcpi_unacked;
	q->limit = ti.tcpi_sacked;
	return 0;
}
