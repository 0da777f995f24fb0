/* SPDX-License-Identifier: ISC */
/*
 * safefile_test: the decisions of safefile (which directories others may
 * change, which links may be followed, what may be written, which
 * configuration files a root master may read) on made-up stat results,
 * then safefile_open() and safefile_check() on real files under a
 * temporary directory; and pidfile_text_ok().
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pidfile.h"
#include "safefile.h"
#include "testlib.h"

static struct stat
st_of(mode_t mode, uid_t uid)
{
	struct stat	st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_nlink = 1;
	return st;
}

/* safefile_dir_safe: owner, group and other write, the sticky bit. */
static void
test_dir_safe(void **state)
{
	char		why[SAFEFILE_WHY_MAX];
	struct stat	st;

	(void)state;
	st = st_of(S_IFDIR | 0755, 0);
	assert_true(safefile_dir_safe(&st, 0, "/var/log", why, sizeof(why)));
	st = st_of(S_IFDIR | 0700, 1000);
	assert_true(safefile_dir_safe(&st, 1000, "/home/a", why,
	    sizeof(why)));
	/* /tmp: everyone writes, but only an entry's owner replaces it. */
	st = st_of(S_IFDIR | 01777, 0);
	assert_true(safefile_dir_safe(&st, 0, "/tmp", NULL, 0));

	st = st_of(S_IFDIR | 0777, 0);
	assert_false(safefile_dir_safe(&st, 0, "/tmp/x", why, sizeof(why)));
	assert_string_equal(why, "directory /tmp/x is writable by group and "
	    "others (mode 0777) without the sticky bit: run chmod go-w "
	    "/tmp/x");
	st = st_of(S_IFDIR | 0775, 0);
	assert_false(safefile_dir_safe(&st, 0, "/srv", why, sizeof(why)));
	assert_string_equal(why, "directory /srv is writable by group (mode "
	    "0775) without the sticky bit: run chmod g-w /srv");
	st = st_of(S_IFDIR | 0757, 0);
	assert_false(safefile_dir_safe(&st, 0, "/srv", why, sizeof(why)));
	assert_true(strstr(why, "by others (mode 0757)") != NULL);

	/* The workers' user owns the log directory: it may plant links. */
	st = st_of(S_IFDIR | 0755, 65534);
	assert_false(safefile_dir_safe(&st, 0, "/var/log/app", why,
	    sizeof(why)));
	assert_string_equal(why, "directory /var/log/app is owned by uid "
	    "65534, who may replace what is in it: run chown root "
	    "/var/log/app");
	/* A sticky directory of another user is that user's still. */
	st = st_of(S_IFDIR | 01777, 1000);
	assert_false(safefile_dir_safe(&st, 0, "/x", NULL, 0));
	/* For a master that is not root, its own user is trusted. */
	st = st_of(S_IFDIR | 0755, 1000);
	assert_false(safefile_dir_safe(&st, 1001, "/x", why, sizeof(why)));
	assert_true(strstr(why, "run chown 1001 /x") != NULL);
}

/* safefile_link_safe: the protected_symlinks rule in sticky dirs. */
static void
test_link_safe(void **state)
{
	struct stat	dir, lnk;

	(void)state;
	dir = st_of(S_IFDIR | 01777, 0);
	lnk = st_of(S_IFLNK | 0777, 65534);
	assert_false(safefile_link_safe(&dir, &lnk, 0));
	lnk = st_of(S_IFLNK | 0777, 0);
	assert_true(safefile_link_safe(&dir, &lnk, 0));
	lnk = st_of(S_IFLNK | 0777, 1000);
	assert_true(safefile_link_safe(&dir, &lnk, 1000));
	/* /var/run -> /run in a directory only root writes. */
	dir = st_of(S_IFDIR | 0755, 0);
	lnk = st_of(S_IFLNK | 0777, 65534);
	assert_true(safefile_link_safe(&dir, &lnk, 0));
}

/* safefile_file_safe: a regular file with one name, nothing else. */
static void
test_file_safe(void **state)
{
	char		why[SAFEFILE_WHY_MAX];
	struct stat	st, dir = st_of(S_IFDIR | 0755, 0);

	(void)state;
	st = st_of(S_IFREG | 0644, 0);
	assert_true(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	st = st_of(S_IFIFO | 0644, 0);
	assert_false(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	assert_string_equal(why, "not a regular file (FIFO)");
	st = st_of(S_IFCHR | 0666, 0);
	assert_false(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	assert_string_equal(why, "not a regular file (character device)");
	st = st_of(S_IFLNK | 0777, 0);
	assert_false(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	assert_string_equal(why, "is a symbolic link (refusing to follow it)");
	st = st_of(S_IFREG | 0644, 0);
	st.st_nlink = 2;
	assert_false(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	assert_true(strstr(why, "has 2 hard links") != NULL);

	/* Another user's file in /tmp: theirs, as fs.protected_regular. */
	st = st_of(S_IFREG | 0644, 65534);
	assert_true(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	dir = st_of(S_IFDIR | 01777, 0);
	assert_false(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
	assert_string_equal(why, "owned by uid 65534, in a directory others "
	    "may write (it could be theirs to read or to change)");
	st = st_of(S_IFREG | 0644, 0);
	assert_true(safefile_file_safe(&dir, &st, 0, why, sizeof(why)));
}

/* safefile_conf_safe: who may write what a root master runs. */
static void
test_conf_safe(void **state)
{
	char		why[SAFEFILE_WHY_MAX];
	struct stat	st;

	(void)state;
	st = st_of(S_IFREG | 0644, 0);
	assert_true(safefile_conf_safe(&st, 0, "app.ini", why, sizeof(why)));
	st = st_of(S_IFREG | 0600, 0);
	assert_true(safefile_conf_safe(&st, 0, "app.ini", why, sizeof(why)));
	st = st_of(S_IFREG | 0664, 0);
	assert_false(safefile_conf_safe(&st, 0, "app.ini", why, sizeof(why)));
	assert_string_equal(why, "writable by group (mode 0664): run chmod "
	    "g-w app.ini");
	st = st_of(S_IFREG | 0666, 0);
	assert_false(safefile_conf_safe(&st, 0, "app.ini", why, sizeof(why)));
	assert_string_equal(why, "writable by group and others (mode 0666): "
	    "run chmod go-w app.ini");
	st = st_of(S_IFREG | 0644, 1000);
	assert_false(safefile_conf_safe(&st, 0, "app.ini", why, sizeof(why)));
	assert_string_equal(why, "owned by uid 1000: run chown root app.ini");
}

/* safefile_open and safefile_check on real files. */
static void
test_open(void **state)
{
	char	why[SAFEFILE_WHY_MAX], dir[256], path[PATH_MAX];
	char	lnk[PATH_MAX], sub[512];
	int	fd, dfd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/open", t_tmpdir());
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/a.log", dir);

	/* Created, blocking again, close-on-exec, with its directory. */
	assert_int_equal(safefile_check(path, why, sizeof(why)), 0);
	fd = safefile_open(path, O_WRONLY | O_APPEND | O_CREAT, 0640, &dfd,
	    why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(faccessat(dfd, "a.log", F_OK, 0), 0);
	close(fd);
	close(dfd);
	assert_int_equal(safefile_check(path, why, sizeof(why)), 0);

	/* A link at the end: never followed. */
	snprintf(lnk, sizeof(lnk), "%s/b.log", dir);
	assert_int_equal(symlink(path, lnk), 0);
	assert_int_equal(safefile_open(lnk, O_WRONLY | O_CREAT, 0640, NULL,
	    why, sizeof(why)), -1);
	assert_int_equal(errno, ELOOP);
	assert_string_equal(why, "is a symbolic link (refusing to follow it)");
	assert_int_equal(safefile_check(lnk, why, sizeof(why)), -1);

	/* A FIFO: refused, without blocking. */
	snprintf(lnk, sizeof(lnk), "%s/fifo", dir);
	assert_int_equal(mkfifo(lnk, 0600), 0);
	assert_int_equal(safefile_open(lnk, O_WRONLY | O_CREAT, 0640, NULL,
	    why, sizeof(why)), -1);
	assert_string_equal(why, "not a regular file (FIFO)");

	/* A second name for the file: refused. */
	snprintf(lnk, sizeof(lnk), "%s/hard", dir);
	assert_int_equal(link(path, lnk), 0);
	assert_int_equal(safefile_open(path, O_WRONLY, 0, NULL, why,
	    sizeof(why)), -1);
	assert_true(strstr(why, "has 2 hard links") != NULL);
	assert_int_equal(unlink(lnk), 0);

	/* A link to a directory, in a directory only we write: followed. */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(lnk, sizeof(lnk), "%s/via", dir);
	assert_int_equal(symlink("sub", lnk), 0);
	snprintf(path, sizeof(path), "%s/via/c.log", dir);
	fd = safefile_open(path, O_WRONLY | O_CREAT, 0640, NULL, why,
	    sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/c.log", sub);
	assert_int_equal(access(path, F_OK), 0);

	/* A directory everyone writes, on the way: refused. */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(safefile_open(path, O_WRONLY, 0, NULL, why,
	    sizeof(why)), -1);
	assert_int_equal(errno, EPERM);
	assert_true(strstr(why, "sub is writable by group and others (mode "
	    "0777) without the sticky bit") != NULL);
	assert_int_equal(safefile_check(path, why, sizeof(why)), -1);
	assert_int_equal(chmod(sub, 0755), 0);

	/* A directory at the end. */
	assert_int_equal(safefile_open(sub, O_WRONLY, 0, NULL, why,
	    sizeof(why)), -1);
}

/* pidfile_text_ok: nothing, or a PID line. */
static void
test_pidfile_text(void **state)
{
	(void)state;
	assert_true(pidfile_text_ok("", 0));
	assert_true(pidfile_text_ok("123\n", 4));
	assert_true(pidfile_text_ok("123", 3));
	assert_false(pidfile_text_ok("0\n", 2));
	assert_false(pidfile_text_ok("12 3\n", 5));
	assert_false(pidfile_text_ok("[prefork]\n", 10));
	assert_false(pidfile_text_ok("123\n\n", 5));
	assert_false(pidfile_text_ok("-1\n", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_safe),
		cmocka_unit_test(test_link_safe),
		cmocka_unit_test(test_file_safe),
		cmocka_unit_test(test_conf_safe),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_pidfile_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
