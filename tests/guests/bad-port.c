/*
 * bad-port: 8-, 16- and 32-bit IN from a port nothing claims must read
 * all-ones (as on a PC bus and in QEMU), an OUT there is dropped, and the
 * guest continues: proves the VMM survives unclaimed port I/O.
 * Exit: 0 all-ones every time; 1 otherwise (prints what was read).
 */
#include "lib/guest.h"

#define UNCLAIMED_PORT 0x6000

int guest_main(const struct guest *g)
{
	uint8_t b;
	uint16_t w;
	uint32_t l;

	(void)g;
	outb(UNCLAIMED_PORT, 0xa5);
	b = inb(UNCLAIMED_PORT);
	w = inw(UNCLAIMED_PORT);
	l = inl(UNCLAIMED_PORT);
	if (b != 0xff || w != 0xffff || l != 0xffffffffu) {
		serial_puts("bad-port: in 0x6000 read ");
		serial_hex64(b);
		serial_putc(' ');
		serial_hex64(w);
		serial_putc(' ');
		serial_hex64(l);
		serial_puts(", expected all-ones\n");
		return 1;
	}
	serial_puts("bad-port: unclaimed port reads all-ones, guest still running\n");
	return 0;
}
