/* SNP_GUEST_REQUEST (MSG_REPORT_REQ) and SNP_HV_REPORT_REQ: building and signing reports. */
#include "sim/sp.h"

#include <string.h>

#include <openssl/crypto.h>

#include "abi/endian.h"
#include "abi/guest-msg.h"
#include "abi/sev-status.h"
#include "sim/report.h"

static uint64_t tcb_u64(const struct snp_tcb *t)
{
	return le64_get(t->raw);
}

/* Fills every report field the firmware sets for guest g. */
static void report_fill(const struct sim_guest *g, const uint8_t report_data[64], uint32_t vmpl,
			struct snp_report *rep)
{
	const struct sim_platform *p = &g->sp->store.plat;

	memset(rep, 0, sizeof(*rep));
	rep->version = p->report_version;
	rep->guest_svn = g->guest_svn;
	rep->policy = g->policy;
	memcpy(rep->family_id, g->family_id, 16);
	memcpy(rep->image_id, g->image_id, 16);
	rep->vmpl = vmpl;
	rep->signature_algo = SNP_SIG_ALGO_ECDSA_P384_SHA384;
	rep->current_tcb = tcb_u64(&p->current_tcb);
	rep->platform_info = p->platform_info;
	rep->signer_info = (g->author_key_en ? SNP_SIGNER_AUTHOR_KEY_EN : 0) |
			   ((uint32_t)p->signer << SNP_SIGNER_KEY_SHIFT);
	memcpy(rep->report_data, report_data, SNP_REPORT_DATA_SIZE);
	memcpy(rep->measurement, g->measurement, SNP_MEASUREMENT_SIZE);
	memcpy(rep->host_data, g->host_data, SNP_HOST_DATA_SIZE);
	memcpy(rep->id_key_digest, g->id_key_digest, SNP_KEY_DIGEST_SIZE);
	if (g->author_key_en)
		memcpy(rep->author_key_digest, g->author_key_digest, SNP_KEY_DIGEST_SIZE);
	memcpy(rep->report_id, g->report_id, 32);
	memset(rep->report_id_ma, 0xff, 32); /* no migration agent */
	rep->reported_tcb = tcb_u64(&p->reported_tcb);
	if (rep->version >= 3) {
		rep->cpuid_fam_id = p->cpuid_family;
		rep->cpuid_mod_id = p->cpuid_model;
		rep->cpuid_step = p->cpuid_stepping;
	}
	memcpy(rep->chip_id, p->chip_id, snp_product_chip_id_len(p->product));
	rep->committed_tcb = tcb_u64(&p->committed_tcb);
	rep->current_build = p->fw_build;
	rep->current_minor = p->fw_minor;
	rep->current_major = p->fw_major;
	rep->committed_build = p->committed_build;
	rep->committed_minor = p->committed_minor;
	rep->committed_major = p->committed_major;
	rep->launch_tcb = tcb_u64(&g->launch_tcb);
	if (rep->version >= 5)
		rep->launch_mit_vector = rep->current_mit_vector = p->mit_vector;
}

/* The MSG_REPORT_RSP status for a request, before any signing. */
static uint32_t report_req_status(const struct sim_guest *g, const struct snp_msg_report_req *req,
				  unsigned vmpck)
{
	enum snp_signing_key signer = g->sp->store.plat.signer;

	if (req->vmpl > 3 || req->vmpl < vmpck)
		return SNP_REPORT_RSP_STATUS_INVALID_PARAMETERS;
	if ((req->key_sel == SNP_REPORT_KEY_SEL_VCEK && signer != SNP_SIGNING_KEY_VCEK) ||
	    (req->key_sel == SNP_REPORT_KEY_SEL_VLEK && signer != SNP_SIGNING_KEY_VLEK) ||
	    req->key_sel > SNP_REPORT_KEY_SEL_VLEK)
		return SNP_REPORT_RSP_STATUS_INVALID_KEY_SELECTION;
	return SNP_REPORT_RSP_STATUS_SUCCESS;
}

int sim_guest_request(struct sim_guest *g, const uint8_t *req, size_t req_len, uint8_t *rsp,
		      size_t rsp_cap, size_t *rsp_len, uint32_t *fw_status, struct snp_err *err)
{
	struct snp_guest_msg_hdr hdr, rhdr;
	struct snp_msg_report_req rr;
	struct snp_report rep;
	uint8_t payload[SNP_GUEST_MSG_PAYLOAD_MAX], report[SNP_REPORT_SIZE];
	uint8_t rsp_payload[SNP_MSG_REPORT_RSP_SIZE];
	size_t plen = 0;
	uint32_t status;
	int ret = SNP_E_INTERNAL;

	*rsp_len = 0;
	if (fw_status)
		*fw_status = SNP_FW_INVALID_PARAM;
	if (g->state != SIM_GUEST_RUNNING) {
		if (fw_status)
			*fw_status = SNP_FW_INVALID_GUEST_STATE;
		return snp_errf(err, SNP_E_STATE,
				"GUEST_REQUEST: guest is not running: INVALID_GUEST_STATE");
	}
	if ((ret = guest_msg_parse_hdr(req, req_len, &hdr, err)) != 0)
		goto out;
	if (hdr.seqno != g->fw_seqno[hdr.msg_vmpck] + 1) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "GUEST_REQUEST: MSG_SEQNO %llu, want %llu for VMPCK%u: INVALID_PARAM",
			       (unsigned long long)hdr.seqno,
			       (unsigned long long)g->fw_seqno[hdr.msg_vmpck] + 1, hdr.msg_vmpck);
		goto out;
	}
	if ((ret = guest_msg_open(g->secrets.vmpck[hdr.msg_vmpck], req, req_len, &hdr, payload,
				  sizeof(payload), &plen, err)) != 0)
		goto out;
	if (hdr.msg_type != SNP_MSG_REPORT_REQ || hdr.msg_version != 1) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED,
			       "GUEST_REQUEST: message type %u version %u not supported: INVALID_PARAM",
			       hdr.msg_type, hdr.msg_version);
		goto out;
	}
	if ((ret = guest_msg_report_req_parse(payload, plen, &rr, err)) != 0)
		goto out;
	status = report_req_status(g, &rr, hdr.msg_vmpck);
	if (status == SNP_REPORT_RSP_STATUS_SUCCESS) {
		report_fill(g, rr.report_data, rr.vmpl, &rep);
		if ((ret = sim_report_sign(&rep, g->sp->store.vek_key, report, err)) != 0)
			goto out;
	}
	guest_msg_report_rsp_write(status, status == 0 ? report : NULL, rsp_payload);
	rhdr = hdr;
	rhdr.seqno = hdr.seqno + 1;
	rhdr.msg_type = SNP_MSG_REPORT_RSP;
	if ((ret = guest_msg_seal(g->secrets.vmpck[hdr.msg_vmpck], &rhdr, rsp_payload,
				  sizeof(rsp_payload), rsp, rsp_cap, rsp_len, err)) != 0)
		goto out;
	g->fw_seqno[hdr.msg_vmpck] = rhdr.seqno;
	if (fw_status)
		*fw_status = SNP_FW_SUCCESS;
	ret = 0;
out:
	OPENSSL_cleanse(payload, sizeof(payload));
	return ret;
}

int sim_guest_report(struct sim_guest *g, const uint8_t report_data[64], uint32_t vmpl,
		     uint8_t out[SNP_REPORT_SIZE], struct snp_err *err)
{
	struct snp_msg_report_req rr = { .vmpl = vmpl };
	struct snp_guest_msg_hdr hdr = { 0 };
	uint8_t req_payload[SNP_MSG_REPORT_REQ_SIZE], req[SNP_GUEST_MSG_MAX];
	uint8_t rsp[SNP_GUEST_MSG_MAX], rsp_payload[SNP_GUEST_MSG_PAYLOAD_MAX];
	size_t req_len = 0, rsp_len = 0, plen = 0;
	uint32_t status = 0;
	unsigned vmpck = vmpl > 3 ? 3 : vmpl;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, SNP_REPORT_SIZE);
	memcpy(rr.report_data, report_data, 64);
	guest_msg_report_req_write(&rr, req_payload);
	hdr.seqno = g->drv_seqno[vmpck] + 1;
	hdr.msg_type = SNP_MSG_REPORT_REQ;
	hdr.msg_version = 1;
	hdr.msg_vmpck = (uint8_t)vmpck;
	if ((ret = guest_msg_seal(g->secrets.vmpck[vmpck], &hdr, req_payload, sizeof(req_payload),
				  req, sizeof(req), &req_len, err)) != 0 ||
	    (ret = sim_guest_request(g, req, req_len, rsp, sizeof(rsp), &rsp_len, NULL, err)) != 0)
		goto out;
	if ((ret = guest_msg_open(g->secrets.vmpck[vmpck], rsp, rsp_len, &hdr, rsp_payload,
				  sizeof(rsp_payload), &plen, err)) != 0)
		goto out;
	g->drv_seqno[vmpck] = hdr.seqno;
	if (hdr.msg_type != SNP_MSG_REPORT_RSP) {
		ret = snp_errf(err, SNP_E_INVALID, "report response: MSG_TYPE %u, want %u",
			       hdr.msg_type, SNP_MSG_REPORT_RSP);
		goto out;
	}
	if ((ret = guest_msg_report_rsp_parse(rsp_payload, plen, &status, out, err)) != 0)
		goto out;
	if (status != 0) {
		ret = snp_errf(err, SNP_E_REFUSED, "report response: STATUS 0x%x (%s)", status,
			       status == SNP_REPORT_RSP_STATUS_INVALID_KEY_SELECTION
				       ? "INVALID_KEY_SELECTION"
				       : "INVALID_PARAMETERS");
		goto out;
	}
	ret = 0;
out:
	return ret;
}

int sim_hv_report(struct sim_guest *g, const uint8_t report_data[64],
		  uint8_t out[SNP_REPORT_SIZE], uint32_t *fw_status, struct snp_err *err)
{
	struct snp_report rep;
	int ret;

	memset(out, 0, SNP_REPORT_SIZE);
	if (g->state != SIM_GUEST_RUNNING) {
		if (fw_status)
			*fw_status = SNP_FW_INVALID_GUEST_STATE;
		return snp_errf(err, SNP_E_STATE,
				"HV_REPORT_REQ: guest is not running: INVALID_GUEST_STATE");
	}
	report_fill(g, report_data, SIM_HV_REPORT_VMPL, &rep);
	if ((ret = sim_report_sign(&rep, g->sp->store.vek_key, out, err)) != 0)
		return ret;
	if (fw_status)
		*fw_status = SNP_FW_SUCCESS;
	return 0;
}
