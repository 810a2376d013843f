/*
 * measure/payload.c: the direct 64-bit payload boot. The ELFs are built here
 * byte by byte (System V gABI ELF-64 layout); the page tables are walked and
 * the GDT descriptors decoded here, by the architectural rules (AMD64 APM
 * vol. 2 §4.8, §5.3), not by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/endian.h"
#include "measure/payload.h"

#define MIB (1ull << 20)

struct tseg {
	uint32_t type;
	uint64_t paddr, vaddr, filesz, memsz;
	uint64_t off; /* 0: placed after the headers */
};

struct telf {
	uint8_t buf[0x8000];
	size_t len;
};

/* ELF header + phdrs + segment bytes (each segment's bytes are 0xA0 + its index). */
static void mk_elf(struct telf *e, uint64_t entry, const struct tseg *s, size_t n)
{
	uint8_t *b = e->buf;
	size_t data = 0x1000;

	memset(e, 0, sizeof(*e));
	memcpy(b, "\177ELF", 4);
	b[4] = 2; /* ELFCLASS64 */
	b[5] = 1; /* little-endian */
	b[6] = 1; /* EV_CURRENT */
	le16_put(b + 0x10, 2);  /* ET_EXEC */
	le16_put(b + 0x12, 62); /* EM_X86_64 */
	le32_put(b + 0x14, 1);
	le64_put(b + 0x18, entry);
	le64_put(b + 0x20, 64); /* e_phoff */
	le16_put(b + 0x34, 64);
	le16_put(b + 0x36, 56);
	le16_put(b + 0x38, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = b + 64 + i * 56;
		uint64_t off = s[i].off ? s[i].off : data;

		le32_put(p, s[i].type);
		le32_put(p + 4, 5);
		le64_put(p + 0x08, off);
		le64_put(p + 0x10, s[i].vaddr ? s[i].vaddr : s[i].paddr);
		le64_put(p + 0x18, s[i].paddr);
		le64_put(p + 0x20, s[i].filesz);
		le64_put(p + 0x28, s[i].memsz);
		le64_put(p + 0x30, 0x1000);
		if (!s[i].off && s[i].filesz && data + s[i].filesz <= sizeof(e->buf)) {
			memset(b + data, 0xA0 + (int)i, s[i].filesz);
			data += s[i].filesz;
		}
	}
	e->len = data;
}

static struct payload_opts opts(const struct telf *e, unsigned vcpus)
{
	struct payload_opts o = {
		.elf = e->buf,
		.elf_len = e->len,
		.mem_size = 64 * MIB,
		.vcpus = vcpus,
		.guest_features = 0x1,
		.cmdline = "console=ttyS0",
	};
	return o;
}

static const struct payload_page_range *find(const struct payload_image *img, uint64_t gpa)
{
	for (size_t i = 0; i < img->nranges; i++)
		if (gpa >= img->ranges[i].gpa && gpa - img->ranges[i].gpa < img->ranges[i].len)
			return &img->ranges[i];
	return NULL;
}

/* The launched byte at gpa (ZERO/SECRETS/CPUID read as 0 here). */
static const uint8_t *byte_at(const struct payload_image *img, uint64_t gpa)
{
	const struct payload_page_range *r = find(img, gpa);

	assert_non_null(r);
	assert_int_equal(r->type, SNP_PAGE_TYPE_NORMAL);
	return r->data + (gpa - r->gpa);
}

static void build_ok(const struct payload_opts *o, struct payload_image *img)
{
	struct snp_err err = { 0 };
	int ret = payload_build(o, img, &err);

	if (ret)
		fail_msg("payload_build: %d %s", ret, err.msg);
}

static void layout_is_the_documented_range_list(void **state)
{
	const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x3000, 0 } };
	struct payload_image img;
	struct telf e;
	const struct {
		uint64_t gpa, len;
		enum snp_page_type type;
	} want[] = {
		{ 0x1000, 0x2000, SNP_PAGE_TYPE_NORMAL }, /* GDT + boot params */
		{ 0x3000, 0x1000, SNP_PAGE_TYPE_SECRETS },
		{ 0x4000, 0x1000, SNP_PAGE_TYPE_CPUID },
		{ 0x5000, 0x1000, SNP_PAGE_TYPE_ZERO },
		{ 0x10000, 0x6000, SNP_PAGE_TYPE_NORMAL },  /* page tables */
		{ 0x20000, 0x8000, SNP_PAGE_TYPE_ZERO },    /* two 16 KiB stacks */
		{ 0x100000, 0x1000, SNP_PAGE_TYPE_NORMAL }, /* the file bytes */
		{ 0x101000, 0x2000, SNP_PAGE_TYPE_ZERO },   /* the bss tail */
	};

	(void)state;
	mk_elf(&e, 0x100004, s, 1);
	struct payload_opts o = opts(&e, 2);
	build_ok(&o, &img);
	assert_int_equal(img.nranges, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < img.nranges; i++) {
		assert_int_equal(img.ranges[i].gpa, want[i].gpa);
		assert_int_equal(img.ranges[i].len, want[i].len);
		assert_int_equal(img.ranges[i].type, want[i].type);
		assert_true((img.ranges[i].data != NULL) == (want[i].type == SNP_PAGE_TYPE_NORMAL));
	}
	/* The file bytes, then zeros to the end of the page. */
	assert_int_equal(*byte_at(&img, 0x100000), 0xA0);
	assert_int_equal(*byte_at(&img, 0x10000F), 0xA0);
	assert_int_equal(*byte_at(&img, 0x100010), 0);
	assert_int_equal(*byte_at(&img, 0x100FFF), 0);
	assert_int_equal(img.entry, 0x100004);
	payload_image_free(&img);
}

static uint64_t pt_entry(const struct payload_image *img, uint64_t table, unsigned idx)
{
	uint64_t e = le64_get(byte_at(img, table + idx * 8ull));

	assert_true(e & 1); /* present */
	return e;
}

static void page_tables_identity_map_4gib(void **state)
{
	const struct tseg s[] = { { 1, 0x200000, 0, 0x100, 0x100, 0 } };
	const uint64_t probes[] = { 0, 0x1000, 0x1FFFFF, 0x200000, 0x3FE01234, 0x40000000,
				    0x80000000, 0xBFFFFFFF, 0xFEB00000, 0xFFFFFFFF };
	struct payload_image img;
	struct telf e;

	(void)state;
	mk_elf(&e, 0x200000, s, 1);
	struct payload_opts o = opts(&e, 1);
	build_ok(&o, &img);
	assert_int_equal(img.vcpu[0].cr3, 0x10000);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t va = probes[i], cr3 = img.vcpu[0].cr3 & ~0xFFFull;
		uint64_t pml4e = pt_entry(&img, cr3, (va >> 39) & 511);
		uint64_t pdpte = pt_entry(&img, pml4e & 0x000FFFFFFFFFF000ull, (va >> 30) & 511);
		uint64_t pde = pt_entry(&img, pdpte & 0x000FFFFFFFFFF000ull, (va >> 21) & 511);

		assert_true(pml4e & 2);
		assert_false(pdpte & 0x80); /* not a 1 GiB page */
		assert_true(pde & 0x80);    /* a 2 MiB page */
		assert_true(pde & 2);       /* writable */
		assert_int_equal((pde & 0x000FFFFFFFE00000ull) | (va & 0x1FFFFF), va);
	}
	/* Nothing beyond 4 GiB: PML4 entry 0 only, PDPT entries 0..3 only. */
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(le64_get(byte_at(&img, 0x10000 + i * 8)), 0);
	for (unsigned i = 4; i < 512; i++)
		assert_int_equal(le64_get(byte_at(&img, 0x11000 + i * 8)), 0);
	payload_image_free(&img);
}

/* A legacy 8-byte descriptor decoded per APM vol. 2 §4.7/§4.8. */
struct desc {
	uint32_t base, limit;
	unsigned type, s, dpl, p, avl, l, db, g;
};

static struct desc decode(uint64_t d)
{
	struct desc x = {
		.limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000)),
		.base = (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000)),
		.type = (d >> 40) & 0xF,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.p = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = (d >> 55) & 1,
	};
	return x;
}

/* The VMCB packed form of a descriptor's attributes: access byte, then AVL/L/DB/G. */
static uint16_t packed(uint64_t d)
{
	return (uint16_t)(((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 8));
}

static void gdt_and_tss_descriptors_decode(void **state)
{
	const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x10, 0 } };
	struct payload_image img;
	struct telf e;
	uint64_t code, data, tss_lo, tss_hi, tss_base;
	struct desc c, d, t;

	(void)state;
	mk_elf(&e, 0x100000, s, 1);
	struct payload_opts o = opts(&e, 1);
	build_ok(&o, &img);
	const struct snp_vmsa *v = &img.vcpu[0];
	assert_int_equal(v->gdtr.base, 0x1000);
	assert_int_equal(v->gdtr.limit, 0x27);
	assert_int_equal(le64_get(byte_at(&img, 0x1000)), 0); /* null descriptor */
	code = le64_get(byte_at(&img, 0x1008));
	data = le64_get(byte_at(&img, 0x1010));
	c = decode(code);
	d = decode(data);
	/* 64-bit code: present, DPL 0, code segment execute/read, L=1 D=0. */
	assert_int_equal(c.p, 1);
	assert_int_equal(c.s, 1);
	assert_int_equal(c.dpl, 0);
	assert_true(c.type & 0x8);
	assert_int_equal(c.l, 1);
	assert_int_equal(c.db, 0);
	/* Data: present, writable, flat 4 GiB. */
	assert_int_equal(d.p, 1);
	assert_int_equal(d.s, 1);
	assert_int_equal(d.type & 0xA, 0x2);
	assert_int_equal(d.base, 0);
	assert_int_equal(d.limit, 0xFFFFF);
	assert_int_equal(d.g, 1);
	/* The VMSA's segment state is these descriptors in VMCB form. */
	assert_int_equal(v->cs.selector, 0x08);
	assert_int_equal(v->cs.attrib, packed(code));
	assert_int_equal(v->ss.selector, 0x10);
	assert_int_equal(v->ds.selector, 0x10);
	assert_int_equal(v->es.selector, 0x10);
	assert_int_equal(v->ds.attrib, packed(data));
	assert_int_equal(v->ss.attrib, packed(data));
	/* 64-bit TSS descriptor: 16 bytes, system, type 0xB (busy: TR is loaded). */
	tss_lo = le64_get(byte_at(&img, 0x1018));
	tss_hi = le64_get(byte_at(&img, 0x1020));
	t = decode(tss_lo);
	tss_base = t.base | (tss_hi & 0xFFFFFFFF) << 32;
	assert_int_equal(t.s, 0);
	assert_int_equal(t.type, 0xB);
	assert_int_equal(t.p, 1);
	assert_int_equal(t.limit, 0x67);
	assert_true(tss_base >= 0x1000 && tss_base + 0x68 <= 0x2000); /* inside the GDT page */
	assert_true(tss_base >= 0x1000 + 0x28);                      /* past the GDT */
	assert_int_equal(tss_hi >> 32, 0);
	assert_int_equal(v->tr.selector, 0x18);
	assert_int_equal(v->tr.base, tss_base);
	assert_int_equal(v->tr.limit, 0x67);
	assert_int_equal(v->tr.attrib, packed(tss_lo));
	/* No I/O permission bitmap: its base (TSS+0x66) is at or past the limit. */
	assert_true(le16_get(byte_at(&img, tss_base + 0x66)) > 0x67);
	payload_image_free(&img);
}

static void vcpu_states_differ_only_in_rsp_and_rdi(void **state)
{
	const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x10, 0 } };
	struct payload_image img;
	struct telf e;

	(void)state;
	mk_elf(&e, 0x100008, s, 1);
	struct payload_opts o = opts(&e, 3);
	o.guest_features = 0x5;
	build_ok(&o, &img);
	assert_int_equal(img.vcpus, 3);
	for (unsigned i = 0; i < 3; i++) {
		struct snp_vmsa v = img.vcpu[i], w = img.vcpu[0];

		assert_int_equal(v.rip, 0x100008);
		assert_int_equal(v.cr0, 0x80050033);
		assert_int_equal(v.cr4, 0x620);
		assert_int_equal(v.efer, 0x1500); /* LME LMA, SVME as KVM measures it */
		assert_int_equal(v.rflags, 0x2);
		assert_int_equal(v.idtr.limit, 0);
		assert_int_equal(v.rsi, 0x2000);
		assert_int_equal(v.rdx, 0);
		assert_int_equal(v.sev_features, 0x5);
		assert_int_equal(v.rdi, i);
		assert_int_equal(v.rsp, 0x20000 + (i + 1) * 0x4000ull);
		v.rsp = w.rsp;
		v.rdi = w.rdi;
		assert_memory_equal(&v, &w, sizeof(v));
	}
	payload_image_free(&img);
}

static void boot_params_page(void **state)
{
	const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x10, 0 } };
	struct payload_image img;
	struct telf e;
	const uint8_t *p;

	(void)state;
	mk_elf(&e, 0x100000, s, 1);
	struct payload_opts o = opts(&e, 2);
	build_ok(&o, &img);
	p = byte_at(&img, 0x2000);
	assert_memory_equal(p, "npvmBoot", 8);
	assert_int_equal(le32_get(p + 8), 1);
	assert_int_equal(le32_get(p + 12), 2);
	assert_int_equal(le64_get(p + 16), 64 * MIB);
	assert_int_equal(le64_get(p + 24), 0x3000);
	assert_int_equal(le64_get(p + 32), 0x4000);
	assert_int_equal(le64_get(p + 40), 0x5000);
	assert_int_equal(le64_get(p + 48), 0xFEB00000);
	uint64_t cl = le64_get(p + 56);
	assert_true(cl > 0x2000 && cl < 0x3000);
	assert_int_equal(le32_get(p + 64), strlen("console=ttyS0"));
	assert_string_equal((const char *)byte_at(&img, cl), "console=ttyS0");
	payload_image_free(&img);
}

static void segments_sharing_a_page_are_merged(void **state)
{
	/* .text ends mid-page and .data starts in the same page; .data's bss runs on. */
	const struct tseg s[] = { { 1, 0x100800, 0, 0x10, 0x1800, 0 },
				  { 1, 0x100000, 0, 0x100, 0x100, 0 } };
	struct payload_image img;
	struct telf e;

	(void)state;
	mk_elf(&e, 0x100000, s, 2);
	struct payload_opts o = opts(&e, 1);
	build_ok(&o, &img);
	assert_int_equal(*byte_at(&img, 0x100000), 0xA1);
	assert_int_equal(*byte_at(&img, 0x1000FF), 0xA1);
	assert_int_equal(*byte_at(&img, 0x100100), 0);
	assert_int_equal(*byte_at(&img, 0x100800), 0xA0);
	assert_int_equal(*byte_at(&img, 0x10080F), 0xA0);
	assert_int_equal(find(&img, 0x100000)->len, 0x1000);
	assert_int_equal(find(&img, 0x101000)->type, SNP_PAGE_TYPE_ZERO);
	assert_int_equal(find(&img, 0x101000)->len, 0x1000);
	assert_null(find(&img, 0x102000));
	payload_image_free(&img);
}

struct bad {
	const char *name;
	int code;
	const char *needle;
};

static void expect_bad(const struct payload_opts *o, int code, const char *needle)
{
	struct payload_image img;
	struct snp_err err = { 0 };
	int ret = payload_build(o, &img, &err);

	if (ret != code || !strstr(err.msg, needle))
		fail_msg("want %d '%s', got %d '%s'", code, needle, ret, err.msg);
	assert_null(img.ranges);
	assert_null(img.vcpu);
}

static void hostile_elfs_are_refused_naming_the_field(void **state)
{
	const struct tseg one[] = { { 1, 0x100000, 0, 0x10, 0x10, 0 } };
	struct telf e;
	struct payload_opts o;

	(void)state;
	/* Truncated header. */
	mk_elf(&e, 0x100000, one, 1);
	o = opts(&e, 1);
	o.elf_len = 0x30;
	expect_bad(&o, SNP_E_TRUNCATED, "e_flags at 0x30: needs 4 bytes, 0 left");
	o.elf_len = 10;
	expect_bad(&o, SNP_E_TRUNCATED, "e_ident");
	/* Not ELF, wrong class, machine, type. */
	mk_elf(&e, 0x100000, one, 1);
	o = opts(&e, 1);
	e.buf[1] = 'X';
	expect_bad(&o, SNP_E_INVALID, "not an ELF");
	mk_elf(&e, 0x100000, one, 1);
	e.buf[4] = 1;
	expect_bad(&o, SNP_E_UNSUPPORTED, "EI_CLASS");
	mk_elf(&e, 0x100000, one, 1);
	le16_put(e.buf + 0x12, 3);
	expect_bad(&o, SNP_E_UNSUPPORTED, "e_machine at 0x12: 3");
	mk_elf(&e, 0x100000, one, 1);
	le16_put(e.buf + 0x10, 3); /* ET_DYN */
	expect_bad(&o, SNP_E_UNSUPPORTED, "e_type");
	mk_elf(&e, 0x100000, one, 1);
	le16_put(e.buf + 0x36, 32);
	expect_bad(&o, SNP_E_INVALID, "e_phentsize");
	/* phnum huge, extended numbering, phoff past the file or wrapping. */
	mk_elf(&e, 0x100000, one, 1);
	le16_put(e.buf + 0x38, 0xFFFE);
	expect_bad(&o, SNP_E_INVALID, "e_phnum");
	le16_put(e.buf + 0x38, 0xFFFF);
	expect_bad(&o, SNP_E_INVALID, "e_phnum");
	le16_put(e.buf + 0x38, 60);
	le64_put(e.buf + 0x20, 0x7000);
	expect_bad(&o, SNP_E_TRUNCATED, "e_phoff");
	le64_put(e.buf + 0x20, 0xFFFFFFFFFFFFFFF0ull);
	expect_bad(&o, SNP_E_TRUNCATED, "e_phoff");
	/* filesz > memsz; file bytes outside the file (and wrapping). */
	{
		const struct tseg s[] = { { 1, 0x100000, 0, 0x20, 0x10, 0 } };
		mk_elf(&e, 0x100000, s, 1);
		expect_bad(&o, SNP_E_INVALID, "p_filesz");
	}
	{
		const struct tseg s[] = { { 1, 0x100000, 0, 0x1000, 0x1000, 0x7800 } };
		mk_elf(&e, 0x100000, s, 1);
		expect_bad(&o, SNP_E_TRUNCATED, "p_offset");
	}
	{
		const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x10, 0xFFFFFFFFFFFFFFF8ull } };
		mk_elf(&e, 0x100000, s, 1);
		e.len = 0x2000;
		o.elf_len = e.len;
		expect_bad(&o, SNP_E_TRUNCATED, "p_offset");
	}
	/* Below 1 MiB (over the launcher's pages), beyond memory, wrapping. */
	{
		const struct tseg s[] = { { 1, 0x20000, 0, 0x10, 0x10, 0 } };
		mk_elf(&e, 0x20000, s, 1);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_INVALID, "p_paddr at 0x58: 0x20000 is below 0x100000");
	}
	{
		const struct tseg s[] = { { 1, 0x3FFF000, 0, 0x10, 0x2000, 0 } };
		mk_elf(&e, 0x3FFF000, s, 1);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_INVALID, "p_memsz");
	}
	{
		const struct tseg s[] = { { 1, 0xFFFFFFFFFFFFF000ull, 0, 0x10, 0x2000, 0 } };
		mk_elf(&e, 0x100000, s, 1);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_INVALID, "p_memsz");
	}
	/* Overlapping segments. */
	{
		const struct tseg s[] = { { 1, 0x100000, 0, 0x10, 0x2000, 0 },
					  { 1, 0x101000, 0, 0x10, 0x10, 0 } };
		mk_elf(&e, 0x100000, s, 2);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_INVALID, "overlaps phdr 0");
	}
	/* Entry outside every segment; vaddr != paddr; dynamic; no PT_LOAD. */
	mk_elf(&e, 0x200000, one, 1);
	o = opts(&e, 1);
	expect_bad(&o, SNP_E_INVALID, "e_entry");
	{
		const struct tseg s[] = { { 1, 0x100000, 0xFFFFFFFF80000000ull, 0x10, 0x10, 0 } };
		mk_elf(&e, 0x100000, s, 1);
		expect_bad(&o, SNP_E_UNSUPPORTED, "p_vaddr");
	}
	{
		const struct tseg s[] = { { 3, 0, 0, 0x10, 0x10, 0 }, one[0] };
		mk_elf(&e, 0x100000, s, 2);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_UNSUPPORTED, "PT_INTERP");
	}
	{
		const struct tseg s[] = { { 4, 0, 0, 0x10, 0x10, 0 } };
		mk_elf(&e, 0x100000, s, 1);
		o = opts(&e, 1);
		expect_bad(&o, SNP_E_INVALID, "no PT_LOAD");
	}
	/* Options: vCPUs, memory size, command line. */
	mk_elf(&e, 0x100000, one, 1);
	o = opts(&e, 0);
	expect_bad(&o, SNP_E_INVALID, "vCPU count 0");
	o = opts(&e, PAYLOAD_MAX_VCPUS + 1);
	expect_bad(&o, SNP_E_INVALID, "vCPU count 33");
	o = opts(&e, 1);
	o.mem_size = MIB;
	expect_bad(&o, SNP_E_INVALID, "memory size");
	o.mem_size = 4096ull * MIB;
	expect_bad(&o, SNP_E_INVALID, "memory size");
	o = opts(&e, 1);
	{
		static char big[5000];
		memset(big, 'a', sizeof(big) - 1);
		o.cmdline = big;
		expect_bad(&o, SNP_E_INVALID, "cmdline");
	}
}

static void non_load_headers_are_ignored_and_empty_loads_skipped(void **state)
{
	/* PT_NOTE and PT_GNU_STACK, a zero-size PT_LOAD below 1 MiB: ignored. */
	const struct tseg s[] = { { 4, 0, 0, 0x10, 0x10, 0 },
				  { 0x6474e551, 0, 0, 0, 0, 0 },
				  { 1, 0x1000, 0, 0, 0, 0 },
				  { 1, 0x100000, 0, 0x10, 0x10, 0 } };
	struct payload_image img;
	struct telf e;

	(void)state;
	mk_elf(&e, 0x100000, s, 4);
	struct payload_opts o = opts(&e, 1);
	build_ok(&o, &img);
	assert_int_equal(*byte_at(&img, 0x100000), 0xA3);
	payload_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_the_documented_range_list),
		cmocka_unit_test(page_tables_identity_map_4gib),
		cmocka_unit_test(gdt_and_tss_descriptors_decode),
		cmocka_unit_test(vcpu_states_differ_only_in_rsp_and_rdi),
		cmocka_unit_test(boot_params_page),
		cmocka_unit_test(segments_sharing_a_page_are_merged),
		cmocka_unit_test(hostile_elfs_are_refused_naming_the_field),
		cmocka_unit_test(non_load_headers_are_ignored_and_empty_loads_skipped),
	};

	return cmocka_run_group_tests_name("measure/payload", tests, NULL, NULL);
}
