#include "launcher/snp-exits.h"

#include <errno.h>
#include <string.h>

#include "launcher/backend.h"
#include "launcher/guest-mem.h"
#include "launcher/kvm-compat.h"

#define PAGE 4096ull

/* KVM_HC_MAP_GPA_RANGE: the guest sees hypercall.ret (0, or an error: a failed PSC). */
static int map_gpa_range(struct sev_backend *be, struct kvm_run *run, struct snp_err *err)
{
	const uint64_t gpa = run->hypercall.args[0], npages = run->hypercall.args[1];
	const uint64_t attrs = run->hypercall.args[2];
	int ret;

	if (gpa % PAGE || npages == 0 || npages > (UINT64_MAX - gpa) / PAGE ||
	    (attrs & ~(KVM_MAP_GPA_RANGE_ENCRYPTED | 0xfull)) || (attrs & 0xf) > 2) {
		run->hypercall.ret = (uint64_t)-EINVAL; /* the guest's request is malformed */
		return 0;
	}
	ret = backend_snp_convert(be, gpa, npages * PAGE, (attrs & KVM_MAP_GPA_RANGE_ENCRYPTED) != 0,
				  err);
	if (ret == SNP_E_INVALID) {
		run->hypercall.ret = (uint64_t)-EINVAL; /* not guest RAM: the guest's error */
		return 0;
	}
	if (ret != 0)
		return ret;
	run->hypercall.ret = 0;
	return 0;
}

/*
 * KVM_EXIT_SNP_REQ_CERTS (Linux 7.0, api.rst): the guest's extended report
 * request wants the host's certificate table in its buffer of npages shared
 * pages at gpa. ret 0: written; ENOSPC: too small, npages = the pages needed
 * (the guest retries with a larger buffer); EIO: a buffer that is not shared
 * guest RAM (the guest sees a failed request, the VMM goes on).
 */
static void req_certs(struct sev_backend *be, struct guest_mem *mem, struct kvm_run *run)
{
	static const uint8_t empty[24]; /* a table of just the all-zero terminator entry */
	struct snpvm_kvm_snp_req_certs rq;
	size_t len;
	const uint8_t *tab = backend_snp_certs(be, &len);
	uint64_t need;
	uint8_t *hva;

	memcpy(&rq, (const uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, sizeof(rq));
	if (!tab) {
		tab = empty;
		len = sizeof(empty);
	}
	need = (len + PAGE - 1) / PAGE;
	if (rq.npages < need) {
		rq.npages = need;
		rq.ret = ENOSPC;
	} else if (rq.gpa % PAGE || rq.npages > (UINT64_MAX - rq.gpa) / PAGE ||
		   !backend_snp_is_shared(be, rq.gpa, rq.npages * PAGE) ||
		   !(hva = guest_mem_hva(mem, rq.gpa, rq.npages * PAGE))) {
		rq.ret = EIO;
	} else {
		memcpy(hva, tab, len);
		memset(hva + len, 0, rq.npages * PAGE - len);
		rq.ret = 0;
	}
	memcpy((uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, &rq, sizeof(rq));
}

int snp_exit_handle(struct sev_backend *be, struct guest_mem *mem, struct snp_exit_state *st,
		    struct kvm_run *run, size_t run_size, int run_errno, enum snp_exit_action *act,
		    struct snp_err *err)
{
	int ret;

	*act = SNP_EXIT_NOT_MINE;
	if (run_size < sizeof(*run))
		return snp_errf(err, SNP_E_INVALID, "snp: kvm_run of %zu bytes", run_size);
	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT && run_errno == EFAULT) {
		struct snpvm_kvm_memory_fault f;

		memcpy(&f, (const uint8_t *)run + SNPVM_KVM_RUN_EXIT_OFF, sizeof(f));
		if (f.gpa == st->last_fault_gpa && ++st->repeats > SNP_EXIT_MAX_REPEATS)
			return snp_errf(err, SNP_E_STATE,
					"snp: KVM_EXIT_MEMORY_FAULT at GPA 0x%llx repeats after "
					"conversion", (unsigned long long)f.gpa);
		if (f.gpa != st->last_fault_gpa)
			st->repeats = 0;
		st->last_fault_gpa = f.gpa;
		if ((ret = backend_snp_convert(be, f.gpa & ~(PAGE - 1),
					       ((f.gpa & (PAGE - 1)) + f.size + PAGE - 1) & ~(PAGE - 1),
					       (f.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE) != 0, err)) != 0)
			return snp_err_prefix(err, "KVM_EXIT_MEMORY_FAULT: ");
		*act = SNP_EXIT_HANDLED;
		return 0;
	}
	if (run_errno)
		return 0;
	if (run->exit_reason == KVM_EXIT_HYPERCALL && run->hypercall.nr == KVM_HC_MAP_GPA_RANGE) {
		if ((ret = map_gpa_range(be, run, err)) != 0)
			return snp_err_prefix(err, "KVM_HC_MAP_GPA_RANGE: ");
		*act = SNP_EXIT_HANDLED;
		return 0;
	}
	if (run->exit_reason == KVM_EXIT_SNP_REQ_CERTS) {
		req_certs(be, mem, run);
		*act = SNP_EXIT_HANDLED;
		return 0;
	}
	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	    run->system_event.type == KVM_SYSTEM_EVENT_SEV_TERM) {
		uint64_t msr = run->system_event.ndata >= 1 ? run->system_event.data[0] : 0;

		/* GHCB MSR protocol: reason set in bits 15:12, reason code in 23:16 */
		st->term_set = (unsigned)(msr >> 12) & 0xf;
		st->term_code = (unsigned)(msr >> 16) & 0xff;
		*act = SNP_EXIT_TERMINATED;
	}
	return 0;
}
