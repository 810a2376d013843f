#include "sim/demo.h"

#include <string.h>

#include "abi/cpuid-page.h"
#include "abi/vmsa.h"
#include "sim/cpuid.h"

#define GIB4 0x100000000ull

/*
 * One LAUNCH_UPDATE step: NORMAL and VMSA contents copied page by page; a
 * CPUID page is the simulated CPU's own leaves (sim_cpuid_fill), so the
 * firmware accepts it; ZERO, UNMEASURED and SECRETS need no data.
 */
static int demo_step(struct sim_guest *g, enum snp_page_type type, uint64_t gpa,
		     const uint8_t *data, size_t len, uint32_t *fw_status, struct snp_err *err)
{
	uint8_t page[SNP_PAGE_SIZE];
	int ret = 0;

	switch (type) {
	case SNP_PAGE_TYPE_NORMAL:
	case SNP_PAGE_TYPE_VMSA:
		if (!data || len == 0 || len % SNP_PAGE_SIZE)
			break;
		for (size_t off = 0; off < len && ret == 0; off += SNP_PAGE_SIZE) {
			memcpy(page, data + off, SNP_PAGE_SIZE);
			ret = sim_launch_update(g, gpa + off, page, SNP_PAGE_SIZE, type, fw_status,
						err);
		}
		return ret;
	case SNP_PAGE_TYPE_CPUID: {
		struct snp_cpuid_page c;

		if (len != SNP_PAGE_SIZE)
			break;
		sim_cpuid_fill(sim_sp_platform(g->sp), &c);
		cpuid_page_write(&c, page);
		return sim_launch_update(g, gpa, page, SNP_PAGE_SIZE, type, fw_status, err);
	}
	case SNP_PAGE_TYPE_SECRETS:
		/* The firmware writes the VMPCKs into the page: keep them off our stack. */
	case SNP_PAGE_TYPE_ZERO:
	case SNP_PAGE_TYPE_UNMEASURED:
		return sim_launch_update(g, gpa, NULL, len, type, fw_status, err);
	}
	return snp_errf(err, SNP_E_INVALID, "launch step: %s update of 0x%zx bytes at 0x%llx%s",
			snp_page_type_name(type), len, (unsigned long long)gpa,
			data ? "" : " without contents");
}


int sim_demo_launch(struct sim_sp *sp, const struct sim_demo_opts *o, struct sim_guest **out,
		    struct snp_err *err)
{
	static const char demo[] = "snpvm sim demo guest";
	struct sim_guest *g = NULL;
	uint8_t page[SNP_PAGE_SIZE] = { 0 };
	const uint8_t *fw = o->firmware ? o->firmware : page;
	size_t len = o->firmware ? o->firmware_len : SNP_PAGE_SIZE;
	int ret;

	*out = NULL;
	if (len == 0 || len % SNP_PAGE_SIZE != 0 || len > GIB4)
		return snp_errf(err, SNP_E_INVALID, "firmware: %zu bytes is not a multiple of 4 KiB",
				len);
	/* The demo page doubles as the demo VMSA. */
	memcpy(page, demo, sizeof(demo));
	if ((ret = sim_launch_start(sp, o->policy, NULL, &g, NULL, err)) != 0 ||
	    (ret = demo_step(g, SNP_PAGE_TYPE_NORMAL, GIB4 - len, fw, len, NULL, err)) != 0 ||
	    (ret = demo_step(g, SNP_PAGE_TYPE_SECRETS, SIM_DEMO_SECRETS_GPA, NULL,
				   SNP_PAGE_SIZE, NULL, err)) != 0 ||
	    (ret = demo_step(g, SNP_PAGE_TYPE_CPUID, SIM_DEMO_CPUID_GPA, NULL, SNP_PAGE_SIZE,
				   NULL, err)) != 0 ||
	    (ret = demo_step(g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, page, sizeof(page), NULL,
				   err)) != 0 ||
	    (ret = sim_launch_finish(g, NULL, NULL, false, o->host_data, NULL, err)) != 0)
		goto out;
	*out = g;
	g = NULL;
	ret = 0;
out:
	sim_guest_free(g);
	return ret;
}
