/*
 * abi/vmsa.c: every field at its APM vol. 2 table B-4 offset, little-endian,
 * all other bytes zero; parse is the inverse and refuses set reserved bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/vmsa.h"

/* A VMSA whose every field has a distinct value. */
static void distinct(struct snp_vmsa *v)
{
	struct snp_vmsa_seg *segs[] = { &v->es, &v->cs, &v->ss, &v->ds, &v->fs,
					&v->gs, &v->gdtr, &v->ldtr, &v->idtr, &v->tr };

	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < 10; i++) {
		segs[i]->selector = (uint16_t)(0x1100 + i);
		segs[i]->attrib = (uint16_t)(0x2200 + i);
		segs[i]->limit = 0x33330000u + i;
		segs[i]->base = 0x4444444400000000ull + i;
	}
	v->efer = 0x0102030405060708ull;
	v->cr4 = 0x1112131415161718ull;
	v->cr3 = 0x1a1b1c1d1e1f1011ull;
	v->cr0 = 0x2122232425262728ull;
	v->dr7 = 0x3132333435363738ull;
	v->dr6 = 0x4142434445464748ull;
	v->rflags = 0x5152535455565758ull;
	v->rip = 0x6162636465666768ull;
	v->rsp = 0x6a6b6c6d6e6f6061ull;
	v->g_pat = 0x7172737475767778ull;
	v->rdx = 0x8182838485868788ull;
	v->rsi = 0x8a8b8c8d8e8f8081ull;
	v->rdi = 0x9a9b9c9d9e9f9091ull;
	v->sev_features = 0x9192939495969798ull;
	v->xcr0 = 0xa1a2a3a4a5a6a7a8ull;
	v->mxcsr = 0xb1b2b3b4u;
	v->x87_ftw = 0xc1c2;
	v->x87_fsw = 0xd1d2;
	v->x87_fcw = 0xe1e2;
}

static uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void vmsa_write_places_fields_at_table_b4_offsets(void **state)
{
	static uint8_t page[SNP_VMSA_SIZE];
	struct snp_vmsa v;
	size_t nonzero = 0;

	(void)state;
	distinct(&v);
	vmsa_write(&v, page);
	/* offsets from table B-4 / reference/snp-launch-digest.md §7.2 */
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(le(page + 0x10 * i, 2), 0x1100 + i);
		assert_int_equal(le(page + 0x10 * i + 2, 2), 0x2200 + i);
		assert_int_equal(le(page + 0x10 * i + 4, 4), 0x33330000u + i);
		assert_int_equal(le(page + 0x10 * i + 8, 8), 0x4444444400000000ull + i);
	}
	assert_int_equal(le(page + 0x0D0, 8), v.efer);
	assert_int_equal(le(page + 0x148, 8), v.cr4);
	assert_int_equal(le(page + 0x150, 8), v.cr3);
	assert_int_equal(le(page + 0x158, 8), v.cr0);
	assert_int_equal(le(page + 0x160, 8), v.dr7);
	assert_int_equal(le(page + 0x168, 8), v.dr6);
	assert_int_equal(le(page + 0x170, 8), v.rflags);
	assert_int_equal(le(page + 0x178, 8), v.rip);
	assert_int_equal(le(page + 0x268, 8), v.g_pat);
	assert_int_equal(le(page + 0x310, 8), v.rdx);
	/* RSP, RSI, RDI: Linux arch/x86/include/asm/svm.h, struct sev_es_save_area */
	assert_int_equal(le(page + 0x1D8, 8), v.rsp);
	assert_int_equal(le(page + 0x330, 8), v.rsi);
	assert_int_equal(le(page + 0x338, 8), v.rdi);
	assert_int_equal(le(page + 0x3B0, 8), v.sev_features);
	assert_int_equal(le(page + 0x3E8, 8), v.xcr0);
	assert_int_equal(le(page + 0x408, 4), v.mxcsr);
	assert_int_equal(le(page + 0x40C, 2), v.x87_ftw);
	assert_int_equal(le(page + 0x40E, 2), v.x87_fsw);
	assert_int_equal(le(page + 0x410, 2), v.x87_fcw);
	/* little-endian: the low byte first */
	assert_int_equal(page[0x178], 0x68);
	assert_int_equal(page[0x17F], 0x61);
	/* nothing else: with every field all ones, 10 segments * 16 + 15 * 8 + 4 + 3 * 2 bytes */
	memset(&v, 0xff, sizeof(v));
	vmsa_write(&v, page);
	for (size_t i = 0; i < SNP_VMSA_SIZE; i++)
		nonzero += page[i] != 0;
	assert_int_equal(nonzero, 10 * 16 + 15 * 8 + 4 + 3 * 2);
}

static void vmsa_parse_round_trips(void **state)
{
	static uint8_t page[SNP_VMSA_SIZE], again[SNP_VMSA_SIZE];
	struct snp_err err = { 0 };
	struct snp_vmsa v, w;

	(void)state;
	distinct(&v);
	vmsa_write(&v, page);
	assert_int_equal(vmsa_parse(page, sizeof(page), &w, &err), 0);
	assert_memory_equal(&v, &w, sizeof(v));
	vmsa_write(&w, again);
	assert_memory_equal(page, again, sizeof(page));
}

static void vmsa_parse_refuses_reserved_bytes_and_sizes(void **state)
{
	static uint8_t page[SNP_VMSA_SIZE];
	struct snp_err err = { 0 };
	struct snp_vmsa v;

	(void)state;
	distinct(&v);
	vmsa_write(&v, page);
	page[0x1F8] = 1; /* RAX: not part of a launch VMSA */
	assert_int_equal(vmsa_parse(page, sizeof(page), &v, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "0x1f8"));
	page[0x1F8] = 0;
	page[0xFFF] = 1; /* the last byte */
	assert_int_equal(vmsa_parse(page, sizeof(page), &v, &err), SNP_E_RESERVED);
	assert_non_null(strstr(err.msg, "0xfff"));
	assert_int_equal(vmsa_parse(page, 4095, &v, &err), SNP_E_TRUNCATED);
	assert_int_equal(vmsa_parse(page, 4097, &v, &err), SNP_E_TRAILING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmsa_write_places_fields_at_table_b4_offsets),
		cmocka_unit_test(vmsa_parse_round_trips),
		cmocka_unit_test(vmsa_parse_refuses_reserved_bytes_and_sizes),
	};

	return cmocka_run_group_tests_name("abi/vmsa", tests, NULL, NULL);
}
