/*
 * platform-reset: ends the VM the way OVMF and Linux reset or power off an
 * i440FX/PIIX4 machine, chosen by the cmdline: how=cf9 (0x06 to the reset
 * control register 0xcf9), how=kbd (0xfe to the 8042 at 0x64), how=s5
 * (PM1a_CNT at 0xb004: SLP_TYP 0 | SLP_EN, QEMU's _S5), how=s3 (SLP_TYP 1,
 * suspend, which snpvm refuses by ending the VM).
 * Exit: 1 unknown how=; 2 the VM survived the write.
 */
#include "lib/guest.h"
#include "lib/platform.h"

int guest_main(const struct guest *g)
{
	char how[8];

	if (cmdline_opt(g->cmdline, "how", how, sizeof(how)) <= 0)
		return 1;
	pci_write32(1, 3, 0x40, 0xb001); /* PMBA and PMIOSE, as OVMF does */
	pci_write32(1, 3, 0x80, 1);
	serial_puts("platform-reset: ");
	serial_puts(how);
	serial_putc('\n');
	if (memcmp(how, "cf9", 4) == 0)
		outb(0xcf9, 0x06);
	else if (memcmp(how, "kbd", 4) == 0)
		outb(0x64, 0xfe);
	else if (memcmp(how, "s5", 3) == 0)
		outw(0xb004, 0x2000);
	else if (memcmp(how, "s3", 3) == 0)
		outw(0xb004, 0x2000 | 1 << 10);
	else
		return 1;
	return 2;
}
