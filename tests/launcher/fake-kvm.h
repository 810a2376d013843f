/*
 * A fake KVM for tests (test code, never linked into snpvm): an
 * implementation of the launcher's KVM ops table (launcher/kvm-ops.h) that
 * keeps the state of one SNP VM — fds, memslots, guest_memfds, memory
 * attributes, vCPU registers — checks every struct the way upstream KVM does
 * (sizes via the ioctl number, reserved fields zero, flags, alignment,
 * preconditions: INIT2 before LAUNCH_START before LAUNCH_UPDATE, pages in a
 * guest_memfd slot and private before LAUNCH_UPDATE, each GFN once, no
 * register writes after LAUNCH_FINISH) and forwards the SNP commands to the
 * simulated secure processor (sim/sp.h). At LAUNCH_FINISH it builds each
 * vCPU's VMSA from the registers set, as KVM's sev_es_sync_vmsa
 * (arch/x86/kvm/svm/sev.c) does, and measures it.
 *
 * What it cannot prove: that real KVM and firmware behave as modelled here
 * (e.g. register-to-VMSA details beyond the fields the launch sets).
 *
 * A struct that breaks a rule fails the ioctl with EINVAL and records why
 * (fake_kvm_why). Failures can be injected per ioctl (and per SEV command).
 */
#ifndef SNPVM_TESTS_LAUNCHER_FAKE_KVM_H
#define SNPVM_TESTS_LAUNCHER_FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "launcher/kvm-ops.h"
#include "sim/sp.h"

#define FAKE_KVM_MAX_FDS 64
#define FAKE_KVM_MAX_SLOTS 8
#define FAKE_KVM_MAX_VCPUS 8

/* An injected failure: the nth (1-based) call of req (and SEV command, for MEMORY_ENCRYPT_OP). */
struct fake_kvm_fail {
	unsigned long req;  /* ioctl number; 0: none. FAKE_KVM_REQ_* for the other calls */
	uint32_t sev_cmd;   /* for KVM_MEMORY_ENCRYPT_OP: the command id */
	unsigned nth;       /* first failing call (1-based) */
	unsigned count;     /* calls failing from nth on (0: all) */
	int err;            /* errno returned */
	uint32_t fw;        /* firmware status in kvm_sev_cmd.error (with err EIO) */
};
#define FAKE_KVM_REQ_OPEN 1ul      /* open */
#define FAKE_KVM_REQ_MMAP 2ul      /* mmap: every mapping */
#define FAKE_KVM_REQ_MMAP_RUN 3ul  /* mmap of a vCPU's kvm_run (counted apart from the others) */
#define FAKE_KVM_REQ_FALLOCATE 4ul /* fallocate on a guest_memfd */
#define FAKE_KVM_REQ_MADVISE 5ul   /* madvise */

struct fake_slot {
	bool used;
	uint64_t gpa, size, uaddr;
	int gmem;            /* guest_memfd index */
	uint8_t *priv;       /* per page: private attribute */
	uint8_t *done;       /* per page: launch-updated */
};

struct fake_vcpu {
	bool sregs_set, regs_set;
	struct kvm_sregs *sregs;
	struct kvm_regs *regs;
	uint16_t fcw, fsw, ftw;
	uint32_t mxcsr;
	uint64_t xcr0;
};

/*
 * Scripted KVM_RUN (a clean API for tests and fuzzers): vCPU 0's nth KVM_RUN
 * replays script[n]: the exit reason and the exit union (offset 32 of struct
 * kvm_run) are written, and KVM_RUN returns 0 or -err (EINTR: an interrupted
 * run; EFAULT with KVM_EXIT_MEMORY_FAULT). At the next KVM_RUN (when KVM
 * would read the VMM's answer, e.g. hypercall.ret) the exit union as the
 * VMM left it is copied to answer. After the script, KVM_RUN reports a
 * KVM_SYSTEM_EVENT_SHUTDOWN (the guest powered off); other vCPUs report
 * KVM_EXIT_HLT. A kvm_run with immediate_exit set returns EINTR (api.rst).
 */
#define FAKE_KVM_MAX_SCRIPT 32
struct fake_kvm_exit {
	int err;              /* 0, or the errno KVM_RUN fails with */
	uint32_t reason;      /* KVM_EXIT_* */
	uint8_t data[64];     /* the exit union as KVM fills it */
	uint8_t answer[64];   /* out: the exit union when the VMM re-entered */
	bool answered;        /* out: the VMM re-entered after this exit */
};

/* A page-state change: KVM_EXIT_HYPERCALL, nr KVM_HC_MAP_GPA_RANGE, args gpa, npages, attrs. */
struct fake_kvm_exit fake_kvm_exit_map_gpa(uint64_t gpa, uint64_t npages, uint64_t attrs);
/* KVM_EXIT_MEMORY_FAULT (KVM_RUN fails with EFAULT). */
struct fake_kvm_exit fake_kvm_exit_memory_fault(uint64_t flags, uint64_t gpa, uint64_t size);
/* KVM_EXIT_SNP_REQ_CERTS (Linux 7.0). */
struct fake_kvm_exit fake_kvm_exit_req_certs(uint64_t gpa, uint64_t npages);
/* KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SEV_TERM, data[0] = the GHCB MSR value. */
struct fake_kvm_exit fake_kvm_exit_sev_term(uint64_t ghcb_msr);
/*
 * A port write (KVM_EXIT_IO, KVM_EXIT_IO_OUT, count 1) of size 1, 2 or 4
 * bytes: the data sits in the exit union just after struct io, where
 * io.data_offset points (inside kvm_run, as KVM's own page offset does).
 */
struct fake_kvm_exit fake_kvm_exit_pio_out(uint16_t port, uint8_t size, const void *bytes);
/* KVM_RUN interrupted by a signal (-EINTR). */
struct fake_kvm_exit fake_kvm_exit_eintr(void);
/* The answer's u64 at byte offset off of the exit union (hypercall.ret is at 56). */
uint64_t fake_kvm_answer_u64(const struct fake_kvm_exit *e, unsigned off);

/* One fallocate(2) or madvise(2) the VMM made through the ops. */
#define FAKE_KVM_MAX_RELEASES 32
struct fake_kvm_release {
	bool is_punch;        /* fallocate on a guest_memfd; else madvise on memory */
	int mode;             /* fallocate mode / madvise advice */
	uint64_t off, len;    /* guest_memfd offset / host address, bytes */
};

struct fake_kvm {
	struct kvm_ops ops;           /* ctx points here */
	struct sim_sp *sp;            /* borrowed */
	struct sim_guest *g;
	/* configuration */
	uint32_t vm_types;            /* KVM_CAP_VM_TYPES; default bits 0 and 4 */
	uint64_t vmsa_features;       /* KVM_X86_SEV_VMSA_FEATURES */
	unsigned max_pages;           /* pages per LAUNCH_UPDATE call (partial progress) */
	unsigned eagain_every;        /* every nth LAUNCH_UPDATE call returns EAGAIN (0: never) */
	uint32_t cpuid_flip_leaf1_ecx; /* bits flipped in the supported CPUID leaf 1 ECX */
	uint32_t cpuid_flip_all;      /* bits flipped in every register of every supported leaf */
	struct fake_kvm_fail fail[4];
	bool req_certs_attr;          /* KVM_X86_SEV_SNP_REQ_CERTS exists (Linux 7.0) */
	struct fake_kvm_exit script[FAKE_KVM_MAX_SCRIPT];
	unsigned nscript;             /* entries in script */
	/* state */
	struct { int kind; int idx; } fd[FAKE_KVM_MAX_FDS];
	unsigned nopen, nmaps;        /* fds and mappings the caller holds */
	unsigned open_calls, mmap_calls, mmap_run_calls, fallocate_calls, madvise_calls;
	bool vm, irqchip, exit_hc, init2, started, finished;
	uint64_t init2_features;
	uint64_t gmem_size[FAKE_KVM_MAX_SLOTS];
	unsigned ngmem;
	struct fake_slot slot[FAKE_KVM_MAX_SLOTS];
	struct fake_vcpu vcpu[FAKE_KVM_MAX_VCPUS];
	unsigned nvcpus;
	unsigned calls[256];          /* per ioctl nr (low byte) */
	unsigned sev_calls[128];      /* per SEV command id */
	unsigned update_calls;
	bool req_certs;               /* KVM_SEV_SNP_ENABLE_REQ_CERTS done */
	unsigned run_calls;           /* KVM_RUN on vCPU 0 */
	struct kvm_run *run[FAKE_KVM_MAX_VCPUS]; /* the mapped kvm_run of each vCPU */
	struct fake_kvm_release release[FAKE_KVM_MAX_RELEASES];
	unsigned nrelease;
	char why[320];                /* the last refusal */
};

/*
 * A fresh simulated secure processor (Milan, VCEK) for a fake: its state
 * directory in *dir. Release with fake_kvm_sim_close.
 */
struct sim_sp *fake_kvm_sim_open(char **dir);
void fake_kvm_sim_close(struct sim_sp *sp, char *dir);

/* Sets fk up on the sim sp (borrowed) with the defaults. */
void fake_kvm_init(struct fake_kvm *fk, struct sim_sp *sp);

/* Frees the sim guest and vCPU state (fds the caller leaked stay counted in nopen). */
void fake_kvm_fini(struct fake_kvm *fk);

/* Whether every page of [gpa, gpa + len) is private in the fake's attributes. */
bool fake_kvm_is_private(const struct fake_kvm *fk, uint64_t gpa, uint64_t len);

/* The sim guest's MEASUREMENT after LAUNCH_FINISH, or NULL. */
const uint8_t *fake_kvm_measurement(const struct fake_kvm *fk);

#endif
