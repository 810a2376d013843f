/*
 * The `emu` accelerator: each vCPU is one Unicorn engine (x86-64, Unicorn
 * 2.0.1 as Debian ships it) sharing guest RAM with the VMM through
 * uc_mem_map_ptr. Engines run round-robin on one guest thread in time
 * slices (launcher/vm.c). Guest events reach the run loop's vcpu_handle_exit() from hooks:
 *
 *   IN/OUT             UC_HOOK_INSN (UC_X86_INS_IN / UC_X86_INS_OUT)
 *   MMIO               each claimed MMIO range is mapped as a VMM-owned page
 *                      with UC_HOOK_MEM_READ|WRITE range hooks; the read hook
 *                      runs before the load and stores the device's answer
 *                      into the page (uc_mmio_map would split an 8-byte access
 *                      into two 4-byte calls)
 *   CPUID              UC_HOOK_INSN (UC_X86_INS_CPUID), when the VM has the
 *                      launch's CPUID page: its entry for the leaf
 *   exceptions         UC_HOOK_INTR with the vector (Unicorn never delivers
 *                      through the IDT or reports a triple fault)
 *   unmapped GPAs      UC_HOOK_MEM_UNMAPPED (a non-canonical address: #GP, as
 *                      the CPU raises it)
 *
 * HLT and the end of a slice both return UC_ERR_OK from uc_emu_start; a
 * return the code hook did not ask for, with HLT just before RIP, is HLT. A slice
 * ends at an instruction boundary when the watcher asks (emu_tick, emu_kick,
 * hook_code), never by Unicorn's own timeout.
 * Unicorn 2.0.1 needs virtual = physical (identity paging), which the
 * payload boot gives (docs/launch-layout.md).
 *
 * libunicorn is loaded on the first use of emu (util/dl.h), not linked:
 * loading it costs ~11 ms (45,000 relocations of a 19 MB library), which
 * every command, `snpvm --version` included, paid when it was linked. Only
 * its header is used at build time. Calls go through struct uc_api; the
 * header's uc_ctl_* macros expand to uc_ctl, so they are spelt out as
 * api->ctl calls with the same arguments.
 */
#include "launcher/accel.h"

#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <unicorn/unicorn.h>

#include "abi/cpuid-page.h"
#include "launcher/guest-mem.h"
#include "util/dl.h"
#include "launcher/vcpu.h"
#include "launcher/vm-state.h"

#define EMU_PAGE 0x1000ull
#define MSR_EFER 0xC0000080u
#define CR0_PE 0x1ull

#define UC_SONAME "libunicorn.so.2"
#define UC_DEBIAN_PACKAGE "libunicorn2"

/* The libunicorn functions emu calls, resolved from UC_SONAME. */
struct uc_api {
	void *handle;
	uc_err (*open)(uc_arch arch, uc_mode mode, uc_engine **uc);
	uc_err (*close)(uc_engine *uc);
	uc_err (*ctl)(uc_engine *uc, uc_control_type control, ...);
	uc_err (*emu_start)(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout,
			    size_t count);
	uc_err (*emu_stop)(uc_engine *uc);
	uc_err (*hook_add)(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user_data,
			   uint64_t begin, uint64_t end, ...);
	uc_err (*mem_map_ptr)(uc_engine *uc, uint64_t address, size_t size, uint32_t perms,
			      void *ptr);
	uc_err (*mem_read)(uc_engine *uc, uint64_t address, void *bytes, size_t size);
	uc_err (*reg_read)(uc_engine *uc, int regid, void *value);
	uc_err (*reg_write)(uc_engine *uc, int regid, const void *value);
	const char *(*strerror)(uc_err code);
};

static const char *const uc_api_names[] = {
	"uc_open", "uc_close", "uc_ctl", "uc_emu_start", "uc_emu_stop", "uc_hook_add",
	"uc_mem_map_ptr", "uc_mem_read", "uc_reg_read", "uc_reg_write", "uc_strerror",
};

/*
 * A loaded library is process state (the dynamic loader's), so its table is
 * too: loaded once, by the first caller, and never unloaded (engines of
 * another VM in this process may still use it). A failure is kept and
 * reported to every caller.
 */
static struct uc_api uc_api_loaded;
static struct snp_err uc_api_err;
static pthread_once_t uc_api_once = PTHREAD_ONCE_INIT;

/* Linux 5.14 (include/uapi/asm-generic/mman-common.h); older kernels say EINVAL. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Prefaulting libunicorn while the loader relocates it. dlopen spends a
 * quarter of its ~16 ms in page faults: a copy-on-write fault for each of the
 * ~400 pages of the writable segment its 81,000 relocations write, and read
 * faults on the symbol and relocation tables. A second thread waits for the
 * library to appear in dl_iterate_phdr (the loader lists an object once it
 * is mapped, before relocating it) and asks the kernel to populate those
 * pages (madvise(2) MADV_POPULATE_WRITE / _READ), in parallel with the
 * relocation. Populating changes no content: the kernel copies each private
 * page as a write fault would, under the same page-table lock, so a page the
 * loader already wrote is left as it is. Errors are ignored (an old kernel;
 * RELRO already made read-only): the faults then happen as before. dlopen
 * went from 18.2 to 13.8 ms (medians of 7, docs/PERFORMANCE.md "Launcher").
 */
struct uc_prefault {
	atomic_bool stop; /* the load is over */
};

static bool is_unicorn(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base ? base + 1 : path, UC_SONAME) == 0;
}

static void populate(uintptr_t start, uintptr_t end, int advice)
{
	uintptr_t page = (uintptr_t)EMU_PAGE;

	start &= ~(page - 1);
	end = (end + page - 1) & ~(page - 1);
	(void)madvise((void *)start, end - start, advice);
}

/*
 * dl_iterate_phdr callback: 1 once libunicorn was found (and populated, unless
 * the load is over by then: the faults are behind us).
 */
static int prefault_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	const struct uc_prefault *pf = arg;

	(void)size;
	if (!info->dlpi_name || !is_unicorn(info->dlpi_name))
		return 0;
	if (atomic_load(&pf->stop))
		return 1;
	/* the writable segment first: the relocations write it; then the tables they read */
	for (int writable = 1; writable >= 0; writable--)
		for (size_t i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t at = (uintptr_t)info->dlpi_addr + ph->p_vaddr;

			if (ph->p_type != PT_LOAD || (ph->p_flags & PF_X) ||
			    !(ph->p_flags & PF_W) != !writable)
				continue;
			populate(at, at + ph->p_memsz,
				 writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
		}
	return 1;
}

static void *prefault_thread(void *arg)
{
	struct uc_prefault *pf = arg;
	const struct timespec poll = { .tv_nsec = 50 * 1000 };

	while (!atomic_load(&pf->stop) && dl_iterate_phdr(prefault_object, pf) == 0)
		nanosleep(&poll, NULL);
	return NULL;
}

/* fn on a new thread that takes no signals (they stay with the VMM's thread). */
static bool start_quiet_thread(pthread_t *t, bool detached, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	bool ok = false;

	if (pthread_attr_init(&attr) != 0)
		return false;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!detached || pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0)
		ok = pthread_create(t, &attr, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ok;
}

static void uc_api_load(void)
{
	struct uc_api *a = &uc_api_loaded;
	void *fn[sizeof(uc_api_names) / sizeof(uc_api_names[0])];
	struct uc_prefault pf = { .stop = false };
	pthread_t t;
	bool prefaulting = start_quiet_thread(&t, false, prefault_thread, &pf);
	int ret;

	ret = dl_open(UC_SONAME, uc_api_names, fn, sizeof(fn) / sizeof(fn[0]), &a->handle,
		      &uc_api_err);
	/* joined here: no thread of ours outlives the load (a seccomp filter may follow) */
	if (prefaulting) {
		atomic_store(&pf.stop, true);
		pthread_join(t, NULL);
	}
	if (ret != 0) {
		snp_err_prefix(&uc_api_err, "emu needs Unicorn 2 (install the Debian package "
			       UC_DEBIAN_PACKAGE "): ");
		return;
	}
	a->open = (uc_err(*)(uc_arch, uc_mode, uc_engine **))fn[0];
	a->close = (uc_err(*)(uc_engine *))fn[1];
	a->ctl = (uc_err(*)(uc_engine *, uc_control_type, ...))fn[2];
	a->emu_start = (uc_err(*)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t))fn[3];
	a->emu_stop = (uc_err(*)(uc_engine *))fn[4];
	a->hook_add = (uc_err(*)(uc_engine *, uc_hook *, int, void *, void *, uint64_t, uint64_t,
				 ...))fn[5];
	a->mem_map_ptr = (uc_err(*)(uc_engine *, uint64_t, size_t, uint32_t, void *))fn[6];
	a->mem_read = (uc_err(*)(uc_engine *, uint64_t, void *, size_t))fn[7];
	a->reg_read = (uc_err(*)(uc_engine *, int, void *))fn[8];
	a->reg_write = (uc_err(*)(uc_engine *, int, const void *))fn[9];
	a->strerror = (const char *(*)(uc_err))fn[10];
}

/* The loaded table, or NULL with err saying why (naming the package to install). */
static const struct uc_api *uc_api_get(struct snp_err *err)
{
	pthread_once(&uc_api_once, uc_api_load);
	if (uc_api_loaded.handle)
		return &uc_api_loaded;
	if (err)
		*err = uc_api_err;
	return NULL;
}

struct emu_mmio {
	uint64_t base; /* page aligned */
	uint64_t len;  /* page multiple */
	uint8_t *page; /* backing, mmap'ed per vCPU */
};

struct emu_vcpu {
	struct vcpu *vcpu;
	const struct uc_api *api;
	uc_engine *uc;
	atomic_bool stop_wanted;       /* set by emu_kick; hook_code stops the engine */
	_Atomic uint64_t slice_end_us; /* when the running slice is due to end; 0: none running */
	struct emu_mmio mmio[IO_MAX_RANGES];
	size_t nmmio;
	bool has_pending;        /* a hook saw an event that ends this slice */
	bool kicked;             /* hook_code ended this slice */
	struct vcpu_exit pending;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *uc_api_load_thread(void *arg)
{
	(void)arg;
	(void)uc_api_get(NULL);
	return NULL;
}

/*
 * The load on a detached thread that takes no signals; uc_api_get() waits for
 * it. Only the first call starts one.
 */
static void emu_preload(void)
{
	static atomic_flag started = ATOMIC_FLAG_INIT;
	pthread_t t;

	if (!atomic_flag_test_and_set(&started))
		(void)start_quiet_thread(&t, true, uc_api_load_thread, NULL); /* else: loaded later */
}

static int uc_fail(const struct emu_vcpu *e, struct snp_err *err, uc_err ue, const char *what)
{
	return snp_errf(err, SNP_E_INTERNAL, "emu: %s: %s", what, e->api->strerror(ue));
}

static int emu_probe(struct snp_err *err)
{
	return uc_api_get(err) ? 0 : SNP_E_UNSUPPORTED;
}

static int emu_vm_init(struct vm *vm, struct snp_err *err)
{
	for (size_t i = 0; i < vm->io.nranges; i++) {
		const struct io_range *r = &vm->io.ranges[i];

		if (r->space == IO_MMIO && r->base < vm->mem->size)
			return snp_errf(err, SNP_E_INVALID, "emu: MMIO range 0x%llx overlaps RAM",
					(unsigned long long)r->base);
	}
	return 0;
}

static void emu_vm_exit(struct vm *vm)
{
	(void)vm;
}

static void emu_stop_with(struct emu_vcpu *e, const struct vcpu_exit *ex)
{
	if (!e->has_pending) {
		e->pending = *ex;
		e->has_pending = true;
	}
	e->api->emu_stop(e->uc);
}

/*
 * A hook delivered an event: run the loop's handler now, stop the slice if it
 * says so. VCPU_STOP always means the VM has ended: a stop requested here, in
 * an MMIO or port hook, takes effect after the access with the PC at the
 * instruction's start (Unicorn 2.0.1; see hook_code), which would run it
 * again if the vCPU ever resumed.
 */
static void emu_deliver(struct emu_vcpu *e, const struct vcpu_exit *ex)
{
	if (vcpu_handle_exit(e->vcpu, ex) == VCPU_STOP)
		e->api->emu_stop(e->uc);
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	struct emu_vcpu *e = opaque;
	uint8_t data[4];
	uint32_t v = 0;
	struct vcpu_exit ex = {
		.kind = VCPU_EXIT_PIO,
		.u.pio = { .port = (uint16_t)port, .size = (uint8_t)size, .is_write = false,
			   .count = 1, .data = data },
	};

	(void)uc;
	memset(data, 0xff, sizeof(data));
	emu_deliver(e, &ex);
	for (int i = size - 1; i >= 0 && i < 4; i--)
		v = v << 8 | data[i];
	return v;
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *opaque)
{
	struct emu_vcpu *e = opaque;
	uint8_t data[4];
	struct vcpu_exit ex = {
		.kind = VCPU_EXIT_PIO,
		.u.pio = { .port = (uint16_t)port, .size = (uint8_t)size, .is_write = true,
			   .count = 1, .data = data },
	};

	(void)uc;
	for (int i = 0; i < 4; i++)
		data[i] = (uint8_t)(value >> (8 * i));
	emu_deliver(e, &ex);
}

/*
 * CPUID from the launch's CPUID page, with this vCPU's APIC ID in leaf 1
 * EBX[31:24] and leaf 0xB EDX, as accel-kvm.c sets them; a leaf the page
 * lacks is left to Unicorn (returns 0: not handled).
 */
static int hook_cpuid(uc_engine *uc, void *opaque)
{
	struct emu_vcpu *e = opaque;
	const struct snp_cpuid_entry *c;
	uint64_t rax = 0, rcx = 0;
	uint32_t r[4];
	static const int regs[4] = { UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX,
				     UC_X86_REG_RDX };

	if (e->api->reg_read(uc, UC_X86_REG_RAX, &rax) != UC_ERR_OK ||
	    e->api->reg_read(uc, UC_X86_REG_RCX, &rcx) != UC_ERR_OK)
		return 0;
	c = cpuid_page_find(e->vcpu->vm->cfg.cpuid, (uint32_t)rax, (uint32_t)rcx);
	if (!c)
		return 0;
	r[0] = c->eax;
	r[1] = c->ebx;
	r[2] = c->ecx;
	r[3] = c->edx;
	if (c->eax_in == 1)
		r[1] = (r[1] & 0x00ffffffu) | (e->vcpu->idx << 24);
	else if (c->eax_in == 0xb)
		r[3] = e->vcpu->idx;
	for (int i = 0; i < 4; i++) {
		uint64_t v = r[i]; /* CPUID zero-extends into the 64-bit registers */

		e->api->reg_write(uc, regs[i], &v);
	}
	return 1;
}

static struct emu_mmio *mmio_at(struct emu_vcpu *e, uint64_t addr)
{
	for (size_t i = 0; i < e->nmmio; i++)
		if (addr >= e->mmio[i].base && addr - e->mmio[i].base < e->mmio[i].len)
			return &e->mmio[i];
	return NULL;
}

static void hook_mmio(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		      void *opaque)
{
	struct emu_vcpu *e = opaque;
	struct emu_mmio *m = mmio_at(e, addr);
	bool is_write = type == UC_MEM_WRITE;
	uint8_t data[8];
	struct vcpu_exit ex = {
		.kind = VCPU_EXIT_MMIO,
		.u.mmio = { .gpa = addr, .len = (uint32_t)size, .is_write = is_write, .data = data },
	};

	(void)uc;
	if (!m || size <= 0 || size > 8)
		return;
	if (is_write)
		for (int i = 0; i < 8; i++)
			data[i] = (uint8_t)((uint64_t)value >> (8 * i));
	emu_deliver(e, &ex);
	/* the load runs after this hook: it reads what the device answered */
	if (!is_write && addr - m->base <= m->len - (uint64_t)size)
		memcpy(m->page + (addr - m->base), data, (size_t)size);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct vcpu_exit ex = { .kind = VCPU_EXIT_EXCEPTION, .u.exception = { .vector = (int)intno } };

	(void)uc;
	emu_stop_with(opaque, &ex);
}

/* 48-bit virtual addresses: bits 63..47 all equal (APM vol. 2, §5.3.1 "Canonical Address Form"). */
static bool is_canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			  void *opaque)
{
	/* Unicorn reports a non-canonical access as unmapped; the CPU raises #GP */
	struct vcpu_exit gp = { .kind = VCPU_EXIT_EXCEPTION, .u.exception = { .vector = 13 } };
	struct vcpu_exit ex = {
		.kind = VCPU_EXIT_UNMAPPED,
		.u.unmapped = { .gpa = addr,
				.is_write = type == UC_MEM_WRITE_UNMAPPED,
				.is_fetch = type == UC_MEM_FETCH_UNMAPPED },
	};

	(void)uc;
	(void)size;
	(void)value;
	emu_stop_with(opaque, is_canonical(addr) ? &ex : &gp);
	return false;
}

/*
 * Before every instruction: the one place the engine is stopped from outside
 * (emu_kick). Unicorn 2.0.1 checks a stop request after each memory access
 * too, and a request that arrives asynchronously (uc_emu_stop from another
 * thread, as its own slice timer does) can end the translated block right
 * after a load or store with the PC put back to the block's start: the
 * instructions before it - a port write, `add $1,%rdi` - then run a second
 * time (tests/guests/pattern.c showed doubled console bytes at slice
 * boundaries). Requested here, the stop takes effect before this instruction,
 * with the PC synced to it (Unicorn syncs it for code hooks).
 */
static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct emu_vcpu *e = opaque;

	(void)addr;
	(void)size;
	if (atomic_load_explicit(&e->stop_wanted, memory_order_relaxed) &&
	    atomic_exchange(&e->stop_wanted, false)) {
		e->kicked = true;
		e->api->emu_stop(uc);
	}
}

static void emu_unmap_mmio(struct emu_vcpu *e)
{
	for (size_t i = 0; i < e->nmmio; i++)
		munmap(e->mmio[i].page, e->mmio[i].len);
	e->nmmio = 0;
}

static int emu_map_mmio(struct emu_vcpu *e, struct vm *vm, struct snp_err *err)
{
	uc_hook h;
	uc_err ue;

	for (size_t i = 0; i < vm->io.nranges; i++) {
		const struct io_range *r = &vm->io.ranges[i];
		uint64_t base, end;
		struct emu_mmio *m;
		void *p;

		if (r->space != IO_MMIO)
			continue;
		base = r->base & ~(EMU_PAGE - 1);
		end = (r->base + r->len + EMU_PAGE - 1) & ~(EMU_PAGE - 1);
		if (mmio_at(e, base) || mmio_at(e, end - 1))
			return snp_errf(err, SNP_E_UNSUPPORTED,
					"emu: MMIO range 0x%llx shares a page with another",
					(unsigned long long)r->base);
		p = mmap(NULL, end - base, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return snp_err_sys(err, "emu: MMIO backing page");
		m = &e->mmio[e->nmmio++];
		*m = (struct emu_mmio){ .base = base, .len = end - base, .page = p };
		ue = e->api->mem_map_ptr(e->uc, base, end - base, UC_PROT_READ | UC_PROT_WRITE, p);
		if (ue == UC_ERR_OK)
			ue = e->api->hook_add(e->uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
					 (void *)hook_mmio, e, base, end - 1);
		if (ue != UC_ERR_OK)
			return uc_fail(e, err, ue, "mapping an MMIO range");
	}
	return 0;
}

static int emu_vcpu_init(struct vcpu *vcpu, struct snp_err *err)
{
	struct vm *vm = vcpu->vm;
	const struct uc_api *api = uc_api_get(err);
	struct emu_vcpu *e;
	uc_hook h;
	uc_err ue;
	int ret;

	if (!api)
		return SNP_E_UNSUPPORTED;
	e = calloc(1, sizeof(*e));
	if (!e)
		return snp_errf(err, SNP_E_NOMEM, "emu: vCPU state");
	e->vcpu = vcpu;
	e->api = api;
	atomic_init(&e->stop_wanted, false);
	atomic_init(&e->slice_end_us, 0);
	ue = api->open(UC_ARCH_X86, UC_MODE_64, &e->uc);
	if (ue != UC_ERR_OK) {
		ret = uc_fail(e, err, ue, "uc_open");
		free(e);
		return ret;
	}
	vcpu->accel = e;
	/* one mapping of the VMM's RAM: guest stores are visible to devices and vice versa */
	ue = api->mem_map_ptr(e->uc, 0, vm->mem->size, UC_PROT_ALL, vm->mem->hva);
	if (ue != UC_ERR_OK)
		return uc_fail(e, err, ue, "mapping guest RAM");
	if ((ret = emu_map_mmio(e, vm, err)) != 0)
		return ret;
	/*
	 * uc_ctl_exits_enable(uc): `until` never matches, slices end by time,
	 * hooks or HLT only
	 */
	if ((ue = api->ctl(e->uc, UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), 1)) != UC_ERR_OK ||
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_INSN, (void *)hook_in, e, 1, 0,
				UC_X86_INS_IN)) != UC_ERR_OK ||
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_INSN, (void *)hook_out, e, 1, 0,
				UC_X86_INS_OUT)) != UC_ERR_OK ||
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_INTR, (void *)hook_intr, e, 1, 0)) !=
		    UC_ERR_OK ||
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, e, 1,
				0)) != UC_ERR_OK ||
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_CODE, (void *)hook_code, e, 1, 0)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "adding hooks");
	if (vm->cfg.cpuid &&
	    (ue = api->hook_add(e->uc, &h, UC_HOOK_INSN, (void *)hook_cpuid, e, 1, 0,
				UC_X86_INS_CPUID)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "adding the CPUID hook");
	return 0;
}

static void emu_vcpu_exit(struct vcpu *vcpu)
{
	struct emu_vcpu *e = vcpu->accel;

	if (!e)
		return;
	if (e->uc)
		e->api->close(e->uc);
	emu_unmap_mmio(e);
	free(e);
	vcpu->accel = NULL;
}

/* VMCB segment attributes (APM vol. 2, §15.5.1) to QEMU's descriptor flags (bits 8..23). */
static uint32_t seg_flags(uint16_t attrib)
{
	return ((uint32_t)(attrib & 0xff) << 8) | ((uint32_t)(attrib & 0xf00) << 12);
}

static uc_err write_mmr(const struct emu_vcpu *e, int reg, const struct snp_vmsa_seg *s)
{
	uc_x86_mmr m = {
		.selector = s->selector, .base = s->base, .limit = s->limit,
		.flags = seg_flags(s->attrib),
	};

	return e->api->reg_write(e->uc, reg, &m);
}

static uc_err write_u64(const struct emu_vcpu *e, int reg, uint64_t v)
{
	return e->api->reg_write(e->uc, reg, &v);
}

static int emu_set_state(struct vcpu *vcpu, const struct snp_vmsa *st, struct snp_err *err)
{
	struct emu_vcpu *e = vcpu->accel;
	uc_x86_msr efer = { .rid = MSR_EFER, .value = st->efer };
	const struct {
		int reg;
		const struct snp_vmsa_seg *seg;
		const char *name;
	} sels[] = {
		{ UC_X86_REG_CS, &st->cs, "CS" }, { UC_X86_REG_SS, &st->ss, "SS" },
		{ UC_X86_REG_DS, &st->ds, "DS" }, { UC_X86_REG_ES, &st->es, "ES" },
		{ UC_X86_REG_FS, &st->fs, "FS" }, { UC_X86_REG_GS, &st->gs, "GS" },
	};
	uc_err ue;

	if (!(st->cr0 & CR0_PE))
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"emu: vCPU %u: a real-mode start (CR0.PE clear, as OVMF's reset vector) "
				"cannot run on Unicorn; use the payload boot or kvm", vcpu->idx);
	/* descriptor tables first, then paging, then selectors (loaded from the GDT in RAM) */
	if ((ue = write_mmr(e, UC_X86_REG_GDTR, &st->gdtr)) != UC_ERR_OK ||
	    (ue = write_mmr(e, UC_X86_REG_IDTR, &st->idtr)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_CR4, st->cr4)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_CR3, st->cr3)) != UC_ERR_OK ||
	    (ue = e->api->reg_write(e->uc, UC_X86_REG_MSR, &efer)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_CR0, st->cr0)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "control registers");
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		if ((ue = write_u64(e, sels[i].reg, sels[i].seg->selector)) != UC_ERR_OK)
			return snp_errf(err, SNP_E_INVALID,
					"emu: vCPU %u: %s selector 0x%x: %s (is the GDT in RAM?)",
					vcpu->idx, sels[i].name, sels[i].seg->selector,
					e->api->strerror(ue));
	}
	if ((st->fs.base && (ue = write_u64(e, UC_X86_REG_FS_BASE, st->fs.base)) != UC_ERR_OK) ||
	    (st->gs.base && (ue = write_u64(e, UC_X86_REG_GS_BASE, st->gs.base)) != UC_ERR_OK) ||
	    (ue = write_mmr(e, UC_X86_REG_TR, &st->tr)) != UC_ERR_OK ||
	    (ue = write_mmr(e, UC_X86_REG_LDTR, &st->ldtr)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "segment registers");
	if ((ue = write_u64(e, UC_X86_REG_RIP, st->rip)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_RSP, st->rsp)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_RSI, st->rsi)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_RDI, st->rdi)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_RDX, st->rdx)) != UC_ERR_OK ||
	    (ue = write_u64(e, UC_X86_REG_RFLAGS, st->rflags)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "general registers");
	/*
	 * uc_ctl_remove_cache(uc, 0, size): the VMM may have written code since
	 * any earlier run, drop translated blocks (Unicorn reads both bounds as
	 * uint64_t)
	 */
	if ((ue = e->api->ctl(e->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)0,
			      (uint64_t)vcpu->vm->mem->size)) != UC_ERR_OK)
		return uc_fail(e, err, ue, "dropping translated code");
	return 0;
}

static void emu_exit_from_error(struct emu_vcpu *e, uc_err ue, struct vcpu_exit *ex)
{
	uint64_t rip = 0;

	switch (ue) {
	case UC_ERR_INSN_INVALID:
		*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_EXCEPTION, .u.exception = { .vector = 6 } };
		return;
	case UC_ERR_READ_UNMAPPED:
	case UC_ERR_WRITE_UNMAPPED:
	case UC_ERR_FETCH_UNMAPPED:
		e->api->reg_read(e->uc, UC_X86_REG_RIP, &rip);
		*ex = (struct vcpu_exit){
			.kind = VCPU_EXIT_UNMAPPED,
			.u.unmapped = { .gpa = rip, .is_write = ue == UC_ERR_WRITE_UNMAPPED,
					.is_fetch = ue == UC_ERR_FETCH_UNMAPPED },
		};
		return;
	default:
		*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_INTERNAL,
					  .u.other = { .code = ue, .what = e->api->strerror(ue) } };
	}
}

static bool after_hlt(struct emu_vcpu *e)
{
	uint64_t rip = 0;
	uint8_t b = 0;

	return e->api->reg_read(e->uc, UC_X86_REG_RIP, &rip) == UC_ERR_OK && rip > 0 &&
	       e->api->mem_read(e->uc, rip - 1, &b, 1) == UC_ERR_OK && b == 0xf4;
}

static int emu_run(struct vcpu *vcpu, uint64_t slice_us, struct vcpu_exit *ex, struct snp_err *err)
{
	struct emu_vcpu *e = vcpu->accel;
	uint64_t rip, t0;
	uc_err ue;

	(void)err;
	*ex = (struct vcpu_exit){ .kind = VCPU_EXIT_NONE };
	e->has_pending = false;
	e->kicked = false;
	e->api->reg_read(e->uc, UC_X86_REG_RIP, &rip);
	t0 = now_us();
	/*
	 * No Unicorn timeout: its timer thread stops the engine asynchronously
	 * (see hook_code). The watcher ends the slice instead (emu_tick).
	 */
	atomic_store(&e->stop_wanted, false);
	atomic_store(&e->slice_end_us, t0 + slice_us);
	ue = e->api->emu_start(e->uc, rip, 0, 0, 0);
	atomic_store(&e->slice_end_us, 0);
	if (e->has_pending)
		*ex = e->pending;
	else if (ue != UC_ERR_OK)
		emu_exit_from_error(e, ue, ex);
	else if (!atomic_load(&vcpu->vm->ended) && !e->kicked && after_hlt(e))
		ex->kind = VCPU_EXIT_HLT;
	return 0;
}

static void emu_read_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t insn[16], size_t *len)
{
	struct emu_vcpu *e = vcpu->accel;
	size_t n;

	*rip = 0;
	*len = 0;
	if (!e || e->api->reg_read(e->uc, UC_X86_REG_RIP, rip) != UC_ERR_OK)
		return;
	/* identity paging: the virtual RIP is the GPA; stop at the first unreadable byte */
	for (n = 0; n < 16 && e->api->mem_read(e->uc, *rip + n, &insn[n], 1) == UC_ERR_OK; n++)
		;
	*len = n;
}

/*
 * From the watcher (a slice's end, or the run's) or another vCPU's exit:
 * the running slice stops before its next instruction (hook_code). A request
 * between slices is dropped when the next one starts; the round-robin loop
 * checks vm->ended before every slice, and the watcher repeats the kick
 * every period until the guest thread has returned.
 */
static void emu_kick(struct vcpu *vcpu)
{
	struct emu_vcpu *e = vcpu->accel;

	if (e)
		atomic_store(&e->stop_wanted, true);
}

/* From the watcher, every period: ends a slice that has had its time. */
static void emu_tick(struct vcpu *vcpu)
{
	struct emu_vcpu *e = vcpu->accel;
	uint64_t end = e ? atomic_load(&e->slice_end_us) : 0;

	if (end && now_us() >= end)
		emu_kick(vcpu);
}

const struct accel_ops accel_emu_ops = {
	.name = "emu",
	.threaded = false,
	.probe = emu_probe,
	.preload = emu_preload,
	.vm_init = emu_vm_init,
	.vm_exit = emu_vm_exit,
	.vcpu_init = emu_vcpu_init,
	.vcpu_exit = emu_vcpu_exit,
	.set_state = emu_set_state,
	.run = emu_run,
	.read_insn = emu_read_insn,
	.kick = emu_kick,
	.tick = emu_tick,
};
