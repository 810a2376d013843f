/*
 * vCPU signatures: CPUID Fn0000_0001_EAX of the guest CPU model, which a
 * VMM puts in RDX at reset (AMD CPUID specification pub. 25481; QEMU
 * target/i386/cpu.c; sev-snp-measure sevsnpmeasure/vcpu_types.py). The table
 * maps QEMU CPU model names.
 */
#ifndef SNPVM_MEASURE_CPU_SIG_H
#define SNPVM_MEASURE_CPU_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct cpu_sig_model {
	const char *name; /* QEMU -cpu model, e.g. "EPYC-Milan" */
	unsigned family;
	unsigned model;
	unsigned stepping;
};

/*
 * Packs family/model/stepping into a signature. Fails with SNP_E_INVALID
 * unless family <= 0x10E, model <= 0xFF and stepping <= 0xF (family 0 is
 * allowed as in sev-snp-measure: 0/0/0 packs to signature 0).
 */
int cpu_sig_pack(unsigned family, unsigned model, unsigned stepping, uint32_t *sig,
		 struct snp_err *err) SNP_MUST_CHECK;

/*
 * The signature of a QEMU CPU model (exact, case-sensitive name). Fails with
 * SNP_E_UNSUPPORTED naming the model and listing the known ones.
 */
int cpu_sig_lookup(const char *name, uint32_t *sig, struct snp_err *err) SNP_MUST_CHECK;

/* The model table, for --help and tests: *n entries. */
const struct cpu_sig_model *cpu_sig_models(size_t *n);

#endif
