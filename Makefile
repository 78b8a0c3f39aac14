# kuvert build. Plain GNU make; dependencies come from Debian packages via pkg-config.
#
#   make            build build/release/kuvert
#   make run        install missing packages (or print the command), build, run kuvert's main job
#   make test       build plain and ASan+UBSan, run every test suite in both, fuzz for a bounded time
#   make bench      build and run the benchmarks in bench/
#
# Warnings are errors everywhere.

PKGS      := libxml-2.0 cmocka sqlite3 libmicrohttpd jansson libcurl libarchive liblzma libcrypto
CC        ?= cc
CSTD      := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
             -Wvla -Wpointer-arith -Wundef -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
BASE_CFLAGS = $(CSTD) $(WARN) -Isrc -Ibuild/gen $(PKG_CFLAGS) -MMD -MP

MODE ?= release
ifeq ($(MODE),asan)
  MODE_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  MODE_LDFLAGS := -fsanitize=address,undefined
else
  MODE_CFLAGS  := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
  MODE_LDFLAGS :=
endif
B := build/$(MODE)

LIB_SRCS  := $(shell find src -name '*.c' ! -path 'src/cli/main.c' | sort)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/schemas_embed.o
MAIN_OBJ  := $(B)/obj/src/cli/main.o
TEST_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(B)/tests/%)
SCHEMAS   := $(shell find schemas -name "*.xsd" | sort) $(shell find src/store/migrations -name "*.sql" | sort)

.PHONY: all run test check bench fuzz clean deps release asan
all: $(B)/kuvert

$(B)/kuvert: $(MAIN_OBJ) $(B)/libkuvert.a
	$(CC) $(MODE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/libkuvert.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(MODE_CFLAGS) -c -o $@ $<

$(B)/obj/gen/schemas_embed.o: build/gen/schemas_embed.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(MODE_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

build/gen/schemas_embed.c: tools/embed.c $(SCHEMAS)
	@mkdir -p build/gen build/tools
	$(CC) $(CSTD) $(WARN) -O1 -o build/tools/embed tools/embed.c
	build/tools/embed $(SCHEMAS) > $@.tmp && mv $@.tmp $@

$(B)/tests/%: tests/unit/%.c $(B)/libkuvert.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(MODE_CFLAGS) -Itests $(MODE_LDFLAGS) -o $@ $< $(B)/libkuvert.a $(PKG_LIBS)

tests-build: $(B)/kuvert $(TEST_BINS)

release:
	$(MAKE) MODE=release tests-build
asan:
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

fuzz: deps
	tests/fuzz/build-and-run.sh

bench: deps
	$(MAKE) MODE=release all
	bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
