/*
 * gp: a load from a non-canonical address raises #GP (vector 13) on hardware,
 * KVM and Unicorn alike (a bad MSR would not: Unicorn reads unknown MSRs as 0).
 * With no IDT the VMM must report the fault and stop the guest (exit status 5).
 * Exit: 1 if execution continues past the load.
 */
#include "lib/guest.h"

#define NONCANONICAL 0x8000000000000000ul

int guest_main(const struct guest *g)
{
	uint64_t v;

	(void)g;
	serial_puts("gp: loading from non-canonical 0x8000000000000000\n");
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(NONCANONICAL) : "memory");
	serial_puts("gp: still running, read ");
	serial_hex64(v);
	serial_putc('\n');
	return 1;
}
