/*
 * The host's certificate table that the snp backend serves to guests on
 * KVM_EXIT_SNP_REQ_CERTS (Linux 7.0+): the VCEK or VLEK, its ASK (ASVK for a
 * VLEK) and the ARK, read from the launch policy's certs_dir and encoded as
 * the GUID table of the GHCB specification 56421 ("SNP Extended Guest
 * Request") and AMD SEV-SNP ABI spec 56860 (abi/cert-table.h).
 */
#ifndef SNPVM_LAUNCHER_HOST_CERTS_H
#define SNPVM_LAUNCHER_HOST_CERTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Reads dir (*.pem, *.crt, *.cer, *.der; attest/certs.h) and builds the table
 * in *out (malloc'd, *len bytes). Exactly one VCEK or VLEK, and the ASK/ASVK
 * and ARK of its product, must be there; otherwise SNP_E_INVALID naming what
 * is missing.
 */
int host_certs_table(const char *dir, uint8_t **out, size_t *len,
		     struct snp_err *err) SNP_MUST_CHECK;

#endif
