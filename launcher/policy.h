/*
 * The launch policy file (JSON, docs/policy-file.md): the one launch
 * configuration. `snpvm launch`, `snpvm measure POLICY.json` and
 * `snpvm measure --verifier-policy POLICY.json` all read it here. Bounded
 * (LAUNCH_POLICY_MAX_SIZE), strict: unknown keys, duplicate keys, wrong types
 * and bad values are refused naming the key and why. Relative paths are
 * resolved against the policy file's directory.
 */
#ifndef SNPVM_LAUNCHER_POLICY_H
#define SNPVM_LAUNCHER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define LAUNCH_POLICY_MAX_SIZE (64 * 1024)
#define LAUNCH_POLICY_MAX_PATH 4096

enum launch_console {
	LAUNCH_CONSOLE_STDOUT,
	LAUNCH_CONSOLE_NONE,
	LAUNCH_CONSOLE_FILE, /* console_path */
};

struct launch_policy {
	char backend[8];          /* "sim" (default) or "snp" */
	char accel[8];            /* "auto" (default), "kvm" or "emu" */
	char *payload;            /* resolved paths, malloc'd, or NULL */
	char *firmware;
	char *kernel, *initrd;
	char *cmdline;            /* payload: boot params; firmware: measured kernel cmdline */
	unsigned vcpus;           /* default 1 */
	uint32_t vcpu_sig;        /* from vcpu_type (measure/cpu-sig.c), default EPYC-v4 */
	char vcpu_type[32];
	uint64_t guest_features;  /* default 0x1 */
	uint64_t memory_mib;      /* default 64 */
	uint64_t guest_policy;    /* the SNP guest policy, composed from guest_policy {} */
	uint8_t host_data[32];    /* zero unless host_data is given */
	bool host_data_is_digest; /* host_data was "policy-digest" */
	char *id_key, *author_key;              /* id_block {id_key, author_key} */
	char *id_block_file, *id_auth_file;     /* id_block {id_block_file, id_auth_file} */
	enum launch_console console;
	char *console_path;
	char *sim_dir;            /* the sim backend's state directory */
	char *certs_dir;          /* snp: the host's VCEK/VLEK, ASK, ARK for guests, or NULL */
	uint64_t timeout_s;       /* 0: none */
	bool has_min_tcb;         /* min_tcb: the verifier policy's minimum REPORTED/LAUNCH TCB */
	uint8_t min_tcb_bootloader, min_tcb_tee, min_tcb_snp, min_tcb_microcode, min_tcb_fmc;
	bool min_tcb_has_fmc;     /* Turin's FMC SVN */
	uint8_t digest[32];       /* SHA-256 of the canonical policy (docs/policy-file.md) */
};

/*
 * Parses len bytes of JSON policy text; dir is the directory relative paths
 * are resolved against. On failure *p is zeroed and err (SNP_E_INVALID) names
 * the key. Release with launch_policy_free.
 */
int launch_policy_parse(const char *text, size_t len, const char *dir, struct launch_policy *p,
			struct snp_err *err) SNP_MUST_CHECK;

/* Reads path (at most LAUNCH_POLICY_MAX_SIZE bytes) and parses it relative to its directory. */
int launch_policy_load(const char *path, struct launch_policy *p,
		       struct snp_err *err) SNP_MUST_CHECK;

void launch_policy_free(struct launch_policy *p);

#endif
