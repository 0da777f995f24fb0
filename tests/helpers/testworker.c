/*
 * testworker: the worker the tests supervise. It reports what it
 * inherited, waits for signals, exits or crashes on demand, and can
 * leave an orphan behind. No dependencies beyond libc.
 *
 * testworker [OPTIONS]
 *   --report DIR      first of all, write what was inherited (below) to
 *                     DIR/report.PID, atomically (DIR/.tmp.PID, renamed)
 *   --crash-if FILE   if FILE exists, exit 3 at once (after --after MS
 *                     when given); checked after --report
 *   --leave-group     join the parent's process group, leaving our own
 *   --orphan MS       fork a grandchild that calls setsid(), points 0,
 *                     1, 2 at /dev/null, closes every other fd, sleeps MS
 *                     and exits 0: an orphan for the master to reap
 *   --ignore-term     SIGTERM is ignored (a stubborn worker)
 *   --term-delay MS   on SIGTERM, exit 0 after MS (default: at once)
 *   --exit CODE       exit with CODE (0..255) after --after MS
 *   --signal SIG      after --after MS, raise SIG (a number, or a name
 *                     such as SEGV or SIGKILL) with its default action;
 *                     the core size limit is set to 0 first, so that no
 *                     core file is left behind, unless --core is given
 *   --core            keep the inherited core size limit for --signal
 *   --after MS        the delay for --exit, --signal and --crash-if
 *                     (default 0)
 *   --touch FILE      create FILE (empty) once the SIGTERM disposition
 *                     is in place, just before waiting: wait on it
 *                     rather than on the report before signalling
 *   --touch-pid FILE  the same as --touch, but FILE.PID: one file per
 *                     worker when many share the command line
 *   --on-usr1 FILE    on SIGUSR1 (caught, so it no longer kills), create
 *                     FILE.PID (empty); the handler only sets a flag,
 *                     the main loop creates the file. In place when the
 *                     --touch or --touch-pid file exists
 * Without --exit or --signal it waits for signals forever. On SIGTERM
 * it exits 0 (after --term-delay). Usage errors exit 2; failures of the
 * worker itself (report not written, ...) exit 1.
 *
 * The report is line-oriented, one "key value" per line, in this order:
 *   pid N
 *   ppid N
 *   pgid N
 *   sid N
 *   slot V              $PREFORK_WORKER_ID, or "-" when unset
 *   workers V           $PREFORK_WORKERS, or "-" when unset
 *   SigBlk:\tHEX        these three copied verbatim from
 *   SigIgn:\tHEX        /proc/self/status
 *   SigCgt:\tHEX
 *   pdeathsig N         prctl(PR_GET_PDEATHSIG)
 *   fds 0 1 2 ...       every open fd, ascending, space-separated
 *   fdN TARGET          for each fd listed: readlink(/proc/self/fd/N),
 *                       e.g. "fd0 /dev/null", "fd3 socket:[12345]"
 *   cwd PATH
 *   umask 0022          octal, four digits
 *   uid N               real uid
 *   gid N               real gid
 *   groups A B C        supplementary groups ("groups" alone when none)
 *   env NAME=value      one line per environment variable, in order; a
 *                       newline inside a value is written as "\n"
 * The report is written before any signal disposition is changed, so a
 * signal that arrives before the --touch file exists may find the
 * inherited default.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

extern char	**environ;

struct options {
	const char	*report;
	const char	*crash_if;
	const char	*touch;
	const char	*touch_pid;
	const char	*on_usr1;
	long		 after_ms;
	long		 term_delay_ms;
	long		 orphan_ms;	/* -1: no orphan */
	int		 exit_code;	/* -1: none */
	int		 signal;	/* 0: none */
	bool		 ignore_term;
	bool		 leave_group;
	bool		 core;
};

static volatile sig_atomic_t	got_term;
static volatile sig_atomic_t	got_alarm;
static volatile sig_atomic_t	got_usr1;

static const struct {
	const char	*name;
	int		 sig;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "SYS", SIGSYS },
};

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: testworker [--report DIR] [--crash-if FILE] "
	    "[--leave-group]\n"
	    "                  [--orphan MS] [--ignore-term] "
	    "[--term-delay MS]\n"
	    "                  [--exit CODE | --signal SIG [--core]] "
	    "[--after MS]\n"
	    "                  [--touch FILE] [--touch-pid FILE] "
	    "[--on-usr1 FILE]\n");
	exit(2);
}

static _Noreturn void
die(const char *what, const char *arg)
{
	fprintf(stderr, "testworker: %s %s: %s\n", what, arg ? arg : "",
	    strerror(errno));
	exit(1);
}

/* A whole number from 0 to max, or a usage error. */
static long
parse_number(const char *s, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		usage();
	return v;
}

static int
parse_signal(const char *s)
{
	size_t	i;

	if (*s >= '0' && *s <= '9')
		return (int)parse_number(s, NSIG - 1);
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].sig;
	usage();
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
	enum { O_REPORT = 256, O_CRASH_IF, O_LEAVE_GROUP, O_ORPHAN,
	    O_IGNORE_TERM, O_TERM_DELAY, O_EXIT, O_SIGNAL, O_CORE, O_AFTER,
	    O_TOUCH, O_TOUCH_PID, O_ON_USR1 };
	static const struct option	longopts[] = {
		{ "report", required_argument, NULL, O_REPORT },
		{ "crash-if", required_argument, NULL, O_CRASH_IF },
		{ "leave-group", no_argument, NULL, O_LEAVE_GROUP },
		{ "orphan", required_argument, NULL, O_ORPHAN },
		{ "ignore-term", no_argument, NULL, O_IGNORE_TERM },
		{ "term-delay", required_argument, NULL, O_TERM_DELAY },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "signal", required_argument, NULL, O_SIGNAL },
		{ "core", no_argument, NULL, O_CORE },
		{ "after", required_argument, NULL, O_AFTER },
		{ "touch", required_argument, NULL, O_TOUCH },
		{ "touch-pid", required_argument, NULL, O_TOUCH_PID },
		{ "on-usr1", required_argument, NULL, O_ON_USR1 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int	c;

	*o = (struct options){ .orphan_ms = -1, .exit_code = -1 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_REPORT:
			o->report = optarg;
			break;
		case O_CRASH_IF:
			o->crash_if = optarg;
			break;
		case O_LEAVE_GROUP:
			o->leave_group = true;
			break;
		case O_ORPHAN:
			o->orphan_ms = parse_number(optarg, INT_MAX);
			break;
		case O_IGNORE_TERM:
			o->ignore_term = true;
			break;
		case O_TERM_DELAY:
			o->term_delay_ms = parse_number(optarg, INT_MAX);
			break;
		case O_EXIT:
			o->exit_code = (int)parse_number(optarg, 255);
			break;
		case O_SIGNAL:
			o->signal = parse_signal(optarg);
			break;
		case O_CORE:
			o->core = true;
			break;
		case O_AFTER:
			o->after_ms = parse_number(optarg, INT_MAX);
			break;
		case O_TOUCH:
			o->touch = optarg;
			break;
		case O_TOUCH_PID:
			o->touch_pid = optarg;
			break;
		case O_ON_USR1:
			o->on_usr1 = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (o->exit_code != -1 && o->signal != 0))
		usage();
}

/* Sleeps ms milliseconds, whatever signals come in between. */
static void
sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };
	int		rc;

	do {
		rc = nanosleep(&ts, &ts);
	} while (rc == -1 && errno == EINTR);
}

/* The SigBlk:, SigIgn: and SigCgt: lines of /proc/self/status. */
static void
report_signals(FILE *m)
{
	FILE	*f;
	char	 line[256];

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		die("open", "/proc/self/status");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0 ||
		    strncmp(line, "SigIgn:", 7) == 0 ||
		    strncmp(line, "SigCgt:", 7) == 0)
			fputs(line, m);
	fclose(f);
}

static int
cmp_int(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The "fds" line and one "fdN" line per open fd. */
static void
report_fds(FILE *m)
{
	DIR		*d;
	struct dirent	*e;
	int		*fds = NULL, *grown;
	size_t		 n = 0, cap = 0, i;
	char		 path[64], target[PATH_MAX];

	if ((d = opendir("/proc/self/fd")) == NULL)
		die("open", "/proc/self/fd");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (atoi(e->d_name) == dirfd(d))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(fds, cap * sizeof(*fds))) == NULL)
				die("realloc", NULL);
			fds = grown;
		}
		fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(fds, n, sizeof(*fds), cmp_int);

	fputs("fds", m);
	for (i = 0; i < n; i++)
		fprintf(m, " %d", fds[i]);
	fputc('\n', m);
	for (i = 0; i < n; i++) {
		ssize_t	len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		if ((len = readlink(path, target, sizeof(target) - 1)) == -1)
			len = 0;
		target[len] = '\0';
		fprintf(m, "fd%d %s\n", fds[i], target);
	}
	free(fds);
}

static void
report_credentials(FILE *m)
{
	gid_t	*groups;
	int	 n, i;

	fprintf(m, "uid %lu\ngid %lu\n", (unsigned long)getuid(),
	    (unsigned long)getgid());
	if ((n = getgroups(0, NULL)) == -1)
		die("getgroups", NULL);
	if ((groups = calloc((size_t)n + 1, sizeof(*groups))) == NULL)
		die("calloc", NULL);
	if ((n = getgroups(n, groups)) == -1)
		die("getgroups", NULL);
	fputs("groups", m);
	for (i = 0; i < n; i++)
		fprintf(m, " %lu", (unsigned long)groups[i]);
	fputc('\n', m);
	free(groups);
}

static void
report_env(FILE *m)
{
	char	**e;
	char	 *c;

	for (e = environ; *e != NULL; e++) {
		fputs("env ", m);
		for (c = *e; *c != '\0'; c++)
			if (*c == '\n')
				fputs("\\n", m);
			else
				fputc(*c, m);
		fputc('\n', m);
	}
}

/*
 * Writes the report. It is built in memory first, so that the report
 * file's own fd is not among the fds it lists, then renamed into place
 * so that a reader never sees half of it.
 */
static void
report_write(const char *dir)
{
	FILE		*m;
	char		*buf = NULL;
	char		 cwd[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	const char	*v;
	size_t		 len = 0;
	mode_t		 mask;
	int		 pdeathsig = -1, fd;

	if ((m = open_memstream(&buf, &len)) == NULL)
		die("open_memstream", NULL);
	fprintf(m, "pid %ld\nppid %ld\npgid %ld\nsid %ld\n", (long)getpid(),
	    (long)getppid(), (long)getpgrp(), (long)getsid(0));
	fprintf(m, "slot %s\n",
	    (v = getenv("PREFORK_WORKER_ID")) != NULL ? v : "-");
	fprintf(m, "workers %s\n",
	    (v = getenv("PREFORK_WORKERS")) != NULL ? v : "-");
	report_signals(m);
	if (prctl(PR_GET_PDEATHSIG, &pdeathsig, 0, 0, 0) == -1)
		die("prctl", "PR_GET_PDEATHSIG");
	fprintf(m, "pdeathsig %d\n", pdeathsig);
	report_fds(m);
	fprintf(m, "cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	mask = umask(0);
	umask(mask);
	fprintf(m, "umask %04o\n", (unsigned)mask);
	report_credentials(m);
	report_env(m);
	if (fclose(m) != 0)
		die("write", "report");

	snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld", dir, (long)getpid());
	snprintf(dst, sizeof(dst), "%s/report.%ld", dir, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		die("open", tmp);
	if (write(fd, buf, len) != (ssize_t)len)
		die("write", tmp);
	if (close(fd) == -1)
		die("close", tmp);
	if (rename(tmp, dst) == -1)
		die("rename", dst);
	free(buf);
}

/*
 * The grandchild of --orphan: out of the worker's session and process
 * group, so that signals to the worker's group miss it, and holding none
 * of the worker's fds, so that it keeps no pipe of the tests open.
 */
static void
orphan(long ms)
{
	pid_t	pid;
	int	fd, null, max;

	if ((pid = fork()) == -1)
		die("fork", NULL);
	if (pid > 0)
		return;
	setsid();
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
	sleep_ms(ms);
	_exit(0);
}

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void
on_alarm(int sig)
{
	(void)sig;
	got_alarm = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Creates path, or path.PID with_pid, empty. */
static void
touch(const char *path, bool with_pid)
{
	char	buf[PATH_MAX];
	int	fd;

	if (with_pid) {
		snprintf(buf, sizeof(buf), "%s.%ld", path, (long)getpid());
		path = buf;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		die("open", path);
	close(fd);
}

/* --exit or --signal, now. */
static void
act(const struct options *o)
{
	struct sigaction	dfl = { .sa_handler = SIG_DFL };
	struct rlimit		rl;
	sigset_t		set;

	if (o->exit_code != -1)
		exit(o->exit_code);
	if (o->signal == 0)
		return;
	if (!o->core && getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	sigaction(o->signal, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, o->signal);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(o->signal);
	/* A signal whose default is to be ignored: go on waiting. */
}

int
main(int argc, char *argv[])
{
	struct options		o;
	struct sigaction	sa = { .sa_handler = on_term };
	struct itimerval	it = { { 0, 0 }, { 0, 0 } };
	sigset_t		block, waitmask;

	parse_options(argc, argv, &o);
	if (o.report != NULL)
		report_write(o.report);
	if (o.crash_if != NULL && access(o.crash_if, F_OK) == 0) {
		sleep_ms(o.after_ms);
		exit(3);
	}
	if (o.leave_group && setpgid(0, getpgid(getppid())) == -1)
		die("setpgid", NULL);
	if (o.orphan_ms >= 0)
		orphan(o.orphan_ms);

	/*
	 * SIGTERM, SIGALRM and SIGUSR1 are blocked except inside
	 * sigsuspend(), so that one arriving between a check of its flag
	 * and the wait is not lost.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	if (o.on_usr1 != NULL)
		sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGALRM);
	if (o.on_usr1 != NULL)
		sigdelset(&waitmask, SIGUSR1);
	if (o.ignore_term)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (o.on_usr1 != NULL) {
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
	}

	if (o.touch != NULL)
		touch(o.touch, false);
	if (o.touch_pid != NULL)
		touch(o.touch_pid, true);

	if (o.exit_code != -1 || o.signal != 0) {
		if (o.after_ms == 0) {
			act(&o);
		} else {
			it.it_value.tv_sec = o.after_ms / 1000;
			it.it_value.tv_usec = (o.after_ms % 1000) * 1000;
			if (setitimer(ITIMER_REAL, &it, NULL) == -1)
				die("setitimer", NULL);
		}
	}
	for (;;) {
		sigsuspend(&waitmask);
		if (got_term) {
			sleep_ms(o.term_delay_ms);
			exit(0);
		}
		if (got_alarm) {
			got_alarm = 0;
			act(&o);
		}
		if (got_usr1) {
			got_usr1 = 0;
			touch(o.on_usr1, true);
		}
	}
}
