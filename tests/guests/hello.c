/* hello: one line over the serial console, then exit 0. The smallest payload and the benchmark's guest. */
#include "lib/guest.h"

int guest_main(const struct guest *g)
{
	(void)g;
	serial_puts("hello from snpvm guest\n");
	return 0;
}
