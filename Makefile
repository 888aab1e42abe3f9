# SPDX-License-Identifier: GPL-2.0
# kvmini - a minimal x86-64 hypervisor on /dev/kvm
#
#   make            build ./kvmini
#   make check      run every test (installs what it needs)
#   make fuzz       libFuzzer on every fuzz target (FUZZ_SECONDS each)
#   make run        boot the default Linux guest
#   make bench      print the benchmark table
#   make install PREFIX=/usr/local DESTDIR=
#   make clean

VERSION    := 0.1.0
CC         ?= gcc
BUILD      ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=

WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wno-unused-parameter
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -D_GNU_SOURCE $(WARN) -pthread -MMD -MP \
              -DKVMINI_VERSION='"$(VERSION)"' -Ivmm -Idevices
LDFLAGS    += -pthread

KVMINI_BIN := kvmini
# Linked statically: no dynamic loader at start-up, and no shared library
# pages in the VMM's RSS (docs/bench.md: start-up, memory).  ASan needs a
# dynamic build.
BIN_LDFLAGS := -static
ifeq ($(SANITIZE),1)
BIN_LDFLAGS :=
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=address,undefined
BUILD      := $(BUILD)/sanitize
KVMINI_BIN := $(BUILD)/kvmini
endif

SRCS       := $(wildcard vmm/*.c devices/*.c)
OBJS       := $(SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/bios/blob.o
LIB_OBJS   := $(filter-out $(BUILD)/obj/vmm/main.o,$(OBJS))
TEST_SRCS  := $(wildcard tests/*.c)
TEST_OBJS  := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BIN   := $(BUILD)/tests/unit-tests
STATIC_BIN := $(BUILD)/static/kvmini

.PHONY: fuzz fuzz-build fuzz-replay check-fuzz
.PHONY: all check check-unit check-guests check-cli check-trace check-lab check-mem check-mgmt run bench \
        install clean deps format static check-sanitize

all: $(KVMINI_BIN)

$(KVMINI_BIN): $(OBJS)
	@echo "  LD      $@"
	@mkdir -p $(dir $@)
	@$(CC) $(LDFLAGS) $(BIN_LDFLAGS) -o $@ $^

# The lab runs kvmini inside a minimal L1 initramfs: no shared libraries.
static: $(STATIC_BIN)
$(STATIC_BIN): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -static -o $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# The firmware (bios/README.md): 16-bit code assembled by the host gcc,
# linked into one 32 KiB image and embedded in kvmini with .incbin.
BIOS_CC    ?= gcc
BIOS_SRCS  := $(filter-out bios/blob.S,$(wildcard bios/*.S))
BIOS_OBJS  := $(patsubst bios/%.S,$(BUILD)/bios/%.o,$(BIOS_SRCS))
BIOS_BIN   := $(BUILD)/bios/bios.bin

$(BUILD)/bios/%.o: bios/%.S bios/bios.h bios/abi.h
	@mkdir -p $(dir $@)
	@echo "  AS16    $<"
	@$(BIOS_CC) -m32 -ffreestanding -nostdlib -c -o $@ $<

$(BIOS_BIN): $(BIOS_OBJS) bios/bios.ld
	@echo "  LD      $@"
	@ld -m elf_i386 -T bios/bios.ld -o $(BUILD)/bios/bios.elf $(BIOS_OBJS)
	@objcopy -O binary $(BUILD)/bios/bios.elf $@

$(BUILD)/obj/bios/blob.o: bios/blob.S $(BIOS_BIN)
	@mkdir -p $(dir $@)
	@$(CC) -c -DBIOS_BIN='"$(BIOS_BIN)"' -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) -c -o $@ $<

$(TEST_BIN): $(TEST_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

# Fuzz targets (docs/fuzzing.md).  Replay: each target linked with gcc
# against a driver that runs a corpus once (make check).  fuzz: the same
# targets under libFuzzer with clang, ASan and UBSan.
FUZZ_TARGETS := virtqueue virtio_blk virtio_net pci serial boot gdb config control
FUZZ_COMMON  := tests/fuzz/fuzz_common.c
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/fuzz_%)
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
                $(WARN) -pthread -DKVMINI_VERSION='"$(VERSION)"' -Ivmm \
                -Idevices -Itests/fuzz \
                -Wno-gnu-variable-sized-type-not-at-end
FUZZ_OBJS    := $(SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_LIB     := $(filter-out $(BUILD)/fuzz/obj/vmm/main.o,$(FUZZ_OBJS))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		$(FUZZ_COMMON) tests/fuzz/fuzz.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(FUZZ_COMMON) $(LIB_OBJS)

fuzz-replay: $(FUZZ_REPLAY)

check-fuzz: $(FUZZ_REPLAY)
	@tests/fuzz/replay.sh $(BUILD)/fuzz-replay

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-c -o $@ $<

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON) tests/fuzz/fuzz.h \
		$(FUZZ_LIB) $(BUILD)/obj/bios/blob.o
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ \
		$< $(FUZZ_COMMON) $(FUZZ_LIB) $(BUILD)/obj/bios/blob.o

fuzz-build: $(FUZZ_BINS)

# FUZZ_SECONDS per target; new crashes land in tests/fuzz/corpus/TARGET/
fuzz:
	@tools/deps.sh fuzz
	@$(MAKE) -s fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh $(BUILD)/fuzz \
		$(FUZZ_TARGETS)

deps:
	@tools/deps.sh build

# `make check SANITIZE=1` is `make check-sanitize`
ifeq ($(SANITIZE),1)
check:
	@$(MAKE) -s SANITIZE= check-sanitize
else
check: deps
	@tools/check.sh
endif

check-unit: deps $(TEST_BIN)
	$(TEST_BIN)

check-guests: kvmini
	@$(MAKE) -s -C guest-tests
	@guest-tests/run.sh

check-cli: kvmini
	@tests/cli.sh ./kvmini
	@tests/console.sh ./kvmini

# --hugepages, --ksm on this host (changes ksmd and huge page settings
# for the test, restores them)
check-mem: kvmini
	@$(MAKE) -s -C guest-tests
	@tests/mem.sh ./kvmini

check-mgmt: kvmini
	@$(MAKE) -s -C guest-tests
	@tests/mgmt.sh ./kvmini

check-trace: kvmini
	@$(MAKE) -s -C guest-tests
	@tests/trace.sh ./kvmini

# ASan + UBSan build of kvmini and the unit tests, run on everything that
# needs no lab.
check-sanitize: deps
	@$(MAKE) -s SANITIZE=1 all $(BUILD)/sanitize/tests/unit-tests
	@$(MAKE) -s -C guest-tests
	$(BUILD)/sanitize/tests/unit-tests
	tests/cli.sh $(BUILD)/sanitize/kvmini
	tests/console.sh $(BUILD)/sanitize/kvmini
	tests/gdb.sh $(BUILD)/sanitize/kvmini
	KVMINI=$(BUILD)/sanitize/kvmini guest-tests/run.sh
	tests/trace.sh $(BUILD)/sanitize/kvmini
	tests/mgmt.sh $(BUILD)/sanitize/kvmini
	tests/seccomp.sh $(BUILD)/sanitize/kvmini
	tests/mem.sh $(BUILD)/sanitize/kvmini
	SAFETY_VMS=10 tests/safety.sh $(BUILD)/sanitize/kvmini
	$(MAKE) -s SANITIZE=1 fuzz-replay
	tests/fuzz/replay.sh $(BUILD)/sanitize/fuzz-replay

check-lab: static
	@tools/lab/check.sh

run:
	@tools/run-default.sh

# tools/bench.sh builds its helpers (tools/bench/*.c) into build/bench
bench: kvmini
	@tools/bench.sh

install: kvmini
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 kvmini $(DESTDIR)$(PREFIX)/bin/kvmini
	install -m 0644 docs/kvmini.1 $(DESTDIR)$(PREFIX)/share/man/man1/kvmini.1

format:
	clang-format -i $(SRCS) $(wildcard vmm/*.h devices/*.h bios/abi.h) \
		$(TEST_SRCS)

clean:
	rm -rf $(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz $(BUILD)/fuzz-replay $(BUILD)/static $(BUILD)/sanitize \
		$(BUILD)/bios kvmini
	-$(MAKE) -s -C guest-tests clean

-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d)
-include $(FUZZ_OBJS:.o=.d)
