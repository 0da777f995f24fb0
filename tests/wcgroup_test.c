/* SPDX-License-Identifier: ISC */
/*
 * wcgroup_test: worker cgroups (prefork.ini(5), worker_cgroup). The pure
 * judgement and its reasons; detection on fixture trees (a delegated v2
 * tree, one whose cgroup.controllers lacks memory, v1 only, hybrid, a
 * cgroup outside the namespace) and on copies of the delegated one made
 * read-only or shared; the set-up, the leaves, their limits, the readers
 * and the clean-up in a copy, whose "kernel files" are plain files; and
 * real children joining their leaf through spawn and launch.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "launch.h"
#include "spawn.h"
#include "testlib.h"
#include "util.h"
#include "wcgroup.h"

#define MIB	(UINT64_C(1) << 20)
#define APP	"/sys/fs/cgroup/system.slice/app.service"

/* The copies a test made: each test gets new ones. */
static unsigned	ncopies;

/*
 * A copy of fixture name in the test's directory, its path in root (at
 * least PATH_MAX bytes).
 */
static const char *
copy_fixture(const char *name, char *root)
{
	struct t_run	r;
	int		n;

	n = snprintf(root, PATH_MAX, "%s/%s.%u", t_tmpdir(), name, ++ncopies);
	assert_true(n > 0 && n < PATH_MAX);
	t_run(&r, NULL, (const char *const[]){ "cp", "-R", t_fixture(name),
	    root, NULL }, 60000);
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	/* The fixtures may be read-only (make distcheck): the copy is not. */
	t_run(&r, NULL, (const char *const[]){ "chmod", "-R", "u+w", root,
	    NULL }, 60000);
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	return root;
}

/* root/rel into buf (PATH_MAX bytes). */
static const char *
under(const char *root, const char *rel, char *buf)
{
	int	n = snprintf(buf, PATH_MAX, "%s%s", root, rel);

	assert_true(n > 0 && n < PATH_MAX);
	return buf;
}

/* The text of root/rel (the caller frees), or NULL. */
static char *
read_under(const char *root, const char *rel)
{
	char	path[PATH_MAX];

	return util_read_file(under(root, rel, path), 1 << 16);
}

/* Fails the test unless root/rel holds exactly text. */
static void
assert_file(const char *root, const char *rel, const char *text)
{
	char	*got = read_under(root, rel);

	if (got == NULL)
		fail_msg("%s%s: %s", root, rel, strerror(errno));
	if (strcmp(got, text) != 0)
		fail_msg("%s%s holds \"%s\", not \"%s\"", root, rel, got, text);
	free(got);
}

static void
write_under(const char *root, const char *rel, const char *text)
{
	char	path[PATH_MAX];
	int	fd;

	fd = open(under(root, rel, path), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static bool
exists_under(const char *root, const char *rel)
{
	char	path[PATH_MAX];

	return access(under(root, rel, path), F_OK) == 0;
}

/* The parsers. */

static void
test_parse_has(void **state)
{
	assert_true(wcg_parse_has("cpuset cpu io memory pids\n", "memory"));
	assert_true(wcg_parse_has("memory", "memory"));
	assert_true(wcg_parse_has("cpu memory\n", "cpu"));
	assert_false(wcg_parse_has("cpu io pids\n", "memory"));
	assert_false(wcg_parse_has("memory_recursiveprot\n", "memory"));
	assert_false(wcg_parse_has("cpuset\n", "cpu"));
	assert_false(wcg_parse_has("", "memory"));
	assert_false(wcg_parse_has("\n", "memory"));
}

static void
test_parse_procs(void **state)
{
	pid_t	other = 0;

	assert_int_equal(wcg_parse_procs("", 42, &other), 0);
	assert_int_equal(wcg_parse_procs("42\n", 42, &other), 0);
	assert_int_equal(wcg_parse_procs("42\n7\n9\n", 42, &other), 1);
	assert_int_equal(other, 7);
	assert_int_equal(wcg_parse_procs("0\n", 42, &other), 1);
	assert_int_equal(other, 0);
	assert_int_equal(wcg_parse_procs("42\nx\n", 42, &other), -1);
	assert_int_equal(wcg_parse_procs("-1\n", 42, &other), -1);
	assert_int_equal(wcg_parse_procs("42 7\n", 42, &other), -1);
	assert_int_equal(wcg_parse_procs("99999999999\n", 42, &other), -1);
}

static void
test_parse_numbers(void **state)
{
	static const char	events[] = "low 0\nhigh 12\nmax 3\noom 2\n"
	    "oom_kill 5\noom_group_kill 0\n";
	uint64_t		v = 0;

	assert_int_equal(wcg_parse_u64("123456\n", &v), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(wcg_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(wcg_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(wcg_parse_u64("max\n", &v), -1);
	assert_int_equal(wcg_parse_u64("12 3\n", &v), -1);
	assert_int_equal(wcg_parse_u64("", &v), -1);

	assert_int_equal(wcg_parse_events(events, "oom_kill", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(wcg_parse_events(events, "high", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(wcg_parse_events(events, "oom", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(wcg_parse_events(events, "kill", &v), -1);
	/* A key is a whole word, not the start of a longer one. */
	assert_int_equal(wcg_parse_events("oom_kill 5\noom 2\n", "oom", &v),
	    0);
	assert_int_equal(v, 2);
	assert_int_equal(wcg_parse_events("oom_kill\n", "oom_kill", &v), -1);
	assert_int_equal(wcg_parse_events("oom_kill x\n", "oom_kill", &v),
	    -1);
	assert_int_equal(wcg_parse_events("low 0\n\noom_kill 1\n", "oom_kill",
	    &v), -1);
}

/* The judgement: each fact that is missing gives its own reason. */

static const char	*const judged_dir = APP;

static struct wcg_facts
good_facts(void)
{
	return (struct wcg_facts){
		.dir = judged_dir,
		.controllers = "cpu io memory pids\n",
		.procs = "42\n",
		.self = 42,
	};
}

static void
assert_judged(const struct wcg_facts *f, const char *reason)
{
	char	buf[WCG_REASON_MAX] = "";

	assert_false(wcg_judge(f, buf, sizeof(buf)));
	assert_string_equal(buf, reason);
}

static void
test_judge(void **state)
{
	struct wcg_facts	f = good_facts();
	char			buf[WCG_REASON_MAX] = "";

	assert_true(wcg_judge(&f, buf, sizeof(buf)));

	f.controllers = NULL;
	f.controllers_errno = ENOENT;
	assert_judged(&f, APP "/cgroup.controllers: No such file or "
	    "directory");
	f = good_facts();
	f.controllers = "cpu io pids\n";
	assert_judged(&f, "cgroup v2 not delegated: no memory in " APP
	    "/cgroup.controllers");
	f = good_facts();
	f.dir_errno = EACCES;
	assert_judged(&f, "cgroup v2 not delegated: " APP " not writable");
	f = good_facts();
	f.procs_errno = EROFS;
	assert_judged(&f, "cgroup v2 not delegated: " APP "/cgroup.procs not "
	    "writable: Read-only file system");
	f = good_facts();
	f.subtree_errno = EPERM;
	assert_judged(&f, "cgroup v2 not delegated: " APP
	    "/cgroup.subtree_control not writable");
	f = good_facts();
	f.procs = NULL;
	f.procs_read_errno = EACCES;
	assert_judged(&f, APP "/cgroup.procs: Permission denied");
	f = good_facts();
	f.procs = "42\n1234\n";
	assert_judged(&f, "cgroup v2 not delegated: " APP " holds other "
	    "processes than prefork (pid 1234)");
	f.procs = "42\nabc\n";
	assert_judged(&f, APP "/cgroup.procs: not a list of pids");
	/* An empty cgroup.procs (a fixture's) holds nobody else. */
	f.procs = "";
	assert_true(wcg_judge(&f, buf, sizeof(buf)));
}

static void
test_decide_describe(void **state)
{
	struct wcg_probe	yes = { .delegated = true, .dir = APP };
	struct wcg_probe	no = { .delegated = false, .dir = APP,
	    .reason = "cgroup v2 not delegated: no memory in " APP
	    "/cgroup.controllers" };
	char			buf[1024];

	assert_int_equal(wcg_decide(TRI_OFF, &yes), WCG_OFF);
	assert_int_equal(wcg_decide(TRI_OFF, &no), WCG_OFF);
	assert_int_equal(wcg_decide(TRI_AUTO, &yes), WCG_USE);
	assert_int_equal(wcg_decide(TRI_ON, &yes), WCG_USE);
	assert_int_equal(wcg_decide(TRI_AUTO, &no), WCG_FALLBACK);
	assert_int_equal(wcg_decide(TRI_ON, &no), WCG_REFUSE);

	assert_string_equal(wcg_describe(TRI_AUTO, &yes, 512 * MIB, 0, buf,
	    sizeof(buf)), "on (" APP ": leaves master and worker-N; "
	    "memory.high 512.0 MiB, memory.max max)");
	assert_string_equal(wcg_describe(TRI_ON, &yes, 0, 1024 * MIB, buf,
	    sizeof(buf)), "on (" APP ": leaves master and worker-N; "
	    "memory.high max, memory.max 1.0 GiB)");
	assert_string_equal(wcg_describe(TRI_OFF, &yes, 0, 0, buf,
	    sizeof(buf)), "off (worker_cgroup = off)");
	assert_string_equal(wcg_describe(TRI_AUTO, &no, 0, 0, buf,
	    sizeof(buf)), "off (cgroup v2 not delegated: no memory in " APP
	    "/cgroup.controllers)");
	assert_string_equal(wcg_describe(TRI_ON, &no, 0, 0, buf,
	    sizeof(buf)), "off (cgroup v2 not delegated: no memory in " APP
	    "/cgroup.controllers); worker_cgroup = on refuses to start");
	assert_string_equal(wcg_mode_name(TRI_AUTO), "auto");
	assert_string_equal(wcg_mode_name(TRI_ON), "on");
	assert_string_equal(wcg_mode_name(TRI_OFF), "off");
}

/* Detection on the fixture trees. */

static void
assert_detected(const char *fixture, const char *dir, const char *reason)
{
	struct wcg_probe	p;

	wcg_detect(&p, t_fixture(fixture));
	assert_string_equal(p.reason, reason);
	assert_string_equal(p.dir, dir);
	assert_int_equal(p.delegated, *reason == '\0');
}

static void
test_detect_fixtures(void **state)
{
	assert_detected("wcg-delegated", APP, "");
	assert_detected("wcg-undelegated", APP, "cgroup v2 not delegated: "
	    "no memory in " APP "/cgroup.controllers");
	assert_detected("probe-cgv1-fraction", "", "no cgroup v2 hierarchy "
	    "in /proc/self/cgroup: cgroup v1 only");
	/* This machine's kind: an empty v2 beside the v1 controllers. */
	assert_detected("probe-hybrid", "/sys/fs/cgroup/unified",
	    "cgroup v2 not delegated: no memory in "
	    "/sys/fs/cgroup/unified/cgroup.controllers");
	assert_detected("probe-cgroup-outside", "", "cgroup v2 path "
	    "/../../user.slice is outside this cgroup namespace");
	assert_detected("cli-4cpu-16g", "", "/proc/self/cgroup: No such "
	    "file or directory");
	assert_detected("probe-bad-mountinfo", "", "/proc/self/mountinfo: a "
	    "line is not in the mountinfo format");
}

/* A cgroup that holds another process cannot be taken. */
static void
test_detect_shared(void **state)
{
	char			root[PATH_MAX];
	struct wcg_probe	p;

	copy_fixture("wcg-delegated", root);
	write_under(root, APP "/cgroup.procs", "1\n");
	wcg_detect(&p, root);
	assert_false(p.delegated);
	assert_string_equal(p.reason, "cgroup v2 not delegated: " APP
	    " holds other processes than prefork (pid 1)");
}

/*
 * Detection by someone who may not write cgroup.subtree_control, the
 * rest of the tree being theirs: as root, a child that became nobody
 * (root may write any file); otherwise the file made read-only.
 */
static void
test_detect_read_only(void **state)
{
	char			root[PATH_MAX], path[PATH_MAX];
	char			reason[WCG_REASON_MAX] = "";
	struct wcg_probe	p;
	int			fds[2], status;
	pid_t			pid;
	ssize_t			n;

	copy_fixture("wcg-delegated", root);
	if (geteuid() != 0) {
		assert_int_equal(chmod(under(root, APP
		    "/cgroup.subtree_control", path), 0444), 0);
		wcg_detect(&p, root);
		snprintf(reason, sizeof(reason), "%s", p.reason);
	} else {
		assert_int_equal(chmod(t_tmpdir(), 0711), 0);
		assert_int_equal(chown(under(root, APP, path), 65534, 65534),
		    0);
		assert_int_equal(chown(under(root, APP "/cgroup.procs", path),
		    65534, 65534), 0);
		assert_int_equal(pipe(fds), 0);
		if ((pid = fork()) == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(1);
			wcg_detect(&p, root);
			_exit(write(fds[1], p.reason, strlen(p.reason)) ==
			    (ssize_t)strlen(p.reason) ? 0 : 1);
		}
		assert_true(pid > 0);
		close(fds[1]);
		n = read(fds[0], reason, sizeof(reason) - 1);
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(status, 0);
		assert_true(n > 0);
		reason[n] = '\0';
	}
	assert_string_equal(reason, "cgroup v2 not delegated: " APP
	    "/cgroup.subtree_control not writable");
}

/* The set-up, the leaves and their limits, in a copy. */

static void
setup_copy(struct wcg *w, char *root, uint64_t high, uint64_t max)
{
	struct wcg_probe	p;

	copy_fixture("wcg-delegated", root);
	wcg_detect(&p, root);
	assert_true(p.delegated);
	memset(w, 0xa5, sizeof(*w));	/* wcg_setup() starts afresh */
	if (wcg_setup(w, root, &p, high, max) == -1)
		fail_msg("wcg_setup: %s", w->why);
	assert_true(w->active);
	assert_string_equal(wcg_dir(w), APP);
}

static void
test_setup_leaves(void **state)
{
	char		root[PATH_MAX];
	struct wcg	w;
	int		fd0, fd3;

	setup_copy(&w, root, 256 * MIB, 512 * MIB);
	/* The master moved into its leaf, then memory enabled. */
	assert_file(root, APP "/master/cgroup.procs", "0");
	assert_file(root, APP "/cgroup.subtree_control", "+memory");
	assert_file(root, APP "/cgroup.procs", "");
	assert_false(exists_under(root, APP "/worker-0"));

	/* A leaf per slot, made at its first spawn, with its limits. */
	assert_true((fd0 = wcg_leaf_open(&w, 0)) >= 0);
	assert_true((fd3 = wcg_leaf_open(&w, 3)) >= 0);
	assert_true(fcntl(fd0, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd3, F_GETFL) & O_WRONLY);
	close(fd0);
	close(fd3);
	assert_file(root, APP "/worker-0/memory.high", "268435456");
	assert_file(root, APP "/worker-0/memory.max", "536870912");
	assert_file(root, APP "/worker-3/memory.high", "268435456");
	assert_file(root, APP "/worker-3/memory.max", "536870912");
	assert_false(exists_under(root, APP "/worker-1"));

	/* New limits reach every leaf; none is "max". */
	assert_int_equal(wcg_set_limits(&w, 0, 1024 * MIB), 0);
	assert_file(root, APP "/worker-0/memory.high", "max");
	assert_file(root, APP "/worker-3/memory.max", "1073741824");
	assert_true((fd0 = wcg_leaf_open(&w, 5)) >= 0);
	close(fd0);
	assert_file(root, APP "/worker-5/memory.high", "max");
	assert_file(root, APP "/worker-5/memory.max", "1073741824");

	/* At exit the workers' leaves go; the master's stays. */
	assert_int_equal(wcg_cleanup(&w), 0);
	assert_false(w.active);
	assert_false(exists_under(root, APP "/worker-0"));
	assert_false(exists_under(root, APP "/worker-3"));
	assert_false(exists_under(root, APP "/worker-5"));
	assert_true(exists_under(root, APP "/master"));
	assert_int_equal(wcg_cleanup(&w), 0);
}

/* A leaf that still holds something is kept, and counted. */
static void
test_cleanup_busy(void **state)
{
	char		root[PATH_MAX];
	struct wcg	w;
	int		fd;

	setup_copy(&w, root, 0, 0);
	assert_true((fd = wcg_leaf_open(&w, 1)) >= 0);
	close(fd);
	assert_true((fd = wcg_leaf_open(&w, 2)) >= 0);
	close(fd);
	write_under(root, APP "/worker-1/busy", "1");
	errno = 0;
	assert_int_equal(wcg_cleanup(&w), 1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_string_equal(w.why, "rmdir " APP "/worker-1: Directory not "
	    "empty");
	assert_true(exists_under(root, APP "/worker-1"));
	assert_false(exists_under(root, APP "/worker-2"));
}

/* A step the kernel refuses: reported, undone, not active. */
static void
test_setup_fails(void **state)
{
	char			root[PATH_MAX], path[PATH_MAX];
	struct wcg_probe	p;
	struct wcg		w;

	copy_fixture("wcg-delegated", root);
	wcg_detect(&p, root);
	assert_true(p.delegated);
	assert_int_equal(unlink(under(root, APP "/cgroup.subtree_control",
	    path)), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(wcg_setup(&w, root, &p, 0, 0), -1);
	assert_int_equal(errno, EISDIR);
	assert_false(w.active);
	assert_string_equal(w.why, APP "/cgroup.subtree_control: Is a "
	    "directory");
	/* The master went back where it was; its new leaf is gone. */
	assert_file(root, APP "/cgroup.procs", "0");
	assert_false(exists_under(root, APP "/master"));
	assert_int_equal(wcg_leaf_open(&w, 0), -1);
	assert_int_equal(errno, EINVAL);

	/* A "master" that is no directory: not ours to remove. */
	copy_fixture("wcg-delegated", root);
	write_under(root, APP "/master", "");
	assert_int_equal(wcg_setup(&w, root, &p, 0, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_string_equal(w.why, APP "/master/cgroup.procs: Not a "
	    "directory");
	assert_true(exists_under(root, APP "/master"));
	assert_file(root, APP "/cgroup.subtree_control", "");
}

/* The readers of a leaf: memory.current and memory.events' oom_kill. */
static void
test_readers(void **state)
{
	char		root[PATH_MAX];
	struct wcg	w;
	uint64_t	v = 0;
	int		fd;

	setup_copy(&w, root, 0, 0);
	errno = 0;
	assert_int_equal(wcg_memory_current(&w, 1, &v), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(wcg_oom_kills(&w, 7, &v), -1);
	assert_int_equal(errno, ENOENT);
	assert_true((fd = wcg_leaf_open(&w, 1)) >= 0);
	close(fd);
	write_under(root, APP "/worker-1/memory.current", "73728000\n");
	write_under(root, APP "/worker-1/memory.events", "low 0\nhigh 4\n"
	    "max 2\noom 1\noom_kill 3\noom_group_kill 0\n");
	assert_int_equal(wcg_memory_current(&w, 1, &v), 0);
	assert_int_equal(v, 73728000);
	assert_int_equal(wcg_oom_kills(&w, 1, &v), 0);
	assert_int_equal(v, 3);
	/* Rose since the last look: from 0 to 3, then not, then to 4. */
	assert_int_equal(wcg_oom_rose(&w, 1), 1);
	assert_int_equal(wcg_oom_rose(&w, 1), 0);
	write_under(root, APP "/worker-1/memory.events", "oom_kill 4\n");
	assert_int_equal(wcg_oom_rose(&w, 1), 1);
	assert_int_equal(wcg_oom_rose(&w, 7), -1);
	write_under(root, APP "/worker-1/memory.current", "lots\n");
	assert_int_equal(wcg_memory_current(&w, 1, &v), -1);
	assert_int_equal(errno, EINVAL);
	(void)wcg_cleanup(&w);
	assert_int_equal(wcg_oom_kills(&w, 1, &v), -1);
	assert_int_equal(errno, ENOENT);
}

/* Waits for pid and returns its exit code (-1 when it did not exit). */
static int
exit_code(pid_t pid)
{
	int	status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A real child joins its leaf between fork and exec. */
static void
test_spawn_joins(void **state)
{
	static const char *const argv[] = { "/bin/true", NULL };
	static char *const	 envp[] = { NULL };
	char			 root[PATH_MAX];
	struct wcg		 w;
	struct spawn_cmd	 cmd = {
		.path = argv[0], .argv = (char *const *)argv, .envp = envp,
		.umask = (mode_t)-1, .uid = (uid_t)-1, .gid = (gid_t)-1,
		.cgroup = true,
	};
	struct spawn_result	 r;

	setup_copy(&w, root, 64 * MIB, 0);
	assert_true((cmd.cgroup_fd = wcg_leaf_open(&w, 2)) >= 0);
	assert_true(spawn_worker(&cmd, &r) > 0);
	close(cmd.cgroup_fd);
	assert_int_equal(r.stage, SPAWN_OK);
	assert_int_equal(exit_code(r.pid), 0);
	assert_file(root, APP "/worker-2/cgroup.procs", "0");
	assert_file(root, APP "/worker-2/memory.high", "67108864");
	(void)wcg_cleanup(&w);
}

/* Through launch: the master's path, a leaf per slot, and a failure. */
static void
test_launch_joins(void **state)
{
	static char *const	argv[] = { (char *)"/bin/true", NULL };
	char			root[PATH_MAX];
	struct conf		c;
	struct launch		l = LAUNCH_INIT;
	struct wcg		w;
	struct spawn_result	r;

	setup_copy(&w, root, 0, 128 * MIB);
	conf_init(&c);
	assert_int_equal(conf_set_argv(&c, argv, 1), 0);
	assert_int_equal(launch_prepare(&l, &c, NULL, NULL, &w), 0);
	assert_true(launch_spawn(&l, &c, 4, 5, &r) > 0);
	assert_int_equal(r.stage, SPAWN_OK);
	assert_int_equal(exit_code(r.pid), 0);
	assert_file(root, APP "/worker-4/cgroup.procs", "0");
	assert_file(root, APP "/worker-4/memory.max", "134217728");

	/* A leaf that cannot be made fails the child, with the errno. */
	write_under(root, APP "/worker-1", "");
	assert_true(launch_spawn(&l, &c, 1, 5, &r) > 0);
	assert_int_equal(r.stage, SPAWN_CGROUP);
	assert_int_equal(r.error, ENOTDIR);
	assert_int_equal(exit_code(r.pid), 126);

	/* Without worker cgroups the child joins nothing. */
	(void)wcg_cleanup(&w);
	assert_true(launch_spawn(&l, &c, 3, 5, &r) > 0);
	assert_int_equal(r.stage, SPAWN_OK);
	assert_int_equal(exit_code(r.pid), 0);
	assert_false(exists_under(root, APP "/worker-3"));
	launch_free(&l);
	conf_free(&c);
}

/* worker_cgroup = on, for --check, start-up and a reload. */
static void
test_check(void **state)
{
	struct conf	c;
	struct strv	errs = STRV_INIT;
	struct wcg	running;

	conf_init(&c);
	c.worker_cgroup = TRI_ON;
	assert_int_equal(setenv("PREFORK_SYSROOT", t_fixture("wcg-delegated"),
	    1), 0);
	assert_int_equal(check_worker_cgroup(&c, NULL, &errs), 0);
	assert_int_equal(setenv("PREFORK_SYSROOT",
	    t_fixture("wcg-undelegated"), 1), 0);
	assert_int_equal(check_worker_cgroup(&c, NULL, &errs), 1);
	assert_string_equal(errs.v[0], "worker_cgroup = on: cgroup v2 not "
	    "delegated: no memory in " APP "/cgroup.controllers");
	c.worker_cgroup = TRI_AUTO;
	assert_int_equal(check_worker_cgroup(&c, NULL, &errs), 0);
	c.worker_cgroup = TRI_OFF;
	assert_int_equal(check_worker_cgroup(&c, NULL, &errs), 0);

	/* A reload: what the running master set up decides. */
	c.worker_cgroup = TRI_ON;
	memset(&running, 0, sizeof(running));
	running.active = true;
	assert_int_equal(check_worker_cgroup(&c, &running, &errs), 0);
	running.active = false;
	snprintf(running.why, sizeof(running.why), "no memory here");
	assert_int_equal(check_worker_cgroup(&c, &running, &errs), 1);
	assert_true(t_contains(errs.v[1], "worker_cgroup = on: the workers "
	    "have no cgroups of their own since start-up (no memory here)"));
	assert_int_equal(unsetenv("PREFORK_SYSROOT"), 0);
	strv_free(&errs);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_has),
		cmocka_unit_test(test_parse_procs),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_decide_describe),
		cmocka_unit_test(test_detect_fixtures),
		cmocka_unit_test(test_detect_shared),
		cmocka_unit_test(test_detect_read_only),
		cmocka_unit_test(test_setup_leaves),
		cmocka_unit_test(test_cleanup_busy),
		cmocka_unit_test(test_setup_fails),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_spawn_joins),
		cmocka_unit_test(test_launch_joins),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
