#!/usr/bin/env python3
"""Checks a disk image after a tests/safety.sh round (docs/data-safety.md).

  safety_check.py kill IMAGE BEFORE CONSOLE SEED NBLK
      after SIGKILL: blocks 1..n of the last complete "ACKED n" line hold
      generation SEED; later blocks hold, sector by sector, either what
      BEFORE held or generation SEED; everything else (block 0, the area
      past NBLK, the partial sector at the end) is BEFORE unchanged, and
      the size is the same.
  safety_check.py blocks IMAGE SEED FIRST LAST
      blocks FIRST..LAST hold generation SEED.
  safety_check.py make IMAGE SIZE
      a file of SIZE bytes of fixed pseudo-random data.

The sector format is blk_safety.c's fill_block().
"""
import random
import re
import struct
import sys

BLOCK = 4096
SECT = 512
M32 = 0xFFFFFFFF


def sector(seed, block, s):
    base = (seed * 0x01000193 ^ block * 0x85EBCA6B ^ s * 0xC2B2AE35) & M32
    words = [0x4153564B, 0x31304546, block, s, seed, ~seed & M32]
    words += [base ^ (i * 0x9E3779B9 & M32) for i in range(6, 128)]
    return struct.pack("<128I", *words)


def block_data(seed, block):
    return b"".join(sector(seed, block, s) for s in range(BLOCK // SECT))


def last_acked(console):
    acked, pastend = 0, False
    with open(console, "rb") as f:
        text = f.read().decode("latin-1")
    # only complete lines: a kill may cut the last one short
    for line in text.split("\n")[:-1]:
        m = re.fullmatch(r"ACKED (\d+)", line.strip())
        if m:
            acked = int(m.group(1))
        if line.strip() == "PASTEND ok":
            pastend = True
    return acked, pastend


def check_kill(image, before, console, seed, nblk):
    img = open(image, "rb").read()
    old = open(before, "rb").read()
    if len(img) != len(old):
        return f"size changed: {len(old)} -> {len(img)}"
    acked, pastend = last_acked(console)
    if acked and not pastend:
        return "no 'PASTEND ok' line before the first ACKED"
    if img[:BLOCK] != old[:BLOCK]:
        return "block 0 (never written) changed"
    nblk = min(nblk, (len(img) // SECT) // (BLOCK // SECT))
    if img[nblk * BLOCK:] != old[nblk * BLOCK:]:
        return f"the area past block {nblk} (never written) changed"
    for b in range(1, acked + 1):
        if img[b * BLOCK:(b + 1) * BLOCK] != block_data(seed, b):
            return f"acknowledged block {b} (of 1..{acked}) lost or wrong"
    newer = 0
    for b in range(acked + 1, nblk):
        for s in range(BLOCK // SECT):
            off = b * BLOCK + s * SECT
            got = img[off:off + SECT]
            if got == old[off:off + SECT]:
                continue
            if got != sector(seed, b, s):
                return f"unacknowledged block {b} sector {s} is garbage"
            newer += 1
    print(f"acked {acked} blocks, all intact; {newer} sectors of later "
          f"writes reached the file; the rest untouched")
    return None


def check_blocks(image, seed, first, last):
    img = open(image, "rb").read()
    for b in range(first, last + 1):
        if img[b * BLOCK:(b + 1) * BLOCK] != block_data(seed, b):
            return f"block {b} lost or wrong"
    print(f"blocks {first}..{last} intact")
    return None


def main(argv):
    if argv[1] == "make":
        data = random.Random(42).randbytes(int(argv[3]))
        open(argv[2], "wb").write(data)
        return 0
    if argv[1] == "kill":
        why = check_kill(argv[2], argv[3], argv[4], int(argv[5]),
                         int(argv[6]))
    else:
        why = check_blocks(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    if why:
        print(why)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
