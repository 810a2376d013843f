/*
 * The KVM checks on /dev/kvm: the device opens read-write, the API version,
 * and the capabilities an SNP launch needs (Documentation/virt/kvm/api.rst:
 * KVM_CHECK_EXTENSION on the system fd for KVM_CAP_VM_TYPES,
 * KVM_CAP_GUEST_MEMFD, KVM_CAP_MEMORY_ATTRIBUTES, KVM_CAP_EXIT_HYPERCALL).
 */
#include <stdint.h>
#include <string.h>

#include "hostcheck/compat.h"
#include "hostcheck/internal.h"

static const char upgrade_fix[] =
	"Boot Linux 6.11 or later built with CONFIG_KVM_AMD_SEV and load kvm_amd with "
	"sev_snp=1 on an SNP-enabled AMD host (a nested or software KVM never offers this).";

void hc_dev_kvm(struct hc_ctx *c, struct hostcheck_result *r)
{
	static const struct hc_dev kvm = {
		.path = "/dev/kvm",
		.missing = "no /dev/kvm: KVM is not available",
		.missing_fix = "KVM is not available here: load kvm_amd on an AMD host with AMD-V "
			       "enabled in the BIOS setup; in a container or VM the host must pass "
			       "/dev/kvm through, and SNP guests need bare metal.",
		.denied_fix = "Run as root, or add the user to the group that owns /dev/kvm "
			      "(usermod -aG kvm USER) and log in again.",
		.other_fix = "Check /dev/kvm: it must be KVM's character device (10:232).",
	};

	c->kvm_fd = hc_open_dev(c, r, &kvm);
}

/* KVM_CHECK_EXTENSION on the system fd: the capability's value, or -errno. */
static int check_extension(struct hc_ctx *c, unsigned long cap)
{
	return c->sys.ioctl(c->sys.ctx, c->kvm_fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)cap);
}

static bool need_kvm(struct hc_ctx *c, struct hostcheck_result *r)
{
	if (c->kvm_fd >= 0)
		return true;
	hc_skip(r, "needs /dev/kvm (dev-kvm)");
	return false;
}

void hc_kvm_api_version(struct hc_ctx *c, struct hostcheck_result *r)
{
	int v;

	if (!need_kvm(c, r))
		return;
	v = c->sys.ioctl(c->sys.ctx, c->kvm_fd, KVM_GET_API_VERSION, NULL);
	if (v < 0) {
		hc_fail(r, "Check /dev/kvm: KVM_GET_API_VERSION must work on it.",
			"KVM_GET_API_VERSION: %s", strerror(-v));
		return;
	}
	if (v != KVM_API_VERSION) {
		hc_fail(r, "This is not Linux's stable KVM API: run a mainline kernel's KVM.",
			"KVM API version %d, want %d", v, KVM_API_VERSION);
		return;
	}
	hc_pass(r, "KVM API version %d", v);
}

/*
 * One capability: the value KVM_CHECK_EXTENSION returns must have every bit
 * of want (want 0: be non-zero). what names the capability in the detail.
 */
static void capability(struct hc_ctx *c, struct hostcheck_result *r, unsigned long cap,
		       const char *what, uint64_t want, const char *means)
{
	int v;

	if (!need_kvm(c, r))
		return;
	v = check_extension(c, cap);
	if (v < 0) {
		hc_fail(r, upgrade_fix, "KVM_CHECK_EXTENSION(%s): %s", what, strerror(-v));
		return;
	}
	if (want ? ((uint64_t)(unsigned)v & want) != want : v == 0) {
		hc_fail(r, upgrade_fix, "%s is 0x%x: %s", what, (unsigned)v, means);
		return;
	}
	hc_pass(r, "%s is 0x%x", what, (unsigned)v);
}

void hc_kvm_vm_types(struct hc_ctx *c, struct hostcheck_result *r)
{
	capability(c, r, KVM_CAP_VM_TYPES, "KVM_CAP_VM_TYPES", 1ull << KVM_X86_SNP_VM,
		   "no KVM_X86_SNP_VM (bit 4): this KVM cannot create SNP VMs");
}

void hc_kvm_guest_memfd(struct hc_ctx *c, struct hostcheck_result *r)
{
	capability(c, r, KVM_CAP_GUEST_MEMFD, "KVM_CAP_GUEST_MEMFD", 0,
		   "no guest_memfd, which holds an SNP guest's private memory");
}

void hc_kvm_memory_attributes(struct hc_ctx *c, struct hostcheck_result *r)
{
	capability(c, r, KVM_CAP_MEMORY_ATTRIBUTES, "KVM_CAP_MEMORY_ATTRIBUTES",
		   KVM_MEMORY_ATTRIBUTE_PRIVATE,
		   "no KVM_MEMORY_ATTRIBUTE_PRIVATE (bit 3): pages cannot be made private");
}

void hc_kvm_exit_hypercall(struct hc_ctx *c, struct hostcheck_result *r)
{
	capability(c, r, KVM_CAP_EXIT_HYPERCALL, "KVM_CAP_EXIT_HYPERCALL",
		   1ull << KVM_HC_MAP_GPA_RANGE,
		   "no KVM_HC_MAP_GPA_RANGE (bit 12): the guest's page-state changes cannot "
		   "reach the VMM");
}
