#include "httpd/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int bad_addr(const char *addr, struct snp_err *err)
{
	return snp_errf(err, SNP_E_INVALID,
			"listen address '%s': want IPv4:PORT, [IPv6]:PORT or unix:/path "
			"(e.g. 127.0.0.1:8080)", addr);
}

/* "IPv4:PORT" or "[IPv6]:PORT" into ss. */
static int parse_inet(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen,
		      struct snp_err *err)
{
	const char *colon = strrchr(addr, ':');
	char host[64];
	size_t hlen;
	char *end = NULL;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon == addr || (hlen = (size_t)(colon - addr)) >= sizeof(host))
		return bad_addr(addr, err);
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || colon[1] < '0' || colon[1] > '9' || port > 65535)
		return bad_addr(addr, err);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (hlen < 3 || host[hlen - 1] != ']')
			return bad_addr(addr, err);
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return bad_addr(addr, err);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return bad_addr(addr, err);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
	}
	return 0;
}

static int open_inet(const char *addr, int backlog, struct httpd_listener *l,
		     struct snp_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int one = 1, ret;

	if ((ret = parse_inet(addr, &ss, &sslen, err)) != 0)
		return ret;
	if ((l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return snp_err_sys(err, "listen %s: socket", addr);
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0))
		return snp_err_sys(err, "listen %s: setsockopt", addr);
	if (bind(l->fd, (struct sockaddr *)&ss, sslen) != 0)
		return snp_err_sys(err, "listen %s: bind", addr);
	if (listen(l->fd, backlog) != 0)
		return snp_err_sys(err, "listen %s: listen", addr);
	sslen = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sslen) != 0)
		return snp_err_sys(err, "listen %s: getsockname", addr);
	l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static int open_unix(const char *addr, int backlog, struct httpd_listener *l,
		     struct snp_err *err)
{
	const char *path = addr + strlen("unix:");
	struct sockaddr_un sun;
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path) ||
	    strlen(path) >= sizeof(l->path))
		return snp_errf(err, SNP_E_INVALID, "listen address '%s': the path must be 1..%zu bytes",
				addr, sizeof(sun.sun_path) - 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return snp_errf(err, SNP_E_INVALID, "listen %s: exists and is not a socket",
					path);
		if (unlink(path) != 0)
			return snp_err_sys(err, "listen %s: unlink the old socket", path);
	}
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return snp_err_sys(err, "listen %s: socket", path);
	if (bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		return snp_err_sys(err, "listen %s: bind", path);
	l->is_unix = true;
	memcpy(l->path, path, strlen(path) + 1);
	/* No one can connect before listen(): the mode is final before the first client. */
	if (chmod(path, 0600) != 0)
		return snp_err_sys(err, "listen %s: chmod 0600", path);
	if (listen(l->fd, backlog) != 0)
		return snp_err_sys(err, "listen %s: listen", path);
	return 0;
}

int httpd_listen_open(const char *addr, int backlog, struct httpd_listener *l,
		      struct snp_err *err)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (addr == NULL)
		return snp_errf(err, SNP_E_INVALID, "listen address missing");
	if (strncmp(addr, "unix:", 5) == 0)
		ret = open_unix(addr, backlog, l, err);
	else
		ret = open_inet(addr, backlog, l, err);
	if (ret != 0)
		httpd_listen_close(l);
	return ret;
}

void httpd_listen_close(struct httpd_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->is_unix && l->path[0])
		unlink(l->path);
	l->path[0] = '\0';
}
