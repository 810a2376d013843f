#include "abi/tcb.h"

#include <string.h>
#include <strings.h>

static const struct {
	enum snp_product product;
	const char *name;
	size_t chip_id_len;
	int8_t index[SNP_TCB_NCOMPONENTS]; /* fmc, bl, tee, snp, ucode */
} products[] = {
	{ SNP_PRODUCT_MILAN, "Milan", 64, { -1, 0, 1, 6, 7 } },
	{ SNP_PRODUCT_GENOA, "Genoa", 64, { -1, 0, 1, 6, 7 } },
	{ SNP_PRODUCT_TURIN, "Turin", 8, { 0, 1, 2, 3, 7 } },
};

static const char *const component_names[SNP_TCB_NCOMPONENTS] = {
	"FMC", "BOOT_LOADER", "TEE", "SNP", "MICROCODE",
};

static int find(enum snp_product p)
{
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++)
		if (products[i].product == p)
			return (int)i;
	return -1;
}

const char *snp_product_name(enum snp_product p)
{
	int i = find(p);

	return i < 0 ? "unknown" : products[i].name;
}

int snp_product_from_name(const char *name, enum snp_product *out, struct snp_err *err)
{
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
		if (strcasecmp(name, products[i].name) == 0) {
			*out = products[i].product;
			return 0;
		}
	}
	*out = SNP_PRODUCT_UNKNOWN;
	return snp_errf(err, SNP_E_INVALID, "product: unknown name '%s' (want milan, genoa or turin)",
			name);
}

enum snp_product snp_product_from_cpuid(uint8_t family, uint8_t model)
{
	if (family == 0x19 && model <= 0x0f)
		return SNP_PRODUCT_MILAN;
	if (family == 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)))
		return SNP_PRODUCT_GENOA;
	if (family == 0x1a && model <= 0x11)
		return SNP_PRODUCT_TURIN;
	return SNP_PRODUCT_UNKNOWN;
}

size_t snp_product_chip_id_len(enum snp_product p)
{
	int i = find(p);

	return i < 0 ? SNP_CHIP_ID_SIZE : products[i].chip_id_len;
}

const char *snp_tcb_component_name(enum snp_tcb_component c)
{
	return (unsigned)c < SNP_TCB_NCOMPONENTS ? component_names[c] : "?";
}

int snp_tcb_byte_index(enum snp_product p, enum snp_tcb_component c)
{
	int i = find(p);

	if (i < 0 || (unsigned)c >= SNP_TCB_NCOMPONENTS)
		return -1;
	return products[i].index[c];
}

uint8_t snp_tcb_get(const struct snp_tcb *t, enum snp_tcb_component c)
{
	switch (c) {
	case SNP_TCB_FMC:
		return t->fmc;
	case SNP_TCB_BOOTLOADER:
		return t->bootloader;
	case SNP_TCB_TEE:
		return t->tee;
	case SNP_TCB_SNP:
		return t->snp;
	case SNP_TCB_MICROCODE:
		return t->microcode;
	default:
		return 0;
	}
}

static uint8_t *component_ptr(struct snp_tcb *t, enum snp_tcb_component c)
{
	uint8_t *fields[SNP_TCB_NCOMPONENTS] = {
		&t->fmc, &t->bootloader, &t->tee, &t->snp, &t->microcode,
	};

	return fields[c];
}

void snp_tcb_decode(enum snp_product p, uint64_t raw, struct snp_tcb *out)
{
	memset(out, 0, sizeof(*out));
	for (int b = 0; b < SNP_TCB_SIZE; b++)
		out->raw[b] = (uint8_t)(raw >> (8 * b));
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++) {
		int idx = snp_tcb_byte_index(p, (enum snp_tcb_component)c);

		if (idx >= 0)
			*component_ptr(out, (enum snp_tcb_component)c) = out->raw[idx];
	}
}

uint64_t snp_tcb_encode(enum snp_product p, const struct snp_tcb *t)
{
	uint64_t raw = 0;

	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++) {
		int idx = snp_tcb_byte_index(p, (enum snp_tcb_component)c);

		if (idx >= 0)
			raw |= (uint64_t)snp_tcb_get(t, (enum snp_tcb_component)c) << (8 * idx);
	}
	return raw;
}

bool snp_tcb_at_least(enum snp_product p, const struct snp_tcb *have, const struct snp_tcb *floor)
{
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++) {
		if (snp_tcb_byte_index(p, (enum snp_tcb_component)c) < 0)
			continue;
		if (snp_tcb_get(have, (enum snp_tcb_component)c) <
		    snp_tcb_get(floor, (enum snp_tcb_component)c))
			return false;
	}
	return true;
}
