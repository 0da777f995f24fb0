/* SPDX-License-Identifier: ISC */
/*
 * hostprobe_test: --explain on the real machine, with no fixture tree:
 * under taskset, and inside child cgroups with a CPU quota or a memory
 * limit that the test creates and removes. Where the machine does not
 * allow it (not root, no writable cgroup file system, no controller), the
 * test says so and skips.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <sched.h>
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

#include "testlib.h"

#define TIMEOUT	10000

static const char *const clean_env[] = { "PREFORK_SYSROOT", NULL };

/* Runs prefork --explain=json, optionally through a shell prefix. */
static void
explain_json(struct t_run *r, const char *script)
{
	if (script == NULL) {
		t_run_prefork(r, clean_env,
		    (const char *const[]){ "--explain=json", NULL }, TIMEOUT);
	} else {
		/* The script finds the daemon in $0. */
		t_run(r, clean_env, (const char *const[]){ "sh", "-c", script,
		    t_prefork(), NULL }, TIMEOUT);
	}
	assert_false(r->timed_out);
	if (r->status != 0)
		fail_msg("prefork --explain=json: status %d: %s", r->status,
		    r->err);
}

static int
affinity_count(void)
{
	cpu_set_t	set;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

/*
 * Whether the --explain=json report has a source row KIND/NAME that read
 * VALUE: a limit is found and reported even when another source ties
 * with it (taskset -c 0 on a one-CPU machine, a quota of one CPU under
 * an affinity of one) and so is not the one that decides.
 */
static bool
has_source(const char *json, const char *kind, const char *name,
    long long value)
{
	char	row[160];

	snprintf(row, sizeof(row),
	    "{\"kind\":\"%s\",\"name\":\"%s\",\"status\":\"ok\","
	    "\"value\":%lld,", kind, name, value);
	return strstr(json, row) != NULL;
}

/*
 * The CPU count decided by SOURCE, which read one CPU: the source that
 * decides is that one unless another tied with it.
 */
static void
assert_one_cpu_from(const char *json, const char *source)
{
	char	from[64];

	assert_int_equal(t_json_int(json, "cpus"), 1);
	assert_true(has_source(json, "cpu", source, 1));
	assert_non_null(t_json_str(json, "cpus_source", from, sizeof(from)));
	if (strcmp(from, source) != 0 && !has_source(json, "cpu", from, 1))
		fail_msg("cpus_source is %s, not %s, and did not tie: %s",
		    from, source, json);
	assert_int_equal(t_json_int(json, "workers"), 3);
}

/*
 * With no limit of its own, prefork sees at most the CPUs this process
 * may run on and at least one; the default profile gives 2n + 1, capped.
 */
static void
test_host_default(void **state)
{
	struct t_run	r;
	long long	cpus, want;

	explain_json(&r, NULL);
	cpus = t_json_int(r.out, "cpus");
	assert_in_range(cpus, 1, affinity_count());
	assert_in_range(cpus, 1, sysconf(_SC_NPROCESSORS_ONLN));
	want = 2 * cpus + 1 < 8 ? 2 * cpus + 1 : 8;
	assert_int_equal(t_json_int(r.out, "workers"), want);
	assert_true(t_json_int(r.out, "memory_bytes") > 0);
	print_message("host: %lld CPUs, %lld bytes, %lld workers\n", cpus,
	    t_json_int(r.out, "memory_bytes"), t_json_int(r.out, "workers"));
	t_run_free(&r);
}

/* taskset -c 0: one CPU, decided by the affinity mask. */
static void
test_taskset_one_cpu(void **state)
{
	struct t_run	r;

	if (access("/usr/bin/taskset", X_OK) != 0)
		skip();
	explain_json(&r, "exec taskset -c 0 \"$0\" --explain=json");
	assert_one_cpu_from(r.out, "affinity");
	t_run_free(&r);
}

/*
 * The cgroups a test made, removed by the teardown in reverse order even
 * when the test failed half way.
 */
static char	made[4][300];
static size_t	nmade;

static int
cgroup_cleanup(void **state)
{
	while (nmade > 0) {
		nmade--;
		if (rmdir(made[nmade]) == -1 && errno != ENOENT)
			fprintf(stderr, "rmdir %s: %s\n", made[nmade],
			    strerror(errno));
	}
	return 0;
}

/*
 * Makes the cgroup PARENT/NAME; returns false (and says why) when the
 * machine does not let us.
 */
static bool
cgroup_make(char *dir, size_t len, const char *parent, const char *name)
{
	snprintf(dir, len, "%s/%s", parent, name);
	if (access(parent, W_OK) != 0) {
		print_message("skip: %s is not writable: %s\n", parent,
		    strerror(errno));
		return false;
	}
	if (mkdir(dir, 0755) == -1) {
		print_message("skip: mkdir %s: %s\n", dir, strerror(errno));
		return false;
	}
	assert_true(nmade < sizeof(made) / sizeof(made[0]));
	snprintf(made[nmade++], sizeof(made[0]), "%s", dir);
	return true;
}

/* Writes value to DIR/FILE; false when the kernel refuses it. */
static bool
cgroup_write(const char *dir, const char *file, const char *value)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "w")) == NULL)
		return false;
	fputs(value, f);
	return fclose(f) == 0;
}

/* The first line of a file, or "" when it cannot be read. */
static char *
read_line(const char *path, char *buf, size_t len)
{
	FILE	*f = fopen(path, "r");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)len, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

/* Runs --explain=json as a member of the cgroup at dir. */
static void
explain_in_cgroup(struct t_run *r, const char *dir)
{
	char	script[600];

	snprintf(script, sizeof(script),
	    "echo $$ > '%s/cgroup.procs' && exec \"$0\" --explain=json", dir);
	explain_json(r, script);
}

/* A quota of half a CPU on a parent cgroup: one CPU, from the cgroup. */
static void
test_cgroup_v1_cpu_quota(void **state)
{
	struct t_run	r;
	char		parent[256], child[300], name[64];

	snprintf(name, sizeof(name), "prefork-test-%ld", (long)getpid());
	if (!cgroup_make(parent, sizeof(parent), "/sys/fs/cgroup/cpu", name))
		skip();
	assert_true(cgroup_write(parent, "cpu.cfs_period_us", "100000"));
	assert_true(cgroup_write(parent, "cpu.cfs_quota_us", "50000"));
	/* The child is unlimited: the ancestor's limit must still count. */
	assert_true(cgroup_make(child, sizeof(child), parent, "leaf"));

	explain_in_cgroup(&r, child);
	assert_one_cpu_from(r.out, "cgroup v1");
	t_run_free(&r);
}

/* A 512 MiB memory limit caps the memory prefork sizes with. */
static void
test_cgroup_v1_memory_limit(void **state)
{
	struct t_run	r;
	char		dir[256], name[64], from[64];

	snprintf(name, sizeof(name), "prefork-test-%ld", (long)getpid());
	if (!cgroup_make(dir, sizeof(dir), "/sys/fs/cgroup/memory", name))
		skip();
	assert_true(cgroup_write(dir, "memory.limit_in_bytes", "536870912"));
	explain_in_cgroup(&r, dir);
	assert_int_equal(t_json_int(r.out, "memory_bytes"), 536870912);
	assert_non_null(t_json_str(r.out, "memory_source", from,
	    sizeof(from)));
	assert_string_equal(from, "cgroup v1");
	t_run_free(&r);
}

/*
 * The cgroup v2 mount whose root has the cpu controller, or NULL. On a
 * hybrid host cpu is bound to v1 and the unified hierarchy lacks it.
 */
static const char *
v2_cpu_mount(void)
{
	static const char *const mounts[] = { "/sys/fs/cgroup/unified",
	    "/sys/fs/cgroup" };
	char	path[300], line[512], *w;
	size_t	i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers",
		    mounts[i]);
		read_line(path, line, sizeof(line));
		for (w = strtok(line, " \n"); w != NULL; w = strtok(NULL, " \n"))
			if (strcmp(w, "cpu") == 0)
				return mounts[i];
	}
	return NULL;
}

/* cgroup v2 cpu.max of half a CPU: one CPU, from the cgroup. */
static void
test_cgroup_v2_cpu_max(void **state)
{
	struct t_run	 r;
	const char	*mount;
	char		 dir[256], name[64];

	if ((mount = v2_cpu_mount()) == NULL) {
		print_message("skip: no cgroup v2 hierarchy with the cpu "
		    "controller here\n");
		skip();
	}
	snprintf(name, sizeof(name), "prefork-test-%ld", (long)getpid());
	if (!cgroup_write(mount, "cgroup.subtree_control", "+cpu") ||
	    !cgroup_make(dir, sizeof(dir), mount, name) ||
	    !cgroup_write(dir, "cpu.max", "50000 100000")) {
		print_message("skip: cannot set cpu.max under %s\n", mount);
		skip();
	}
	explain_in_cgroup(&r, dir);
	assert_one_cpu_from(r.out, "cgroup v2");
	t_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_default),
		cmocka_unit_test(test_taskset_one_cpu),
		cmocka_unit_test_teardown(test_cgroup_v1_cpu_quota,
		    cgroup_cleanup),
		cmocka_unit_test_teardown(test_cgroup_v1_memory_limit,
		    cgroup_cleanup),
		cmocka_unit_test_teardown(test_cgroup_v2_cpu_max,
		    cgroup_cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
