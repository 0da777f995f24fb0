#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "env.h"

/*
 * Variables meant for the master alone, or set by prefork per worker.
 * Passing the master's NOTIFY_SOCKET on would let any worker speak for
 * the whole service to systemd.
 */
static const char *const reserved[] = {
	"NOTIFY_SOCKET",
	"LISTEN_FDS",
	"LISTEN_PID",
	"LISTEN_FDNAMES",
	"WATCHDOG_USEC",
	"WATCHDOG_PID",
	"PREFORK_WORKER_ID",
	"PREFORK_WORKERS",
	"PREFORK_WORKER_CLASS",
};

/* The length of the name in "NAME=value". */
static size_t
env_namelen(const char *var)
{
	return strcspn(var, "=");
}

static bool
env_same_name(const char *a, const char *b)
{
	size_t	n = env_namelen(a);

	return n == env_namelen(b) && strncmp(a, b, n) == 0;
}

bool
env_reserved(const char *var)
{
	size_t	i;

	for (i = 0; i < nitems(reserved); i++)
		if (env_same_name(var, reserved[i]))
			return true;
	return false;
}

static bool
env_in(const struct strv *sv, const char *var)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (env_same_name(sv->v[i], var))
			return true;
	return false;
}

int
env_base(struct strv *base, char *const *environ, const struct strv *pairs)
{
	struct strv	tmp = STRV_INIT;
	size_t		i;

	for (; environ != NULL && *environ != NULL; environ++) {
		if (env_reserved(*environ) || env_in(pairs, *environ))
			continue;
		if (strv_push(&tmp, *environ) == -1)
			goto fail;
	}
	for (i = 0; i < pairs->n; i++)
		if (strv_push(&tmp, pairs->v[i]) == -1)
			goto fail;
	strv_free(base);
	*base = tmp;
	return 0;

fail:
	strv_free(&tmp);
	return -1;
}

void
env_worker(char **envp, const struct strv *base, char *const *extra)
{
	size_t	i, n = 0;

	for (i = 0; i < base->n; i++)
		envp[n++] = base->v[i];
	for (i = 0; extra != NULL && extra[i] != NULL && i < ENV_EXTRA_MAX;
	    i++)
		envp[n++] = extra[i];
	envp[n] = NULL;
}
