/*
 * From the entry registers to guest_main: reads the boot parameters when RSI
 * points at valid ones (magic and version), else uses the layout's defaults
 * (the PVH path under QEMU enters with RSI = 0 and brings its own command
 * line), and ends the guest with guest_main's return value.
 */
#include "guest.h"
#include "pvh.h"

#define PVH_CMDLINE_OFF 24 /* hvm_start_info.cmdline_paddr */

/*
 * Under PVH: the QEMU -append command line, copied by vCPU 0 before anything
 * (the AP trampoline) can overwrite low memory, and "vcpus=N" from it as the
 * vCPU count the boot parameters would give (1 + at most PVH_MAX_APS).
 */
static char pvh_cmdline[256];
static unsigned pvh_vcpus = 1;

static void pvh_read_start_info(void)
{
	const volatile uint8_t *si = (const volatile uint8_t *)(uintptr_t)pvh_start_info;
	const volatile char *cl;
	char buf[8];
	uint64_t n;
	size_t i;

	if (*(const volatile uint32_t *)si != PVH_START_MAGIC)
		return;
	cl = (const volatile char *)(uintptr_t)*(const volatile uint64_t *)(si + PVH_CMDLINE_OFF);
	for (i = 0; cl && i + 1 < sizeof(pvh_cmdline) && cl[i]; i++)
		pvh_cmdline[i] = cl[i];
	pvh_cmdline[i] = '\0';
	if (cmdline_opt(pvh_cmdline, "vcpus", buf, sizeof(buf)) == 1 && dec_parse(buf, &n) == 0 &&
	    n >= 1 && n <= 1 + PVH_MAX_APS)
		pvh_vcpus = (unsigned)n;
}

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
	} else if (pvh_start_info) {
		if (vcpu == 0)
			pvh_read_start_info();
		g.pvh = 1;
		g.vcpus = pvh_vcpus;
		g.cmdline = pvh_cmdline;
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
