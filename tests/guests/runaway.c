/*
 * runaway: prints one line and loops forever without exiting or halting; only
 * --timeout (exit status 6) or a signal (7) ends it.
 */
#include "lib/guest.h"

int guest_main(const struct guest *g)
{
	(void)g;
	serial_puts("runaway: looping forever\n");
	for (;;)
		barrier();
}
