/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* What an interface name may hold (a zone index is digits). */
#define IFNAME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789._-@"

/* A host name as RFC 1123 has it: dot-separated labels of 1 to 63. */
static bool
host_name_ok(const char *h, size_t len)
{
	size_t	i, label = 0;

	if (len == 0 || len > ADDR_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)h[i]) ||
		    (h[i] == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return h[len - 1] != '-';
}

/* "[V6]" or "[V6%ZONE]", len bytes at h, into a. */
static const char *
addr_parse_v6(const char *h, size_t len, struct listen_addr *a)
{
	char		 text[INET6_ADDRSTRLEN];
	const char	*zone;
	size_t		 zlen;

	if (len < 3 || h[len - 1] != ']')
		return "not an IPv6 address";
	/* A zone, [fe80::1%eth0]: an interface name or index. */
	if ((zone = memchr(h, '%', len)) != NULL) {
		zlen = (size_t)(h + len - 1 - (zone + 1));
		if (zlen == 0 || zlen >= sizeof(a->zone) ||
		    strspn(zone + 1, IFNAME_CHARS) < zlen)
			return "not an interface name after %";
		memcpy(a->zone, zone + 1, zlen);
		a->zone[zlen] = '\0';
		len = (size_t)(zone - h) + 1;
	}
	if (len - 2 >= sizeof(text))
		return "not an IPv6 address";
	memcpy(text, h + 1, len - 2);
	text[len - 2] = '\0';
	if (inet_pton(AF_INET6, text, &a->in6) != 1)
		return "not an IPv6 address";
	a->kind = ADDR_INET6;
	return NULL;
}

/* The host part, len bytes at h, of HOST:PORT, into a. */
static const char *
addr_parse_host(const char *h, size_t len, struct listen_addr *a)
{
	char	text[INET_ADDRSTRLEN];

	if (len == 0)
		return "missing host (use *:PORT for all addresses)";
	if (len == 1 && *h == '*') {
		a->kind = ADDR_ANY;
		return NULL;
	}
	if (*h == '[')
		return addr_parse_v6(h, len, a);
	if (memchr(h, ':', len) != NULL)
		return "put an IPv6 address in brackets ([::1]:PORT)";
	if (memchr(h, '%', len) != NULL)
		return "a zone (%) needs an IPv6 address in brackets "
		    "([fe80::1%eth0]:PORT)";
	if (strspn(h, "0123456789.") >= len) {
		if (len >= sizeof(text))
			return "not an IPv4 address";
		memcpy(text, h, len);
		text[len] = '\0';
		if (inet_pton(AF_INET, text, &a->in4) != 1)
			return "not an IPv4 address";
		a->kind = ADDR_INET4;
		return NULL;
	}
	if (!host_name_ok(h, len))
		return "not a valid host name";
	memcpy(a->host, h, len);
	a->host[len] = '\0';
	a->kind = ADDR_HOST;
	return NULL;
}

/* A port: 1 to 65535, digits only. */
static const char *
addr_parse_port(const char *p, struct listen_addr *a)
{
	unsigned long	n = 0;
	size_t		i;

	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 6; i++)
		n = n * 10 + (unsigned long)(p[i] - '0');
	if (i == 0 || p[i] != '\0' || n < 1 || n > 65535)
		return "port must be a number from 1 to 65535";
	a->port = (uint16_t)n;
	snprintf(a->port_text, sizeof(a->port_text), "%lu", n);
	return NULL;
}

const char *
addr_parse(const char *text, struct listen_addr *a)
{
	const char	*colon, *why;

	memset(a, 0, sizeof(*a));
	if (strncmp(text, "unix:", 5) == 0) {
		if (text[5] != '/')
			return "a unix socket path must be absolute";
		if (strlen(text + 5) >= sizeof(a->path))
			return "unix socket path longer than 107 bytes";
		memcpy(a->path, text + 5, strlen(text + 5) + 1);
		a->kind = ADDR_UNIX;
		return NULL;
	}
	if ((colon = strrchr(text, ':')) == NULL)
		return "expected HOST:PORT, [IPV6]:PORT or unix:/PATH";
	if ((why = addr_parse_port(colon + 1, a)) != NULL)
		return why;
	return addr_parse_host(text, (size_t)(colon - text), a);
}
