/*
 * The decoded report as JSON (jansson): every field, byte fields in hex, the
 * TCBs decoded with the product's layout. Used by `snpvm verify --json`.
 */
#ifndef SNPVM_ATTEST_REPORT_JSON_H
#define SNPVM_ATTEST_REPORT_JSON_H

#include <jansson.h>

#include "abi/report.h"
#include "abi/tcb.h"

/*
 * Returns a new object (the caller json_decref's it) or NULL on allocation
 * failure. With SNP_PRODUCT_UNKNOWN the TCBs are given raw only.
 */
json_t *report_to_json(const struct snp_report *rep, enum snp_product product);

/* One TCB_VERSION: {"raw": "hex", "bootloader": n, ...} for product p. */
json_t *report_tcb_to_json(uint64_t tcb, enum snp_product p);

#endif
