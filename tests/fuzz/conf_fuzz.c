/* SPDX-License-Identifier: ISC */
/*
 * conf_fuzz: feeds arbitrary text to the configuration reader of conf.c.
 *
 * The input up to its first NUL byte is an INI file: conf_load_string()
 * reads it (through inih and our line reader) into a fresh struct conf.
 * The next NUL-separated part, if any, is a command line override given
 * to conf_set(): "KEY=VALUE", or a byte that picks one of the keys
 * followed by the value. That value also goes to the value parsers on
 * their own (conf_parse_duration, _size, _uint, conf_split_words), and
 * the words it splits into go through conf_set_argv() and must split
 * back to the same words. A known key must also mean the same, or fail
 * with the same message, in a file of its own. Then conf_validate()
 * runs, and conf_free() must leave nothing behind, which LeakSanitizer
 * checks.
 *
 * An input that starts with the byte 0x01 is a file instead, NUL bytes
 * and all: written to a memfd, read back with conf_load() through
 * /proc/self/fd, the way prefork reads -c FILE.
 *
 * Every error message must be counted, name its file or origin, and be
 * free of control characters, as conf.h promises; those of a file name
 * one of its lines, in order.
 */
#include "config.h"

#include <sys/stat.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_parse.h"
#include "fuzz.h"

#define NAME		"fuzz.ini"
#define ORIGIN		"-o"
#define FILE_MODE	0x01	/* first byte: the rest is a file */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The [prefork] keys, as conf_set() knows them. */
static const char *const key_names[] = {
	[CONF_KEY_COMMAND] = "command",
	[CONF_KEY_PROFILE] = "profile",
	[CONF_KEY_WORKERS] = "workers",
	[CONF_KEY_MAX_WORKERS] = "max_workers",
	[CONF_KEY_MIN_WORKERS] = "min_workers",
	[CONF_KEY_WORKERS_PER_CPU] = "workers_per_cpu",
	[CONF_KEY_EXTRA_WORKERS] = "extra_workers",
	[CONF_KEY_CPUS] = "cpus",
	[CONF_KEY_MEMORY] = "memory",
	[CONF_KEY_WORKER_MEMORY] = "worker_memory",
	[CONF_KEY_WORKER_CLASS] = "worker_class",
	[CONF_KEY_GRACEFUL_TIMEOUT] = "graceful_timeout",
	[CONF_KEY_MIN_UPTIME] = "min_uptime",
	[CONF_KEY_RESTART_DELAY] = "restart_delay",
	[CONF_KEY_RESTART_DELAY_MAX] = "restart_delay_max",
	[CONF_KEY_HALT_EXIT_CODES] = "halt_exit_codes",
	[CONF_KEY_READY] = "ready",
	[CONF_KEY_READY_TIMEOUT] = "ready_timeout",
	[CONF_KEY_TIMEOUT] = "timeout",
	[CONF_KEY_LISTEN] = "listen",
	[CONF_KEY_BACKLOG] = "backlog",
	[CONF_KEY_USER] = "user",
	[CONF_KEY_GROUP] = "group",
	[CONF_KEY_CHDIR] = "chdir",
	[CONF_KEY_UMASK] = "umask",
	[CONF_KEY_PIDFILE] = "pidfile",
	[CONF_KEY_LOG_LEVEL] = "log_level",
	[CONF_KEY_LOG_FILE] = "log_file",
	[CONF_KEY_FORWARD_USR1] = "forward_usr1",
	[CONF_KEY_METRICS_FILE] = "metrics_file",
	[CONF_KEY_METRICS_INTERVAL] = "metrics_interval",
	[CONF_KEY_METRICS_LISTEN] = "metrics_listen",
	[CONF_KEY_CONTROL] = "control",
	[CONF_KEY_CONTROL_GROUP] = "control_group",
	[CONF_KEY_MAX_WORKER_MEMORY] = "max_worker_memory",
	[CONF_KEY_WORKER_MEMORY_MEASURE] = "worker_memory_measure",
	[CONF_KEY_MAX_LIFETIME] = "max_lifetime",
	[CONF_KEY_LIFETIME_JITTER] = "lifetime_jitter",
	[CONF_KEY_RECYCLE] = "recycle",
	[CONF_KEY_MAX_RECYCLING] = "max_recycling",
	[CONF_KEY_CHECK_INTERVAL] = "check_interval",
	[CONF_KEY_WORKER_CGROUP] = "worker_cgroup",
	[CONF_KEY_AUTOSCALE] = "autoscale",
	[CONF_KEY_AUTOSCALE_INTERVAL] = "autoscale_interval",
	[CONF_KEY_AUTOSCALE_MAX] = "autoscale_max",
};

static_assert(nitems(key_names) == CONF_KEY_COUNT, "a key without a name");

/*
 * Checks the messages added to errs from index from on: there are n,
 * each starts with prefix, and none holds a control character.
 */
static void
check_errors(const struct strv *errs, size_t from, int n, const char *prefix)
{
	size_t	i;
	char	*p;

	FUZZ_CHECK(n >= 0 && errs->n - from == (size_t)n);
	for (i = from; i < errs->n; i++) {
		FUZZ_CHECK(strncmp(errs->v[i], prefix, strlen(prefix)) == 0);
		for (p = errs->v[i]; *p != '\0'; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
}

/* The lines of a file of n bytes: the last one may lack its newline. */
static unsigned long
count_lines(const char *s, size_t n)
{
	unsigned long	lines = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			lines++;
	return lines + (n > 0 && s[n - 1] != '\n');
}

/*
 * The messages of a file, "NAME:LINE: message", come sorted by line,
 * and each names one of the file's nlines lines.
 */
static void
check_lines(const struct strv *errs, const char *name, unsigned long nlines)
{
	unsigned long	 line, prev = 1;
	size_t		 i, len = strlen(name);
	const char	*s;
	char		*end;

	for (i = 0; i < errs->n; i++) {
		s = errs->v[i] + len + 1;
		line = strtoul(s, &end, 10);
		FUZZ_CHECK(end > s && *end == ':');
		FUZZ_CHECK(line >= prev && line <= nlines);
		prev = line;
	}
}

/* The value parsers on their own agree with their contracts. */
static void
fuzz_values(const char *v)
{
	const char		*why;
	uint64_t		 u64;
	unsigned		 u;
	unsigned long long	 w;
	char			*end;

	if (conf_parse_duration(v, &u64, &why) == 0)
		FUZZ_CHECK(u64 <= CONF_DURATION_MAX_MS);
	else
		FUZZ_CHECK(why != NULL);
	if (conf_parse_size(v, &u64, &why) == 0 && v[0] >= '0' &&
	    v[0] <= '9' && v[strspn(v, "0123456789")] == '\0') {
		errno = 0;
		w = strtoull(v, &end, 10);
		FUZZ_CHECK(errno == 0 && *end == '\0' && w == u64);
	}
	if (conf_parse_uint(v, 0, UINT_MAX, &u, &why) == 0) {
		FUZZ_CHECK(v[0] >= '0' && v[0] <= '9');
		errno = 0;
		w = strtoull(v, &end, 10);
		FUZZ_CHECK(errno == 0 && *end == '\0' && w == u);
	}
	if (conf_parse_uint(v, 1, 4096, &u, &why) == 0)
		FUZZ_CHECK(u >= 1 && u <= 4096);
}

/*
 * The words v splits into, made a command by conf_set_argv(), must
 * split back into the same words: the command is logged quoted for a
 * shell, and a reader must be able to trust it.
 */
static void
fuzz_words(struct conf *c, const char *v)
{
	struct strv	 words = STRV_INIT, back = STRV_INIT;
	const char	*why = NULL;
	size_t		 i;

	if (conf_split_words(v, &words, &why) == -1) {
		FUZZ_CHECK(why != NULL && words.n == 0);
		strv_free(&words);
		return;
	}
	if (words.n > 0 && words.n <= INT_MAX &&
	    conf_set_argv(c, words.v, (int)words.n) == 0) {
		FUZZ_CHECK(conf_split_words(c->command, &back, &why) == 0);
		FUZZ_CHECK(back.n == words.n);
		for (i = 0; i < words.n; i++)
			FUZZ_CHECK(strcmp(back.v[i], words.v[i]) == 0);
		FUZZ_CHECK(strv_equal(&c->argv, &words));
	}
	strv_free(&words);
	strv_free(&back);
}

/*
 * True when "KEY = v" on a line of its own reaches the handler as v:
 * it fits on the line, and inih has no blank to trim around it, no
 * inline comment to cut and no newline to split it at.
 */
static bool
plain_value(const char *key, const char *v)
{
	size_t	i, n = strlen(v);

	if (strlen(key) + 3 + n > CONF_LINE_MAX || n == 0)
		return n == 0;
	if (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))
		return false;
	/* v follows " = ": a ';' first starts a comment too. */
	for (i = 0; i < n; i++)
		if (v[i] == '\n' || (v[i] == ';' && (i == 0 ||
		    isspace((unsigned char)v[i - 1]))))
			return false;
	return true;
}

/* The part of a message after its file, line and key, or its origin. */
static const char *
message_body(const char *msg, const char *prefix)
{
	size_t	n = strlen(prefix);

	FUZZ_CHECK(strncmp(msg, prefix, n) == 0);
	return msg + n;
}

/* Every setting that a key can change, compared. */
static bool
conf_same(const struct conf *a, const struct conf *b)
{
	return !conf_worker_changed(a, b) && a->profile == b->profile &&
	    a->workers == b->workers && a->max_workers == b->max_workers &&
	    a->min_workers == b->min_workers &&
	    a->workers_per_cpu == b->workers_per_cpu &&
	    a->extra_workers == b->extra_workers && a->cpus == b->cpus &&
	    a->memory == b->memory && a->worker_memory == b->worker_memory &&
	    a->graceful_timeout == b->graceful_timeout &&
	    a->min_uptime == b->min_uptime &&
	    a->restart_delay == b->restart_delay &&
	    a->restart_delay_max == b->restart_delay_max &&
	    memcmp(a->halt_exit_codes, b->halt_exit_codes,
	    sizeof(a->halt_exit_codes)) == 0 &&
	    a->ready_timeout == b->ready_timeout &&
	    a->backlog == b->backlog && a->log_level == b->log_level &&
	    util_streq(a->command, b->command) &&
	    util_streq(a->user, b->user) && util_streq(a->group, b->group) &&
	    util_streq(a->pidfile, b->pidfile) &&
	    util_streq(a->log_file, b->log_file) &&
	    util_streq(a->metrics_file, b->metrics_file) &&
	    a->metrics_interval == b->metrics_interval &&
	    util_streq(a->metrics_listen, b->metrics_listen) &&
	    util_streq(a->control, b->control) &&
	    util_streq(a->control_group, b->control_group) &&
	    a->control_gid == b->control_gid &&
	    a->max_worker_memory == b->max_worker_memory &&
	    a->measure == b->measure && a->max_lifetime == b->max_lifetime &&
	    a->jitter_pct == b->jitter_pct &&
	    a->lifetime_jitter == b->lifetime_jitter &&
	    a->recycle == b->recycle && a->max_recycling == b->max_recycling &&
	    a->check_interval == b->check_interval &&
	    a->worker_cgroup == b->worker_cgroup &&
	    a->autoscale == b->autoscale &&
	    a->autoscale_interval == b->autoscale_interval &&
	    a->autoscale_max == b->autoscale_max;
}

/*
 * A key set from the command line and the same key in a file must mean
 * the same: both take the value or both refuse it, with the same words.
 */
static void
fuzz_agree(const char *key, const char *v)
{
	struct conf	 a, b;
	struct strv	 ea = STRV_INIT, eb = STRV_INIT;
	char		 text[CONF_LINE_MAX + 16], prefix[64];
	int		 na, nb;

	if (!plain_value(key, v))
		return;
	snprintf(text, sizeof(text), "[prefork]\n%s = %s\n", key, v);
	snprintf(prefix, sizeof(prefix), NAME ":2: %s: ", key);
	conf_init(&a);
	conf_init(&b);
	na = conf_load_string(&a, NAME, text, &ea);
	nb = conf_set(&b, key, v, ORIGIN, &eb);
	FUZZ_CHECK(na == nb);
	if (na == 0)
		FUZZ_CHECK(conf_same(&a, &b));
	else
		FUZZ_CHECK(strcmp(message_body(ea.v[0], prefix),
		    message_body(eb.v[0], ORIGIN ": ")) == 0);
	conf_free(&a);
	conf_free(&b);
	strv_free(&ea);
	strv_free(&eb);
}

/* "KEY=VALUE", or a byte picking a key and then the value. */
static void
fuzz_override(struct conf *c, char *s, struct strv *errs)
{
	const char	*key, *value;
	char		*eq;
	size_t		 i, from = errs->n;
	int		 n;

	if ((eq = strchr(s, '=')) != NULL) {
		*eq = '\0';
		key = s;
		value = eq + 1;
	} else if (*s != '\0') {
		key = key_names[(unsigned char)*s % CONF_KEY_COUNT];
		value = s + 1;
	} else
		return;
	for (i = 0; i < nitems(key_names); i++)
		if (strcmp(key, key_names[i]) == 0)
			fuzz_agree(key, value);
	n = conf_set(c, key, value, ORIGIN, errs);
	FUZZ_CHECK(n == 0 || n == 1);
	check_errors(errs, from, n, ORIGIN ": ");
	fuzz_values(value);
	fuzz_words(c, value);
}

/* What holds of any configuration, loaded with errors or not. */
static void
check_conf(struct conf *c, struct strv *errs, const char *name)
{
	struct conf	def;
	size_t		from = errs->n;
	int		n;

	FUZZ_CHECK(c->path != NULL && strcmp(c->path, name) == 0);
	if (c->argv.n > 0)
		FUZZ_CHECK(c->argv.v[c->argv.n] == NULL && c->command != NULL);
	n = conf_validate(c, errs);
	check_errors(errs, from, n, "");
	FUZZ_CHECK(conf_worker_class(c) != NULL);
	FUZZ_CHECK(!conf_worker_changed(c, c));
	conf_init(&def);
	FUZZ_CHECK(conf_worker_changed(c, &def) ==
	    conf_worker_changed(&def, c));
	conf_free(&def);
	FUZZ_CHECK(!conf_halts(c, -1) && !conf_halts(c, 256));
}

/* The scratch file's directory, removed when the fuzzer exits. */
static char	scratch_dir[64], scratch_path[96];

static void
scratch_remove(void)
{
	unlink(scratch_path);
	rmdir(scratch_dir);
}

/*
 * The input as a file, through the stdio reader, which sees the NUL
 * bytes a string cannot hold. The file is a real one, mode 0600 in a
 * directory of its own: a root master checks the file and every
 * directory on its real path (files_test covers that), and here the
 * file's contents are fuzzed, not its place. It lives as long as the
 * process.
 */
static void
fuzz_file(const uint8_t *data, size_t size)
{
	static int	 fd = -2;
	const char	*path = scratch_path;
	struct conf	 c;
	struct strv	 errs = STRV_INIT;
	int		 n;

	if (fd == -2) {
		fd = -1;
		snprintf(scratch_dir, sizeof(scratch_dir),
		    "/tmp/conf_fuzz.XXXXXX");
		if (mkdtemp(scratch_dir) == NULL)
			return;
		snprintf(scratch_path, sizeof(scratch_path), "%s/fuzz.ini",
		    scratch_dir);
		fd = open(scratch_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		atexit(scratch_remove);
	}
	if (fd == -1 || ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return;
	conf_init(&c);
	n = conf_load(&c, path, &errs);
	check_errors(&errs, 0, n, path);
	check_lines(&errs, path, count_lines((const char *)data, size));
	check_conf(&c, &errs, path);
	conf_free(&c);
	strv_free(&errs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	struct conf	 c;
	struct strv	 errs = STRV_INIT;
	char		*text, *over;
	int		 n;

	if (size > 0 && data[0] == FILE_MODE) {
		fuzz_file(data + 1, size - 1);
		return 0;
	}
	fuzz_in_init(&in, data, size);
	text = fuzz_in_next(&in);
	over = fuzz_in_next(&in);
	conf_init(&c);
	n = conf_load_string(&c, NAME, text, &errs);
	check_errors(&errs, 0, n, NAME ":");
	check_lines(&errs, NAME, count_lines(text, strlen(text)));
	if (over != NULL)
		fuzz_override(&c, over, &errs);
	check_conf(&c, &errs, NAME);
	conf_free(&c);
	strv_free(&errs);
	free(text);
	free(over);
	return 0;
}
