/* launcher/io.c: one registry; overlaps and wrap-around refused; unclaimed accesses answered and noted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "launcher/io.h"

struct seen {
	int calls;
	uint64_t off;
	uint32_t len;
	bool is_write;
	uint8_t first;
};

static enum io_result record(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write, void *opaque)
{
	struct seen *s = opaque;

	(void)vcpu;
	s->calls++;
	s->off = off;
	s->len = len;
	s->is_write = is_write;
	s->first = data[0];
	if (!is_write)
		memset(data, 0x5a, len);
	return IO_CONTINUE;
}

static void io_register_refuses_overlap_wrap_and_empty(void **state)
{
	static struct io_registry r;
	struct snp_err err = { 0 };
	struct seen s = { 0 };

	(void)state;
	io_registry_init(&r);
	assert_int_equal(io_register(&r, IO_PIO, 0x3f8, 8, record, &s, &err), 0);
	/* overlapping at either end, inside, around: refused, naming both ranges */
	assert_int_equal(io_register(&r, IO_PIO, 0x3ff, 1, record, &s, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "0x3ff+0x1 overlaps 0x3f8+0x8"));
	assert_int_equal(io_register(&r, IO_PIO, 0x3f0, 9, record, &s, &err), SNP_E_INVALID);
	assert_int_equal(io_register(&r, IO_PIO, 0x3fa, 2, record, &s, &err), SNP_E_INVALID);
	assert_int_equal(io_register(&r, IO_PIO, 0x300, 0x200, record, &s, &err), SNP_E_INVALID);
	/* adjacent on both sides is fine; the same numbers in the other space too */
	assert_int_equal(io_register(&r, IO_PIO, 0x3f0, 8, record, &s, &err), 0);
	assert_int_equal(io_register(&r, IO_PIO, 0x400, 1, record, &s, &err), 0);
	assert_int_equal(io_register(&r, IO_MMIO, 0x3f8, 8, record, &s, &err), 0);
	/* empty, wrapping, beyond the port space, no handler */
	assert_int_equal(io_register(&r, IO_PIO, 0x10, 0, record, &s, &err), SNP_E_INVALID);
	assert_int_equal(io_register(&r, IO_MMIO, UINT64_MAX - 3, 8, record, &s, &err),
			 SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "wraps"));
	assert_int_equal(io_register(&r, IO_MMIO, UINT64_MAX, 1, record, &s, &err), SNP_E_INVALID);
	assert_int_equal(io_register(&r, IO_PIO, 0xffff, 2, record, &s, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "0xffff"));
	assert_int_equal(io_register(&r, IO_PIO, 0xffff, 1, record, &s, &err), 0);
	assert_int_equal(io_register(&r, IO_PIO, 0x10000, 1, record, &s, &err), SNP_E_INVALID);
	assert_int_equal(io_register(&r, IO_PIO, 0x500, 1, NULL, &s, &err), SNP_E_INVALID);
	assert_int_equal(r.nranges, 5);
}

static void io_register_refuses_when_full(void **state)
{
	static struct io_registry r;
	struct snp_err err = { 0 };
	struct seen s = { 0 };

	(void)state;
	io_registry_init(&r);
	for (uint64_t i = 0; i < IO_MAX_RANGES; i++)
		assert_int_equal(io_register(&r, IO_PIO, 0x100 + i, 1, record, &s, &err), 0);
	assert_int_equal(io_register(&r, IO_PIO, 0x800, 1, record, &s, &err), SNP_E_NOMEM);
}

static void io_dispatch_finds_the_range_by_containment(void **state)
{
	static struct io_registry r;
	struct snp_err err = { 0 };
	struct seen s = { 0 };
	uint8_t data[8] = { 0x11, 0x22 };

	(void)state;
	io_registry_init(&r);
	assert_int_equal(io_register(&r, IO_MMIO, 0xfeb00000, 0x1000, record, &s, &err), 0);
	/* a write at offset 8: the handler sees the offset, length, direction and bytes */
	assert_int_equal(io_dispatch(&r, NULL, IO_MMIO, 0xfeb00008, data, 4, true), IO_CONTINUE);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.off, 8);
	assert_int_equal(s.len, 4);
	assert_true(s.is_write);
	assert_int_equal(s.first, 0x11);
	/* a read: the handler's bytes come back */
	assert_int_equal(io_dispatch(&r, NULL, IO_MMIO, 0xfeb00ff8, data, 8, false), IO_CONTINUE);
	assert_int_equal(s.off, 0xff8);
	assert_int_equal(data[7], 0x5a);
	/* straddling the end of the range is not the device's: unclaimed */
	assert_int_equal(io_dispatch(&r, NULL, IO_MMIO, 0xfeb00ffc, data, 8, false), IO_UNCLAIMED);
	assert_int_equal(s.calls, 2);
	assert_null(io_find(&r, IO_PIO, 0xfeb00000, 1));
	assert_non_null(io_find(&r, IO_MMIO, 0xfeb00fff, 1));
	assert_null(io_find(&r, IO_MMIO, 0xfeb00fff, 2));
}

static void io_dispatch_unclaimed_reads_all_ones_and_notes_each_address_once(void **state)
{
	static struct io_registry r;
	uint8_t data[4] = { 0 };

	(void)state;
	io_registry_init(&r);
	assert_int_equal(io_dispatch(&r, NULL, IO_PIO, 0x80, data, 4, false), IO_UNCLAIMED);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[3], 0xff);
	data[0] = 7;
	assert_int_equal(io_dispatch(&r, NULL, IO_PIO, 0x80, data, 1, true), IO_UNCLAIMED);
	assert_int_equal(data[0], 7); /* a write's data is left alone */
	assert_int_equal(r.unclaimed_total, 2);
	assert_int_equal(r.nlog, 1);
	assert_int_equal(r.log[0].count, 2);
	assert_false(r.log[0].is_write); /* the first access was a read */
	/* the log is bounded: more addresses are counted, not noted */
	for (uint64_t p = 0x100; p < 0x100 + 2 * VM_UNCLAIMED_LOG; p++)
		(void)io_dispatch(&r, NULL, IO_PIO, p, data, 1, false);
	assert_int_equal(r.nlog, VM_UNCLAIMED_LOG);
	assert_int_equal(r.unclaimed_total, 2 + 2 * VM_UNCLAIMED_LOG);
	/* the same number in the MMIO space is another address */
	(void)io_dispatch(&r, NULL, IO_MMIO, 0x80, data, 1, false);
	assert_int_equal(r.log[0].count, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(io_register_refuses_overlap_wrap_and_empty),
		cmocka_unit_test(io_register_refuses_when_full),
		cmocka_unit_test(io_dispatch_finds_the_range_by_containment),
		cmocka_unit_test(io_dispatch_unclaimed_reads_all_ones_and_notes_each_address_once),
	};

	return cmocka_run_group_tests_name("launcher/io", tests, NULL, NULL);
}
