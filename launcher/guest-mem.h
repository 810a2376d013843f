/*
 * Guest RAM: one anonymous mapping from GPA 0 to the memory size, shared by
 * the launch (the backend copies and measures pages in place), the
 * accelerator (KVM memslot or Unicorn uc_mem_map_ptr) and the devices. Every
 * guest-physical access by the VMM goes through guest_mem_hva(), which
 * bounds-checks the whole range, so a guest-chosen address can never make the
 * VMM touch memory outside the mapping.
 */
#ifndef SNPVM_LAUNCHER_GUEST_MEM_H
#define SNPVM_LAUNCHER_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define GUEST_MEM_MIN_SIZE (2ull << 20)         /* 2 MiB */
#define GUEST_MEM_MAX_SIZE (3ull << 30)         /* 3 GiB: RAM stays below the 32-bit MMIO hole */

struct guest_mem {
	uint8_t *hva;  /* the mapping; page aligned */
	uint64_t size; /* bytes, a multiple of 2 MiB, GUEST_MEM_MIN_SIZE..GUEST_MEM_MAX_SIZE */
};

/*
 * Maps size bytes of zeroed anonymous memory as guest RAM at GPA 0. Returns 0,
 * SNP_E_INVALID for a size out of range or not a multiple of 2 MiB, or
 * SNP_E_SYS / SNP_E_NOMEM. Release with guest_mem_free.
 */
int guest_mem_alloc(struct guest_mem *m, uint64_t size, struct snp_err *err) SNP_MUST_CHECK;

/* Unmaps the memory (a zeroed or freed m is fine). */
void guest_mem_free(struct guest_mem *m);

/*
 * The host address of [gpa, gpa + len), or NULL when any byte of the range
 * (len 0 included: gpa must still be inside) lies outside guest RAM or the
 * range wraps. Never fails otherwise.
 */
uint8_t *guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
