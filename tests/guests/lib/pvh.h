/*
 * The PVH path (lib/pvh.S, lib/pvh.c): how the test guests boot under QEMU.
 * Included by assembly too, so constants only outside __ASSEMBLER__.
 */
#ifndef SNPVM_TESTS_GUESTS_LIB_PVH_H
#define SNPVM_TESTS_GUESTS_LIB_PVH_H

#define PVH_TRAMPOLINE_GPA 0x8000 /* the APs' real-mode entry: SIPI vector 0x08 */
#define PVH_MAX_APS 7             /* application processors the image has stacks for */
#define PVH_START_MAGIC 0x336ec578 /* hvm_start_info.magic, xen/include/public/arch-x86/hvm/start_info.h */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* EBX at the PVH entry (GPA of struct hvm_start_info); 0 when booted by snpvm. */
extern uint32_t pvh_start_info;

/* Starts the application processors (INIT-SIPI-SIPI to all but self); they enter _start as vCPU 1, 2, ... */
void pvh_start_aps(void);
#endif

#endif
