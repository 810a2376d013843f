/*
 * The secure-processor checks on /dev/sev: the device opens read-write (KVM
 * takes an fd on it for SNP_LAUNCH_START), and SNP_PLATFORM_STATUS through
 * SEV_ISSUE_CMD (include/uapi/linux/psp-sev.h) says the firmware version,
 * whether SNP and the RMP are initialised, and the TCB (SNP ABI spec 56860,
 * SNP_PLATFORM_STATUS).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "abi/reader.h"
#include "abi/sev-status.h"
#include "abi/tcb.h"
#include "hostcheck/compat.h"
#include "hostcheck/internal.h"

/* Linux's PSP driver refuses SNP firmware older than 1.51 (drivers/crypto/ccp/sev-dev.c). */
#define FW_MIN_MAJOR 1
#define FW_MIN_MINOR 51

/* STATE of SNP_PLATFORM_STATUS (SNP ABI spec 56860, platform states): 1 = INIT. */
#define SNP_STATE_INIT 1

void hc_dev_sev(struct hc_ctx *c, struct hostcheck_result *r)
{
	static const struct hc_dev sev = {
		.path = "/dev/sev",
		.missing = "no /dev/sev",
		.missing_fix = "No AMD secure processor device: load ccp (CONFIG_CRYPTO_DEV_SP_PSP) "
			       "on an SEV-capable EPYC host with SEV enabled in the BIOS setup; "
			       "dmesg | grep ccp says why it did not bind.",
		.denied_fix = "Run as root, or give the launching user read-write access to "
			      "/dev/sev (KVM takes an fd on it for SNP_LAUNCH_START).",
		.other_fix = "Check /dev/sev: it must be the PSP driver's character device.",
	};

	c->sev_fd = hc_open_dev(c, r, &sev);
}

/* The 32-byte SNP_PLATFORM_STATUS structure, field by field. */
static int parse_status(const uint8_t *buf, size_t len, struct hc_snp_status *st,
			struct snp_err *err)
{
	struct rd rd = rd_init(buf, len, "SNP_PLATFORM_STATUS");
	uint8_t rmp;
	int ret;

	if ((ret = rd_u8(&rd, "API_MAJOR", &st->api_major, err)) != 0 ||
	    (ret = rd_u8(&rd, "API_MINOR", &st->api_minor, err)) != 0 ||
	    (ret = rd_u8(&rd, "STATE", &st->state, err)) != 0 ||
	    (ret = rd_u8(&rd, "IS_RMP_INIT", &rmp, err)) != 0 ||
	    (ret = rd_le32(&rd, "BUILD_ID", &st->build_id, err)) != 0 ||
	    (ret = rd_le32(&rd, "MASK_CHIP_ID etc.", &st->features, err)) != 0 ||
	    (ret = rd_le32(&rd, "GUEST_COUNT", &st->guest_count, err)) != 0 ||
	    (ret = rd_le64(&rd, "CURRENT_TCB", &st->current_tcb, err)) != 0 ||
	    (ret = rd_le64(&rd, "REPORTED_TCB", &st->reported_tcb, err)) != 0 ||
	    (ret = rd_end(&rd, err)) != 0)
		return ret;
	st->rmp_initialised = rmp & 1;
	return 0;
}

void hc_snp_firmware(struct hc_ctx *c, struct hostcheck_result *r)
{
	static const char fix[] =
		"Load kvm_amd with sev_snp=1 (that initialises SNP), update the SEV firmware "
		"to 1.51 or later (BIOS update), and read dmesg | grep -i -e sev -e snp.";
	uint8_t buf[HOSTCHECK_SNP_STATUS_SIZE];
	struct sev_issue_cmd cmd;
	struct snp_err err = { 0 };
	int v;

	if (c->sev_fd < 0) {
		hc_skip(r, "needs /dev/sev (dev-sev)");
		return;
	}
	memset(buf, 0, sizeof(buf));
	memset(&cmd, 0, sizeof(cmd));
	cmd.cmd = HOSTCHECK_SEV_SNP_PLATFORM_STATUS;
	cmd.data = (uint64_t)(uintptr_t)buf;
	v = c->sys.ioctl(c->sys.ctx, c->sev_fd, SEV_ISSUE_CMD, &cmd);
	if (v < 0) {
		if (cmd.error)
			hc_fail(r, fix, "SNP_PLATFORM_STATUS: %s, firmware status 0x%x (%s)",
				strerror(-v), cmd.error, snp_fw_status_name(cmd.error));
		else
			hc_fail(r, fix, "SNP_PLATFORM_STATUS: %s", strerror(-v));
		return;
	}
	if (parse_status(buf, sizeof(buf), &c->status, &err) != 0) {
		hc_fail(r, fix, "%s", err.msg);
		return;
	}
	c->status_ok = true;
	if (c->status.api_major < FW_MIN_MAJOR ||
	    (c->status.api_major == FW_MIN_MAJOR && c->status.api_minor < FW_MIN_MINOR)) {
		hc_fail(r,
			"Update the SEV firmware (a BIOS update, or a newer "
			"amd_sev_fam*h_model*h.sbin in /lib/firmware/amd): Linux needs SNP "
			"firmware 1.51 or later.",
			"SNP firmware %u.%u build %u is older than 1.51", c->status.api_major,
			c->status.api_minor, c->status.build_id);
		return;
	}
	hc_pass(r, "SNP firmware %u.%u build %u, %u guests running", c->status.api_major,
		c->status.api_minor, c->status.build_id, c->status.guest_count);
}

void hc_snp_initialised(struct hc_ctx *c, struct hostcheck_result *r)
{
	if (!c->status_ok) {
		hc_skip(r, "needs SNP_PLATFORM_STATUS (snp-firmware)");
		return;
	}
	if (c->status.state != SNP_STATE_INIT || !c->status.rmp_initialised) {
		hc_fail(r,
			"Load kvm_amd with sev_snp=1 so that Linux initialises SNP; if it does "
			"not, dmesg names the cause (the BIOS must reserve the RMP table and "
			"enable the IOMMU).",
			"platform state %u (%s), RMP %s", c->status.state,
			c->status.state == SNP_STATE_INIT ? "INIT" : "not INIT",
			c->status.rmp_initialised ? "initialised" : "not initialised");
		return;
	}
	hc_pass(r, "platform state INIT, RMP initialised");
}

/* "BL 3 TEE 0 SNP 8 uCode 115" in product p's layout, or the raw value. */
static void tcb_text(enum snp_product p, uint64_t raw, char *buf, size_t len)
{
	struct snp_tcb t;

	if (p == SNP_PRODUCT_UNKNOWN) {
		snprintf(buf, len, "0x%016llx", (unsigned long long)raw);
		return;
	}
	snp_tcb_decode(p, raw, &t);
	if (snp_tcb_byte_index(p, SNP_TCB_FMC) >= 0)
		snprintf(buf, len, "FMC %u BL %u TEE %u SNP %u uCode %u", t.fmc, t.bootloader, t.tee,
			 t.snp, t.microcode);
	else
		snprintf(buf, len, "BL %u TEE %u SNP %u uCode %u", t.bootloader, t.tee, t.snp,
			 t.microcode);
}

void hc_snp_tcb(struct hc_ctx *c, struct hostcheck_result *r)
{
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	struct snp_tcb cur, rep;
	char cs[80], rs[80];

	if (!c->status_ok) {
		hc_skip(r, "needs SNP_PLATFORM_STATUS (snp-firmware)");
		return;
	}
	if (c->cpu.have_family && c->cpu.have_model && c->cpu.family <= 0xff &&
	    c->cpu.model <= 0xff)
		p = snp_product_from_cpuid((uint8_t)c->cpu.family, (uint8_t)c->cpu.model);
	tcb_text(p, c->status.current_tcb, cs, sizeof(cs));
	tcb_text(p, c->status.reported_tcb, rs, sizeof(rs));
	if (p != SNP_PRODUCT_UNKNOWN) {
		snp_tcb_decode(p, c->status.current_tcb, &cur);
		snp_tcb_decode(p, c->status.reported_tcb, &rep);
		if (!snp_tcb_at_least(p, &cur, &rep)) {
			hc_fail(r,
				"Set the reported TCB to at most the current one (SNP_SET_CONFIG, "
				"e.g. virtee's snphost config set): reports would claim firmware "
				"this host does not run.",
				"%s TCB current %s, reported %s is above it", snp_product_name(p), cs,
				rs);
			return;
		}
	}
	hc_pass(r, "%s TCB current %s, reported %s",
		p == SNP_PRODUCT_UNKNOWN ? "unknown-product" : snp_product_name(p), cs, rs);
}
