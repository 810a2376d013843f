/*
 * Appraisal of a verified report against tenant policy
 * (docs/verifier-policy.md). Every check runs and is
 * recorded, so an operator can fix a policy in one pass; the error names the
 * first failure. Report fields are public values (guest and host both know
 * them); only the exact-match fields (REPORT_DATA may hold a nonce binding)
 * are compared in constant time, without OpenSSL, which appraise never calls.
 */
#include "attest/appraise.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abi/policy.h"
#include "util/hex.h"

void appraise_opts_default(struct appraise_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->allow_any_measurement = true;
	o->vmpl_mask = 0xf;
	o->guest_policy.allow_smt = true;
	/* Real reports (trustee test-report, the AWS VLEK one) carry COMMITTED_TCB < CURRENT_TCB. */
	o->allow_provisional_firmware = true;
	o->allow_any_id_key = true;
	o->allow_unknown_platform_info = true;
}

/* One check's outcome, appended to res. Names and details are truncated, never overflow. */
SNP_PRINTF(5, 6)
static void record(struct appraise_result *res, const char *name, bool passed, bool skipped,
		   const char *fmt, ...)
{
	struct appraise_check *c;
	va_list ap;

	if (!passed)
		res->nfailed++;
	if (res->nchecks >= APPRAISE_MAX_CHECKS)
		return; /* counted in nfailed, not listed; the table is sized for every check */
	c = &res->checks[res->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->passed = passed;
	c->skipped = skipped;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/* Hex of buf; longer than 48 bytes is shown as the first 8 and last 4 bytes. */
static const char *hexs(const uint8_t *buf, size_t len, char out[2 * 64 + 1])
{
	char tmp[2 * 64 + 1];

	if (len > 64)
		len = 64;
	hex_encode(buf, len, tmp);
	if (len <= SNP_MEASUREMENT_SIZE) {
		memcpy(out, tmp, 2 * len + 1);
		return out;
	}
	snprintf(out, 2 * 64 + 1, "%.16s...%.8s", tmp, tmp + 2 * len - 8);
	return out;
}

/* Short form (first 8, last 4 bytes) for messages that hold two digests. */
static const char *hex_short(const uint8_t *buf, size_t len, char out[32])
{
	char tmp[2 * 64 + 1];

	if (len > 64)
		len = 64;
	hex_encode(buf, len, tmp);
	if (len <= 12) {
		snprintf(out, 32, "%s", tmp);
		return out;
	}
	snprintf(out, 32, "%.16s...%.8s", tmp, tmp + 2 * len - 8);
	return out;
}

/* Constant-time equality for the exact-match fields. */
static bool equal_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
	volatile uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static bool in_list(const uint8_t *v, size_t len, const uint8_t *list, size_t stride, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(v, list + i * stride, len) == 0)
			return true;
	return false;
}

static void check_product(const struct snp_report *rep, enum snp_product product,
			  struct appraise_result *res)
{
	enum snp_product rp;

	if (rep->version < 3) {
		record(res, "PRODUCT", true, false, "v%u report has no CPUID; appraised as %s",
		       rep->version, snp_product_name(product));
		return;
	}
	rp = report_product(rep);
	if (rp != product)
		record(res, "PRODUCT", false, false,
		       "CPUID_FAM_ID 0x%02x CPUID_MOD_ID 0x%02x say %s, appraised as %s",
		       rep->cpuid_fam_id, rep->cpuid_mod_id, snp_product_name(rp),
		       snp_product_name(product));
	else
		record(res, "PRODUCT", true, false, "CPUID_FAM_ID 0x%02x CPUID_MOD_ID 0x%02x: %s",
		       rep->cpuid_fam_id, rep->cpuid_mod_id, snp_product_name(rp));
}

static void check_measurement(const struct snp_report *rep, const struct appraise_opts *o,
			      struct appraise_result *res)
{
	char h[2 * 64 + 1];

	hexs(rep->measurement, SNP_MEASUREMENT_SIZE, h);
	if (in_list(rep->measurement, SNP_MEASUREMENT_SIZE, &o->measurements[0][0],
		    SNP_MEASUREMENT_SIZE, o->nmeasurements))
		record(res, "MEASUREMENT", true, false, "MEASUREMENT %s is in the allow-list", h);
	else if (o->allow_any_measurement)
		record(res, "MEASUREMENT", true, false,
		       "MEASUREMENT %s accepted: allow_any_measurement", h);
	else if (o->nmeasurements == 0)
		record(res, "MEASUREMENT", false, false,
		       "MEASUREMENT %s refused: the allow-list is empty", h);
	else
		record(res, "MEASUREMENT", false, false,
		       "MEASUREMENT %s is not in the allow-list (%zu entries)", h,
		       o->nmeasurements);
}

static void check_bytes(const char *field, const uint8_t *have, const uint8_t *want, size_t len,
			bool enabled, struct appraise_result *res)
{
	char h[2 * 64 + 1], w[2 * 64 + 1];

	hexs(have, len, h);
	if (!enabled)
		record(res, field, true, true, "not checked by the policy (%s %s)", field, h);
	else if (!equal_ct(have, want, len))
		record(res, field, false, false, "%s %s != expected %s", field, h,
		       hexs(want, len, w));
	else
		record(res, field, true, false, "%s %s as expected", field, h);
}

static void check_vmpl(const struct snp_report *rep, const struct appraise_opts *o,
		       struct appraise_result *res)
{
	char allowed[16] = "";
	size_t n = 0;

	for (unsigned v = 0; v < 4; v++)
		if (o->vmpl_mask & (1u << v))
			n += (size_t)snprintf(allowed + n, sizeof(allowed) - n, "%s%u", n ? "," : "",
					      v);
	if (rep->vmpl < 4 && (o->vmpl_mask & (1u << rep->vmpl)))
		record(res, "VMPL", true, false, "VMPL %u is allowed (%s)", rep->vmpl, allowed);
	else
		record(res, "VMPL", false, false, "VMPL %u is not allowed (allowed: %s)", rep->vmpl,
		       n ? allowed : "none");
}

/* A POLICY bit that must be clear unless the policy allows it. */
static void check_policy_forbidden(const struct snp_report *rep, const char *name, uint64_t bit,
				   bool allowed, struct appraise_result *res)
{
	bool set = (rep->policy & bit) != 0;

	if (set && !allowed)
		record(res, name, false, false, "%s set but not allowed (POLICY 0x%llx)", name,
		       (unsigned long long)rep->policy);
	else
		record(res, name, true, false, "%s %d%s", name, set, allowed ? " (allowed)" : "");
}

/* A POLICY bit that must be set when the policy requires it. */
static void check_policy_required(const struct snp_report *rep, const char *name, uint64_t bit,
				  bool required, struct appraise_result *res)
{
	bool set = (rep->policy & bit) != 0;

	if (!required)
		record(res, name, true, true, "not required by the policy (%s %d)", name, set);
	else if (!set)
		record(res, name, false, false, "%s clear but required (POLICY 0x%llx)", name,
		       (unsigned long long)rep->policy);
	else
		record(res, name, true, false, "%s 1 as required", name);
}

static void check_guest_policy(const struct snp_report *rep, const struct appraise_guest_policy *g,
			       struct appraise_result *res)
{
	unsigned major = snp_policy_abi_major(rep->policy), minor = snp_policy_abi_minor(rep->policy);
	uint64_t unknown = rep->policy & SNP_POLICY_MBZ_MASK;

	check_policy_forbidden(rep, "POLICY.DEBUG", SNP_POLICY_DEBUG, g->allow_debug, res);
	check_policy_forbidden(rep, "POLICY.MIGRATE_MA", SNP_POLICY_MIGRATE_MA, g->allow_migrate_ma,
			       res);
	check_policy_forbidden(rep, "POLICY.SMT", SNP_POLICY_SMT, g->allow_smt, res);
	check_policy_forbidden(rep, "POLICY.CXL_ALLOW", SNP_POLICY_CXL_ALLOW, g->allow_cxl, res);
	check_policy_required(rep, "POLICY.SINGLE_SOCKET", SNP_POLICY_SINGLE_SOCKET,
			      g->require_single_socket, res);
	check_policy_required(rep, "POLICY.MEM_AES_256_XTS", SNP_POLICY_MEM_AES_256_XTS,
			      g->require_mem_aes_256_xts, res);
	check_policy_required(rep, "POLICY.RAPL_DIS", SNP_POLICY_RAPL_DIS, g->require_rapl_dis, res);
	check_policy_required(rep, "POLICY.CIPHERTEXT_HIDING_DRAM", SNP_POLICY_CIPHERTEXT_HIDING,
			      g->require_ciphertext_hiding, res);
	check_policy_required(rep, "POLICY.PAGE_SWAP_DISABLE", SNP_POLICY_PAGE_SWAP_DISABLE,
			      g->require_page_swap_disable, res);

	if (unknown && !g->allow_unknown_bits)
		record(res, "POLICY.UNKNOWN", false, false,
		       "POLICY 0x%llx has unknown bits 0x%llx (63:26), and unknown bits are not "
		       "allowed", (unsigned long long)rep->policy, (unsigned long long)unknown);
	else
		record(res, "POLICY.UNKNOWN", true, false, "POLICY unknown bits 0x%llx%s",
		       (unsigned long long)unknown, g->allow_unknown_bits ? " (allowed)" : "");

	if (g->abi_major_min == 0 && g->abi_minor_min == 0)
		record(res, "POLICY.ABI", true, true, "no minimum (POLICY.ABI_MAJOR.ABI_MINOR %u.%u)",
		       major, minor);
	else if (major < g->abi_major_min || (major == g->abi_major_min && minor < g->abi_minor_min))
		record(res, "POLICY.ABI", false, false,
		       "POLICY.ABI_MAJOR.ABI_MINOR %u.%u is below the minimum %u.%u", major, minor,
		       g->abi_major_min, g->abi_minor_min);
	else
		record(res, "POLICY.ABI", true, false,
		       "POLICY.ABI_MAJOR.ABI_MINOR %u.%u >= minimum %u.%u", major, minor,
		       g->abi_major_min, g->abi_minor_min);
}

static void floor_to_tcb(const struct appraise_tcb_floor *f, struct snp_tcb *t)
{
	memset(t, 0, sizeof(*t));
	t->fmc = f->fmc;
	t->bootloader = f->bootloader;
	t->tee = f->tee;
	t->snp = f->snp;
	t->microcode = f->microcode;
}

/*
 * Appends "<have_name>.<C> <a> <op> <floor_name>.<C> <b>" for every component
 * of product p where have < floor (component-wise). Returns the count.
 */
static size_t tcb_diff(enum snp_product p, const char *have_name, const struct snp_tcb *have,
		       const char *op, const char *floor_name, const struct snp_tcb *floor,
		       char *buf, size_t cap)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (int c = 0; c < SNP_TCB_NCOMPONENTS; c++) {
		enum snp_tcb_component comp = (enum snp_tcb_component)c;
		const char *cn = snp_tcb_component_name(comp);
		unsigned a = snp_tcb_get(have, comp), b = snp_tcb_get(floor, comp);
		int w;

		if (snp_tcb_byte_index(p, comp) < 0 || a >= b)
			continue;
		if (floor_name)
			w = snprintf(buf + used, cap - used, "%s%s.%s %u %s %s.%s %u", n ? ", " : "",
				     have_name, cn, a, op, floor_name, cn, b);
		else
			w = snprintf(buf + used, cap - used, "%s%s.%s %u %s %u", n ? ", " : "",
				     have_name, cn, a, op, b);
		n++;
		if (w < 0 || (size_t)w >= cap - used)
			used = cap - 1;
		else
			used += (size_t)w;
	}
	return n;
}

static void tcb_str(enum snp_product p, const struct snp_tcb *t, char out[64])
{
	if (p == SNP_PRODUCT_TURIN)
		snprintf(out, 64, "fmc %u bl %u tee %u snp %u ucode %u", t->fmc, t->bootloader,
			 t->tee, t->snp, t->microcode);
	else
		snprintf(out, 64, "bl %u tee %u snp %u ucode %u", t->bootloader, t->tee, t->snp,
			 t->microcode);
}

static void check_tcb_floor(const char *field, enum snp_product p, uint64_t raw,
			    const struct appraise_tcb_floor *f, struct appraise_result *res)
{
	static const struct appraise_tcb_floor zero;
	struct snp_tcb have, floor;
	char diff[192], s[64];

	snp_tcb_decode(p, raw, &have);
	floor_to_tcb(f, &floor);
	tcb_str(p, &have, s);
	if (memcmp(f, &zero, sizeof(zero)) == 0) {
		record(res, field, true, true, "no minimum (%s %s)", field, s);
		return;
	}
	if (snp_tcb_at_least(p, &have, &floor)) {
		record(res, field, true, false, "%s %s meets the minimum", field, s);
		return;
	}
	tcb_diff(p, field, &have, "< required", NULL, &floor, diff, sizeof(diff));
	record(res, field, false, false, "%s", diff);
}

static void check_tcb_order(const struct snp_report *rep, enum snp_product p, bool provisional,
			    struct appraise_result *res)
{
	struct snp_tcb cur, reported, committed;
	char diff[192], s[64];

	snp_tcb_decode(p, rep->current_tcb, &cur);
	snp_tcb_decode(p, rep->reported_tcb, &reported);
	snp_tcb_decode(p, rep->committed_tcb, &committed);

	tcb_str(p, &cur, s);
	if (snp_tcb_at_least(p, &cur, &reported))
		record(res, "CURRENT_TCB>=REPORTED_TCB", true, false, "CURRENT_TCB %s", s);
	else {
		tcb_diff(p, "CURRENT_TCB", &cur, "<", "REPORTED_TCB", &reported, diff,
			 sizeof(diff));
		record(res, "CURRENT_TCB>=REPORTED_TCB", false, false, "%s", diff);
	}

	if (provisional) {
		if (snp_tcb_at_least(p, &cur, &committed)) {
			record(res, "COMMITTED_TCB=CURRENT_TCB", true, false,
			       "COMMITTED_TCB <= CURRENT_TCB (provisional firmware allowed)");
		} else {
			tcb_diff(p, "CURRENT_TCB", &cur, "<", "COMMITTED_TCB", &committed, diff,
				 sizeof(diff));
			record(res, "COMMITTED_TCB=CURRENT_TCB", false, false, "%s", diff);
		}
		return;
	}
	if (snp_tcb_at_least(p, &cur, &committed) && snp_tcb_at_least(p, &committed, &cur)) {
		record(res, "COMMITTED_TCB=CURRENT_TCB", true, false, "COMMITTED_TCB = CURRENT_TCB");
		return;
	}
	{
		char a[64], b[64];

		tcb_str(p, &committed, a);
		tcb_str(p, &cur, b);
		record(res, "COMMITTED_TCB=CURRENT_TCB", false, false,
		       "COMMITTED_TCB (%s) != CURRENT_TCB (%s); provisional firmware not allowed", a,
		       b);
	}
}

static int fw_cmp(unsigned amaj, unsigned amin, unsigned abuild, unsigned bmaj, unsigned bmin,
		  unsigned bbuild)
{
	unsigned long a = (unsigned long)amaj << 16 | amin << 8 | abuild;
	unsigned long b = (unsigned long)bmaj << 16 | bmin << 8 | bbuild;

	return a < b ? -1 : a > b;
}

static void check_firmware(const struct snp_report *rep, const struct appraise_opts *o,
			   struct appraise_result *res)
{
	const struct appraise_fw_version *m = &o->min_firmware;
	int c;

	if (m->major == 0 && m->minor == 0 && m->build == 0)
		record(res, "CURRENT_VERSION", true, true, "no minimum (CURRENT %u.%u.%u)",
		       rep->current_major, rep->current_minor, rep->current_build);
	else if (fw_cmp(rep->current_major, rep->current_minor, rep->current_build, m->major,
			m->minor, m->build) < 0)
		record(res, "CURRENT_VERSION", false, false,
		       "CURRENT_MAJOR.MINOR.BUILD %u.%u.%u is below the minimum %u.%u.%u",
		       rep->current_major, rep->current_minor, rep->current_build, m->major,
		       m->minor, m->build);
	else
		record(res, "CURRENT_VERSION", true, false,
		       "CURRENT_MAJOR.MINOR.BUILD %u.%u.%u >= minimum %u.%u.%u", rep->current_major,
		       rep->current_minor, rep->current_build, m->major, m->minor, m->build);

	c = fw_cmp(rep->committed_major, rep->committed_minor, rep->committed_build,
		   rep->current_major, rep->current_minor, rep->current_build);
	if (c == 0)
		record(res, "COMMITTED_VERSION=CURRENT_VERSION", true, false,
		       "COMMITTED %u.%u.%u = CURRENT", rep->committed_major, rep->committed_minor,
		       rep->committed_build);
	else if (c < 0 && o->allow_provisional_firmware)
		record(res, "COMMITTED_VERSION=CURRENT_VERSION", true, false,
		       "COMMITTED %u.%u.%u < CURRENT %u.%u.%u (provisional firmware allowed)",
		       rep->committed_major, rep->committed_minor, rep->committed_build,
		       rep->current_major, rep->current_minor, rep->current_build);
	else
		record(res, "COMMITTED_VERSION=CURRENT_VERSION", false, false,
		       "COMMITTED_MAJOR.MINOR.BUILD %u.%u.%u %s CURRENT %u.%u.%u%s",
		       rep->committed_major, rep->committed_minor, rep->committed_build,
		       c > 0 ? ">" : "!=", rep->current_major, rep->current_minor,
		       rep->current_build,
		       c > 0 ? "" : "; provisional firmware not allowed");
}

static void bit_names(uint64_t bits, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned b = 0; b < 64 && used < cap; b++) {
		int w;

		if (!(bits & (1ull << b)))
			continue;
		if (snp_platform_bit_name(b))
			w = snprintf(out + used, cap - used, "%s%s", used ? "," : "",
				     snp_platform_bit_name(b));
		else
			w = snprintf(out + used, cap - used, "%sbit%u", used ? "," : "", b);
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
}

/* Required bits all set (required) or forbidden bits all clear (!required). */
static void check_platform_bits(const char *name, uint64_t pi, uint64_t mask, bool required,
				struct appraise_result *res)
{
	const char *kind = required ? "required" : "forbidden";
	uint64_t bad = required ? mask & ~pi : mask & pi;
	char names[128];

	if (mask == 0) {
		record(res, name, true, true, "no %s bits (PLATFORM_INFO 0x%llx)", kind,
		       (unsigned long long)pi);
	} else if (bad) {
		bit_names(bad, names, sizeof(names));
		record(res, name, false, false, "PLATFORM_INFO 0x%llx %s bits 0x%llx (%s)",
		       (unsigned long long)pi, required ? "lacks required" : "has forbidden",
		       (unsigned long long)bad, names);
	} else {
		record(res, name, true, false, "PLATFORM_INFO 0x%llx: %s bits 0x%llx respected",
		       (unsigned long long)pi, kind, (unsigned long long)mask);
	}
}

static void check_platform_info(const struct snp_report *rep, const struct appraise_opts *o,
				struct appraise_result *res)
{
	unsigned long long pi = rep->platform_info;
	uint64_t unknown = rep->platform_info & ~SNP_PLATFORM_KNOWN_MASK;

	check_platform_bits("PLATFORM_INFO.REQUIRED", pi, o->platform_info_required, true, res);
	check_platform_bits("PLATFORM_INFO.FORBIDDEN", pi, o->platform_info_forbidden, false, res);
	if (unknown && !o->allow_unknown_platform_info)
		record(res, "PLATFORM_INFO.UNKNOWN", false, false,
		       "PLATFORM_INFO 0x%llx has unknown bits 0x%llx, and unknown bits are not allowed",
		       pi, (unsigned long long)unknown);
	else
		record(res, "PLATFORM_INFO.UNKNOWN", true, false,
		       "PLATFORM_INFO unknown bits 0x%llx%s", (unsigned long long)unknown,
		       o->allow_unknown_platform_info ? " (allowed)" : "");
}

static void check_keys(const struct snp_report *rep, const struct appraise_opts *o,
		       struct appraise_result *res)
{
	bool author_en = (rep->signer_info & SNP_SIGNER_AUTHOR_KEY_EN) != 0;
	bool id_ok = in_list(rep->id_key_digest, SNP_KEY_DIGEST_SIZE, &o->trusted_id_keys[0][0],
			     SNP_KEY_DIGEST_SIZE, o->ntrusted_id_keys);
	bool author_ok = author_en && in_list(rep->author_key_digest, SNP_KEY_DIGEST_SIZE,
					      &o->trusted_author_keys[0][0], SNP_KEY_DIGEST_SIZE,
					      o->ntrusted_author_keys);
	char a[32], b[32];

	hex_short(rep->id_key_digest, SNP_KEY_DIGEST_SIZE, a);
	hex_short(rep->author_key_digest, SNP_KEY_DIGEST_SIZE, b);
	if (id_ok)
		record(res, "ID_KEY_DIGEST", true, false, "ID_KEY_DIGEST %s is trusted", a);
	else if (author_ok)
		record(res, "ID_KEY_DIGEST", true, false,
		       "AUTHOR_KEY_DIGEST %s is trusted (AUTHOR_KEY_EN 1)", b);
	else if (o->allow_any_id_key)
		record(res, "ID_KEY_DIGEST", true, false, "ID_KEY_DIGEST %s accepted: allow_any_id_key",
		       a);
	else if (author_en)
		record(res, "ID_KEY_DIGEST", false, false,
		       "ID_KEY_DIGEST %s and AUTHOR_KEY_DIGEST %s are not trusted", a, b);
	else
		record(res, "ID_KEY_DIGEST", false, false,
		       "ID_KEY_DIGEST %s is not trusted and AUTHOR_KEY_EN is 0", a);

	if (!o->require_author_key)
		record(res, "AUTHOR_KEY_DIGEST", true, true, "author key not required (AUTHOR_KEY_EN %d)",
		       author_en);
	else if (!author_en)
		record(res, "AUTHOR_KEY_DIGEST", false, false,
		       "AUTHOR_KEY_EN 0 but an author key is required");
	else if (!author_ok)
		record(res, "AUTHOR_KEY_DIGEST", false, false,
		       "AUTHOR_KEY_DIGEST %s is not in the trusted author keys (%zu entries)", b,
		       o->ntrusted_author_keys);
	else
		record(res, "AUTHOR_KEY_DIGEST", true, false, "AUTHOR_KEY_DIGEST %s is trusted", b);
}

static void check_svn(const struct snp_report *rep, const struct appraise_opts *o,
		      struct appraise_result *res)
{
	if (o->min_guest_svn == 0)
		record(res, "GUEST_SVN", true, true, "no minimum (GUEST_SVN %u)", rep->guest_svn);
	else if (rep->guest_svn < o->min_guest_svn)
		record(res, "GUEST_SVN", false, false, "GUEST_SVN %u is below the minimum %u",
		       rep->guest_svn, o->min_guest_svn);
	else
		record(res, "GUEST_SVN", true, false, "GUEST_SVN %u >= minimum %u", rep->guest_svn,
		       o->min_guest_svn);
}

static void check_chip_id(const struct snp_report *rep, enum snp_product p,
			  const struct appraise_opts *o, struct appraise_result *res)
{
	char h[2 * 64 + 1];

	hexs(rep->chip_id, snp_product_chip_id_len(p), h);
	if (!o->check_chip_id)
		record(res, "CHIP_ID", true, true, "no chip allow-list (CHIP_ID %s)", h);
	else if (in_list(rep->chip_id, SNP_CHIP_ID_SIZE, &o->chip_ids[0][0], SNP_CHIP_ID_SIZE,
			 o->nchip_ids))
		record(res, "CHIP_ID", true, false, "CHIP_ID %s is in the allow-list", h);
	else
		record(res, "CHIP_ID", false, false, "CHIP_ID %s is not in the allow-list (%zu entries)",
		       h, o->nchip_ids);
}

static void check_mit_vector(const char *field, const struct snp_report *rep, uint64_t have,
			     uint64_t required, struct appraise_result *res)
{
	if (required == 0)
		record(res, field, true, true, "no required bits (%s 0x%llx)", field,
		       (unsigned long long)have);
	else if (rep->version < 5)
		record(res, field, false, false,
		       "%s absent in a v%u report, but bits 0x%llx are required", field,
		       rep->version, (unsigned long long)required);
	else if ((have & required) != required)
		record(res, field, false, false, "%s 0x%llx lacks required bits 0x%llx", field,
		       (unsigned long long)have, (unsigned long long)(required & ~have));
	else
		record(res, field, true, false, "%s 0x%llx has the required bits 0x%llx", field,
		       (unsigned long long)have, (unsigned long long)required);
}

int appraise_report(const struct snp_report *rep, enum snp_product product,
		    const struct appraise_opts *o, struct appraise_result *res,
		    struct snp_err *err)
{
	struct appraise_result local;
	int ret = SNP_E_INTERNAL;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (product == SNP_PRODUCT_UNKNOWN || snp_tcb_byte_index(product, SNP_TCB_SNP) < 0) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "appraise: product unknown; the TCB layout cannot be chosen");
		goto out;
	}
	if (o->nmeasurements > APPRAISE_MAX_MEASUREMENTS ||
	    o->ntrusted_id_keys > APPRAISE_MAX_KEY_DIGESTS ||
	    o->ntrusted_author_keys > APPRAISE_MAX_KEY_DIGESTS || o->nchip_ids > APPRAISE_MAX_CHIP_IDS) {
		ret = snp_errf(err, SNP_E_INVALID, "appraise: options list counts exceed their arrays");
		goto out;
	}

	check_product(rep, product, res);
	check_measurement(rep, o, res);
	check_bytes("HOST_DATA", rep->host_data, o->host_data, SNP_HOST_DATA_SIZE,
		    o->check_host_data, res);
	check_bytes("REPORT_DATA", rep->report_data, o->report_data, SNP_REPORT_DATA_SIZE,
		    o->check_report_data, res);
	check_vmpl(rep, o, res);
	check_guest_policy(rep, &o->guest_policy, res);
	check_tcb_floor("REPORTED_TCB", product, rep->reported_tcb, &o->min_reported_tcb, res);
	check_tcb_floor("COMMITTED_TCB", product, rep->committed_tcb, &o->min_committed_tcb, res);
	check_tcb_floor("LAUNCH_TCB", product, rep->launch_tcb, &o->min_launch_tcb, res);
	check_tcb_order(rep, product, o->allow_provisional_firmware, res);
	check_firmware(rep, o, res);
	check_platform_info(rep, o, res);
	check_keys(rep, o, res);
	check_svn(rep, o, res);
	check_bytes("FAMILY_ID", rep->family_id, o->family_id, sizeof(rep->family_id),
		    o->check_family_id, res);
	check_bytes("IMAGE_ID", rep->image_id, o->image_id, sizeof(rep->image_id),
		    o->check_image_id, res);
	check_chip_id(rep, product, o, res);
	check_mit_vector("CURRENT_MIT_VECTOR", rep, rep->current_mit_vector, o->mit_vector_required,
			 res);
	check_mit_vector("LAUNCH_MIT_VECTOR", rep, rep->launch_mit_vector, o->mit_vector_required,
			 res);

	if (res->nfailed > 0) {
		const struct appraise_check *first = NULL;

		for (size_t i = 0; i < res->nchecks && !first; i++)
			if (!res->checks[i].passed)
				first = &res->checks[i];
		if (res->nfailed > 1)
			ret = snp_errf(err, SNP_E_REFUSED, "appraise: %s (and %zu more failed check%s)",
				       first ? first->detail : "?", res->nfailed - 1,
				       res->nfailed > 2 ? "s" : "");
		else
			ret = snp_errf(err, SNP_E_REFUSED, "appraise: %s",
				       first ? first->detail : "?");
		goto out;
	}
	ret = 0;
out:
	return ret;
}
