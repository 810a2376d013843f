/*
 * snpvm launch POLICY.json: launch (and run) a guest per its launch policy
 * file (docs/launcher.md, docs/policy-file.md); and `snpvm measure
 * POLICY.json` / `snpvm measure --verifier-policy POLICY.json`, the expected
 * MEASUREMENT and the matching verifier policy from the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "abi/policy.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "launcher/launch.h"
#include "launcher/policy.h"
#include "util/file.h"
#include "util/hex.h"

/* `snpvm launch` exit statuses (docs/launcher.md). */
enum {
	LAUNCH_EXIT_OK = 0,
	LAUNCH_EXIT_REFUSED = 1,
	LAUNCH_EXIT_USAGE = 2,
	LAUNCH_EXIT_VMM = 3,
	LAUNCH_EXIT_GUEST_NONZERO = 4,
	LAUNCH_EXIT_GUEST_FAULT = 5,
	LAUNCH_EXIT_TIMEOUT = 6,
	LAUNCH_EXIT_SIGNAL = 7,
};

struct launch_cli {
	const char *policy, *backend, *accel, *hv_report, *console, *timeout;
	bool launch_only, json, help;
};

enum { OPT_BACKEND = 256, OPT_ACCEL, OPT_HV_REPORT, OPT_CONSOLE, OPT_TIMEOUT, OPT_LAUNCH_ONLY,
       OPT_JSON };

static const struct option launch_opts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "hv-report", required_argument, NULL, OPT_HV_REPORT },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "launch-only", no_argument, NULL, OPT_LAUNCH_ONLY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snpvm launch POLICY.json [--backend sim|snp] [--accel auto|kvm|emu]\n"
		"                    [--hv-report FILE] [--console FILE] [--timeout S]\n"
		"                    [--launch-only] [--json]\n"
		"\n"
		"Launches the guest the launch policy file describes (docs/policy-file.md) on the\n"
		"security backend (sim: the simulated AMD-SP) and runs it on the accelerator\n"
		"(kvm on /dev/kvm, emu on Unicorn; auto picks kvm when usable).\n"
		"\n"
		"  --backend B     overrides the policy's backend (snp: the next issue)\n"
		"  --accel A       overrides the policy's accel\n"
		"  --hv-report F   after the launch, write a host-requested report to F\n"
		"  --console F     serial output to file F instead of the policy's console\n"
		"  --timeout S     stop the guest after S seconds (exit 6)\n"
		"  --launch-only   launch and measure, do not run the vCPUs\n"
		"  --json          the launch summary as JSON on stdout\n"
		"  -h, --help      this help\n"
		"\n"
		"Exit: 0 the guest wrote 0 to port 0xf4; 1 the firmware refused the launch;\n"
		"2 bad usage or policy file; 3 VMM failure; 4 the guest wrote a non-zero value;\n"
		"5 the guest faulted or was stopped by the VMM; 6 --timeout expired;\n"
		"7 stopped by SIGINT/SIGTERM.\n");
}

static int parse(int argc, char **argv, struct launch_cli *c, struct snp_err *err)
{
	int opt;

	memset(c, 0, sizeof(*c));
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", launch_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			c->help = true;
			return 0;
		case OPT_BACKEND:
			c->backend = optarg;
			break;
		case OPT_ACCEL:
			c->accel = optarg;
			break;
		case OPT_HV_REPORT:
			c->hv_report = optarg;
			break;
		case OPT_CONSOLE:
			c->console = optarg;
			break;
		case OPT_TIMEOUT:
			c->timeout = optarg;
			break;
		case OPT_LAUNCH_ONLY:
			c->launch_only = true;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case ':':
			return snp_errf(err, SNP_E_INVALID, "option '%s' needs a value",
					argv[optind - 1]);
		default:
			return snp_errf(err, SNP_E_INVALID, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return snp_errf(err, SNP_E_INVALID, "a launch policy file is required");
	c->policy = argv[optind++];
	if (optind < argc)
		return snp_errf(err, SNP_E_INVALID, "unexpected argument '%s'", argv[optind]);
	if (c->backend && strcmp(c->backend, "sim") && strcmp(c->backend, "snp"))
		return snp_errf(err, SNP_E_INVALID, "--backend %s: want sim or snp", c->backend);
	if (c->accel && strcmp(c->accel, "auto") && strcmp(c->accel, "kvm") &&
	    strcmp(c->accel, "emu"))
		return snp_errf(err, SNP_E_INVALID, "--accel %s: want auto, kvm or emu", c->accel);
	return 0;
}

/* The VM being run, for the signal handler (vm_stop is async-signal-safe). */
static struct vm *volatile running_vm;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	struct vm *vm = running_vm;

	(void)sig;
	got_signal = 1;
	if (vm)
		vm_stop(vm);
}

static void on_vm(struct vm *vm, void *ctx)
{
	(void)ctx;
	running_vm = vm;
	if (vm && got_signal)
		vm_stop(vm);
}

static int exit_for(const struct launch_result *r)
{
	if (!r->ran)
		return LAUNCH_EXIT_OK;
	switch (r->vm.end) {
	case VM_END_EXIT:
		return r->vm.exit_value ? LAUNCH_EXIT_GUEST_NONZERO : LAUNCH_EXIT_OK;
	case VM_END_TIMEOUT:
		return LAUNCH_EXIT_TIMEOUT;
	case VM_END_SIGNAL:
		return LAUNCH_EXIT_SIGNAL;
	case VM_END_FAULT:
	case VM_END_SHUTDOWN:
	case VM_END_HALT:
	case VM_END_ERROR:
		return LAUNCH_EXIT_GUEST_FAULT;
	}
	return LAUNCH_EXIT_VMM;
}

static json_t *hexj(const uint8_t *p, size_t n)
{
	char buf[2 * SNP_REPORT_SIZE + 1];

	hex_encode(p, n, buf);
	return json_string(buf);
}

static void print_text(const struct launch_policy *p, const struct launch_prep *prep,
		       const struct launch_result *r)
{
	char m[2 * SNP_MEASUREMENT_SIZE + 1];

	hex_encode(r->measurement, SNP_MEASUREMENT_SIZE, m);
	fprintf(stderr, "snpvm launch: backend %s (simulated AMD-SP), %u vCPU(s), %llu MiB, %llu "
			"pages measured\n",
		p->backend, p->vcpus, (unsigned long long)p->memory_mib,
		(unsigned long long)r->npages);
	fprintf(stderr, "snpvm launch: MEASUREMENT %s%s\n", m,
		memcmp(r->measurement, prep->measurement, SNP_MEASUREMENT_SIZE) ? " (differs from "
										  "the prediction!)"
										: "");
	if (!r->ran)
		return;
	fprintf(stderr, "snpvm launch: accelerator %s%s%s\n", r->accel,
		r->accel_note[0] ? ": " : "", r->accel_note);
	switch (r->vm.end) {
	case VM_END_EXIT:
		fprintf(stderr, "snpvm launch: the guest wrote 0x%02x to port 0xf4\n",
			r->vm.exit_value);
		break;
	case VM_END_FAULT:
		fprintf(stderr, "snpvm launch: guest fault on vCPU %u: %s\n", r->vm.vcpu,
			r->vm.detail);
		break;
	default:
		fprintf(stderr, "snpvm launch: guest ended (%s): %s\n", vm_end_name(r->vm.end),
			r->vm.detail);
	}
}

static int print_json(const struct launch_policy *p, const struct launch_result *r,
		      struct snp_err *err)
{
	json_t *o = json_pack("{s:s,s:o,s:I,s:i,s:I,s:b}", "backend", p->backend, "measurement",
			      hexj(r->measurement, SNP_MEASUREMENT_SIZE), "pages_measured",
			      (json_int_t)r->npages, "vcpus", (int)p->vcpus, "memory_mib",
			      (json_int_t)p->memory_mib, "ran", r->ran);

	if (o && r->ran) {
		json_object_set_new(o, "accel", json_string(r->accel));
		json_object_set_new(o, "end", json_string(vm_end_name(r->vm.end)));
		if (r->vm.end == VM_END_EXIT)
			json_object_set_new(o, "exit_value", json_integer(r->vm.exit_value));
		if (r->vm.detail[0])
			json_object_set_new(o, "detail", json_string(r->vm.detail));
		json_object_set_new(o, "serial_bytes", json_integer((json_int_t)r->vm.serial_bytes));
	}
	return cli_print_json(o, err);
}

static int open_console(const struct launch_cli *c, const struct launch_policy *p, int *fd,
			struct snp_err *err)
{
	const char *path = c->console ? c->console
				      : p->console == LAUNCH_CONSOLE_FILE ? p->console_path : NULL;

	*fd = -1;
	if (path) {
		*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (*fd < 0)
			return snp_err_sys(err, "console %s", path);
	} else if (p->console == LAUNCH_CONSOLE_STDOUT) {
		*fd = c->json ? STDERR_FILENO : STDOUT_FILENO;
	}
	return 0;
}

int cmd_launch(int argc, char **argv)
{
	struct snp_err err = { 0 };
	struct launch_cli c;
	struct launch_policy p = { 0 };
	struct launch_prep prep = { 0 };
	struct launch_result *r = calloc(1, sizeof(*r));
	struct launch_run_opts ro = { .on_vm = on_vm };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t timeout = 0;
	int status = LAUNCH_EXIT_USAGE, ret, fd = -1;

	if (!r) {
		fprintf(stderr, "snpvm launch: out of memory\n");
		return LAUNCH_EXIT_VMM;
	}
	if ((ret = parse(argc, argv, &c, &err)) != 0) {
		cli_print_error("launch", &err, false);
		fprintf(stderr, "(see 'snpvm launch --help')\n");
		goto out;
	}
	if (c.help) {
		usage(stdout);
		status = LAUNCH_EXIT_OK;
		goto out;
	}
	if ((c.timeout && (ret = cli_parse_u64("--timeout", c.timeout, 86400, &timeout, &err)) != 0) ||
	    (ret = launch_policy_load(c.policy, &p, &err)) != 0)
		goto fail;
	if (c.backend)
		snprintf(p.backend, sizeof(p.backend), "%s", c.backend);
	if (strcmp(p.backend, "snp") == 0) {
		ret = snp_errf(&err, SNP_E_UNSUPPORTED,
			       "backend snp (the KVM SNP API) is the next issue; this build "
			       "launches on the sim backend only");
		status = LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	/* Everything launch_prepare reads is named by the policy file: a failure is bad input. */
	if ((ret = launch_prepare(&p, &prep, &err)) != 0) {
		status = ret == SNP_E_NOMEM || ret == SNP_E_INTERNAL ? LAUNCH_EXIT_VMM
								       : LAUNCH_EXIT_USAGE;
		goto fail_status;
	}
	if ((ret = open_console(&c, &p, &fd, &err)) != 0)
		goto fail;
	ro.accel = c.accel;
	ro.launch_only = c.launch_only;
	ro.hv_report = c.hv_report != NULL;
	ro.console_fd = fd;
	ro.timeout_ms = (c.timeout ? timeout : p.timeout_s) * 1000;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = launch_run(&p, &prep, &ro, r, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (ret != 0) {
		status = r->firmware_refused ? LAUNCH_EXIT_REFUSED
			 : ret == SNP_E_INVALID || ret == SNP_E_UNSUPPORTED ? LAUNCH_EXIT_USAGE
									      : LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	if (r->has_hv_report &&
	    (ret = file_write_atomic(c.hv_report, r->hv_report, SNP_REPORT_SIZE, 0644, &err)) != 0) {
		status = LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	if (c.json ? (ret = print_json(&p, r, &err)) != 0 : (print_text(&p, &prep, r), 0)) {
		status = LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	status = exit_for(r);
	goto out;
fail:
	status = cli_exit_status(ret) == EXIT_USAGE ? LAUNCH_EXIT_USAGE : LAUNCH_EXIT_VMM;
fail_status:
	cli_print_error("launch", &err, c.json);
out:
	if (fd > STDERR_FILENO)
		close(fd);
	launch_prep_free(&prep);
	launch_policy_free(&p);
	free(r);
	return status;
}

/* The verifier policy (docs/verifier-policy.md) a report of this launch must satisfy. */
static json_t *verifier_policy(const char *path, const struct launch_policy *p,
			       const struct launch_prep *prep)
{
	char abi[16], desc[512];
	json_t *o, *gp;

	snprintf(abi, sizeof(abi), "%u.%u",
		 (unsigned)((p->guest_policy & SNP_POLICY_ABI_MAJOR_MASK) >>
			    SNP_POLICY_ABI_MAJOR_SHIFT),
		 (unsigned)(p->guest_policy & SNP_POLICY_ABI_MINOR_MASK));
	snprintf(desc, sizeof(desc), "generated by snpvm measure --verifier-policy %s", path);
	gp = json_pack("{s:b,s:b,s:b,s:b,s:s}", "allow_smt",
		       (p->guest_policy & SNP_POLICY_SMT) != 0, "allow_debug",
		       (p->guest_policy & SNP_POLICY_DEBUG) != 0, "allow_migrate_ma",
		       (p->guest_policy & SNP_POLICY_MIGRATE_MA) != 0, "require_single_socket",
		       (p->guest_policy & SNP_POLICY_SINGLE_SOCKET) != 0, "abi_min", abi);
	o = json_pack("{s:s,s:[o],s:o,s:i,s:o}", "description", desc, "measurements",
		      hexj(prep->measurement, SNP_MEASUREMENT_SIZE), "host_data",
		      hexj(p->host_data, 32), "vmpl", 0, "guest_policy", gp);
	if (!o)
		return NULL;
	if (prep->has_id_block) {
		json_object_set_new(o, "trusted_id_keys",
				    json_pack("[o]", hexj(prep->id_key_digest, SNP_ID_DIGEST_SIZE)));
		if (prep->author_key_en) {
			json_object_set_new(o, "trusted_author_keys",
					    json_pack("[o]", hexj(prep->author_key_digest,
								  SNP_ID_DIGEST_SIZE)));
			json_object_set_new(o, "require_author_key", json_true());
		}
	} else {
		json_object_set_new(o, "allow_any_id_key", json_true());
	}
	return o;
}

int cmd_measure_policy(int argc, char **argv)
{
	struct snp_err err = { 0 };
	struct launch_policy p = { 0 };
	struct launch_prep prep = { 0 };
	bool vp = false, json = false;
	const char *path = NULL;
	int ret, status = EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verifier-policy") == 0)
			vp = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			ret = snp_errf(&err, SNP_E_INVALID,
				       "'%s': with a policy file, measure takes only "
				       "[--verifier-policy] [--json] POLICY.json",
				       argv[i]);
			goto fail;
		}
	}
	if (!path) {
		ret = snp_errf(&err, SNP_E_INVALID, "--verifier-policy needs a launch policy file");
		goto fail;
	}
	if ((ret = launch_policy_load(path, &p, &err)) != 0 ||
	    (ret = launch_prepare(&p, &prep, &err)) != 0)
		goto fail;
	if (vp || json) {
		json_t *o = vp ? verifier_policy(path, &p, &prep)
			       : json_pack("{s:s,s:o,s:I}", "mode",
					   measure_mode_name(prep.opts.mode), "measurement",
					   hexj(prep.measurement, SNP_MEASUREMENT_SIZE), "pages",
					   (json_int_t)prep.npages);

		if ((ret = cli_print_json(o, &err)) != 0)
			goto fail;
	} else {
		char m[2 * SNP_MEASUREMENT_SIZE + 1];

		hex_encode(prep.measurement, SNP_MEASUREMENT_SIZE, m);
		printf("%s\n", m);
	}
	status = EXIT_DONE;
	goto out;
fail:
	status = cli_exit_status(ret);
	cli_print_error("measure", &err, json);
out:
	launch_prep_free(&prep);
	launch_policy_free(&p);
	return status;
}
