/*
 * agent/provider-sev-guest.c against a fake SNP_GET_EXT_REPORT: the fake
 * ioctl checks every field of the structs the agent hands the Linux
 * sev-guest driver (include/uapi/linux/sev-guest.h) and answers as the
 * driver does (drivers/virt/coco/sev-guest/sev-guest.c): the MSG_REPORT_RSP
 * of AMD SEV-SNP ABI spec 56860 table 25 in the response buffer, the
 * certificate table in the certs buffer, or, for a buffer too small,
 * SNP_GUEST_VMM_ERR_INVALID_LEN with the needed size written back into
 * certs_len. Responses and tables are written out by hand here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <cmocka.h>
#include <linux/sev-guest.h>

#include "agent/provider.h"

struct fake_dev {
	uint32_t vmpl;            /* expected */
	uint8_t rd[64];           /* expected */
	uint32_t need_certs;      /* bytes the host wants; 0: any buffer will do */
	int fail_errno;           /* != 0: fail every call with this and fw_error */
	uint32_t fw_status;       /* MSG_REPORT_RSP STATUS */
	bool no_certs;
	bool enospc;              /* report INVALID_LEN as -ENOSPC (Linux 6.9+) instead of -EIO */
	int calls;
	uint32_t lens[8];         /* certs_len of each call */
};

/* The table: one VCEK entry (GUID 63da758d-e664-4564-adc5-f4b93be8accd) at 48, 5 bytes. */
static const uint8_t table[53] = {
	0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
	48, 0, 0, 0, 5, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* terminator */
	'c', 'e', 'r', 't', 's',
};

static void fake_report(const uint8_t *rd, uint8_t *rep)
{
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++)
		rep[i] = (uint8_t)(i * 5 + 2);
	memcpy(rep + 0x50, rd, 64);
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_dev *f = ctx;
	struct snp_guest_request_ioctl *g = arg;
	struct snp_ext_report_req *r;
	struct snp_report_resp *resp;
	uint8_t *certs;

	assert_true(fd >= 0);
	assert_int_equal(req, SNP_GET_EXT_REPORT);
	assert_int_equal(g->msg_version, 1);
	assert_int_equal(g->exitinfo2, 0);
	assert_true(g->req_data != 0 && g->resp_data != 0);
	r = (struct snp_ext_report_req *)(uintptr_t)g->req_data;
	resp = (struct snp_report_resp *)(uintptr_t)g->resp_data;
	assert_memory_equal(r->data.user_data, f->rd, 64);
	assert_int_equal(r->data.vmpl, f->vmpl);
	for (size_t i = 0; i < sizeof(r->data.rsvd); i++)
		assert_int_equal(r->data.rsvd[i], 0);
	assert_true(r->certs_address != 0);
	assert_int_equal(r->certs_len % 4096, 0);
	assert_true(r->certs_len > 0);
	f->lens[f->calls++] = r->certs_len;
	certs = (uint8_t *)(uintptr_t)r->certs_address;
	for (uint32_t i = 0; i < r->certs_len; i++)
		assert_int_equal(certs[i], 0); /* a clean buffer each time */
	if (f->fail_errno) {
		g->fw_error = 0x16;
		return -f->fail_errno;
	}
	if (f->need_certs > r->certs_len) {
		g->vmm_error = SNP_GUEST_VMM_ERR_INVALID_LEN;
		r->certs_len = f->need_certs;
		return f->enospc ? -ENOSPC : -EIO;
	}
	memset(resp->data, 0, sizeof(resp->data));
	resp->data[0] = (uint8_t)f->fw_status;
	if (f->fw_status == 0) {
		resp->data[4] = 0xa0; /* REPORT_SIZE 0x4a0, little-endian */
		resp->data[5] = 0x04;
		fake_report(f->rd, resp->data + 0x20);
	}
	if (!f->no_certs)
		memcpy(certs, table, sizeof(table));
	return 0;
}

static void setup(struct fake_dev *f, struct agent_provider_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	memset(cfg, 0, sizeof(*cfg));
	for (int i = 0; i < 64; i++)
		f->rd[i] = (uint8_t)(i + 1);
	cfg->sev_guest_dev = "/dev/null";
	cfg->ioctl = fake_ioctl;
	cfg->ioctl_ctx = f;
}

static void sev_guest_report_and_table(void **state)
{
	struct fake_dev f;
	struct agent_provider_cfg cfg;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	uint8_t want[SNP_REPORT_SIZE];

	(void)state;
	setup(&f, &cfg);
	cfg.has_privlevel = true;
	cfg.privlevel = f.vmpl = 1;
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), 0);
	assert_int_equal(f.calls, 1);
	assert_string_equal(ev.provider, "sev_guest");
	fake_report(f.rd, want);
	assert_int_equal(ev.outblob_len, SNP_REPORT_SIZE);
	assert_memory_equal(ev.outblob, want, SNP_REPORT_SIZE);
	/* the table up to the end of its last blob, not the padded buffer */
	assert_int_equal(ev.auxblob_len, sizeof(table));
	assert_memory_equal(ev.auxblob, table, sizeof(table));
	tsm_evidence_free(&ev);
}

static void sev_guest_grows_the_certs_buffer(void **state)
{
	struct fake_dev f;
	struct agent_provider_cfg cfg;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	for (int enospc = 0; enospc < 2; enospc++) {
		setup(&f, &cfg);
		f.need_certs = 8 * 4096;
		f.enospc = enospc;
		assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), 0);
		assert_int_equal(f.calls, 2);
		assert_int_equal(f.lens[1], 8 * 4096);
		assert_int_equal(ev.auxblob_len, sizeof(table));
		tsm_evidence_free(&ev);
	}
}

static void sev_guest_refuses_odd_certs_sizes(void **state)
{
	struct fake_dev f;
	struct agent_provider_cfg cfg;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	setup(&f, &cfg);
	f.need_certs = 5 * 4096 + 1; /* not whole pages */
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "certificate buffer of 20481 bytes"));
	setup(&f, &cfg);
	f.need_certs = 32 * 4096; /* beyond 64 KiB */
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), SNP_E_INVALID);
	assert_null(ev.outblob);
}

static void sev_guest_without_certificates(void **state)
{
	struct fake_dev f;
	struct agent_provider_cfg cfg;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	setup(&f, &cfg);
	f.no_certs = true;
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), 0);
	assert_null(ev.auxblob);
	assert_int_equal(ev.auxblob_len, 0);
	tsm_evidence_free(&ev);
}

static void sev_guest_firmware_and_driver_errors(void **state)
{
	struct fake_dev f;
	struct agent_provider_cfg cfg;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	setup(&f, &cfg);
	f.fw_status = 0x16; /* INVALID_PARAMETERS */
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), SNP_E_REFUSED);
	assert_non_null(strstr(err.msg, "STATUS 0x16"));
	setup(&f, &cfg);
	f.fail_errno = EINVAL;
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "firmware error 0x16"));
	assert_int_equal(f.calls, 1);
	setup(&f, &cfg);
	cfg.sev_guest_dev = "/nonexistent/sev-guest";
	assert_int_equal(agent_provider_sev_guest.get(&cfg, f.rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "/nonexistent/sev-guest"));
	assert_int_equal(f.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sev_guest_report_and_table),
		cmocka_unit_test(sev_guest_grows_the_certs_buffer),
		cmocka_unit_test(sev_guest_refuses_odd_certs_sizes),
		cmocka_unit_test(sev_guest_without_certificates),
		cmocka_unit_test(sev_guest_firmware_and_driver_errors),
	};

	return cmocka_run_group_tests_name("provider-sev-guest", tests, NULL, NULL);
}
