/*
 * Signing an attestation report as the firmware does: the report is
 * serialised with report_write(), bytes 0x000..0x29F are signed with ECDSA
 * P-384 / SHA-384 by the VCEK or VLEK, and R and S are stored as 72-byte
 * little-endian integers at 0x2A0 and 0x2E8.
 */
#ifndef SNPVM_SIM_REPORT_H
#define SNPVM_SIM_REPORT_H

#include <stdint.h>

#include "abi/report.h"
#include "util/err.h"

struct evp_pkey_st;

/* Serialises rep into out and signs it with key (P-384). */
int sim_report_sign(const struct snp_report *rep, struct evp_pkey_st *key,
		    uint8_t out[SNP_REPORT_SIZE], struct snp_err *err) SNP_MUST_CHECK;

#endif
