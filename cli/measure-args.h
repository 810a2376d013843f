/*
 * The measure inputs as command-line flags (sev-snp-measure's spellings),
 * one option table for every command that takes them: `snpvm measure`
 * predicts the digest of these inputs, `snpvm sim report` launches them.
 * measure_args_init() fills a->opts; a command splices it into its own table
 * with OPT_INCLUDE(a->opts, ...), then calls measure_args_check() and
 * measure_args_open().
 */
#ifndef SNPVM_CLI_MEASURE_ARGS_H
#define SNPVM_CLI_MEASURE_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/sev-hashes.h"
#include "cli/opt.h"
#include "measure/firmware-known.h"
#include "measure/measure.h"
#include "util/err.h"
#include "util/file.h"

/* Rows of the measure table (without its end row). */
#define MEASURE_ARGS_NOPTS 17

struct measure_args {
	struct measure_opts o; /* filled by check and open; points into the inputs */
	bool any;              /* some measure flag was given */
	struct opt opts[MEASURE_ARGS_NOPTS + 1]; /* the flags, pointing into this struct */
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

/*
 * The defaults (mode snp, VMM qemu, guest features 0x1, nothing opened) and
 * the option table in a->opts. a must not move afterwards.
 */
void measure_args_init(struct measure_args *a);

/*
 * After the last flag (a is a struct measure_args *, as an opt_cmd check
 * takes it): refuses missing, contradictory or mode-foreign flags
 * (SNP_E_INVALID naming them) and resolves the vCPU signature. Logs what is
 * ignored (cli/ may log).
 */
int measure_args_check(void *a, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Warns (log_warn) when the firmware at path, with sha256 hex, is not in the
 * manifest of known builds (known is NULL). The image is still used: the
 * launch plan refuses what cannot launch SNP; this says nobody vouched for it.
 */
void cli_warn_unknown_firmware(const char *path, const char *hex,
			       const struct firmware_known *known);

/*
 * Opens the files (warning about an unknown OVMF image) and computes the kernel hashes into a->o. Release with
 * measure_args_close (also after a failure).
 */
int measure_args_open(struct measure_args *a, struct snp_err *err) SNP_MUST_CHECK;

void measure_args_close(struct measure_args *a);

#endif
