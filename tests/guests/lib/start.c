/*
 * From the entry registers to guest_main: reads the boot parameters when RSI
 * points at valid ones (magic and version), else uses the layout's defaults
 * (the PVH path under QEMU enters with RSI = 0), and ends the guest with
 * guest_main's return value.
 */
#include "guest.h"

__attribute__((noreturn)) void guest_start(uint64_t vcpu, uint64_t params_gpa);

__attribute__((noreturn)) void guest_start(uint64_t vcpu, uint64_t params_gpa)
{
	const volatile struct payload_boot_params *bp =
		(const volatile struct payload_boot_params *)(uintptr_t)params_gpa;
	struct guest g = {
		.vcpu = (unsigned)vcpu,
		.vcpus = 1,
		.channel_gpa = PAYLOAD_CHANNEL_GPA,
		.mailbox_gpa = PAYLOAD_MAILBOX_GPA,
		.cmdline = "",
	};

	if (params_gpa == PAYLOAD_BOOT_PARAMS_GPA && bp->magic == PAYLOAD_BOOT_MAGIC &&
	    bp->version == 1) {
		g.have_params = 1;
		if (bp->vcpus >= 1 && bp->vcpus <= PAYLOAD_MAX_VCPUS)
			g.vcpus = bp->vcpus;
		g.mem_size = bp->mem_size;
		g.channel_gpa = bp->channel_gpa;
		g.mailbox_gpa = bp->mailbox_gpa;
		/* The cmdline lies inside the boot parameters page; trust nothing else. */
		if (bp->cmdline_gpa > PAYLOAD_BOOT_PARAMS_GPA &&
		    bp->cmdline_gpa < PAYLOAD_BOOT_PARAMS_GPA + 0x1000 &&
		    bp->cmdline_len < PAYLOAD_BOOT_PARAMS_GPA + 0x1000 - bp->cmdline_gpa &&
		    ((const char *)(uintptr_t)bp->cmdline_gpa)[bp->cmdline_len] == '\0')
			g.cmdline = (const char *)(uintptr_t)bp->cmdline_gpa;
	}
	guest_exit((uint8_t)guest_main(&g));
}

__attribute__((noreturn)) void guest_exit(uint8_t v)
{
	outb(PAYLOAD_DEBUG_EXIT_PORT, v);
	/* Only reached without a debug-exit device: spin (never HLT, see guest.h). */
	for (;;)
		cpu_relax();
}
