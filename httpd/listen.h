/*
 * The listening socket under httpd: parsed from the address text and bound
 * here (not by libmicrohttpd) so that TCP and Unix sockets take one path, the
 * bound port is known, and a Unix socket is mode 0600 before it accepts.
 */
#ifndef SNPVM_HTTPD_LISTEN_H
#define SNPVM_HTTPD_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct httpd_listener {
	int fd;           /* listening, or -1 */
	bool is_unix;
	uint16_t port;    /* bound TCP port; 0 for a Unix socket */
	char path[108];   /* the Unix socket's path, "" for TCP */
};

/*
 * Binds and listens on addr ("IPv4:PORT", "[IPv6]:PORT" or "unix:/path";
 * numeric addresses only) with the given backlog. A Unix socket path that
 * exists must be a socket (it is then replaced); the new one is chmod'ed
 * 0600 before listen(), so no one else can connect in between. On failure
 * l->fd is -1 and err (SNP_E_INVALID for a bad address, else SNP_E_SYS)
 * names the address.
 */
int httpd_listen_open(const char *addr, int backlog, struct httpd_listener *l,
		      struct snp_err *err) SNP_MUST_CHECK;

/* Closes the socket (if still open) and unlinks a Unix socket's path. */
void httpd_listen_close(struct httpd_listener *l);

#endif
