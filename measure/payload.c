/*
 * The direct 64-bit payload boot: ELF64 program headers (System V ABI, ELF-64
 * Object File Format 1.5, "Program header"), the long-mode GDT/TSS and 4-level
 * page tables of AMD64 APM vol. 2 §4.8 (64-bit descriptors), §12.2.5 (64-bit
 * TSS) and §5.3 (long-mode paging with 2 MiB pages), and the start state of
 * each vCPU in the VMSA's segment form (VMCB packed attributes, APM vol. 2
 * appendix B). The layout is docs/launch-layout.md.
 */
#include "measure/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

#define PG SNP_PAGE_SIZE

/* ELF constants (System V gABI). */
#define ELF_EHDR_SIZE 64
#define ELF_PHDR_SIZE 56
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PN_XNUM 0xffff
#define PAYLOAD_MAX_PHDRS 64

/* GDT page layout (docs/launch-layout.md). */
#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS 0x18
#define GDT_LIMIT 0x27      /* null, code, data, 16-byte TSS descriptor: 40 bytes */
#define TSS_OFF 0x80        /* the TSS inside the GDT page */
#define TSS_LIMIT 0x67      /* 104-byte 64-bit TSS */
#define BOOT_CMDLINE_OFF 0x100
#define PT_PAGES 6          /* PML4, PDPT, 4 PDs */

/* VMCB packed segment attributes: access byte in bits 0-7, AVL/L/DB/G in bits 8-11. */
#define ATTR_CODE64 0xA9B   /* P, S, type execute/read accessed; L, G */
#define ATTR_DATA 0xC93     /* P, S, type read/write accessed; DB, G */
#define ATTR_TSS64 0x08B    /* P, type busy 64-bit TSS */
#define ATTR_LDT 0x082

/* GDT descriptors as they sit in memory (same bits, spread out). */
#define DESC_CODE64 0x00AF9B000000FFFFull
#define DESC_DATA 0x00CF93000000FFFFull

#define PAYLOAD_CR0 0x80050033ull /* PE MP ET NE WP AM PG */
#define PAYLOAD_CR4 0x620ull      /* PAE OSFXSR OSXMMEXCPT */
/* LME LMA, and SVME as KVM keeps it in the VMSA it builds (docs/launch-layout.md) */
#define PAYLOAD_EFER (0x500ull | VMSA_EFER_SVME)

struct seg {
	uint64_t paddr, filesz, memsz, off;
	size_t idx;
};

/* A header field with an unusable value: "payload ELF: e_type at 0x10: 3 is not ET_EXEC (2)". */
static int bad_field(struct snp_err *err, int code, const char *field, size_t off,
		     unsigned long long v, const char *why)
{
	return snp_errf(err, code, "payload ELF: %s at 0x%zx: %llu %s", field, off, v, why);
}

static int read_ehdr(struct rd *r, uint64_t *entry, uint64_t *phoff, uint16_t *phnum,
		     struct snp_err *err)
{
	uint8_t ident[16];
	uint16_t type, machine, ehsize, phentsize;
	uint32_t version, flags;
	uint64_t shoff;
	int ret;

	if ((ret = rd_bytes(r, "e_ident", ident, sizeof(ident), err)) != 0)
		return ret;
	if (memcmp(ident, "\177ELF", 4) != 0)
		return snp_errf(err, SNP_E_INVALID, "payload ELF: e_ident at 0x0: not an ELF file");
	if (ident[4] != ELFCLASS64)
		return bad_field(err, SNP_E_UNSUPPORTED, "EI_CLASS", 4, ident[4], "is not ELFCLASS64 (2)");
	if (ident[5] != ELFDATA2LSB)
		return bad_field(err, SNP_E_UNSUPPORTED, "EI_DATA", 5, ident[5], "is not ELFDATA2LSB (1)");
	if (ident[6] != EV_CURRENT)
		return bad_field(err, SNP_E_UNSUPPORTED, "EI_VERSION", 6, ident[6], "is not 1");
	if ((ret = rd_le16(r, "e_type", &type, err)) != 0 ||
	    (ret = rd_le16(r, "e_machine", &machine, err)) != 0 ||
	    (ret = rd_le32(r, "e_version", &version, err)) != 0 ||
	    (ret = rd_le64(r, "e_entry", entry, err)) != 0 ||
	    (ret = rd_le64(r, "e_phoff", phoff, err)) != 0 ||
	    (ret = rd_le64(r, "e_shoff", &shoff, err)) != 0 ||
	    (ret = rd_le32(r, "e_flags", &flags, err)) != 0 ||
	    (ret = rd_le16(r, "e_ehsize", &ehsize, err)) != 0 ||
	    (ret = rd_le16(r, "e_phentsize", &phentsize, err)) != 0 ||
	    (ret = rd_le16(r, "e_phnum", phnum, err)) != 0)
		return ret;
	if (type != ET_EXEC)
		return bad_field(err, SNP_E_UNSUPPORTED, "e_type", 0x10, type, "is not ET_EXEC (2)");
	if (machine != EM_X86_64)
		return bad_field(err, SNP_E_UNSUPPORTED, "e_machine", 0x12, machine,
				 "is not EM_X86_64 (62)");
	if (version != EV_CURRENT)
		return bad_field(err, SNP_E_UNSUPPORTED, "e_version", 0x14, version, "is not 1");
	if (ehsize != ELF_EHDR_SIZE)
		return bad_field(err, SNP_E_INVALID, "e_ehsize", 0x34, ehsize, "is not 64");
	if (phentsize != ELF_PHDR_SIZE)
		return bad_field(err, SNP_E_INVALID, "e_phentsize", 0x36, phentsize, "is not 56");
	if (*phnum == 0 || *phnum == PN_XNUM || *phnum > PAYLOAD_MAX_PHDRS)
		return bad_field(err, SNP_E_INVALID, "e_phnum", 0x38, *phnum, "is outside 1..64");
	return 0;
}

/* One PT_LOAD checked against the file and the layout; out->memsz 0 means "skip". */
static int read_phdr(const struct rd *file, size_t i, uint64_t phoff, uint64_t mem_size,
		     struct seg *out, int *is_load, struct snp_err *err)
{
	struct rd r;
	char what[32];
	uint32_t type, flags;
	uint64_t off, vaddr, paddr, filesz, memsz, align;
	size_t at = (size_t)phoff + i * ELF_PHDR_SIZE;
	int ret;

	*is_load = 0;
	snprintf(what, sizeof(what), "payload ELF phdr %zu", i);
	if ((ret = rd_view(file, what, at, ELF_PHDR_SIZE, &r, err)) != 0)
		return ret;
	if ((ret = rd_le32(&r, "p_type", &type, err)) != 0 ||
	    (ret = rd_le32(&r, "p_flags", &flags, err)) != 0 ||
	    (ret = rd_le64(&r, "p_offset", &off, err)) != 0 ||
	    (ret = rd_le64(&r, "p_vaddr", &vaddr, err)) != 0 ||
	    (ret = rd_le64(&r, "p_paddr", &paddr, err)) != 0 ||
	    (ret = rd_le64(&r, "p_filesz", &filesz, err)) != 0 ||
	    (ret = rd_le64(&r, "p_memsz", &memsz, err)) != 0 ||
	    (ret = rd_le64(&r, "p_align", &align, err)) != 0)
		return ret;
	if (type == PT_INTERP || type == PT_DYNAMIC)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: p_type at 0x%zx: %s: a payload is a static executable", what, at,
				type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
	if (type != PT_LOAD)
		return 0;
	*is_load = 1;
	if (filesz > memsz)
		return snp_errf(err, SNP_E_INVALID,
				"%s: p_filesz at 0x%zx: 0x%llx exceeds p_memsz 0x%llx", what,
				at + 0x20, (unsigned long long)filesz, (unsigned long long)memsz);
	if (off > file->len || filesz > file->len - off)
		return snp_errf(err, SNP_E_TRUNCATED,
				"%s: p_offset at 0x%zx: bytes 0x%llx+0x%llx lie outside the 0x%zx-byte "
				"file",
				what, at + 0x8, (unsigned long long)off, (unsigned long long)filesz,
				file->len);
	if (memsz == 0) {
		out->memsz = 0;
		return 0;
	}
	if (vaddr != paddr)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"%s: p_vaddr at 0x%zx: 0x%llx differs from p_paddr 0x%llx (paging is "
				"an identity map)",
				what, at + 0x10, (unsigned long long)vaddr, (unsigned long long)paddr);
	if (paddr < PAYLOAD_MIN_LOAD_GPA)
		return snp_errf(err, SNP_E_INVALID,
				"%s: p_paddr at 0x%zx: 0x%llx is below 0x%llx (low memory is the "
				"launcher's)",
				what, at + 0x18, (unsigned long long)paddr,
				(unsigned long long)PAYLOAD_MIN_LOAD_GPA);
	if (paddr > mem_size || memsz > mem_size - paddr)
		return snp_errf(err, SNP_E_INVALID,
				"%s: p_memsz at 0x%zx: 0x%llx+0x%llx ends beyond guest memory 0x%llx",
				what, at + 0x28, (unsigned long long)paddr, (unsigned long long)memsz,
				(unsigned long long)mem_size);
	out->paddr = paddr;
	out->filesz = filesz;
	out->memsz = memsz;
	out->off = off;
	out->idx = i;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

static uint64_t pg_down(uint64_t v)
{
	return v & ~(uint64_t)(PG - 1);
}

/* v + PG - 1 cannot overflow: every address here is below mem_size <= 4 GiB. */
static uint64_t pg_up(uint64_t v)
{
	return pg_down(v + PG - 1);
}

static void put_seg(struct snp_vmsa_seg *s, uint16_t sel, uint16_t attrib, uint32_t limit,
		    uint64_t base)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = limit;
	s->base = base;
}

static void build_gdt(uint8_t page[PG])
{
	uint64_t tss = PAYLOAD_GDT_GPA + TSS_OFF;

	memset(page, 0, PG);
	le64_put(page + GDT_SEL_CODE, DESC_CODE64);
	le64_put(page + GDT_SEL_DATA, DESC_DATA);
	/* 64-bit TSS descriptor (APM vol. 2 §4.8.3): 16 bytes, type 0xB (busy), present. */
	le16_put(page + GDT_SEL_TSS, TSS_LIMIT);
	le16_put(page + GDT_SEL_TSS + 2, (uint16_t)tss);
	page[GDT_SEL_TSS + 4] = (uint8_t)(tss >> 16);
	page[GDT_SEL_TSS + 5] = 0x8B;
	page[GDT_SEL_TSS + 6] = 0;
	page[GDT_SEL_TSS + 7] = (uint8_t)(tss >> 24);
	le32_put(page + GDT_SEL_TSS + 8, (uint32_t)(tss >> 32));
	/* The TSS: all stacks zero, I/O map base past the limit (no I/O bitmap). */
	le16_put(page + TSS_OFF + 0x66, TSS_LIMIT + 1);
}

static void build_params(const struct payload_opts *o, uint8_t page[PG])
{
	size_t n = o->cmdline ? strlen(o->cmdline) : 0;

	memset(page, 0, PG);
	le64_put(page + 0x00, PAYLOAD_BOOT_MAGIC);
	le32_put(page + 0x08, 1);
	le32_put(page + 0x0C, o->vcpus);
	le64_put(page + 0x10, o->mem_size);
	le64_put(page + 0x18, PAYLOAD_SECRETS_GPA);
	le64_put(page + 0x20, PAYLOAD_CPUID_GPA);
	le64_put(page + 0x28, PAYLOAD_CHANNEL_GPA);
	le64_put(page + 0x30, PAYLOAD_MAILBOX_GPA);
	le64_put(page + 0x38, PAYLOAD_BOOT_PARAMS_GPA + BOOT_CMDLINE_OFF);
	le32_put(page + 0x40, (uint32_t)n);
	memcpy(page + BOOT_CMDLINE_OFF, o->cmdline ? o->cmdline : "", n);
}

/* PML4 -> one PDPT -> 4 PDs of 512 2 MiB pages: VA == PA for 0..4 GiB. */
static void build_page_tables(uint8_t *pt)
{
	const uint64_t pdpt = PAYLOAD_PT_GPA + PG, pd0 = PAYLOAD_PT_GPA + 2 * PG;

	memset(pt, 0, PT_PAGES * PG);
	le64_put(pt, pdpt | 0x3); /* P, RW */
	for (uint64_t i = 0; i < 4; i++) {
		le64_put(pt + PG + i * 8, (pd0 + i * PG) | 0x3);
		for (uint64_t j = 0; j < 512; j++)
			le64_put(pt + (2 + i) * PG + j * 8,
				 ((i << 30) + (j << 21)) | 0x83); /* P, RW, PS */
	}
}

static void build_vmsa(const struct payload_opts *o, uint64_t entry, unsigned i,
		       struct snp_vmsa *v)
{
	memset(v, 0, sizeof(*v));
	put_seg(&v->cs, GDT_SEL_CODE, ATTR_CODE64, 0xFFFFFFFF, 0);
	put_seg(&v->ds, GDT_SEL_DATA, ATTR_DATA, 0xFFFFFFFF, 0);
	v->es = v->ss = v->fs = v->gs = v->ds;
	put_seg(&v->gdtr, 0, 0, GDT_LIMIT, PAYLOAD_GDT_GPA);
	put_seg(&v->idtr, 0, 0, 0, 0);
	put_seg(&v->ldtr, 0, ATTR_LDT, 0xFFFF, 0);
	put_seg(&v->tr, GDT_SEL_TSS, ATTR_TSS64, TSS_LIMIT, PAYLOAD_GDT_GPA + TSS_OFF);
	v->efer = PAYLOAD_EFER;
	v->cr4 = PAYLOAD_CR4;
	v->cr3 = PAYLOAD_PT_GPA;
	v->cr0 = PAYLOAD_CR0;
	v->dr7 = 0x400;
	v->dr6 = 0xFFFF0FF0;
	v->rflags = 0x2;
	v->rip = entry;
	v->rsp = PAYLOAD_STACKS_GPA + (uint64_t)(i + 1) * PAYLOAD_STACK_SIZE;
	v->g_pat = 0x0007040600070406ull;
	v->rdx = 0;
	v->rsi = PAYLOAD_BOOT_PARAMS_GPA;
	v->rdi = i;
	v->sev_features = o->guest_features;
	v->xcr0 = 0x1;
	v->mxcsr = 0x1F80;
	v->x87_fcw = 0x37F;
}

/* The buffers the NORMAL ranges point into. */
struct payload_bufs {
	uint8_t gdt[PG];
	uint8_t params[PG];
	uint8_t pt[PT_PAGES * PG];
	uint8_t *elf;     /* the segment pages, one span per group of page-sharing segments */
};

static int add_range(struct payload_image *img, size_t cap, uint64_t gpa, uint64_t len,
		     enum snp_page_type type, const uint8_t *data, struct snp_err *err)
{
	struct payload_page_range *last = img->nranges ? &img->ranges[img->nranges - 1] : NULL;

	if (len == 0)
		return 0;
	/* Coalesce with the previous range when contiguous and of the same kind. */
	if (last && last->type == type && last->gpa + last->len == gpa &&
	    (type != SNP_PAGE_TYPE_NORMAL || last->data + last->len == data)) {
		last->len += len;
		return 0;
	}
	if (img->nranges == cap)
		return snp_errf(err, SNP_E_INTERNAL, "payload: more than %zu ranges", cap);
	img->ranges[img->nranges++] =
		(struct payload_page_range){ .gpa = gpa, .len = len, .type = type, .data = data };
	return 0;
}

/*
 * The ELF segments (sorted, non-overlapping) as page ranges: a page holding
 * any file byte is NORMAL (its contents copied into buf), the others ZERO.
 */
static int segment_ranges(const uint8_t *elf, const struct seg *s, size_t n, uint8_t *buf,
			  struct payload_image *img, size_t cap, struct snp_err *err)
{
	uint8_t *p = buf;
	int ret;

	for (size_t i = 0; i < n;) {
		uint64_t lo = pg_down(s[i].paddr), hi = pg_up(s[i].paddr + s[i].memsz);
		size_t j = i + 1;

		/* Segments sharing a page form one span. */
		while (j < n && pg_down(s[j].paddr) < hi) {
			if (pg_up(s[j].paddr + s[j].memsz) > hi)
				hi = pg_up(s[j].paddr + s[j].memsz);
			j++;
		}
		for (size_t k = i; k < j; k++)
			memcpy(p + (s[k].paddr - lo), elf + s[k].off, s[k].filesz);
		for (uint64_t a = lo; a < hi; a += PG) {
			int file = 0;

			for (size_t k = i; k < j && !file; k++)
				file = s[k].filesz && a < s[k].paddr + s[k].filesz &&
				       s[k].paddr < a + PG;
			if ((ret = add_range(img, cap, a, PG,
					     file ? SNP_PAGE_TYPE_NORMAL : SNP_PAGE_TYPE_ZERO,
					     file ? p + (a - lo) : NULL, err)) != 0)
				return ret;
		}
		p += hi - lo;
		i = j;
	}
	return 0;
}

int payload_build(const struct payload_opts *o, struct payload_image *out, struct snp_err *err)
{
	struct rd r = rd_init(o->elf, o->elf_len, "payload ELF");
	struct payload_bufs *b = NULL;
	struct payload_image img = { 0 };
	struct seg segs[PAYLOAD_MAX_PHDRS];
	uint64_t entry, phoff, stacks_end, span = 0;
	uint16_t phnum;
	size_t nseg = 0, cap;
	int ret = SNP_E_INTERNAL, entry_ok = 0;

	memset(out, 0, sizeof(*out));
	if (o->vcpus < 1 || o->vcpus > PAYLOAD_MAX_VCPUS) {
		ret = snp_errf(err, SNP_E_INVALID, "payload: vCPU count %u is outside 1..%d",
			       o->vcpus, PAYLOAD_MAX_VCPUS);
		goto out;
	}
	if (o->mem_size % PG || o->mem_size <= PAYLOAD_MIN_LOAD_GPA ||
	    o->mem_size > PAYLOAD_MAILBOX_GPA) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "payload: memory size 0x%llx is not a multiple of 4 KiB above 1 MiB "
			       "and below the mailbox at 0x%llx",
			       (unsigned long long)o->mem_size,
			       (unsigned long long)PAYLOAD_MAILBOX_GPA);
		goto out;
	}
	if (o->cmdline && strlen(o->cmdline) > PG - BOOT_CMDLINE_OFF - 1) {
		ret = snp_errf(err, SNP_E_INVALID, "payload: cmdline of %zu bytes exceeds %d",
			       strlen(o->cmdline), (int)(PG - BOOT_CMDLINE_OFF - 1));
		goto out;
	}
	if (!o->elf) {
		ret = snp_errf(err, SNP_E_INVALID, "payload: no ELF given");
		goto out;
	}
	if ((ret = read_ehdr(&r, &entry, &phoff, &phnum, err)) != 0)
		goto out;
	if (phoff > o->elf_len || (uint64_t)phnum * ELF_PHDR_SIZE > o->elf_len - phoff) {
		ret = snp_errf(err, SNP_E_TRUNCATED,
			       "payload ELF: e_phoff at 0x20: %u program headers at 0x%llx lie "
			       "outside the 0x%zx-byte file",
			       phnum, (unsigned long long)phoff, o->elf_len);
		goto out;
	}
	for (size_t i = 0; i < phnum; i++) {
		int is_load;

		if ((ret = read_phdr(&r, i, phoff, o->mem_size, &segs[nseg], &is_load, err)) != 0)
			goto out;
		if (is_load && segs[nseg].memsz)
			nseg++;
	}
	if (nseg == 0) {
		ret = snp_errf(err, SNP_E_INVALID, "payload ELF: no PT_LOAD segment with contents");
		goto out;
	}
	qsort(segs, nseg, sizeof(segs[0]), seg_cmp);
	for (size_t i = 0; i < nseg; i++) {
		if (i && segs[i].paddr < segs[i - 1].paddr + segs[i - 1].memsz) {
			ret = snp_errf(err, SNP_E_INVALID,
				       "payload ELF phdr %zu: p_paddr at 0x%llx: 0x%llx overlaps phdr "
				       "%zu (0x%llx+0x%llx)",
				       segs[i].idx,
				       (unsigned long long)(phoff + segs[i].idx * ELF_PHDR_SIZE + 0x18),
				       (unsigned long long)segs[i].paddr, segs[i - 1].idx,
				       (unsigned long long)segs[i - 1].paddr,
				       (unsigned long long)segs[i - 1].memsz);
			goto out;
		}
		if (entry >= segs[i].paddr && entry - segs[i].paddr < segs[i].memsz)
			entry_ok = 1;
		span += pg_up(segs[i].paddr + segs[i].memsz) - pg_down(segs[i].paddr);
	}
	if (!entry_ok) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "payload ELF: e_entry at 0x18: 0x%llx is inside no PT_LOAD segment",
			       (unsigned long long)entry);
		goto out;
	}
	stacks_end = PAYLOAD_STACKS_GPA + (uint64_t)o->vcpus * PAYLOAD_STACK_SIZE;

	b = calloc(1, sizeof(*b));
	/* span may over-count shared pages: an upper bound for the segment buffer. */
	if (!b || !(b->elf = calloc(1, span))) {
		ret = snp_errf(err, SNP_E_NOMEM, "payload: out of memory for 0x%llx bytes",
			       (unsigned long long)span);
		goto out;
	}
	cap = 8 + span / PG;
	img.ranges = calloc(cap, sizeof(*img.ranges));
	img.vcpu = calloc(o->vcpus, sizeof(*img.vcpu));
	if (!img.ranges || !img.vcpu) {
		ret = snp_errf(err, SNP_E_NOMEM, "payload: out of memory");
		goto out;
	}
	build_gdt(b->gdt);
	build_params(o, b->params);
	build_page_tables(b->pt);
	if ((ret = add_range(&img, cap, PAYLOAD_GDT_GPA, PG, SNP_PAGE_TYPE_NORMAL, b->gdt, err)) !=
		    0 ||
	    (ret = add_range(&img, cap, PAYLOAD_BOOT_PARAMS_GPA, PG, SNP_PAGE_TYPE_NORMAL,
			     b->params, err)) != 0 ||
	    (ret = add_range(&img, cap, PAYLOAD_SECRETS_GPA, PG, SNP_PAGE_TYPE_SECRETS, NULL,
			     err)) != 0 ||
	    (ret = add_range(&img, cap, PAYLOAD_CPUID_GPA, PG, SNP_PAGE_TYPE_CPUID, NULL, err)) !=
		    0 ||
	    (ret = add_range(&img, cap, PAYLOAD_CHANNEL_GPA, PG, SNP_PAGE_TYPE_ZERO, NULL, err)) !=
		    0 ||
	    (ret = add_range(&img, cap, PAYLOAD_PT_GPA, PT_PAGES * PG, SNP_PAGE_TYPE_NORMAL, b->pt,
			     err)) != 0 ||
	    (ret = add_range(&img, cap, PAYLOAD_STACKS_GPA, stacks_end - PAYLOAD_STACKS_GPA,
			     SNP_PAGE_TYPE_ZERO, NULL, err)) != 0 ||
	    (ret = segment_ranges(o->elf, segs, nseg, b->elf, &img, cap, err)) != 0)
		goto out;
	for (unsigned i = 0; i < o->vcpus; i++)
		build_vmsa(o, entry, i, &img.vcpu[i]);
	img.vcpus = o->vcpus;
	img.entry = entry;
	img.owned = b;
	b = NULL;
	*out = img;
	memset(&img, 0, sizeof(img));
	ret = 0;
out:
	if (b)
		free(b->elf);
	free(b);
	payload_image_free(&img);
	return ret;
}

void payload_image_free(struct payload_image *img)
{
	struct payload_bufs *b;

	if (!img)
		return;
	b = img->owned;
	if (b)
		free(b->elf);
	free(b);
	free(img->ranges);
	free(img->vcpu);
	memset(img, 0, sizeof(*img));
}
