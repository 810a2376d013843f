/*
 * The one thing snpvm's guests may want from the 8042 keyboard controller:
 * the reset pulse. A write of 0xfe (pulse output line 0, the CPU reset) to
 * port 0x64 ends the VM as a reset (VM_END_SHUTDOWN), as QEMU's
 * hw/input/pckbd.c resets the machine; Linux tries it among its reboot
 * methods (arch/x86/kernel/reboot.c, BOOT_KBD). Every other write is
 * dropped and reads see all-ones, which Linux's i8042 probe takes for "no
 * controller". Port 0x60 stays unclaimed.
 */
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define KBD_CMD_PORT 0x64
#define KBD_CMD_RESET 0xfe

static enum io_result kbd_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write, void *opaque)
{
	(void)off;
	(void)opaque;
	if (!is_write || len != 1 || data[0] != KBD_CMD_RESET)
		return IO_CONTINUE;
	vcpu_end(vcpu->vm, vcpu, VM_END_SHUTDOWN, -1, 0,
		 "vCPU %u: the guest asked for a reset (0xfe to port 0x64)", vcpu->idx);
	return IO_STOP;
}

static int kbd_init(struct vm *vm, struct snp_err *err)
{
	return io_register(&vm->io, IO_PIO, KBD_CMD_PORT, 1, kbd_io, NULL, err);
}

static void kbd_exit(struct vm *vm)
{
	(void)vm;
}

const struct dev_ops kbd_reset_dev = {
	.name = "kbd-reset",
	.init = kbd_init,
	.exit = kbd_exit,
};
