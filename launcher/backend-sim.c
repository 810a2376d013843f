/*
 * The `sim` security backend: LAUNCH_START/UPDATE/FINISH and guest requests
 * against the simulated AMD-SP of sim/ (clearly simulated: its reports chain
 * to the sim's own root, trusted only through --trust-sim-root).
 */
#include "launcher/backend.h"

#include <stdlib.h>
#include <string.h>

#include "abi/cpuid-page.h"
#include "sim/cpuid.h"
#include "sim/sp.h"

struct sim_be {
	struct sim_sp *sp;
	struct sim_guest *g;
};

static struct sim_be *priv(struct sev_backend *be)
{
	return be->priv;
}

static int sim_start(struct sev_backend *be, uint64_t policy, struct snp_err *err)
{
	struct sim_be *s = priv(be);

	if (s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: a launch was already started");
	return sim_launch_start(s->sp, policy, NULL, &s->g, &be->fw_status, err);
}

static int sim_update(struct sev_backend *be, enum snp_page_type type, uint64_t gpa,
		      uint8_t *hva, size_t len, struct snp_err *err)
{
	struct sim_be *s = priv(be);

	if (!s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: update before start");
	if (type == SNP_PAGE_TYPE_CPUID) {
		struct snp_cpuid_page c;

		if (len != SNP_PAGE_SIZE)
			return snp_errf(err, SNP_E_INVALID, "sim backend: CPUID update of 0x%zx bytes",
					len);
		/* The simulated CPU's own leaves, so the firmware accepts the page. */
		sim_cpuid_fill(sim_sp_platform(s->sp), &c);
		cpuid_page_write(&c, hva);
	}
	return sim_launch_update(s->g, gpa, hva, len, type, &be->fw_status, err);
}

static int sim_set_vcpu(struct sev_backend *be, unsigned idx, const struct snp_vmsa *st,
			struct snp_err *err)
{
	struct sim_be *s = priv(be);
	uint8_t page[SNP_VMSA_SIZE];

	(void)idx;
	if (!s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: VMSA before start");
	vmsa_write(st, page);
	return sim_launch_update(s->g, SNP_VMSA_GPA, page, sizeof(page), SNP_PAGE_TYPE_VMSA,
				 &be->fw_status, err);
}

static int sim_finish(struct sev_backend *be, const uint8_t *id_block, const uint8_t *id_auth,
		      bool author_key_en, const uint8_t host_data[32], struct snp_err *err)
{
	struct sim_be *s = priv(be);
	int ret;

	if (!s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: finish before start");
	if ((ret = sim_launch_finish(s->g, id_block, id_auth, author_key_en, host_data,
				     &be->fw_status, err)) != 0)
		return ret;
	memcpy(be->measurement, s->g->measurement, SNP_MEASUREMENT_SIZE);
	be->has_measurement = true;
	return 0;
}

static int sim_request(struct sev_backend *be, const uint8_t report_data[64], uint32_t vmpl,
		       uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	struct sim_be *s = priv(be);

	if (!s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: no guest");
	return sim_guest_report(s->g, report_data, vmpl, report, err);
}

static int sim_hv(struct sev_backend *be, const uint8_t report_data[64],
		  uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	struct sim_be *s = priv(be);

	if (!s->g)
		return snp_errf(err, SNP_E_STATE, "sim backend: no guest");
	return sim_hv_report(s->g, report_data, report, &be->fw_status, err);
}

static void sim_close(struct sev_backend *be)
{
	struct sim_be *s = priv(be);

	if (!s)
		return;
	sim_guest_free(s->g);
	sim_sp_close(s->sp);
	free(s);
	be->priv = NULL;
}

static const struct sev_ops sim_ops = {
	.name = "sim",
	.start = sim_start,
	.update = sim_update,
	.set_vcpu = sim_set_vcpu,
	.finish = sim_finish,
	.guest_request = sim_request,
	.hv_report = sim_hv,
	.close = sim_close,
};

int backend_sim_open(const char *dir, struct sev_backend *be, struct snp_err *err)
{
	struct sim_be *s = calloc(1, sizeof(*s));
	int ret;

	memset(be, 0, sizeof(*be));
	if (!s)
		return snp_errf(err, SNP_E_NOMEM, "sim backend: out of memory");
	if ((ret = sim_sp_open(dir, &s->sp, err)) != 0) {
		free(s);
		return ret;
	}
	be->ops = &sim_ops;
	be->priv = s;
	return 0;
}

struct sim_sp *backend_sim_sp(const struct sev_backend *be)
{
	const struct sim_be *s = be->ops == &sim_ops ? be->priv : NULL;

	return s ? s->sp : NULL;
}
