/* SPDX-License-Identifier: ISC */
/*
 * The configuration as a whole, once every key is in: the checks that
 * involve several keys, the defaults that depend on the environment
 * (control under systemd), building one from its sources, and what two
 * configurations differ in. Part of the configuration module with
 * conf.c, sharing the private conf_impl.h.
 */
#include "config.h"

#include <sys/un.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_impl.h"
#include "util.h"

/*
 * Where a cross-key problem is reported: at the first of keys a, b that
 * was set, by its line in the file or its origin ("" for defaults).
 */
static const char *
conf_where(const struct conf *c, enum conf_key a, enum conf_key b,
    char *buf, size_t len)
{
	const char	*w = conf_key_where(c, a, buf, len);

	return *w != '\0' ? w : conf_key_where(c, b, buf, len);
}

int
conf_validate(struct conf *c, struct strv *errs)
{
	char	where[PATH_MAX + 32];
	int	n = 0;

	if (c->max_workers != 0 && c->min_workers > c->max_workers) {
		n++;
		if (strv_pushf(errs, "%smin_workers (%u) is above max_workers "
		    "(%u)", conf_where(c, CONF_KEY_MIN_WORKERS,
		    CONF_KEY_MAX_WORKERS, where, sizeof(where)),
		    c->min_workers, c->max_workers) == -1)
			(void)strv_push(errs, "out of memory");
	}
	if (c->restart_delay > c->restart_delay_max) {
		char	x[32], y[32];

		n++;
		if (strv_pushf(errs, "%srestart_delay (%s) is above "
		    "restart_delay_max (%s)", conf_where(c,
		    CONF_KEY_RESTART_DELAY, CONF_KEY_RESTART_DELAY_MAX, where,
		    sizeof(where)), conf_format_ms(c->restart_delay, x, sizeof(x)),
		    conf_format_ms(c->restart_delay_max, y, sizeof(y))) == -1)
			(void)strv_push(errs, "out of memory");
	}
	if (c->max_lifetime != 0 && c->jitter_pct == -1 &&
	    c->lifetime_jitter >= c->max_lifetime) {
		char	x[32], y[32];

		n++;
		if (strv_pushf(errs, "%slifetime_jitter (%s) must be less than "
		    "max_lifetime (%s)", conf_where(c, CONF_KEY_LIFETIME_JITTER,
		    CONF_KEY_MAX_LIFETIME, where, sizeof(where)),
		    conf_format_ms(c->lifetime_jitter, x, sizeof(x)),
		    conf_format_ms(c->max_lifetime, y, sizeof(y))) == -1)
			(void)strv_push(errs, "out of memory");
	}
	/* Checked with autoscale off too: turning it on must not fail. */
	if (c->autoscale_max != 0 && c->autoscale_max < c->min_workers) {
		n++;
		if (strv_pushf(errs, "%sautoscale_max (%u) is below "
		    "min_workers (%u)", conf_where(c, CONF_KEY_AUTOSCALE_MAX,
		    CONF_KEY_MIN_WORKERS, where, sizeof(where)),
		    c->autoscale_max, c->min_workers) == -1)
			(void)strv_push(errs, "out of memory");
	}
	if (c->timeout != 0 && c->ready == READY_EXEC) {
		n++;
		if (strv_pushf(errs, "%stimeout needs ready = notify (ready is "
		    "exec)", conf_where(c, CONF_KEY_TIMEOUT, CONF_KEY_READY,
		    where, sizeof(where))) == -1)
			(void)strv_push(errs, "out of memory");
	}
	return n;
}

const char *
conf_worker_class(const struct conf *c)
{
	return c->worker_class != NULL ? c->worker_class :
	    c->profile->worker_class;
}

bool
conf_halts(const struct conf *c, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (c->halt_exit_codes[code / 8] >> (code % 8)) & 1;
}

bool
conf_worker_changed(const struct conf *a, const struct conf *b)
{
	if (!strv_equal(&a->argv, &b->argv) || !strv_equal(&a->env, &b->env))
		return true;
	if (strcmp(conf_worker_class(a), conf_worker_class(b)) != 0)
		return true;
	if (a->uid != b->uid || a->gid != b->gid ||
	    a->ngroups != b->ngroups || (a->ngroups > 0 &&
	    memcmp(a->groups, b->groups, a->ngroups * sizeof(gid_t)) != 0))
		return true;
	if (!util_streq(a->chdir, b->chdir))
		return true;
	/* Sockets and readiness show in the worker's fds and LISTEN_*,
	   NOTIFY_SOCKET and WATCHDOG_USEC. */
	if (!strv_equal(&a->listen, &b->listen) || a->ready != b->ready ||
	    a->timeout != b->timeout)
		return true;
	return a->umask_set != b->umask_set ||
	    (a->umask_set && a->umask != b->umask);
}

/*
 * control's default: under systemd (RUNTIME_DIRECTORY set, its first
 * directory if it lists several), $RUNTIME_DIRECTORY/control.sock; else
 * none. Returns 0, or 1 after reporting a default that cannot be a
 * socket's address.
 */
static int
conf_control_default(struct conf *c, struct strv *errs)
{
	struct sockaddr_un	 sun;
	const char		*dir = getenv("RUNTIME_DIRECTORY");
	size_t			 len;

	if (c->control_set || dir == NULL || *dir != '/')
		return 0;
	len = strcspn(dir, ":");
	if (len + sizeof("/control.sock") > sizeof(sun.sun_path)) {
		strv_pushf(errs, "control: the default, in RUNTIME_DIRECTORY "
		    "(%.*s), is too long for a unix socket: set control",
		    (int)len, dir);
		return 1;
	}
	if (asprintf(&c->control, "%.*s/control.sock", (int)len, dir) ==
	    -1) {
		c->control = NULL;
		strv_pushf(errs, "out of memory");
		return 1;
	}
	return 0;
}

int
conf_build(struct conf *c, const struct conf_source *src, struct strv *errs)
{
	size_t	i;
	int	n = 0;

	conf_init(c);
	if (src->path != NULL)
		n += conf_load(c, src->path, errs);
	for (i = 0; i + 2 < src->overrides.n; i += 3)
		n += conf_set(c, src->overrides.v[i], src->overrides.v[i + 1],
		    src->overrides.v[i + 2], errs);
	if (src->argc > 0 && conf_set_argv(c, src->argv, src->argc) == -1) {
		strv_pushf(errs, "out of memory");
		n++;
	}
	/* Cross-key messages about a file that is already wrong confuse. */
	if (n == 0)
		n += conf_validate(c, errs) + conf_control_default(c, errs);
	return n;
}
