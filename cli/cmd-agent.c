/*
 * snpvm agent: inside the guest, obtain one secret from attestd (or any KBS
 * v0 "RCAR" server) for this guest's attestation report (docs/agent.md), and
 * write it to --out with mode 0600. The work is agent_fetch_secret
 * (agent/agent.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/agent.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/opt.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/log.h"

static const char *const provider_names[] = { "tsm", "sev-guest", "sim" };
static const enum jwk_kind key_kinds[] = { JWK_EC_P256, JWK_EC_P384, JWK_EC_P521, JWK_RSA };

struct agent_args {
	const char *url, *resource, *out, *sim_socket, *ca_file, *tsm_root, *keep_attest;
	int provider, key, form;
	uint64_t timeout_s;
	unsigned privlevel;
	bool has_privlevel, to_stdout, json;
};

static int agent_check(void *ctx, struct snp_err *err)
{
	const struct agent_args *a = ctx;

	if (!a->out == !a->to_stdout)
		return snp_errf(err, SNP_E_INVALID, "give exactly one of --out FILE and --stdout");
	if (a->to_stdout && a->json)
		return snp_errf(err, SNP_E_INVALID, "--stdout and --json both want stdout");
	if ((a->provider == 2) != (a->sim_socket != NULL))
		return snp_errf(err, SNP_E_INVALID, "--sim-socket goes with --provider sim (and it needs it)");
	if (a->tsm_root && a->provider != 0)
		return snp_errf(err, SNP_E_INVALID, "--tsm-root goes with --provider tsm");
	return 0;
}

static int print_summary(const struct agent_args *a, const struct agent_result *r,
			 struct snp_err *err)
{
	char meas[2 * SNP_MEASUREMENT_SIZE + 1], rd[2 * SNP_REPORT_DATA_SIZE + 1];

	hex_encode(r->measurement, sizeof(r->measurement), meas);
	hex_encode(r->report_data, sizeof(r->report_data), rd);
	if (a->json)
		return cli_print_json(
			json_pack("{s:s, s:s?, s:I, s:s, s:b, s:s, s:s, s:s, s:s, s:I, s:I}",
				  "resource", a->resource, "out", a->out, "bytes",
				  (json_int_t)r->secret.len, "provider", r->provider, "insecure",
				  r->insecure, "key", jwk_kind_name(r->key), "evidence",
				  r->cbor ? "cbor" : "json", "measurement", meas, "report_data", rd,
				  "vmpl", (json_int_t)r->vmpl, "cert_table_bytes",
				  (json_int_t)r->cert_table_len),
			err);
	if (a->to_stdout) {
		log_info("%zu bytes of %s written to stdout", r->secret.len, a->resource);
		return 0;
	}
	printf("secret      %s: %zu bytes written to %s (mode 0600)\n", a->resource,
	       r->secret.len, a->out);
	printf("provider    %s%s\n", r->provider,
	       r->insecure ? " (INSECURE: simulated, no confidentiality)" : "");
	printf("key         %s (ephemeral, wiped)\n", jwk_kind_name(r->key));
	printf("evidence    %s%s\n", r->cbor ? "tsm-report CBOR" : "report JSON",
	       r->cert_table_len ? " with certificate table" : "");
	printf("measurement %s\n", meas);
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_args a = { .provider = 0 };
	struct agent_opts o = { 0 };
	struct agent_result r = { 0 };
	struct snp_err err = { 0 };
	int ret, status;
	const struct opt opts[] = {
		OPT_STRING("url", &a.url, "URL", "the attestd (KBS) base URL, http:// or https://",
			   .required = true),
		OPT_STRING("resource", &a.resource, "REPO/TYPE/TAG", "the secret to fetch",
			   .required = true),
		OPT_STRING("out", &a.out, "FILE",
			   "write the secret to FILE (mode 0600, atomically replaced)"),
		OPT_FLAG("stdout", &a.to_stdout, "write the secret to stdout instead of --out"),
		OPT_CHOICE("provider", &a.provider, "tsm|sev-guest|sim",
			   "where the report comes from (default tsm):\n"
			   "tsm: configfs-tsm, /sys/kernel/config/tsm (Linux 6.7+)\n"
			   "sev-guest: /dev/sev-guest SNP_GET_EXT_REPORT\n"
			   "sim: INSECURE, a guest on `snpvm launch`'s simulated backend"),
		OPT_STRING("sim-socket", &a.sim_socket, "PATH",
			   "the sim guest's report channel socket (--provider sim)"),
		OPT_STRING("tsm-root", &a.tsm_root, "DIR",
			   "configfs-tsm's directory (default /sys/kernel/config/tsm)"),
		OPT_UINT("privlevel", &a.privlevel, 0, 3, "N",
			 "the VMPL to ask the report for (default: the provider's, 0)",
			 .given = &a.has_privlevel),
		OPT_CHOICE("key", &a.key, "ec-p256|ec-p384|ec-p521|rsa-3072",
			   "the ephemeral key the secret is wrapped to (default ec-p256)"),
		OPT_CHOICE("evidence", &a.form, "auto|json|cbor",
			   "evidence form: report JSON or the tsm-report CBOR map\n"
			   "(default auto: cbor for tsm, json otherwise)"),
		OPT_STRING("ca-file", &a.ca_file, "FILE",
			   "CA certificates for an https URL (default: the system's)"),
		OPT_U64("timeout", &a.timeout_s, 1, 3600, "S",
			"limit for each HTTP request, in seconds (default 20)"),
		OPT_STRING("keep-attest", &a.keep_attest, "FILE",
			   "also write the /attest request sent and its session cookie to FILE\n"
			   "(mode 0600; no key, no secret): to show a replay being refused"),
		OPT_FLAG("json", &a.json, "print a JSON summary (never the secret)"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "agent",
		.opts = opts,
		.json = &a.json,
		.check = agent_check,
		.ctx = &a,
		.about = "Inside an SEV-SNP guest: makes an ephemeral key, asks the server for a nonce\n"
			 "(POST /kbs/v0/auth), gets a report binding the nonce and the key from the\n"
			 "provider, sends it (POST /kbs/v0/attest), fetches the resource wrapped to the\n"
			 "key (GET /kbs/v0/resource/...), unwraps it and writes it to --out. The\n"
			 "private key is wiped. See docs/agent.md.\n",
		.epilog = "Exit status: 0 the secret was written; 1 the server refused (attestation or\n"
			  "policy: HTTP 401/403) or the report did not carry the binding; 2 bad usage,\n"
			  "unknown resource (HTTP 400/404) or a malformed answer; 3 any other failure\n"
			  "(network, provider, file).\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &ret))
		return ret;
	o.url = a.url;
	o.resource = a.resource;
	o.provider = agent_provider_find(provider_names[a.provider]);
	o.pcfg.sim_socket = a.sim_socket;
	o.pcfg.tsm_root = a.tsm_root;
	o.pcfg.has_privlevel = a.has_privlevel;
	o.pcfg.privlevel = a.privlevel;
	o.key = key_kinds[a.key];
	o.form = a.form == 1 ? AGENT_EVIDENCE_JSON : a.form == 2 ? AGENT_EVIDENCE_CBOR
								 : AGENT_EVIDENCE_AUTO;
	o.ca_file = a.ca_file;
	o.timeout_ms = (long)a.timeout_s * 1000;
	o.keep_attest = a.keep_attest != NULL;
	if (o.provider->insecure)
		log_warn("provider %s is INSECURE: a simulated report, no confidentiality",
			 o.provider->name);
	if ((ret = agent_fetch_secret(&o, &r, &err)) != 0) {
		cli_print_error("agent", &err, a.json);
		return cli_exit_status(ret);
	}
	status = EXIT_FAILURE_;
	if (a.to_stdout) {
		if (fwrite(r.secret.p, 1, r.secret.len, stdout) != r.secret.len ||
		    fflush(stdout) != 0) {
			ret = snp_errf(&err, SNP_E_SYS, "writing the secret to stdout");
			goto fail;
		}
	} else if ((ret = file_write_atomic(a.out, r.secret.p, r.secret.len, 0600, &err)) != 0) {
		goto fail;
	}
	if (a.keep_attest &&
	    (ret = file_write_atomic(a.keep_attest, r.attest_request, strlen(r.attest_request), 0600,
				     &err)) != 0)
		goto fail;
	if ((ret = print_summary(&a, &r, &err)) != 0)
		goto fail;
	status = EXIT_DONE;
	goto out;
fail:
	cli_print_error("agent", &err, a.json);
	status = cli_exit_status(ret);
out:
	agent_result_free(&r);
	return status;
}
