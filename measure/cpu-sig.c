#include "measure/cpu-sig.h"

#include <string.h>

/* Names as QEMU's x86 CPU models (target/i386/cpu.c) and sevsnpmeasure/vcpu_types.py. */
static const struct cpu_sig_model models[] = {
	{ "EPYC", 23, 1, 2 },
	{ "EPYC-v1", 23, 1, 2 },
	{ "EPYC-v2", 23, 1, 2 },
	{ "EPYC-v3", 23, 1, 2 },
	{ "EPYC-v4", 23, 1, 2 },
	{ "EPYC-IBPB", 23, 1, 2 },
	{ "EPYC-Rome", 23, 49, 0 },
	{ "EPYC-Rome-v1", 23, 49, 0 },
	{ "EPYC-Rome-v2", 23, 49, 0 },
	{ "EPYC-Rome-v3", 23, 49, 0 },
	{ "EPYC-Milan", 25, 1, 1 },
	{ "EPYC-Milan-v1", 25, 1, 1 },
	{ "EPYC-Milan-v2", 25, 1, 1 },
	{ "EPYC-Genoa", 25, 17, 0 },
	{ "EPYC-Genoa-v1", 25, 17, 0 },
	{ "EPYC-Turin", 26, 0, 0 },
};

#define NMODELS (sizeof(models) / sizeof(models[0]))

int cpu_sig_pack(unsigned family, unsigned model, unsigned stepping, uint32_t *sig,
		 struct snp_err *err)
{
	unsigned base_family = family, ext_family = 0;

	*sig = 0;
	/* Family 0 is allowed, as sev-snp-measure allows it: 0/0/0 is signature 0. */
	if (family > 0xF + 0xFF || model > 0xFF || stepping > 0xF)
		return snp_errf(err, SNP_E_INVALID,
				"vCPU family %u / model %u / stepping %u: want family 0..%u, "
				"model 0..255, stepping 0..15",
				family, model, stepping, 0xF + 0xFF);
	if (family > 0xF) {
		base_family = 0xF;
		ext_family = family - 0xF;
	}
	*sig = (uint32_t)(ext_family << 20 | ((model >> 4) & 0xF) << 16 | base_family << 8 |
			  (model & 0xF) << 4 | stepping);
	return 0;
}

int cpu_sig_lookup(const char *name, uint32_t *sig, struct snp_err *err)
{
	*sig = 0;
	for (size_t i = 0; i < NMODELS; i++)
		if (strcmp(models[i].name, name) == 0)
			return cpu_sig_pack(models[i].family, models[i].model, models[i].stepping,
					    sig, err);
	return snp_errf(err, SNP_E_UNSUPPORTED,
			"vCPU type \"%s\" is unknown (known: EPYC[-v1..v4], EPYC-IBPB, "
			"EPYC-Rome[-v1..v3], EPYC-Milan[-v1,-v2], EPYC-Genoa[-v1], EPYC-Turin; "
			"or give the signature, or its family, model and stepping)",
			name);
}

const struct cpu_sig_model *cpu_sig_models(size_t *n)
{
	*n = NMODELS;
	return models;
}
