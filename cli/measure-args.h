/*
 * The measure inputs as command-line flags (sev-snp-measure's spellings),
 * parsed in one place for every command that takes them: `snpvm measure`
 * predicts the digest of these inputs, `snpvm sim report` launches them.
 * A command adds MEASURE_ARGS_LONGOPTS to its getopt_long table, hands each
 * option in MEASURE_OPT_FIRST..MEASURE_OPT_LAST to measure_args_option(), then
 * calls measure_args_check() and measure_args_open().
 */
#ifndef SNPVM_CLI_MEASURE_ARGS_H
#define SNPVM_CLI_MEASURE_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "abi/sev-hashes.h"
#include "measure/measure.h"
#include "util/err.h"
#include "util/file.h"

enum {
	MEASURE_OPT_FIRST = 0x1000,
	MEASURE_OPT_MODE = MEASURE_OPT_FIRST,
	MEASURE_OPT_VCPUS,
	MEASURE_OPT_VCPU_TYPE,
	MEASURE_OPT_VCPU_SIG,
	MEASURE_OPT_VCPU_FAMILY,
	MEASURE_OPT_VCPU_MODEL,
	MEASURE_OPT_VCPU_STEPPING,
	MEASURE_OPT_VMM_TYPE,
	MEASURE_OPT_OVMF,
	MEASURE_OPT_KERNEL,
	MEASURE_OPT_INITRD,
	MEASURE_OPT_APPEND,
	MEASURE_OPT_GUEST_FEATURES,
	MEASURE_OPT_SNP_OVMF_HASH,
	MEASURE_OPT_SVSM,
	MEASURE_OPT_VARS_SIZE,
	MEASURE_OPT_ALLOW_NO_MD,
	MEASURE_OPT_LAST = MEASURE_OPT_ALLOW_NO_MD,
};

/* struct option rows (getopt.h) for the flags above. */
#define MEASURE_ARGS_LONGOPTS                                                        \
	{ "mode", required_argument, NULL, MEASURE_OPT_MODE },                       \
	{ "vcpus", required_argument, NULL, MEASURE_OPT_VCPUS },                     \
	{ "vcpu-type", required_argument, NULL, MEASURE_OPT_VCPU_TYPE },             \
	{ "vcpu-sig", required_argument, NULL, MEASURE_OPT_VCPU_SIG },               \
	{ "vcpu-family", required_argument, NULL, MEASURE_OPT_VCPU_FAMILY },         \
	{ "vcpu-model", required_argument, NULL, MEASURE_OPT_VCPU_MODEL },           \
	{ "vcpu-stepping", required_argument, NULL, MEASURE_OPT_VCPU_STEPPING },     \
	{ "vmm-type", required_argument, NULL, MEASURE_OPT_VMM_TYPE },               \
	{ "ovmf", required_argument, NULL, MEASURE_OPT_OVMF },                       \
	{ "kernel", required_argument, NULL, MEASURE_OPT_KERNEL },                   \
	{ "initrd", required_argument, NULL, MEASURE_OPT_INITRD },                   \
	{ "append", required_argument, NULL, MEASURE_OPT_APPEND },                   \
	{ "guest-features", required_argument, NULL, MEASURE_OPT_GUEST_FEATURES },   \
	{ "snp-ovmf-hash", required_argument, NULL, MEASURE_OPT_SNP_OVMF_HASH },     \
	{ "svsm", required_argument, NULL, MEASURE_OPT_SVSM },                       \
	{ "vars-size", required_argument, NULL, MEASURE_OPT_VARS_SIZE },             \
	{ "allow-no-sev-metadata", no_argument, NULL, MEASURE_OPT_ALLOW_NO_MD }

struct measure_args {
	struct measure_opts o; /* filled by check and open; points into the inputs */
	bool any;              /* some measure flag was given */
	const char *ovmf, *svsm, *kernel, *initrd, *append, *vcpu_type, *vmm_type;
	bool has_vcpus, has_sig, has_vars_size, has_features, has_ovmf_hash;
	bool has_family, has_model, has_stepping;
	unsigned family, model, stepping;
	uint8_t ovmf_hash[SNP_LD_SIZE];
	/*
	 * Opened by measure_args_open: the firmware images mapped whole (they are
	 * parsed; o.ovmf and o.svsm point here), the kernel and initrd only
	 * hashed, in chunks, so only their sizes are kept.
	 */
	struct file_map ovmf_map, svsm_map;
	uint64_t kernel_len, initrd_len;
	struct sev_hashes hashes;
};

/* The defaults: mode snp, VMM qemu, guest features 0x1, nothing opened. */
void measure_args_init(struct measure_args *a);

/* Whether opt is one of MEASURE_ARGS_LONGOPTS. */
bool measure_args_is_option(int opt);

/* Takes one flag (opt from getopt_long, arg its value); SNP_E_INVALID naming the flag. */
int measure_args_option(struct measure_args *a, int opt, const char *arg,
			struct snp_err *err) SNP_MUST_CHECK;

/*
 * After the last flag: refuses missing, contradictory or mode-foreign flags
 * (SNP_E_INVALID naming them) and resolves the vCPU signature. Logs what is
 * ignored (cli/ may log).
 */
int measure_args_check(struct measure_args *a, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Opens the files and computes the kernel hashes into a->o. Release with
 * measure_args_close (also after a failure).
 */
int measure_args_open(struct measure_args *a, struct snp_err *err) SNP_MUST_CHECK;

void measure_args_close(struct measure_args *a);

/* The help lines of the flags, indented two spaces. */
void measure_args_usage(FILE *f);

#endif
