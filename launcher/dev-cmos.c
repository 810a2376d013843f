/*
 * The CMOS RAM and RTC (MC146818) at ports 0x70 (index) and 0x71 (data),
 * as QEMU's hw/rtc/mc146818rtc.c and the PC's hw/i386/pc.c (pc_cmos_init)
 * present them. Bit 7 of the index is the NMI mask and is dropped; reads of
 * 0x70 give all-ones. The time registers read the host's UTC time
 * (CLOCK_REALTIME), BCD unless register B selects binary, 24-hour unless it
 * selects 12-hour; UIP is never set, so a reader never waits; writes to the
 * time registers are dropped. The memory-size bytes are set from the VM's
 * RAM (all of it below 4 GiB, launcher/guest-mem.h): 0x15/0x16 base KiB
 * (640), 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (at most 65535),
 * 0x34/0x35 64 KiB units above 16 MiB (at most 65535), 0x5b..0x5d 64 KiB
 * units above 4 GiB (0), 0x5f vCPUs - 1. Every other byte is plain NVRAM.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "launcher/guest-mem.h"
#include "launcher/io.h"
#include "launcher/machine.h"
#include "launcher/vm-state.h"

#define CMOS_PORT 0x70
#define CMOS_SIZE 128
#define CMOS_NMI_MASK 0x80

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define REG_A_DEFAULT 0x26 /* 32.768 kHz divider, 1024 Hz rate */
#define REG_B_24H 0x02
#define REG_B_DM_BINARY 0x04
#define REG_D_VRT 0x80 /* the battery is fine */

struct cmos {
	uint8_t ram[CMOS_SIZE];
	uint8_t index;
};

static void set_word(uint8_t *ram, unsigned lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	ram[lo] = (uint8_t)v;
	ram[lo + 1] = (uint8_t)(v >> 8);
}

static uint8_t rtc_encode(const struct cmos *c, unsigned v)
{
	return c->ram[RTC_REG_B] & REG_B_DM_BINARY ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t rtc_hours(const struct cmos *c, int hour)
{
	uint8_t pm;
	int h12;

	if (c->ram[RTC_REG_B] & REG_B_24H)
		return rtc_encode(c, (unsigned)hour);
	pm = hour >= 12 ? 0x80 : 0;
	h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(rtc_encode(c, (unsigned)h12) | pm);
}

static uint8_t cmos_read(struct cmos *c, uint8_t idx)
{
	struct timespec ts;
	struct tm tm;
	uint8_t v;

	if (idx > RTC_YEAR && idx != RTC_CENTURY) {
		v = c->ram[idx];
		if (idx == RTC_REG_C)
			c->ram[RTC_REG_C] = 0; /* a read clears the interrupt flags */
		return v;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm))
		memset(&tm, 0, sizeof(tm));
	switch (idx) {
	case RTC_SECONDS: return rtc_encode(c, (unsigned)tm.tm_sec % 60);
	case RTC_MINUTES: return rtc_encode(c, (unsigned)tm.tm_min);
	case RTC_HOURS: return rtc_hours(c, tm.tm_hour);
	case RTC_DAY_OF_WEEK: return rtc_encode(c, (unsigned)tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH: return rtc_encode(c, (unsigned)tm.tm_mday);
	case RTC_MONTH: return rtc_encode(c, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR: return rtc_encode(c, (unsigned)(tm.tm_year + 1900) % 100);
	case RTC_CENTURY: return rtc_encode(c, (unsigned)(tm.tm_year + 1900) / 100);
	default: return 0; /* the alarm registers 0x01, 0x03, 0x05 */
	}
}

static void cmos_write(struct cmos *c, uint8_t idx, uint8_t v)
{
	if (idx <= RTC_YEAR || idx == RTC_CENTURY || idx == RTC_REG_C || idx == RTC_REG_D)
		return; /* the clock is the host's; C and D are read-only */
	if (idx == RTC_REG_A)
		v &= 0x7f; /* UIP is read-only */
	c->ram[idx] = v;
}

static enum io_result cmos_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
			      bool is_write, void *opaque)
{
	struct cmos *c = opaque;

	(void)vcpu;
	if (len != 1)
		return IO_CONTINUE; /* byte ports: wider accesses read all-ones, are dropped */
	if (off == 0) {
		if (is_write)
			c->index = data[0] & (uint8_t)~CMOS_NMI_MASK;
		return IO_CONTINUE;
	}
	if (is_write)
		cmos_write(c, c->index, data[0]);
	else
		data[0] = cmos_read(c, c->index);
	return IO_CONTINUE;
}

static int cmos_init(struct vm *vm, struct snp_err *err)
{
	struct cmos *c = calloc(1, sizeof(*c));
	uint64_t below_4g = vm->mem->size;
	uint64_t above_1m = below_4g > (1u << 20) ? (below_4g - (1u << 20)) / 1024 : 0;

	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "state");
	vm->cmos = c;
	c->ram[RTC_REG_A] = REG_A_DEFAULT;
	c->ram[RTC_REG_B] = REG_B_24H;
	c->ram[RTC_REG_D] = REG_D_VRT;
	set_word(c->ram, 0x15, below_4g / 1024 < 640 ? below_4g / 1024 : 640);
	set_word(c->ram, 0x17, above_1m);
	set_word(c->ram, 0x30, above_1m);
	set_word(c->ram, 0x34, below_4g > (16u << 20) ? (below_4g - (16u << 20)) / 65536 : 0);
	/* 0x5b..0x5d stay 0: no RAM above 4 GiB */
	c->ram[0x5f] = (uint8_t)(vm->nvcpus - 1);
	return io_register(&vm->io, IO_PIO, CMOS_PORT, 2, cmos_io, c, err);
}

static void cmos_exit(struct vm *vm)
{
	free(vm->cmos);
	vm->cmos = NULL;
}

const struct dev_ops cmos_dev = {
	.name = "cmos",
	.init = cmos_init,
	.exit = cmos_exit,
};
