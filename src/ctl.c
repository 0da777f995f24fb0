/* SPDX-License-Identifier: ISC */
/*
 * The control protocol's requests and answers. See ctl.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_parse.h"
#include "ctl.h"
#include "util.h"

const char *const	ctl_command_names[CTL_COMMAND_COUNT] = {
	"status", "metrics", "scale", "reload", "restart", "stop", "recycle",
	"advise", "upgrade",
};

/* The most words a request has: "status --json --check". */
#define WORDS_MAX	4

long
ctl_line(const char *buf, size_t len)
{
	const char	*nl = memchr(buf, '\n', len);

	return nl != NULL ? (long)(nl - buf) : -1;
}

/*
 * Splits line into at most WORDS_MAX words, copied into store: returns
 * how many, or -1 with why set for a byte that is not printable ASCII or
 * too many words.
 */
static int
split(const char *line, size_t len, char *store, const char **words,
    char *why, size_t whylen)
{
	size_t	i;
	int	n = 0;
	bool	in = false;

	for (i = 0; i < len; i++) {
		unsigned char	ch = (unsigned char)line[i];

		if (ch == ' ' || ch == '\t') {
			store[i] = '\0';
			in = false;
			continue;
		}
		if (ch < 0x20 || ch > 0x7e) {
			snprintf(why, whylen, "byte 0x%02x at offset %zu: a "
			    "request is printable ASCII", ch, i);
			return -1;
		}
		store[i] = (char)ch;
		if (!in) {
			if (n == WORDS_MAX) {
				snprintf(why, whylen, "too many words (%d at "
				    "most)", WORDS_MAX);
				return -1;
			}
			words[n++] = store + i;
			in = true;
		}
	}
	store[len] = '\0';
	return n;
}

/* scale's argument: N, +N or -N, N a count of 0 to 65536. */
static int
parse_scale(const char *arg, struct ctl_request *req, char *why,
    size_t whylen)
{
	const char	*p = arg;
	char		*end, w[48];
	uintmax_t	 v;

	req->scale = CTL_SCALE_SET;
	if (*p == '+' || *p == '-') {
		req->scale = *p == '+' ? CTL_SCALE_UP : CTL_SCALE_DOWN;
		p++;
	}
	errno = 0;
	if (*p < '0' || *p > '9' || (v = strtoumax(p, &end, 10), *end) ||
	    errno != 0 || v > 65536) {
		snprintf(why, whylen, "scale: '%s' is not N, +N or -N (N a "
		    "number up to 65536)", util_escape(arg, w, sizeof(w)));
		return -1;
	}
	req->n = (unsigned)v;
	return 0;
}

/* recycle's argument: a slot number, 0 to 65535. */
static int
parse_slot(const char **words, int n, struct ctl_request *req, char *why,
    size_t whylen)
{
	char		*end, w[48];
	uintmax_t	 v;

	if (n != 2) {
		snprintf(why, whylen, "recycle takes one argument: a slot "
		    "number");
		return -1;
	}
	errno = 0;
	if (*words[1] < '0' || *words[1] > '9' ||
	    (v = strtoumax(words[1], &end, 10), *end) || errno != 0 ||
	    v > 65535) {
		snprintf(why, whylen, "recycle: '%s' is not a slot number",
		    util_escape(words[1], w, sizeof(w)));
		return -1;
	}
	req->n = (unsigned)v;
	return 0;
}

static int
parse_status(const char **words, int n, struct ctl_request *req,
    char *why, size_t whylen)
{
	char	w[48];
	int	i;

	for (i = 1; i < n; i++) {
		if (strcmp(words[i], "--json") == 0)
			req->json = true;
		else if (strcmp(words[i], "--check") == 0)
			req->check = true;
		else {
			snprintf(why, whylen, "status: unknown option '%s' "
			    "(--json, --check)", util_escape(words[i], w,
			    sizeof(w)));
			return -1;
		}
	}
	return 0;
}

/* advise [--window DURATION] [--json]: the window within its bounds. */
static int
parse_advise(const char **words, int n, struct ctl_request *req,
    char *why, size_t whylen)
{
	const char	*bad;
	char		 w[48];
	int		 i;

	req->window_ms = CTL_WINDOW_DEFAULT;
	for (i = 1; i < n; i++) {
		if (strcmp(words[i], "--json") == 0)
			req->json = true;
		else if (strcmp(words[i], "--window") == 0 && i + 1 < n) {
			if (conf_parse_duration(words[++i], &req->window_ms,
			    &bad) == -1) {
				snprintf(why, whylen, "advise: --window '%s' "
				    "%s", util_escape(words[i], w, sizeof(w)),
				    bad);
				return -1;
			}
			if (req->window_ms < CTL_WINDOW_MIN ||
			    req->window_ms > CTL_WINDOW_MAX) {
				snprintf(why, whylen, "advise: --window '%s' "
				    "is not between 1s and 15m",
				    util_escape(words[i], w, sizeof(w)));
				return -1;
			}
		} else {
			snprintf(why, whylen, "advise: unknown option '%s' "
			    "(--window DURATION, --json)", util_escape(words[i],
			    w, sizeof(w)));
			return -1;
		}
	}
	return 0;
}

int
ctl_parse(const char *line, size_t len, struct ctl_request *req,
    char *why, size_t whylen)
{
	char		 store[CTL_REQUEST_MAX], w[48];
	const char	*words[WORDS_MAX];
	size_t		 i;
	int		 n;

	memset(req, 0, sizeof(*req));
	if (len >= CTL_REQUEST_MAX) {
		snprintf(why, whylen, "request too long (%d bytes at most)",
		    CTL_REQUEST_MAX - 1);
		return -1;
	}
	if ((n = split(line, len, store, words, why, whylen)) == -1)
		return -1;
	if (n == 0) {
		snprintf(why, whylen, "empty request");
		return -1;
	}
	for (i = 0; i < CTL_COMMAND_COUNT; i++)
		if (strcmp(words[0], ctl_command_names[i]) == 0)
			break;
	if (i == CTL_COMMAND_COUNT) {
		snprintf(why, whylen, "unknown command '%s'",
		    util_escape(words[0], w, sizeof(w)));
		return -1;
	}
	req->cmd = (enum ctl_command)i;
	if (req->cmd == CTL_STATUS)
		return parse_status(words, n, req, why, whylen);
	if (req->cmd == CTL_SCALE) {
		if (n != 2) {
			snprintf(why, whylen, "scale takes one argument: N, "
			    "+N or -N");
			return -1;
		}
		return parse_scale(words[1], req, why, whylen);
	}
	if (req->cmd == CTL_RECYCLE)
		return parse_slot(words, n, req, why, whylen);
	if (req->cmd == CTL_ADVISE)
		return parse_advise(words, n, req, why, whylen);
	if (n != 1) {
		snprintf(why, whylen, "%s takes no argument", words[0]);
		return -1;
	}
	return 0;
}

int
ctl_scale_size(const struct ctl_request *req, unsigned cur, unsigned max,
    unsigned *size, char *why, size_t whylen)
{
	uintmax_t	want = req->n;

	if (req->scale == CTL_SCALE_UP)
		want = (uintmax_t)cur + req->n;
	else if (req->scale == CTL_SCALE_DOWN)
		want = req->n >= cur ? 0 : cur - req->n;
	if (want < 1) {
		snprintf(why, whylen, "scale: the pool cannot be smaller than "
		    "1 worker (it has %u)", cur);
		return -1;
	}
	if (want > max) {
		snprintf(why, whylen, "scale: %ju workers is more than %u, the "
		    "most a pool may have", want, max);
		return -1;
	}
	*size = (unsigned)want;
	return 0;
}

int
ctl_reply_parse(const char *text, size_t len, enum ctl_reply *kind,
    const char **reason, size_t *reasonlen, size_t *body)
{
	static const struct {
		const char	*word;
		enum ctl_reply	 kind;
	} kinds[] = {
		{ "OK", CTL_OK },
		{ "ERR", CTL_ERR },
		{ "DENIED", CTL_DENIED },
		{ "BUSY", CTL_BUSY },
	};
	const char	*nl = memchr(text, '\n', len);
	size_t		 line = nl != NULL ? (size_t)(nl - text) : len, i, wl;

	for (i = 0; i < nitems(kinds); i++) {
		wl = strlen(kinds[i].word);
		if (line < wl || memcmp(text, kinds[i].word, wl) != 0 ||
		    (line > wl && text[wl] != ' '))
			continue;
		*kind = kinds[i].kind;
		*reason = text + (line > wl ? wl + 1 : wl);
		*reasonlen = line > wl ? line - wl - 1 : 0;
		*body = nl != NULL ? line + 1 : len;
		return 0;
	}
	return -1;
}
