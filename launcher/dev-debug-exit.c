/*
 * QEMU's isa-debug-exit device at port 0xf4 (hw/misc/debugexit.c): a write
 * ends the guest with the low byte written as its exit value (QEMU exits
 * with (value << 1) | 1 for the same write). Test guests end this way, never
 * with HLT. Only a write at the first port counts; reads see all-ones.
 */
#include "launcher/machine.h"

#include "launcher/io.h"
#include "launcher/vm-state.h"

#define DEBUG_EXIT_NPORTS 4 /* outb, outw and outl at 0xf4 all land here */

static enum io_result debug_exit_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				    bool is_write, void *opaque)
{
	(void)len;
	(void)opaque;
	if (!is_write || off != 0)
		return IO_CONTINUE;
	vcpu_end(vcpu->vm, vcpu, VM_END_EXIT, -1, data[0],
		 "vCPU %u wrote 0x%02x to the debug-exit port", vcpu->idx, data[0]);
	return IO_STOP;
}

static int debug_exit_init(struct vm *vm, struct snp_err *err)
{
	return io_register(&vm->io, IO_PIO, PAYLOAD_DEBUG_EXIT_PORT, DEBUG_EXIT_NPORTS,
			   debug_exit_io, NULL, err);
}

static void debug_exit_exit(struct vm *vm)
{
	(void)vm;
}

const struct dev_ops debug_exit_dev = {
	.name = "debug-exit",
	.init = debug_exit_init,
	.exit = debug_exit_exit,
};
