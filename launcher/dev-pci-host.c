/*
 * The i440FX PCI host bridge and its configuration mechanism #1 (PCI Local
 * Bus spec 3.0 §3.2.2.3.2): CONFIG_ADDRESS is the dword at 0xcf8, the data
 * window 0xcfc..0xcff. snpvm models the chipset of QEMU's `pc` machine
 * because OVMF picks its platform code by the device ID at 00:00.0 (edk2
 * OvmfPkg/PlatformPei/Platform.c: 0x1237 i440FX, 0x29C0 Q35) and i440FX
 * needs the least: no PCIe MMCONFIG window, no LPC bridge, no SMRAM
 * lock-down. The functions (QEMU hw/pci-host/i440fx.c, hw/isa/piix.c,
 * hw/acpi/piix4.c):
 *
 *   00:00.0 i440FX host bridge, 8086:1237 rev 02: PAM0..6 (0x59..0x5f) and
 *           SMRAM (0x72) read back what is written
 *   00:01.0 PIIX3 ISA bridge, 8086:7000, multi-function header
 *   00:01.3 PIIX4 power management, 8086:7113: PMBA (0x40) and PMREGMISC
 *           (0x80) read back what is written; the PM block itself stays at
 *           0xb000 (launcher/dev-pm-timer.c), where OVMF puts it
 *
 * Every other bus/device/function reads all-ones and drops writes; so do
 * the read-only bytes. Accesses are checked: only a dword access at 0xcf8
 * is CONFIG_ADDRESS, a data access that would run past offset 0xff reads
 * all-ones beyond it; nothing indexes outside the 256-byte spaces.
 *
 * The byte at 0xcf9 is the PIIX3 reset control register (QEMU hw/isa/piix.c,
 * rcr_write): a byte write with bit 2 set ends the VM as a reset
 * (VM_END_SHUTDOWN; snpvm never reboots a guest).
 */
#include <stdlib.h>
#include <string.h>

#include "abi/endian.h"
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define PCI_CONF_PORT 0xcf8
/* 0xcf8..0xcff, and 0xd00 so that an access running off the window's end reaches us */
#define PCI_CONF_NPORTS 9
#define PCI_CONF_END 8
#define PCI_CONF_ENABLE 0x80000000u
#define PCI_CFG_SIZE 256
#define RCR_OFF 1           /* 0xcf9 */
#define RCR_RESET 0x04

struct pci_fn {
	uint8_t devfn; /* device << 3 | function */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
};

#define PCI_NFNS 3

struct pci_host {
	uint32_t addr; /* CONFIG_ADDRESS */
	uint8_t rcr;
	struct pci_fn fn[PCI_NFNS];
};

static void fn_setup(struct pci_fn *f, uint8_t dev, uint8_t func, uint16_t device, uint8_t rev,
		     uint32_t class, uint8_t header)
{
	f->devfn = (uint8_t)(dev << 3 | func);
	le16_put(f->cfg + 0x00, 0x8086);
	le16_put(f->cfg + 0x02, device);
	f->cfg[0x08] = rev;
	f->cfg[0x09] = (uint8_t)class;
	f->cfg[0x0a] = (uint8_t)(class >> 8);
	f->cfg[0x0b] = (uint8_t)(class >> 16);
	f->cfg[0x0e] = header;
}

static struct pci_fn *pci_lookup(struct pci_host *p, uint32_t addr)
{
	if (!(addr & PCI_CONF_ENABLE) || ((addr >> 16) & 0xff) != 0)
		return NULL;
	for (unsigned i = 0; i < PCI_NFNS; i++)
		if (p->fn[i].devfn == ((addr >> 8) & 0xff))
			return &p->fn[i];
	return NULL;
}

static enum io_result pci_host_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				 bool is_write, void *opaque)
{
	struct pci_host *p = opaque;
	struct pci_fn *f;
	unsigned reg;

	if (off < 4) {
		if (off == 0 && len == 4) {
			if (is_write)
				p->addr = le32_get(data);
			else
				le32_put(data, p->addr);
		} else if (off == RCR_OFF && len == 1) {
			if (!is_write) {
				data[0] = p->rcr;
			} else if (data[0] & RCR_RESET) {
				vcpu_end(vcpu->vm, vcpu, VM_END_SHUTDOWN, -1, 0,
					 "vCPU %u: the guest asked for a reset (0x%02x to port 0xcf9)",
					 vcpu->idx, data[0]);
				return IO_STOP;
			} else {
				p->rcr = data[0] & 0x02;
			}
		}
		return IO_CONTINUE; /* other widths there: all-ones, dropped */
	}
	if (off == PCI_CONF_END)
		return IO_CONTINUE; /* 0xd00 itself: nobody's, all-ones */
	if ((off - 4) & (len - 1)) {
		/* unaligned in the data window: QEMU refuses it, a read gives 0 */
		if (!is_write)
			memset(data, 0, len);
		return IO_CONTINUE;
	}
	if (!(f = pci_lookup(p, p->addr)))
		return IO_CONTINUE;
	reg = (p->addr & 0xfc) + (unsigned)(off - 4);
	for (uint32_t i = 0; i < len && off - 4 + i < 4 && reg + i < PCI_CFG_SIZE; i++) {
		if (is_write)
			f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~f->wmask[reg + i]) |
						    (data[i] & f->wmask[reg + i]));
		else
			data[i] = f->cfg[reg + i];
	}
	return IO_CONTINUE;
}

static int pci_host_init(struct vm *vm, struct snp_err *err)
{
	struct pci_host *p = calloc(1, sizeof(*p));
	struct pci_fn *host, *isa, *pm;

	if (!p)
		return snp_errf(err, SNP_E_NOMEM, "state");
	vm->pci = p;
	host = &p->fn[0];
	isa = &p->fn[1];
	pm = &p->fn[2];
	fn_setup(host, 0, 0, 0x1237, 0x02, 0x060000, 0x00);
	memset(host->wmask + 0x59, 0xff, 7); /* PAM0..PAM6 */
	host->cfg[0x72] = 0x02;                /* SMRAM: C_BASE_SEG = 010b */
	host->wmask[0x72] = 0x78;              /* D_OPEN, D_CLS, D_LCK, G_SMRAME */
	fn_setup(isa, 1, 0, 0x7000, 0x00, 0x060100, 0x80);
	fn_setup(pm, 1, 3, 0x7113, 0x03, 0x068000, 0x00);
	pm->cfg[0x40] = 0x01; /* PMBA: I/O space indicator */
	pm->wmask[0x40] = 0xc0;
	pm->wmask[0x41] = 0xff;
	pm->wmask[0x80] = 0x01; /* PMREGMISC: PMIOSE */
	return io_register(&vm->io, IO_PIO, PCI_CONF_PORT, PCI_CONF_NPORTS, pci_host_io, p, err);
}

static void pci_host_exit(struct vm *vm)
{
	free(vm->pci);
	vm->pci = NULL;
}

const struct dev_ops pci_host_dev = {
	.name = "pci-host",
	.init = pci_host_init,
	.exit = pci_host_exit,
};
