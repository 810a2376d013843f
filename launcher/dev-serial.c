/*
 * A 16550 UART at COM1 (0x3f8), output only: what the guest writes to THR
 * goes to cfg->console_fd (buffered to a line, flushed at every poll and at
 * the end). LSR always reads THR empty / transmitter idle (0x60), so a guest
 * that polls it never waits; no interrupts, no input. The other registers
 * keep what is written so a driver's probe reads back sane values.
 * Register map: the PC16550D datasheet, table 2 (QEMU hw/char/serial.c).
 */
#include "launcher/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "launcher/io.h"
#include "launcher/vm-state.h"

#define SERIAL_NPORTS 8
#define LCR_DLAB 0x80
#define LSR_THRE_TEMT 0x60
#define IIR_NO_INT 0x01
#define MSR_DCD_DSR_CTS 0xb0

enum { UART_RBR_THR, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };

struct serial {
	int fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t buf[256];
	size_t n;
};

static void serial_flush(struct serial *s)
{
	size_t off = 0;

	while (s->fd >= 0 && off < s->n) {
		ssize_t w = write(s->fd, s->buf + off, s->n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the console went away: the guest's output is dropped, the guest runs on */
		off += (size_t)w;
	}
	s->n = 0;
}

static void serial_out(struct vm *vm, struct serial *s, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			return;
		}
		vm->serial_bytes++;
		s->buf[s->n++] = v;
		if (v == '\n' || s->n == sizeof(s->buf))
			serial_flush(s);
		return;
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			s->dlm = v;
		else
			s->ier = v & 0x0f;
		return;
	case UART_LCR: s->lcr = v; return;
	case UART_MCR: s->mcr = v & 0x1f; return;
	case UART_SCR: s->scr = v; return;
	default: return; /* FCR, LSR, MSR: nothing to do */
	}
}

static uint8_t serial_in(const struct serial *s, unsigned reg)
{
	switch (reg) {
	case UART_RBR_THR: return (s->lcr & LCR_DLAB) ? s->dll : 0;
	case UART_IER: return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR_FCR: return IIR_NO_INT;
	case UART_LCR: return s->lcr;
	case UART_MCR: return s->mcr;
	case UART_LSR: return LSR_THRE_TEMT;
	case UART_MSR: return MSR_DCD_DSR_CTS;
	default: return s->scr;
	}
}

static enum io_result serial_io(struct vcpu *vcpu, uint64_t off, uint8_t *data, uint32_t len,
				bool is_write, void *opaque)
{
	struct serial *s = opaque;

	/* a wider access touches the consecutive registers, as on an ISA bus */
	for (uint32_t i = 0; i < len && off + i < SERIAL_NPORTS; i++) {
		if (is_write)
			serial_out(vcpu->vm, s, (unsigned)(off + i), data[i]);
		else
			data[i] = serial_in(s, (unsigned)(off + i));
	}
	return IO_CONTINUE;
}

static int serial_init(struct vm *vm, struct snp_err *err)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return snp_errf(err, SNP_E_NOMEM, "state");
	s->fd = vm->cfg.console_fd;
	s->lcr = 0x03; /* 8N1 */
	vm->serial = s;
	return io_register(&vm->io, IO_PIO, PAYLOAD_SERIAL_PORT, SERIAL_NPORTS, serial_io, s, err);
}

static void serial_poll(struct vm *vm)
{
	pthread_mutex_lock(&vm->io_lock);
	serial_flush(vm->serial);
	pthread_mutex_unlock(&vm->io_lock);
}

static void serial_exit(struct vm *vm)
{
	if (!vm->serial)
		return;
	serial_flush(vm->serial);
	free(vm->serial);
	vm->serial = NULL;
}

const struct dev_ops serial_dev = {
	.name = "serial",
	.init = serial_init,
	.exit = serial_exit,
	.poll = serial_poll,
};
