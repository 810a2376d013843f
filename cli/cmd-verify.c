/*
 * snpvm verify: parse -> verify -> appraise one attestation report
 * (docs/verify.md) through the evidence pipeline (attest/evidence.h). Exit 0
 * only when verified and appraised; 1 when refused; 2 for unusable input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "abi/report.h"
#include "attest/appraise-policy.h"
#include "attest/appraise.h"
#include "attest/certs.h"
#include "attest/crl.h"
#include "attest/evidence.h"
#include "attest/kds-curl.h"
#include "attest/verify.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "util/file.h"
#include "util/log.h"

#define INPUT_MAX (1u << 20)

struct verify_args {
	const char *report, *certs_dir, *vcek, *cert_table, *ask, *crl, *at, *policy;
	const char *sim_root, *kds, *kds_cache, *kds_ca_file;
	enum snp_product product;
	bool lax, json, hcl, kds_crl;
};

/* What the options load, freed by inputs_free. */
struct verify_inputs {
	uint8_t *report, *table;
	size_t report_len, table_len;
	struct certs certs;
	struct appraise_opts *aopts;
	struct cli_sim_roots sim;
	struct kds_curl curl;
};

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

/* An input file that cannot be read is the user's input: exit 2. */
static int read_input(const char *path, uint8_t **buf, size_t *len, struct snp_err *err)
{
	if (file_read(path, INPUT_MAX, buf, len, err) != 0)
		return err->code = SNP_E_INVALID;
	return 0;
}

/* Loads every file the options name into in and fills o. */
static int load_inputs(const struct verify_args *a, struct verify_inputs *in,
		       struct evidence_opts *o, struct snp_err *err)
{
	struct verify_opts *vo = &o->verify;
	int ret = 0;

	if ((ret = read_input(a->report, &in->report, &in->report_len, err)) != 0 ||
	    (a->cert_table &&
	     (ret = read_input(a->cert_table, &in->table, &in->table_len, err)) != 0) ||
	    (a->certs_dir && (ret = certs_load_dir(&in->certs, a->certs_dir, err)) != 0) ||
	    (a->vcek && (ret = certs_load_vek_file(&in->certs, a->vcek, err)) != 0) ||
	    (a->ask && (ret = certs_load_issuer_file(&in->certs, a->ask, err)) != 0) ||
	    (a->crl && (ret = crl_load_file(a->crl, &vo->crl, err)) != 0) ||
	    (a->policy && (ret = appraise_opts_from_file(a->policy, in->aopts, err)) != 0))
		return ret;
	if (!a->policy)
		appraise_opts_default(in->aopts);
	if (a->sim_root) {
		if ((ret = cli_load_sim_roots(a->sim_root, &in->sim, err)) != 0)
			return ret;
		vo->allow_sim_roots = in->sim.v;
		vo->n_allow_sim_roots = in->sim.n;
	}
	vo->now = time(NULL);
	if (a->at && (ret = parse_time(a->at, &vo->now, err)) != 0)
		return ret;
	vo->product = a->product;
	vo->parse.lax_reserved = a->lax;
	o->report = in->report;
	o->report_len = in->report_len;
	o->hcl = a->hcl;
	o->cert_table = in->table;
	o->cert_table_len = in->table_len;
	o->certs = &in->certs;
	o->appraise = in->aopts;
	o->kds.base_url = a->kds;
	o->kds.cache_dir = a->kds_cache;
	o->fetch_crl = a->kds_crl;
	if (a->kds || a->kds_crl) {
		kds_curl_init(&in->curl);
		in->curl.ca_file = a->kds_ca_file;
		o->kds.fetch = kds_curl_fetcher(&in->curl);
	}
	return 0;
}

static void inputs_free(struct verify_inputs *in, struct evidence_opts *o)
{
	kds_curl_free(&in->curl);
	free(in->aopts);
	cli_sim_roots_free(&in->sim);
	X509_CRL_free(o->verify.crl);
	certs_free(&in->certs);
	free(in->table);
	free(in->report);
}

/* Options that do not go together (an opt_cmd check). */
static int check_args(void *ctx, struct snp_err *err)
{
	const struct verify_args *a = ctx;

	if (a->kds_crl && (!a->kds || a->crl))
		return snp_errf(err, SNP_E_INVALID, "--kds-crl needs --kds URL and excludes --crl");
	return 0;
}

/* Fills *a from argv; true to go on, else false with *status set (help or usage error). */
static bool parse_args(int argc, char **argv, struct verify_args *a, int *status)
{
	const struct opt opts[] = {
		OPT_STRING("report", &a->report, "FILE", "the raw 1184-byte report",
			   .required = true),
		OPT_FLAG("hcl", &a->hcl, "FILE is an Azure HCL report; the SNP report is at 0x20"),
		OPT_STRING("certs", &a->certs_dir, "DIR",
			   "certificates (*.pem *.crt *.cer *.der), classified by CN"),
		OPT_STRING("vcek", &a->vcek, "FILE", "the VCEK or VLEK (PEM or DER)"),
		OPT_STRING("cert-table", &a->cert_table, "FILE",
			   "an extended-request certificate table (auxblob)"),
		OPT_STRING("ask", &a->ask, "FILE",
			   "the ASK (or ASVK) to chain the VEK to; must be AMD's"),
		OPT_CALL("product", cli_parse_product, &a->product, "NAME",
			 "milan, genoa or turin (needed for v2 reports only when\n"
			 "the VEK issuer does not say)"),
		OPT_STRING("crl", &a->crl, "FILE", "check this ARK-signed CRL (DER or PEM)"),
		OPT_STRING("kds", &a->kds, "URL",
			   "with no VEK given, fetch the VCEK from this AMD KDS\n"
			   "(AMD's: https://kdsintf.amd.com; never a default)"),
		OPT_STRING("kds-cache", &a->kds_cache, "DIR",
			   "look the VCEK up in DIR first and store fetched ones\n"
			   "there once verified; without --kds: offline, DIR only"),
		OPT_STRING("kds-ca-file", &a->kds_ca_file, "FILE",
			   "trust these PEM CA certificates for an https --kds\n"
			   "(a mirror behind a private CA; default: the system's)"),
		OPT_FLAG("kds-crl", &a->kds_crl,
			 "fetch the CRL from --kds and check it; fail if it\n"
			 "cannot be fetched (fail-closed)"),
		OPT_STRING("policy", &a->policy, "FILE",
			   "appraise against this verifier policy (JSON); without\n"
			   "it: the default policy (any measurement, no DEBUG,\n"
			   "no MIGRATE_MA)"),
		OPT_STRING("at", &a->at, "TIME",
			   "check validity at TIME (2025-12-01T00:00:00Z), not now"),
		OPT_STRING("trust-sim-root", &a->sim_root, "FILE",
			   "also trust this simulated ARK (snpvm sim); never AMD's"),
		OPT_FLAG("lax", &a->lax,
			 "accept non-zero reserved report bytes (newer firmware);\n"
			 "parsing only: appraisal is unchanged"),
		OPT_FLAG("json", &a->json, "print the decoded report and every check as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "verify",
		.opts = opts,
		.json = &a->json,
		.check = check_args,
		.ctx = a,
		.about = "Verifies an SEV-SNP attestation report against AMD's pinned roots: the\n"
			 "ARK -> ASK/ASVK -> VCEK/VLEK chain, the report signature, and the binding of\n"
			 "REPORTED_TCB and CHIP_ID to the certificate; then appraises it against a\n"
			 "verifier policy (docs/verifier-policy.md). The VEK comes from --certs,\n"
			 "--vcek or --cert-table, else from --kds-cache or --kds.\n",
		.epilog = "Exit status: 0 verified and appraised, 1 refused (the first failed check is\n"
			  "printed), 2 unusable input or usage.\n",
	};

	return cli_opt_parse(&cmd, argc, argv, status);
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { 0 };
	struct verify_inputs in = { 0 };
	struct evidence_opts o = { 0 };
	struct evidence_verdict *vd = calloc(1, sizeof(*vd));
	struct snp_err err = { 0 };
	struct verifier *v = NULL;
	int ret, status = EXIT_USAGE;

	certs_init(&in.certs);
	in.aopts = calloc(1, sizeof(*in.aopts));
	if (!vd || !in.aopts) {
		fprintf(stderr, "snpvm verify: cannot allocate\n");
		status = EXIT_FAILURE_;
		goto out;
	}
	if (!parse_args(argc, argv, &a, &status))
		goto out;
	if ((ret = load_inputs(&a, &in, &o, &err)) != 0) {
		cli_print_error("verify", &err, a.json);
		status = ret == SNP_E_NOMEM || ret == SNP_E_CRYPTO ? EXIT_FAILURE_ : EXIT_USAGE;
		goto out;
	}
	if ((ret = verifier_new(&v, &err)) != 0) {
		cli_print_error("verify", &err, a.json);
		status = EXIT_FAILURE_;
		goto out;
	}
	ret = evidence_evaluate(v, &o, vd, &err);
	if (vd->vek_source)
		log_debug("VCEK from %s", vd->vek_source);
	if (vd->cache_err.code)
		log_warn("not cached: %s", vd->cache_err.msg);
	if (!vd->evaluated) {
		/* Unusable input: nothing was verified, so there is no verdict to print. */
		cli_print_error("verify", &err, a.json);
		status = cli_exit_status(ret);
		goto out;
	}
	if (a.json) {
		struct snp_err jerr;

		if (cli_print_json(evidence_verdict_json(vd), &jerr) != 0) {
			cli_print_error("verify", &jerr, false);
			status = EXIT_FAILURE_;
			goto out;
		}
	}
	if (ret) {
		cli_print_error("verify", &err, false);
		status = cli_exit_status(ret);
		goto out;
	}
	if (!a.json)
		printf("verified and appraised: %s %s-signed v%u report (%s)%s\n",
		       snp_product_name(vd->verify.product),
		       vd->verify.signer == SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK",
		       vd->verify.report.version, vd->verify.anchor,
		       vd->verify.sim_root ? " [SIMULATED ROOT]" : "");
	status = EXIT_DONE;
out:
	verifier_free(v);
	inputs_free(&in, &o);
	free(vd);
	return status;
}
