/* SPDX-License-Identifier: ISC */
/*
 * units_test: the systemd units under systemd/ pass systemd-analyze
 * verify once the paths are substituted (with the daemon under test as
 * the program, and our man pages for Documentation=), and say what
 * prefork(8) promises: Type=notify, HUP on reload, KillMode=mixed, a stop
 * timeout longer than graceful_timeout's default, a configuration error
 * that is not restarted, and hardening that systemd-analyze security
 * rates 3.5 or lower (OK), so that it cannot quietly regress.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "util.h"

#define ANALYZE	"/usr/bin/systemd-analyze"
#define MAN	"/usr/bin/man"
/*
 * How long systemd-analyze may take: seconds here, but over 30 s in a VM
 * without KVM, where verify runs man(1) for each page.
 */
#define ANALYZE_MS	300000

/* The highest exposure systemd-analyze security may give a service unit. */
#define EXPOSURE_MAX	3.5

static char	units[512];	/* the substituted units */
static char	mandir[512];	/* man8/ and man5/ with our pages */

static const char *
srcdir(void)
{
	const char	*s = getenv("PREFORK_SRCDIR");

	if (s == NULL || *s == '\0')
		fail_msg("PREFORK_SRCDIR is not set: run make check");
	return s;
}

/* Reads SRCDIR/rel into a string the caller frees. */
static char *
read_src(const char *rel)
{
	char	 path[1024], *text;

	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	text = util_read_file(path, 1 << 20);
	if (text == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	return text;
}

/* Replaces every "@name@" in text by value; returns a new string. */
static char *
subst(char *text, const char *name, const char *value)
{
	char	 key[64], *out, *p, *q;
	size_t	 n = 0, klen;

	snprintf(key, sizeof(key), "@%s@", name);
	klen = strlen(key);
	for (p = text; (p = strstr(p, key)) != NULL; p += klen)
		n++;
	out = malloc(strlen(text) + n * strlen(value) + 1);
	assert_non_null(out);
	for (p = text, q = out; *p != '\0';) {
		if (strncmp(p, key, klen) == 0) {
			q = stpcpy(q, value);
			p += klen;
		} else
			*q++ = *p++;
	}
	*q = '\0';
	free(text);
	return out;
}

static void
write_unit(const char *name, const char *in)
{
	char	 bindir[512], *text;

	snprintf(bindir, sizeof(bindir), "%s", t_prefork());
	text = read_src(in);
	text = subst(text, "bindir", dirname(bindir));
	text = subst(text, "unitconfdir", "/etc/prefork");
	t_write_file(name, text);
	free(text);
}

static void
copy_page(const char *rel, const char *section, const char *name)
{
	char	 dir[600], path[700], *text = read_src(rel);
	FILE	*f;

	snprintf(dir, sizeof(dir), "%s/%s", mandir, section);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
}

static int
setup(void **state)
{
	if (access(ANALYZE, X_OK) != 0)
		return 0;
	snprintf(units, sizeof(units), "%s", t_tmpdir());
	write_unit("prefork.service", "systemd/prefork.service.in");
	write_unit("prefork@.service", "systemd/prefork@.service.in");
	write_unit("prefork.socket", "systemd/prefork.socket");
	snprintf(mandir, sizeof(mandir), "%s/man", t_tmpdir());
	mkdir(mandir, 0755);
	copy_page("man/prefork.8", "man8", "prefork.8");
	copy_page("man/prefork.ini.5", "man5", "prefork.ini.5");
	copy_page("man/preforkctl.8", "man8", "preforkctl.8");
	return 0;
}

static void
verify(const char *unit)
{
	struct t_run	r;
	char		path[700], manpath[600];

	if (access(ANALYZE, X_OK) != 0) {
		print_message("skip: %s is not installed\n", ANALYZE);
		skip();
	}
	snprintf(path, sizeof(path), "%s/%s", units, unit);
	snprintf(manpath, sizeof(manpath), "MANPATH=%s", mandir);
	/*
	 * verify runs man(1) for Documentation=, which a minimal system
	 * lacks (Debian's man-db): then the man pages go unchecked.
	 */
	if (access(MAN, X_OK) != 0)
		print_message("note: %s is missing: verify --man=no\n", MAN);
	t_run(&r, (const char *const[]){ manpath, NULL },
	    (const char *const[]){ ANALYZE, "verify", access(MAN, X_OK) == 0 ?
	    "--man=yes" : "--man=no", path, NULL }, ANALYZE_MS);
	if (r.status != 0)
		fail_msg("systemd-analyze verify %s: status %d\n%s%s", unit,
		    r.status, r.out, r.err);
	t_run_free(&r);
}

/* The plain service unit verifies. */
static void
test_service_verifies(void **state)
{
	verify("prefork.service");
}

/* The socket unit verifies (with its service beside it). */
static void
test_socket_verifies(void **state)
{
	verify("prefork.socket");
}

/* The template verifies as an instance. */
static void
test_template_verifies(void **state)
{
	char	from[700], to[700];

	snprintf(from, sizeof(from), "%s/prefork@.service", units);
	snprintf(to, sizeof(to), "%s/prefork@app.service", units);
	if (access(ANALYZE, X_OK) == 0)
		assert_int_equal(link(from, to) == 0 || errno == EEXIST, 1);
	verify("prefork@app.service");
}

/*
 * The exposure level systemd-analyze security gives unit, from its last
 * line, "-> Overall exposure level for UNIT: 2.5 OK :-)".
 */
static double
exposure(const char *unit)
{
	static const char	 key[] = "Overall exposure level for ";
	struct t_run		 r;
	char			 path[700], *p, *end;
	double			 level;

	snprintf(path, sizeof(path), "%s/%s", units, unit);
	t_run(&r, NULL, (const char *const[]){ ANALYZE, "security",
	    "--offline=yes", path, NULL }, ANALYZE_MS);
	if (r.status != 0 || (p = strstr(r.out, key)) == NULL ||
	    (p = strstr(p, ": ")) == NULL)
		fail_msg("systemd-analyze security %s: status %d\n%s%s", unit,
		    r.status, r.out, r.err);
	level = strtod(p + 2, &end);
	if (end == p + 2)
		fail_msg("systemd-analyze security %s: no level in %s", unit,
		    p);
	print_message("%s: exposure %.1f\n", unit, level);
	t_run_free(&r);
	return level;
}

/* Both service units are rated OK, not MEDIUM or worse. */
static void
test_units_are_hardened(void **state)
{
	char	from[700], to[700];

	if (access(ANALYZE, X_OK) != 0) {
		print_message("skip: %s is not installed\n", ANALYZE);
		skip();
	}
	snprintf(from, sizeof(from), "%s/prefork@.service", units);
	snprintf(to, sizeof(to), "%s/prefork@app.service", units);
	assert_int_equal(link(from, to) == 0 || errno == EEXIST, 1);
	assert_true(exposure("prefork.service") <= EXPOSURE_MAX);
	assert_true(exposure("prefork@app.service") <= EXPOSURE_MAX);
}

/* What prefork(8) says the units do. */
static void
test_units_say_what_the_manual_says(void **state)
{
	static const char *const files[] = { "systemd/prefork.service.in",
	    "systemd/prefork@.service.in" };
	const char	*p;
	char		*text;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		text = read_src(files[i]);
		assert_true(t_contains(text, "\nType=notify\n"));
		assert_true(t_contains(text,
		    "\nExecReload=/bin/kill -HUP $MAINPID\n"));
		assert_true(t_contains(text, "\nKillMode=mixed\n"));
		assert_true(t_contains(text, "\nRestart=on-failure\n"));
		assert_true(t_contains(text, "\nNoNewPrivileges=yes\n"));
		assert_true(t_contains(text, "\nProtectSystem="));
		assert_true(t_contains(text, "\nPrivateTmp=yes\n"));
		/*
		 * RestartPreventExitStatus= reads the main process only: a
		 * check in ExecStartPre= that exits 78 would be restarted.
		 */
		assert_true(t_contains(text, "\nRestartPreventExitStatus=64 "
		    "78\n"));
		assert_null(strstr(text, "\nExecStartPre="));
		/* graceful_timeout defaults to 30s: the stop must outlast it. */
		p = strstr(text, "\nTimeoutStopSec=");
		assert_non_null(p);
		assert_true(atoi(p + strlen("\nTimeoutStopSec=")) > 30);
		free(text);
	}
	text = read_src("systemd/prefork@.service.in");
	assert_true(t_contains(text, "@unitconfdir@/%i.ini"));
	free(text);
}

/*
 * The units the build made (make substitutes them when it installs
 * units): the template runs PREFORK_UNITCONFDIR/%i.ini, which is
 * /etc/prefork (prefork(8) "Units") unless configure was told otherwise,
 * whatever the prefix. Skipped when the build makes no units.
 */
static void
test_built_template_reads_etc_prefork(void **state)
{
	const char	*built = getenv("PREFORK_UNITS");
	const char	*confdir = getenv("PREFORK_UNITCONFDIR");
	const char	*deflt = getenv("PREFORK_UNITCONFDIR_DEFAULT");
	char		 path[1024], want[1024], *text;
	struct t_run	 r;

	if (built == NULL || confdir == NULL || deflt == NULL)
		fail_msg("run the tests with make check");
	if (strcmp(deflt, "yes") == 0)
		assert_string_equal(confdir, "/etc/prefork");
	snprintf(path, sizeof(path), "%s/prefork@.service", built);
	if (access(path, R_OK) == -1) {
		print_message("skipped: %s not built (configured "
		    "--with-systemdsystemunitdir=no)\n", path);
		skip();
	}
	t_run(&r, NULL, (const char *const[]){ "cat", path, NULL }, ANALYZE_MS);
	assert_int_equal(r.status, 0);
	text = r.out;
	snprintf(want, sizeof(want), " -c %s/%%i.ini\n", confdir);
	assert_true(t_contains(text, want));
	assert_null(strstr(text, "@unitconfdir@"));
	assert_null(strstr(text, "@bindir@"));
	/* The program the build installs, by its full path. */
	assert_true(t_contains(text, "\nExecStart=/"));
	t_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_verifies),
		cmocka_unit_test(test_socket_verifies),
		cmocka_unit_test(test_template_verifies),
		cmocka_unit_test(test_units_are_hardened),
		cmocka_unit_test(test_units_say_what_the_manual_says),
		cmocka_unit_test(test_built_template_reads_etc_prefork),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
