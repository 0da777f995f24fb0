/* SPDX-License-Identifier: ISC */
/*
 * The listening sockets the master holds for its workers: bound from the
 * listen key (TCP over IPv4 or IPv6, or unix stream sockets), or adopted
 * from systemd's socket activation. The master keeps them open across
 * reloads and rolling restarts, so connections wait in the backlog while
 * workers come and go; workers receive them as fds 3, 4, ...
 */
#ifndef PREFORK_SOCKETS_H
#define PREFORK_SOCKETS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct listener {
	char	*addr;		/* as configured, or "fd:N" when adopted */
	char	*name;		/* for LISTEN_FDNAMES: no ':' */
	int	 fd;		/* close-on-exec in the master */
	bool	 adopted;	/* from systemd: never closed by a reload */
	/* A unix socket file we created: removed when closed, if it is
	   still the same file (device and inode). */
	char	*path;
	dev_t	 dev;
	ino_t	 ino;
};

struct sockets {
	struct listener	*v;
	size_t		 n;
	bool		 activated;	/* adopted from systemd */
};

#define SOCKETS_INIT	{ NULL, 0, false }

/*
 * Adopts the sockets systemd passed, when LISTEN_PID is this process
 * and LISTEN_FDS counts them from fd 3; names from LISTEN_FDNAMES. Each
 * must be a socket; each is made close-on-exec. Returns the number
 * adopted (0 when not socket-activated), or -1 with a message appended
 * to errs.
 */
int	sockets_adopt(struct sockets *s, struct strv *errs);

/*
 * Makes the set of bound sockets match listen (strings as conf.c
 * validated them: "HOST:PORT", "*:PORT", "[V6]:PORT", "unix:/PATH"):
 * addresses already open are kept (and listen(2) is called again with
 * backlog), new ones are bound, removed ones closed. All or nothing:
 * when any new address cannot be bound, every problem is appended to
 * errs, naming the address ("listen 127.0.0.1:80: Permission denied"),
 * the new sockets are closed and the set is unchanged. Does nothing to
 * adopted sockets, which stay first in the set. Kept means configured
 * as the same string. Names are the addresses with ':' made '_'
 * ("127.0.0.1_8000", "unix_/run/app.sock"). Every socket is blocking
 * and close-on-exec; a host name binds the first address it resolves
 * to. Returns 0, or -1.
 */
int	sockets_update(struct sockets *s, const struct strv *listen,
	    unsigned backlog, struct strv *errs);

/*
 * Closes every socket, adopted ones too (this is for exit), and removes
 * the unix socket files we created that are still ours (same device and
 * inode: another server may have replaced one since). Frees everything;
 * the set is empty and reusable afterwards.
 */
void	sockets_close(struct sockets *s);

/*
 * The LISTEN_FDNAMES value for the set, names joined by ':' (caller
 * frees), or NULL (ENOMEM).
 */
char	*sockets_names(const struct sockets *s);

/*
 * Binds one TCP socket for the master's own use (metrics_listen), as
 * sockets_update() binds one of the workers' (SO_REUSEADDR, IPv6 only
 * for an IPv6 address), but non-blocking as well as close-on-exec.
 * Returns the fd, or -1 with the reason appended to errs ("listen
 * 127.0.0.1:9100: Address already in use", with what instead of
 * "listen").
 */
int	sockets_bind_tcp(const char *addr, unsigned backlog, const char *what,
	    struct strv *errs);

/* The fds, in order, for spawn (room for s->n). */
void	sockets_fds(const struct sockets *s, int *fds);

#endif /* PREFORK_SOCKETS_H */
