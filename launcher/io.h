/*
 * The one I/O registry of a VM: devices claim port (PIO) and MMIO ranges
 * here, and both accelerators deliver guest accesses through io_dispatch().
 * Overlapping or wrapping ranges are refused. An access nobody claims is
 * answered like an empty bus (reads all-ones, writes dropped), counted, and
 * noted once per address in a small log the launcher reports after the run
 * (the library never prints).
 */
#ifndef SNPVM_LAUNCHER_IO_H
#define SNPVM_LAUNCHER_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launcher/vm.h"
#include "util/err.h"

struct vcpu;

enum io_space {
	IO_PIO,  /* x86 I/O ports 0..0xffff */
	IO_MMIO, /* guest-physical addresses outside RAM */
};

/* What a handler (and io_dispatch) tells the run loop. */
enum io_result {
	IO_CONTINUE = 0, /* the access is done; the vCPU goes on */
	IO_STOP,         /* the handler ended the VM (vcpu_end was called) */
	IO_UNCLAIMED,    /* io_dispatch only: nobody claims the address */
};

/*
 * One signature for every device: off is the offset from the start of the
 * claimed range, data holds len bytes (little-endian, the guest's value on a
 * write; the handler fills it on a read, pre-set to all-ones), len is 1, 2, 4
 * or 8. Returns IO_CONTINUE or IO_STOP.
 */
typedef enum io_result io_handler_fn(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				     bool is_write, void *opaque);

struct io_range {
	enum io_space space;
	uint64_t base;
	uint64_t len;
	io_handler_fn *fn;
	void *opaque;
};

#define IO_MAX_RANGES 32

struct io_registry {
	struct io_range ranges[IO_MAX_RANGES];
	size_t nranges;
	/* unclaimed accesses: total, and the first VM_UNCLAIMED_LOG distinct addresses */
	uint64_t unclaimed_total;
	struct vm_unclaimed log[VM_UNCLAIMED_LOG];
	size_t nlog;
};

/* An empty registry. */
void io_registry_init(struct io_registry *r);

/*
 * Claims [base, base + len) in space for fn. Returns 0, or SNP_E_INVALID for
 * len 0, a range that wraps or leaves the port space (PIO ends at 0x10000), or
 * one that overlaps a claimed range (the message names both), or
 * SNP_E_NOMEM when the registry is full.
 */
int io_register(struct io_registry *r, enum io_space space, uint64_t base, uint64_t len,
		io_handler_fn *fn, void *opaque, struct snp_err *err) SNP_MUST_CHECK;

/* The range that contains all of [addr, addr + len), or NULL. */
const struct io_range *io_find(const struct io_registry *r, enum io_space space, uint64_t addr,
			       uint64_t len);

/*
 * Delivers one guest access of len (1..8) bytes at addr. Unclaimed: a read
 * returns all-ones in data, a write is dropped; both are counted and
 * IO_UNCLAIMED is returned. Otherwise the handler's result.
 */
enum io_result io_dispatch(struct io_registry *r, struct vcpu *vcpu, enum io_space space,
			   uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
