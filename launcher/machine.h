/*
 * The machine: the devices a VM has, in the order launcher/machine.c lists
 * them. Each device is one file with an init/exit pair (and an optional poll,
 * run by the loop between time slices or by the watcher thread); its state
 * hangs off struct vm.
 */
#ifndef SNPVM_LAUNCHER_MACHINE_H
#define SNPVM_LAUNCHER_MACHINE_H

#include "util/err.h"

struct vm;

struct dev_ops {
	const char *name;
	/* Claims its I/O ranges and allocates its state. Returns 0 or an error. */
	int (*init)(struct vm *vm, struct snp_err *err);
	/* Releases what init made (also after a failed init). */
	void (*exit)(struct vm *vm);
	/* Host-side work between guest time slices (not on a vCPU thread); may be NULL. */
	void (*poll)(struct vm *vm);
};

extern const struct dev_ops serial_dev;
extern const struct dev_ops debug_exit_dev;
extern const struct dev_ops mailbox_dev;
extern const struct dev_ops report_channel_dev;
extern const struct dev_ops fw_cfg_dev;
extern const struct dev_ops pci_host_dev;
extern const struct dev_ops pm_timer_dev;
extern const struct dev_ops cmos_dev;
extern const struct dev_ops kbd_reset_dev;

/* Starts every device in order; on failure, the started ones exit in reverse order. */
int machine_init(struct vm *vm, struct snp_err *err) SNP_MUST_CHECK;

/* Every started device's exit, in reverse order. */
void machine_exit(struct vm *vm);

/* Every device's poll, in order. */
void machine_poll(struct vm *vm);

#endif
