/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

/*
 * Variables meant for the master alone, or set by prefork per worker.
 * Passing the master's NOTIFY_SOCKET on would let any worker speak for
 * the whole service to systemd.
 */
static const struct {
	const char	*name;
	const char	*hint;	/* for [env]: what to set instead */
} reserved[] = {
	{ "NOTIFY_SOCKET", "use ready and timeout" },
	{ "LISTEN_FDS", "use listen" },
	{ "LISTEN_PID", "use listen" },
	{ "LISTEN_FDNAMES", "use listen" },
	{ "WATCHDOG_USEC", "use ready and timeout" },
	{ "WATCHDOG_PID", "use ready and timeout" },
	{ "PREFORK_WORKER_ID", "it is the worker's slot" },
	{ "PREFORK_WORKERS", "use workers" },
	{ "PREFORK_WORKER_CLASS", "use worker_class" },
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

const char *
env_reserved_hint(const char *var)
{
	size_t	i;

	for (i = 0; i < nitems(reserved); i++)
		if (env_same_name(var, reserved[i].name))
			return reserved[i].hint;
	return NULL;
}

bool
env_reserved(const char *var)
{
	return env_reserved_hint(var) != NULL;
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

/* FNV-1a over the name part of var. */
static size_t
env_hash(const char *var)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *var != '\0' && *var != '='; var++) {
		h ^= (unsigned char)*var;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Places position i, which is known not to be there yet. */
static void
env_index_place(size_t *slot, size_t cap, const struct strv *sv, size_t i)
{
	size_t	h = env_hash(sv->v[i]) & (cap - 1);

	while (slot[h] != 0)
		h = (h + 1) & (cap - 1);
	slot[h] = i + 1;
}

int
env_index_add(struct env_index *ix, const struct strv *sv, size_t i)
{
	size_t	*slot, cap, j;

	/* At most half full, so that every probe sequence is short. */
	if (2 * (ix->n + 1) > ix->cap) {
		cap = ix->cap ? 2 * ix->cap : 64;
		if ((slot = calloc(cap, sizeof(*slot))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		for (j = 0; j < ix->cap; j++)
			if (ix->slot[j] != 0)
				env_index_place(slot, cap, sv, ix->slot[j] - 1);
		free(ix->slot);
		ix->slot = slot;
		ix->cap = cap;
	}
	env_index_place(ix->slot, ix->cap, sv, i);
	ix->n++;
	return 0;
}

ssize_t
env_index_find(const struct env_index *ix, const struct strv *sv,
    const char *name)
{
	size_t	h;

	if (ix->cap == 0)
		return -1;
	for (h = env_hash(name) & (ix->cap - 1); ix->slot[h] != 0;
	    h = (h + 1) & (ix->cap - 1))
		if (env_same_name(sv->v[ix->slot[h] - 1], name))
			return (ssize_t)(ix->slot[h] - 1);
	return -1;
}

void
env_index_free(struct env_index *ix)
{
	free(ix->slot);
	*ix = (struct env_index)ENV_INDEX_INIT;
}
