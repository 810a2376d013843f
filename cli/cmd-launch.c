/*
 * snpvm launch POLICY.json: launch (and run) a guest per its launch policy
 * file (docs/launcher.md, docs/policy-file.md); and `snpvm measure
 * POLICY.json` / `snpvm measure --verifier-policy POLICY.json`, the expected
 * MEASUREMENT and the matching verifier policy from the same file.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "cli/launch-out.h"
#include "cli/measure-args.h"
#include "cli/opt.h"
#include "launcher/accel.h"
#include "launcher/confine.h"
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
	LAUNCH_EXIT_GUEST_TERMINATED = 8, /* SNP: GHCB termination request */
};

struct launch_cli {
	const char *policy, *hv_report, *console, *report_socket;
	int backend, accel; /* indexes into BACKENDS / ACCELS; -1: the policy's */
	uint64_t timeout;
	bool has_timeout, launch_only, json, accept_cpuid_fixup, no_seccomp;
};

#define BACKENDS "sim|snp"
static const char *const backend_names[] = { "sim", "snp" };
#define ACCELS "auto|kvm|emu"
static const char *const accel_names[] = { "auto", "kvm", "emu" };

/* Parses argv into *c; false when the command is done (help printed, or a usage error). */
static bool parse(int argc, char **argv, struct launch_cli *c, int *status)
{
	const struct opt opts[] = {
		OPT_ARG("POLICY.json", &c->policy, "the launch policy file (docs/policy-file.md)",
			.required = true),
		OPT_CHOICE("backend", &c->backend, BACKENDS,
			   "overrides the policy's backend (snp: KVM SEV-SNP, Linux 6.11+; runs on kvm)"),
		OPT_CHOICE("accel", &c->accel, ACCELS, "overrides the policy's accel"),
		OPT_STRING("hv-report", &c->hv_report, "FILE",
			   "after the launch, write a host-requested report to FILE"),
		OPT_STRING("console", &c->console, "FILE",
			   "serial output to FILE instead of the policy's console"),
		OPT_STRING("report-socket", &c->report_socket, "PATH",
			   "offer the guest's report channel on a Unix socket (mode 0600; simulated,\n"
			   "for snpvm agent --provider sim; docs/guest-request-mailbox.md)"),
		OPT_U64("timeout", &c->timeout, 1, 86400, "S", "stop the guest after S seconds (exit 6)",
			.given = &c->has_timeout),
		OPT_FLAG("launch-only", &c->launch_only, "launch and measure, do not run the vCPUs"),
		OPT_FLAG("json", &c->json, "the launch summary as JSON on stdout"),
		OPT_FLAG("accept-cpuid-fixup", &c->accept_cpuid_fixup,
			 "snp: when the firmware refuses the CPUID page, launch with its corrected page"),
		OPT_FLAG("no-seccomp", &c->no_seccomp,
			 "debugging only: run the guest without dropping capabilities\n"
			 "and without the seccomp filter (also: SNPVM_NO_SECCOMP=1)"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "launch",
		.opts = opts,
		.json = &c->json,
		.about = "Launches the guest the launch policy file describes on the security backend\n"
			 "(sim: the simulated AMD-SP; snp: the AMD-SP through KVM's SEV-SNP API) and runs\n"
			 "it on the accelerator (kvm on /dev/kvm,\n"
			 "emu on Unicorn; auto picks kvm when usable).\n",
		.epilog = "Exit: 0 the guest wrote 0 to port 0xf4; 1 the firmware refused the launch;\n"
			  "2 bad usage or policy file; 3 VMM failure; 4 the guest wrote a non-zero value;\n"
			  "5 the guest faulted or was stopped by the VMM; 6 --timeout expired;\n"
			  "7 stopped by SIGINT/SIGTERM.\n",
	};

	memset(c, 0, sizeof(*c));
	c->backend = c->accel = -1;
	return cli_opt_parse(&cmd, argc, argv, status);
}

/* The VM being run, for the signal handler (vm_stop is async-signal-safe). */
/* An unknown firmware image is used but named (the manifest: measure/firmware-known.c). */
static void warn_firmware(const struct launch_policy *p, const struct launch_prep *prep)
{
	if (!p->payload && prep->firmware_sha256[0])
		cli_warn_unknown_firmware(p->firmware, prep->firmware_sha256, prep->firmware_known);
}

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
	case VM_END_TERMINATED:
		return LAUNCH_EXIT_GUEST_TERMINATED;
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

	fprintf(stderr, "snpvm launch: backend %s (%s), %u vCPU(s), %llu MiB, %llu pages measured\n",
		p->backend, strcmp(p->backend, "snp") ? "simulated AMD-SP" : "KVM SEV-SNP", p->vcpus,
		(unsigned long long)p->memory_mib, (unsigned long long)r->npages);
	launch_print_fixups(stderr, r);
	if (!r->has_measurement) {
		hex_encode(prep->measurement, SNP_MEASUREMENT_SIZE, m);
		fprintf(stderr, "snpvm launch: MEASUREMENT not returned by KVM (no ID block); "
				"predicted %s\n", m);
	} else {
		hex_encode(r->measurement, SNP_MEASUREMENT_SIZE, m);
		fprintf(stderr, "snpvm launch: MEASUREMENT %s%s\n", m,
			memcmp(r->measurement, prep->measurement, SNP_MEASUREMENT_SIZE)
				? " (differs from the prediction!)"
				: "");
	}
	if (r->certs_note[0])
		fprintf(stderr, "snpvm launch: certs_dir: %s\n", r->certs_note);
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

json_t *launch_fixups_json(const struct launch_result *r)
{
	json_t *a = json_array();
	char t[SNP_CPUID_FIXUP_STR];

	for (unsigned i = 0; a && i < r->ncpuid_fixups; i++) {
		cpuid_fixup_format(&r->cpuid_fixups[i], t, sizeof(t));
		if (json_array_append_new(a, json_string(t)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

void launch_print_fixups(FILE *f, const struct launch_result *r)
{
	char t[SNP_CPUID_FIXUP_STR];

	for (unsigned i = 0; i < r->ncpuid_fixups; i++) {
		cpuid_fixup_format(&r->cpuid_fixups[i], t, sizeof(t));
		fprintf(f, "snpvm launch: CPUID fix-up: %s\n", t);
	}
}

json_t *launch_summary_json(const struct launch_policy *p, const struct launch_result *r)
{
	json_t *o = json_pack("{s:s,s:o,s:I,s:i,s:I,s:b,s:o,s:b,s:o}", "backend", p->backend,
			      "measurement",
			      r->has_measurement ? hexj(r->measurement, SNP_MEASUREMENT_SIZE)
						 : json_null(),
			      "pages_measured", (json_int_t)r->npages, "vcpus", (int)p->vcpus,
			      "memory_mib", (json_int_t)p->memory_mib, "ran", r->ran,
			      "cpuid_fixups", launch_fixups_json(r), "certs_served", r->certs_served,
			      "certs_note",
			      r->certs_note[0] ? json_string(r->certs_note) : json_null());

	if (o && r->ran) {
		json_object_set_new(o, "accel", json_string(r->accel));
		json_object_set_new(o, "end", json_string(vm_end_name(r->vm.end)));
		if (r->vm.end == VM_END_EXIT)
			json_object_set_new(o, "exit_value", json_integer(r->vm.exit_value));
		if (r->vm.end == VM_END_TERMINATED) {
			json_object_set_new(o, "term_reason_set", json_integer(r->vm.term_set));
			json_object_set_new(o, "term_reason_code", json_integer(r->vm.term_code));
		}
		if (r->vm.detail[0])
			json_object_set_new(o, "detail", json_string(r->vm.detail));
		json_object_set_new(o, "serial_bytes", json_integer((json_int_t)r->vm.serial_bytes));
	}
	return o;
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

/* What the confinement callback needs: the CLI writes its files before it. */
struct confine_ctx {
	const struct launch_cli *c;
	const struct launch_result *r;
	bool hv_report_written;
};

/*
 * Before the first vCPU runs: writes the host report (a file cannot be created
 * afterwards), then drops every capability and installs the seccomp filter.
 */
static int confine(void *ctx, struct snp_err *err)
{
	struct confine_ctx *cc = ctx;
	int ret;

	if (cc->r->has_hv_report) {
		if ((ret = file_write_atomic(cc->c->hv_report, cc->r->hv_report, SNP_REPORT_SIZE,
					     0644, err)) != 0)
			return ret;
		cc->hv_report_written = true;
	}
	if (cc->c->no_seccomp)
		return 0;
	return launcher_confine(err);
}

static bool seccomp_disabled_by_env(void)
{
	const char *v = getenv("SNPVM_NO_SECCOMP");

	return v && strcmp(v, "1") == 0;
}

int cmd_launch(int argc, char **argv)
{
	struct snp_err err = { 0 };
	struct launch_cli c;
	struct launch_policy p = { 0 };
	struct launch_prep prep = { 0 };
	struct launch_result *r = calloc(1, sizeof(*r));
	struct confine_ctx cc = { .c = &c, .r = r };
	struct launch_run_opts ro = { .on_vm = on_vm, .confine = confine, .confine_ctx = &cc };
	struct sigaction sa = { .sa_handler = on_signal };
	int status = LAUNCH_EXIT_USAGE, ret, fd = -1;

	if (!r) {
		fprintf(stderr, "snpvm launch: out of memory\n");
		return LAUNCH_EXIT_VMM;
	}
	if (!parse(argc, argv, &c, &status))
		goto out;
	if (seccomp_disabled_by_env())
		c.no_seccomp = true;
	if (!c.no_seccomp)
		ro.confine_thread = launcher_confine_thread;
	status = LAUNCH_EXIT_USAGE;
	/*
	 * emu: libunicorn (~11 ms of dynamic loading) loads on a thread while the
	 * policy is read and the launch prepared (launcher/accel.h). The policy's
	 * own accelerator is known only after reading it: start for --accel or
	 * "auto" now, and again below should the policy name emu.
	 */
	if (!c.launch_only)
		accel_preload(c.accel >= 0 ? accel_names[c.accel] : "auto");
	if ((ret = launch_policy_load(c.policy, &p, &err)) != 0)
		goto fail;
	if (c.backend >= 0)
		snprintf(p.backend, sizeof(p.backend), "%s", backend_names[c.backend]);
	if (!c.launch_only && c.accel < 0 && strcmp(p.accel, "emu") == 0)
		accel_preload(p.accel);
	/* Everything launch_prepare reads is named by the policy file: a failure is bad input. */
	ret = launch_prepare(&p, &prep, &err);
	warn_firmware(&p, &prep);
	if (ret != 0) {
		status = ret == SNP_E_NOMEM || ret == SNP_E_INTERNAL ? LAUNCH_EXIT_VMM
								       : LAUNCH_EXIT_USAGE;
		goto fail_status;
	}
	if ((ret = open_console(&c, &p, &fd, &err)) != 0)
		goto fail;
	ro.accel = c.accel >= 0 ? accel_names[c.accel] : NULL;
	ro.launch_only = c.launch_only;
	ro.accept_cpuid_fixup = c.accept_cpuid_fixup;
	ro.hv_report = c.hv_report != NULL;
	ro.channel_path = c.report_socket;
	ro.console_fd = fd;
	ro.timeout_ms = (c.has_timeout ? c.timeout : p.timeout_s) * 1000;
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
	if (r->has_hv_report && !cc.hv_report_written &&
	    (ret = file_write_atomic(c.hv_report, r->hv_report, SNP_REPORT_SIZE, 0644, &err)) != 0) {
		status = LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	if (c.json ? (ret = cli_print_json(launch_summary_json(&p, r), &err)) != 0
		   : (print_text(&p, &prep, r), 0)) {
		status = LAUNCH_EXIT_VMM;
		goto fail_status;
	}
	status = exit_for(r);
	goto out;
fail:
	status = cli_exit_status(ret) == EXIT_USAGE ? LAUNCH_EXIT_USAGE : LAUNCH_EXIT_VMM;
fail_status:
	/* a refused CPUID page: every correction, not just those the message had room for */
	cli_print_error_with("launch", &err, c.json,
			     r->ncpuid_fixups ? json_pack("{s:o*}", "cpuid_fixups",
							  launch_fixups_json(r))
					      : NULL);
	launch_print_fixups(stderr, r);
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
	if (p->has_min_tcb) {
		json_t *t = json_pack("{s:i,s:i,s:i,s:i}", "bootloader", p->min_tcb_bootloader, "tee",
				      p->min_tcb_tee, "snp", p->min_tcb_snp, "microcode",
				      p->min_tcb_microcode);

		if (t && p->min_tcb_has_fmc)
			json_object_set_new(t, "fmc", json_integer(p->min_tcb_fmc));
		json_object_set_new(o, "min_reported_tcb", json_deep_copy(t));
		json_object_set_new(o, "min_launch_tcb", t);
	}
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
	const struct opt opts[] = {
		OPT_ARG("POLICY.json", &path, "the launch policy file (docs/policy-file.md)",
			.required = true),
		OPT_FLAG("verifier-policy", &vp,
			 "print the verifier policy (for snpvm verify --policy) instead"),
		OPT_FLAG("json", &json, "the measurement, mode and page count as JSON"),
		OPT_END,
	};
	const struct opt_cmd cmd = {
		.name = "measure POLICY.json",
		.opts = opts,
		.json = &json,
		.about = "The MEASUREMENT `snpvm launch` will produce for a launch policy file, or\n"
			 "with --verifier-policy the verifier policy its reports must satisfy.\n",
	};

	if (!cli_opt_parse(&cmd, argc, argv, &status))
		return status;
	if ((ret = launch_policy_load(path, &p, &err)) != 0)
		goto fail;
	ret = launch_prepare(&p, &prep, &err);
	warn_firmware(&p, &prep);
	if (ret != 0)
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
