/*
 * smp: every vCPU reports in ("vcpu N in"), the last one in says so, and the
 * bootstrap processor (vCPU 0) exits 0 once all boot-parameter vCPUs have
 * reported. APs then spin with PAUSE (never HLT; the BSP ends the guest).
 * The counter is a locked add; the emu accelerator runs vCPUs round-robin on
 * one thread, KVM in parallel: both must see every vCPU exactly once.
 * Under QEMU (PVH) the count comes from -append "vcpus=N" and vCPU 0 starts
 * the others with INIT-SIPI-SIPI (lib/pvh.c).
 * Exit: 0 all in; 1 the BSP's bounded wait ran out (prints how many came).
 */
#include "lib/guest.h"
#include "lib/pvh.h"

/*
 * The BSP's wait, bounded by the time-stamp counter (~11 s at 3 GHz; TCG and
 * Unicorn derive RDTSC from the host's clock) and, should the TSC stand still,
 * by an iteration count. PAUSE under TCG costs microseconds, so a pure
 * iteration bound long enough for KVM would take minutes there. ~3 s was too
 * short: CI under an ASan build on two loaded cores once saw QEMU's TCG AP
 * miss it. The wait only ends early on success, so a long bound costs nothing.
 */
#define BSP_WAIT_TSC (1ull << 35)
#define BSP_WAIT_SPINS (1ul << 30)

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static volatile unsigned arrived;
static volatile unsigned print_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1u, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0u, __ATOMIC_RELEASE);
}

int guest_main(const struct guest *g)
{
	unsigned n;

	/* Under snpvm every vCPU starts at the entry; under PVH the BSP starts the others. */
	if (g->pvh && g->vcpu == 0 && g->vcpus > 1)
		pvh_start_aps();
	lock();
	serial_puts("vcpu ");
	serial_dec(g->vcpu);
	serial_puts(" in\n");
	n = __atomic_add_fetch(&arrived, 1u, __ATOMIC_ACQ_REL);
	if (n == g->vcpus) {
		serial_puts("all ");
		serial_dec(n);
		serial_puts(" vcpus in, last vcpu ");
		serial_dec(g->vcpu);
		serial_putc('\n');
	}
	unlock();
	if (g->vcpu != 0) {
		for (;;)
			cpu_relax();
	}
	for (uint64_t i = 0, t0 = rdtsc(); i < BSP_WAIT_SPINS && rdtsc() - t0 < BSP_WAIT_TSC; i++) {
		if (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) == g->vcpus) {
			/*
			 * The last vCPU in counts before it prints "all ... in" under the
			 * print lock: take the lock once so that line is out before the
			 * exit ends the VM (CI once saw QEMU stop after "all ").
			 */
			lock();
			unlock();
			return 0;
		}
		cpu_relax();
	}
	lock();
	serial_puts("smp: only ");
	serial_dec(__atomic_load_n(&arrived, __ATOMIC_ACQUIRE));
	serial_puts(" of ");
	serial_dec(g->vcpus);
	serial_puts(" vcpus came in\n");
	unlock();
	return 1;
}
