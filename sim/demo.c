#include "sim/demo.h"

#include <string.h>

#include "abi/vmsa.h"
#include "sim/launch.h"

#define GIB4 0x100000000ull

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
	    (ret = sim_launch_step(g, SNP_PAGE_TYPE_NORMAL, GIB4 - len, fw, len, NULL, err)) != 0 ||
	    (ret = sim_launch_step(g, SNP_PAGE_TYPE_SECRETS, SIM_DEMO_SECRETS_GPA, NULL,
				   SNP_PAGE_SIZE, NULL, err)) != 0 ||
	    (ret = sim_launch_step(g, SNP_PAGE_TYPE_CPUID, SIM_DEMO_CPUID_GPA, NULL, SNP_PAGE_SIZE,
				   NULL, err)) != 0 ||
	    (ret = sim_launch_step(g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, page, sizeof(page), NULL,
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
