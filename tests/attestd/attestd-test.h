/*
 * Shared setup for attestd's service tests: a state directory with a master
 * key and a real SQLite store, a Milan sim (tests/sim/simtest.h) whose guest
 * signs reports with chosen REPORT_DATA, the sim's ARK, and a tenant with
 * one resource under a policy. Guest requests are built here as a client
 * would build them: runtime-data with a fresh key, REPORT_DATA bound to it.
 */
#ifndef SNPVM_TESTS_ATTESTD_ATTESTD_TEST_H
#define SNPVM_TESTS_ATTESTD_ATTESTD_TEST_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "abi/policy.h"
#include "attestd/binding.h"
#include "attestd/jose-dl.h"
#include "attestd/jwe.h"
#include "attestd/jwk.h"
#include "attestd/service.h"
#include "attestd/store.h"
#include "sim/sp.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/hex.h"
#include "util/secret.h"

#define AFX_TENANT "acme"
#define AFX_REPO "acme-repo"
#define AFX_SECRET "the disk key: 0123456789abcdef"
/* What every test guest runs with: SMT allowed, bit 17 set (SNP ABI spec 56860 §4.3). */
#define AFX_GUEST_POLICY (SNP_POLICY_SMT | SNP_POLICY_RESERVED1)

struct afx {
	char *dir, *simdir;
	struct sim_sp *sp;
	struct sim_guest *g;
	uint8_t *table;
	size_t table_len;
	X509 *ark;
	struct attestd *a;
	struct store *st;
	int64_t now_ms;
	pthread_mutex_t loglock;
	json_t *logs; /* every log line, parsed */
};

static inline int64_t afx_clock(void *ctx)
{
	return ((struct afx *)ctx)->now_ms;
}

static inline void afx_log(void *ctx, const char *line)
{
	struct afx *f = ctx;
	json_t *j = json_loads(line, 0, NULL);

	if (j == NULL)
		fail_msg("log line is not JSON: %s", line);
	pthread_mutex_lock(&f->loglock);
	json_array_append_new(f->logs, j);
	pthread_mutex_unlock(&f->loglock);
}

/*
 * A running sim guest launched with policy (and the platform allowing DEBUG):
 * one measured page below 4 GiB, HOST_DATA 0x5a...; what it contains does not
 * matter to attestd, only that the sim signs its reports.
 */
static inline struct sim_guest *afx_guest(struct afx *f, uint64_t policy)
{
	static const char text[] = "snpvm attestd test guest";
	uint8_t page[4096] = { 0 }, host_data[32];
	struct snp_err err = { 0 };
	struct sim_guest *g = NULL;

	memcpy(page, text, sizeof(text));
	memset(host_data, 0x5a, sizeof(host_data));
	f->sp->debug_allowed = true;
	if (sim_launch_start(f->sp, policy, NULL, &g, NULL, &err) != 0 ||
	    sim_launch_update(g, 0xfffff000ull, page, sizeof(page), SNP_PAGE_TYPE_NORMAL, NULL,
			      &err) != 0 ||
	    sim_launch_finish(g, NULL, NULL, false, host_data, NULL, &err) != 0)
		fail_msg("sim launch: %s", err.msg);
	return g;
}

/* Options for an attestd on f's state directory; trust_sim adds the sim's ARK. */
static inline struct attestd_opts afx_opts(struct afx *f, bool trust_sim)
{
	struct attestd_opts o = {
		.dir = f->dir,
		.listen = "127.0.0.1:0",
		.admin_listen = "",
		.threads = 2,
		.sim_roots = trust_sim ? &f->ark : NULL,
		.nsim_roots = trust_sim ? 1 : 0,
		.log = afx_log,
		.log_ctx = f,
		.clock = afx_clock,
		.clock_ctx = f,
	};
	return o;
}

static inline struct afx *afx_new(bool trust_sim)
{
	struct afx *f = calloc(1, sizeof(*f));
	struct snp_err err = { 0 };
	const uint8_t *p;
	char key[1024];
	struct attestd_opts o;

	assert_non_null(f);
	pthread_mutex_init(&f->loglock, NULL);
	f->logs = json_array();
	f->now_ms = (int64_t)time(NULL) * 1000;
	f->dir = tmpdir_make();
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	if (store_master_key_create(key, &err) != 0)
		fail_msg("store_master_key_create: %s", err.msg);
	f->simdir = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK);
	if (sim_sp_open(f->simdir, &f->sp, &err) != 0 ||
	    sim_store_cert_table(&f->sp->store, &f->table, &f->table_len, &err) != 0)
		fail_msg("sim: %s", err.msg);
	p = f->sp->store.cert_der[SIM_STORE_ARK];
	f->ark = d2i_X509(NULL, &p, (long)f->sp->store.cert_len[SIM_STORE_ARK]);
	assert_non_null(f->ark);
	f->g = afx_guest(f, AFX_GUEST_POLICY);
	o = afx_opts(f, trust_sim);
	if (attestd_open(&o, &f->a, &err) != 0)
		fail_msg("attestd_open: %s", err.msg);
	f->st = attestd_store(f->a);
	return f;
}

static inline void afx_free(struct afx *f)
{
	attestd_close(f->a);
	sim_guest_free(f->g);
	sim_sp_close(f->sp);
	X509_free(f->ark);
	free(f->table);
	rm_rf(f->simdir);
	rm_rf(f->dir);
	free(f->simdir);
	free(f->dir);
	json_decref(f->logs);
	pthread_mutex_destroy(&f->loglock);
	free(f);
}

/*
 * The tenant, its repository, the secret at AFX_REPO/key/<tag> and, when
 * policy_text is non-NULL, that policy for the repository. Returns the
 * policy's version (0 without one).
 */
static inline uint64_t afx_provision(struct afx *f, const char *tag, const char *policy_text)
{
	char token[STORE_TOKEN_LEN + 1];
	struct snp_err err = { 0 };
	uint64_t v = 0;
	int64_t now = f->now_ms / 1000;
	char owner[STORE_NAME_MAX + 1];

	if (store_repo_owner(f->st, AFX_REPO, owner, &err) == STORE_NOT_FOUND) {
		if (store_principal_create(f->st, AFX_TENANT, now, token, &err) != 0 ||
		    store_repo_assign(f->st, AFX_TENANT, AFX_REPO, now, &err) != 0)
			fail_msg("provision: %s", err.msg);
	}
	if (store_resource_put(f->st, AFX_TENANT, AFX_REPO, "key", tag,
			       (const uint8_t *)AFX_SECRET, strlen(AFX_SECRET), now, NULL, &err) != 0)
		fail_msg("store_resource_put: %s", err.msg);
	if (policy_text) {
		json_t *p = json_loads(policy_text, 0, NULL);

		assert_non_null(p);
		if (store_policy_set(f->st, AFX_TENANT, AFX_REPO, p, now, &v, &err) != 0)
			fail_msg("store_policy_set: %s", err.msg);
		json_decref(p);
	}
	return v;
}

/* A verifier policy admitting f's guests (their measurement pinned) plus extra members. */
static inline char *afx_policy(struct afx *f, const char *extra)
{
	char m[2 * SNP_MEASUREMENT_SIZE + 1], *s = NULL;

	hex_encode(f->g->measurement, SNP_MEASUREMENT_SIZE, m);
	if (asprintf(&s, "{\"measurements\":[\"%s\"],\"vmpl\":\"any\","
		     "\"guest_policy\":{\"allow_smt\":true},"
		     "\"allow_provisional_firmware\":true,\"allow_any_id_key\":true,"
		     "\"platform_info\":{\"allow_unknown_bits\":true}%s}",
		     m, extra ? extra : "") < 0)
		abort();
	return s;
}

/* The guest side: a key, runtime-data with the nonce, a report binding both. */
struct afx_guest_req {
	json_t *priv;    /* the guest's private JWK */
	json_t *rd;      /* runtime-data */
	uint8_t report[SNP_REPORT_SIZE];
};

/* A resource response: the JWE opens with the guest's private key to AFX_SECRET. */
static inline void afx_assert_secret(const json_t *priv, const uint8_t *jwe, size_t len)
{
	struct secret pt = { 0 };
	struct snp_err err = { 0 };

	if (jwe_open(priv, (const char *)jwe, len, &pt, &err) != 0)
		fail_msg("jwe_open: %s", err.msg);
	assert_int_equal(pt.len, strlen(AFX_SECRET));
	assert_memory_equal(pt.p, AFX_SECRET, pt.len);
	secret_free(&pt);
}

static inline void afx_guest_req(struct afx *f, struct sim_guest *g, const char *nonce,
				 struct afx_guest_req *gr)
{
	struct snp_err err = { 0 };
	uint8_t rd[SNP_REPORT_DATA_SIZE];
	json_t *pub = NULL;

	if (jwk_generate(JWK_EC_P384, &gr->priv, &err) != 0 ||
	    jwk_public_of(gr->priv, &pub, &err) != 0)
		fail_msg("guest key: %s", err.msg);
	gr->rd = json_pack("{s:s,s:o}", "nonce", nonce, "tee-pubkey", pub);
	if (binding_report_data(gr->rd, rd, &err) != 0 ||
	    sim_guest_report(g ? g : f->g, rd, 0, gr->report, &err) != 0)
		fail_msg("guest report: %s", err.msg);
}

static inline void afx_guest_req_free(struct afx_guest_req *gr)
{
	jwk_free_private(gr->priv);
	json_decref(gr->rd);
	memset(gr, 0, sizeof(*gr));
}

/*
 * The /attest body for gr (JSON raw-report form), with the sim's certificate
 * table, or without one (with_table false: attestd must find the VCEK in its
 * KDS cache or fetch it).
 */
static inline char *afx_attest_body_table(struct afx *f, const struct afx_guest_req *gr,
					  bool with_table)
{
	json_t *b = json_pack("{s:O,s:{s:o}}", "runtime-data", gr->rd, "tee-evidence",
			      "report", jose_b64_enc(gr->report, SNP_REPORT_SIZE));
	char *s;

	assert_non_null(b);
	if (with_table)
		json_object_set_new(json_object_get(b, "tee-evidence"), "cert-table",
				    jose_b64_enc(f->table, f->table_len));
	s = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	assert_non_null(s);
	return s;
}

/* The /attest body for gr (JSON raw-report form), with the sim's certificate table. */
static inline char *afx_attest_body(struct afx *f, const struct afx_guest_req *gr)
{
	return afx_attest_body_table(f, gr, true);
}

/* The audit rows as the store lists them. */
static inline json_t *afx_audit(struct afx *f)
{
	struct snp_err err = { 0 };
	json_t *rows = NULL;

	if (store_audit_list(f->st, NULL, 0, 10000, &rows, &err) != 0)
		fail_msg("store_audit_list: %s", err.msg);
	return rows;
}

/* The last audit row of event ev; fails the test if there is none. */
static inline json_t *afx_last_audit(struct afx *f, const char *ev)
{
	json_t *rows = afx_audit(f), *found = NULL;
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r) {
		const char *e = json_string_value(json_object_get(r, "event"));

		if (e && strcmp(e, ev) == 0) {
			json_decref(found);
			found = json_incref(r);
		}
	}
	json_decref(rows);
	if (found == NULL)
		fail_msg("no audit row for event %s", ev);
	return found;
}

static inline void afx_assert_audit(struct afx *f, const char *ev, const char *decision,
				    const char *reason)
{
	json_t *r = afx_last_audit(f, ev);
	const char *d = json_string_value(json_object_get(r, "decision"));
	const char *why = json_string_value(json_object_get(r, "reason"));

	if (!d || strcmp(d, decision) != 0 || !why || strcmp(why, reason) != 0)
		fail_msg("audit %s: got %s/%s, want %s/%s", ev, d ? d : "-", why ? why : "-",
			 decision, reason);
	json_decref(r);
}

#endif
