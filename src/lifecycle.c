/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>

#include "lifecycle.h"

static const struct lc_failure	no_failure = { false, 0, NULL };

bool
lc_reload_begin(struct lifecycle *lc)
{
	if (lc->state == LC_STARTING || lc->state == LC_STOPPING)
		return false;
	lc->state = LC_RELOADING;
	lc->failed = no_failure;
	return true;
}

int
lc_reload_rejected(struct lifecycle *lc)
{
	if (lc->state != LC_RELOADING)
		return 0;
	lc->state = LC_RUNNING;
	return LC_TELL_READY;
}

void
lc_reload_accepted(struct lifecycle *lc)
{
	lc->unfinished = no_failure;
}

void
lc_worker_failed(struct lifecycle *lc, unsigned slot, const char *why)
{
	if (lc->state != LC_RELOADING || lc->failed.set)
		return;
	lc->failed.set = true;
	lc->failed.slot = slot;
	lc->failed.why = why;
}

int
lc_update(struct lifecycle *lc, const struct lc_pool *p)
{
	if (lc->state == LC_STOPPING)
		return p->empty ? LC_EXIT : 0;
	/* A settled pool ends what an unfinished reload left behind. */
	if (p->all_ready && !p->rolling)
		lc->unfinished = no_failure;
	switch (lc->state) {
	case LC_STARTING:
		if (!p->all_ready)
			return 0;
		lc->state = LC_RUNNING;
		return LC_POOL_READY | LC_TELL_READY;
	case LC_RELOADING:
		if (lc->failed.set) {
			lc->unfinished = lc->failed;
			lc->failed = no_failure;
			lc->state = LC_RUNNING;
			return LC_RELOAD_UNFINISHED | LC_TELL_READY;
		}
		if (!p->all_ready || p->rolling)
			return 0;
		lc->state = LC_RUNNING;
		return LC_TELL_READY;
	default:
		return 0;
	}
}

bool
lc_stop(struct lifecycle *lc)
{
	bool	first = lc->state != LC_STOPPING;

	lc->state = LC_STOPPING;
	return first;
}

char *
lc_failure_text(const struct lc_failure *f, char *buf, size_t len)
{
	snprintf(buf, len, "worker %u: %s", f->slot, f->why ? f->why : "");
	return buf;
}

char *
lc_status_note(const struct lifecycle *lc, char *buf, size_t len)
{
	char	what[96];

	if (!lc->unfinished.set || lc->state == LC_STOPPING) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "reload not complete (%s), older workers serve; ",
	    lc_failure_text(&lc->unfinished, what, sizeof(what)));
	return buf;
}
