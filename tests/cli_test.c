/* SPDX-License-Identifier: ISC */
/*
 * cli_test: the real prefork binary's command line: options, exit codes
 * (sysexits), --check, --explain in both formats over a fixture tree,
 * and how configuration errors are reported.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "testlib.h"

#define TIMEOUT	60000

static void
run(struct t_run *r, const char *const args[])
{
	const char *const env[] = { "PREFORK_SYSROOT", "NOTIFY_SOCKET",
	    "LISTEN_FDS", "LISTEN_PID", NULL };

	t_run_prefork(r, env, args, TIMEOUT);
	assert_false(r->timed_out);
}

/* Runs with PREFORK_SYSROOT on the fixture tree name. */
static void
run_on(const char *name, struct t_run *r, const char *const args[])
{
	char	root[4096];

	snprintf(root, sizeof(root), "PREFORK_SYSROOT=%s", t_fixture(name));
	{
		const char *const env[] = { root, NULL };

		t_run_prefork(r, env, args, TIMEOUT);
	}
	assert_false(r->timed_out);
}

/* Runs with PREFORK_SYSROOT on the 4-CPU, 16 GiB fixture. */
static void
run_fixture(struct t_run *r, const char *const args[])
{
	run_on("cli-4cpu-16g", r, args);
}

/* --help and --version: exit 0, on standard output. */
static void
test_help_version(void **state)
{
	struct t_run	r;

	run(&r, (const char *const[]){ "--help", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "usage: prefork"));
	assert_true(t_contains(r.out, "--explain"));
	t_run_free(&r);

	run(&r, (const char *const[]){ "-V", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "prefork " PACKAGE_VERSION));
	t_run_free(&r);
}

/*
 * --state-format: what a master asks before it upgrades to us. An
 * --upgrade-state given by hand names no state of ours: 70, and
 * nothing started.
 */
static void
test_upgrade_options(void **state)
{
	struct t_run	r;

	run(&r, (const char *const[]){ "--state-format", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_string_equal(r.out, "prefork-state 1\n");
	t_run_free(&r);

	run(&r, (const char *const[]){ "--upgrade-state", "63", "--",
	    "true", NULL });
	assert_int_equal(r.status, EX_SOFTWARE);
	assert_true(t_contains(r.err, "upgrade: the state (fd 63)"));
	assert_false(t_contains(r.err, "starting"));
	t_run_free(&r);
}

/* Usage errors exit 64 and print the usage. */
static void
test_usage_errors(void **state)
{
	const char *const *const cases[] = {
		(const char *const[]){ "--no-such-option", NULL },
		(const char *const[]){ NULL },
		(const char *const[]){ "-c", NULL },
		(const char *const[]){ "--explain=xml", NULL },
		(const char *const[]){ "-t", "--explain", "--", "true", NULL },
		(const char *const[]){ "-w", "abc", "--", "true", NULL },
		(const char *const[]){ "-w", "0", "--", "true", NULL },
		(const char *const[]){ "-P", "nosuch", "--", "true", NULL },
		(const char *const[]){ "-l", "loud", "--", "true", NULL },
		(const char *const[]){ "--upgrade-state", "2", "--", "true",
		    NULL },
		(const char *const[]){ "--upgrade-state", "x", "--", "true",
		    NULL },
		(const char *const[]){ "-t", "--upgrade-state", "5", "--",
		    "true", NULL },
	};
	struct t_run	r;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, cases[i]);
		if (r.status != EX_USAGE)
			fail_msg("case %zu: status %d, stderr: %s", i,
			    r.status, r.err);
		assert_true(t_contains(r.err, "usage: prefork"));
		t_run_free(&r);
	}
}

/* A bad option value names the option and the value. */
static void
test_bad_option_value_named(void **state)
{
	struct t_run	r;

	run(&r, (const char *const[]){ "-w", "abc", "--", "true", NULL });
	assert_int_equal(r.status, EX_USAGE);
	assert_true(t_contains(r.err, "--workers"));
	assert_true(t_contains(r.err, "abc"));
	t_run_free(&r);

	run(&r, (const char *const[]){ "--profile=nosuch", "true", NULL });
	assert_int_equal(r.status, EX_USAGE);
	assert_true(t_contains(r.err, "--profile"));
	assert_true(t_contains(r.err, "nosuch"));
	t_run_free(&r);
}

/* Every error of a bad file is reported as FILE:LINE, then exit 78. */
static void
test_config_errors_all_reported(void **state)
{
	struct t_run	 r;
	const char	*path;
	char		 want[600];

	path = t_write_file("bad.ini",
	    "[prefork]\n"
	    "workers = lots\n"
	    "wrokers = 3\n"
	    "\n"
	    "graceful_timeout = 10x\n"
	    "[nosuch]\n");
	run(&r, (const char *const[]){ "-c", path, "--", "true", NULL });
	assert_int_equal(r.status, EX_CONFIG);
	snprintf(want, sizeof(want), "%s:2: workers", path);
	assert_true(t_contains(r.err, want));
	snprintf(want, sizeof(want), "%s:3: unknown key 'wrokers'", path);
	assert_true(t_contains(r.err, want));
	snprintf(want, sizeof(want), "%s:5: graceful_timeout", path);
	assert_true(t_contains(r.err, want));
	snprintf(want, sizeof(want), "%s:6: unknown section", path);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);
}

/* A missing configuration file is an error naming the path. */
static void
test_missing_config(void **state)
{
	struct t_run	r;

	run(&r, (const char *const[]){ "-c", "/nonexistent/app.ini", "--",
	    "true", NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "/nonexistent/app.ini"));
	assert_true(t_contains(r.err, "No such file or directory"));
	t_run_free(&r);
}

/* --check on a good file and command: exit 0. */
static void
test_check_ok(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("good.ini",
	    "[prefork]\n"
	    "command = sh -c 'sleep 1'\n"
	    "workers = 3\n"
	    "[env]\n"
	    "APP_MODE = test\n");
	run(&r, (const char *const[]){ "--check", "-c", path, NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "configuration ok"));
	t_run_free(&r);

	/* The command may also come from the command line alone. */
	run(&r, (const char *const[]){ "-t", "--", "true", NULL });
	assert_int_equal(r.status, EX_OK);
	t_run_free(&r);
}

/* --check reports every problem, including the command's, exit 78. */
static void
test_check_problems(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("check.ini",
	    "[prefork]\n"
	    "command = no-such-command-xyz --flag\n"
	    "chdir = /nonexistent-dir\n");
	run(&r, (const char *const[]){ "-t", "-c", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "check.ini:2: command "
	    "'no-such-command-xyz': not found in PATH"));
	assert_true(t_contains(r.err, "check.ini:3: chdir: "
	    "/nonexistent-dir: No such file or directory"));
	assert_true(t_contains(r.err, "2 problems"));
	t_run_free(&r);

	/*
	 * A file with a bad value still has the rest of it checked: every
	 * problem in one run, each at its line.
	 */
	path = t_write_file("check-all.ini",
	    "[prefork]\n"
	    "workers = abc\n"
	    "command = /nonexistent-dir/worker\n"
	    "pidfile = /nonexistent-dir/prefork.pid\n"
	    "log_file = /nonexistent-dir/prefork.log\n");
	run(&r, (const char *const[]){ "-t", "-c", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "check-all.ini:2: workers: 'abc'"));
	assert_true(t_contains(r.err, "check-all.ini:3: command "
	    "'/nonexistent-dir/worker': No such file or directory"));
	assert_true(t_contains(r.err, "check-all.ini:4: pidfile: "
	    "/nonexistent-dir/prefork.pid: No such file or directory"));
	assert_true(t_contains(r.err, "check-all.ini:5: log_file: "
	    "/nonexistent-dir/prefork.log: No such file or directory"));
	assert_true(t_contains(r.err, "4 problems"));
	t_run_free(&r);

	/* A file that is not executable. */
	path = t_write_file("notexec.sh", "#!/bin/sh\n");
	run(&r, (const char *const[]){ "-t", "--", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "Permission denied"));
	t_run_free(&r);

	/* No command anywhere. */
	path = t_write_file("nocmd.ini", "[prefork]\nworkers = 2\n");
	run(&r, (const char *const[]){ "-t", "-c", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "no worker command"));
	t_run_free(&r);
}

/*
 * A pidfile or log_file that cannot be created stops the start, exit 73
 * (prefork(8) EXIT STATUS), naming where it was set; a configuration problem
 * found with it wins (78), and the command's comes first of all (69).
 */
static void
test_cannot_create(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("nopid.ini",
	    "[prefork]\n"
	    "command = true\n"
	    "pidfile = /nonexistent-dir/prefork.pid\n");
	run(&r, (const char *const[]){ "-c", path, NULL });
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "nopid.ini:3: pidfile: "
	    "/nonexistent-dir/prefork.pid: No such file or directory"));
	t_run_free(&r);

	run(&r, (const char *const[]){ "-p", "/nonexistent-dir/p.pid", "--",
	    "true", NULL });
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "/nonexistent-dir/p.pid: No such file"));
	t_run_free(&r);

	path = t_write_file("nolog.ini",
	    "[prefork]\n"
	    "log_file = /nonexistent-dir/prefork.log\n"
	    "command = true\n");
	run(&r, (const char *const[]){ "-c", path, NULL });
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "nolog.ini:2: log_file: "
	    "/nonexistent-dir/prefork.log: No such file or directory"));
	t_run_free(&r);

	path = t_write_file("nodir.ini",
	    "[prefork]\n"
	    "command = true\n"
	    "chdir = /nonexistent-dir\n"
	    "pidfile = /nonexistent-dir/prefork.pid\n");
	run(&r, (const char *const[]){ "-c", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "nodir.ini:3: chdir:"));
	assert_true(t_contains(r.err, "nodir.ini:4: pidfile:"));
	t_run_free(&r);

	run(&r, (const char *const[]){ "-c", path, "--",
	    "/nonexistent-dir/worker", NULL });
	assert_int_equal(r.status, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "command '/nonexistent-dir/worker': "
	    "No such file or directory"));
	assert_true(t_contains(r.err, "nodir.ini:3: chdir:"));
	t_run_free(&r);
}

/*
 * worker_cgroup = on where the cgroup is not delegated: a configuration
 * error, exit 78 with the reason, from --check and at start-up, before
 * any worker. On this machine (whatever its cgroups, a test's cgroup
 * holds make and the test too), and on a fixture tree for the words.
 */
static void
test_worker_cgroup_on(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("wcg-on.ini",
	    "[prefork]\n"
	    "command = /bin/true\n"
	    "worker_cgroup = on\n");
	run(&r, (const char *const[]){ "--check", "-c", path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "wcg-on.ini:3: worker_cgroup = on: "));
	assert_true(t_contains(r.err, "1 problem found"));
	t_run_free(&r);

	run_on("wcg-undelegated", &r, (const char *const[]){ "-t", "-c",
	    path, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "wcg-on.ini:3: worker_cgroup = on: "
	    "cgroup v2 not delegated: no memory in /sys/fs/cgroup/"
	    "system.slice/app.service/cgroup.controllers\n"));
	t_run_free(&r);
	run_on("wcg-delegated", &r, (const char *const[]){ "-t", "-c", path,
	    NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "configuration ok"));
	t_run_free(&r);

	/* Start-up stops there too, before any worker. */
	run_on("wcg-undelegated", &r, (const char *const[]){ "-c", path,
	    NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "wcg-on.ini:3: worker_cgroup = on: "
	    "cgroup v2 not delegated: no memory in "));
	assert_false(t_contains(r.err, "starting"));
	t_run_free(&r);
}

/* --explain says whether the workers get cgroups, and why not. */
static void
test_explain_worker_cgroups(void **state)
{
	struct t_run	r;
	char		buf[256];

	/* This machine: auto falls back to /proc, with the reason. */
	run(&r, (const char *const[]){ "--explain", "--", "true", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "\nWorker cgroups: off ("));
	t_run_free(&r);

	run_on("probe-hybrid", &r, (const char *const[]){ "--explain", "--",
	    "true", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "\nWorker cgroups: off (cgroup v2 not "
	    "delegated: no memory in /sys/fs/cgroup/unified/"
	    "cgroup.controllers)\n"));
	t_run_free(&r);

	run_on("wcg-delegated", &r, (const char *const[]){ "--explain=json",
	    "--", "true", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "\"enabled\":true"));
	assert_non_null(t_json_str(r.out, "dir", buf, sizeof(buf)));
	assert_string_equal(buf, "/sys/fs/cgroup/system.slice/app.service");
	t_run_free(&r);
}

/* --explain over the 4-CPU, 16 GiB fixture: 9 capped to 8. */
static void
test_explain_text(void **state)
{
	struct t_run	r;

	run_fixture(&r, (const char *const[]){ "--explain", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "CPUs: 4"));
	assert_true(t_contains(r.out, "online"));
	assert_true(t_contains(r.out, "affinity"));
	assert_true(t_contains(r.out, "Memory: 16.0 GiB"));
	assert_true(t_contains(r.out, "Profile: default"));
	assert_true(t_contains(r.out, "4 CPUs * 2 + 1 = 9"));
	assert_true(t_contains(r.out, "min(9, 8) = 8"));
	assert_true(t_contains(r.out, "Workers: 8"));
	t_run_free(&r);
}

/* --explain=json carries the fields prefork(8) names. */
static void
test_explain_json(void **state)
{
	struct t_run	r;
	char		buf[64];

	run_fixture(&r, (const char *const[]){ "--explain=json", "-P",
	    "ultra-scalable", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_int_equal(t_json_int(r.out, "cpus"), 4);
	assert_int_equal(t_json_int(r.out, "memory_bytes"), 16LL << 30);
	assert_non_null(t_json_str(r.out, "profile", buf, sizeof(buf)));
	assert_string_equal(buf, "ultra-scalable");
	assert_int_equal(t_json_int(r.out, "base"), 9);
	assert_int_equal(t_json_int(r.out, "workers"), 18);
	assert_int_equal(r.out[0], '{');
	t_run_free(&r);

	/* -njson is the short form; the file's overrides apply. */
	run_fixture(&r, (const char *const[]){ "-njson", "-w", "7", NULL });
	assert_int_equal(r.status, EX_OK);
	assert_int_equal(t_json_int(r.out, "workers"), 7);
	t_run_free(&r);
}

/* cpus and memory in the file override the probe. */
static void
test_explain_overrides(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("override.ini",
	    "[prefork]\n"
	    "profile = ultra-scalable\n"
	    "cpus = 1\n"
	    "memory = 1G\n");
	run_fixture(&r, (const char *const[]){ "--explain=json", "-c", path,
	    NULL });
	assert_int_equal(r.status, EX_OK);
	assert_int_equal(t_json_int(r.out, "cpus"), 1);
	assert_int_equal(t_json_int(r.out, "memory_bytes"), 1LL << 30);
	assert_int_equal(t_json_int(r.out, "workers"), 2);
	t_run_free(&r);
}

/*
 * README.md, "Containers and Kubernetes": a container of a pod whose
 * limits are cpu "2" and memory 1Gi, on cgroup v2 in its own cgroup
 * namespace (cpu.max "200000 100000", memory.max 1 GiB, and the
 * cpu.weight the kubelet derives from the CPU request, which does not
 * count), on a node of 8 CPUs and 32 GiB, with the sizing keys of
 * examples/kubernetes/prefork.ini: 2 CPUs and 1 GiB, so 5 workers.
 */
static void
test_explain_kubernetes_limits(void **state)
{
	struct t_run	 r;
	const char	*path;
	char		 buf[64];

	path = t_write_file("k8s.ini", "[prefork]\nmin_workers = 2\n"
	    "worker_memory = 128M\n");
	run_on("k8s-pod", &r, (const char *const[]){ "--explain=json", "-c",
	    path, NULL });
	assert_int_equal(r.status, EX_OK);
	assert_int_equal(t_json_int(r.out, "cpus"), 2);
	assert_non_null(t_json_str(r.out, "cpus_source", buf, sizeof(buf)));
	assert_string_equal(buf, "cgroup v2");
	assert_int_equal(t_json_int(r.out, "memory_bytes"), 1LL << 30);
	assert_non_null(t_json_str(r.out, "memory_source", buf,
	    sizeof(buf)));
	assert_string_equal(buf, "cgroup v2");
	assert_int_equal(t_json_int(r.out, "workers"), 5);
	assert_null(strstr(r.out, "cpu.weight"));
	t_run_free(&r);

	/* The text says where each number came from. */
	run_on("k8s-pod", &r, (const char *const[]){ "--explain", "-c", path,
	    NULL });
	assert_int_equal(r.status, EX_OK);
	assert_true(t_contains(r.out, "/sys/fs/cgroup/cpu.max: quota 200000 "
	    "/ period 100000 = 2.00 CPUs, rounded up to 2"));
	assert_true(t_contains(r.out, "/sys/fs/cgroup/memory.max: limit "
	    "1073741824 bytes (1.0 GiB)"));
	assert_true(t_contains(r.out, "floor(1.0 GiB / 128.0 MiB) = 8: "
	    "min(5, 8) = 5"));
	t_run_free(&r);
}

/* A configuration error stops --explain too. */
static void
test_explain_bad_config(void **state)
{
	struct t_run	 r;
	const char	*path;

	path = t_write_file("bad-explain.ini", "[prefork]\nprofile = huge\n");
	run_fixture(&r, (const char *const[]){ "--explain", "-c", path,
	    NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, ":2: profile"));
	assert_string_equal(r.out, "");
	t_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_upgrade_options),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_bad_option_value_named),
		cmocka_unit_test(test_config_errors_all_reported),
		cmocka_unit_test(test_missing_config),
		cmocka_unit_test(test_check_ok),
		cmocka_unit_test(test_check_problems),
		cmocka_unit_test(test_worker_cgroup_on),
		cmocka_unit_test(test_explain_worker_cgroups),
		cmocka_unit_test(test_cannot_create),
		cmocka_unit_test(test_explain_text),
		cmocka_unit_test(test_explain_json),
		cmocka_unit_test(test_explain_overrides),
		cmocka_unit_test(test_explain_bad_config),
		cmocka_unit_test(test_explain_kubernetes_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
