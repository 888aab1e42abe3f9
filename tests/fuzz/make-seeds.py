#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the hand-made seed inputs of tests/fuzz/corpus/ (valid requests
and edge cases per target; layouts in each tests/fuzz/fuzz_*.c).  Run from
the repository root; crash inputs found later live beside these files."""
import os
import struct

OUT = "tests/fuzz/corpus"


def save(target, name, data):
    os.makedirs(f"{OUT}/{target}", exist_ok=True)
    with open(f"{OUT}/{target}/seed-{name}", "wb") as f:
        f.write(data)


# ---- virtqueue fixture (tests/fuzz/fuzz.h) ---------------------------
DESC, AVAIL, USED, BUF = 0x000, 0x100, 0x200, 0x400
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def ring(chains, log2=2, flags=0, extra=0, bufs=(), indirect=None,
         avail_idx=None):
    """chains: list of heads; descs: {index: (addr, len, flags, next)}"""
    ram = bytearray(0x800)
    for i, (addr, ln, fl, nx) in chains[1].items():
        struct.pack_into("<QIHH", ram, DESC + 16 * i, addr, ln, fl, nx)
    heads = chains[0]
    idx = len(heads) if avail_idx is None else avail_idx
    struct.pack_into("<HH", ram, AVAIL, 0, idx)
    for n, h in enumerate(heads):
        struct.pack_into("<H", ram, AVAIL + 4 + 2 * n, h)
    for addr, data in bufs:
        ram[addr:addr + len(data)] = data
    if indirect:
        addr, descs = indirect
        for i, (a, ln, fl, nx) in enumerate(descs):
            struct.pack_into("<QIHH", ram, addr + 16 * i, a, ln, fl, nx)
    hdr = struct.pack("<BBHHHQ", log2, flags, DESC, AVAIL, USED, extra)
    return hdr + bytes(ram)


def three(out_len, in_len, data_dir=F_WRITE):
    """header (readable) -> data -> status (writable)"""
    return {0: (BUF, 16, F_NEXT, 1),
            1: (BUF + 0x40, out_len, data_dir | F_NEXT, 2),
            2: (BUF + 0x3f0, in_len, F_WRITE, 0)}


def vq_seeds():
    save("virtqueue", "one-chain", ring(([0], three(64, 1))))
    save("virtqueue", "two-chains-event-idx",
         ring(([0, 3], {**three(32, 1), 3: (BUF + 0x100, 8, 0, 0)}),
              flags=1))
    save("virtqueue", "indirect",
         ring(([0], {0: (0x600, 48, F_INDIRECT, 0)}), flags=2,
              indirect=(0x600, [(BUF, 16, F_NEXT, 1),
                                (BUF + 0x40, 32, F_WRITE | F_NEXT, 2),
                                (BUF + 0x80, 1, F_WRITE, 0)])))
    save("virtqueue", "loop", ring(([0], {0: (BUF, 8, F_NEXT, 0)})))
    save("virtqueue", "read-after-write",
         ring(([0], {0: (BUF, 8, F_WRITE | F_NEXT, 1), 1: (BUF, 8, 0, 0)})))
    save("virtqueue", "out-of-ram",
         ring(([0], {0: (0xfff0, 0x20, 0, 0)})))
    save("virtqueue", "avail-too-far", ring(([0], three(8, 1)), avail_idx=9))
    save("virtqueue", "bad-head", ring(([7], three(8, 1))))


# ---- virtio-blk: 64 KiB image = 128 sectors --------------------------
def blk_hdr(t, sector):
    return struct.pack("<IIQ", t, 0, sector)


def blk(name, t, sector, chain, extra_bufs=()):
    save("virtio_blk", name,
         ring(([0], chain), bufs=[(BUF, blk_hdr(t, sector))] +
              list(extra_bufs)))


def blk_seeds():
    blk("read", 0, 2, three(512, 1))
    blk("write", 1, 3, three(512, 1, data_dir=0))
    blk("write-last-sector", 1, 127, three(512, 1, data_dir=0))
    blk("write-past-end", 1, 128, three(512, 1, data_dir=0))
    blk("write-huge-sector", 1, 1 << 63, three(512, 1, data_dir=0))
    blk("read-odd-length", 0, 0, three(100, 1))
    blk("flush", 4, 0, {0: (BUF, 16, F_NEXT, 1), 1: (BUF + 0x3f0, 1, F_WRITE, 0)})
    blk("get-id", 8, 0, three(20, 1))
    seg = struct.pack("<QII", 120, 8, 0)
    blk("write-zeroes", 13, 0, three(16, 1, data_dir=0),
        [(BUF + 0x40, seg)])
    blk("write-zeroes-unmap", 13, 0, three(16, 1, data_dir=0),
        [(BUF + 0x40, struct.pack("<QII", 0, 4, 1))])
    blk("discard-past-end", 11, 0, three(16, 1, data_dir=0),
        [(BUF + 0x40, struct.pack("<QII", 127, 2, 0))])
    blk("unsupported", 99, 0, three(8, 1))
    blk("no-status", 0, 0, {0: (BUF, 16, 0, 0)})


# ---- virtio-net transmit ---------------------------------------------
CSUM, HOST_TSO4, HOST_ECN = 1 << 0, 1 << 11, 1 << 13


def net(name, hdr, features, frame_len=60):
    chain = {0: (BUF, 12, F_NEXT, 1), 1: (BUF + 0x40, frame_len, 0, 0)}
    save("virtio_net", name,
         ring(([0], chain), extra=features, bufs=[(BUF, hdr)]))


def net_seeds():
    # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, buffers
    plain = struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, 0)
    csum = struct.pack("<BBHHHHH", 1, 0, 0, 0, 34, 16, 0)
    tso4 = struct.pack("<BBHHHHH", 1, 1, 54, 1448, 34, 16, 0)
    tso4_ecn = struct.pack("<BBHHHHH", 1, 0x81, 54, 1448, 34, 16, 0)
    udp = struct.pack("<BBHHHHH", 0, 3, 0, 0, 0, 0, 0)
    net("plain", plain, 0)
    net("csum-negotiated", csum, CSUM)
    net("csum-not-negotiated", csum, 0)
    net("tso4", tso4, CSUM | HOST_TSO4, 1000)
    net("tso4-ecn", tso4_ecn, CSUM | HOST_TSO4 | HOST_ECN, 1000)
    net("ufo", udp, ~0 & (2**64 - 1))
    save("virtio_net", "header-only",
         ring(([0], {0: (BUF, 12, 0, 0)}), bufs=[(BUF, plain)]))
    save("virtio_net", "writable-buffer",
         ring(([0], {0: (BUF, 12, F_NEXT, 1), 1: (BUF + 0x40, 60, F_WRITE, 0)}),
              bufs=[(BUF, plain)]))


# ---- PCI: u8 op, u8 slot, u16 offset, u32 value ----------------------
def op(kind, slot, off, val=0, size=4, bar=0):
    log = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return struct.pack("<BBHI", kind | log << 3 | bar << 5, slot, off, val)


def pci_seeds():
    save("pci", "read-ids", op(0, 1, 0) + op(0, 0, 0) + op(0, 31, 0))
    size_probe = b"".join(op(1, 1, 0x10 + 4 * i, 0xffffffff) + op(0, 1, 0x10 + 4 * i)
                          for i in range(6))
    save("pci", "bar-size-probe", size_probe)
    save("pci", "bar-move-and-access",
         op(1, 1, 0x10, 0xd0000000) + op(1, 1, 4, 6, size=2) +
         op(7, 0, 0x10, 0x1234, bar=0) + op(6, 0, 0x10, bar=0) +
         op(1, 1, 0x18, 0xd1000000) + op(1, 1, 0x1c, 0x1) +
         op(6, 0, 0x3ff8, size=8, bar=2) + op(1, 1, 4, 0, size=2))
    save("pci", "conf1",
         op(3, 0, 0, 0x80000800) + op(2, 0, 4) + op(3, 0, 0, 0x80000804) +
         op(3, 0, 4, 0x7, size=2) + op(2, 0, 6, size=2) + op(2, 0, 0))
    save("pci", "ecam",
         op(4, 1, 0) + op(5, 1, 4, 6, size=2) + op(4, 1, 0x100, size=8) +
         op(5, 1, 0x10, 0xffffffff) + op(4, 1, 0x10))
    caps = b"".join(op(0, 1, off, size=1) for off in range(0x34, 0x60))
    msix = b"".join(op(1, 1, off, 0xc000, size=2) for off in range(0x40, 0x60, 2))
    save("pci", "capabilities-msix",
         caps + op(1, 1, 0x14, 0xd2000000) + op(1, 1, 4, 6, size=2) + msix +
         op(7, 1, 0, 0xfee00000, bar=1) + op(7, 1, 12, 0, bar=1) +
         op(6, 1, 0x800, bar=1))
    save("pci", "unaligned", op(0, 1, 0xff, size=4) + op(1, 1, 0xfe, 0xffff, size=4))


# ---- UART: u8 op (reg << 2 | kind), u8 value -------------------------
def u(kind, reg=0, val=0):
    return bytes([reg << 2 | kind, val])


def serial_seeds():
    init = (u(1, 3, 0x80) + u(1, 0, 1) + u(1, 1, 0) + u(1, 3, 3) +
            u(1, 2, 0x07) + u(1, 4, 0x0b) + u(1, 1, 0x0f))
    save("serial", "init-and-echo",
         init + u(1, 0, ord("h")) + u(1, 0, ord("i")) + u(2, 0, ord("x")) +
         u(0, 2) + u(0, 5) + u(0, 0) + u(0, 6) + u(3))
    save("serial", "rx-overflow", init + b"".join(u(2, 0, i) for i in range(255)) * 2 +
         u(0, 5) + u(1, 2, 0x02) + u(0, 0))
    save("serial", "loopback", init + u(1, 4, 0x1f) + u(1, 0, 0x55) + u(0, 6) +
         u(0, 0) + u(0, 5))
    save("serial", "dlab-reads", u(1, 3, 0x80) + u(0, 0) + u(0, 1) + u(0, 7) +
         u(1, 7, 0xaa) + u(1, 5, 0) + u(1, 6, 0))


# ---- boot: u8 format (0 auto, 1 bzimage, 2 elf, 3 multiboot), file ---
def bzimage():
    img = bytearray(0x1400)
    img[0x1f1] = 4                                  # setup_sects
    struct.pack_into("<H", img, 0x1fe, 0xaa55)
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x020f)      # boot protocol 2.15
    img[0x211] = 1                                  # loadflags: LOADED_HIGH
    struct.pack_into("<I", img, 0x214, 0x100000)    # code32_start
    struct.pack_into("<I", img, 0x230, 0x200000)    # kernel_alignment
    img[0x234] = 1                                  # relocatable
    struct.pack_into("<H", img, 0x236, 3)           # xloadflags: 64-bit
    struct.pack_into("<I", img, 0x238, 255)         # cmdline_size
    struct.pack_into("<I", img, 0x260, 0x10000)     # init_size
    return bytes(img)


def elf64(paddr=0x100000, entry=0x100000, filesz=16, memsz=32):
    eh = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                     b"\0" * 7, 2, 62, 1, entry, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0x1000, paddr, paddr, filesz, memsz,
                     0x1000)
    body = bytearray(0x1000 + filesz)
    body[:len(eh + ph)] = eh + ph
    body[0x1000:0x1000 + filesz] = b"\xf4" * filesz
    return bytes(body)


def multiboot(flags=0x10000, load=0x100000, end=0x101000, bss=0x102000,
              entry=0x100000):
    magic = 0x1BADB002
    csum = (-(magic + flags)) & 0xffffffff
    img = bytearray(0x1000)
    struct.pack_into("<IIIIIIII", img, 0, magic, flags, csum, load, load, end,
                     bss, entry)
    return bytes(img)


def boot_seeds():
    save("boot", "bzimage-auto", b"\0" + bzimage())
    save("boot", "bzimage-forced", b"\1" + bzimage())
    save("boot", "elf", b"\0" + elf64())
    save("boot", "elf-outside-ram", b"\2" + elf64(paddr=0xfff00000))
    save("boot", "elf-huge-memsz", b"\2" + elf64(memsz=0xffffffffffff0000))
    save("boot", "multiboot-aout", b"\0" + multiboot())
    save("boot", "multiboot-load-end-before-load",
         b"\3" + multiboot(end=0x1000))
    save("boot", "multiboot-elf", b"\3" + multiboot(flags=0) [:32] + elf64()[32:])
    save("boot", "empty", b"\0")
    save("boot", "garbage", b"\0" + bytes(range(256)) * 4)


# ---- gdb: bytes as sent by the client --------------------------------
def pkt(body):
    return b"$" + body + b"#%02x" % (sum(body) & 0xff)


def gdb_seeds():
    save("gdb", "session",
         b"+" + pkt(b"qSupported:multiprocess+;swbreak+") + b"+" + pkt(b"?") +
         pkt(b"g") + pkt(b"m1000,10") + pkt(b"M1000,2:abcd") +
         pkt(b"X1000,3:}]a\x00") + pkt(b"Z0,1000,1") + pkt(b"z1,2000,1") +
         pkt(b"Hg1") + pkt(b"vCont;c") + b"\x03" + pkt(b"D"))
    save("gdb", "bad-checksum", b"$m0,4#00" + pkt(b"m0,4") + b"-")
    save("gdb", "overlong", b"$" + b"a" * 0x4100 + b"#00" + pkt(b"g"))
    save("gdb", "truncated", b"$m1000,1")
    save("gdb", "escape-at-end", pkt(b"X0,1:}"))
    save("gdb", "hex-edge", pkt(b"mffffffffffffffff,ffffffffffffffff") +
         pkt(b"m11111111111111111,1") + pkt(b"G" + b"0" * 33))


def config_seeds():
    save("config", "every-option",
         b"# a VM\nname = web-1\nkernel = /k/mb.elf,format=multiboot\n"
         b"initrd = /k/initrd\nmodule = /k/m1\nmodule = /k/m2,cmdline=a,b\n"
         b"cmdline = \"  a\\tb \\\"q\\\" \\x7f\"\nmem = 1536M\ncpus = 3\n"
         b"ksm\nhugepages\nconsole = file:/tmp/c\nreboot = restart\n"
         b"test-exit\ndisk = /d/a,ro,cache=none,transport=mmio,serial=S1\n"
         b"disk = /d/b\nnet = tap=t0,bridge=br0,mac=02:00:00:00:00:01\n"
         b"trace = exits=/tmp/t\ntrace-format = json\nstats\n"
         b"gdb = unix:/tmp/g\ngdb-wait\n")
    save("config", "flat",
         b"boot = kernel\r\nkernel = /k/f,format=flat,addr=0x7c00,"
         b"entry=0x7c10,mode=real\r\nmem = 4097K\r\nsingle-step = 77\r\n"
         b"console = none\r\nhugepages = /dev/hugepages\r\n")
    save("config", "disk-boot", b"disk = /d/boot.img\ngdb = tcp::1234\n")
    save("config", "errors",
         b"kernel = /k\nmemory = 1G\n")
    save("config", "bad-quote", b"kernel = /k\ncmdline = \"a\\qb")
    save("config", "nul", b"kernel = /k\nname = a\x00b\n")
# ---- control: u8 flags, u8 vCPUs, request lines (fuzz_control.c) ------
def control_seeds():
    every = b"help\ninfo\nstat\nstat json\npause\nresume\nshutdown\n" \
            b"dumpconfig\n" \
            b"reboot\nstop\nwait\nquit\n"
    save("control", "every-request", b"\0\2" + every)
    save("control", "actions-fail", b"\1\1" + every)
    save("control", "no-vm", b"\2\0" + every)
    save("control", "mem-na-many-vcpus", b"\x0c\xfe" + b"stat\nstat json\n")
    save("control", "bad-usage", b"\0\1stat xml\ninfo extra\n"
         b"a b c d e f g h i j\n\n   \n\tinfo\t\n" + b"info\r\n")
    save("control", "binary", b"\0\1" + bytes(range(256)) + b"\ninfo\x00\n")
    save("control", "overlong", b"\0\1" + b"x" * 5000 + b"\nhelp\n")
    save("control", "unknown-long-name", b"\0\1" + b"y" * 300 + b" z\n")


vq_seeds()
blk_seeds()
net_seeds()
pci_seeds()
serial_seeds()
boot_seeds()
gdb_seeds()
config_seeds()
control_seeds()
