/*
 * The test guests' shared library: freestanding (no libc), built with
 * GUEST_CFLAGS by the Makefile, never linked into snpvm. A guest defines
 * guest_main(); lib/start.S enters it from the ELF entry point in the 64-bit
 * state docs/launch-layout.md describes (RDI = vCPU index, RSI = boot
 * parameters GPA, RSP = this vCPU's stack), and its return value is written
 * to the isa-debug-exit port, which ends the guest. Guests never end with HLT.
 *
 * Memory is identity-mapped (virtual = physical), so a GPA is also a pointer.
 */
#ifndef SNPVM_TESTS_GUESTS_LIB_GUEST_H
#define SNPVM_TESTS_GUESTS_LIB_GUEST_H

#include <stddef.h>
#include <stdint.h>

/* The launch layout's constants and struct payload_boot_params, one definition. */
#include "measure/payload.h"

/* What a guest knows about its machine: the boot parameters or, without them (PVH), defaults. */
struct guest {
	unsigned vcpu;          /* this vCPU's index (RDI at entry) */
	unsigned vcpus;         /* from the boot parameters (PVH: cmdline vcpus=N); else 1 */
	int have_params;        /* 1 when RSI pointed at valid boot parameters */
	int pvh;                /* 1 when booted through the PVH note (QEMU): vcpus, cmdline from -append */
	uint64_t mem_size;      /* 0 when unknown */
	uint64_t channel_gpa;   /* report channel page */
	uint64_t mailbox_gpa;   /* guest-request mailbox MMIO page */
	const char *cmdline;    /* boot parameters' (PVH: QEMU -append); "" when none */
};

/* Each guest defines this; its return value (0 = success) is the debug-exit byte. */
int guest_main(const struct guest *g);

/* Port I/O. */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#define barrier() __asm__ volatile("" : : : "memory")

/* 16550 at PAYLOAD_SERIAL_PORT (lib/serial.c). */
void serial_putc(char c);
void serial_puts(const char *s);
void serial_hex64(uint64_t v);               /* 0x-prefixed, lowercase, no leading zeros */
void serial_dec(uint64_t v);
void serial_hexbytes(const uint8_t *p, size_t n); /* two lowercase hex digits a byte */

/* Writes v to the isa-debug-exit port; that ends the guest. Spins if it does not. */
__attribute__((noreturn)) void guest_exit(uint8_t v);

/* Guest-request mailbox (lib/mailbox.c, docs/guest-request-mailbox.md). */
#define MAILBOX_REQ_GPA 0x00
#define MAILBOX_DOORBELL 0x08
#define MAILBOX_STATUS 0x0C
#define MAILBOX_STATUS_OK 0u
#define MAILBOX_STATUS_NEVER_RUN 0xFFFFFFFFu
#define MAILBOX_REPORT_LEN_OFF 0x100
#define MAILBOX_REPORT_OFF 0x200
#define GUEST_REPORT_SIZE 0x4A0u /* SNP ATTESTATION_REPORT, ABI spec 56860 table 23 */

struct mailbox_result {
	uint32_t status;     /* the STATUS register after the doorbell */
	uint32_t report_len; /* REPORT_LEN from the response (0 if status != 0) */
	const uint8_t *report; /* report_len bytes, inside the request page */
};

/*
 * Asks the mailbox at g->mailbox_gpa for a report with report_data and vmpl,
 * using a request page private to the vCPU's caller (one request at a time).
 */
void mailbox_report(const struct guest *g, const uint8_t report_data[64], uint32_t vmpl,
		    struct mailbox_result *res);

/* Command line (lib/cmdline.c): space-separated words, "key=value" options. */
/* Copies the value of key= into buf (NUL-terminated); 1 if found, 0 if absent, -1 if too long. */
int cmdline_opt(const char *cmdline, const char *key, char *buf, size_t bufsz);
/* Decodes exactly 2*n hex digits of s into out; 0 on success, -1 otherwise. */
int hex_decode(const char *s, uint8_t *out, size_t n);
/* Parses a decimal number; 0 on success, -1 on anything else. */
int dec_parse(const char *s, uint64_t *out);

/* The compiler may emit calls to these (lib/string.c). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
