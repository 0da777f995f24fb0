/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "check.h"
#include "env.h"
#include "pidfile.h"
#include "probe.h"
#include "safefile.h"
#include "util.h"
#include "wcgroup.h"

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
check_resolve_command(const struct conf *c, char *buf, size_t len)
{
	const char	*name = c->argv.v[0];
	int		 n;

	if (c->chdir == NULL || *name == '/' || strchr(name, '/') == NULL)
		return check_find_command(name, buf, len);
	/* The worker execs it from there, after its chdir. */
	n = snprintf(buf, len, "%s/%s", c->chdir, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return check_executable(buf);
}

int
check_command(const struct conf *c, struct strv *errs)
{
	char		 path[4096] = "", where[PATH_MAX + 32];
	const char	*in = c->path ? c->path : "the configuration";
	const char	*w;
	int		 err;

	if (c->argv.n == 0) {
		strv_pushf(errs, "no worker command: give it after -- or set "
		    "command in %s", in);
		return 1;
	}
	if (check_resolve_command(c, path, sizeof(path)) == 0)
		return 0;
	err = errno;
	w = conf_key_where(c, CONF_KEY_COMMAND, where, sizeof(where));
	if (err == ENOENT && strchr(c->argv.v[0], '/') == NULL)
		strv_pushf(errs, "%scommand '%s': not found in PATH (%s)", w,
		    c->argv.v[0], getenv("PATH") ? getenv("PATH") :
		    "/bin:/usr/bin");
	else if (strcmp(path, c->argv.v[0]) != 0 && strchr(c->argv.v[0], '/'))
		strv_pushf(errs, "%scommand '%s' (%s): %s", w, c->argv.v[0],
		    path, strerror(err));
	else
		strv_pushf(errs, "%scommand '%s': %s", w, c->argv.v[0],
		    strerror(err));
	return 1;
}

/*
 * A problem with a file the master writes, as its start-up would find
 * it: safefile's checks (links, directories others may change, not a
 * regular file), the rights to create or append, and for the pidfile
 * what it holds and who owns it.
 */
static int
check_file(const struct conf *c, enum conf_key k, const char *key,
    const char *path, struct strv *errs)
{
	char	where[PATH_MAX + 32], why[SAFEFILE_WHY_MAX];
	int	rc;

	if (k == CONF_KEY_PIDFILE)
		rc = pidfile_check(path, why, sizeof(why));
	else
		rc = safefile_check(path, why, sizeof(why));
	if (rc == 0)
		return 0;
	strv_pushf(errs, "%s%s: %s: %s", conf_key_where(c, k, where,
	    sizeof(where)), key, path, why);
	return 1;
}

/*
 * The kernel takes the strings of execve(2), with their pointers, only
 * within the quarter of the stack limit that sysconf() reports as
 * ARG_MAX. Room is kept for the variables prefork adds per worker.
 */
#define EXEC_EXTRA_ROOM	4096

/*
 * Appends a problem when the workers' command and environment (the
 * master's, less what it withholds, plus [env]) would be too large to
 * exec: every worker would then fail with E2BIG. Returns 0 or 1.
 */
static int
check_exec_size(const struct conf *c, struct strv *errs)
{
	extern char	**environ;
	struct strv	  base = STRV_INIT;
	long		  max = sysconf(_SC_ARG_MAX);
	size_t		  i, total = EXEC_EXTRA_ROOM;
	int		  problems = 0;

	if (env_base(&base, environ, &c->env) == -1) {
		strv_pushf(errs, "[env]: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < c->argv.n; i++)
		total += strlen(c->argv.v[i]) + 1 + sizeof(char *);
	for (i = 0; i < base.n; i++)
		total += strlen(base.v[i]) + 1 + sizeof(char *);
	if (max > 0 && total > (size_t)max) {
		strv_pushf(errs, "%s%sthe workers' command and environment "
		    "(%zu variables, %zu of them from [env]) take %zu bytes, "
		    "over the %ld bytes execve(2) takes here (a quarter of "
		    "the stack limit): set fewer variables, or raise the "
		    "stack limit", c->path ? c->path : "", c->path ? ": " : "",
		    base.n, c->env.n, total, max);
		problems++;
	}
	strv_free(&base);
	return problems;
}

int
check_system(const struct conf *c, struct strv *errs)
{
	struct stat	st;
	char		where[PATH_MAX + 32];
	const char	*w;
	int		n = 0;

	if (c->chdir != NULL) {
		w = conf_key_where(c, CONF_KEY_CHDIR, where, sizeof(where));
		if (stat(c->chdir, &st) == -1) {
			strv_pushf(errs, "%schdir: %s: %s", w, c->chdir,
			    strerror(errno));
			n++;
		} else if (!S_ISDIR(st.st_mode)) {
			strv_pushf(errs, "%schdir: %s: not a directory", w,
			    c->chdir);
			n++;
		}
	}
	if (geteuid() != 0 && ((c->uid != (uid_t)-1 && c->uid != geteuid()) ||
	    (c->gid != (gid_t)-1 && c->gid != getegid()))) {
		w = conf_key_where(c, c->user ? CONF_KEY_USER : CONF_KEY_GROUP,
		    where, sizeof(where));
		strv_pushf(errs, "%s%s: switching the workers' credentials "
		    "needs root", w, c->user ? "user" : "group");
		n++;
	}
	n += check_exec_size(c, errs);
	return n;
}

int
check_log_file(const struct conf *c, struct strv *errs)
{
	if (c->log_file == NULL)
		return 0;
	return check_file(c, CONF_KEY_LOG_FILE, "log_file", c->log_file,
	    errs);
}

int
check_pidfile(const struct conf *c, struct strv *errs)
{
	if (c->pidfile == NULL)
		return 0;
	return check_file(c, CONF_KEY_PIDFILE, "pidfile", c->pidfile, errs);
}

int
check_metrics_file(const struct conf *c, struct strv *errs)
{
	if (c->metrics_file == NULL)
		return 0;
	return check_file(c, CONF_KEY_METRICS_FILE, "metrics_file",
	    c->metrics_file, errs);
}

int
check_files(const struct conf *c, struct strv *errs)
{
	return check_log_file(c, errs) + check_pidfile(c, errs) +
	    check_metrics_file(c, errs);
}

int
check_worker_cgroup(const struct conf *c, const struct wcg *running,
    struct strv *errs)
{
	struct wcg_probe	p;
	char			where[PATH_MAX + 32];
	const char		*w;

	if (c->worker_cgroup != TRI_ON || (running != NULL && running->active))
		return 0;
	w = conf_key_where(c, CONF_KEY_WORKER_CGROUP, where, sizeof(where));
	if (running != NULL) {
		strv_pushf(errs, "%sworker_cgroup = on: the workers have no "
		    "cgroups of their own since start-up (%s); a new "
		    "worker_cgroup takes effect at the next start", w,
		    running->why[0] != '\0' ? running->why :
		    "worker_cgroup = off");
		return 1;
	}
	wcg_detect(&p, probe_root());
	if (p.delegated)
		return 0;
	strv_pushf(errs, "%sworker_cgroup = on: %s", w, p.reason);
	return 1;
}

/*
 * The lowest port a process may bind without CAP_NET_BIND_SERVICE:
 * net.ipv4.ip_unprivileged_port_start, 1024 unless changed.
 */
static unsigned long
check_port_floor(void)
{
	char		*text, *end;
	unsigned long	 floor = 1024;

	text = util_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    32);
	if (text != NULL) {
		floor = strtoul(text, &end, 10);
		if (end == text)
			floor = 1024;
		free(text);
	}
	return floor;
}

/* Whether the effective capabilities hold CAP_NET_BIND_SERVICE (10). */
static bool
check_can_bind_low(void)
{
	char			*text, *cap;
	unsigned long long	 eff;

	if (geteuid() == 0)
		return true;
	if ((text = util_read_file("/proc/self/status", 1 << 16)) == NULL)
		return false;
	cap = strstr(text, "\nCapEff:");
	eff = cap != NULL ? strtoull(cap + 9, NULL, 16) : 0;
	free(text);
	return (eff >> 10) & 1;
}

/* The port of a TCP listen address, or 0 for a unix socket. */
static unsigned long
check_listen_port(const char *addr)
{
	struct listen_addr	a;

	if (addr_parse(addr, &a) != NULL || a.kind == ADDR_UNIX)
		return 0;
	return a.port;
}

int
check_ports(const struct conf *c, struct strv *errs)
{
	char		where[PATH_MAX + 32];
	unsigned long	floor, port;
	size_t		i;
	int		n = 0;

	if (c->listen.n == 0 || check_can_bind_low())
		return 0;
	floor = check_port_floor();
	for (i = 0; i < c->listen.n; i++) {
		port = check_listen_port(c->listen.v[i]);
		if (port == 0 || port >= floor)
			continue;
		strv_pushf(errs, "%slisten %s: port %lu is privileged (below "
		    "%lu): binding it needs root or CAP_NET_BIND_SERVICE",
		    conf_key_where(c, CONF_KEY_LISTEN, where, sizeof(where)),
		    c->listen.v[i], port, floor);
		n++;
	}
	return n;
}
