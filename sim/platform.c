#include "sim/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

static const struct {
	enum snp_product product;
	uint8_t fw_major, fw_minor, fw_build;
	uint8_t fmc, bl, tee, snp, ucode;
	uint8_t family, model, stepping;
	uint64_t platform_info;
	uint32_t report_version;
	uint64_t mit_vector;
} defaults[] = {
	/* Values seen in AMD-signed reports (mstav triples). */
	{ SNP_PRODUCT_MILAN, 1, 55, 29, 0, 4, 0, 24, 219, 0x19, 0x01, 1, 0x25, 3, 0 },
	{ SNP_PRODUCT_GENOA, 1, 55, 40, 0, 10, 0, 23, 84, 0x19, 0x11, 1, 0x25, 3, 0 },
	{ SNP_PRODUCT_TURIN, 1, 55, 65, 1, 1, 1, 4, 81, 0x1a, 0x02, 1, 0x65, 5, 0x3f },
};

void sim_platform_defaults(enum snp_product product, struct sim_platform *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct snp_tcb t = { 0 };

		if (defaults[i].product != product)
			continue;
		p->product = product;
		p->signer = SNP_SIGNING_KEY_VCEK;
		p->fw_major = p->committed_major = defaults[i].fw_major;
		p->fw_minor = p->committed_minor = defaults[i].fw_minor;
		p->fw_build = p->committed_build = defaults[i].fw_build;
		t.fmc = defaults[i].fmc;
		t.bootloader = defaults[i].bl;
		t.tee = defaults[i].tee;
		t.snp = defaults[i].snp;
		t.microcode = defaults[i].ucode;
		snp_tcb_decode(product, snp_tcb_encode(product, &t), &p->current_tcb);
		p->committed_tcb = p->reported_tcb = p->current_tcb;
		p->cpuid_family = defaults[i].family;
		p->cpuid_model = defaults[i].model;
		p->cpuid_stepping = defaults[i].stepping;
		p->platform_info = defaults[i].platform_info;
		p->report_version = defaults[i].report_version;
		p->mit_vector = defaults[i].mit_vector;
		p->sockets = 1;
		snprintf(p->csp_id, sizeof(p->csp_id), "CN=snpvm-sim.invalid");
	}
}

int sim_platform_parse_tcb(enum snp_product product, const char *s, struct snp_tcb *t,
			   struct snp_err *err)
{
	static const struct {
		const char *name;
		enum snp_tcb_component c;
	} names[] = {
		{ "fmc", SNP_TCB_FMC }, { "bl", SNP_TCB_BOOTLOADER }, { "tee", SNP_TCB_TEE },
		{ "snp", SNP_TCB_SNP }, { "ucode", SNP_TCB_MICROCODE },
	};
	uint8_t comp[SNP_TCB_NCOMPONENTS];
	char *copy, *tok, *save = NULL;
	int ret = SNP_E_INTERNAL;

	if (strlen(s) == 16 && !strchr(s, '=')) {
		uint8_t raw[8];
		uint64_t v = 0;

		if ((ret = hex_decode(s, raw, 8, "TCB", err)) != 0)
			return ret;
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | raw[i];
		snp_tcb_decode(product, v, t);
		return 0;
	}
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++)
		comp[c] = snp_tcb_get(t, (enum snp_tcb_component)c);
	if ((copy = strdup(s)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end = NULL;
		size_t i;
		unsigned long v;

		if (!eq)
			goto bad;
		*eq = '\0';
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(tok, names[i].name) == 0)
				break;
		errno = 0;
		v = strtoul(eq + 1, &end, 10);
		if (i == sizeof(names) / sizeof(names[0]) || errno || end == eq + 1 || *end || v > 255)
			goto bad;
		if (snp_tcb_byte_index(product, names[i].c) < 0) {
			ret = snp_errf(err, SNP_E_INVALID, "TCB: %s has no %s component",
				       snp_product_name(product), tok);
			goto out;
		}
		comp[names[i].c] = (uint8_t)v;
	}
	{
		struct snp_tcb n = { .fmc = comp[SNP_TCB_FMC],
				     .bootloader = comp[SNP_TCB_BOOTLOADER],
				     .tee = comp[SNP_TCB_TEE],
				     .snp = comp[SNP_TCB_SNP],
				     .microcode = comp[SNP_TCB_MICROCODE] };

		snp_tcb_decode(product, snp_tcb_encode(product, &n), t);
	}
	ret = 0;
	goto out;
bad:
	ret = snp_errf(err, SNP_E_INVALID,
		       "TCB '%s': want 16 hex digits or bl=N,tee=N,snp=N,ucode=N[,fmc=N] (0..255)",
		       s);
out:
	free(copy);
	return ret;
}
