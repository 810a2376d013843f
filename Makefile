# snpvm: one Makefile. A static library per directory; the link order below is
# the dependency graph (util <- abi <- measure/attest <- httpd <- sim <- launcher <- attestd <- cli).
VERSION := 0.1.0

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?= 0
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS :=
endif

# Dependencies. Nothing below runs pkg-config while this file is parsed: on a fresh machine the
# packages are not there yet. Every compile and link waits for `deps-check` (an order-only
# prerequisite), which installs the packages the goals on the command line need (scripts/deps.sh
# names them per purpose: DEPS_<goal> below). The pkg-config flags are recursively expanded
# variables, so they are computed when the first recipe that uses them runs (after deps-check,
# also under -j, since make expands a recipe only when its prerequisites are done) and then kept
# for the rest of the run (the $(eval) caches them). A module pkg-config does not know stops the
# build naming the Debian package to install (deb.<module>).
DEPS_test := test
DEPS_check := test
DEPS_demo := demo
DEPS_bench := bench
DEPS_fuzz := fuzz
DEPS_valgrind := valgrind
DEPS_SETS := build $(if $(findstring clang,$(CC)),clang) $(foreach g,$(MAKECMDGOALS),$(DEPS_$(g)))

# libmicrohttpd, libcurl, libpq, unicorn and jose are loaded at run time by the commands that
# need each (util/dl.h): only their headers are used at build time; tests link libcurl as a client.
PKGS := libssl libcrypto jansson libcbor sqlite3 libseccomp
PKGS_DL := libmicrohttpd libcurl libpq unicorn jose
PKGS_TEST := libcurl cmocka
deb.libssl := libssl-dev
deb.libcrypto := libssl-dev
deb.jansson := libjansson-dev
deb.unicorn := libunicorn-dev
deb.jose := libjose-dev
deb.libcbor := libcbor-dev
deb.sqlite3 := libsqlite3-dev
deb.libseccomp := libseccomp-dev
deb.libpq := libpq-dev
deb.libmicrohttpd := libmicrohttpd-dev
deb.libcurl := libcurl4-openssl-dev
deb.cmocka := libcmocka-dev

# $(call pkg_config,--cflags|--libs,modules)
pkg_config = $(if $(shell pkg-config --version 2>/dev/null),,$(error pkg-config not found: \
	install the Debian package pkg-config))$(foreach m,$(2),$(if $(shell pkg-config --exists \
	$(m) && echo y),,$(error pkg-config module '$(m)' not found: install the Debian package \
	$(or $(deb.$(m)),that provides $(m).pc))))$(shell pkg-config $(1) $(2))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkg_config,--cflags,$(PKGS) $(PKGS_DL)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(call pkg_config,--libs,$(PKGS)))$(PKG_LIBS)
TEST_LIBS = $(eval TEST_LIBS := $$(call pkg_config,--libs,$(PKGS_TEST)))$(TEST_LIBS)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSNPVM_VERSION='"$(VERSION)"' -I. $(WARN) \
	$(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LDLIBS = $(PKG_LIBS) -lpthread -ldl

# Top of the graph first: a static library may only use those after it.
LIBDIRS := agent attestd launcher hostcheck sim httpd attest measure abi util
LIBS := $(foreach d,$(LIBDIRS),$(BUILD)/lib$(d).a)

srcs = $(sort $(wildcard $(1)/*.c))
objs = $(patsubst %.c,$(BUILD)/%.o,$(call srcs,$(1)))

CLI_OBJS := $(call objs,cli)
TEST_COMMON_OBJS := $(call objs,tests/common)

TEST_SRCS := $(sort $(wildcard tests/*/test-*.c))
TEST_BINS := $(patsubst %.c,$(BUILD)/%,$(TEST_SRCS))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/fuzz-%.c,$(BUILD)/tests/fuzz/replay-%,$(FUZZ_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(FUZZ_SRCS))
# Headers checked by hdrcheck: all but the tests' own.
HDRS := $(sort $(wildcard $(addsuffix /*.h,$(LIBDIRS) cli)))
HDRCHECK_STAMPS := $(patsubst %,$(BUILD)/hdrcheck/%.ok,$(HDRS))
# Benchmark programs (tests/bench/bench-*.c), built for `make bench`, never part of snpvm.
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/bench/bench-*.c)))

.SECONDARY:

.PHONY: all guests ovmf test check deps deps-check install uninstall clean hdrcheck fuzz fuzz-bins valgrind \
	bench demo fresh-check

all: $(BUILD)/snpvm

$(BUILD)/%.o: %.c | deps-check
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

define lib_rule
$(BUILD)/lib$(1).a: $(call objs,$(1))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@
	$(Q)ar rcs $$@ $$^
endef
$(foreach d,$(LIBDIRS),$(eval $(call lib_rule,$(d))))

$(BUILD)/snpvm: $(CLI_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_COMMON_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(LIBS) $(LDLIBS) $(TEST_LIBS)

# Tests of cli/ itself (the option parser) also link cli/ without main().
CLI_LIB := $(BUILD)/libcli.a
$(CLI_LIB): $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJS))
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/tests/cli/%: $(BUILD)/tests/cli/%.o $(TEST_COMMON_OBJS) $(CLI_LIB) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(CLI_LIB) $(LIBS) $(LDLIBS) $(TEST_LIBS)

# Tests of the snp backend also link the fake KVM (tests/launcher/fake-kvm.h).
FAKE_KVM_OBJ := $(BUILD)/tests/launcher/fake-kvm.o
$(BUILD)/tests/launcher/test-snp-%: $(BUILD)/tests/launcher/test-snp-%.o $(FAKE_KVM_OBJ) \
		$(TEST_COMMON_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(FAKE_KVM_OBJ) $(TEST_COMMON_OBJS) $(LIBS) $(LDLIBS) \
		$(TEST_LIBS)
# Every fuzz target is also a corpus-replay test, so `make test` runs the corpus with gcc.
$(BUILD)/tests/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/replay-main.o \
		$(TEST_COMMON_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter-out $(LIBS),$^) $(LIBS) $(LDLIBS) $(TEST_LIBS)

# The libFuzzer binaries: built by `make fuzz` with clang and the fuzzer flags (see there).
$(BUILD)/tests/fuzz/fuzz-%: $(BUILD)/tests/fuzz/fuzz-%.o $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(FUZZ_EXTRA) $(LIBS) $(LDLIBS) \
		$(if $(FUZZ_EXTRA),$(TEST_LIBS))
# The VMM exit fuzzer runs the snp exits on the fake KVM (and its simulated secure processor).
FUZZ_VMM := $(BUILD)/tests/fuzz/fuzz-vmm-exits $(BUILD)/tests/fuzz/replay-vmm-exits
$(FUZZ_VMM): FUZZ_EXTRA = $(FAKE_KVM_OBJ) $(TEST_COMMON_OBJS)
$(FUZZ_VMM): $(FAKE_KVM_OBJ) $(TEST_COMMON_OBJS)

# Test guests (tests/guests/, tests/guests/README.md): freestanding x86-64 ELF payloads
# for `snpvm launch` and, through their PVH note, QEMU. Always built with GUEST_CC and
# GUEST_CFLAGS, never with CFLAGS/SANFLAGS: the same bytes (and measurement) in every BUILD.
GUEST_CC ?= gcc
# gcc-only flags (GUEST_CC=clang also works): no PIE link, no memcpy idiom inside lib/string.c.
GUEST_GCC_ONLY := $(if $(findstring clang,$(GUEST_CC)),,-no-pie -fno-tree-loop-distribute-patterns)
GUEST_CFLAGS := -std=c11 -I. -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib -static \
	-fno-pic -mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables $(GUEST_GCC_ONLY) \
	-Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,max-page-size=4096
GUEST_LIB_SRCS := $(sort $(wildcard tests/guests/lib/*.c tests/guests/lib/*.S))
GUEST_DEPS := $(GUEST_LIB_SRCS) $(wildcard tests/guests/lib/*.h) tests/guests/guest.ld \
	measure/payload.h abi/page-info.h abi/vmsa.h util/err.h
GUEST_ELFS := $(patsubst tests/guests/%.c,$(BUILD)/tests/guests/%.elf,$(wildcard tests/guests/*.c))

$(BUILD)/tests/guests/%.elf: tests/guests/%.c $(GUEST_DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -T tests/guests/guest.ld -o $@ $< $(GUEST_LIB_SRCS)

guests: $(GUEST_ELFS)
test bench: $(GUEST_ELFS)

test: $(BUILD)/snpvm $(TEST_BINS) $(FUZZ_REPLAY_BINS) $(HDRCHECK_STAMPS) | deps-check
	@SNPVM=$(BUILD)/snpvm tests/run.sh $(TEST_BINS) $(FUZZ_REPLAY_BINS)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check: | deps-check
	$(MAKE) --no-print-directory SANITIZE=1 test

# The packages of the sets the goals need, installed if missing (scripts/deps.sh).
deps-check:
	@scripts/deps.sh install $(DEPS_SETS)

# `make deps`: all that building, the demo and the tests need.
deps:
	@scripts/deps.sh install $(sort $(DEPS_SETS) test demo)

# Each public header compiles on its own (checked again when the header changes or anything
# it includes does; part of `make test`).
$(BUILD)/hdrcheck/%.h.ok: %.h | deps-check
	@mkdir -p $(@D)
	$(Q)echo '#include "$<"' | $(CC) $(ALL_CFLAGS) -x c -fsyntax-only -MMD -MP -MT $@ \
		-MF $@.d - || { echo "hdrcheck: $< does not compile on its own"; exit 1; }
	@touch $@
hdrcheck: $(HDRCHECK_STAMPS)
	@echo "hdrcheck: all $(words $(HDRS)) headers compile on their own"

# libFuzzer builds (clang only): `make fuzz SECONDS=N FUZZ_JOBS=J` runs every target N seconds,
# J at a time (scripts/fuzz.sh), each with its corpus as the seed; a crash lands in
# tests/fuzz/crashes/ and fails the run.
SECONDS ?= 30
FUZZ_JOBS ?= 2
FUZZ_FLAGS := -fsanitize=address,undefined
fuzz-bins: $(FUZZ_BINS)
fuzz: | deps-check
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		CFLAGS="-O1 -g $(FUZZ_FLAGS),fuzzer-no-link" LDFLAGS="$(FUZZ_FLAGS),fuzzer" fuzz-bins
	@scripts/fuzz.sh $(SECONDS) $(FUZZ_JOBS) $(patsubst $(BUILD)/%,build-fuzz/%,$(FUZZ_BINS))

# The CLI and attestd tests under valgrind memcheck, snpvm children included (other programs
# the tests start are not traced), with SNPVM_NO_SECCOMP=1 (valgrind cannot run under a seccomp
# filter); suppressions, each with its reason, in tests/valgrind.supp.
# VALGRIND_TESTS narrows the set. Not part of CI (it takes ~6 min); docs/development.md has the last run.
VALGRIND_TESTS ?= $(filter $(BUILD)/tests/cli/% $(BUILD)/tests/attestd/%,$(TEST_BINS))
# No quotes around the skip patterns: TEST_WRAP reaches tests/run.sh inside double quotes and is
# split there without quote removal, so quotes would stay part of the first and last patterns
# (python3 and the last one were traced). No file starts with "--trace-children-skip=", so the
# shell leaves the word's '*' alone.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--trace-children=yes --trace-children-skip=*/python3*,*/openssl,*/postgres,*/pg_ctl,*/pg_isready,*/createdb,*/initdb,*/sh,*/curl,*/readelf \
	--suppressions=$(CURDIR)/tests/valgrind.supp
valgrind: $(BUILD)/snpvm $(VALGRIND_TESTS) | deps-check
	@TEST_WRAP="$(VALGRIND)" SNPVM=$(BUILD)/snpvm SNPVM_NO_SECCOMP=1 tests/run.sh $(VALGRIND_TESTS)

bench: $(BUILD)/snpvm $(BENCH_BINS) | deps-check
	@scripts/bench.sh $(BUILD)/snpvm

# Rebuilds the pinned AmdSev OVMF from Debian's edk2 source and compares its sha256 (minutes;
# not part of test; ovmf-config/README.md).
ovmf:
	@ovmf-config/build.sh $(BUILD)/OVMF.amdsev.fd

demo: $(BUILD)/snpvm $(BUILD)/tests/guests/serve.elf | deps-check
	@scripts/demo.sh $(BUILD)/snpvm $(BUILD)/tests/guests/serve.elf

install: $(BUILD)/snpvm
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/snpvm $(DESTDIR)$(PREFIX)/bin/snpvm
	install -m 0644 docs/snpvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/snpvm.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/snpvm $(DESTDIR)$(PREFIX)/share/man/man1/snpvm.1

clean:
	rm -rf build build-san build-fuzz build-clang

# The README's set-up commands on a debootstrap'ed Debian 12 (tests/fresh-check.sh): minutes,
# so not part of `make test`. Run it when the build or the dependency lists change.
fresh-check:
	@scripts/deps.sh install fresh-check
	@tests/fresh-check.sh

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
