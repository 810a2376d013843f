#include "launcher/machine.h"

#include "launcher/vm-state.h"

/* The boot order: read it here, nowhere else. */
static const struct dev_ops *const devices[] = {
	&serial_dev,         /* 16550 COM1 at 0x3f8: the console */
	&debug_exit_dev,     /* isa-debug-exit at 0xf4: how test guests end */
	&mailbox_dev,        /* guest-request mailbox (docs/guest-request-mailbox.md) */
	&report_channel_dev, /* host side of the report channel: a Unix socket */
	&fw_cfg_dev,         /* QEMU fw_cfg at 0x510 (I/O) and 0x514 (DMA) */
	&pci_host_dev,       /* i440FX config mechanism #1 at 0xcf8, reset control 0xcf9 */
	&pm_timer_dev,       /* PIIX4 ACPI PM block at 0xb000: PM timer, S5 power-off */
	&cmos_dev,           /* CMOS/RTC at 0x70: time, memory-size bytes */
	&kbd_reset_dev,      /* 8042 reset pulse (0xfe to 0x64) */
};

#define NDEVICES (sizeof(devices) / sizeof(devices[0]))

int machine_init(struct vm *vm, struct snp_err *err)
{
	int ret;

	for (vm->ndevs_up = 0; vm->ndevs_up < NDEVICES; vm->ndevs_up++) {
		const struct dev_ops *d = devices[vm->ndevs_up];

		if ((ret = d->init(vm, err)) != 0) {
			d->exit(vm);
			machine_exit(vm);
			return snp_err_prefix(err, "device %s: ", d->name);
		}
	}
	return 0;
}

void machine_exit(struct vm *vm)
{
	while (vm->ndevs_up > 0)
		devices[--vm->ndevs_up]->exit(vm);
}

void machine_poll(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevs_up; i++)
		if (devices[i]->poll)
			devices[i]->poll(vm);
}
