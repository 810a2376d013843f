/*
 * The sim provider: the report channel of a guest running on `snpvm launch`'s
 * sim backend (docs/guest-request-mailbox.md). Send exactly 64 bytes of
 * REPORT_DATA on the Unix socket; the VMM posts them to the guest, the guest
 * asks its own (simulated) mailbox, and the VMM returns the LEN bytes the
 * guest copied back, then closes. INSECURE: the host runs the simulated
 * AMD-SP and sees everything; this exists for demos and tests.
 */
#include "agent/provider.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Largest answer the channel can carry (the page from 0x200 on). */
#define SIM_CHANNEL_MAX 0xE00

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, long deadline, const char *path, struct snp_err *err)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return snp_errf(err, SNP_E_SYS, "sim: %s: no answer in time", path);
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return snp_err_sys(err, "sim: %s: poll", path);
	}
}

static int sim_get(const struct agent_provider_cfg *cfg,
		   const uint8_t report_data[SNP_REPORT_DATA_SIZE], struct tsm_evidence *out,
		   struct snp_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = cfg->sim_socket;
	long deadline = now_ms() + (cfg->sim_timeout_ms ? cfg->sim_timeout_ms : AGENT_SIM_TIMEOUT_MS);
	uint8_t buf[SIM_CHANNEL_MAX + 1];
	size_t got = 0, sent = 0;
	int fd = -1, ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (!path)
		return snp_errf(err, SNP_E_INVALID, "sim: no report channel socket given");
	if (strlen(path) >= sizeof(sa.sun_path))
		return snp_errf(err, SNP_E_INVALID, "sim: %s: path too long for a Unix socket", path);
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return snp_err_sys(err, "sim: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ret = snp_err_sys(err, "sim: %s: connect", path);
		goto out;
	}
	while (sent < SNP_REPORT_DATA_SIZE) {
		ssize_t n;

		if ((ret = wait_fd(fd, POLLOUT, deadline, path, err)) != 0)
			goto out;
		n = send(fd, report_data + sent, SNP_REPORT_DATA_SIZE - sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "sim: %s: send", path);
			goto out;
		}
		sent += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if ((ret = wait_fd(fd, POLLIN, deadline, path, err)) != 0)
			goto out;
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "sim: %s: recv", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf)) {
			ret = snp_errf(err, SNP_E_INVALID, "sim: %s: answer longer than %d bytes",
				       path, SIM_CHANNEL_MAX);
			goto out;
		}
	}
	if (got == 0) {
		ret = snp_errf(err, SNP_E_SYS,
			       "sim: %s: no report (does the guest serve the report channel?)",
			       path);
		goto out;
	}
	if ((ret = agent_evidence_set(buf, got, NULL, 0, out, err)) != 0) {
		snp_err_prefix(err, "sim: %s: ", path);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

const struct agent_provider agent_provider_sim = {
	.name = "sim",
	.insecure = true,
	.help = "INSECURE: the report channel of a guest on `snpvm launch`'s sim backend",
	.get = sim_get,
};
