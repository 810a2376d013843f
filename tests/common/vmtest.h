/*
 * Running tiny hand-assembled guests on the VM core (launcher/vm.h): the code
 * is wrapped in a one-segment ELF at VMTEST_CODE_GPA and laid out by
 * payload_build() (docs/launch-layout.md), so the guests start exactly as
 * `snpvm launch` starts a payload; serial output is captured through a pipe.
 */
#ifndef SNPVM_TESTS_COMMON_VMTEST_H
#define SNPVM_TESTS_COMMON_VMTEST_H

#include <stddef.h>
#include <stdint.h>

#include "launcher/guest-mem.h"
#include "launcher/vm.h"

#define VMTEST_CODE_GPA 0x100000ull
#define VMTEST_MEM_SIZE (4ull << 20)
#define VMTEST_TIMEOUT_MS 30000 /* unless the test sets one */

struct vmtest {
	struct guest_mem mem;
	struct vm *vm;
	int console[2]; /* pipe: the VM writes [1], the test reads [0] */
	struct vm_result res;
	char out[4096]; /* console output after vmtest_run, NUL-terminated */
};

/*
 * The one-segment ELF the guests run as: code at VMTEST_CODE_GPA (the entry),
 * file offset 0x1000, RWX. Returns malloc'd bytes (*elf_len of them).
 */
uint8_t *vmtest_elf(const uint8_t *code, size_t len, size_t *elf_len);

/*
 * Skips the current test (cmocka skip(), with the reason printed) unless
 * accel ("emu", "kvm") works on this host.
 */
void vmtest_require(const char *accel);

/*
 * Builds the guest and creates the VM on accel with vcpus vCPUs, each
 * entering code in long mode (RDI = its index). cfg may be NULL; otherwise
 * its report/timeout/channel fields are used (timeout 0 means
 * VMTEST_TIMEOUT_MS) (accel, vcpus and console_fd are
 * set here). Fails the test on any error.
 */
void vmtest_create(struct vmtest *t, const char *accel, unsigned vcpus, const uint8_t *code,
		   size_t len, const struct vm_config *cfg);

/* Runs the VM (vm_run must succeed) and collects the console output into t->out. */
void vmtest_run(struct vmtest *t);

void vmtest_destroy(struct vmtest *t);

#endif
