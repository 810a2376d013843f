/*
 * The PIIX4 ACPI power-management block at I/O port 0xb000 (0x40 ports),
 * as QEMU's hw/acpi/piix4.c and hw/acpi/core.c implement it and where
 * OVMF on i440FX programs it (edk2 OvmfPkg/OvmfPkgX64.dsc,
 * PcdAcpiPmBaseAddress 0xB000): the block does not move if the guest
 * writes another PMBA (launcher/dev-pci-host.c).
 *
 *   0xb000 PM1a_STS (16 bit, write 1 to clear)   0xb002 PM1a_EN (16 bit)
 *   0xb004 PM1a_CNT (16 bit)                     0xb008 PM_TMR (32-bit read)
 *
 * PM_TMR is the ACPI PM timer: 3.579545 MHz, 24 bits (FADT TMR_VAL_EXT
 * clear, as QEMU), counted from CLOCK_MONOTONIC since the VM was made, so
 * it never runs backwards. A PM1a_CNT write with SLP_EN (bit 13) ends the
 * VM (VM_END_SHUTDOWN): SLP_TYP 0 is QEMU's S5 (power off), 2 its S4, both
 * a power-off here; 1 (S3, suspend) is refused with the VM ended, snpvm
 * cannot resume a guest.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/endian.h"
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define PM_BASE 0xb000
#define PM_NPORTS 0x40
#define PM_TMR_HZ 3579545ull
#define PM_TMR_MASK 0xffffffu
#define PM1_CNT_SLP_EN 0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM_REGS 12 /* STS, EN, CNT, 2 reserved, TMR */

struct pm_timer {
	struct timespec start;
	uint8_t regs[PM_REGS]; /* STS 0..1, EN 2..3, CNT 4..5 */
};

static uint32_t pm_timer_ticks(const struct pm_timer *p)
{
	struct timespec now;
	uint64_t sec, nsec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_nsec < p->start.tv_nsec) {
		now.tv_nsec += 1000000000L;
		now.tv_sec--;
	}
	sec = (uint64_t)(now.tv_sec - p->start.tv_sec);
	nsec = (uint64_t)(now.tv_nsec - p->start.tv_nsec);
	return (uint32_t)((sec * PM_TMR_HZ + nsec * PM_TMR_HZ / 1000000000ull) & PM_TMR_MASK);
}

static enum io_result pm_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
			    bool is_write, void *opaque)
{
	struct pm_timer *p = opaque;
	uint8_t regs[PM_REGS];
	uint16_t cnt;

	if (!is_write) {
		memcpy(regs, p->regs, 8);
		le32_put(regs + 8, pm_timer_ticks(p));
		for (uint32_t i = 0; i < len && off + i < PM_REGS; i++)
			data[i] = regs[off + i];
		for (uint32_t i = 0; i < len && off + i >= PM_REGS; i++)
			data[i] = 0;
		return IO_CONTINUE;
	}
	for (uint32_t i = 0; i < len && off + i < 6; i++) {
		if (off + i < 2)
			p->regs[off + i] &= (uint8_t)~data[i]; /* STS: write 1 to clear */
		else
			p->regs[off + i] = data[i];
	}
	cnt = le16_get(p->regs + 4);
	if (!(cnt & PM1_CNT_SLP_EN))
		return IO_CONTINUE;
	p->regs[5] &= (uint8_t)~(PM1_CNT_SLP_EN >> 8); /* SLP_EN reads 0 */
	if (PM1_CNT_SLP_TYP(cnt) == 1)
		vcpu_end(vcpu->vm, vcpu, VM_END_SHUTDOWN, -1, 0,
			 "vCPU %u: the guest asked to suspend (S3), which snpvm does not do",
			 vcpu->idx);
	else
		vcpu_end(vcpu->vm, vcpu, VM_END_SHUTDOWN, -1, 0,
			 "vCPU %u: the guest asked to power off (ACPI SLP_TYP %u)", vcpu->idx,
			 PM1_CNT_SLP_TYP(cnt));
	return IO_STOP;
}

static int pm_init(struct vm *vm, struct snp_err *err)
{
	struct pm_timer *p = calloc(1, sizeof(*p));

	if (!p)
		return snp_errf(err, SNP_E_NOMEM, "state");
	vm->pm = p;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	return io_register(&vm->io, IO_PIO, PM_BASE, PM_NPORTS, pm_io, p, err);
}

static void pm_exit(struct vm *vm)
{
	free(vm->pm);
	vm->pm = NULL;
}

const struct dev_ops pm_timer_dev = {
	.name = "pm-timer",
	.init = pm_init,
	.exit = pm_exit,
};
