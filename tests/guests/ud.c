/*
 * ud: executes UD2. With no IDT the #UD (vector 6) cannot be delivered; the
 * VMM must report the fault (vector, RIP, instruction bytes 0f 0b) and stop
 * the guest (snpvm launch exit status 5).
 * Exit: 1 if execution continues past UD2.
 */
#include "lib/guest.h"

int guest_main(const struct guest *g)
{
	(void)g;
	serial_puts("ud: executing ud2\n");
	__asm__ volatile("ud2" : : : "memory");
	serial_puts("ud: still running\n");
	return 1;
}
