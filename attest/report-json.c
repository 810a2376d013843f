#include "attest/report-json.h"

#include <stdio.h>

#include "util/hex.h"

static json_t *hex(const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];

	if (n > 64)
		return NULL;
	hex_encode(p, n, buf);
	return json_string(buf);
}

static json_t *hex64(uint64_t v)
{
	char buf[19];

	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return json_string(buf);
}

json_t *report_tcb_to_json(uint64_t tcb, enum snp_product p)
{
	json_t *o = json_object();
	struct snp_tcb t;

	if (!o)
		return NULL;
	json_object_set_new(o, "raw", hex64(tcb));
	if (p == SNP_PRODUCT_UNKNOWN)
		return o;
	snp_tcb_decode(p, tcb, &t);
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++) {
		const char *names[SNP_TCB_NCOMPONENTS] = { "fmc", "bootloader", "tee", "snp",
							   "microcode" };

		if (snp_tcb_byte_index(p, (enum snp_tcb_component)c) >= 0)
			json_object_set_new(o, names[c],
					    json_integer(snp_tcb_get(&t, (enum snp_tcb_component)c)));
	}
	return o;
}

json_t *report_to_json(const struct snp_report *rep, enum snp_product product)
{
	json_t *o = json_object(), *signer, *sig;
	char fw[16];

	if (!o)
		return NULL;
	json_object_set_new(o, "version", json_integer(rep->version));
	json_object_set_new(o, "guest_svn", json_integer(rep->guest_svn));
	json_object_set_new(o, "policy", hex64(rep->policy));
	json_object_set_new(o, "family_id", hex(rep->family_id, 16));
	json_object_set_new(o, "image_id", hex(rep->image_id, 16));
	json_object_set_new(o, "vmpl", json_integer(rep->vmpl));
	json_object_set_new(o, "signature_algo", json_integer(rep->signature_algo));
	json_object_set_new(o, "current_tcb", report_tcb_to_json(rep->current_tcb, product));
	json_object_set_new(o, "platform_info", hex64(rep->platform_info));
	signer = json_pack("{s:b,s:b,s:s,s:i}", "author_key_en",
			   (rep->signer_info & SNP_SIGNER_AUTHOR_KEY_EN) != 0, "mask_chip_key",
			   (rep->signer_info & SNP_SIGNER_MASK_CHIP_KEY) != 0, "signing_key",
			   report_signing_key(rep) == SNP_SIGNING_KEY_VCEK   ? "VCEK"
			   : report_signing_key(rep) == SNP_SIGNING_KEY_VLEK ? "VLEK"
									     : "other",
			   "raw", (int)rep->signer_info);
	json_object_set_new(o, "signer_info", signer);
	json_object_set_new(o, "report_data", hex(rep->report_data, 64));
	json_object_set_new(o, "measurement", hex(rep->measurement, 48));
	json_object_set_new(o, "host_data", hex(rep->host_data, 32));
	json_object_set_new(o, "id_key_digest", hex(rep->id_key_digest, 48));
	json_object_set_new(o, "author_key_digest", hex(rep->author_key_digest, 48));
	json_object_set_new(o, "report_id", hex(rep->report_id, 32));
	json_object_set_new(o, "report_id_ma", hex(rep->report_id_ma, 32));
	json_object_set_new(o, "reported_tcb", report_tcb_to_json(rep->reported_tcb, product));
	if (rep->version >= 3) {
		json_object_set_new(o, "cpuid_fam_id", json_integer(rep->cpuid_fam_id));
		json_object_set_new(o, "cpuid_mod_id", json_integer(rep->cpuid_mod_id));
		json_object_set_new(o, "cpuid_step", json_integer(rep->cpuid_step));
	}
	json_object_set_new(o, "chip_id", hex(rep->chip_id, 64));
	json_object_set_new(o, "committed_tcb", report_tcb_to_json(rep->committed_tcb, product));
	snprintf(fw, sizeof(fw), "%u.%u.%u", rep->current_major, rep->current_minor,
		 rep->current_build);
	json_object_set_new(o, "current_version", json_string(fw));
	snprintf(fw, sizeof(fw), "%u.%u.%u", rep->committed_major, rep->committed_minor,
		 rep->committed_build);
	json_object_set_new(o, "committed_version", json_string(fw));
	json_object_set_new(o, "launch_tcb", report_tcb_to_json(rep->launch_tcb, product));
	if (rep->version >= 5) {
		json_object_set_new(o, "launch_mit_vector", hex64(rep->launch_mit_vector));
		json_object_set_new(o, "current_mit_vector", hex64(rep->current_mit_vector));
	}
	sig = json_object();
	json_object_set_new(sig, "r", hex(rep->signature_r, SNP_P384_SIZE));
	json_object_set_new(sig, "s", hex(rep->signature_s, SNP_P384_SIZE));
	json_object_set_new(o, "signature", sig);
	json_object_set_new(o, "product", json_string(snp_product_name(product)));
	return o;
}
