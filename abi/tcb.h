/*
 * Products and TCB_VERSION. The 8-byte TCB_VERSION has a per-product layout
 * (SNP ABI spec 56860, TCB_VERSION structure, which differs per product):
 * Milan and Genoa put BOOT_LOADER, TEE, 4 reserved, SNP, MICROCODE; Turin
 * puts FMC, BOOT_LOADER, TEE, SNP, 3 reserved, MICROCODE. One table describes
 * both; nothing else in the project knows the byte positions.
 */
#ifndef SNPVM_ABI_TCB_H
#define SNPVM_ABI_TCB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum snp_product {
	SNP_PRODUCT_UNKNOWN = 0,
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA, /* includes Bergamo and Siena (model 0xA0-0xAF) */
	SNP_PRODUCT_TURIN,
};

#define SNP_CHIP_ID_SIZE 64
#define SNP_TCB_SIZE 8

/* "Milan", "Genoa", "Turin" (the ARK/ASK/KDS name), or "unknown". */
const char *snp_product_name(enum snp_product p);

/* Case-insensitive name to product; fails naming the value. */
int snp_product_from_name(const char *name, enum snp_product *out,
			  struct snp_err *err) SNP_MUST_CHECK;

/* Product from CPUID family/model by range; SNP_PRODUCT_UNKNOWN when unmapped. */
enum snp_product snp_product_from_cpuid(uint8_t family, uint8_t model);

/* Bytes of CHIP_ID that carry the chip identity: 64, or 8 on Turin. */
size_t snp_product_chip_id_len(enum snp_product p);

/* One TCB_VERSION decoded. Components a product lacks (FMC before Turin) are 0. */
struct snp_tcb {
	uint8_t fmc;
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
	uint8_t raw[SNP_TCB_SIZE]; /* the 8 bytes as they appear in the report */
};

enum snp_tcb_component {
	SNP_TCB_FMC = 0,
	SNP_TCB_BOOTLOADER,
	SNP_TCB_TEE,
	SNP_TCB_SNP,
	SNP_TCB_MICROCODE,
	SNP_TCB_NCOMPONENTS,
};

/* "FMC", "BOOT_LOADER", "TEE", "SNP", "MICROCODE". */
const char *snp_tcb_component_name(enum snp_tcb_component c);

/*
 * Byte index of component c in TCB_VERSION for product p, or -1 when the
 * product has no such component.
 */
int snp_tcb_byte_index(enum snp_product p, enum snp_tcb_component c);

/* Value of component c in t (0 for a component the product lacks). */
uint8_t snp_tcb_get(const struct snp_tcb *t, enum snp_tcb_component c);

/* Decodes raw (the u64 read little-endian from the report) with p's layout. */
void snp_tcb_decode(enum snp_product p, uint64_t raw, struct snp_tcb *out);

/* Encodes the components of t with p's layout; reserved bytes are zero. */
uint64_t snp_tcb_encode(enum snp_product p, const struct snp_tcb *t);

/*
 * Component-wise comparison: true when every component of have is >= the
 * same component of floor. Never compares the u64 as one integer.
 */
bool snp_tcb_at_least(enum snp_product p, const struct snp_tcb *have, const struct snp_tcb *floor);

#endif
