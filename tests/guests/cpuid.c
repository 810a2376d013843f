/*
 * cpuid: the CPUID instruction answers with the launch's CPUID page (the boot
 * parameters' cpuid_gpa, filled by the security backend at launch). For every
 * entry of the page, CPUID with its EAX_IN and ECX_IN must return its EAX,
 * EBX, ECX and EDX, except the APIC ID fields (leaf 1 EBX[31:24], leaf 0xB
 * EDX), which are the vCPU's. The emu accelerator gives the page's values;
 * kvm gives the host's CPUID, so this guest is for emu.
 * Page layout: SEV-SNP ABI spec 56860, "CPUID Function Structure" (abi/cpuid-page.h).
 * Exit: 0 every entry matched; 1 a mismatch (printed); 2 no boot parameters or a bad page.
 */
#include "lib/guest.h"

#define CPUID_HDR 16
#define CPUID_ENTRY 48
#define CPUID_MAX 64

static uint32_t rd32(const volatile uint8_t *p)
{
	return *(const volatile uint32_t *)p;
}

int guest_main(const struct guest *g)
{
	const volatile struct payload_boot_params *bp =
		(const volatile struct payload_boot_params *)(uintptr_t)PAYLOAD_BOOT_PARAMS_GPA;
	const volatile uint8_t *page;
	uint32_t n;

	if (!g->have_params || bp->cpuid_gpa == 0 || bp->cpuid_gpa % 0x1000) {
		serial_puts("cpuid: no CPUID page in the boot parameters\n");
		return 2;
	}
	page = (const volatile uint8_t *)(uintptr_t)bp->cpuid_gpa;
	n = rd32(page);
	if (n == 0 || n > CPUID_MAX) {
		serial_puts("cpuid: bad entry count\n");
		return 2;
	}
	for (uint32_t i = 0; i < n; i++) {
		const volatile uint8_t *e = page + CPUID_HDR + i * CPUID_ENTRY;
		uint32_t want[4] = { rd32(e + 0x18), rd32(e + 0x1c), rd32(e + 0x20), rd32(e + 0x24) };
		uint32_t got[4];

		__asm__ volatile("cpuid"
				 : "=a"(got[0]), "=b"(got[1]), "=c"(got[2]), "=d"(got[3])
				 : "a"(rd32(e)), "c"(rd32(e + 4)));
		if (rd32(e) == 1) {
			want[1] &= 0x00ffffffu;
			got[1] &= 0x00ffffffu;
		} else if (rd32(e) == 0xb) {
			want[3] = got[3];
		}
		for (int r = 0; r < 4; r++) {
			if (got[r] != want[r]) {
				serial_puts("cpuid: leaf ");
				serial_hex64(rd32(e));
				serial_puts(" register ");
				serial_dec((uint64_t)r);
				serial_puts(": got ");
				serial_hex64(got[r]);
				serial_puts(", the CPUID page says ");
				serial_hex64(want[r]);
				serial_puts("\n");
				return 1;
			}
		}
	}
	serial_puts("cpuid: ");
	serial_dec(n);
	serial_puts(" leaves as the CPUID page says\n");
	return 0;
}
