#include "measure/measure.h"

#include <string.h>

#include "measure/gctx.h"
#include "measure/plan.h"

/*
 * The launch plan into a gctx chain: what the firmware would compute. In the
 * firmware modes the first step is the whole OVMF (the snp:ovmf-hash seed).
 */
struct digest_sink {
	struct gctx g;
	const uint8_t *resume; /* the snp:ovmf-hash seed replacing the first step, or NULL */
	bool past_first;
	uint8_t ovmf_hash[SNP_LD_SIZE];
};

static int digest_step(struct digest_sink *s, enum snp_page_type type, uint64_t gpa,
		       const uint8_t *data, size_t len, struct snp_err *err)
{
	int ret;

	switch (type) {
	case SNP_PAGE_TYPE_NORMAL:
		return gctx_add_range(&s->g, gpa, data, len, err);
	case SNP_PAGE_TYPE_ZERO:
	case SNP_PAGE_TYPE_UNMEASURED:
		return gctx_add_zero_range(&s->g, type, gpa, len, err);
	case SNP_PAGE_TYPE_SECRETS:
	case SNP_PAGE_TYPE_CPUID:
		if (len % SNP_PAGE_SIZE)
			break;
		for (size_t off = 0; off < len; off += SNP_PAGE_SIZE)
			if ((ret = gctx_add_page(&s->g, type, gpa + off, data ? data + off : NULL,
						 err)) != 0)
				return ret;
		return 0;
	case SNP_PAGE_TYPE_VMSA: /* VMSAs arrive as register state (digest_vmsa) */
		break;
	}
	return snp_errf(err, SNP_E_INTERNAL, "launch plan: %s update of 0x%zx bytes at 0x%llx",
			snp_page_type_name(type), len, (unsigned long long)gpa);
}

static int digest_update(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
			 size_t len, struct snp_err *err)
{
	struct digest_sink *s = ctx;
	int ret = 0;

	if (s->past_first)
		return digest_step(s, type, gpa, data, len, err);
	/* The plan's first step (the whole OVMF): the seed is the chain after it. */
	s->past_first = true;
	if (s->resume)
		gctx_init_from(&s->g, s->resume);
	else
		ret = digest_step(s, type, gpa, data, len, err);
	memcpy(s->ovmf_hash, s->g.ld, SNP_LD_SIZE);
	return ret;
}

static int digest_vmsa(void *ctx, unsigned idx, const struct snp_vmsa *st, struct snp_err *err)
{
	struct digest_sink *s = ctx;
	uint8_t page[SNP_VMSA_SIZE];

	(void)idx;
	vmsa_write(st, page);
	return gctx_add_page(&s->g, SNP_PAGE_TYPE_VMSA, SNP_VMSA_GPA, page, err);
}

int measure_run(const struct measure_opts *o, struct measure_result *res, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct digest_sink s = { .resume = o->ovmf_hash };
	const struct launch_sink sink = { .update = digest_update, .vmsa = digest_vmsa, .ctx = &s };

	memset(res, 0, sizeof(*res));
	gctx_init(&s.g);
	if (o->ovmf_hash && o->launch.mode != MEASURE_MODE_SNP &&
	    o->launch.mode != MEASURE_MODE_OVMF_HASH) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED, "mode %s does not resume from an OVMF hash",
			       measure_mode_name(o->launch.mode));
		goto out;
	}
	if ((ret = launch_plan_run(&o->launch, &sink, err)) != 0)
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
