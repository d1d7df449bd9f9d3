# Makefile for crmsync.
#
#   make            build build/crmsync and build/libcrmsync.a
#   make demo       the bundled demo end to end (extract, match, load,
#                   export) against the Salesforce emulator (scripts/demo.sh)
#   make demo-offline  the same job with its fixture source, no network
#                   (jobs/demo.yaml: export stages requests, sends nothing)
#   make test       unit tests + fixture-replay cases (the CI gate)
#   make check      the same suite built with ASan + UBSan, warnings as errors
#   make bench      benchmarks, printed as ratios against their peers
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#
# Missing Debian packages are installed (as root) or named by
# scripts/deps.sh before the first build.

PKGS     := libcurl openssl zlib libisal yaml-0.1 jansson libutf8proc icu-i18n icu-uc sqlite3
BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
# Link-time optimisation: the match scores tens of millions of pairs, each
# through comparisons that call from match.c into match_prep.c and sim.c;
# inlined across those files, the 100 k x 1 M match scores its pairs in
# 14% less time (tests/bench/README.md).  `make check` builds without it.
CFLAGS   ?= -O2 -g -flto=auto

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wold-style-definition -Wvla \
        -Wwrite-strings -Wpointer-arith -Wundef
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif

DEPS_OK := $(BUILD)/.deps-ok
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
endif

CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ietl -I$(BUILD)/gen
ALL_CFLAGS = -std=c17 $(WARN) $(PKG_CFLAGS) $(CFLAGS)
# libcsv-dev ships no pkg-config file, so it is linked by name
LDLIBS += $(PKG_LIBS) -lcsv -lpthread -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PROG     := $(BUILD)/crmsync
LIB      := $(BUILD)/libcrmsync.a
LIB_SRCS := $(filter-out etl/main.c,$(wildcard etl/*.c))
LIB_OBJS := $(LIB_SRCS:etl/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/schemas_embed.o \
            $(BUILD)/obj/data_embed.o
SCHEMAS  := $(sort $(wildcard schemas/*/*.yaml))
DATA     := $(sort $(wildcard data/*.csv data/*.txt))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all

.PHONY: all deps demo demo-offline test check bench install clean unit tools
all: $(PROG) $(UNIT_BINS) $(TOOL_BINS)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(@D) && touch $@

$(PROG): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/%.o: etl/%.c $(DEPS_OK) $(BUILD)/gen/version.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/schemas_embed.c: $(SCHEMAS) scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh schemas $@ $(SCHEMAS)

$(BUILD)/gen/data_embed.c: $(DATA) scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh data $@ $(DATA)

$(BUILD)/obj/%_embed.o: $(BUILD)/gen/%_embed.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/version.h: VERSION
	@mkdir -p $(@D)
	@echo '#define CRMSYNC_VERSION "$(VERSION)"' >$@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(wildcard tests/tools/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*.d)

demo: all
	CRMSYNC=$(PROG) scripts/demo.sh

demo-offline: all
	$(PROG) run jobs/demo.yaml

test: all
	CRMSYNC=$(PROG) BUILD=$(BUILD) tests/run.sh $(T)

check:
	$(MAKE) BUILD=build-asan DEVELOPER=1 CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CRMSYNC=build-asan/crmsync BUILD=build-asan \
		TRASH=$(CURDIR)/tests/trash-asan tests/run.sh $(T)

bench: all
	BUILD=$(BUILD) tests/bench/run.sh

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/crmsync

clean:
	rm -rf build build-asan
