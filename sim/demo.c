#include "sim/demo.h"

#include <stdlib.h>
#include <string.h>

#include "abi/cpuid-page.h"
#include "sim/cpuid.h"

#define GIB4 0x100000000ull

int sim_demo_launch(struct sim_sp *sp, const struct sim_demo_opts *o, struct sim_guest **out,
		    struct snp_err *err)
{
	static const char demo[] = "snpvm sim demo guest";
	struct snp_cpuid_page cpuid;
	struct sim_guest *g = NULL;
	uint8_t *fw = NULL, page[SNP_PAGE_SIZE], vmsa[SNP_PAGE_SIZE];
	size_t len = o->firmware ? o->firmware_len : SNP_PAGE_SIZE;
	int ret;

	*out = NULL;
	if (len == 0 || len % SNP_PAGE_SIZE != 0 || len > GIB4)
		return snp_errf(err, SNP_E_INVALID, "firmware: %zu bytes is not a multiple of 4 KiB",
				len);
	if ((fw = calloc(1, len)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if (o->firmware)
		memcpy(fw, o->firmware, len);
	else
		memcpy(fw, demo, sizeof(demo));
	memset(vmsa, 0, sizeof(vmsa));
	memcpy(vmsa, demo, sizeof(demo));
	if ((ret = sim_launch_start(sp, o->policy, NULL, &g, NULL, err)) != 0 ||
	    (ret = sim_launch_update(g, GIB4 - len, fw, len, SNP_PAGE_TYPE_NORMAL, NULL, err)) != 0 ||
	    (ret = sim_launch_update(g, SIM_DEMO_SECRETS_GPA, page, sizeof(page),
				     SNP_PAGE_TYPE_SECRETS, NULL, err)) != 0)
		goto out;
	sim_cpuid_fill(sim_sp_platform(sp), &cpuid);
	cpuid_page_write(&cpuid, page);
	if ((ret = sim_launch_update(g, SIM_DEMO_CPUID_GPA, page, sizeof(page), SNP_PAGE_TYPE_CPUID,
				     NULL, err)) != 0 ||
	    (ret = sim_launch_update(g, SIM_VMSA_GPA, vmsa, sizeof(vmsa), SNP_PAGE_TYPE_VMSA, NULL,
				     err)) != 0 ||
	    (ret = sim_launch_finish(g, NULL, NULL, false, o->host_data, NULL, err)) != 0)
		goto out;
	*out = g;
	g = NULL;
	ret = 0;
out:
	sim_guest_free(g);
	free(fw);
	return ret;
}
