/*
 * snpvm measure: predict the SNP launch digest with sev-snp-measure's flags
 * (docs/measure.md). Parses argv into struct measure_cli, opens the inputs,
 * calls measure_run() and prints the digest.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "cli/measure-args.h"
#include "cli/opt.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "util/hex.h"

struct measure_cli {
	struct measure_args m;
	int output_format; /* index in "hex|base64" */
	bool json;
};

/* Fills *c from argv; true to go on, else false with *status set (help or usage error). */
static bool parse_args(int argc, char **argv, struct measure_cli *c, int *status)
{
	const struct opt opts[] = {
		OPT_INCLUDE(c->m.opts, NULL),
		OPT_CHOICE("output-format", &c->output_format, "hex|base64",
			   "the digest in hex (default) or base64"),
		OPT_FLAG("json", &c->json, "the digest and every input's hash as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "measure",
		.opts = opts,
		.json = &c->json,
		.check = measure_args_check,
		.ctx = &c->m,
		.about = "With a launch policy file (snpvm measure [--verifier-policy] [--json]\n"
			 "POLICY.json, docs/policy-file.md): the MEASUREMENT `snpvm launch` will\n"
			 "produce, or the verifier policy its reports must satisfy.\n\n"
			 "Prints the SEV-SNP launch digest (MEASUREMENT) a guest's attestation report\n"
			 "will show. Flags are sev-snp-measure's; --flag=value and --flag value both\n"
			 "work. --ovmf is required; so are --vcpus and the guest CPU model (--vcpu-type,\n"
			 "--vcpu-sig or --vcpu-family/--vcpu-model/--vcpu-stepping) except in\n"
			 "snp:ovmf-hash mode.\n",
		.epilog = "Refused (exit 2): firmware without a footer table, SEV-ES reset block or SEV\n"
			  "metadata, a size that is not a multiple of 4 KiB, unknown, overlapping or\n"
			  "misplaced sections, a kernel on firmware without SNP_KERNEL_HASHES, unknown\n"
			  "vCPU types.\n",
	};

	memset(c, 0, sizeof(*c));
	measure_args_init(&c->m);
	return cli_opt_parse(&cmd, argc, argv, status);
}

static json_t *hex_json(const uint8_t *p, size_t len)
{
	char buf[2 * SNP_LD_SIZE + 1];

	hex_encode(p, len, buf);
	return json_string(buf);
}

/* sha256 NULL: hash the len bytes at data (the firmware images, held whole). */
static int file_json(json_t *inputs, const char *name, const char *path, const uint8_t *data,
		     uint64_t len, const uint8_t *sha256, struct snp_err *err)
{
	uint8_t h[SEV_HASH_SIZE];
	json_t *o;
	int ret;

	if (!sha256) {
		if ((ret = kernel_hashes_sha256(data, (size_t)len, h, err)) != 0)
			return ret;
		sha256 = h;
	}
	o = json_pack("{s:s,s:I,s:o}", "path", path, "size", (json_int_t)len, "sha256",
		      hex_json(sha256, SEV_HASH_SIZE));
	if (!o || json_object_set_new(inputs, name, o) != 0)
		return snp_errf(err, SNP_E_NOMEM, "JSON output");
	return 0;
}

static int print_json(const struct measure_cli *c,
		      const struct measure_result *r, struct snp_err *err)
{
	const struct measure_args *m = &c->m;
	const struct vmm_profile *p = vmm_profile_get(m->o.launch.mode == MEASURE_MODE_SVSM ?
						      VMM_QEMU_SVSM : m->o.launch.vmm);
	json_t *root = json_object(), *inputs = json_object();
	char num[32];
	int ret = SNP_E_NOMEM;

	if (!root || !inputs)
		goto out;
	json_object_set_new(root, "measurement", hex_json(r->ld, SNP_LD_SIZE));
	json_object_set_new(root, "mode", json_string(measure_mode_name(m->o.launch.mode)));
	json_object_set_new(root, "ovmf_hash", hex_json(r->ovmf_hash, SNP_LD_SIZE));
	if (m->o.launch.mode != MEASURE_MODE_OVMF_HASH) {
		json_object_set_new(root, "vmm_type", json_string(p->name));
		json_object_set_new(root, "vcpus", json_integer(m->o.launch.vcpus));
		snprintf(num, sizeof(num), "0x%08" PRIx64,
			 p->rdx_fixed ? p->rdx : (uint64_t)m->o.launch.vcpu_sig);
		json_object_set_new(root, "rdx", json_string(num));
		snprintf(num, sizeof(num), "0x%" PRIx64,
			 p->sev_features_fixed ? p->sev_features : m->o.launch.guest_features);
		json_object_set_new(root, "guest_features", json_string(num));
	}
	json_object_set_new(root, "chain_steps", json_integer((json_int_t)r->npages));
	if ((ret = file_json(inputs, "ovmf", m->ovmf, m->o.launch.ovmf, m->o.launch.ovmf_len, NULL, err)) != 0 ||
	    (m->svsm && (ret = file_json(inputs, "svsm", m->svsm, m->o.launch.svsm, m->o.launch.svsm_len, NULL,
					 err)) != 0) ||
	    (m->kernel && (ret = file_json(inputs, "kernel", m->kernel, NULL, m->kernel_len,
					   m->hashes.kernel, err)) != 0))
		goto out;
	if (m->kernel) {
		json_t *o;

		if (m->initrd && (ret = file_json(inputs, "initrd", m->initrd, NULL, m->initrd_len,
						  m->hashes.initrd, err)) != 0)
			goto out;
		if (!m->initrd)
			json_object_set_new(inputs, "initrd",
					    json_pack("{s:n,s:o}", "path", "sha256",
						      hex_json(m->hashes.initrd, SEV_HASH_SIZE)));
		o = json_pack("{s:s,s:o}", "value", m->append ? m->append : "", "sha256",
			      hex_json(m->hashes.cmdline, SEV_HASH_SIZE));
		json_object_set_new(inputs, "cmdline", o);
	}
	json_object_set_new(root, "inputs", inputs);
	inputs = NULL;
	ret = cli_print_json(root, err);
	root = NULL;
out:
	if (ret == SNP_E_NOMEM)
		snp_errf(err, SNP_E_NOMEM, "JSON output: out of memory");
	json_decref(inputs);
	json_decref(root);
	return ret;
}

static int print_digest(const struct measure_cli *c, const struct measure_result *r,
			struct snp_err *err)
{
	char hex[2 * SNP_LD_SIZE + 1];
	char *b64 = NULL;
	int ok;

	if (c->output_format == 1) {
		b64 = b64_encode(r->ld, SNP_LD_SIZE);
		if (!b64)
			return snp_errf(err, SNP_E_NOMEM, "base64: out of memory");
		ok = printf("%s\n", b64) > 0;
		free(b64);
	} else {
		hex_encode(r->ld, SNP_LD_SIZE, hex);
		ok = printf("%s\n", hex) > 0;
	}
	if (!ok || fflush(stdout) != 0)
		return snp_errf(err, SNP_E_SYS, "writing the digest to stdout");
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	struct snp_err err = { 0 };
	struct measure_cli c;
	struct measure_result r;
	int ret, status;

	/* A launch policy file instead of sev-snp-measure's flags (docs/policy-file.md). */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--verifier-policy") == 0 ||
		    (argv[i][0] != '-' && (i == 1 || argv[i - 1][0] != '-' ||
					   strchr(argv[i - 1], '='))))
			return cmd_measure_policy(argc, argv);
	if (!parse_args(argc, argv, &c, &status))
		return status;
	if ((ret = measure_args_open(&c.m, &err)) != 0 ||
	    (ret = measure_run(&c.m.o, &r, &err)) != 0 ||
	    (ret = c.json ? print_json(&c, &r, &err) : print_digest(&c, &r, &err)) != 0) {
		cli_print_error("measure", &err, c.json);
		measure_args_close(&c.m);
		return cli_exit_status(ret);
	}
	measure_args_close(&c.m);
	return EXIT_DONE;
}
