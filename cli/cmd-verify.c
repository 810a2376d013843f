/*
 * snpvm verify: parse -> verify -> appraise one attestation report
 * (docs/verify.md). Exit 0 only when verified and appraised; 1 when refused;
 * 2 for unusable input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/appraise-policy.h"
#include "attest/appraise.h"
#include "attest/certs.h"
#include "attest/crl.h"
#include "attest/kds-curl.h"
#include "attest/kds.h"
#include "attest/report-json.h"
#include "attest/verify.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

#define HCL_REPORT_OFFSET 0x20
#define INPUT_MAX (1u << 20)

struct verify_args {
	const char *report, *certs_dir, *vcek, *cert_table, *ask, *product, *crl, *at, *policy;
	const char *sim_root, *kds, *kds_cache;
	int lax, json, hcl, kds_crl;
};

/* The KDS lookup of one run: what was obtained, to be cached once verified. */
struct kds_run {
	char sim_cache[4096]; /* the cache subtree for a simulated root */
	struct kds_curl curl;
	struct kds_opts o;
	struct kds_vek vek;
	struct snp_report rep;
	enum snp_product product;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snpvm verify --report FILE [--certs DIR | --vcek FILE | --cert-table FILE]\n"
		"                    [--ask FILE] [--product NAME] [--crl FILE] [--policy FILE]\n"
		"                    [--kds URL] [--kds-cache DIR] [--kds-crl] [--at RFC3339]\n"
		"                    [--trust-sim-root FILE] [--hcl] [--lax] [--json]\n\n"
		"Verifies an SEV-SNP attestation report against AMD's pinned roots: the\n"
		"ARK -> ASK/ASVK -> VCEK/VLEK chain, the report signature, and the binding of\n"
		"REPORTED_TCB and CHIP_ID to the certificate; then appraises it against a\n"
		"verifier policy (docs/verifier-policy.md).\n\n"
		"  --report FILE         the raw 1184-byte report\n"
		"  --hcl                 FILE is an Azure HCL report; the SNP report is at 0x20\n"
		"  --certs DIR           certificates (*.pem *.crt *.cer *.der), classified by CN\n"
		"  --vcek FILE           the VCEK or VLEK (PEM or DER)\n"
		"  --cert-table FILE     an extended-request certificate table (auxblob)\n"
		"  --ask FILE            the ASK (or ASVK) to chain the VEK to; must be AMD's\n"
		"  --product NAME        milan, genoa or turin (needed for v2 reports only when\n"
		"                        the VEK issuer does not say)\n"
		"  --crl FILE            check this ARK-signed CRL (DER or PEM)\n"
		"  --kds URL             with no VEK given, fetch the VCEK from this AMD KDS\n"
		"                        (AMD's: https://kdsintf.amd.com; never a default)\n"
		"  --kds-cache DIR       look the VCEK up in DIR first and store fetched ones\n"
		"                        there once verified; without --kds: offline, DIR only\n"
		"  --kds-crl             fetch the CRL from --kds and check it; fail if it\n"
		"                        cannot be fetched (fail-closed)\n"
		"  --policy FILE         appraise against this verifier policy (JSON); without\n"
		"                        it: the default policy (any measurement, no DEBUG,\n"
		"                        no MIGRATE_MA)\n"
		"  --at TIME             check validity at TIME (2025-12-01T00:00:00Z), not now\n"
		"  --trust-sim-root FILE also trust this simulated ARK (snpvm sim); never AMD's\n"
		"  --lax                 accept non-zero reserved report bytes (newer firmware)\n"
		"  --json                print the decoded report and every check as JSON\n\n"
		"Exit status: 0 verified and appraised, 1 refused (the first failed check is\n"
		"printed),"
		" 2 unusable input or usage.\n");
}

/* RFC 3339 with Z or a +hh:mm / -hh:mm offset. */
static int parse_time(const char *s, time_t *out, struct snp_err *err)
{
	struct tm tm;
	const char *rest;
	long off = 0;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest && *rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (rest && (rest[0] == 'Z' || rest[0] == 'z') && rest[1] == '\0') {
		off = 0;
	} else if (rest && (rest[0] == '+' || rest[0] == '-') && strlen(rest) == 6 &&
		   rest[3] == ':') {
		int h, m;

		if (sscanf(rest + 1, "%2d:%2d", &h, &m) != 2 || h > 23 || m > 59)
			return snp_errf(err, SNP_E_INVALID, "--at: bad offset in '%s'", s);
		off = (rest[0] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
	} else {
		return snp_errf(err, SNP_E_INVALID,
				"--at: '%s' is not RFC 3339 (e.g. 2025-12-01T00:00:00Z)", s);
	}
	*out = timegm(&tm) - off;
	return 0;
}

static int load_report(const struct verify_args *a, uint8_t **raw, size_t *len,
		       struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t n;
	int ret;

	*raw = NULL;
	if ((ret = file_read(a->report, INPUT_MAX, &buf, &n, err)) != 0) {
		err->code = SNP_E_INVALID; /* unreadable input: exit 2 */
		return SNP_E_INVALID;
	}
	if (a->hcl) {
		if (n < HCL_REPORT_OFFSET + SNP_REPORT_SIZE || memcmp(buf, "HCLA", 4) != 0) {
			free(buf);
			return snp_errf(err, SNP_E_INVALID,
					"%s: not an HCL report (magic HCLA, SNP report at 0x20)",
					a->report);
		}
		memmove(buf, buf + HCL_REPORT_OFFSET, SNP_REPORT_SIZE);
		n = SNP_REPORT_SIZE;
	}
	*raw = buf;
	*len = n;
	return 0;
}

static json_t *appraisal_json(const struct appraise_result *ar, bool passed)
{
	json_t *o = json_object(), *checks = json_array();

	for (size_t i = 0; i < ar->nchecks; i++) {
		const struct appraise_check *c = &ar->checks[i];

		json_array_append_new(checks, json_pack("{s:s,s:b,s:b,s:s}", "name", c->name, "ok",
							c->passed, "skipped", c->skipped,
							"detail", c->detail));
	}
	json_object_set_new(o, "passed", json_boolean(passed));
	json_object_set_new(o, "failed", json_integer((json_int_t)ar->nfailed));
	json_object_set_new(o, "checks", checks);
	return o;
}

/* ar is NULL when appraisal did not run (verification failed). */
static json_t *result_json(const struct verify_result *res, int vret,
			   const struct appraise_result *ar, int aret, const struct snp_err *err)
{
	json_t *o = json_object(), *checks = json_array();
	int ret = vret ? vret : aret;

	for (size_t i = 0; i < res->nchecks; i++) {
		const struct verify_check *c = &res->checks[i];
		json_t *jc = json_pack("{s:s,s:b,s:s}", "name", c->name, "ok", c->code == 0,
				       "detail", c->detail);

		if (c->code)
			json_object_set_new(jc, "code", json_string(snp_code_name(c->code)));
		json_array_append_new(checks, jc);
	}
	json_object_set_new(o, "verified", json_boolean(vret == 0));
	json_object_set_new(o, "appraised", json_boolean(ar && aret == 0));
	if (res->nchecks && res->checks[0].code == 0) {
		json_object_set_new(o, "report", report_to_json(&res->report, res->product));
		json_object_set_new(o, "signer", json_string(res->signer == SNP_SIGNING_KEY_VCEK
								   ? "VCEK"
								   : "VLEK"));
	}
	json_object_set_new(o, "product", json_string(snp_product_name(res->product)));
	if (res->anchor[0])
		json_object_set_new(o, "anchor", json_string(res->anchor));
	if (res->vek_sha256[0])
		json_object_set_new(o, "vek_sha256", json_string(res->vek_sha256));
	json_object_set_new(o, "sim_root", json_boolean(res->sim_root));
	json_object_set_new(o, "checks", checks);
	if (ar)
		json_object_set_new(o, "appraisal", appraisal_json(ar, aret == 0));
	if (ret)
		json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code",
							  snp_code_name(err->code), "message",
							  err->msg));
	return o;
}

static int load_inputs(const struct verify_args *a, struct certs *certs,
		       struct verify_opts *opts, struct appraise_opts *aopts, STACK_OF(X509) **sim,
		       struct snp_err *err)
{
	int ret = 0;

	if (a->certs_dir && (ret = certs_load_dir(certs, a->certs_dir, err)) != 0)
		return ret;
	if (a->cert_table) {
		uint8_t *buf = NULL;
		size_t n;

		if ((ret = file_read(a->cert_table, INPUT_MAX, &buf, &n, err)) == 0)
			ret = certs_load_table(certs, buf, n, err);
		free(buf);
		if (ret)
			return ret;
	}
	if (a->vcek && (ret = certs_load_vek_file(certs, a->vcek, err)) != 0)
		return ret;
	if (a->ask && (ret = certs_load_issuer_file(certs, a->ask, err)) != 0)
		return ret;
	if (a->crl && (ret = crl_load_file(a->crl, &opts->crl, err)) != 0)
		return ret;
	if (a->policy && (ret = appraise_opts_from_file(a->policy, aopts, err)) != 0)
		return ret;
	if (!a->policy)
		appraise_opts_default(aopts);
	if (a->product && (ret = snp_product_from_name(a->product, &opts->product, err)) != 0)
		return ret;
	if (a->sim_root) {
		uint8_t *buf = NULL;
		size_t n;

		if ((ret = file_read(a->sim_root, INPUT_MAX, &buf, &n, err)) == 0)
			ret = certs_parse_all(buf, n, a->sim_root, sim, err);
		free(buf);
		if (ret)
			return ret;
		/* A stack is a contiguous array of pointers only through this accessor. */
		opts->n_allow_sim_roots = (size_t)sk_X509_num(*sim);
	}
	opts->now = time(NULL);
	if (a->at && (ret = parse_time(a->at, &opts->now, err)) != 0)
		return ret;
	opts->parse.lax_reserved = a->lax != 0;
	return 0;
}

/*
 * --kds / --kds-cache: when no VEK was given, the VCEK for the report (and,
 * for simulated roots, whose intermediate is not built in, the cert_chain)
 * from the cache or KDS; with --kds-crl the CRL. All of it goes to
 * verify_report as untrusted evidence.
 */
/*
 * Entries verified under a simulated root live in DIR/sim-<sha256 of that ARK,
 * 16 hex digits>/, apart from AMD-anchored ones: a sim VCEK is never offered to
 * a verification without that root, and a regenerated sim starts afresh.
 */
static int sim_cache_dir(const char *dir, X509 *root, char *out, size_t cap,
			 struct snp_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (X509_digest(root, EVP_sha256(), md, &n) != 1 || n < 8)
		return snp_err_openssl(err, "KDS cache: digest of the simulated root");
	hex_encode(md, 8, hex);
	if ((size_t)snprintf(out, cap, "%s/sim-%s", dir, hex) >= cap)
		return snp_errf(err, SNP_E_INVALID, "--kds-cache %.100s: path too long", dir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return snp_err_sys(err, "--kds-cache %s", dir);
	return 0;
}

static int kds_load(const struct verify_args *a, const uint8_t *raw, size_t len,
		    struct certs *certs, struct verify_opts *opts, struct kds_run *k,
		    struct snp_err *err)
{
	bool need_vek = !certs->vek && !certs->vcek && !certs->vlek;
	int ret;

	if (!a->kds && !a->kds_cache)
		return 0;
	kds_curl_init(&k->curl);
	k->o.base_url = a->kds;
	k->o.cache_dir = a->kds_cache;
	if (a->kds_cache && opts->n_allow_sim_roots > 0 &&
	    (ret = sim_cache_dir(a->kds_cache, opts->allow_sim_roots[0], k->sim_cache,
				 sizeof(k->sim_cache), err)) != 0)
		return ret;
	if (k->sim_cache[0])
		k->o.cache_dir = k->sim_cache;
	k->o.fetch = kds_curl_fetcher(&k->curl);
	if (!need_vek && !a->kds_crl)
		return 0;
	/* An unparseable report is left to verify_report, which names the field. */
	if (report_parse(raw, len, &opts->parse, &k->rep, err) != 0)
		return 0;
	k->product = opts->product ? opts->product : report_product(&k->rep);
	if (k->product == SNP_PRODUCT_UNKNOWN)
		return snp_errf(err, SNP_E_INVALID,
				"KDS: the product of a v%u report is unknown; pass --product",
				k->rep.version);
	if (need_vek) {
		const struct kds_vek *kv = &k->vek;

		if ((ret = kds_vek_get(&k->o, &k->rep, k->product, opts->n_allow_sim_roots > 0,
				       &k->vek, err)) != 0 ||
		    (ret = certs_add_buf(certs, kv->vcek, kv->vcek_len,
					 kv->vcek_cached ? "cached VCEK" : "KDS VCEK", err)) != 0 ||
		    (kv->chain && (ret = certs_add_buf(certs, kv->chain, kv->chain_len,
						       kv->chain_cached ? "cached cert_chain"
									: "KDS cert_chain",
						       err)) != 0))
			return ret;
		log_debug("VCEK from %s", k->vek.vcek_cached ? a->kds_cache : a->kds);
	}
	if (a->kds_crl && (ret = kds_crl_get(&k->o, k->product, report_signing_key(&k->rep),
					      &opts->crl, err)) != 0)
		return ret;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	enum { O_REPORT = 256, O_CERTS, O_VCEK, O_TABLE, O_ASK, O_PRODUCT, O_CRL, O_AT, O_SIM,
	       O_LAX, O_JSON, O_HCL, O_POLICY, O_KDS, O_KDS_CACHE, O_KDS_CRL, O_HELP };
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, O_REPORT },
		{ "certs", required_argument, NULL, O_CERTS },
		{ "vcek", required_argument, NULL, O_VCEK },
		{ "cert-table", required_argument, NULL, O_TABLE },
		{ "ask", required_argument, NULL, O_ASK },
		{ "product", required_argument, NULL, O_PRODUCT },
		{ "crl", required_argument, NULL, O_CRL },
		{ "at", required_argument, NULL, O_AT },
		{ "trust-sim-root", required_argument, NULL, O_SIM },
		{ "lax", no_argument, NULL, O_LAX },
		{ "json", no_argument, NULL, O_JSON },
		{ "hcl", no_argument, NULL, O_HCL },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "kds", required_argument, NULL, O_KDS },
		{ "kds-cache", required_argument, NULL, O_KDS_CACHE },
		{ "kds-crl", no_argument, NULL, O_KDS_CRL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_args a = { 0 };
	struct verify_opts opts = { 0 };
	struct kds_run kds = { 0 };
	struct verify_result *res = NULL;
	struct appraise_opts *aopts = calloc(1, sizeof(*aopts));
	struct appraise_result *ares = NULL;
	struct snp_err err = { 0 };
	struct verifier *v = NULL;
	STACK_OF(X509) *sim = NULL;
	X509 **sim_roots = NULL;
	struct certs certs;
	uint8_t *raw = NULL;
	size_t len = 0;
	int c, ret, aret = SNP_E_INTERNAL, status = EXIT_USAGE;

	certs_init(&certs);
	if (!aopts) {
		fprintf(stderr, "snpvm verify: cannot allocate\n");
		return EXIT_FAILURE_;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_REPORT: a.report = optarg; break;
		case O_CERTS: a.certs_dir = optarg; break;
		case O_VCEK: a.vcek = optarg; break;
		case O_TABLE: a.cert_table = optarg; break;
		case O_ASK: a.ask = optarg; break;
		case O_PRODUCT: a.product = optarg; break;
		case O_CRL: a.crl = optarg; break;
		case O_AT: a.at = optarg; break;
		case O_SIM: a.sim_root = optarg; break;
		case O_LAX: a.lax = 1; break;
		case O_JSON: a.json = 1; break;
		case O_HCL: a.hcl = 1; break;
		case O_POLICY: a.policy = optarg; break;
		case O_KDS: a.kds = optarg; break;
		case O_KDS_CACHE: a.kds_cache = optarg; break;
		case O_KDS_CRL: a.kds_crl = 1; break;
		case O_HELP:
			usage(stdout);
			status = EXIT_DONE;
			goto out;
		default:
			fprintf(stderr, "snpvm verify: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc || !a.report || (a.kds_crl && (!a.kds || a.crl))) {
		fprintf(stderr, "snpvm verify: %s\n",
			optind != argc ? "unexpected argument"
			: !a.report    ? "--report FILE is required"
				       : "--kds-crl needs --kds URL and excludes --crl");
		usage(stderr);
		goto out;
	}
	if ((ret = load_report(&a, &raw, &len, &err)) != 0 ||
	    (ret = load_inputs(&a, &certs, &opts, aopts, &sim, &err)) != 0) {
		cli_print_error("verify", &err, a.json);
		status = ret == SNP_E_NOMEM || ret == SNP_E_CRYPTO ? EXIT_FAILURE_ : EXIT_USAGE;
		goto out;
	}
	if (sim) {
		sim_roots = calloc(opts.n_allow_sim_roots + 1, sizeof(*sim_roots));
		if (!sim_roots) {
			status = EXIT_FAILURE_;
			goto out;
		}
		for (size_t i = 0; i < opts.n_allow_sim_roots; i++)
			sim_roots[i] = sk_X509_value(sim, (int)i);
		opts.allow_sim_roots = sim_roots;
	}
	if ((ret = kds_load(&a, raw, len, &certs, &opts, &kds, &err)) != 0) {
		cli_print_error("verify", &err, a.json);
		status = cli_exit_status(ret);
		goto out;
	}
	res = calloc(1, sizeof(*res));
	ares = calloc(1, sizeof(*ares));
	if (!res || !ares || (ret = verifier_new(&v, &err)) != 0) {
		if (!res || !ares)
			snp_errf(&err, SNP_E_NOMEM, "cannot allocate");
		cli_print_error("verify", &err, a.json);
		status = EXIT_FAILURE_;
		goto out;
	}
	/* parse -> verify -> appraise; appraisal only sees a verified report. */
	ret = verify_report(v, raw, len, &certs, &opts, res, &err);
	if (ret == 0) {
		struct snp_err cerr = { 0 };

		/* Only a verified VCEK (and its chain) reaches the cache. */
		if (kds_vek_cache_put(&kds.o, &kds.rep, kds.product, &kds.vek, &cerr) != 0)
			log_warn("not cached: %s", cerr.msg);
		aret = appraise_report(&res->report, res->product, aopts, ares, &err);
	}
	if (a.json) {
		struct snp_err jerr;

		if (cli_print_json(result_json(res, ret, ret ? NULL : ares, aret, &err), &jerr) != 0) {
			cli_print_error("verify", &jerr, false);
			status = EXIT_FAILURE_;
			goto out;
		}
	}
	if (ret || aret) {
		cli_print_error("verify", &err, false);
		status = cli_exit_status(ret ? ret : aret);
		goto out;
	}
	if (!a.json)
		printf("verified and appraised: %s %s-signed v%u report (%s)%s\n", snp_product_name(res->product),
		       res->signer == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK", res->report.version,
		       res->anchor, res->sim_root ? " [SIMULATED ROOT]" : "");
	status = EXIT_DONE;
out:
	verifier_free(v);
	kds_vek_free(&kds.vek);
	kds_curl_free(&kds.curl);
	free(ares);
	free(aopts);
	free(res);
	free(sim_roots);
	sk_X509_pop_free(sim, X509_free);
	X509_CRL_free(opts.crl);
	certs_free(&certs);
	free(raw);
	return status;
}
