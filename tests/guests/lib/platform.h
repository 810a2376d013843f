/*
 * Driving the platform devices the way OVMF does (edk2
 * OvmfPkg/Library/QemuFwCfgLib, OvmfPkg/Library/PciCf8Lib-style
 * mechanism #1): fw_cfg by I/O and by DMA, PCI configuration reads and
 * writes, CMOS bytes. Header-only (static inline) so only the guests that
 * include it carry the code; the others' bytes, and so their launch
 * measurements, do not change.
 */
#ifndef SNPVM_TESTS_GUESTS_LIB_PLATFORM_H
#define SNPVM_TESTS_GUESTS_LIB_PLATFORM_H

#include "guest.h"

#define FWCFG_SEL 0x510
#define FWCFG_DATA 0x511
#define FWCFG_DMA_HI 0x514
#define FWCFG_DMA_LO 0x518
#define FWCFG_KEY_SIGNATURE 0x00
#define FWCFG_KEY_ID 0x01
#define FWCFG_KEY_FILE_DIR 0x19
#define FWCFG_DMA_ERROR 0x01
#define FWCFG_DMA_READ 0x02
#define FWCFG_DMA_SKIP 0x04
#define FWCFG_DMA_SELECT 0x08

static inline uint32_t bswap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static inline uint64_t bswap64(uint64_t v)
{
	return __builtin_bswap64(v);
}

static inline void fwcfg_select(uint16_t key)
{
	outw(FWCFG_SEL, key);
}

static inline void fwcfg_read(void *buf, uint32_t n)
{
	uint8_t *p = buf;

	for (uint32_t i = 0; i < n; i++)
		p[i] = inb(FWCFG_DATA);
}

static inline uint32_t fwcfg_read_be32(void)
{
	uint32_t v;

	fwcfg_read(&v, 4);
	return bswap32(v);
}

/* FWCfgDmaAccess: every field big-endian. */
struct fwcfg_dma {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed, aligned(16)));

/* Points the device at d (a GPA; the guest's memory is identity-mapped); returns the control word after. */
static inline uint32_t fwcfg_dma_at(volatile struct fwcfg_dma *d, uint64_t gpa)
{
	barrier();
	outl(FWCFG_DMA_HI, bswap32((uint32_t)(gpa >> 32)));
	outl(FWCFG_DMA_LO, bswap32((uint32_t)gpa));
	barrier();
	return bswap32(d->control);
}

static inline uint32_t fwcfg_dma(volatile struct fwcfg_dma *d, uint32_t control, void *buf,
				 uint32_t len)
{
	d->control = bswap32(control);
	d->length = bswap32(len);
	d->address = bswap64((uint64_t)(uintptr_t)buf);
	return fwcfg_dma_at(d, (uint64_t)(uintptr_t)d);
}

static inline uint32_t pci_addr(unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc);
}

static inline uint32_t pci_read32(unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, pci_addr(dev, fn, reg));
	return inl(0xcfc);
}

static inline void pci_write32(unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(0xcf8, pci_addr(dev, fn, reg));
	outl(0xcfc, v);
}

static inline uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

#endif
