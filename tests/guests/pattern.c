/*
 * pattern: "0123456789abcdef\n" 16384 times (272 KiB) over the serial
 * console, then exit 0. Long enough to cross hundreds of the emu
 * accelerator's time slices while nearly every instruction is port I/O: a
 * VMM that loses or repeats a port access at a slice boundary shows it as a
 * line that is not the pattern.
 */
#include "lib/guest.h"

#define PATTERN_LINES 16384

int guest_main(const struct guest *g)
{
	(void)g;
	for (int i = 0; i < PATTERN_LINES; i++)
		serial_puts("0123456789abcdef\n");
	return 0;
}
