#include "sim/cpuid.h"

#include <string.h>

#include "abi/secrets-page.h"

enum rule {
	SUBSET = 0, /* the guest may clear bits, not set them */
	EXACT,      /* identity: must equal the processor's value */
};

struct leaf {
	uint32_t eax_in, ecx_in;
	uint32_t reg[4];  /* eax, ebx, ecx, edx */
	uint8_t rule[4];
};

#define FMS 0xffffffffu /* placeholder replaced by the product's CPUID(1).EAX */

/* A representative EPYC leaf set; values as an EPYC host reports them to an SNP guest. */
static const struct leaf leaves[] = {
	{ 0x00000000, 0, { 0x00000010, 0x68747541, 0x444d4163, 0x69746e65 },
	  { SUBSET, EXACT, EXACT, EXACT } },
	{ 0x00000001, 0, { FMS, 0x00000800, 0xfef83203, 0x178bfbff },
	  { EXACT, SUBSET, SUBSET, SUBSET } },
	{ 0x00000007, 0, { 0x00000000, 0x219c97a9, 0x0040069c, 0x00000010 },
	  { SUBSET, SUBSET, SUBSET, SUBSET } },
	{ 0x80000000, 0, { 0x80000021, 0x68747541, 0x444d4163, 0x69746e65 },
	  { SUBSET, EXACT, EXACT, EXACT } },
	{ 0x80000001, 0, { FMS, 0x00000000, 0x75c237ff, 0x2fd3fbff },
	  { EXACT, SUBSET, SUBSET, SUBSET } },
	{ 0x80000008, 0, { 0x00003030, 0x0000f000, 0x00000000, 0x00000000 },
	  { SUBSET, SUBSET, SUBSET, SUBSET } },
	{ 0x8000001f, 0, { 0x0001b01f, 0x00004073, 0x00000000, 0x00000000 },
	  { SUBSET, EXACT, SUBSET, SUBSET } },
};

static uint32_t value(const struct sim_platform *plat, uint32_t v)
{
	return v == FMS ? secrets_page_fms(plat->cpuid_family, plat->cpuid_model,
					   plat->cpuid_stepping)
			: v;
}

static const struct leaf *find(uint32_t eax_in, uint32_t ecx_in)
{
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (leaves[i].eax_in == eax_in && leaves[i].ecx_in == ecx_in)
			return &leaves[i];
	return NULL;
}

bool sim_cpuid_check(const struct sim_platform *plat, const struct snp_cpuid_page *page,
		     struct snp_cpuid_page *corrected)
{
	bool ok = true;

	*corrected = *page;
	for (uint32_t i = 0; i < page->count && i < SNP_CPUID_MAX_ENTRIES; i++) {
		struct snp_cpuid_entry *c = &corrected->entries[i];
		const struct leaf *l;
		uint32_t *regs[4] = { &c->eax, &c->ebx, &c->ecx, &c->edx };

		/*
		 * For a leaf without sub-leaves the guest ignores ECX_IN, so an entry
		 * must carry ECX_IN 0: otherwise a page could slip a leaf past the
		 * check by giving it an index the table does not list.
		 */
		if (!cpuid_leaf_is_indexed(c->eax_in) && c->ecx_in != 0) {
			c->ecx_in = 0;
			ok = false;
		}
		l = find(c->eax_in, c->ecx_in);
		if (l == NULL)
			continue;
		for (int r = 0; r < 4; r++) {
			uint32_t hw = value(plat, l->reg[r]);
			uint32_t want = l->rule[r] == EXACT ? hw : (*regs[r] & hw);

			if (*regs[r] != want) {
				*regs[r] = want;
				ok = false;
			}
		}
	}
	return ok;
}

void sim_cpuid_fill(const struct sim_platform *plat, struct snp_cpuid_page *page)
{
	memset(page, 0, sizeof(*page));
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct snp_cpuid_entry *e = &page->entries[page->count++];

		e->eax_in = leaves[i].eax_in;
		e->ecx_in = leaves[i].ecx_in;
		e->eax = value(plat, leaves[i].reg[0]);
		e->ebx = value(plat, leaves[i].reg[1]);
		e->ecx = value(plat, leaves[i].reg[2]);
		e->edx = value(plat, leaves[i].reg[3]);
	}
}
