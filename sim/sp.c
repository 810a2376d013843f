#include "sim/sp.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "abi/cpuid-page.h"
#include "abi/idblock.h"
#include "abi/policy.h"
#include "abi/sev-status.h"
#include "measure/idblock.h"
#include "sim/cpuid.h"

/* Sets the firmware status and the error in one step. */
static int fw_fail(uint32_t *fw_status, uint32_t status, struct snp_err *err, int code,
		   const char *fmt, ...) SNP_PRINTF(5, 6);

static int fw_fail(uint32_t *fw_status, uint32_t status, struct snp_err *err, int code,
		   const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (fw_status)
		*fw_status = status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return snp_errf(err, code, "%s: %s", msg, snp_fw_status_name(status));
}

static void fw_ok(uint32_t *fw_status)
{
	if (fw_status)
		*fw_status = SNP_FW_SUCCESS;
}

int sim_sp_open(const char *dir, struct sim_sp **out, struct snp_err *err)
{
	struct sim_sp *sp = calloc(1, sizeof(*sp));
	int ret;

	*out = NULL;
	if (sp == NULL)
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	if ((ret = sim_store_load(dir, &sp->store, err)) != 0) {
		free(sp);
		return ret;
	}
	sp->debug_allowed = true;
	*out = sp;
	return 0;
}

void sim_sp_close(struct sim_sp *sp)
{
	if (sp == NULL)
		return;
	assert(sp->nguests == 0 && "sim_sp_close: free every guest first");
	sim_store_free(&sp->store);
	free(sp);
}

const struct sim_platform *sim_sp_platform(const struct sim_sp *sp)
{
	return &sp->store.plat;
}

static int check_policy(const struct sim_sp *sp, uint64_t policy, uint32_t *fw_status,
			struct snp_err *err)
{
	const struct sim_platform *p = &sp->store.plat;
	unsigned maj = snp_policy_abi_major(policy), min = snp_policy_abi_minor(policy);
	struct snp_err e;

	if (snp_policy_check(policy, "POLICY", &e) != 0)
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_START: %s", e.msg);
	if (maj > p->fw_major || (maj == p->fw_major && min > p->fw_minor))
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.ABI %u.%u above the firmware's %u.%u", maj, min,
			       p->fw_major, p->fw_minor);
	if ((p->platform_info & SNP_PLATFORM_SMT_EN) && !(policy & SNP_POLICY_SMT))
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.SMT clear but SMT is enabled");
	if ((policy & SNP_POLICY_SINGLE_SOCKET) && p->sockets > 1)
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.SINGLE_SOCKET on a %u-socket platform",
			       p->sockets);
	if ((policy & SNP_POLICY_DEBUG) && !sp->debug_allowed)
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.DEBUG not allowed on this platform");
	if ((policy & SNP_POLICY_MEM_AES_256_XTS) && p->product == SNP_PRODUCT_MILAN)
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.MEM_AES_256_XTS not supported on Milan");
	if ((policy & SNP_POLICY_RAPL_DIS) && !(p->platform_info & SNP_PLATFORM_RAPL_DIS))
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.RAPL_DIS but RAPL is enabled");
	if ((policy & SNP_POLICY_CIPHERTEXT_HIDING) &&
	    !(p->platform_info & SNP_PLATFORM_CIPHERTEXT_HIDING_EN))
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_START: POLICY.CIPHERTEXT_HIDING but it is not enabled");
	return 0;
}

int sim_launch_start(struct sim_sp *sp, uint64_t policy, const uint8_t gosvw[16],
		     struct sim_guest **out, uint32_t *fw_status, struct snp_err *err)
{
	const struct sim_platform *p = &sp->store.plat;
	struct sim_guest *g = NULL;
	int ret;

	*out = NULL;
	if ((ret = check_policy(sp, policy, fw_status, err)) != 0)
		return ret;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return fw_fail(fw_status, SNP_FW_RESOURCE_LIMIT, err, SNP_E_NOMEM,
			       "LAUNCH_START: out of memory");
	g->sp = sp;
	g->state = SIM_GUEST_LAUNCH;
	sp->nguests++;
	g->policy = policy;
	if (gosvw)
		memcpy(g->gosvw, gosvw, 16);
	gctx_init(&g->gctx);
	g->launch_tcb = p->current_tcb;
	g->secrets.version = SNP_SECRETS_VERSION;
	g->secrets.fms = secrets_page_fms(p->cpuid_family, p->cpuid_model, p->cpuid_stepping);
	memcpy(g->secrets.gosvw, g->gosvw, 16);
	if (RAND_bytes(&g->secrets.vmpck[0][0], sizeof(g->secrets.vmpck)) != 1 ||
	    RAND_bytes(g->report_id, sizeof(g->report_id)) != 1) {
		sim_guest_free(g);
		return snp_err_openssl(err, "LAUNCH_START: RAND_bytes");
	}
	fw_ok(fw_status);
	*out = g;
	return 0;
}

/* Index of the first element >= gpa in the sorted list. */
static size_t gpa_lower_bound(const struct sim_guest *g, uint64_t gpa)
{
	size_t lo = 0, hi = g->ngpas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->gpas[mid] < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool gpa_seen(const struct sim_guest *g, uint64_t gpa)
{
	size_t i = gpa_lower_bound(g, gpa);

	return i < g->ngpas && g->gpas[i] == gpa;
}

static int gpa_add(struct sim_guest *g, uint64_t gpa)
{
	size_t i = gpa_lower_bound(g, gpa);

	if (g->ngpas == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 1024;
		uint64_t *n = realloc(g->gpas, cap * sizeof(*n));

		if (n == NULL)
			return SNP_E_NOMEM;
		g->gpas = n;
		g->cap = cap;
	}
	memmove(g->gpas + i + 1, g->gpas + i, (g->ngpas - i) * sizeof(*g->gpas));
	g->gpas[i] = gpa;
	g->ngpas++;
	return 0;
}

/* One firmware LAUNCH_UPDATE of one page. */
static int update_page(struct sim_guest *g, uint64_t gpa, uint8_t *page, enum snp_page_type type,
		       uint32_t *fw_status, struct snp_err *err)
{
	struct snp_cpuid_page cpuid, corrected;
	uint8_t buf[SNP_SECRETS_PAGE_SIZE];
	struct snp_err e;
	int ret;

	if (type != SNP_PAGE_TYPE_VMSA && gpa_seen(g, gpa))
		return fw_fail(fw_status, SNP_FW_INVALID_PAGE_STATE, err, SNP_E_STATE,
			       "LAUNCH_UPDATE: GPA 0x%llx was already updated",
			       (unsigned long long)gpa);
	switch (type) {
	case SNP_PAGE_TYPE_NORMAL:
	case SNP_PAGE_TYPE_VMSA:
	case SNP_PAGE_TYPE_UNMEASURED:
		break;
	case SNP_PAGE_TYPE_ZERO:
		if (page)
			memset(page, 0, SNP_PAGE_SIZE);
		break;
	case SNP_PAGE_TYPE_SECRETS:
		if (page) {
			secrets_page_write(&g->secrets, buf);
			memcpy(page, buf, SNP_PAGE_SIZE);
			OPENSSL_cleanse(buf, sizeof(buf));
		}
		break;
	case SNP_PAGE_TYPE_CPUID:
		if (cpuid_page_parse(page, SNP_PAGE_SIZE, &cpuid, &e) != 0)
			return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
				       "LAUNCH_UPDATE: CPUID page at GPA 0x%llx: %s",
				       (unsigned long long)gpa, e.msg);
		if (!sim_cpuid_check(&g->sp->store.plat, &cpuid, &corrected)) {
			/* As hardware: write back what would be accepted; the page is not consumed. */
			cpuid_page_write(&corrected, page);
			return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_REFUSED,
				       "LAUNCH_UPDATE: CPUID page at GPA 0x%llx refused, corrected "
				       "page written back",
				       (unsigned long long)gpa);
		}
		break;
	default:
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_UPDATE: page type %u", (unsigned)type);
	}
	/* CONTENTS: SHA-384 of the page for NORMAL and VMSA, zero otherwise (measure/gctx.c). */
	if ((ret = gctx_add_page(&g->gctx, type, gpa, page, err)) != 0)
		return ret;
	if (type != SNP_PAGE_TYPE_VMSA && gpa_add(g, gpa) != 0)
		return fw_fail(fw_status, SNP_FW_RESOURCE_LIMIT, err, SNP_E_NOMEM,
			       "LAUNCH_UPDATE: out of memory");
	return 0;
}

int sim_launch_update(struct sim_guest *g, uint64_t gpa, uint8_t *data, size_t len,
		      enum snp_page_type type, uint32_t *fw_status, struct snp_err *err)
{
	int ret;

	if (g->state != SIM_GUEST_LAUNCH)
		return fw_fail(fw_status, SNP_FW_INVALID_GUEST_STATE, err, SNP_E_STATE,
			       "LAUNCH_UPDATE: guest is not in the LAUNCH state");
	if (type < SNP_PAGE_TYPE_NORMAL || type > SNP_PAGE_TYPE_CPUID)
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_UPDATE: page type %u", (unsigned)type);
	if (gpa % SNP_PAGE_SIZE != 0 || gpa + len < gpa)
		return fw_fail(fw_status, SNP_FW_INVALID_ADDRESS, err, SNP_E_INVALID,
			       "LAUNCH_UPDATE: GPA 0x%llx (+0x%zx) not page-aligned or wraps",
			       (unsigned long long)gpa, len);
	if (len == 0 || len % SNP_PAGE_SIZE != 0)
		return fw_fail(fw_status, SNP_FW_INVALID_LEN, err, SNP_E_INVALID,
			       "LAUNCH_UPDATE: length 0x%zx is not a non-zero multiple of 4 KiB",
			       len);
	if (data == NULL && (type == SNP_PAGE_TYPE_NORMAL || type == SNP_PAGE_TYPE_VMSA ||
			     type == SNP_PAGE_TYPE_CPUID))
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_UPDATE: %s page without contents", snp_page_type_name(type));
	for (size_t off = 0; off < len; off += SNP_PAGE_SIZE)
		if ((ret = update_page(g, gpa + off, data ? data + off : NULL, type, fw_status,
				       err)) != 0)
			return ret;
	fw_ok(fw_status);
	return 0;
}

/*
 * The ID block checks of SNP_LAUNCH_FINISH: the signatures (measure/idblock.c
 * verifies them), then the expected launch digest, then the policy. On
 * success the identity fields are recorded for the reports.
 */
static int check_id_block(struct sim_guest *g, const uint8_t *id_block, const uint8_t *id_auth,
			  bool author_key_en, uint32_t *fw_status, struct snp_err *err)
{
	struct snp_id_block b;
	uint8_t idkd[SNP_ID_DIGEST_SIZE], akd[SNP_ID_DIGEST_SIZE];
	struct snp_err e = { 0 };

	if (id_block_parse(id_block, SNP_ID_BLOCK_SIZE, &b, &e) != 0)
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_FINISH: %s", e.msg);
	if (idblock_verify_auth(id_block, id_auth, author_key_en, idkd, akd, &e) != 0)
		return fw_fail(fw_status,
			       e.code == SNP_E_SIGNATURE ? SNP_FW_BAD_SIGNATURE
							 : SNP_FW_INVALID_PARAM,
			       err, e.code, "LAUNCH_FINISH: %s", e.msg);
	if (CRYPTO_memcmp(b.ld, g->gctx.ld, SNP_LD_SIZE) != 0)
		return fw_fail(fw_status, SNP_FW_BAD_MEASUREMENT, err, SNP_E_REFUSED,
			       "LAUNCH_FINISH: ID block LD differs from the launch digest");
	if (b.policy != g->policy)
		return fw_fail(fw_status, SNP_FW_POLICY_FAILURE, err, SNP_E_REFUSED,
			       "LAUNCH_FINISH: ID block POLICY 0x%llx, launch policy 0x%llx",
			       (unsigned long long)b.policy, (unsigned long long)g->policy);
	memcpy(g->family_id, b.family_id, 16);
	memcpy(g->image_id, b.image_id, 16);
	g->guest_svn = b.guest_svn;
	memcpy(g->id_key_digest, idkd, SNP_KEY_DIGEST_SIZE);
	g->author_key_en = author_key_en;
	if (author_key_en)
		memcpy(g->author_key_digest, akd, SNP_KEY_DIGEST_SIZE);
	return 0;
}

int sim_launch_finish(struct sim_guest *g, const uint8_t *id_block, const uint8_t *id_auth,
		      bool author_key_en, const uint8_t host_data[32], uint32_t *fw_status,
		      struct snp_err *err)
{
	int ret;

	if (g->state != SIM_GUEST_LAUNCH)
		return fw_fail(fw_status, SNP_FW_INVALID_GUEST_STATE, err, SNP_E_STATE,
			       "LAUNCH_FINISH: guest is not in the LAUNCH state");
	if ((id_block == NULL) != (id_auth == NULL) || (author_key_en && id_block == NULL))
		return fw_fail(fw_status, SNP_FW_INVALID_PARAM, err, SNP_E_INVALID,
			       "LAUNCH_FINISH: ID block and ID auth go together; AUTHOR_KEY_EN "
			       "needs them");
	if (id_block && (ret = check_id_block(g, id_block, id_auth, author_key_en, fw_status,
					     err)) != 0)
		return ret;
	memcpy(g->measurement, g->gctx.ld, SNP_MEASUREMENT_SIZE);
	if (host_data)
		memcpy(g->host_data, host_data, SNP_HOST_DATA_SIZE);
	g->state = SIM_GUEST_RUNNING;
	fw_ok(fw_status);
	return 0;
}

void sim_guest_free(struct sim_guest *g)
{
	if (g == NULL)
		return;
	if (g->sp && g->sp->nguests > 0)
		g->sp->nguests--;
	free(g->gpas);
	OPENSSL_cleanse(g, sizeof(*g));
	free(g);
}
