/* Output on the 16550 at PAYLOAD_SERIAL_PORT: wait (bounded) for THR empty, then write. */
#include "guest.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void serial_putc(char c)
{
	/* Bounded: a UART that never reports THR empty must not hang the guest. */
	for (int i = 0; i < 100000 && !(inb(PAYLOAD_SERIAL_PORT + UART_LSR) & UART_LSR_THRE); i++)
		cpu_relax();
	outb(PAYLOAD_SERIAL_PORT + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static const char hexdig[] = "0123456789abcdef";

void serial_hex64(uint64_t v)
{
	char buf[19];
	int i = (int)sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = hexdig[v & 0xf];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	serial_puts(&buf[i]);
}

void serial_dec(uint64_t v)
{
	char buf[21];
	int i = (int)sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_puts(&buf[i]);
}

void serial_hexbytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		serial_putc(hexdig[p[i] >> 4]);
		serial_putc(hexdig[p[i] & 0xf]);
	}
}
