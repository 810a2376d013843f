/*
 * Application processors under PVH: the BSP copies the real-mode trampoline
 * (lib/pvh.S) to PVH_TRAMPOLINE_GPA and sends INIT, then two STARTUP IPIs to
 * all processors but itself through the local APIC's ICR, as Intel SDM vol. 3
 * §8.4.4.1 (the MP initialization example) does. The delays are spins:
 * QEMU delivers the IPIs at once; they only order the writes.
 */
#include "guest.h"
#include "pvh.h"

#define LAPIC_GPA 0xFEE00000ul
#define LAPIC_SVR 0x0F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_SVR_ENABLE 0x100
#define ICR_BUSY (1u << 12)
#define ICR_INIT_ALL_BUT_SELF 0x000C4500u    /* shorthand 3, level assert, INIT */
#define ICR_STARTUP_ALL_BUT_SELF 0x000C4600u /* shorthand 3, level assert, STARTUP | vector */

extern const uint8_t pvh_trampoline[], pvh_trampoline_end[];

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_GPA + reg) = v;
}

static uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC_GPA + reg);
}

static void spin(unsigned long n)
{
	while (n--)
		cpu_relax();
}

static void send_ipi(uint32_t icr)
{
	lapic_write(LAPIC_ICR_LO, icr);
	for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY); i++)
		cpu_relax();
}

void pvh_start_aps(void)
{
	memcpy((void *)PVH_TRAMPOLINE_GPA, pvh_trampoline,
	       (size_t)(pvh_trampoline_end - pvh_trampoline));
	barrier();
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | LAPIC_SVR_ENABLE);
	send_ipi(ICR_INIT_ALL_BUT_SELF);
	spin(10000);
	send_ipi(ICR_STARTUP_ALL_BUT_SELF | (PVH_TRAMPOLINE_GPA >> 12));
	spin(1000);
	send_ipi(ICR_STARTUP_ALL_BUT_SELF | (PVH_TRAMPOLINE_GPA >> 12));
}
