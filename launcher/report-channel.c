/*
 * The host side of the report channel (docs/guest-request-mailbox.md,
 * "Report channel"). SIMULATED: this relays requests to a guest that serves
 * them; it gives no confidentiality and the host can read every byte.
 *
 * A Unix stream socket (mode 0600) at cfg->channel_path. One client at a
 * time: it sends 64 bytes of REPORT_DATA; the VMM posts them in the channel
 * page (PAYLOAD_CHANNEL_GPA, STATE = POSTED); the serving guest requests its
 * own report through the mailbox and writes it back (STATE = ANSWERED); the
 * VMM sends exactly the bytes the guest wrote to the client, closes the
 * connection and sets STATE = IDLE. The VMM never makes up a report: if the
 * guest's answer is malformed the client gets nothing.
 *
 * Everything here is non-blocking and runs from machine_poll() on the
 * watcher thread, never on a guest thread: those are confined without socket
 * calls (launcher/confine.c).
 */
#include "launcher/machine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "abi/endian.h"
#include "launcher/dev-mailbox.h"
#include "launcher/guest-mem.h"
#include "launcher/vm-state.h"

#define CHANNEL_PAGE_SIZE 0x1000u
#define CHANNEL_MAX_REPORT (CHANNEL_PAGE_SIZE - CHANNEL_REPORT)
#define SEND_WAIT_MS 1000

struct report_channel {
	int listen_fd;
	int client_fd;
	uint8_t req[64];
	size_t got;
	bool posted;  /* REPORT_DATA is in the page, waiting for the guest */
	bool bound;   /* we created path: unlink it at exit */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static uint32_t *state_word(uint8_t *page)
{
	return (uint32_t *)(void *)(page + CHANNEL_STATE); /* 4-byte aligned: page aligned */
}

static int channel_init(struct vm *vm, struct snp_err *err)
{
	const char *path = vm->cfg.channel_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct report_channel *c;

	if (!path)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return snp_errf(err, SNP_E_INVALID, "socket path %s: longer than %zu bytes", path,
				sizeof(sa.sun_path) - 1);
	if (!guest_mem_hva(vm->mem, PAYLOAD_CHANNEL_GPA, CHANNEL_PAGE_SIZE))
		return snp_errf(err, SNP_E_INTERNAL, "channel page outside RAM");
	c = calloc(1, sizeof(*c));
	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "state");
	c->client_fd = -1;
	vm->channel = c;
	/*
	 * Bound and listening under a temporary name first, then linked to path: a
	 * client that sees path can connect (bind creates the file before listen,
	 * and a connect in between is refused), and link, unlike rename, never
	 * replaces a file already there.
	 */
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(sa.sun_path))
		return snp_errf(err, SNP_E_INVALID, "socket path %s: too long for its temporary name",
				path);
	memcpy(c->path, path, strlen(path) + 1);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		return snp_err_sys(err, "socket");
	/* Linux creates the socket file with the socket inode's mode: 0600 before bind, no race */
	if (fchmod(c->listen_fd, 0600) != 0)
		return snp_err_sys(err, "fchmod socket");
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return snp_err_sys(err, "bind %s", sa.sun_path);
	if (chmod(sa.sun_path, 0600) != 0 || listen(c->listen_fd, 1) != 0 ||
	    link(sa.sun_path, path) != 0) {
		int e = errno;

		unlink(sa.sun_path);
		errno = e;
		return snp_err_sys(err, "socket %s", path);
	}
	unlink(sa.sun_path);
	c->bound = true;
	return 0;
}

static void drop_client(struct report_channel *c)
{
	if (c->client_fd >= 0)
		close(c->client_fd);
	c->client_fd = -1;
	c->got = 0;
}

static void channel_exit(struct vm *vm)
{
	struct report_channel *c = vm->channel;

	if (!c)
		return;
	drop_client(c);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->bound)
		unlink(c->path);
	free(c);
	vm->channel = NULL;
}

/* Sends all of buf or gives up after SEND_WAIT_MS of a stuck client. */
static void send_all(int fd, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && poll(&p, 1, SEND_WAIT_MS) > 0)
			continue;
		return;
	}
}

static void take_request(struct report_channel *c, uint8_t *page)
{
	if (c->client_fd < 0) {
		c->client_fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		c->got = 0;
		if (c->client_fd < 0)
			return;
	}
	while (c->got < sizeof(c->req)) {
		ssize_t n = recv(c->client_fd, c->req + c->got, sizeof(c->req) - c->got, 0);

		if (n > 0) {
			c->got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			drop_client(c); /* gone before sending 64 bytes */
		return;
	}
	memcpy(page + CHANNEL_REPORT_DATA, c->req, sizeof(c->req));
	le32_put(page + CHANNEL_VMPL, 0);
	le32_put(page + CHANNEL_REPORT_LEN, 0);
	__atomic_store_n(state_word(page), CHANNEL_ST_POSTED, __ATOMIC_RELEASE);
	c->posted = true;
}

static void channel_poll(struct vm *vm)
{
	struct report_channel *c = vm->channel;
	uint8_t *page;
	uint32_t len;

	if (!c)
		return;
	page = guest_mem_hva(vm->mem, PAYLOAD_CHANNEL_GPA, CHANNEL_PAGE_SIZE);
	if (!c->posted) {
		take_request(c, page);
		return;
	}
	if (__atomic_load_n(state_word(page), __ATOMIC_ACQUIRE) != CHANNEL_ST_ANSWERED)
		return;
	len = le32_get(page + CHANNEL_REPORT_LEN);
	/* only what the guest wrote, and only if it fits the page */
	if (c->client_fd >= 0 && len > 0 && len <= CHANNEL_MAX_REPORT)
		send_all(c->client_fd, page + CHANNEL_REPORT, len);
	drop_client(c);
	c->posted = false;
	vm->channel_requests++;
	__atomic_store_n(state_word(page), CHANNEL_ST_IDLE, __ATOMIC_RELEASE);
}

const struct dev_ops report_channel_dev = {
	.name = "report-channel",
	.init = channel_init,
	.exit = channel_exit,
	.poll = channel_poll,
};
