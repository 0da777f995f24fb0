/* SPDX-License-Identifier: ISC */
/*
 * The configuration: defaults, the INI file (parsed with inih), command
 * line overrides, and validation. Every problem found is appended to an
 * error list as "FILE:LINE: message" (or "ORIGIN: message" for values
 * that come from the command line), so that all of them can be reported
 * at once. A struct conf that loaded with errors must not be used; the
 * caller keeps the one it had.
 */
#ifndef PREFORK_CONF_H
#define PREFORK_CONF_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "size.h"
#include "util.h"

/*
 * Every [prefork] key, in the order of prefork.ini(5) KEYS; indexes
 * lines[].
 */
enum conf_key {
	CONF_KEY_COMMAND,
	CONF_KEY_PROFILE,
	CONF_KEY_WORKERS,
	CONF_KEY_MAX_WORKERS,
	CONF_KEY_MIN_WORKERS,
	CONF_KEY_WORKERS_PER_CPU,
	CONF_KEY_EXTRA_WORKERS,
	CONF_KEY_CPUS,
	CONF_KEY_MEMORY,
	CONF_KEY_WORKER_MEMORY,
	CONF_KEY_WORKER_CLASS,
	CONF_KEY_GRACEFUL_TIMEOUT,
	CONF_KEY_MIN_UPTIME,
	CONF_KEY_RESTART_DELAY,
	CONF_KEY_RESTART_DELAY_MAX,
	CONF_KEY_HALT_EXIT_CODES,
	CONF_KEY_READY,
	CONF_KEY_READY_TIMEOUT,
	CONF_KEY_TIMEOUT,
	CONF_KEY_LISTEN,
	CONF_KEY_BACKLOG,
	CONF_KEY_USER,
	CONF_KEY_GROUP,
	CONF_KEY_CHDIR,
	CONF_KEY_UMASK,
	CONF_KEY_PIDFILE,
	CONF_KEY_LOG_LEVEL,
	CONF_KEY_LOG_FILE,
	CONF_KEY_FORWARD_USR1,
	CONF_KEY_METRICS_FILE,
	CONF_KEY_METRICS_INTERVAL,
	CONF_KEY_METRICS_LISTEN,
	CONF_KEY_CONTROL,
	CONF_KEY_CONTROL_GROUP,
	CONF_KEY_MAX_WORKER_MEMORY,
	CONF_KEY_WORKER_MEMORY_MEASURE,
	CONF_KEY_MAX_LIFETIME,
	CONF_KEY_LIFETIME_JITTER,
	CONF_KEY_RECYCLE,
	CONF_KEY_MAX_RECYCLING,
	CONF_KEY_CHECK_INTERVAL,
	CONF_KEY_WORKER_CGROUP,
	CONF_KEY_AUTOSCALE,
	CONF_KEY_AUTOSCALE_INTERVAL,
	CONF_KEY_AUTOSCALE_MAX,
	CONF_KEY_COUNT
};

/* inih's line limit, newline not counted. */
#define CONF_LINE_MAX	199

/* worker_memory_measure: what max_worker_memory is compared with. */
enum mem_measure {
	MEASURE_PSS,		/* fair share of shared pages */
	MEASURE_RSS,		/* resident, shared pages counted whole */
	MEASURE_USS,		/* private pages only */
};

/* recycle: how a worker is replaced when it is recycled. */
enum recycle_mode {
	RECYCLE_SURGE,		/* the new one ready before the old stops */
	RECYCLE_STOP_FIRST,	/* the old one stopped, then the new one */
};

/* worker_cgroup: a cgroup v2 leaf per worker. */
enum tristate {
	TRI_AUTO,
	TRI_ON,
	TRI_OFF,
};

enum ready_mode {
	READY_EXEC,		/* ready once exec succeeds */
	READY_NOTIFY,		/* ready once it sends READY=1 */
};

struct conf {
	char			*path;		/* file read; NULL if none */

	/* The worker command: argv is NULL-terminated; n is 0 if unset. */
	struct strv		 argv;
	char			*command;	/* as written, for the log */

	/* Sizing (section 1 of the spec). */
	const struct profile	*profile;
	unsigned		 workers;		/* 0 = auto */
	unsigned		 max_workers;		/* 0 = profile's */
	unsigned		 min_workers;
	unsigned		 workers_per_cpu;
	unsigned		 extra_workers;
	unsigned		 cpus;			/* 0 = auto */
	uint64_t		 memory;		/* bytes, 0 = auto */
	uint64_t		 worker_memory;		/* bytes, 0 = off */
	char			*worker_class;		/* NULL = profile's */

	/* Supervision; every duration is in milliseconds. */
	uint64_t		 graceful_timeout;
	uint64_t		 min_uptime;
	uint64_t		 restart_delay;
	uint64_t		 restart_delay_max;
	uint8_t			 halt_exit_codes[32];	/* bitmap of 0..255 */
	enum ready_mode		 ready;
	uint64_t		 ready_timeout;
	uint64_t		 timeout;		/* 0 = off */

	/* Sockets: "HOST:PORT", "[V6]:PORT" or "unix:/path" each. */
	struct strv		 listen;
	unsigned		 backlog;

	/*
	 * Worker credentials, resolved when the file is read: user and
	 * group are the names as written (NULL = unchanged); uid, gid
	 * and the supplementary groups are what the worker gets. When
	 * gid is set the worker's supplementary groups are exactly
	 * groups[0..ngroups): those of user (getgrouplist), or none
	 * when only group is set.
	 */
	char			*user;
	char			*group;
	uid_t			 uid;		/* (uid_t)-1 = unchanged */
	gid_t			 gid;		/* (gid_t)-1 = unchanged */
	gid_t			*groups;	/* set when user is */
	size_t			 ngroups;
	/* Private to conf.c: what resolving user and group found. */
	char			*user_name;	/* user's passwd name */
	gid_t			 user_gid;	/* user's primary group */
	gid_t			 group_gid;	/* group's id */

	char			*chdir;		/* NULL = unchanged */
	mode_t			 umask;
	bool			 umask_set;

	char			*pidfile;	/* NULL = none */
	enum log_level		 log_level;
	char			*log_file;	/* NULL = stderr */
	bool			 forward_usr1;	/* USR1 to the workers too */

	/* Metrics: a textfile, written every metrics_interval ms, and a
	   TCP "HOST:PORT" serving HTTP; NULL = none. */
	char			*metrics_file;
	uint64_t		 metrics_interval;
	char			*metrics_listen;

	/*
	 * The control socket: an absolute path, or NULL for none. Not set
	 * in the file, it is $RUNTIME_DIRECTORY/control.sock under systemd
	 * (conf_build() decides). control_group, when set, may use it
	 * too: the socket is then 0660 and of group control_gid.
	 */
	char			*control;
	char			*control_group;
	gid_t			 control_gid;	/* (gid_t)-1 = none */
	bool			 control_set;	/* in the file, or by
						   conf_set() */

	/*
	 * Recycling: memory in bytes (0 = none), durations in ms (0 =
	 * none); the jitter is a share of max_lifetime in percent, or, when
	 * jitter_pct is -1, lifetime_jitter ms.
	 */
	uint64_t		 max_worker_memory;
	enum mem_measure	 measure;
	uint64_t		 max_lifetime;
	int			 jitter_pct;
	uint64_t		 lifetime_jitter;
	enum recycle_mode	 recycle;
	unsigned		 max_recycling;
	uint64_t		 check_interval;
	enum tristate		 worker_cgroup;

	/*
	 * Adaptive sizing: the master applies the pool advisor's
	 * suggestion itself every autoscale_interval ms, one step at a
	 * time, between min_workers and autoscale_max (0 = the sizing
	 * result). The three are the master's: a change needs no worker
	 * restarted.
	 */
	bool			 autoscale;
	uint64_t		 autoscale_interval;
	unsigned		 autoscale_max;

	/* [env]: "NAME=value" strings, in file order. */
	struct strv		 env;

	/*
	 * Where each key was set, for cross-key messages: its line in
	 * the file (0 = not from the file), or the origin conf_set() was
	 * given (NULL = not from there); both unset = the default.
	 */
	unsigned		 lines[CONF_KEY_COUNT];
	char			*origins[CONF_KEY_COUNT];
};

/* Where a configuration comes from, kept by the master for reloads. */
struct conf_source {
	const char	*path;		/* -c FILE, or NULL */
	struct strv	 overrides;	/* key, value, origin triples from
					   the command line */
	char *const	*argv;		/* the command line's command */
	int		 argc;		/* 0 when none */
};

/* Fills c with the defaults of every key. This function can't fail. */
void	conf_init(struct conf *c);

/* Frees what c owns and leaves it as conf_init() made it. */
void	conf_free(struct conf *c);

/*
 * Reads the INI file at path into c, which conf_init() prepared. Every
 * problem (unreadable file, syntax, unknown section or key, duplicate,
 * bad value, out of range, line too long) is appended to errs. Returns
 * the number of problems; 0 means c is usable.
 */
int	conf_load(struct conf *c, const char *path, struct strv *errs);

/* Same as conf_load(), from a string; name stands for the file name. */
int	conf_load_string(struct conf *c, const char *name, const char *text,
	    struct strv *errs);

/*
 * Sets one [prefork] key from a value given elsewhere (a command line
 * option): problems are reported as "ORIGIN: message". It replaces a
 * value from the file without a duplicate error. Returns the number of
 * problems (0 or 1).
 */
int	conf_set(struct conf *c, const char *key, const char *value,
	    const char *origin, struct strv *errs);

/*
 * Sets the worker command from an argument vector (the command line's,
 * which wins over the file's command); command becomes the words quoted
 * for a shell, for the log. Returns 0, or -1 with errno set: ENOMEM, or
 * EINVAL when argc is not positive. c is unchanged on error.
 */
int	conf_set_argv(struct conf *c, char *const argv[], int argc);

/*
 * Where key k was set, as a prefix for a message about its value:
 * "FILE:LINE: " from the file, "ORIGIN: " from elsewhere (the command
 * line), "" for the default. Written into buf when not "".
 */
const char	*conf_key_where(const struct conf *c, enum conf_key k,
		    char *buf, size_t len);

/*
 * Builds c from scratch: the defaults, the file, then the command line's
 * overrides and command, which win; then conf_validate(). Returns the
 * number of problems appended to errs: c is usable only when it is 0,
 * and must be freed with conf_free() either way.
 */
int	conf_build(struct conf *c, const struct conf_source *src,
	    struct strv *errs);

/*
 * Checks what involves several keys (min_workers above max_workers,
 * restart_delay above restart_delay_max, timeout without ready =
 * notify, ...), once the file and the overrides are in. Returns the
 * number of problems, appended to errs.
 */
int	conf_validate(struct conf *c, struct strv *errs);

/* The worker class: the configured one, or the profile's. */
const char	*conf_worker_class(const struct conf *c);

/* True when exit status code (0..255) is one of halt_exit_codes. */
bool	conf_halts(const struct conf *c, int code);

/*
 * True when workers started under a would differ from those started
 * under b: command, [env], worker class, credentials, chdir, umask,
 * listening sockets, ready mode and timeout. Sizing keys do not count.
 */
bool	conf_worker_changed(const struct conf *a, const struct conf *b);

/*
 * Splits the value of the command key into words, appended to words,
 * exactly as words_split() does (see words.h): shell quoting, nothing
 * expanded. Returns 0, or -1 with a static reason in *why that stands
 * alone ("unterminated single quote"); words is then unchanged.
 */
int	conf_split_words(const char *s, struct strv *words, const char **why);

#endif /* PREFORK_CONF_H */
