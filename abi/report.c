#include "abi/report.h"

#include <string.h>

#include "abi/endian.h"
#include "abi/policy.h"
#include "abi/reader.h"

/* The spec table, checked at compile time. */
_Static_assert(sizeof(struct snp_report_layout) == SNP_REPORT_SIZE, "report size");
_Static_assert(SNP_REPORT_OFF(policy) == 0x008, "POLICY");
_Static_assert(SNP_REPORT_OFF(vmpl) == 0x030, "VMPL");
_Static_assert(SNP_REPORT_OFF(current_tcb) == 0x038, "CURRENT_TCB");
_Static_assert(SNP_REPORT_OFF(signer_info) == 0x048, "signer info");
_Static_assert(SNP_REPORT_OFF(report_data) == 0x050, "REPORT_DATA");
_Static_assert(SNP_REPORT_OFF(measurement) == 0x090, "MEASUREMENT");
_Static_assert(SNP_REPORT_OFF(host_data) == 0x0C0, "HOST_DATA");
_Static_assert(SNP_REPORT_OFF(id_key_digest) == 0x0E0, "ID_KEY_DIGEST");
_Static_assert(SNP_REPORT_OFF(author_key_digest) == 0x110, "AUTHOR_KEY_DIGEST");
_Static_assert(SNP_REPORT_OFF(report_id) == 0x140, "REPORT_ID");
_Static_assert(SNP_REPORT_OFF(report_id_ma) == 0x160, "REPORT_ID_MA");
_Static_assert(SNP_REPORT_OFF(reported_tcb) == 0x180, "REPORTED_TCB");
_Static_assert(SNP_REPORT_OFF(cpuid_fam_id) == 0x188, "CPUID_FAM_ID");
_Static_assert(SNP_REPORT_OFF(reserved1) == 0x18B, "reserved 0x18B");
_Static_assert(SNP_REPORT_OFF(chip_id) == 0x1A0, "CHIP_ID");
_Static_assert(SNP_REPORT_OFF(committed_tcb) == 0x1E0, "COMMITTED_TCB");
_Static_assert(SNP_REPORT_OFF(current_build) == 0x1E8, "CURRENT_BUILD");
_Static_assert(SNP_REPORT_OFF(committed_build) == 0x1EC, "COMMITTED_BUILD");
_Static_assert(SNP_REPORT_OFF(launch_tcb) == 0x1F0, "LAUNCH_TCB");
_Static_assert(SNP_REPORT_OFF(launch_mit_vector) == 0x1F8, "LAUNCH_MIT_VECTOR");
_Static_assert(SNP_REPORT_OFF(current_mit_vector) == 0x200, "CURRENT_MIT_VECTOR");
_Static_assert(SNP_REPORT_OFF(reserved4) == 0x208, "reserved 0x208");
_Static_assert(SNP_REPORT_OFF(signature_r) == SNP_REPORT_SIGNED_LEN, "signature R");
_Static_assert(SNP_REPORT_OFF(signature_s) == 0x2E8, "signature S");
_Static_assert(SNP_REPORT_OFF(signature_rest) == 0x330, "signature rest");

static int rd_reserved(struct rd *r, const char *field, size_t n, bool lax, struct snp_err *err)
{
	return lax ? rd_bytes(r, field, NULL, n, err) : rd_zero(r, field, n, err);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int check_header(const struct snp_report *rep, bool lax, struct snp_err *err)
{
	unsigned key = report_signing_key(rep);

	if (rep->version < 2 || rep->version > 5)
		return snp_errf(err, SNP_E_VERSION,
				"report: VERSION at 0x000: %u is not supported (want 2..5)",
				rep->version);
	if (rep->signature_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"report: SIGNATURE_ALGO at 0x034: %u is not ECDSA P-384 (1)",
				rep->signature_algo);
	if (rep->signer_info & SNP_SIGNER_MBZ_MASK)
		return snp_errf(err, SNP_E_RESERVED,
				"report: signer info at 0x048: 0x%x has reserved bits 31:5 set",
				rep->signer_info);
	if (rep->signer_info & SNP_SIGNER_MASK_CHIP_KEY)
		return snp_errf(err, SNP_E_SIGNATURE,
				"report: signer info at 0x048: MASK_CHIP_KEY is set, the report is unsigned");
	if (key != SNP_SIGNING_KEY_VCEK && key != SNP_SIGNING_KEY_VLEK)
		return snp_errf(err, SNP_E_SIGNATURE,
				"report: signer info at 0x048: SIGNING_KEY %u is %s (want VCEK 0 or VLEK 1)",
				key, key == SNP_SIGNING_KEY_NONE ? "NONE" : "reserved");
	if (!lax)
		return snp_policy_check(rep->policy, "report: POLICY at 0x008", err);
	if (!(rep->policy & (1ull << 17)))
		return snp_errf(err, SNP_E_RESERVED, "report: POLICY at 0x008: bit 17 must be 1");
	return 0;
}

int report_parse(const uint8_t *buf, size_t len, const struct report_parse_opts *opts,
		 struct snp_report *out, struct snp_err *err)
{
	static const struct report_parse_opts strict;
	struct rd r = rd_init(buf, len, "report");
	struct snp_report rep;
	bool lax;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&rep, 0, sizeof(rep));
	if (!opts)
		opts = &strict;
	lax = opts->lax_reserved;
	if ((ret = rd_expect_len(&r, SNP_REPORT_SIZE, err)) != 0)
		return ret;

	if ((ret = rd_le32(&r, "VERSION", &rep.version, err)) != 0 ||
	    (ret = rd_le32(&r, "GUEST_SVN", &rep.guest_svn, err)) != 0 ||
	    (ret = rd_le64(&r, "POLICY", &rep.policy, err)) != 0 ||
	    (ret = rd_bytes(&r, "FAMILY_ID", rep.family_id, 16, err)) != 0 ||
	    (ret = rd_bytes(&r, "IMAGE_ID", rep.image_id, 16, err)) != 0 ||
	    (ret = rd_le32(&r, "VMPL", &rep.vmpl, err)) != 0 ||
	    (ret = rd_le32(&r, "SIGNATURE_ALGO", &rep.signature_algo, err)) != 0 ||
	    (ret = rd_le64(&r, "CURRENT_TCB", &rep.current_tcb, err)) != 0 ||
	    (ret = rd_le64(&r, "PLATFORM_INFO", &rep.platform_info, err)) != 0 ||
	    (ret = rd_le32(&r, "signer info", &rep.signer_info, err)) != 0)
		goto out;
	/* Version, algorithm and signer decide whether the rest means anything. */
	if ((ret = check_header(&rep, lax, err)) != 0)
		goto out;
	if ((ret = rd_reserved(&r, "reserved", 4, lax, err)) != 0 ||
	    (ret = rd_bytes(&r, "REPORT_DATA", rep.report_data, 64, err)) != 0 ||
	    (ret = rd_bytes(&r, "MEASUREMENT", rep.measurement, 48, err)) != 0 ||
	    (ret = rd_bytes(&r, "HOST_DATA", rep.host_data, 32, err)) != 0 ||
	    (ret = rd_bytes(&r, "ID_KEY_DIGEST", rep.id_key_digest, 48, err)) != 0 ||
	    (ret = rd_bytes(&r, "AUTHOR_KEY_DIGEST", rep.author_key_digest, 48, err)) != 0 ||
	    (ret = rd_bytes(&r, "REPORT_ID", rep.report_id, 32, err)) != 0 ||
	    (ret = rd_bytes(&r, "REPORT_ID_MA", rep.report_id_ma, 32, err)) != 0 ||
	    (ret = rd_le64(&r, "REPORTED_TCB", &rep.reported_tcb, err)) != 0)
		goto out;
	if (rep.version >= 3) {
		if ((ret = rd_u8(&r, "CPUID_FAM_ID", &rep.cpuid_fam_id, err)) != 0 ||
		    (ret = rd_u8(&r, "CPUID_MOD_ID", &rep.cpuid_mod_id, err)) != 0 ||
		    (ret = rd_u8(&r, "CPUID_STEP", &rep.cpuid_step, err)) != 0 ||
		    (ret = rd_reserved(&r, "reserved", 21, lax, err)) != 0)
			goto out;
	} else if ((ret = rd_reserved(&r, "reserved", 24, lax, err)) != 0) {
		goto out;
	}
	if ((ret = rd_bytes(&r, "CHIP_ID", rep.chip_id, 64, err)) != 0 ||
	    (ret = rd_le64(&r, "COMMITTED_TCB", &rep.committed_tcb, err)) != 0 ||
	    (ret = rd_u8(&r, "CURRENT_BUILD", &rep.current_build, err)) != 0 ||
	    (ret = rd_u8(&r, "CURRENT_MINOR", &rep.current_minor, err)) != 0 ||
	    (ret = rd_u8(&r, "CURRENT_MAJOR", &rep.current_major, err)) != 0 ||
	    (ret = rd_reserved(&r, "reserved", 1, lax, err)) != 0 ||
	    (ret = rd_u8(&r, "COMMITTED_BUILD", &rep.committed_build, err)) != 0 ||
	    (ret = rd_u8(&r, "COMMITTED_MINOR", &rep.committed_minor, err)) != 0 ||
	    (ret = rd_u8(&r, "COMMITTED_MAJOR", &rep.committed_major, err)) != 0 ||
	    (ret = rd_reserved(&r, "reserved", 1, lax, err)) != 0 ||
	    (ret = rd_le64(&r, "LAUNCH_TCB", &rep.launch_tcb, err)) != 0)
		goto out;
	if (rep.version >= 5) {
		if ((ret = rd_le64(&r, "LAUNCH_MIT_VECTOR", &rep.launch_mit_vector, err)) != 0 ||
		    (ret = rd_le64(&r, "CURRENT_MIT_VECTOR", &rep.current_mit_vector, err)) != 0 ||
		    (ret = rd_reserved(&r, "reserved", 152, lax, err)) != 0)
			goto out;
	} else if ((ret = rd_reserved(&r, "reserved", 168, lax, err)) != 0) {
		goto out;
	}
	/* An all-zero signature is what masked or unsigned reports carry. */
	if (all_zero(buf + SNP_REPORT_SIG_OFFSET, SNP_REPORT_SIZE - SNP_REPORT_SIG_OFFSET)) {
		ret = snp_errf(err, SNP_E_SIGNATURE, "report: SIGNATURE at 0x2a0: all zero");
		goto out;
	}
	/* Unused signature bytes are checked even when lax: they are signature, not future fields. */
	if ((ret = rd_bytes(&r, "SIGNATURE_R", rep.signature_r, 48, err)) != 0 ||
	    (ret = rd_zero(&r, "SIGNATURE_R bytes 48..71", 24, err)) != 0 ||
	    (ret = rd_bytes(&r, "SIGNATURE_S", rep.signature_s, 48, err)) != 0 ||
	    (ret = rd_zero(&r, "SIGNATURE_S bytes 48..71", 24, err)) != 0 ||
	    (ret = rd_zero(&r, "SIGNATURE reserved", 368, err)) != 0 ||
	    (ret = rd_end(&r, err)) != 0)
		goto out;
	*out = rep;
	ret = 0;
out:
	return ret;
}

void report_write(const struct snp_report *rep, uint8_t out[SNP_REPORT_SIZE])
{
	memset(out, 0, SNP_REPORT_SIZE);
	le32_put(out + SNP_REPORT_OFF(version), rep->version);
	le32_put(out + SNP_REPORT_OFF(guest_svn), rep->guest_svn);
	le64_put(out + SNP_REPORT_OFF(policy), rep->policy);
	memcpy(out + SNP_REPORT_OFF(family_id), rep->family_id, 16);
	memcpy(out + SNP_REPORT_OFF(image_id), rep->image_id, 16);
	le32_put(out + SNP_REPORT_OFF(vmpl), rep->vmpl);
	le32_put(out + SNP_REPORT_OFF(signature_algo), rep->signature_algo);
	le64_put(out + SNP_REPORT_OFF(current_tcb), rep->current_tcb);
	le64_put(out + SNP_REPORT_OFF(platform_info), rep->platform_info);
	le32_put(out + SNP_REPORT_OFF(signer_info), rep->signer_info);
	memcpy(out + SNP_REPORT_OFF(report_data), rep->report_data, 64);
	memcpy(out + SNP_REPORT_OFF(measurement), rep->measurement, 48);
	memcpy(out + SNP_REPORT_OFF(host_data), rep->host_data, 32);
	memcpy(out + SNP_REPORT_OFF(id_key_digest), rep->id_key_digest, 48);
	memcpy(out + SNP_REPORT_OFF(author_key_digest), rep->author_key_digest, 48);
	memcpy(out + SNP_REPORT_OFF(report_id), rep->report_id, 32);
	memcpy(out + SNP_REPORT_OFF(report_id_ma), rep->report_id_ma, 32);
	le64_put(out + SNP_REPORT_OFF(reported_tcb), rep->reported_tcb);
	if (rep->version >= 3) {
		out[SNP_REPORT_OFF(cpuid_fam_id)] = rep->cpuid_fam_id;
		out[SNP_REPORT_OFF(cpuid_mod_id)] = rep->cpuid_mod_id;
		out[SNP_REPORT_OFF(cpuid_step)] = rep->cpuid_step;
	}
	memcpy(out + SNP_REPORT_OFF(chip_id), rep->chip_id, 64);
	le64_put(out + SNP_REPORT_OFF(committed_tcb), rep->committed_tcb);
	out[SNP_REPORT_OFF(current_build)] = rep->current_build;
	out[SNP_REPORT_OFF(current_minor)] = rep->current_minor;
	out[SNP_REPORT_OFF(current_major)] = rep->current_major;
	out[SNP_REPORT_OFF(committed_build)] = rep->committed_build;
	out[SNP_REPORT_OFF(committed_minor)] = rep->committed_minor;
	out[SNP_REPORT_OFF(committed_major)] = rep->committed_major;
	le64_put(out + SNP_REPORT_OFF(launch_tcb), rep->launch_tcb);
	if (rep->version >= 5) {
		le64_put(out + SNP_REPORT_OFF(launch_mit_vector), rep->launch_mit_vector);
		le64_put(out + SNP_REPORT_OFF(current_mit_vector), rep->current_mit_vector);
	}
	memcpy(out + SNP_REPORT_OFF(signature_r), rep->signature_r, SNP_P384_SIZE);
	memcpy(out + SNP_REPORT_OFF(signature_s), rep->signature_s, SNP_P384_SIZE);
}

enum snp_product report_product(const struct snp_report *rep)
{
	if (rep->version < 3)
		return SNP_PRODUCT_UNKNOWN;
	return snp_product_from_cpuid(rep->cpuid_fam_id, rep->cpuid_mod_id);
}
