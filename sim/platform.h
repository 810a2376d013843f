/*
 * The simulated platform: what SNP_PLATFORM_STATUS reports and what goes into
 * every report the platform signs (product, firmware version, TCBs, chip id,
 * CPUID identity, PLATFORM_INFO). Defaults per product come from real reports
 * (microsoft/TEE-Attestation-Verification's Milan/Genoa/Turin triples in
 * tests/data/attest/).
 */
#ifndef SNPVM_SIM_PLATFORM_H
#define SNPVM_SIM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/report.h"
#include "abi/tcb.h"
#include "util/err.h"

struct sim_platform {
	enum snp_product product;
	enum snp_signing_key signer; /* VCEK or VLEK */
	uint8_t fw_major, fw_minor, fw_build;             /* current firmware (API version) */
	uint8_t committed_major, committed_minor, committed_build;
	struct snp_tcb current_tcb, committed_tcb, reported_tcb;
	uint64_t platform_info;
	uint8_t chip_id[SNP_CHIP_ID_SIZE]; /* Turin: 8 bytes then zeros */
	uint8_t cpuid_family, cpuid_model, cpuid_stepping;
	uint32_t report_version; /* 3 (Milan, Genoa) or 5 (Turin) */
	uint64_t mit_vector;     /* v5: launch and current mitigation vector */
	unsigned sockets;        /* SINGLE_SOCKET policy needs 1 */
	char csp_id[64];         /* VLEK cspID */
};

/* Fills p with the defaults for product (TCB, firmware, CPUID, PLATFORM_INFO); chip id zero. */
void sim_platform_defaults(enum snp_product product, struct sim_platform *p);

/*
 * Parses a TCB given on the command line into t for product: either 16 hex
 * digits (the little-endian u64 as bytes 0..7 of the report field, e.g.
 * "04000000000018db") or a list "bl=4,tee=0,snp=24,ucode=219[,fmc=1]".
 * Components not named keep their value in t.
 */
int sim_platform_parse_tcb(enum snp_product product, const char *s, struct snp_tcb *t,
			   struct snp_err *err) SNP_MUST_CHECK;

#endif
