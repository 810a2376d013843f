/*
 * Where the guest agent gets its attestation report: one small ops table per
 * report provider, one file each.
 *
 *   tsm        Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm,
 *              Linux 6.7+): an entry under <root>/report, inblob -> outblob
 *              (the report) and auxblob (the certificate table)
 *   sev-guest  /dev/sev-guest, SNP_GET_EXT_REPORT (Linux include/uapi/linux/
 *              sev-guest.h): the report and the certificate table
 *   sim        the report channel of a guest that `snpvm launch` runs on the
 *              sim backend (docs/guest-request-mailbox.md). INSECURE: the
 *              simulated backend gives no confidentiality and the host makes
 *              the report.
 *
 * Each returns the evidence as the configfs-tsm map of attestd/tsm-cbor.h:
 * provider "sev_guest" (the format of outblob: an SEV-SNP report, AMD SEV-SNP
 * ABI spec 56860 table 22), outblob the 1184-byte report, auxblob the GHCB
 * certificate table (GHCB spec 56421) or NULL when there is none. The OS
 * boundary (mkdir/rmdir of the configfs entry, the ioctl) goes through
 * function pointers so tests can play the kernel.
 */
#ifndef SNPVM_AGENT_PROVIDER_H
#define SNPVM_AGENT_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/report.h"
#include "attestd/tsm-cbor.h"
#include "util/err.h"

#define AGENT_TSM_ROOT "/sys/kernel/config/tsm"
#define AGENT_SEV_GUEST_DEV "/dev/sev-guest"
/* Attempts when configfs-tsm's generation shows another writer, or the host asks for a bigger certificate buffer. */
#define AGENT_PROVIDER_RETRIES 3
/* The sim provider's wait for the serving guest's answer. */
#define AGENT_SIM_TIMEOUT_MS 30000

/* ioctl(fd, req, arg) for /dev/sev-guest: returns the ioctl's value, or -errno. */
typedef int agent_ioctl_fn(void *ctx, int fd, unsigned long req, void *arg);
/* mkdir(path, 0700) or rmdir(path) of a configfs-tsm entry: 0 or -errno. */
typedef int agent_dir_fn(void *ctx, const char *path);

struct agent_provider_cfg {
	bool has_privlevel;       /* write privlevel (tsm) / use vmpl (sev-guest); else 0 */
	uint32_t privlevel;       /* 0..3 */
	const char *tsm_root;     /* AGENT_TSM_ROOT when NULL */
	agent_dir_fn *tsm_mkdir;  /* mkdir(2) when NULL */
	agent_dir_fn *tsm_rmdir;  /* rmdir(2) when NULL */
	void *tsm_ctx;
	const char *sev_guest_dev; /* AGENT_SEV_GUEST_DEV when NULL */
	agent_ioctl_fn *ioctl;     /* ioctl(2) when NULL */
	void *ioctl_ctx;
	const char *sim_socket;    /* required for sim */
	int sim_timeout_ms;        /* AGENT_SIM_TIMEOUT_MS when 0 */
};

struct agent_provider {
	const char *name; /* "tsm", "sev-guest", "sim" */
	bool insecure;    /* sim: no confidentiality, the host makes the report */
	const char *help; /* one line */
	/*
	 * Asks for a report carrying report_data; on success out holds the
	 * evidence (release with tsm_evidence_free), on failure nothing.
	 */
	int (*get)(const struct agent_provider_cfg *cfg,
		   const uint8_t report_data[SNP_REPORT_DATA_SIZE], struct tsm_evidence *out,
		   struct snp_err *err);
};

extern const struct agent_provider agent_provider_tsm;
extern const struct agent_provider agent_provider_sev_guest;
extern const struct agent_provider agent_provider_sim;

/* The provider called name, or NULL. */
const struct agent_provider *agent_provider_find(const char *name);

/*
 * Fills out from a raw report and an optional certificate table as every
 * provider returns them (provider "sev_guest", copies of both; a table of
 * length 0 is no table). Checks the report's length only.
 */
int agent_evidence_set(const uint8_t *report, size_t report_len, const uint8_t *table,
		       size_t table_len, struct tsm_evidence *out, struct snp_err *err) SNP_MUST_CHECK;

#endif
