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


SERIAL, DEBUG_EXIT = 0, 1  # PIO ranges in machine.c order
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
}
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
