/* SPDX-License-Identifier: ISC */
/*
 * sample_test: the sampler's parsers on fixed text (/proc/PID/stat with a
 * hostile command name, smaps_rollup, status), and its I/O on this very
 * process and on a listening socket with connections waiting.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sample.h"
#include "testlib.h"
#include "util.h"

#define KIB	UINT64_C(1024)
#define MIB	(1024 * KIB)

#define STAT_LINE(comm) "4242 (" comm ") S 1 4242 4242 0 -1 4194560 " \
	"1234 0 0 0 250 75 12 3 20 0 1 0 987654 12345678 456 " \
	"18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"

static void
test_parse_stat(void **state)
{
	static const char	*const texts[] = {
		STAT_LINE("python3"),
		STAT_LINE("a) b (c"),
		STAT_LINE(") ) )"),
		STAT_LINE(""),
	};
	struct sample_stat	s;
	size_t			i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(sample_parse_stat(texts[i], strlen(texts[i]),
		    &s), 0);
		assert_int_equal(s.utime, 250);
		assert_int_equal(s.stime, 75);
		assert_int_equal(s.cutime, 12);
		assert_int_equal(s.cstime, 3);
		assert_int_equal(s.starttime, 987654);
	}
}

static void
test_parse_stat_bad(void **state)
{
	static const char	*const texts[] = {
		"",
		"4242 python3 S 1",
		"4242 (x) S 1 2 3",
		"4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 x 75",
		/* Cut short in the children's times, or one not a number. */
		"4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 12",
		"4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 12 "
		    "-3 20 0 1 0 9",
		"4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 "
		    "99999999999999999999999 75 0 0 20 0 1 0 9",
	};
	struct sample_stat	s;
	size_t			i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(sample_parse_stat(texts[i], strlen(texts[i]),
		    &s), -1);
}

static void
test_parse_pgrp(void **state)
{
	static const struct {
		const char	*text;
		pid_t		 pgrp;
	} good[] = {
		{ STAT_LINE("python3"), 4242 },
		{ "1234 (a) b) R 1 77 77 0 -1 4194560 0 0 0 0 0 0\n", 77 },
		/* A name that looks like the fields: the last ')' wins. */
		{ "1234 (x) R 1 666 0 ) S 1 88 88 0 -1 0\n", 88 },
		{ "1234 () ) () Z 1 0 0 0\n", 0 },
		{ "5 (sh -c 'x') T 4 2147483647 1 0", 2147483647 },
	};
	static const char	*const bad[] = {
		"",
		"1234 sh R 1 77 77 0",
		"1234 (sh) R",
		"1234 (sh) R 1",
		/* Cut after the group: it may have been 770. */
		"1234 (sh) R 1 77",
		"1234 (sh) R 1 x 0",
		"1234 (sh) RS 1 77 0",
		"1234 (sh) R 1 -77 0",
		"1234 (sh) R 1 2147483648 0",
		"1234 (sh) R 1 99999999999999999999999 0",
	};
	pid_t			pgrp;
	size_t			i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		pgrp = -1;
		assert_int_equal(sample_parse_pgrp(good[i].text,
		    strlen(good[i].text), &pgrp), 0);
		assert_int_equal(pgrp, good[i].pgrp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sample_parse_pgrp(bad[i], strlen(bad[i]),
		    &pgrp), -1);
	/* The length is obeyed: the same line, cut before its group. */
	assert_int_equal(sample_parse_pgrp(good[1].text, 17, &pgrp), -1);
}

static void
test_parse_smaps(void **state)
{
	static const char	rollup[] =
	    "55d5c0a00000-7ffd4a5f2000 ---p 00000000 00:00 0"
	    "                          [rollup]\n"
	    "Rss:               11472 kB\n"
	    "Pss:                2611 kB\n"
	    "Pss_Anon:           1092 kB\n"
	    "Shared_Clean:       8872 kB\n"
	    "Private_Clean:       120 kB\n"
	    "Private_Dirty:      2480 kB\n"
	    "Private_Hugetlb:    2048 kB\n"
	    "Swap:                  0 kB\n";
	static const char	no_pss[] = "Rss:   4 kB\nSize: 8 kB\n";
	/* Only one of the two private lines: no USS. */
	static const char	half[] = "Rss: 8 kB\nPrivate_Dirty: 4 kB\n";
	/* Two mappings of smaps, summed. */
	static const char	smaps[] = "Rss: 8 kB\nPss: 6 kB\n"
	    "Private_Clean: 0 kB\nPrivate_Dirty: 4 kB\n"
	    "Rss: 12 kB\nPss: 12 kB\n"
	    "Private_Clean: 8 kB\nPrivate_Dirty:\t4 kB\n";
	static const char	big[] = "Rss: 1 kB\n"
	    "Private_Clean: 18014398509481983 kB\n"
	    "Private_Dirty: 18014398509481983 kB\n";
	static const char	bad_private[] = "Rss: 1 kB\nPrivate_Clean: -1 kB\n";
	struct sample_mem	m;

	assert_int_equal(sample_parse_smaps(rollup, strlen(rollup), &m), 0);
	assert_int_equal(m.rss, 11472 * 1024);
	assert_int_equal(m.pss, 2611 * 1024);
	assert_true(m.has_pss);
	assert_int_equal(m.uss, (120 + 2480) * 1024);
	assert_true(m.has_uss);
	assert_int_equal(sample_parse_smaps(no_pss, strlen(no_pss), &m), 0);
	assert_int_equal(m.rss, 4096);
	assert_false(m.has_pss);
	assert_false(m.has_uss);
	assert_int_equal(m.uss, 0);
	assert_int_equal(sample_parse_smaps(half, strlen(half), &m), 0);
	assert_false(m.has_uss);
	assert_int_equal(m.uss, 0);
	assert_int_equal(sample_parse_smaps(smaps, strlen(smaps), &m), 0);
	assert_int_equal(m.rss, 20 * 1024);
	assert_int_equal(m.pss, 18 * 1024);
	assert_int_equal(m.uss, 16 * 1024);
	assert_true(m.has_pss && m.has_uss);
	/* Each fits in 64 bits as bytes; their sum does not. */
	assert_int_equal(sample_parse_smaps(big, strlen(big), &m), -1);
	assert_int_equal(sample_parse_smaps(bad_private,
	    strlen(bad_private), &m), -1);
	assert_int_equal(sample_parse_smaps("Pss: 1 kB\n", 10, &m), -1);
	assert_int_equal(sample_parse_smaps("Rss: x kB\n", 10, &m), -1);
	assert_int_equal(sample_parse_smaps("", 0, &m), -1);
}

static void
test_parse_status(void **state)
{
	static const char	status[] = "Name:\tsleep\nVmPeak:\t   8000 kB\n"
	    "VmRSS:\t    1800 kB\nThreads:\t1\n";
	uint64_t		rss = 0;

	assert_int_equal(sample_parse_status_rss(status, strlen(status),
	    &rss), 0);
	assert_int_equal(rss, 1800 * 1024);
	/* A zombie's status has no VmRSS. */
	assert_int_equal(sample_parse_status_rss("Name:\tz\n", 8, &rss), -1);
}

/* This process, through the real /proc. */
static void
test_proc_self(void **state)
{
	struct sample_sys	sys;
	struct sample_proc	p;
	struct timespec		ts;
	volatile unsigned long	spin = 0;
	long			fds;
	int			fd;

	assert_int_equal(sample_init(&sys, "/proc"), 0);
	assert_true(sys.ticks > 0);
	assert_true(sys.boot_time > 1e9);
	/* Two clock ticks of CPU at least, so that stat shows some. */
	do {
		spin++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec == 0 && ts.tv_nsec < 50000000);
	assert_int_equal(sample_proc(&sys, "/proc", getpid(), &p), 0);
	assert_true(p.cpu_seconds > 0);
	assert_true(p.start_time >= sys.boot_time);
	assert_true(p.rss > 0);
	assert_true(p.pss > 0 && p.pss <= p.rss);
	fds = sample_open_fds();
	assert_true(fds >= 3);
	fd = dup(0);
	assert_int_equal(sample_open_fds(), fds + 1);
	close(fd);
	errno = 0;
	assert_int_equal(sample_proc(&sys, "/proc", 0x7ffffff0, &p), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * tests/fixtures/proc-groups: group 100 (a leader, a member with ')' in
 * its name, a zombie, a member gone after its stat), group 200 (a member
 * without smaps_rollup), processes of other groups and of group 0, a
 * stat that does not parse, and entries that are no processes but hold
 * files that name group 100 ("self", "12ab", "0100").
 */
static void
test_groups_fixture(void **state)
{
	static const pid_t	pgids[] = { 200, 100, 400, 0, 100, -5 };
	struct sample_group	g[nitems(pgids)];
	size_t			i;

	memset(g, 0xa5, sizeof(g));
	assert_int_equal(sample_groups(t_fixture("proc-groups"), pgids,
	    nitems(pgids), g), 0);
	/* 200 + 201, the latter through VmRSS: PSS and USS unknown. */
	assert_int_equal(g[0].nprocs, 2);
	assert_int_equal(g[0].rss, (3000 + 5000) * KIB);
	assert_false(g[0].has_pss);
	assert_false(g[0].has_uss);
	/* 100 + 101; the zombie and the vanished member count nothing. */
	assert_int_equal(g[1].nprocs, 2);
	assert_int_equal(g[1].rss, (1000 + 2000) * KIB);
	assert_int_equal(g[1].pss, (600 + 1500) * KIB);
	assert_int_equal(g[1].uss, (100 + 300 + 0 + 1200) * KIB);
	assert_true(g[1].has_pss && g[1].has_uss);
	/* No process; an empty slot; the same group twice; no group. */
	for (i = 2; i < nitems(pgids); i++) {
		if (pgids[i] == 100) {
			assert_memory_equal(&g[i], &g[1], sizeof(g[i]));
			continue;
		}
		assert_int_equal(g[i].nprocs, 0);
		assert_int_equal(g[i].rss, 0);
		assert_int_equal(g[i].pss, 0);
		assert_int_equal(g[i].uss, 0);
		assert_true(g[i].has_pss && g[i].has_uss);
	}
	assert_int_equal(sample_groups(t_fixture("proc-groups"), pgids, 0,
	    g), 0);
	errno = 0;
	assert_int_equal(sample_groups(t_fixture("no-such-proc"), pgids,
	    nitems(pgids), g), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * The same tree, for the CPU time: each process's utime, stime, cutime
 * and cstime are distinct powers of two, so that a sum shows who was
 * counted. Group 100: the leader (15), the member with ')' (240), the
 * zombie (768: its time is its own until it is reaped), the member gone
 * after its stat (1024: the stat is all this reads); not the dead
 * process ('X') nor the impostors. Group 500's sum stops at UINT64_MAX.
 * The waits of schedstat are powers of two as well; the member gone has
 * none, and group 500's second member a schedstat that does not parse.
 */
static void
test_groups_cpu_fixture(void **state)
{
	static const pid_t	pgids[] = { 200, 100, 400, 0, 100, -5, 500 };
	struct sample_cpu	c[nitems(pgids)];

	memset(c, 0xa5, sizeof(c));
	assert_int_equal(sample_groups_cpu(t_fixture("proc-groups"), pgids,
	    nitems(pgids), c), 0);
	assert_int_equal(c[0].ticks, 2048 + 4096 + 8192);
	assert_int_equal(c[0].wait_ns, 8 + 16);
	assert_int_equal(c[1].ticks, 15 + 240 + 768 + 1024);
	assert_int_equal(c[1].wait_ns, 1 + 2 + 4);
	assert_int_equal(c[2].ticks, 0);
	assert_int_equal(c[2].wait_ns, 0);
	assert_int_equal(c[3].ticks, 0);
	assert_int_equal(c[4].ticks, c[1].ticks);
	assert_int_equal(c[4].wait_ns, c[1].wait_ns);
	assert_int_equal(c[5].ticks, 0);
	assert_true(c[6].ticks == UINT64_MAX);
	assert_true(c[6].wait_ns == UINT64_MAX);
	/* Nothing asked: nothing read, not even a proc that is not there. */
	c[0].ticks = 7;
	assert_int_equal(sample_groups_cpu(t_fixture("no-such-proc"), pgids,
	    0, c), 0);
	assert_int_equal(c[0].ticks, 7);
	errno = 0;
	assert_int_equal(sample_groups_cpu(t_fixture("no-such-proc"), pgids,
	    nitems(pgids), c), -1);
	assert_int_equal(errno, ENOENT);
}

/* schedstat: three numbers; anything else is refused. */
static void
test_parse_schedstat(void **state)
{
	static const char	*const bad[] = { "", "1 2", "1 2 x\n", "-1 2 3",
	    "1 2 3 4\n", "1 2 99999999999999999999\n" };
	uint64_t		run, wait;
	size_t			i;

	assert_int_equal(sample_parse_schedstat("3529830696 1221289061 "
	    "9805\n", 32, &run, &wait), 0);
	assert_true(run == 3529830696u && wait == 1221289061u);
	assert_int_equal(sample_parse_schedstat("0 0 0", 5, &run, &wait), 0);
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(sample_parse_schedstat(bad[i], strlen(bad[i]),
		    &run, &wait), -1);
	assert_true(sample_has_schedstat(t_fixture("proc-groups")));
	assert_false(sample_has_schedstat(t_fixture("no-such-proc")));
}

static void
test_group_bytes(void **state)
{
	struct sample_group	g = { .rss = 900, .pss = 500, .uss = 300,
	    .nprocs = 3, .has_pss = true, .has_uss = true };
	bool			exact = false;

	assert_int_equal(sample_group_bytes(&g, MEASURE_PSS, &exact), 500);
	assert_true(exact);
	assert_int_equal(sample_group_bytes(&g, MEASURE_USS, &exact), 300);
	assert_true(exact);
	assert_int_equal(sample_group_bytes(&g, MEASURE_RSS, &exact), 900);
	assert_true(exact);
	/* Unknown: RSS stands in, and says so. */
	g.has_pss = false;
	assert_int_equal(sample_group_bytes(&g, MEASURE_PSS, &exact), 900);
	assert_false(exact);
	assert_int_equal(sample_group_bytes(&g, MEASURE_USS, &exact), 300);
	assert_true(exact);
	g.has_uss = false;
	assert_int_equal(sample_group_bytes(&g, MEASURE_USS, NULL), 900);
	assert_int_equal(sample_group_bytes(&g, MEASURE_RSS, &exact), 900);
	assert_true(exact);
}

/* The live group: a leader and its child, which holds LIVE_BYTES. */
#define LIVE_BYTES	(32 * MIB)
static pid_t	live_leader = -1;
static pid_t	live_member = -1;

/* The member: touches LIVE_BYTES of its own, says so on fd, waits. */
static void
live_member_run(int fd)
{
	pid_t	self = getpid();
	char	*p;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(1);
	p = mmap(NULL, LIVE_BYTES, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	memset(p, 0x5a, LIVE_BYTES);
	if (write(fd, &self, sizeof(self)) != (ssize_t)sizeof(self))
		_exit(1);
	for (;;)
		pause();
}

/* The leader: a group of its own, the member forked into it. */
static void
live_leader_run(int rfd, int wfd)
{
	pid_t	pid;

	close(rfd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || setpgid(0, 0) == -1)
		_exit(1);
	if ((pid = fork()) == -1)
		_exit(1);
	if (pid == 0)
		live_member_run(wfd);
	close(wfd);
	for (;;)
		pause();
}

static int
live_teardown(void **state)
{
	if (live_leader > 0) {
		kill(-live_leader, SIGKILL);
		waitpid(live_leader, NULL, 0);
	}
	/* Ours once its parent is reaped (main() made us a subreaper). */
	if (live_member > 0)
		waitpid(live_member, NULL, 0);
	live_leader = live_member = -1;
	return 0;
}

/*
 * The real /proc: a group whose leader is small and whose member holds
 * 32 MiB of private pages. The group counts them; the leader alone, as
 * sample_proc() sees it, does not.
 */
static void
test_groups_live(void **state)
{
	struct sample_group	g[2];
	struct sample_sys	sys;
	struct sample_proc	p;
	pid_t			pgids[2];
	bool			exact = false, rollup;
	int			fds[2];

	rollup = access("/proc/self/smaps_rollup", R_OK) == 0;
	assert_int_equal(pipe(fds), 0);
	if ((live_leader = fork()) == 0)
		live_leader_run(fds[0], fds[1]);
	assert_true(live_leader > 0);
	close(fds[1]);
	assert_true(t_wait_fd(fds[0], POLLIN, t_now_ms() + 10000));
	assert_int_equal(read(fds[0], &live_member, sizeof(live_member)),
	    sizeof(live_member));
	close(fds[0]);

	/* The member's pid is a group of none. */
	pgids[0] = live_leader;
	pgids[1] = live_member;
	assert_int_equal(sample_groups("/proc", pgids, 2, g), 0);
	assert_int_equal(g[0].nprocs, 2);
	assert_true(g[0].rss >= LIVE_BYTES);
	assert_int_equal(g[1].nprocs, 0);
	if (rollup) {
		assert_true(g[0].has_pss && g[0].has_uss);
		assert_true(g[0].uss >= LIVE_BYTES);
		assert_true(g[0].pss >= LIVE_BYTES);
		assert_true(sample_group_bytes(&g[0], MEASURE_USS, &exact) >=
		    LIVE_BYTES);
		assert_true(exact);
	}
	assert_int_equal(sample_init(&sys, "/proc"), 0);
	assert_int_equal(sample_proc(&sys, "/proc", live_leader, &p), 0);
	assert_true(p.rss < LIVE_BYTES);
}

/* How long the CPU burner burns, and what a group must show of it. */
#define BURN_NS		300000000L
#define BURN_SHOWN(hz)	((uint64_t)(hz) * 15 / 100)

/* Burns BURN_NS of CPU time, then exits. */
static void
burner_run(void)
{
	struct timespec		ts;
	volatile unsigned long	spin = 0;

	do {
		spin++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec == 0 && ts.tv_nsec < BURN_NS);
	_exit(0);
}

/*
 * The CPU group's leader: a group of its own, said on wfd; on a byte
 * from rfd, forks the burner, waits for it, and says so on wfd.
 */
static void
cpu_leader_run(int rfd, int wfd)
{
	pid_t	pid;
	char	c;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || setpgid(0, 0) == -1 ||
	    write(wfd, "r", 1) != 1 || read(rfd, &c, 1) != 1 ||
	    (pid = fork()) == -1)
		_exit(1);
	if (pid == 0)
		burner_run();
	if (waitpid(pid, NULL, 0) != pid || write(wfd, "d", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* A group, and the CPU time it must reach. */
struct cpu_wait {
	pid_t		pgid;
	uint64_t	want;
};

static bool
cpu_reached(void *arg)
{
	const struct cpu_wait	*w = arg;
	struct sample_cpu	 c;

	return sample_groups_cpu("/proc", &w->pgid, 1, &c) == 0 &&
	    c.ticks >= w->want;
}

/*
 * The real /proc: a group whose leader forks a child that burns 300 ms
 * of CPU and exits. The group's ticks rise while the child burns, and
 * keep what it burned once its leader has reaped it (cutime, cstime),
 * though the leader itself burned next to nothing.
 */
static void
test_groups_cpu_live(void **state)
{
	struct sample_cpu	cpu[2];
	struct cpu_wait		w;
	uint64_t		t0;
	pid_t			pgids[2];
	long			hz = sysconf(_SC_CLK_TCK);
	int			go[2], done[2];
	char			c;

	assert_true(hz > 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	if ((live_leader = fork()) == 0) {
		close(go[1]);
		close(done[0]);
		cpu_leader_run(go[0], done[1]);
	}
	assert_true(live_leader > 0);
	close(go[0]);
	close(done[1]);
	/* Its own group, once it has said so. */
	assert_true(t_wait_fd(done[0], POLLIN, t_now_ms() + 10000));
	assert_int_equal(read(done[0], &c, 1), 1);
	pgids[0] = live_leader;
	pgids[1] = 0x7ffffff0;
	assert_int_equal(sample_groups_cpu("/proc", pgids, 2, cpu), 0);
	t0 = cpu[0].ticks;
	assert_int_equal(cpu[1].ticks, 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	w = (struct cpu_wait){ live_leader, t0 + BURN_SHOWN(hz) };
	assert_true(t_wait_until(cpu_reached, &w, 10000));
	assert_true(t_wait_fd(done[0], POLLIN, t_now_ms() + 10000));
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(c, 'd');
	close(go[1]);
	close(done[0]);
	/* The burner is gone: only the leader's cutime holds its time. */
	assert_int_equal(sample_groups_cpu("/proc", pgids, 1, cpu), 0);
	assert_true(cpu[0].ticks >= t0 + BURN_SHOWN(hz));
}

/* Two spinners in a group of their own, on one CPU: each waits. */
static void
spinners_run(int wfd)
{
	volatile unsigned long	spin = 0;
	cpu_set_t		set;
	pid_t			pid;
	int			cpu;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || setpgid(0, 0) == -1 ||
	    sched_getaffinity(0, sizeof(set), &set) == -1)
		_exit(1);
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		continue;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/*
	 * Only the leader answers (the test closes the pipe after one byte);
	 * the other dies with it, as the leader dies with the test.
	 */
	if (sched_setaffinity(0, sizeof(set), &set) == -1 ||
	    (pid = fork()) == -1 || (pid > 0 && write(wfd, "r", 1) != 1) ||
	    (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1))
		_exit(1);
	for (;;)
		spin++;
}

struct wait_reached {
	pid_t		pgid;
	uint64_t	ns;
};

static bool
wait_reached(void *arg)
{
	const struct wait_reached	*w = arg;
	struct sample_cpu		 c;

	return sample_groups_cpu("/proc", &w->pgid, 1, &c) == 0 &&
	    c.wait_ns >= w->ns;
}

/*
 * The real /proc: two processes of one group that spin on the same CPU
 * take turns, so that the group's wait for a CPU grows (100 ms of it).
 */
static void
test_groups_wait_live(void **state)
{
	struct wait_reached	w;
	int			fds[2];
	char			c;

	if (!sample_has_schedstat("/proc"))
		skip();
	assert_int_equal(pipe(fds), 0);
	if ((live_leader = fork()) == 0) {
		close(fds[0]);
		spinners_run(fds[1]);
	}
	assert_true(live_leader > 0);
	close(fds[1]);
	assert_true(t_wait_fd(fds[0], POLLIN, t_now_ms() + 10000));
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	w = (struct wait_reached){ live_leader, 100000000 };
	assert_true(t_wait_until(wait_reached, &w, 20000));
}

/* A listener with a backlog of 7 and 3 connections nobody accepted. */
static void
test_listen_queue(void **state)
{
	struct sockaddr_in	sin;
	struct sample_queue	q;
	socklen_t		len = sizeof(sin);
	int			l, c[3], u, i;

	l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 7), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(sample_listen_queue(l, &q), 0);
	assert_int_equal(q.length, 0);
	assert_int_equal(q.limit, 7);
	for (i = 0; i < 3; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(c[i], (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	assert_int_equal(sample_listen_queue(l, &q), 0);
	assert_int_equal(q.length, 3);
	for (i = 0; i < 3; i++)
		close(c[i]);
	/* A connected socket, and a unix one, are no listeners. */
	c[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sample_listen_queue(c[0], &q), -1);
	close(c[0]);
	u = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(sample_listen_queue(u, &q), -1);
	close(u);
	close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_bad),
		cmocka_unit_test(test_parse_pgrp),
		cmocka_unit_test(test_parse_smaps),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_proc_self),
		cmocka_unit_test(test_groups_fixture),
		cmocka_unit_test(test_groups_cpu_fixture),
		cmocka_unit_test(test_parse_schedstat),
		cmocka_unit_test(test_group_bytes),
		cmocka_unit_test_teardown(test_groups_live, live_teardown),
		cmocka_unit_test_teardown(test_groups_cpu_live, live_teardown),
		cmocka_unit_test_teardown(test_groups_wait_live, live_teardown),
		cmocka_unit_test(test_listen_queue),
	};

	if (t_subreaper() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
