/* SPDX-License-Identifier: ISC */
/*
 * The listen address grammar, in one place: "HOST:PORT", "*:PORT",
 * "[IPV6]:PORT", "[IPV6%ZONE]:PORT" and "unix:/PATH". conf.c checks a
 * listen value with it, sockets.c binds from what it parses. Pure: it
 * resolves no name and asks no interface, so that a configuration is
 * checked the same everywhere; the system's part (a host name, a zone's
 * interface) is for the caller that binds.
 */
#ifndef PREFORK_ADDR_H
#define PREFORK_ADDR_H

#include <sys/un.h>

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

enum addr_kind {
	ADDR_UNIX,		/* unix:/PATH */
	ADDR_ANY,		/* *:PORT, every IPv4 address */
	ADDR_INET4,		/* 127.0.0.1:PORT */
	ADDR_INET6,		/* [::1]:PORT, perhaps with a zone */
	ADDR_HOST,		/* localhost:PORT, resolved when bound */
};

/* RFC 1123: at most 253 bytes in labels of at most 63. */
#define ADDR_HOST_MAX	253

struct listen_addr {
	enum addr_kind	 kind;
	uint16_t	 port;			/* but for ADDR_UNIX */
	struct in_addr	 in4;			/* ADDR_INET4 */
	struct in6_addr	 in6;			/* ADDR_INET6 */
	char		 zone[IF_NAMESIZE];	/* ADDR_INET6: a name or an
						   index, or "" */
	char		 host[ADDR_HOST_MAX + 1];	/* ADDR_HOST */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
						/* ADDR_UNIX */
	char		 port_text[6];		/* the port, for getaddrinfo */
};

/*
 * Parses one listen address into a. Returns NULL, or why text is not an
 * address ("port must be a number from 1 to 65535"), a message meant to
 * follow the address. This function can't fail otherwise.
 */
const char	*addr_parse(const char *text, struct listen_addr *a);

#endif /* PREFORK_ADDR_H */
