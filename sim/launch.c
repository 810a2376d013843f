#include "sim/launch.h"

#include <string.h>

#include "abi/cpuid-page.h"
#include "measure/plan.h"
#include "abi/vmsa.h"
#include "sim/cpuid.h"
#include "sim/sp.h"

int sim_launch_step(struct sim_guest *g, enum snp_page_type type, uint64_t gpa,
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

struct sim_sink {
	struct sim_guest *g;
	uint32_t *fw_status;
};

static int sim_sink_update(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
			   size_t len, struct snp_err *err)
{
	struct sim_sink *s = ctx;

	return sim_launch_step(s->g, type, gpa, data, len, s->fw_status, err);
}

static int sim_sink_vmsa(void *ctx, unsigned idx, const struct snp_vmsa *st,
			 struct snp_err *err)
{
	struct sim_sink *s = ctx;
	uint8_t page[SNP_VMSA_SIZE];

	(void)idx;
	vmsa_write(st, page);
	return sim_launch_step(s->g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, page, sizeof(page),
			       s->fw_status, err);
}

int sim_launch_plan(struct sim_guest *g, const struct launch_opts *o, uint32_t *fw_status,
		    struct snp_err *err)
{
	struct sim_sink s = { .g = g, .fw_status = fw_status };
	const struct launch_sink sink = { .update = sim_sink_update, .vmsa = sim_sink_vmsa,
					  .ctx = &s };

	return launch_plan_run(o, &sink, err);
}

int sim_launch_measured(struct sim_sp *sp, const struct launch_opts *o, uint64_t policy,
			const uint8_t *id_block, const uint8_t *id_auth, bool author_key_en,
			const uint8_t host_data[32], struct sim_guest **out, uint32_t *fw_status,
			struct snp_err *err)
{
	struct sim_guest *g = NULL;
	uint32_t st = 0;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (o->mode == MEASURE_MODE_OVMF_HASH) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "a launch needs the whole firmware: --mode snp:ovmf-hash is a digest "
			       "notion");
		goto out;
	}
	if ((ret = sim_launch_start(sp, policy, NULL, &g, &st, err)) != 0 ||
	    (ret = sim_launch_plan(g, o, &st, err)) != 0 ||
	    (ret = sim_launch_finish(g, id_block, id_auth, author_key_en, host_data, &st, err)) !=
		    0)
		goto out;
	*out = g;
	g = NULL;
	ret = 0;
out:
	if (fw_status)
		*fw_status = st;
	sim_guest_free(g);
	return ret;
}
