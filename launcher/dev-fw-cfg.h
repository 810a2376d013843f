/*
 * QEMU's fw_cfg device as OVMF and Linux drive it (QEMU
 * hw/nvram/fw_cfg.c, include/standard-headers/linux/qemu_fw_cfg.h; edk2
 * OvmfPkg/Library/QemuFwCfgLib): a selector port 0x510 (16-bit write), a
 * data port 0x511 (byte reads) and the DMA address port 0x514 (two
 * big-endian 32-bit halves; writing the low half at 0x518 runs the
 * descriptor). docs/launcher-internals.md lists the items.
 */
#ifndef SNPVM_LAUNCHER_DEV_FW_CFG_H
#define SNPVM_LAUNCHER_DEV_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct vm;

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514
#define FW_CFG_NPORTS 12 /* 0x510..0x51b */

/* Selector keys (qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_ENTRY 0x40 /* keys 0x00..0x3f: at most 32 files */

#define FW_CFG_VERSION 0x01     /* ID bit: the traditional I/O interface */
#define FW_CFG_VERSION_DMA 0x02 /* ID bit: the DMA interface */

/* FWCfgDmaAccess.control bits */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

#define FW_CFG_MAX_FILE_PATH 56
#define FW_CFG_FILE_SIZE 64 /* one FILE_DIR entry: be32 size, be16 select, be16 0, name[56] */
#define FW_CFG_E820_ENTRY_SIZE 20 /* le64 address, le64 length, le32 type */
#define FW_CFG_E820_RAM 1

/*
 * Adds a file (a copy of len bytes of data) under name, which must be
 * 1..55 bytes and not yet used; the file gets the next free key from
 * FW_CFG_FILE_FIRST and FILE_DIR lists it (sorted by name, as QEMU does).
 * Returns 0, SNP_E_INVALID (bad or duplicate name, len over 16 MiB) or
 * SNP_E_NOMEM (no key left, no memory). Call after machine_init, before
 * the guest runs.
 */
int fw_cfg_add_file(struct vm *vm, const char *name, const void *data, size_t len,
		    struct snp_err *err) SNP_MUST_CHECK;

#endif
