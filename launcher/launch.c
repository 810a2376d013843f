#include "launcher/launch.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/cpuid-page.h"
#include "abi/sev-status.h"
#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/host-certs.h"
#include "launcher/policy.h"
#include "measure/idblock.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "util/file.h"

#define MAX_IMAGE (64u << 20)
#define MAX_KERNEL ((size_t)1 << 30)

static int id_block_from_keys(const struct launch_policy *p, struct launch_prep *prep,
			      struct snp_err *err)
{
	EVP_PKEY *id = NULL, *author = NULL;
	struct snp_id_block b;
	struct idblock_result *r = calloc(1, sizeof(*r));
	int ret = SNP_E_INTERNAL;

	if (!r)
		return snp_errf(err, SNP_E_NOMEM, "id_block: out of memory");
	idblock_init(&b, prep->measurement);
	b.policy = p->guest_policy;
	if ((ret = idblock_key_load(p->id_key, &id, err)) != 0 ||
	    (p->author_key && (ret = idblock_key_load(p->author_key, &author, err)) != 0) ||
	    (ret = idblock_make(&b, id, author, r, err)) != 0)
		goto out;
	memcpy(prep->id_block, r->id_block, sizeof(prep->id_block));
	memcpy(prep->id_auth, r->id_auth, sizeof(prep->id_auth));
	memcpy(prep->id_key_digest, r->id_key_digest, sizeof(prep->id_key_digest));
	memcpy(prep->author_key_digest, r->author_key_digest, sizeof(prep->author_key_digest));
	prep->author_key_en = r->author_key_en;
	prep->has_id_block = true;
	ret = 0;
out:
	EVP_PKEY_free(id);
	EVP_PKEY_free(author);
	free(r);
	return ret;
}

static int read_exact(const char *path, const char *what, uint8_t *out, size_t want,
		      struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if ((ret = file_read(path, want, &buf, &len, err)) != 0)
		return snp_err_prefix(err, "policy: %s: ", what);
	if (len != want)
		ret = snp_errf(err, SNP_E_INVALID, "policy: %s %s: %zu bytes, want %zu", what, path,
			       len, want);
	else
		memcpy(out, buf, want);
	free(buf);
	return ret;
}

/* Precomputed blocks (launched without AUTHOR_KEY_EN): checked, and the ID key digest taken. */
static int id_block_from_files(const struct launch_policy *p, struct launch_prep *prep,
			       struct snp_err *err)
{
	int ret;

	if ((ret = read_exact(p->id_block_file, "id_block.id_block_file", prep->id_block,
			      SNP_ID_BLOCK_SIZE, err)) != 0 ||
	    (ret = read_exact(p->id_auth_file, "id_block.id_auth_file", prep->id_auth,
			      SNP_ID_AUTH_SIZE, err)) != 0 ||
	    (ret = idblock_verify_auth(prep->id_block, prep->id_auth, false, prep->id_key_digest,
				       prep->author_key_digest, err)) != 0)
		return ret;
	prep->has_id_block = true;
	return 0;
}

int launch_prepare(const struct launch_policy *p, struct launch_prep *prep, struct snp_err *err)
{
	struct measure_opts mo;
	struct measure_result mr;
	int ret = SNP_E_INTERNAL;

	memset(prep, 0, sizeof(*prep));
	if ((ret = file_map(p->payload ? p->payload : p->firmware, MAX_IMAGE, &prep->in_image,
			      err)) != 0)
		return snp_err_prefix(err, "policy: %s: ", p->payload ? "payload" : "firmware");
	if (p->payload) {
		const struct payload_opts po = {
			.elf = prep->in_image.data,
			.elf_len = prep->in_image.len,
			.mem_size = p->memory_mib << 20,
			.vcpus = p->vcpus,
			.guest_features = p->guest_features,
			.cmdline = p->cmdline,
		};

		if ((ret = payload_build(&po, &prep->payload, err)) != 0)
			return ret;
		prep->opts.mode = MEASURE_MODE_PAYLOAD;
		prep->opts.payload = &prep->payload;
	} else {
		prep->opts.mode = MEASURE_MODE_SNP;
		prep->opts.vmm = VMM_QEMU;
		prep->opts.ovmf = prep->in_image.data;
		prep->opts.ovmf_len = prep->in_image.len;
		prep->opts.ovmf_name = p->firmware;
		if ((ret = firmware_known_lookup(prep->in_image.data, prep->in_image.len,
						 prep->firmware_sha256, &prep->firmware_known,
						 err)) != 0)
			return ret;
		if (p->kernel) {
			if ((ret = kernel_hashes_compute_files(p->kernel, p->initrd, p->cmdline,
							       MAX_KERNEL, &prep->hashes,
							       &prep->kernel_len, &prep->initrd_len,
							       err)) != 0)
				return ret;
			prep->opts.kernel_hashes = &prep->hashes;
		}
	}
	prep->opts.vcpus = p->vcpus;
	prep->opts.vcpu_sig = p->vcpu_sig;
	prep->opts.guest_features = p->guest_features;
	mo = (struct measure_opts){ .launch = prep->opts };
	if ((ret = measure_run(&mo, &mr, err)) != 0)
		return ret;
	memcpy(prep->measurement, mr.ld, sizeof(prep->measurement));
	prep->npages = mr.npages;
	if (p->id_key)
		return id_block_from_keys(p, prep, err);
	if (p->id_block_file)
		return id_block_from_files(p, prep, err);
	return 0;
}

void launch_prep_free(struct launch_prep *prep)
{
	file_unmap(&prep->in_image);
	payload_image_free(&prep->payload);
	memset(prep, 0, sizeof(*prep));
}

/* The plan into guest memory and the backend. */
struct launch_sink_ctx {
	struct sev_backend *be;
	struct guest_mem *mem;
	struct snp_vmsa *vcpu; /* the start states kept for the VM */
	unsigned nvcpus;
	uint64_t npages;
};

static int sink_update(void *ctx, enum snp_page_type type, uint64_t gpa, const uint8_t *data,
		       size_t len, struct snp_err *err)
{
	struct launch_sink_ctx *s = ctx;
	uint8_t *hva = guest_mem_hva(s->mem, gpa, len), *scratch = NULL;
	int ret;

	if (!hva) {
		/*
		 * Outside guest RAM (firmware mapped below 4 GiB): measured from a
		 * scratch copy; such a guest is launched, not run (launch_run refuses).
		 */
		if (!(hva = scratch = calloc(1, len)))
			return snp_errf(err, SNP_E_NOMEM, "launch: 0x%zx bytes at 0x%llx: out of memory",
					len, (unsigned long long)gpa);
	}
	if (type == SNP_PAGE_TYPE_NORMAL)
		memcpy(hva, data, len);
	else
		memset(hva, 0, len);
	ret = s->be->ops->update(s->be, type, gpa, hva, len, err);
	s->npages += len / SNP_PAGE_SIZE;
	free(scratch);
	return ret;
}

static int sink_vmsa(void *ctx, unsigned idx, const struct snp_vmsa *st, struct snp_err *err)
{
	struct launch_sink_ctx *s = ctx;

	if (idx < s->nvcpus)
		s->vcpu[idx] = *st;
	s->npages++;
	return s->be->ops->set_vcpu(s->be, idx, st, err);
}

int launch_sequence(struct sev_backend *be, struct guest_mem *mem, struct launch_seq *seq,
		    struct snp_err *err)
{
	struct launch_sink_ctx s = { .be = be, .mem = mem, .vcpu = seq->vcpu,
				     .nvcpus = seq->vcpu ? seq->nvcpus : 0 };
	const struct launch_sink sink = { .update = sink_update, .vmsa = sink_vmsa, .ctx = &s };
	int ret;

	seq->npages = 0;
	if (seq->opts->mode == MEASURE_MODE_OVMF_HASH)
		return snp_errf(err, SNP_E_INVALID,
				"a launch needs the whole firmware: --mode snp:ovmf-hash is a digest "
				"notion");
	if ((ret = be->ops->start(be, seq->policy, err)) != 0 ||
	    (ret = launch_plan_run(seq->opts, &sink, err)) != 0 ||
	    (ret = be->ops->finish(be, seq->id_block, seq->id_auth, seq->author_key_en,
				   seq->host_data, err)) != 0)
		return ret;
	seq->npages = s.npages;
	return 0;
}

static int report_cb(void *ctx, const uint8_t report_data[64], uint32_t vmpl,
		     uint8_t report[SNP_REPORT_SIZE], struct snp_err *err)
{
	struct sev_backend *be = ctx;

	return be->ops->guest_request(be, report_data, vmpl, report, err);
}

static int run_vm(const struct launch_policy *p, const struct launch_run_opts *ro,
		  struct sev_backend *be, struct guest_mem *mem, const struct snp_vmsa *vcpu,
		  struct launch_result *res, struct snp_err *err)
{
	/* the CPUID page as launched (the backend filled it): what CPUID returns on emu */
	const uint8_t *cpuid_gpa = guest_mem_hva(mem, PAYLOAD_CPUID_GPA, SNP_CPUID_PAGE_SIZE);
	struct snp_cpuid_page cpuid;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_len = 0, initrd_len = 0;
	struct vm_config cfg = {
		.cpuid = &cpuid,
		.accel = ro->accel ? ro->accel : p->accel,
		.vcpus = p->vcpus,
		.console_fd = ro->console_fd,
		.timeout_ms = ro->timeout_ms,
		.report = report_cb,
		.report_ctx = be,
		.channel_path = ro->channel_path,
		.snp = strcmp(p->backend, "snp") == 0 ? be : NULL,
		.confine_thread = ro->confine ? ro->confine_thread : NULL,
	};
	struct vm *vm = NULL;
	int ret;

	if (!cpuid_gpa)
		return snp_errf(err, SNP_E_INTERNAL, "launch: no CPUID page in guest memory");
	if ((ret = cpuid_page_parse(cpuid_gpa, SNP_CPUID_PAGE_SIZE, &cpuid, err)) != 0)
		return snp_err_prefix(err, "launch: the CPUID page at 0x%llx: ",
				      (unsigned long long)PAYLOAD_CPUID_GPA);
	/* measured direct boot: fw_cfg offers the bytes the hashes table measured */
	if (p->kernel && (ret = file_read(p->kernel, MAX_KERNEL, &kernel, &kernel_len, err)) != 0)
		goto out;
	if (p->initrd && (ret = file_read(p->initrd, MAX_KERNEL, &initrd, &initrd_len, err)) != 0)
		goto out;
	cfg.kernel = kernel;
	cfg.kernel_len = kernel_len;
	cfg.initrd = initrd;
	cfg.initrd_len = initrd_len;
	cfg.kernel_cmdline = p->kernel ? p->cmdline : NULL;
	if ((ret = vm_create(&cfg, mem, &vm, err)) != 0)
		goto out;
	snprintf(res->accel, sizeof(res->accel), "%s", vm_accel_name(vm));
	snprintf(res->accel_note, sizeof(res->accel_note), "%s", vm_accel_why_not_kvm(vm));
	for (unsigned i = 0; i < p->vcpus; i++)
		if ((ret = vm_set_vcpu_state(vm, i, &vcpu[i], err)) != 0)
			goto out;
	if (ro->confine && (ret = ro->confine(ro->confine_ctx, err)) != 0)
		goto out;
	if (ro->on_vm)
		ro->on_vm(vm, ro->on_vm_ctx);
	ret = vm_run(vm, &res->vm, err);
	if (ro->on_vm)
		ro->on_vm(NULL, ro->on_vm_ctx);
	if (ret == 0)
		res->ran = true;
out:
	vm_destroy(vm);
	free(kernel);
	free(initrd);
	return ret;
}

int launch_run(const struct launch_policy *p, const struct launch_prep *prep,
	       const struct launch_run_opts *ro, struct launch_result *res, struct snp_err *err)
{
	struct sev_backend be = { 0 };
	struct guest_mem mem = { 0 };
	uint8_t *certs = NULL; /* the host's certificate table (snp, certs_dir) */
	struct launch_seq seq = {
		.opts = &prep->opts,
		.policy = p->guest_policy,
		.id_block = prep->has_id_block ? prep->id_block : NULL,
		.id_auth = prep->has_id_block ? prep->id_auth : NULL,
		.author_key_en = prep->author_key_en,
		.host_data = p->host_data,
		.nvcpus = p->vcpus,
	};
	int ret = SNP_E_INTERNAL;

	const bool snp = strcmp(p->backend, "snp") == 0;

	memset(res, 0, sizeof(*res));
	if (snp && !ro->launch_only && strcmp(ro->accel ? ro->accel : p->accel, "emu") == 0) {
		ret = snp_errf(err, SNP_E_INVALID,
			       "accelerator \"emu\": an SNP guest runs on kvm only");
		goto out;
	}
	if (!ro->launch_only && prep->opts.mode != MEASURE_MODE_PAYLOAD) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED,
			       "firmware: running OVMF is a later issue; use --launch-only");
		goto out;
	}
	if (!(seq.vcpu = calloc(p->vcpus, sizeof(*seq.vcpu)))) {
		ret = snp_errf(err, SNP_E_NOMEM, "launch: out of memory");
		goto out;
	}
	if ((ret = guest_mem_alloc(&mem, p->memory_mib << 20, err)) != 0)
		goto out;
	if (snp) {
		struct snp_backend_opts so = {
			.kvm = ro->kvm,
			.mem = &mem,
			.vcpus = p->vcpus,
			.guest_features = p->guest_features,
			.accept_cpuid_fixup = ro->accept_cpuid_fixup,
		};

		if (p->certs_dir &&
		    (ret = host_certs_table(p->certs_dir, &certs, &so.certs_len, err)) != 0) {
			snp_err_prefix(err, "policy: ");
			goto out;
		}
		so.certs = certs;

		res->firmware_refused = true; /* INIT2 can be refused too */
		ret = backend_snp_open(&so, &be, err);
	} else {
		ret = backend_sim_open(p->sim_dir, &be, err);
	}
	if (ret != 0)
		goto out;
	if (snp) {
		const char *note;

		res->certs_served = backend_snp_req_certs(&be, &note);
		snprintf(res->certs_note, sizeof(res->certs_note), "%s", note);
	}
	res->firmware_refused = true; /* until the launch commands are through */
	if ((ret = launch_sequence(&be, &mem, &seq, err)) != 0)
		goto out;
	res->firmware_refused = false;
	res->has_measurement = be.has_measurement;
	memcpy(res->measurement, be.measurement, sizeof(res->measurement));
	res->npages = seq.npages;
	if (ro->hv_report) {
		if ((ret = be.ops->hv_report(&be, ro->hv_report_data, res->hv_report, err)) != 0)
			goto out;
		res->has_hv_report = true;
	}
	if (!ro->launch_only && (ret = run_vm(p, ro, &be, &mem, seq.vcpu, res, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret && res->firmware_refused && be.fw_status == SNP_FW_SUCCESS)
		res->firmware_refused = false;
	res->fw_status = be.fw_status;
	if (be.ops) {
		const struct snp_cpuid_fixup *f = backend_snp_cpuid_fixups(&be, &res->ncpuid_fixups);

		if (res->ncpuid_fixups)
			memcpy(res->cpuid_fixups, f, res->ncpuid_fixups * sizeof(*f));
		be.ops->close(&be);
	}
	guest_mem_free(&mem);
	free(seq.vcpu);
	free(certs);
	return ret;
}
