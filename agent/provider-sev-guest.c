/*
 * The sev-guest provider: Linux's /dev/sev-guest SNP_GET_EXT_REPORT
 * (include/uapi/linux/sev-guest.h; drivers/virt/coco/sev-guest/sev-guest.c).
 *
 * struct snp_guest_request_ioctl { msg_version 1, req_data -> struct
 * snp_ext_report_req, resp_data -> struct snp_report_resp }. The request
 * carries REPORT_DATA and the VMPL (reserved bytes zero) plus a page-aligned
 * buffer for the certificate table. The response buffer holds the firmware's
 * MSG_REPORT_RSP (AMD SEV-SNP ABI spec 56860, table 25: STATUS, REPORT_SIZE,
 * 24 reserved bytes, the report at 0x20). When the buffer is too small the
 * host answers SNP_GUEST_VMM_ERR_INVALID_LEN in vmm_error (the ioctl fails,
 * EIO before Linux 6.9, ENOSPC since) and the driver writes the size it
 * needs back into certs_len: the buffer is grown to that and the request
 * repeated.
 */
#include "agent/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sev-guest.h>

#include "abi/cert-table.h"
#include "abi/guest-msg.h"

#define CERTS_PAGE 4096u
/* First certificate buffer: the VCEK, ASK and ARK fit in 4 pages. */
#define CERTS_FIRST (4 * CERTS_PAGE)

static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* The table's bytes in use: up to the end of its last blob (the host pads with zeros). */
static size_t table_used(const uint8_t *buf, size_t len, struct snp_err *err)
{
	struct snp_cert_table t;
	size_t end = 0;

	if (len < SNP_CERT_ENTRY_SIZE)
		return 0;
	for (size_t i = 0; i < SNP_CERT_ENTRY_SIZE; i++)
		if (buf[i] != 0)
			goto parse;
	return 0; /* no certificates: an empty table */
parse:
	if (cert_table_parse(buf, len, &t, err) != 0)
		return (size_t)-1;
	end = (t.n + 1) * SNP_CERT_ENTRY_SIZE;
	for (size_t i = 0; i < t.n; i++)
		if ((size_t)t.entry[i].offset + t.entry[i].len > end)
			end = (size_t)t.entry[i].offset + t.entry[i].len;
	return end;
}

static int sev_guest_get(const struct agent_provider_cfg *cfg,
			 const uint8_t report_data[SNP_REPORT_DATA_SIZE],
			 struct tsm_evidence *out, struct snp_err *err)
{
	const char *dev = cfg->sev_guest_dev ? cfg->sev_guest_dev : AGENT_SEV_GUEST_DEV;
	agent_ioctl_fn *ioc = cfg->ioctl ? cfg->ioctl : sys_ioctl;
	struct snp_report_resp resp;
	struct snp_ext_report_req req;
	struct snp_guest_request_ioctl g;
	uint8_t report[SNP_REPORT_SIZE], *certs = NULL;
	size_t certs_len = CERTS_FIRST, used;
	uint32_t status;
	int fd = -1, ret = SNP_E_INTERNAL, r = 0;

	memset(out, 0, sizeof(*out));
	if (cfg->has_privlevel && cfg->privlevel > 3)
		return snp_errf(err, SNP_E_INVALID, "sev-guest: VMPL %u (want 0..3)", cfg->privlevel);
	if ((fd = open(dev, O_RDWR | O_CLOEXEC)) < 0)
		return snp_err_sys(err, "sev-guest: %s", dev);
	for (int attempt = 0;; attempt++) {
		uint8_t *bigger = realloc(certs, certs_len);

		if (!bigger) {
			ret = snp_errf(err, SNP_E_NOMEM, "sev-guest: out of memory");
			goto out;
		}
		certs = bigger;
		memset(certs, 0, certs_len);
		memset(&req, 0, sizeof(req));
		memcpy(req.data.user_data, report_data, SNP_REPORT_DATA_SIZE);
		req.data.vmpl = cfg->has_privlevel ? cfg->privlevel : 0;
		req.certs_address = (uint64_t)(uintptr_t)certs;
		req.certs_len = (uint32_t)certs_len;
		memset(&resp, 0, sizeof(resp));
		memset(&g, 0, sizeof(g));
		g.msg_version = 1;
		g.req_data = (uint64_t)(uintptr_t)&req;
		g.resp_data = (uint64_t)(uintptr_t)&resp;
		r = ioc(cfg->ioctl_ctx, fd, SNP_GET_EXT_REPORT, &g);
		if (r >= 0)
			break;
		if (g.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN || r == -ENOSPC) {
			if (req.certs_len <= certs_len || req.certs_len > TSM_AUXBLOB_MAX ||
			    req.certs_len % CERTS_PAGE != 0) {
				ret = snp_errf(err, SNP_E_INVALID,
					       "sev-guest: the host asks for a certificate buffer of "
					       "%u bytes (have %zu; at most %d, whole pages)",
					       req.certs_len, certs_len, TSM_AUXBLOB_MAX);
				goto out;
			}
			certs_len = req.certs_len;
		} else if (!(g.vmm_error == SNP_GUEST_VMM_ERR_BUSY || r == -EAGAIN)) {
			errno = -r;
			ret = snp_err_sys(err, "sev-guest: SNP_GET_EXT_REPORT (firmware error 0x%x, "
					       "VMM error 0x%x)", g.fw_error, g.vmm_error);
			goto out;
		}
		if (attempt + 1 >= AGENT_PROVIDER_RETRIES) {
			ret = snp_errf(err, SNP_E_SYS,
				       "sev-guest: SNP_GET_EXT_REPORT: still failing after %d attempts "
				       "(VMM error 0x%x)", AGENT_PROVIDER_RETRIES, g.vmm_error);
			goto out;
		}
	}
	if ((ret = guest_msg_report_rsp_parse(resp.data, SNP_MSG_REPORT_RSP_SIZE, &status, report,
					      err)) != 0) {
		snp_err_prefix(err, "sev-guest: ");
		goto out;
	}
	if (status != SNP_REPORT_RSP_STATUS_SUCCESS) {
		ret = snp_errf(err, SNP_E_REFUSED, "sev-guest: the firmware refused the report "
						   "request (MSG_REPORT_RSP STATUS 0x%x)", status);
		goto out;
	}
	if ((used = table_used(certs, certs_len, err)) == (size_t)-1) {
		ret = err->code;
		snp_err_prefix(err, "sev-guest: certificate table: ");
		goto out;
	}
	ret = agent_evidence_set(report, sizeof(report), certs, used, out, err);
out:
	free(certs);
	close(fd);
	return ret;
}

const struct agent_provider agent_provider_sev_guest = {
	.name = "sev-guest",
	.insecure = false,
	.help = "/dev/sev-guest SNP_GET_EXT_REPORT (Linux sev-guest driver)",
	.get = sev_guest_get,
};
