/* SPDX-License-Identifier: ISC */
/*
 * The configuration: defaults, the keys and what each value means,
 * command line overrides and the checks that involve several keys. The
 * file is read by conf_file.c, which hands each value to the keys here.
 * Nothing here logs: every problem goes to the caller's error list.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/un.h>

#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "conf_impl.h"
#include "conf_parse.h"
#include "creds.h"
#include "words.h"

#define MIB		(UINT64_C(1) << 20)

struct key;
typedef int	key_set_fn(struct conf *, const struct key *, const char *,
		    struct report *);

struct key {
	const char	*name;
	key_set_fn	*set;
	size_t		 off;		/* field of the generic setters */
	uint64_t	 min, max;
	unsigned	 flags;
};

#define K_CONT	0x01		/* takes continuation lines */
#define K_AUTO	0x02		/* "auto" means 0 */
#define K_OFF	0x04		/* "off" means 0 */
#define K_ABS	0x08		/* an absolute path */
#define K_NONE	0x10		/* "none" means unset, the default */
#define K_STDERR 0x20		/* "stderr" means unset, the default */

static key_set_fn	set_command, set_profile, set_uint, set_size,
			set_class, set_duration, set_codes, set_ready,
			set_listen, set_user, set_group, set_path, set_umask,
			set_log_level, set_bool, set_metrics_listen,
			set_control, set_control_group, set_word,
			set_jitter;

#define F(field)	offsetof(struct conf, field)
#define DMAX		CONF_DURATION_MAX_MS
#define WMAX		SIZE_WORKERS_MAX

static const struct key keys[] = {
	[CONF_KEY_COMMAND] = { "command", set_command, 0, 0, 0, K_CONT },
	[CONF_KEY_PROFILE] = { "profile", set_profile, 0, 0, 0, 0 },
	[CONF_KEY_WORKERS] = { "workers", set_uint, F(workers), 1, WMAX,
	    K_AUTO },
	[CONF_KEY_MAX_WORKERS] = { "max_workers", set_uint, F(max_workers),
	    1, WMAX, K_AUTO },
	[CONF_KEY_MIN_WORKERS] = { "min_workers", set_uint, F(min_workers),
	    1, WMAX, 0 },
	[CONF_KEY_WORKERS_PER_CPU] = { "workers_per_cpu", set_uint,
	    F(workers_per_cpu), 1, 1024, 0 },
	[CONF_KEY_EXTRA_WORKERS] = { "extra_workers", set_uint,
	    F(extra_workers), 0, WMAX, 0 },
	[CONF_KEY_CPUS] = { "cpus", set_uint, F(cpus), 1, 65536, K_AUTO },
	[CONF_KEY_MEMORY] = { "memory", set_size, F(memory), MIB, UINT64_MAX,
	    K_AUTO },
	[CONF_KEY_WORKER_MEMORY] = { "worker_memory", set_size,
	    F(worker_memory), MIB, UINT64_MAX, K_OFF },
	[CONF_KEY_WORKER_CLASS] = { "worker_class", set_class, 0, 1, 64, 0 },
	[CONF_KEY_GRACEFUL_TIMEOUT] = { "graceful_timeout", set_duration,
	    F(graceful_timeout), 0, DMAX, 0 },
	[CONF_KEY_MIN_UPTIME] = { "min_uptime", set_duration, F(min_uptime),
	    0, DMAX, 0 },
	[CONF_KEY_RESTART_DELAY] = { "restart_delay", set_duration,
	    F(restart_delay), 1, DMAX, 0 },
	[CONF_KEY_RESTART_DELAY_MAX] = { "restart_delay_max", set_duration,
	    F(restart_delay_max), 1, DMAX, 0 },
	[CONF_KEY_HALT_EXIT_CODES] = { "halt_exit_codes", set_codes, 0, 0,
	    255, K_CONT | K_NONE },
	[CONF_KEY_READY] = { "ready", set_ready, 0, 0, 0, 0 },
	[CONF_KEY_READY_TIMEOUT] = { "ready_timeout", set_duration,
	    F(ready_timeout), 1, DMAX, 0 },
	[CONF_KEY_TIMEOUT] = { "timeout", set_duration, F(timeout), 0, DMAX,
	    K_OFF },
	[CONF_KEY_LISTEN] = { "listen", set_listen, 0, 1, 65535,
	    K_CONT | K_NONE },
	[CONF_KEY_BACKLOG] = { "backlog", set_uint, F(backlog), 1, 65535, 0 },
	[CONF_KEY_USER] = { "user", set_user, 0, 0, 0, 0 },
	[CONF_KEY_GROUP] = { "group", set_group, 0, 0, 0, 0 },
	[CONF_KEY_CHDIR] = { "chdir", set_path, F(chdir), 0, 0, K_ABS },
	[CONF_KEY_UMASK] = { "umask", set_umask, 0, 0, 0777, 0 },
	[CONF_KEY_PIDFILE] = { "pidfile", set_path, F(pidfile), 0, 0,
	    K_NONE },
	[CONF_KEY_LOG_LEVEL] = { "log_level", set_log_level, 0, 0, 0, 0 },
	[CONF_KEY_LOG_FILE] = { "log_file", set_path, F(log_file), 0, 0,
	    K_STDERR },
	[CONF_KEY_FORWARD_USR1] = { "forward_usr1", set_bool,
	    F(forward_usr1), 0, 0, 0 },
	[CONF_KEY_METRICS_FILE] = { "metrics_file", set_path,
	    F(metrics_file), 0, 0, K_NONE },
	[CONF_KEY_METRICS_INTERVAL] = { "metrics_interval", set_duration,
	    F(metrics_interval), 1000, DMAX, 0 },
	[CONF_KEY_METRICS_LISTEN] = { "metrics_listen", set_metrics_listen,
	    0, 0, 0, K_NONE },
	[CONF_KEY_CONTROL] = { "control", set_control, F(control), 0, 0,
	    K_ABS | K_NONE },
	[CONF_KEY_CONTROL_GROUP] = { "control_group", set_control_group, 0,
	    0, 0, K_NONE },
	[CONF_KEY_MAX_WORKER_MEMORY] = { "max_worker_memory", set_size,
	    F(max_worker_memory), MIB, UINT64_MAX, K_NONE | K_OFF },
	[CONF_KEY_WORKER_MEMORY_MEASURE] = { "worker_memory_measure",
	    set_word, F(measure), 0, 0, 0 },
	[CONF_KEY_MAX_LIFETIME] = { "max_lifetime", set_duration,
	    F(max_lifetime), 1000, DMAX, K_NONE | K_OFF },
	[CONF_KEY_LIFETIME_JITTER] = { "lifetime_jitter", set_jitter, 0, 0,
	    DMAX, 0 },
	[CONF_KEY_RECYCLE] = { "recycle", set_word, F(recycle), 0, 0, 0 },
	[CONF_KEY_MAX_RECYCLING] = { "max_recycling", set_uint,
	    F(max_recycling), 1, WMAX, 0 },
	[CONF_KEY_CHECK_INTERVAL] = { "check_interval", set_duration,
	    F(check_interval), 100, DMAX, 0 },
	[CONF_KEY_WORKER_CGROUP] = { "worker_cgroup", set_word,
	    F(worker_cgroup), 0, 0, 0 },
	[CONF_KEY_AUTOSCALE] = { "autoscale", set_bool, F(autoscale), 0, 0,
	    0 },
	/* Each step waits a whole interval: an hour is already sluggish. */
	[CONF_KEY_AUTOSCALE_INTERVAL] = { "autoscale_interval", set_duration,
	    F(autoscale_interval), 1000, 3600000, 0 },
	[CONF_KEY_AUTOSCALE_MAX] = { "autoscale_max", set_uint,
	    F(autoscale_max), 1, WMAX, K_AUTO },
};

/*
 * The words of the keys that take one of a few: in the order of their
 * enums, NULL-terminated.
 */
static const struct {
	enum conf_key		 key;
	const char *const	 words[4];
} key_words[] = {
	{ CONF_KEY_WORKER_MEMORY_MEASURE, { "pss", "rss", "uss", NULL } },
	{ CONF_KEY_RECYCLE, { "surge", "stop-first", NULL } },
	{ CONF_KEY_WORKER_CGROUP, { "auto", "on", "off", NULL } },
};

static_assert(nitems(keys) == CONF_KEY_COUNT, "a key without an entry");

/*
 * Setters: each checks a value and stores it in c, or reports what is
 * wrong and leaves c as it was. They return 0 or -1.
 */

static void
report_oom(struct report *r)
{
	conf_report(r, "out of memory");
}

static bool
is_keyword(const struct key *k, const char *v)
{
	return ((k->flags & K_AUTO) && strcmp(v, "auto") == 0) ||
	    ((k->flags & K_OFF) && strcmp(v, "off") == 0) ||
	    ((k->flags & K_NONE) && strcmp(v, "none") == 0);
}

static void
report_number(struct report *r, enum conf_perr rc, const char *v, uint64_t min,
    uint64_t max)
{
	if (rc == CONF_PE_RANGE)
		conf_report(r, "%s is out of range (%ju to %ju)", v,
		    (uintmax_t)min, (uintmax_t)max);
	else
		conf_report(r, "'%s' is not a number", v);
}

static int
set_uint(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	unsigned	*field = (unsigned *)(void *)((char *)c + k->off);
	uint64_t	 n = 0;
	enum conf_perr	 rc;

	if (!is_keyword(k, v) &&
	    (rc = conf_parse_number(v, k->min, k->max, &n)) != CONF_PE_OK) {
		report_number(r, rc, v, k->min, k->max);
		return -1;
	}
	*field = (unsigned)n;
	return 0;
}

const char *
conf_format_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%juh", (uintmax_t)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%jum", (uintmax_t)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%jus", (uintmax_t)(ms / 1000));
	else
		snprintf(buf, len, "%jums", (uintmax_t)ms);
	return buf;
}

static int
set_duration(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	uint64_t	*field = (uint64_t *)(void *)((char *)c + k->off);
	uint64_t	 ms = 0;
	char		 lo[32], hi[32];
	enum conf_perr	 rc = CONF_PE_OK;

	if (!is_keyword(k, v) && (rc = conf_parse_ms(v, &ms)) ==
	    CONF_PE_OK && (ms < k->min || ms > k->max))
		rc = CONF_PE_RANGE;
	switch (rc) {
	case CONF_PE_OK:
		*field = ms;
		return 0;
	case CONF_PE_RANGE:
		conf_report(r, "%s is out of range (%s to %s)", v,
		    conf_format_ms(k->min, lo, sizeof(lo)),
		    conf_format_ms(k->max, hi, sizeof(hi)));
		return -1;
	case CONF_PE_FRACTION:
		conf_report(r, "'%s' is not a whole number of milliseconds",
		    v);
		return -1;
	default:
		conf_report(r, "'%s' is not a duration (use ms, s, m, h)", v);
		return -1;
	}
}

static int
set_size(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	uint64_t	*field = (uint64_t *)(void *)((char *)c + k->off);
	uint64_t	 n = 0;
	enum conf_perr	 rc = CONF_PE_OK;

	if (!is_keyword(k, v) && (rc = conf_parse_bytes(v, &n)) ==
	    CONF_PE_OK && n < k->min)
		rc = CONF_PE_RANGE;
	switch (rc) {
	case CONF_PE_OK:
		*field = n;
		return 0;
	case CONF_PE_RANGE:
		conf_report(r, "%s is out of range (at least 1M)", v);
		return -1;
	case CONF_PE_OVERFLOW:
		conf_report(r, "'%s' is too large (more than 64 bits)", v);
		return -1;
	default:
		conf_report(r, "'%s' is not a size (use K, M, G, T)", v);
		return -1;
	}
}

/* Replaces *field with a copy of v. */
static int
replace_string(char **field, const char *v, struct report *r)
{
	char	*copy;

	if ((copy = strdup(v)) == NULL) {
		report_oom(r);
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

static int
set_path(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	char	**field = (char **)(void *)((char *)c + k->off);

	/* The default written out: a file so named is "./none". */
	if (((k->flags & K_NONE) && strcmp(v, "none") == 0) ||
	    ((k->flags & K_STDERR) && strcmp(v, "stderr") == 0)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if ((k->flags & K_ABS) && *v != '/') {
		conf_report(r, "'%s' is not an absolute path", v);
		return -1;
	}
	return replace_string(field, v, r);
}

static int
set_command(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv	 argv = STRV_INIT;
	const char	*why;

	if (words_split(v, &argv, &why) == -1) {
		conf_report(r, "%s", why);
		return -1;
	}
	if (argv.n == 0 || argv.v[0][0] == '\0') {
		conf_report(r, argv.n == 0 ? "no program to run" :
		    "the program name is empty");
		strv_free(&argv);
		return -1;
	}
	if (replace_string(&c->command, v, r) == -1) {
		strv_free(&argv);
		return -1;
	}
	strv_free(&c->argv);
	c->argv = argv;
	return 0;
}

static int
set_profile(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	const struct profile	*pr;
	char			 names[256];
	size_t			 i, n = 0;

	if ((pr = size_profile_find(v)) != NULL) {
		c->profile = pr;
		return 0;
	}
	names[0] = '\0';
	for (i = 0; i < size_nprofiles && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		    i > 0 ? ", " : "", size_profiles[i].name);
	conf_report(r, "unknown profile '%s' (%s)", v, names);
	return -1;
}

static int
set_class(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	size_t	n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-");

	if (v[n] != '\0' || n < k->min || n > k->max) {
		conf_report(r, "'%s' is not a class name (1 to 64 letters, "
		    "digits, _ . : -)", v);
		return -1;
	}
	return replace_string(&c->worker_class, v, r);
}

static int
set_codes(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv	 items = STRV_INIT;
	uint8_t		 codes[sizeof(c->halt_exit_codes)] = { 0 };
	const char	*why;
	uint64_t	 n;
	enum conf_perr	 rc = CONF_PE_OK;
	size_t		 i;

	if ((k->flags & K_NONE) && strcmp(v, "none") == 0) {
		memset(c->halt_exit_codes, 0, sizeof(c->halt_exit_codes));
		return 0;
	}
	if (conf_parse_list(v, &items, &why) == -1) {
		conf_report(r, "%s", why);
		strv_free(&items);
		return -1;
	}
	for (i = 0; rc == CONF_PE_OK && i < items.n; i++) {
		rc = conf_parse_number(items.v[i], k->min, k->max, &n);
		if (rc == CONF_PE_OK)
			codes[n / 8] |= (uint8_t)(1u << (n % 8));
		else
			report_number(r, rc, items.v[i], k->min, k->max);
	}
	strv_free(&items);
	if (rc != CONF_PE_OK)
		return -1;
	memcpy(c->halt_exit_codes, codes, sizeof(codes));
	return 0;
}

static int
set_ready(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	if (strcmp(v, "exec") == 0)
		c->ready = READY_EXEC;
	else if (strcmp(v, "notify") == 0)
		c->ready = READY_NOTIFY;
	else {
		conf_report(r, "unknown mode '%s' (exec, notify)", v);
		return -1;
	}
	return 0;
}

/* A yes-or-no key: yes, true, on, 1 or no, false, off, 0. */
static int
set_bool(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	bool	*field = (bool *)((char *)c + k->off);

	if (conf_parse_bool(v, field) == -1) {
		conf_report(r, "'%s' is not yes or no", v);
		return -1;
	}
	return 0;
}

static int
set_log_level(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	if (log_level_parse(v, &c->log_level) == -1) {
		conf_report(r, "unknown level '%s' (error, warn, info, debug)",
		    v);
		return -1;
	}
	return 0;
}

static int
set_umask(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	unsigned	mode;

	if (conf_parse_mode(v, (unsigned)k->max, &mode) == -1) {
		conf_report(r, "'%s' is not an octal mode (0 to 0777)", v);
		return -1;
	}
	c->umask = (mode_t)mode;
	c->umask_set = true;
	return 0;
}

/*
 * listen: "HOST:PORT", "[IPV6]:PORT" or "unix:/PATH", as addr.c parses
 * them.
 */

static int
set_listen(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct strv		 items = STRV_INIT;
	struct listen_addr	 addr;
	const char		*why = NULL;
	size_t			 i, j;

	if ((k->flags & K_NONE) && strcmp(v, "none") == 0) {
		strv_free(&c->listen);
		return 0;
	}
	if (conf_parse_list(v, &items, &why) == -1) {
		conf_report(r, "%s", why);
		strv_free(&items);
		return -1;
	}
	for (i = 0; i < items.n; i++) {
		if ((why = addr_parse(items.v[i], &addr)) != NULL) {
			conf_report(r, "'%s': %s", items.v[i], why);
			break;
		}
		for (j = 0; j < i; j++)
			if (strcmp(items.v[i], items.v[j]) == 0)
				break;
		if (j < i) {
			conf_report(r, "'%s' is listed twice", items.v[i]);
			why = "";
			break;
		}
	}
	if (why != NULL) {
		strv_free(&items);
		return -1;
	}
	strv_free(&c->listen);
	c->listen = items;
	return 0;
}

/*
 * metrics_listen: one TCP address of the listen grammar; a unix socket
 * is refused, since Prometheus scrapes over TCP.
 */
static int
set_metrics_listen(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct listen_addr	 addr;
	const char		*why;

	if ((k->flags & K_NONE) && strcmp(v, "none") == 0) {
		free(c->metrics_listen);
		c->metrics_listen = NULL;
		return 0;
	}
	if ((why = addr_parse(v, &addr)) != NULL) {
		conf_report(r, "'%s': %s", v, why);
		return -1;
	}
	if (addr.kind == ADDR_UNIX) {
		conf_report(r, "'%s': a TCP address (HOST:PORT) is needed", v);
		return -1;
	}
	return replace_string(&c->metrics_listen, v, r);
}

/*
 * Credentials: user and group are looked up as they are read, so that a
 * name the system does not know is reported at its line.
 */

static int
set_user(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct passwd	*pw;
	char		*name;

	if ((pw = creds_find_user(v)) == NULL) {
		if (errno != ENOENT)
			conf_report(r, "cannot look up '%s': %s", v,
			    strerror(errno));
		else
			conf_report(r, "unknown user '%s'", v);
		return -1;
	}
	if ((name = strdup(pw->pw_name)) == NULL) {
		report_oom(r);
		return -1;
	}
	if (replace_string(&c->user, v, r) == -1) {
		free(name);
		return -1;
	}
	free(c->user_name);
	c->user_name = name;
	c->uid = pw->pw_uid;
	c->user_gid = pw->pw_gid;
	return 0;
}

/* The group named v (or a gid), or NULL after reporting why not. */
static struct group *
find_group(const char *v, struct report *r)
{
	struct group	*gr;

	if ((gr = creds_find_group(v)) == NULL) {
		if (errno != ENOENT)
			conf_report(r, "cannot look up '%s': %s", v,
			    strerror(errno));
		else
			conf_report(r, "unknown group '%s'", v);
	}
	return gr;
}

static int
set_group(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct group	*gr;

	if ((gr = find_group(v, r)) == NULL)
		return -1;
	if (replace_string(&c->group, v, r) == -1)
		return -1;
	c->group_gid = gr->gr_gid;
	return 0;
}

/* One of a few words, stored as its index in key_words (an enum). */
static int
set_word(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	int		*field = (int *)(void *)((char *)c + k->off);
	char		 list[64] = "";
	size_t		 i, j;

	for (i = 0; i < nitems(key_words); i++)
		if (&keys[key_words[i].key] == k)
			break;
	assert(i < nitems(key_words));
	for (j = 0; key_words[i].words[j] != NULL; j++) {
		if (strcmp(v, key_words[i].words[j]) == 0) {
			*field = (int)j;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", j > 0 ? ", " : "", key_words[i].words[j]);
	}
	conf_report(r, "'%s' is not one of %s", v, list);
	return -1;
}

/*
 * lifetime_jitter: a share of max_lifetime, "10%" (0 to 99: a lifetime
 * is never drawn as 0), or a duration.
 */
static int
set_jitter(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	size_t		len = strlen(v);
	uint64_t	pct;
	char		num[16];

	if (len > 1 && v[len - 1] == '%') {
		snprintf(num, sizeof(num), "%.*s", (int)(len - 1), v);
		if (len - 1 >= sizeof(num) || conf_parse_number(num, 0, 99,
		    &pct) != CONF_PE_OK) {
			conf_report(r, "'%s' is not a percentage from 0%% to "
			    "99%%", v);
			return -1;
		}
		c->jitter_pct = (int)pct;
		c->lifetime_jitter = 0;
		return 0;
	}
	if (set_duration(c, &(struct key){ k->name, set_duration,
	    F(lifetime_jitter), 0, k->max, 0 }, v, r) == -1)
		return -1;
	c->jitter_pct = -1;
	return 0;
}

/*
 * control: the control socket's path, absolute (preforkctl -c finds it
 * from any directory), and short enough for a unix socket's address.
 */
static int
set_control(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct sockaddr_un	sun;

	if (strlen(v) >= sizeof(sun.sun_path)) {
		conf_report(r, "'%s' is too long for a unix socket (%zu bytes "
		    "at most)", v, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (set_path(c, k, v, r) == -1)
		return -1;
	c->control_set = true;
	return 0;
}

/* control_group: a group whose members may use the control socket. */
static int
set_control_group(struct conf *c, const struct key *k, const char *v,
    struct report *r)
{
	struct group	*gr;

	if (strcmp(v, "none") == 0) {
		free(c->control_group);
		c->control_group = NULL;
		c->control_gid = (gid_t)-1;
		return 0;
	}
	if ((gr = find_group(v, r)) == NULL)
		return -1;
	if (replace_string(&c->control_group, v, r) == -1)
		return -1;
	c->control_gid = gr->gr_gid;
	return 0;
}

/*
 * Computes the worker's gid and groups from user and group, which may
 * be set in any order. Returns 0, or -1 (ENOMEM), keeping the old ones.
 */
static int
conf_resolve_creds(struct conf *c)
{
	gid_t	*groups = NULL;
	size_t	 ngroups = 0;
	gid_t	 gid = (gid_t)-1;

	if (c->group != NULL)
		gid = c->group_gid;
	if (c->user != NULL) {
		if (c->group == NULL)
			gid = c->user_gid;
		if (creds_list_groups(c->user_name, gid, &groups,
		    &ngroups) == -1)
			return -1;
	}
	free(c->groups);
	c->groups = groups;
	c->ngroups = ngroups;
	c->gid = gid;
	return 0;
}

/*
 * Keys.
 */

enum conf_key
conf_key_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return (enum conf_key)i;
	return CONF_KEY_COUNT;
}

const char *
conf_key_name(enum conf_key k)
{
	return keys[k].name;
}

bool
conf_key_continues(enum conf_key k)
{
	return (keys[k].flags & K_CONT) != 0;
}

const char *
conf_key_suggest(const char *name)
{
	const char	*names[CONF_KEY_COUNT];
	size_t		 i;

	for (i = 0; i < nitems(keys); i++)
		names[i] = keys[i].name;
	return util_suggest(name, names, nitems(names));
}

int
conf_key_apply(struct conf *c, enum conf_key k, const char *v,
    struct report *r)
{
	if (*v == '\0') {
		conf_report(r, "empty value");
		return -1;
	}
	if (keys[k].set(c, &keys[k], v, r) == -1)
		return -1;
	if ((k == CONF_KEY_USER || k == CONF_KEY_GROUP) &&
	    conf_resolve_creds(c) == -1) {
		report_oom(r);
		return -1;
	}
	return 0;
}

/*
 * The API.
 */

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->profile = size_profile_default();
	c->min_workers = 1;
	c->workers_per_cpu = 2;
	c->extra_workers = 1;
	c->graceful_timeout = 30000;
	c->min_uptime = 1000;
	c->restart_delay = 100;
	c->restart_delay_max = 30000;
	c->ready = READY_EXEC;
	c->ready_timeout = 60000;
	c->timeout = 0;
	c->backlog = 2048;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->user_gid = (gid_t)-1;
	c->group_gid = (gid_t)-1;
	c->log_level = LOG_LEVEL_INFO;
	c->metrics_interval = 15000;
	c->control_gid = (gid_t)-1;
	c->measure = MEASURE_PSS;
	c->jitter_pct = 10;
	c->recycle = RECYCLE_SURGE;
	c->max_recycling = 1;
	c->check_interval = 10000;
	c->worker_cgroup = TRI_AUTO;
	c->autoscale_interval = 30000;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	free(c->path);
	strv_free(&c->argv);
	free(c->command);
	free(c->worker_class);
	strv_free(&c->listen);
	free(c->user);
	free(c->group);
	free(c->groups);
	free(c->user_name);
	free(c->chdir);
	free(c->pidfile);
	free(c->log_file);
	free(c->metrics_file);
	free(c->metrics_listen);
	free(c->control);
	free(c->control_group);
	strv_free(&c->env);
	for (i = 0; i < nitems(c->origins); i++)
		free(c->origins[i]);
	conf_init(c);
}

int
conf_set(struct conf *c, const char *key, const char *value,
    const char *origin, struct strv *errs)
{
	enum conf_key	 k = conf_key_find(key);
	struct report	 r = { .errs = errs, .origin = origin, .key = key };
	char		*copy;

	if (k == CONF_KEY_COUNT) {
		const char	*near = conf_key_suggest(key);

		if (near != NULL)
			conf_report(&r, "unknown key '%s' (did you mean "
			    "'%s'?)", key, near);
		else
			conf_report(&r, "unknown key '%s'", key);
		return r.n;
	}
	if (conf_key_apply(c, k, value, &r) == -1)
		return r.n;
	if ((copy = strdup(origin)) == NULL) {
		report_oom(&r);
		return r.n;
	}
	free(c->origins[k]);
	c->origins[k] = copy;
	c->lines[k] = 0;
	return 0;
}

int
conf_set_argv(struct conf *c, char *const argv[], int argc)
{
	struct strv	 words = STRV_INIT;
	char		*command;
	size_t		 i;

	if (argc <= 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < (size_t)argc; i++) {
		if (strv_push(&words, argv[i]) == -1) {
			strv_free(&words);
			return -1;
		}
	}
	if ((command = words_join(argv, (size_t)argc)) == NULL) {
		strv_free(&words);
		return -1;
	}
	strv_free(&c->argv);
	c->argv = words;
	free(c->command);
	c->command = command;
	c->lines[CONF_KEY_COMMAND] = 0;
	return 0;
}

/* The command key's grammar is the shell's, kept in words.c. */
int
conf_split_words(const char *s, struct strv *words, const char **why)
{
	return words_split(s, words, why);
}

const char *
conf_key_where(const struct conf *c, enum conf_key k, char *buf, size_t len)
{
	if (c->lines[k] != 0 && c->path != NULL)
		snprintf(buf, len, "%s:%u: ", c->path, c->lines[k]);
	else if (c->origins[k] != NULL)
		snprintf(buf, len, "%s: ", c->origins[k]);
	else
		return "";
	return buf;
}

