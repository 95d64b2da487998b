# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tailgate: one top-level Makefile, everything builds into build/.
# Quiet by default; V=1 shows full commands.

PREFIX		?= /usr/local
DESTDIR		?=
BUILD		:= build
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
PKG_CONFIG	?= pkg-config

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages the build, the tests and the demo need. `make deps`
# installs the missing ones and nothing when all are there.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev \
	    libcmocka-dev pkg-config iproute2 iputils-ping \
	    libclang-rt-14-dev make gcc jq

PKGS		:= libbpf libelf zlib yaml-0.1
PKG_CFLAGS	 = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	 = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS		?= -O2 -g
CFLAGS		+= -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
		   -D_GNU_SOURCE -I$(BUILD) -Iorchestrator $(PKG_CFLAGS)
LDLIBS		+= $(PKG_LIBS) -lm

ARCH		:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# uapi headers of a stage built without vmlinux.h need asm/types.h,
# which Debian keeps under the multiarch directory.
MULTIARCH	:= $(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CFLAGS	:= -g -O2 -target bpf -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
		   -DBPF_NO_PRESERVE_ACCESS_INDEX \
		   -I$(BUILD) -Ibpf/include -idirafter /usr/include/$(MULTIARCH)

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS	:= $(wildcard bpf/include/*.h)
SKELS		:= $(BUILD)/dispatcher.skel.h $(BUILD)/split.skel.h

ORCH_SRCS	:= $(wildcard orchestrator/*.c)
ORCH_OBJS	:= $(patsubst orchestrator/%.c,$(BUILD)/obj/%.o,$(ORCH_SRCS))
ORCH_LIB_OBJS	:= $(filter-out $(BUILD)/obj/main.o,$(ORCH_OBJS))
ORCH_HDRS	:= $(wildcard orchestrator/*.h)

# Test-only BPF objects (bad versions, mismatched maps, bench stages).
TEST_BPF_SRCS	:= $(filter-out tests/bpf/progs/bench_%,$(wildcard tests/bpf/progs/*.bpf.c))
TEST_BPF_OBJS	:= $(patsubst tests/bpf/progs/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(TEST_BPF_SRCS))
# Programs only the benchmarks run (make bench builds them).
BENCH_BPF_SRCS	:= $(wildcard tests/bpf/progs/bench_*.bpf.c)
BENCH_BPF_OBJS	:= $(patsubst tests/bpf/progs/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(BENCH_BPF_SRCS))
TEST_BPF_HDRS	:= $(wildcard tests/bpf/progs/*.h)
# Header-only test helpers (fixture, packet builder); tools use them too.
TEST_HDRS	:= $(wildcard tests/lib/*.h)

UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
BPFT_SRCS	:= $(wildcard tests/bpf/test_*.c)
BPFT_BINS	:= $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
TOOL_SRCS	:= $(wildcard tools/*.c)
TOOL_BINS	:= $(patsubst tools/%.c,$(BUILD)/tools/%,$(filter-out tools/bench_%,$(TOOL_SRCS)))
BENCH_BINS	:= $(patsubst tools/%.c,$(BUILD)/tools/%,$(filter tools/bench_%,$(TOOL_SRCS)))
# Code the bench tools share (no main of its own).
BENCH_LIB_OBJS	:= $(patsubst tools/lib/%.c,$(BUILD)/obj/tools/%.o,$(wildcard tools/lib/*.c))

.PHONY: all deps bpf test test-unit test-bpf test-integration demo bench \
	fuzz check install clean format

all: $(BUILD)/tailgate $(BPF_OBJS) $(TEST_BPF_OBJS) $(TOOL_BINS)

deps:
	$(Q)tools/deps.sh $(DEB_PKGS)

bpf: $(BPF_OBJS)

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/progs/%.bpf.c $(BPF_HDRS) $(TEST_BPF_HDRS) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/obj/%.o: orchestrator/%.c $(ORCH_HDRS) $(BPF_HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tailgate: $(ORCH_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(ORCH_LIB_OBJS) $(BPF_HDRS) $(TEST_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib $(filter-out %.h,$^) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(ORCH_LIB_OBJS) $(BPF_OBJS) $(TEST_BPF_OBJS) $(BPF_HDRS) $(TEST_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib $< $(ORCH_LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tools/%.c $(BPF_HDRS) $(TEST_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# The bench tools load and flip through the orchestrator's own modules
# (every object but main.o, as the unit tests link them).
$(BUILD)/obj/tools/%.o: tools/lib/%.c $(wildcard tools/lib/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_BINS): $(BUILD)/tools/%: tools/%.c $(ORCH_LIB_OBJS) $(BENCH_LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< $(ORCH_LIB_OBJS) $(BENCH_LIB_OBJS) -o $@ $(LDLIBS)

# The README's test command: unit, BPF test-run tables, integration.
test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(BPFT_BINS)
	$(Q)tests/run.sh

test-unit: $(UNIT_BINS)
	$(Q)tests/run.sh unit

test-bpf: all $(BPFT_BINS)
	$(Q)tests/run.sh bpf

test-integration: all
	$(Q)tests/run.sh integration

# The README's main command: sandbox fleet, a good rollout, a bad one.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)examples/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS) $(BENCH_BPF_OBJS)
	$(Q)tools/bench.sh

# Fuzz the plan parser (libFuzzer, ASan, UBSan; plan files are untrusted
# input). `fuzz` grows build/fuzz/corpus from the seeds for FUZZ_SECONDS;
# `fuzz-smoke` is the short, fresh run of the test suite. The seeds in
# tests/fuzz/corpus are never written; crashes go to build/fuzz/artifacts/.
FUZZ_SECONDS	?= 60
FUZZ_CFLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all -std=gnu11 -Wall -Wextra -Werror \
		   -Wno-unused-parameter -D_GNU_SOURCE -Iorchestrator
fuzz_run = mkdir -p $(BUILD)/fuzz/$(2) $(BUILD)/fuzz/artifacts && \
	   cp tests/fuzz/corpus/* $(BUILD)/fuzz/$(2)/ && \
	   $(BUILD)/fuzz/fuzz_plan -max_total_time=$(1) -max_len=8192 \
		-timeout=10 -dict=tests/fuzz/plan.dict -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/ $(BUILD)/fuzz/$(2)

.PHONY: fuzz-smoke

# The plan module: the plan itself, its stages and steps, typed fields, YAML.
FUZZ_PLAN_SRCS	:= orchestrator/plan.c orchestrator/plan_pipeline.c \
		   orchestrator/plan_steps.c orchestrator/schema.c \
		   orchestrator/ynode.c
FUZZ_PLAN_HDRS	:= orchestrator/plan.h orchestrator/plan_internal.h \
		   orchestrator/schema.h orchestrator/ynode.h

$(BUILD)/fuzz/fuzz_plan: tests/fuzz/fuzz_plan.c $(FUZZ_PLAN_SRCS) $(FUZZ_PLAN_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_plan.c $(FUZZ_PLAN_SRCS) -o $@ -lyaml

fuzz: $(BUILD)/fuzz/fuzz_plan
	$(Q)$(call fuzz_run,$(FUZZ_SECONDS),corpus)

fuzz-smoke: $(BUILD)/fuzz/fuzz_plan
	$(Q)rm -rf $(BUILD)/fuzz/smoke
	$(Q)$(call fuzz_run,15,smoke)

install: $(BUILD)/tailgate $(BPF_OBJS)
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/tailgate/bpf
	$(Q)install -m 0755 $(BUILD)/tailgate $(DESTDIR)$(PREFIX)/sbin/tailgate
	$(Q)install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/tailgate/bpf/

check: all
	$(Q)clang-format --dry-run --Werror orchestrator/*.[ch] tools/*.c 2>&1 | head -50; true
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -Iorchestrator orchestrator tools

format:
	$(Q)clang-format -i orchestrator/*.[ch] tools/*.c

clean:
	$(Q)rm -rf $(BUILD)

# Keep intermediate objects (skeleton inputs, test objects).
.SECONDARY:
