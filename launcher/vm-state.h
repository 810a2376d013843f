/*
 * struct vm as the VM core's own files see it (vm.c, vcpu.c, the
 * accelerators and the devices). The launcher uses launcher/vm.h only.
 */
#ifndef SNPVM_LAUNCHER_VM_STATE_H
#define SNPVM_LAUNCHER_VM_STATE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "launcher/io.h"
#include "launcher/vcpu.h"
#include "launcher/vm.h"
#include "measure/payload.h"

struct accel_ops;
struct guest_mem;
struct serial;
struct mailbox;
struct report_channel;
struct fw_cfg;
struct pci_host;
struct cmos;
struct pm_timer;

struct vm {
	struct vm_config cfg;
	struct guest_mem *mem;            /* borrowed */
	const struct accel_ops *accel;
	void *accel_vm;                   /* the accelerator's per-VM state */
	struct snp_err accel_why_not;     /* "auto" passed kvm over: why */
	struct vcpu vcpu[PAYLOAD_MAX_VCPUS];
	unsigned nvcpus;
	unsigned nvcpus_up;               /* vcpu_init done for 0..nvcpus_up-1 */
	unsigned ndevs_up;                /* machine devices initialised */
	struct io_registry io;
	pthread_mutex_t io_lock;          /* I/O dispatch and device state (kvm: vCPU threads) */
	pthread_mutex_t end_lock;         /* the result, until ended is set */
	volatile sig_atomic_t stop_requested; /* vm_stop() */
	atomic_bool ended;
	atomic_uint nhalted;
	bool has_run;
	struct vm_result result;          /* the outcome, under lock until ended */
	uint64_t serial_bytes;
	uint64_t channel_requests;
	/* device state (launcher/machine.c lists the devices) */
	struct serial *serial;
	struct mailbox *mailbox;
	struct report_channel *channel;
	struct fw_cfg *fw_cfg;
	struct pci_host *pci;
	struct cmos *cmos;
	struct pm_timer *pm;
};

#endif
