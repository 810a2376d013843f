/*
 * platform-hostile: hostile values for the platform devices. Each of these
 * must be refused without harm, and the guest goes on: fw_cfg DMA buffers
 * outside RAM (0xc0000000), on the mailbox MMIO page (0xfeb00000), running
 * past the end of RAM (length 0xffffffff), wrapping the address space, a
 * DMA write (each must come back with the ERROR bit); a selector no item
 * has (reads 0); PCI configuration accesses at odd offsets, past offset
 * 0xff, at absent functions and to read-only IDs; a CMOS index with the NMI
 * bit. Then, with end=1 (the default), a DMA descriptor outside RAM, which
 * must stop the VM (the VMM cannot write a status there).
 * Exit: 0 never (end=0: 0 when every refusal was right); 1 a refusal was
 * wrong (printed); 2 the VM survived the descriptor outside RAM.
 */
#include "lib/guest.h"
#include "lib/platform.h"

static volatile struct fwcfg_dma desc;
static uint8_t buf[64];

static int expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	serial_puts("platform-hostile: ");
	serial_puts(what);
	serial_puts(": got ");
	serial_hex64(got);
	serial_puts(", want ");
	serial_hex64(want);
	serial_putc('\n');
	return 1;
}

static uint32_t dma_raw(uint32_t control, uint64_t addr, uint32_t len)
{
	desc.control = bswap32(control);
	desc.length = bswap32(len);
	desc.address = bswap64(addr);
	return fwcfg_dma_at(&desc, (uint64_t)(uintptr_t)&desc);
}

static int fw_cfg_refusals(void)
{
	const uint32_t sel_read = FWCFG_KEY_FILE_DIR << 16 | FWCFG_DMA_SELECT | FWCFG_DMA_READ;
	int bad = 0;

	bad |= expect("DMA to 0xc0000000", dma_raw(sel_read, 0xc0000000ull, 16), FWCFG_DMA_ERROR);
	bad |= expect("DMA to MMIO 0xfeb00000", dma_raw(sel_read, 0xfeb00000ull, 16),
		      FWCFG_DMA_ERROR);
	bad |= expect("DMA of 0xffffffff bytes", dma_raw(sel_read, (uintptr_t)buf, 0xffffffffu),
		      FWCFG_DMA_ERROR);
	bad |= expect("DMA wrapping the address space",
		      dma_raw(sel_read, 0xfffffffffffff000ull, 0x2000), FWCFG_DMA_ERROR);
	bad |= expect("DMA write", dma_raw(FWCFG_DMA_SELECT | 0x10, (uintptr_t)buf, 4),
		      FWCFG_DMA_ERROR);
	/* a key nothing holds: I/O reads 0, DMA reads zeros without error */
	fwcfg_select(0xffff);
	bad |= expect("read of key 0xffff", inb(FWCFG_DATA), 0);
	memset(buf, 0x55, sizeof(buf));
	bad |= expect("DMA read of key 0x3fff", dma_raw(0x3fffu << 16 | FWCFG_DMA_SELECT |
							FWCFG_DMA_READ, (uintptr_t)buf, 8), 0);
	bad |= expect("zeros from key 0x3fff", buf[0] | buf[7], 0);
	/* widths the combined port does not take: QEMU reads 0, drops writes */
	bad |= expect("32-bit read of 0x510", inl(FWCFG_SEL), 0);
	return bad;
}

static int pci_cmos_refusals(void)
{
	int bad = 0;

	outl(0xcf8, 0x800000ff); /* the low two bits are not part of the register */
	bad |= expect("CONFIG_ADDRESS read back", inl(0xcf8), 0x800000ff);
	bad |= expect("byte at 0xcff of 00:00.0 reg 0xfc", inb(0xcff), 0);
	bad |= expect("word at 0xcfe", inw(0xcfe), 0);
	bad |= expect("unaligned dword at 0xcfd (QEMU: 0)", inl(0xcfd), 0);
	outb(0xcf8, 0x12); /* a byte write to CONFIG_ADDRESS is not one */
	bad |= expect("CONFIG_ADDRESS after a byte write", inl(0xcf8), 0x800000ff);
	pci_write32(0, 0, 0, 0x12345678); /* vendor/device are read-only */
	bad |= expect("00:00.0 ID after a write", pci_read32(0, 0, 0), 0x12378086);
	bad |= expect("bus 255 31.7", pci_read32(0x1f, 7, 0) | 0, 0xffffffffu);
	outl(0xcf8, 0x80ff0000u);
	bad |= expect("bus 255 00.0", inl(0xcfc), 0xffffffffu);
	outl(0xcf8, 0x00000000u);
	bad |= expect("config access with the enable bit clear", inl(0xcfc), 0xffffffffu);
	outb(0x70, 0x80 | 0x34); /* NMI-disable bit set: still index 0x34 */
	bad |= expect("CMOS 0x34 through index 0xb4", inb(0x71), cmos_read(0x34));
	outb(0x70, 0xff);
	outb(0x71, 0xa5);
	bad |= expect("CMOS 0x7f as NVRAM", cmos_read(0x7f), 0xa5);
	return bad;
}

int guest_main(const struct guest *g)
{
	char v[8];

	if (fw_cfg_refusals() | pci_cmos_refusals())
		return 1;
	serial_puts("platform-hostile: every hostile value refused, guest still running\n");
	if (cmdline_opt(g->cmdline, "end", v, sizeof(v)) > 0 && v[0] == '0')
		return 0;
	serial_puts("platform-hostile: DMA descriptor at 0xc0000000\n");
	fwcfg_dma_at(&desc, 0xc0000000ull);
	return 2;
}
