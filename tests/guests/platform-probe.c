/*
 * platform-probe: reads the platform devices the way OVMF does and prints
 * one canonical line per fact, so that snpvm's devices and QEMU's `pc`
 * machine can be compared line by line (tests/launcher/test-launch-sim.c,
 * tests/launcher/test-guests-qemu.c): fw_cfg signature, ID and etc/e820
 * through the I/O ports and again through DMA, the DMA port's signature, the
 * PCI IDs at 00:00.0 and an absent slot, the CMOS memory-size bytes, and the
 * ACPI PM timer (after programming PMBA = 0xb000 at 00:01.3, as OVMF does
 * on i440FX) running forward.
 * Exit: 0 all read; 1 a fw_cfg item missing or unreadable; 2 DMA and I/O
 * disagree or DMA reported an error; 3 the PM timer did not move forward.
 */
#include "lib/guest.h"
#include "lib/platform.h"

#define E820_MAX 8
#define PM_TMR 0xb008

static volatile struct fwcfg_dma desc;
static uint8_t e820_io[E820_MAX * 20], e820_dma[E820_MAX * 20];

static void put_hex(const char *label, uint64_t v)
{
	serial_puts(label);
	serial_hex64(v);
	serial_putc('\n');
}

/* The FILE_DIR entry called name: its key and size. Returns 0, or 1 if absent. */
static int find_file(const char *name, uint16_t *key, uint32_t *size)
{
	uint32_t n;

	fwcfg_select(FWCFG_KEY_FILE_DIR);
	n = fwcfg_read_be32();
	for (uint32_t i = 0; i < n && i < 64; i++) {
		uint8_t e[64];

		fwcfg_read(e, sizeof(e));
		if (memcmp(e + 8, name, strlen(name) + 1) == 0) {
			*size = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 |
				e[3];
			*key = (uint16_t)(e[4] << 8 | e[5]);
			return 0;
		}
	}
	return 1;
}

static int probe_fw_cfg(void)
{
	char sig[5] = { 0 };
	uint8_t id[4], dmasig[9] = { 0 };
	uint32_t size, ctl;
	uint16_t key;

	fwcfg_select(FWCFG_KEY_SIGNATURE);
	fwcfg_read(sig, 4);
	serial_puts("fw_cfg signature ");
	serial_puts(sig);
	serial_putc('\n');
	fwcfg_select(FWCFG_KEY_ID);
	fwcfg_read(id, 4);
	put_hex("fw_cfg id ", id[0] | (uint32_t)id[1] << 8);
	for (int i = 0; i < 8; i++)
		dmasig[i] = inb((uint16_t)(FWCFG_DMA_HI + i));
	serial_puts("fw_cfg dma port reads ");
	serial_puts((const char *)dmasig);
	serial_putc('\n');
	if (find_file("etc/e820", &key, &size) != 0 || size % 20 || size > sizeof(e820_io)) {
		serial_puts("fw_cfg etc/e820 missing or too big\n");
		return 1;
	}
	fwcfg_select(key);
	fwcfg_read(e820_io, size);
	for (uint32_t i = 0; i < size; i += 20) {
		uint64_t addr, len;
		uint32_t type;

		memcpy(&addr, e820_io + i, 8);
		memcpy(&len, e820_io + i + 8, 8);
		memcpy(&type, e820_io + i + 16, 4);
		if (addr >= 0x100000000ull || type != 1)
			continue; /* RAM below 4 GiB is what must match */
		serial_puts("e820 ram ");
		serial_hex64(addr);
		serial_putc(' ');
		serial_hex64(len);
		serial_putc('\n');
	}
	/* the same file by DMA: select + read, then a skip + read of its tail */
	ctl = fwcfg_dma(&desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ, e820_dma,
			size);
	if (ctl != 0 || memcmp(e820_io, e820_dma, size) != 0) {
		put_hex("fw_cfg DMA read of etc/e820 differs, control ", ctl);
		return 2;
	}
	memset(e820_dma, 0xaa, sizeof(e820_dma));
	ctl = fwcfg_dma(&desc, (uint32_t)key << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_SKIP, NULL, 8);
	ctl |= fwcfg_dma(&desc, FWCFG_DMA_READ, e820_dma, size - 8 + 4);
	if (ctl != 0 || memcmp(e820_io + 8, e820_dma, size - 8) != 0 ||
	    memcmp(e820_dma + size - 8, "\0\0\0\0", 4) != 0) {
		put_hex("fw_cfg DMA skip/read past the end is wrong, control ", ctl);
		return 2;
	}
	serial_puts("fw_cfg dma matches io\n");
	return 0;
}

static void probe_pci_cmos(void)
{
	static const uint8_t mem_bytes[] = { 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35,
					     0x5b, 0x5c, 0x5d };

	put_hex("pci 00:00.0 id ", pci_read32(0, 0, 0));
	put_hex("pci 00:00.0 class ", pci_read32(0, 0, 8) >> 8);
	put_hex("pci 00:01.3 id ", pci_read32(1, 3, 0));
	put_hex("pci 00:05.0 id ", pci_read32(5, 0, 0));
	for (unsigned i = 0; i < sizeof(mem_bytes); i++) {
		serial_puts("cmos ");
		serial_hex64(mem_bytes[i]);
		serial_putc(' ');
		serial_hex64(cmos_read(mem_bytes[i]));
		serial_putc('\n');
	}
}

/* PMBA = 0xb000 and PMIOSE at 00:01.3, then the 24-bit timer must move forward. */
static int probe_pm_timer(void)
{
	uint32_t first, prev, now, moved = 0;

	pci_write32(1, 3, 0x40, 0xb001);
	pci_write32(1, 3, 0x80, pci_read32(1, 3, 0x80) | 1);
	first = prev = inl(PM_TMR) & 0xffffff;
	for (int i = 0; i < 2000000 && moved < 3579545 / 1000; i++) {
		now = inl(PM_TMR) & 0xffffff;
		uint32_t d = (now - prev) & 0xffffff;

		if (d > 0x800000) {
			put_hex("pm timer went backwards from ", prev);
			return 3;
		}
		moved += d;
		prev = now;
	}
	(void)first;
	if (moved < 3579545 / 1000) {
		put_hex("pm timer moved only ", moved);
		return 3;
	}
	serial_puts("pm timer runs forward\n");
	return 0;
}

int guest_main(const struct guest *g)
{
	int ret;

	(void)g;
	if ((ret = probe_fw_cfg()) != 0)
		return ret;
	probe_pci_cmos();
	if ((ret = probe_pm_timer()) != 0)
		return ret;
	serial_puts("platform-probe: done\n");
	return 0;
}
