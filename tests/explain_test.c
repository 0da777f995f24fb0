/* SPDX-License-Identifier: ISC */
/*
 * explain_test: the decision (probe + configuration + sizing) and its two
 * renderings: the text for people and the JSON for tools, which must be
 * valid JSON whatever bytes the probe read.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain.h"
#include "testlib.h"

/* Renders d with fn into a string the caller frees. */
static char *
render(void (*fn)(FILE *, const struct decision *), const struct decision *d)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, d);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* explain_decide over the 4-CPU, 16 GiB fixture with defaults. */
static void
test_decide_fixture(void **state)
{
	struct conf	c;
	struct decision	d;
	char		buf[128];

	conf_init(&c);
	explain_decide(&d, &c, t_fixture("cli-4cpu-16g"));
	assert_int_equal(d.cpus, 4);
	assert_int_equal(d.memory, 16ULL << 30);
	assert_string_equal(d.profile->name, "default");
	assert_string_equal(d.worker_class, "eventlet");
	assert_int_equal(d.result.base, 9);
	assert_int_equal(d.result.workers, 8);
	explain_summary(&d, buf, sizeof(buf));
	assert_string_equal(buf, "4 CPUs (online), 16.0 GiB; profile default");
	conf_free(&c);
}

/* Configured cpus and memory win over the probe, and say so. */
static void
test_decide_overrides(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*text;

	conf_init(&c);
	c.cpus = 2;
	c.memory = 8ULL << 30;
	c.profile = size_profile_find("ultra-scalable");
	explain_decide(&d, &c, t_fixture("cli-4cpu-16g"));
	assert_int_equal(d.cpus, 2);
	assert_string_equal(d.cpus_from, "configuration");
	assert_int_equal(d.memory, 8ULL << 30);
	assert_string_equal(d.memory_from, "configuration");
	assert_int_equal(d.result.workers, 7);	/* floor(5 * 1.5) */
	text = render(explain_text, &d);
	assert_true(t_contains(text, "cpus = 2 in the configuration; "
	    "detected 4"));
	assert_true(t_contains(text, "8 GiB <= mem < 16 GiB"));
	free(text);
	conf_free(&c);
}

/* The text names every source, the profile and each step. */
static void
test_text_sections(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*text;

	conf_init(&c);
	c.max_workers = 6;
	explain_decide(&d, &c, t_fixture("cli-4cpu-16g"));
	text = render(explain_text, &d);
	assert_true(t_contains(text, "CPUs: 4 (online)"));
	assert_true(t_contains(text, "/sys/devices/system/cpu/online"));
	assert_true(t_contains(text, "Memory: 16.0 GiB"));
	assert_true(t_contains(text, "/proc/meminfo"));
	assert_true(t_contains(text, "Profile: default (max_workers 8, "
	    "worker_class eventlet"));
	assert_true(t_contains(text, "max_workers    min(9, 6) = 6  "
	    "(applied)"));
	assert_true(t_contains(text, "Workers: 6"));
	/* A source missing its file names that file once, not twice. */
	assert_true(t_contains(text, "  memory blocks  missing    "
	    "/sys/devices/system/memory/block_size_bytes: No such file or "
	    "directory\n"));
	free(text);
	conf_free(&c);
}

/* Checks a JSON text with Python's parser; returns its exit status. */
static int
json_valid(const char *json, const char *expr)
{
	struct t_run	 r;
	const char	*path = t_write_file("explain.json", json);
	char		 script[512];
	int		 status;

	snprintf(script, sizeof(script),
	    "import json, sys\n"
	    "d = json.load(open(sys.argv[1]))\n"
	    "assert %s, d\n", expr);
	t_run(&r, NULL, (const char *const[]){ "python3", "-c", script, path,
	    NULL }, 60000);
	if (r.status != 0)
		print_error("%s\n", r.err);
	status = r.status;
	t_run_free(&r);
	return status;
}

/*
 * The JSON is one valid object with the fields prefork(8) "Explaining a
 * decision" names.
 */
static void
test_json_fields(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*json;

	conf_init(&c);
	explain_decide(&d, &c, t_fixture("cli-4cpu-16g"));
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json,
	    "d['cpus'] == 4 and d['memory_bytes'] == 16 << 30 and "
	    "d['profile'] == 'default' and d['base'] == 9 and "
	    "d['workers'] == 8 and len(d['steps']) >= 3 and "
	    "any(s['name'] == 'online' for s in d['sources'])"), 0);
	free(json);
	conf_free(&c);

	/* Memory that no source gives is unknown: null, not 0 bytes. */
	conf_init(&c);
	explain_decide(&d, &c, t_fixture("probe-empty"));
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json, "d['memory_bytes'] is None and "
	    "d['memory_source'] is None and d['workers'] >= 1"), 0);
	free(json);
	conf_free(&c);
}

/* Quotes, backslashes and control bytes from a file are escaped. */
static void
test_json_escaping(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*json;

	conf_init(&c);
	explain_decide(&d, &c, t_fixture("cli-4cpu-16g"));
	snprintf(d.probe.sources[0].detail, sizeof(d.probe.sources[0].detail),
	    "a\"b\\c\nd\001e\x7f" "f\xc3\xa9");
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json,
	    "d['sources'][0]['detail'] == 'a\"b\\\\c\\nd\\x01e\\x7f" "f\\u00e9'"),
	    0);
	free(json);
	conf_free(&c);
}

/*
 * Worker cgroups: --explain says whether the workers get leaves of their
 * own, and why not; the master's decision leaves it out.
 */
static void
test_worker_cgroups_text(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*text;

	conf_init(&c);
	c.worker_memory = 256ULL << 20;
	explain_decide(&d, &c, t_fixture("wcg-delegated"));
	text = render(explain_text, &d);
	assert_false(t_contains(text, "Worker cgroups"));
	free(text);
	explain_worker_cgroups(&d, &c, t_fixture("wcg-delegated"));
	text = render(explain_text, &d);
	assert_true(t_contains(text, "\nWorker cgroups: on "
	    "(/sys/fs/cgroup/system.slice/app.service: leaves master and "
	    "worker-N; memory.high 256.0 MiB, memory.max max)\n"));
	free(text);

	/* auto where nothing is delegated: /proc only, and why. */
	explain_decide(&d, &c, t_fixture("probe-hybrid"));
	explain_worker_cgroups(&d, &c, t_fixture("probe-hybrid"));
	text = render(explain_text, &d);
	assert_true(t_contains(text, "\nWorker cgroups: off (cgroup v2 not "
	    "delegated: no memory in /sys/fs/cgroup/unified/"
	    "cgroup.controllers)\n"));
	free(text);

	c.worker_cgroup = TRI_OFF;
	explain_worker_cgroups(&d, &c, t_fixture("wcg-delegated"));
	text = render(explain_text, &d);
	assert_true(t_contains(text, "\nWorker cgroups: off (worker_cgroup = "
	    "off)\n"));
	free(text);
	conf_free(&c);
}

static void
test_worker_cgroups_json(void **state)
{
	struct conf	 c;
	struct decision	 d;
	char		*json;

	conf_init(&c);
	explain_decide(&d, &c, t_fixture("wcg-delegated"));
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json, "'worker_cgroups' not in d"), 0);
	free(json);
	explain_worker_cgroups(&d, &c, t_fixture("wcg-delegated"));
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json, "d['worker_cgroups'] == "
	    "{'setting': 'auto', 'enabled': True, 'dir': "
	    "'/sys/fs/cgroup/system.slice/app.service', 'reason': None}"), 0);
	free(json);

	c.worker_cgroup = TRI_ON;
	explain_decide(&d, &c, t_fixture("probe-cgv1-fraction"));
	explain_worker_cgroups(&d, &c, t_fixture("probe-cgv1-fraction"));
	json = render(explain_json, &d);
	assert_int_equal(json_valid(json, "d['worker_cgroups'] == "
	    "{'setting': 'on', 'enabled': False, 'dir': None, 'reason': "
	    "'no cgroup v2 hierarchy in /proc/self/cgroup: cgroup v1 only'}"),
	    0);
	free(json);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_fixture),
		cmocka_unit_test(test_decide_overrides),
		cmocka_unit_test(test_text_sections),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_worker_cgroups_text),
		cmocka_unit_test(test_worker_cgroups_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
