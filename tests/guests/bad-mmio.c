/*
 * bad-mmio: reads, then writes, a GPA that nothing backs (3 GiB, above RAM,
 * inside the identity map). The VMM must stop the guest and say which address
 * (snpvm launch exit status 5), not crash.
 * Exit: 1 if the guest is still running after both accesses (the VMM let it through).
 */
#include "lib/guest.h"

#define BAD_GPA 0xC0000000ul

int guest_main(const struct guest *g)
{
	volatile uint32_t *p = (volatile uint32_t *)BAD_GPA;
	uint32_t v;

	(void)g;
	serial_puts("bad-mmio: reading 0xc0000000\n");
	v = *p;
	serial_puts("bad-mmio: read returned ");
	serial_hex64(v);
	serial_puts(", writing\n");
	*p = 0x5a5a5a5a;
	serial_puts("bad-mmio: still running\n");
	return 1;
}
