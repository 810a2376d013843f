#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-vmm-exits (tests/fuzz/corpus/vmm-exits/): exit
sequences in the encoding tests/fuzz/fuzz-vmm-exits.c decodes. Run from the
top of the tree; the seeds are committed, this is how they were made."""
import os
import struct

OUT = "tests/fuzz/corpus/vmm-exits"
PIO_SIZES = {1: 0, 2: 1, 4: 2}
MMIO_LENS = {1: 0, 2: 1, 4: 2, 8: 3}


def pio(rng, off, size, write, data=0):
    b = bytes([4, PIO_SIZES[size] | (8 if write else 0), rng]) + struct.pack("<H", off)
    return b + data.to_bytes(size, "little")


def pio_str(rng, off, items):
    return bytes([7, 8 | (len(items) << 4), rng]) + struct.pack("<H", off) + bytes(items)


def mmio(rng, off, length, write, data=0):
    return (bytes([0, 1 if write else 0, rng]) + struct.pack("<H", off) +
            bytes([MMIO_LENS[length]]) + data.to_bytes(8, "little"))


def memw(gpa, data):
    return bytes([8]) + gpa.to_bytes(3, "little") + bytes([len(data)]) + data


def other(kind, vector=0, tail=b""):
    return bytes([9, kind, vector & 0xff]) + tail


def map_gpa(page, npages, private):
    return bytes([11, 0]) + struct.pack("<H", page) + bytes([npages, 1 if private else 0])


def fault(gpa, size, private):
    return bytes([12, 1, 1 if private else 0]) + gpa.to_bytes(3, "little") + struct.pack("<H", size)


def sev_term(reason_set, code):
    msr = 0x100 | reason_set << 12 | code << 16
    return bytes([13, 1, 1]) + msr.to_bytes(8, "little")


def req_certs(page, npages):
    return bytes([14, 0]) + struct.pack("<H", page) + bytes([npages])


def be32(v):
    """A 32-bit port write whose bytes are v big-endian (fw_cfg's DMA address)."""
    return int.from_bytes(v.to_bytes(4, "big"), "little")


def fw_cfg_desc(gpa, key, length, addr):
    control = key << 16 | 0x08 | 0x02  # SELECT | READ
    return memw(gpa, struct.pack(">IIQ", control, length, addr))


def fw_cfg_dma(desc):
    return pio(FW_CFG, 4, 4, True, 0) + pio(FW_CFG, 8, 4, True, be32(desc))


SNP_DMA = bytes([0x4f])  # a wake-up op with bit 6: fw_cfg DMA checks pages as under SNP (toggle)

# PIO ranges in the order machine.c's devices register them
SERIAL, DEBUG_EXIT, FW_CFG, PCI, PM, CMOS, KBD = range(7)
MAILBOX = 0                # the first MMIO range

req = struct.pack("<II", 1, 0) + bytes(range(64))
seeds = {
    "serial-hello": b"".join(pio(SERIAL, 0, 1, True, c) for c in b"hello\n") +
    pio(SERIAL, 5, 1, False) + pio(SERIAL, 3, 1, True, 0x80) + pio(SERIAL, 0, 1, True, 1) +
    pio(SERIAL, 3, 1, True, 3) + pio_str(SERIAL, 0, list(b"string")),
    "debug-exit": pio(SERIAL, 0, 1, True, 0x41) + pio(DEBUG_EXIT, 0, 1, True, 7),
    "mailbox-report": memw(0x10000, req) + mmio(MAILBOX, 0, 8, True, 0x10000) +
    mmio(MAILBOX, 8, 4, True, 1) + mmio(MAILBOX, 0xc, 4, False) +
    mmio(MAILBOX, 4, 4, True, 0) + mmio(MAILBOX, 0, 4, True, 0x1ff000) +
    mmio(MAILBOX, 8, 4, True, 1) + mmio(MAILBOX, 0, 8, False),
    "mailbox-bad": memw(0x20000, struct.pack("<II", 2, 9)) + mmio(MAILBOX, 0, 8, True, 0x20000) +
    mmio(MAILBOX, 8, 4, True, 1) + mmio(MAILBOX, 0, 8, True, 0xfffffffffffff800) +
    mmio(MAILBOX, 8, 4, True, 1) + mmio(MAILBOX, 0x800, 2, False),
    "halt-both": other(3) + bytes([0x80 | 9, 3, 0]),
    "exception": pio(SERIAL, 0, 1, True, 0x42) + other(6, 13),
    "unmapped-mmio": bytes([0, 0, 0xff]) + (0xfec00000).to_bytes(8, "little") + bytes([2]) +
    bytes(8),
    "snp-convert": map_gpa(0x100, 4, False) + map_gpa(0x100, 2, True) + fault(0x101000, 8, False) +
    fault(0x101000, 8, True) + map_gpa(0x1ff, 2, True) + bytes([10]) + sev_term(0, 1),
    "snp-fault-repeats": b"".join(fault(0x3000, 4096, True) for _ in range(12)),
    # fw_cfg: the signature by I/O, then FILE_DIR and etc/e820 by DMA, a WRITE refused,
    # a buffer outside RAM (ERROR), and a descriptor outside RAM (the VM stops)
    "fw-cfg": pio(FW_CFG, 0, 2, True, 0) + b"".join(pio(FW_CFG, 1, 1, False) for _ in range(4)) +
    pio(FW_CFG, 0, 2, True, 0x19) + pio(FW_CFG, 1, 1, False) +
    fw_cfg_desc(0x30000, 0x19, 64, 0x31000) + fw_cfg_dma(0x30000) +
    fw_cfg_desc(0x30040, 0x20, 20, 0x31100) + fw_cfg_dma(0x30040) +
    memw(0x30080, struct.pack(">IIQ", 0x10, 4, 0x31200)) + fw_cfg_dma(0x30080) +
    fw_cfg_desc(0x300c0, 0, 4, 0x1fffffe) + fw_cfg_dma(0x300c0) +
    pio(FW_CFG, 8, 1, True, 0) + pio(FW_CFG, 4, 4, False) + fw_cfg_dma(0x7ffffff0),
    # PCI: host bridge and PIIX IDs, a BAR, an unaligned data read, then the 0xcf9 reset
    "pci": pio(PCI, 0, 4, True, 0x80000000) + pio(PCI, 4, 4, False) + pio(PCI, 6, 2, False) +
    pio(PCI, 0, 4, True, 0x80000808) + pio(PCI, 4, 4, False) + pio(PCI, 5, 1, False) +
    pio(PCI, 0, 4, True, 0x80000b10) + pio(PCI, 4, 4, True, 0xffffffff) + pio(PCI, 4, 4, False) +
    pio(PCI, 0, 4, True, 0x7fffff00) + pio(PCI, 4, 4, False) + pio(PCI, 1, 1, True, 0x06),
    # PM timer read twice, PM1a_CNT without and with SLP_EN (S5 ends the VM)
    "pm-timer": pio(PM, 8, 4, False) + pio(PM, 8, 4, False) + pio(PM, 8, 2, False) +
    pio(PM, 4, 2, True, 0x0001) + pio(PM, 4, 2, False) + pio(PM, 4, 2, True, 0x2000),
    # CMOS: memory size and RTC bytes, NMI mask bit, an index past the RAM; 8042 reset
    "cmos-kbd": pio(CMOS, 0, 1, True, 0x34) + pio(CMOS, 1, 1, False) +
    pio(CMOS, 0, 1, True, 0x35) + pio(CMOS, 1, 1, False) + pio(CMOS, 0, 1, True, 0x80) +
    pio(CMOS, 1, 1, False) + pio(CMOS, 0, 1, True, 0x7f) + pio(CMOS, 1, 1, True, 0x12) +
    pio(CMOS, 0, 1, True, 0x0a) + pio(CMOS, 1, 1, False) + pio(KBD, 0, 1, True, 0xfe),
    # REQ_CERTS: a shared buffer too small (ENOSPC), large enough, and a private one (EIO)
    "snp-req-certs": map_gpa(0x100, 8, False) + req_certs(0x100, 1) + req_certs(0x100, 8) +
    req_certs(0x180, 4),
    # fw_cfg DMA under SNP: shared descriptor + shared buffer, shared descriptor + private
    # buffer (ERROR), then a descriptor in a private page (the VM stops)
    "snp-fw-cfg-dma": SNP_DMA + map_gpa(0x40, 2, False) + map_gpa(0x60, 1, True) +
    fw_cfg_desc(0x40000, 0, 4, 0x40100) + fw_cfg_dma(0x40000) +
    fw_cfg_desc(0x40040, 0, 4, 0x60100) + fw_cfg_dma(0x40040) +
    fw_cfg_desc(0x60080, 0, 4, 0x40200) + fw_cfg_dma(0x60080),
}
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
