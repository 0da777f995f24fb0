#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* True when path is a regular file this process may execute. */
static int
check_executable(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

int
check_find_command(const char *name, char *buf, size_t len)
{
	const char	*path, *p, *end;
	bool		 denied = false;
	int		 n;

	if (*name == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (strchr(name, '/') != NULL) {
		if ((size_t)snprintf(buf, len, "%s", name) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return check_executable(buf);
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		/* An empty element means the current directory. */
		n = snprintf(buf, len, "%.*s%s%s", (int)(end - p), p,
		    end == p ? "" : "/", name);
		if (n >= 0 && (size_t)n < len) {
			if (check_executable(buf) == 0)
				return 0;
			if (errno == EACCES)
				denied = true;
		}
		if (*end == '\0')
			break;
	}
	errno = denied ? EACCES : ENOENT;
	return -1;
}

int
check_command(const struct conf *c, struct strv *errs)
{
	char		 path[4096];
	const char	*where = c->path ? c->path : "the configuration";

	if (c->argv.n == 0) {
		strv_pushf(errs, "no worker command: give it after -- or set "
		    "command in %s", where);
		return 1;
	}
	if (check_find_command(c->argv.v[0], path, sizeof(path)) == 0)
		return 0;
	if (errno == ENOENT && strchr(c->argv.v[0], '/') == NULL)
		strv_pushf(errs, "command '%s': not found in PATH (%s)",
		    c->argv.v[0], getenv("PATH") ? getenv("PATH") :
		    "/bin:/usr/bin");
	else
		strv_pushf(errs, "command '%s': %s", c->argv.v[0],
		    strerror(errno));
	return 1;
}

/*
 * True when path could be created or appended to: the file is writable,
 * or it does not exist and its directory is writable.
 */
static int
check_writable(const char *key, const char *path, struct strv *errs)
{
	char	*copy;
	int	 rc;

	if (access(path, W_OK) == 0)
		return 0;
	if (errno == ENOENT) {
		if ((copy = strdup(path)) == NULL)
			return strv_pushf(errs, "out of memory"), 1;
		rc = access(dirname(copy), W_OK | X_OK);
		free(copy);
		if (rc == 0)
			return 0;
	}
	strv_pushf(errs, "%s: %s: %s", key, path, strerror(errno));
	return 1;
}

int
check_system(const struct conf *c, struct strv *errs)
{
	struct stat	st;
	int		n = 0;

	if (c->chdir != NULL) {
		if (stat(c->chdir, &st) == -1) {
			strv_pushf(errs, "chdir: %s: %s", c->chdir,
			    strerror(errno));
			n++;
		} else if (!S_ISDIR(st.st_mode)) {
			strv_pushf(errs, "chdir: %s: not a directory",
			    c->chdir);
			n++;
		}
	}
	if (geteuid() != 0 && ((c->uid != (uid_t)-1 && c->uid != geteuid()) ||
	    (c->gid != (gid_t)-1 && c->gid != getegid()))) {
		strv_pushf(errs, "%s: switching the workers' credentials "
		    "needs root", c->user ? "user" : "group");
		n++;
	}
	if (c->log_file != NULL)
		n += check_writable("log_file", c->log_file, errs);
	if (c->pidfile != NULL)
		n += check_writable("pidfile", c->pidfile, errs);
	return n;
}
