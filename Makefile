# kuvert build. Plain GNU make; dependencies come from Debian packages via pkg-config.
#
#   make                  build build/release/kuvert (gcc; CC=clang builds into build/release-clang)
#   make run              install missing packages (or print the command), build, run kuvert's main job
#   make test             build plain and ASan+UBSan, run every test suite in both on SQLite and the
#                         plain build again on a throw-away PostgreSQL 15; fuzz for a bounded time
#   make tsan             ThreadSanitizer build; runs the unit and black-box suites in it
#   make fuzz             build the libFuzzer targets (clang) and fuzz for a bounded time
#   make bench            build and run the benchmarks in bench/
#   make bench-growth     only the growth series (BENCH_SCALE=100k | 1M | 10M, bench/growth.sh)
#   make MODE=asan tests-build    build the kuvert binary and unit tests of one mode
#
# Warnings are errors everywhere, with gcc and with clang. Safe with -j2.

# --- pkg-config packages: the one place they are named (tools/deps.sh installs their -dev) ---
LIB_PKGS   := libxml-2.0 sqlite3 libpq libmicrohttpd jansson libcurl libarchive liblzma libcrypto cjose \
              cairo pangocairo poppler-glib libpng libical
TEST_PKGS  := $(LIB_PKGS) cmocka
FUZZ_PKGS  := libxml-2.0 jansson libcurl libcrypto
BENCH_PKGS := $(LIB_PKGS)

# $(call pkg,--cflags|--libs,PKGS): the flags, or stop with the names of the missing packages.
pkg = $(if $(shell pkg-config --exists $(2) 2>/dev/null && echo ok),$(shell pkg-config $(1) $(2)),$(error \
      missing pkg-config package(s):$(shell for p in $(2); do pkg-config --exists $$p 2>/dev/null || \
      printf ' %s' $$p; done) (install with: sh tools/deps.sh)))
# Evaluated at most once, and only when a rule that compiles or links needs them.
LIB_CFLAGS   = $(eval LIB_CFLAGS := $(call pkg,--cflags,$(LIB_PKGS)))$(LIB_CFLAGS)
LIB_LIBS     = $(eval LIB_LIBS := $(call pkg,--libs,$(LIB_PKGS)) -lpthread -lm)$(LIB_LIBS)
TEST_CFLAGS  = $(eval TEST_CFLAGS := $(call pkg,--cflags,$(TEST_PKGS)))$(TEST_CFLAGS)
TEST_LIBS    = $(eval TEST_LIBS := $(call pkg,--libs,$(TEST_PKGS)) -lpthread -lm)$(TEST_LIBS)
FUZZ_CFLAGS  = $(eval FUZZ_CFLAGS := $(call pkg,--cflags,$(FUZZ_PKGS)))$(FUZZ_CFLAGS)
FUZZ_LIBS    = $(eval FUZZ_LIBS := $(call pkg,--libs,$(FUZZ_PKGS)) -lpthread -lm)$(FUZZ_LIBS)
BENCH_CFLAGS = $(eval BENCH_CFLAGS := $(call pkg,--cflags,$(BENCH_PKGS)))$(BENCH_CFLAGS)
BENCH_LIBS   = $(eval BENCH_LIBS := $(call pkg,--libs,$(BENCH_PKGS)) -lpthread -lm)$(BENCH_LIBS)

CSTD      := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
             -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter
BASE_CFLAGS = $(CSTD) $(WARN) -Isrc -Ibuild/gen -MMD -MP

MODE ?= release
ifeq ($(MODE),asan)
  MODE_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
  MODE_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
  MODE_LDFLAGS := -fsanitize=thread
else ifeq ($(MODE),release)
  MODE_CFLAGS  := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
  MODE_LDFLAGS :=
else
  $(error MODE must be release, asan or tsan (got "$(MODE)"))
endif
# Objects of another compiler go to their own tree, so gcc and clang builds never mix.
B := build/$(MODE)$(if $(filter clang%,$(notdir $(firstword $(CC)))),-clang)

LIB_SRCS  := $(shell find src -name '*.c' ! -path 'src/cli/main.c' | sort)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/schemas_embed.o
MAIN_OBJ  := $(B)/obj/src/cli/main.o
TEST_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(B)/tests/%)
SCHEMAS   := $(shell find schemas -name "*.xsd" | sort) $(shell find src/store/migrations -name "*.sql" | sort)
EMBED_C   := build/gen/schemas_embed.c
# Web message catalogs (po/*.po, GNU gettext) compiled by msgfmt and embedded like the schemas.
PO_FILES  := $(sort $(wildcard po/*.po))
MO_FILES  := $(PO_FILES:po/%.po=build/po/%.mo)
EMBEDDED  := $(SCHEMAS) $(MO_FILES) docs/openapi.yaml

FUZZ_CC   ?= clang
FUZZ_DIR  := build/fuzz
FUZZ_SRCS := $(shell find src/memo src/util -name '*.c' | sort)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_DIR := $(B)/bench
BENCH_BINS := $(patsubst bench/%.c,$(BENCH_DIR)/%,$(wildcard bench/*_bench.c))

.PHONY: all run test test-multinode test-cluster check bench bench-build fuzz fuzz-build clean deps release asan tsan \
        tests-build
all: $(B)/kuvert

$(B)/kuvert: $(MAIN_OBJ) $(B)/libkuvert.a
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(B)/libkuvert.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) $(MODE_CFLAGS) -c -o $@ $<

$(B)/obj/gen/schemas_embed.o: $(EMBED_C)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(MODE_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

build/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -o $@.$$$$ $< && mv $@.$$$$ $@

$(EMBED_C): build/tools/embed $(EMBEDDED)
	@mkdir -p $(dir $@)
	build/tools/embed $(EMBEDDED) > $@.$$$$ && mv $@.$$$$ $@

build/po/%.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check-format --check-domain -o $@.$$$$ $< && mv $@.$$$$ $@

$(B)/tests/%: tests/unit/%.c $(B)/libkuvert.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TEST_CFLAGS) $(MODE_CFLAGS) -Itests $(MODE_LDFLAGS) -o $@ $< \
	    $(B)/libkuvert.a $(TEST_LIBS)

tests-build: $(B)/kuvert $(TEST_BINS)

# The generated table is shared by every mode: make it once before the sub-makes run.
release: $(EMBED_C)
	$(MAKE) MODE=release tests-build
asan: $(EMBED_C)
	$(MAKE) MODE=asan tests-build

deps:
	@tools/deps.sh

run: deps
	$(MAKE) MODE=release all
	tools/run-demo.sh build/release/kuvert

test: deps
	$(MAKE) MODE=release tests-build
	$(MAKE) MODE=asan tests-build
	tests/run.sh

# Several nodes on one PostgreSQL database (docs/postgresql.md): on KUVERT_TEST_PG, or on a
# private cluster the suite starts (tests/pg_cluster.sh). Also part of `make test`.
test-multinode: deps
	$(MAKE) MODE=release all
	KUVERT=build/release/kuvert KUVERT_ROOT=$(CURDIR) /usr/bin/python3 -m pytest -q \
	    -p no:cacheprovider tests/multinode

# PostgreSQL primary failover under load: Patroni + etcd + two PostgreSQL 15 on loopback
# (tests/failover/, docs/postgresql.md). Also part of `make test`.
test-cluster: deps
	$(MAKE) MODE=release all
	KUVERT=build/release/kuvert KUVERT_ROOT=$(CURDIR) /usr/bin/python3 -m pytest -q \
	    -p no:cacheprovider tests/failover

# ThreadSanitizer: unit tests and the black-box suites (shell and pytest) on the tsan binary.
tsan: deps
	$(MAKE) MODE=tsan tests-build
	KUVERT_TEST_MODES=tsan KUVERT_TEST_FUZZ=0 tests/run.sh

# libFuzzer targets: the memo reader over src/memo and src/util, built with clang.
$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_SRCS) $(EMBED_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -Isrc -Ibuild/gen $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) \
	    $(EMBED_C) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	tests/fuzz/build-and-run.sh

# Benchmarks link the library of the current mode (make bench uses release).
$(BENCH_DIR)/%: bench/%.c $(B)/libkuvert.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(BENCH_CFLAGS) $(MODE_CFLAGS) -Wno-missing-prototypes $(MODE_LDFLAGS) \
	    -o $@ $< $(B)/libkuvert.a $(BENCH_LIBS)

bench-build: $(BENCH_BINS)

bench: deps
	$(MAKE) MODE=release all bench-build
	bench/run.sh

# The growth series alone (bench/growth.sh): BENCH_SCALE=100k (default), 1M or 10M.
.PHONY: bench-growth
bench-growth: deps
	$(MAKE) MODE=release all bench-build
	bench/growth.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
