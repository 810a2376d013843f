#include "launcher/io.h"

#include <string.h>

#define PIO_SPACE_END 0x10000ull

static const char *space_name(enum io_space space)
{
	return space == IO_PIO ? "port" : "MMIO";
}

void io_registry_init(struct io_registry *r)
{
	memset(r, 0, sizeof(*r));
}

int io_register(struct io_registry *r, enum io_space space, uint64_t base, uint64_t len,
		io_handler_fn *fn, void *opaque, struct snp_err *err)
{
	if (len == 0 || base + len <= base)
		return snp_errf(err, SNP_E_INVALID, "io: %s range 0x%llx+0x%llx: empty or wraps",
				space_name(space), (unsigned long long)base, (unsigned long long)len);
	if (space == IO_PIO && (base >= PIO_SPACE_END || len > PIO_SPACE_END - base))
		return snp_errf(err, SNP_E_INVALID, "io: port range 0x%llx+0x%llx: beyond port 0xffff",
				(unsigned long long)base, (unsigned long long)len);
	if (!fn)
		return snp_errf(err, SNP_E_INVALID, "io: %s range 0x%llx: no handler",
				space_name(space), (unsigned long long)base);
	for (size_t i = 0; i < r->nranges; i++) {
		const struct io_range *o = &r->ranges[i];

		/* both ranges are non-empty and non-wrapping: overlap iff each starts before the other ends */
		if (o->space == space && base < o->base + o->len && o->base < base + len)
			return snp_errf(err, SNP_E_INVALID,
					"io: %s range 0x%llx+0x%llx overlaps 0x%llx+0x%llx",
					space_name(space), (unsigned long long)base,
					(unsigned long long)len, (unsigned long long)o->base,
					(unsigned long long)o->len);
	}
	if (r->nranges == IO_MAX_RANGES)
		return snp_errf(err, SNP_E_NOMEM, "io: more than %d ranges", IO_MAX_RANGES);
	r->ranges[r->nranges++] = (struct io_range){
		.space = space, .base = base, .len = len, .fn = fn, .opaque = opaque,
	};
	return 0;
}

const struct io_range *io_find(const struct io_registry *r, enum io_space space, uint64_t addr,
			       uint64_t len)
{
	for (size_t i = 0; i < r->nranges; i++) {
		const struct io_range *o = &r->ranges[i];

		if (o->space == space && addr >= o->base && addr - o->base < o->len &&
		    len <= o->len - (addr - o->base))
			return o;
	}
	return NULL;
}

static void note_unclaimed(struct io_registry *r, enum io_space space, uint64_t addr,
			   bool is_write)
{
	r->unclaimed_total++;
	for (size_t i = 0; i < r->nlog; i++) {
		if (r->log[i].is_mmio == (space == IO_MMIO) && r->log[i].addr == addr) {
			r->log[i].count++;
			return;
		}
	}
	if (r->nlog < VM_UNCLAIMED_LOG)
		r->log[r->nlog++] = (struct vm_unclaimed){
			.is_mmio = space == IO_MMIO, .is_write = is_write, .addr = addr, .count = 1,
		};
}

enum io_result io_dispatch(struct io_registry *r, struct vcpu *vcpu, enum io_space space,
			   uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct io_range *o = io_find(r, space, addr, len);

	if (!is_write)
		memset(data, 0xff, len);
	if (!o) {
		note_unclaimed(r, space, addr, is_write);
		return IO_UNCLAIMED;
	}
	return o->fn(vcpu, addr - o->base, data, len, is_write, o->opaque);
}
