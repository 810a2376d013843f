#include "measure/measure.h"

#include <string.h>

#include "measure/gctx.h"
#include "measure/plan.h"

const char *measure_mode_name(enum measure_mode mode)
{
	switch (mode) {
	case MEASURE_MODE_SNP:
		return "snp";
	case MEASURE_MODE_OVMF_HASH:
		return "snp:ovmf-hash";
	case MEASURE_MODE_SVSM:
		return "snp:svsm";
	}
	return "unknown";
}

/* The launch plan into a gctx chain: what the firmware would compute. */
struct digest_sink {
	struct gctx g;
	const uint8_t *resume; /* the snp:ovmf-hash seed replacing the first step, or NULL */
	bool past_first;
	uint8_t ovmf_hash[SNP_LD_SIZE];
};

static int digest_update(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
			 size_t len, struct snp_err *err)
{
	struct digest_sink *s = ctx;
	int ret;

	if (!s->past_first) {
		/* The plan's first step is the whole OVMF: the seed is the chain after it. */
		s->past_first = true;
		if (s->resume)
			gctx_init_from(&s->g, s->resume);
		else if ((ret = gctx_add_range(&s->g, gpa, data, len, err)) != 0)
			return ret;
		memcpy(s->ovmf_hash, s->g.ld, SNP_LD_SIZE);
		return 0;
	}
	switch (type) {
	case SNP_PAGE_TYPE_NORMAL:
		return gctx_add_range(&s->g, gpa, data, len, err);
	case SNP_PAGE_TYPE_ZERO:
	case SNP_PAGE_TYPE_UNMEASURED:
		return gctx_add_zero_range(&s->g, type, gpa, len, err);
	case SNP_PAGE_TYPE_VMSA:
	case SNP_PAGE_TYPE_SECRETS:
	case SNP_PAGE_TYPE_CPUID:
		if (len % SNP_PAGE_SIZE)
			break;
		for (size_t off = 0; off < len; off += SNP_PAGE_SIZE)
			if ((ret = gctx_add_page(&s->g, type, gpa + off, data ? data + off : NULL,
						 err)) != 0)
				return ret;
		return 0;
	}
	return snp_errf(err, SNP_E_INTERNAL, "launch plan: %s update of 0x%zx bytes at 0x%llx",
			snp_page_type_name(type), len, (unsigned long long)gpa);
}

int measure_run(const struct measure_opts *o, struct measure_result *res, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct digest_sink s = { .resume = o->ovmf_hash };
	const struct launch_sink sink = { .update = digest_update, .ctx = &s };

	memset(res, 0, sizeof(*res));
	gctx_init(&s.g);
	if ((ret = launch_plan_run(o, &sink, err)) != 0)
		goto out;
	memcpy(res->ld, s.g.ld, SNP_LD_SIZE);
	memcpy(res->ovmf_hash, s.ovmf_hash, SNP_LD_SIZE);
	res->npages = s.g.npages;
	ret = 0;
out:
	if (ret)
		memset(res, 0, sizeof(*res));
	return ret;
}
