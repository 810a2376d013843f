# snpvm: one Makefile. A static library per directory; the link order below is
# the dependency graph (util <- abi <- measure/attest <- sim <- launcher <- cli).
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

# libmicrohttpd and libcurl are loaded at run time by the one command that needs each
# (util/dl.h): only their headers are used at build time; tests link libcurl as a client.
PKGS := libssl libcrypto jansson jose
PKGS_DL := libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_DL) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null) -lcmocka

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DSNPVM_VERSION='"$(VERSION)"' -I. $(WARN) \
	$(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -ldl

# Top of the graph first: a static library may only use those after it.
LIBDIRS := attestd launcher sim attest measure abi util
LIBS := $(foreach d,$(LIBDIRS),$(BUILD)/lib$(d).a)

srcs = $(sort $(wildcard $(1)/*.c))
objs = $(patsubst %.c,$(BUILD)/%.o,$(call srcs,$(1)))

CLI_OBJS := $(call objs,cli)
TEST_COMMON_OBJS := $(call objs,tests/common)

TEST_SRCS := $(sort $(wildcard tests/*/test-*.c))
TEST_BINS := $(patsubst %.c,$(BUILD)/%,$(TEST_SRCS))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/fuzz-%.c,$(BUILD)/tests/fuzz/replay-%,$(FUZZ_SRCS))
# Benchmark programs (tests/bench/bench-*.c), built for `make bench`, never part of snpvm.
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/bench/bench-*.c)))

.SECONDARY:

.PHONY: all test check deps deps-check install uninstall clean hdrcheck fuzz bench demo tidy

all: $(BUILD)/snpvm

$(BUILD)/%.o: %.c
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

# Every fuzz target is also a corpus-replay test, so `make test` runs the corpus with gcc.
$(BUILD)/tests/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/replay-main.o $(TEST_COMMON_OBJS) $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)


test: deps-check $(BUILD)/snpvm $(TEST_BINS) $(FUZZ_REPLAY_BINS)
	@SNPVM=$(BUILD)/snpvm tests/run.sh $(TEST_BINS) $(FUZZ_REPLAY_BINS)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps-check
	$(MAKE) --no-print-directory SANITIZE=1 test

deps:
	scripts/deps.sh install

deps-check:
	@scripts/deps.sh check || scripts/deps.sh install

# Each public header must compile on its own.
hdrcheck:
	@set -e; for h in $$(git ls-files '*.h' | grep -v '^tests/'); do \
		echo "#include \"$$h\"" | $(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || { echo "hdrcheck: $$h"; exit 1; }; \
	done; echo "hdrcheck: all headers compile on their own"

# libFuzzer builds (clang only); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 30
fuzz:
	@set -e; for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
			CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libattestd.a build-fuzz/libsim.a build-fuzz/libattest.a build-fuzz/libmeasure.a build-fuzz/libabi.a build-fuzz/libutil.a; \
		clang -std=c11 -D_GNU_SOURCE -I. -O1 -g -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$f \
			$(foreach d,$(LIBDIRS),build-fuzz/lib$(d).a) $(LDLIBS); \
		mkdir -p build-fuzz/corpus-$$n; \
		./build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n tests/fuzz/corpus/$${n#fuzz-}; \
	done

bench: $(BUILD)/snpvm $(BENCH_BINS)
	@scripts/bench.sh $(BUILD)/snpvm

demo: deps-check $(BUILD)/snpvm
	@scripts/demo.sh $(BUILD)/snpvm

install: $(BUILD)/snpvm
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/snpvm $(DESTDIR)$(PREFIX)/bin/snpvm
	install -m 0644 docs/snpvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/snpvm.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/snpvm $(DESTDIR)$(PREFIX)/share/man/man1/snpvm.1

clean:
	rm -rf build build-san build-fuzz build-clang

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
