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
	    libclang-rt-14-dev make gcc jq ansible-core \
	    scdoc groff-base man-db bash-completion \
	    prometheus python3 python3-prometheus-client util-linux
# scdoc builds the man pages; groff and man render them in the tests.
# prometheus is only there for promtool (Debian ships it nowhere smaller);
# tools/deps.sh installs without recommends, so no node_exporter comes
# with it. python3-prometheus-client parses the metrics a second way.
# `make check` alone needs the two static checkers.
CHECK_PKGS := clang-format cppcheck

# Plain `make` on a fresh machine: stop at once, naming `make deps`,
# rather than fail half-way through the build. Targets that run deps
# first (test, demo, bench) and those that build nothing are let through.
NO_TOOLS_GOALS	:= deps clean uninstall format test demo bench
ifneq ($(filter-out $(NO_TOOLS_GOALS),$(or $(MAKECMDGOALS),all)),)
MISSING_TOOLS	:= $(strip \
	$(if $(shell command -v $(CLANG) 2>/dev/null),,clang) \
	$(if $(shell command -v $(BPFTOOL) 2>/dev/null || test -x /usr/sbin/$(BPFTOOL) && echo y),,bpftool) \
	$(if $(shell command -v $(PKG_CONFIG) 2>/dev/null),,pkg-config) \
	$(if $(shell test -f /usr/include/bpf/libbpf.h -o -n "$$($(PKG_CONFIG) --cflags-only-I libbpf 2>/dev/null)" && echo y),,libbpf-dev) \
	$(if $(shell $(PKG_CONFIG) --exists libelf zlib yaml-0.1 2>/dev/null && echo y),,libelf-dev/zlib1g-dev/libyaml-dev))
ifneq ($(MISSING_TOOLS),)
$(error missing: $(MISSING_TOOLS); run 'make deps' (as root) to install what the build needs)
endif
endif

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
MAN_SRCS	:= $(wildcard orchestrator/man/*.scd)
MAN_PAGES	:= $(patsubst orchestrator/man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
SKELS		:= $(BUILD)/dispatcher.skel.h $(BUILD)/split.skel.h

ORCH_SRCS	:= $(wildcard orchestrator/*.c)
ORCH_OBJS	:= $(patsubst orchestrator/%.c,$(BUILD)/obj/%.o,$(ORCH_SRCS))
ORCH_LIB_OBJS	:= $(filter-out $(BUILD)/obj/main.o,$(ORCH_OBJS))
ORCH_HDRS	:= $(wildcard orchestrator/*.h)

# Test-only BPF objects (bad versions, mismatched maps), and the one bench
# stage test_inline runs too (a third-party pass-through).
TEST_BPF_SRCS	:= $(filter-out tests/bpf/progs/bench_%,$(wildcard tests/bpf/progs/*.bpf.c)) \
		   tests/bpf/progs/bench_plain.bpf.c
TEST_BPF_OBJS	:= $(patsubst tests/bpf/progs/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(TEST_BPF_SRCS))
TEST_BPF_HDRS	:= $(wildcard tests/bpf/progs/*.h)
# Programs only the benchmarks run (make bench builds them).
BENCH_BPF_SRCS	:= $(wildcard tests/bpf/progs/bench_*.bpf.c)
BENCH_BPF_OBJS	:= $(patsubst tests/bpf/progs/%.bpf.c,$(BUILD)/tests/bpf/%.bpf.o,$(BENCH_BPF_SRCS))
# Header-only test helpers (packet builder, JSON checks); tools use them too.
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
	fuzz check install uninstall man clean format

all: $(BUILD)/tailgate $(BPF_OBJS) $(TEST_BPF_OBJS) $(TOOL_BINS)

deps:
	$(Q)tools/deps.sh $(DEB_PKGS)

bpf: $(BPF_OBJS)

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	$(Q)mv $@.tmp $@

# Dependencies on headers come from the compilers (-MMD: a .d beside each
# object, read back below), not from lists of every header.
DEPFLAGS	:= -MMD -MP

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/progs/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp
	$(Q)mv $@.tmp $@

# The skeletons are generated headers: they must exist before the first
# compile; after that the .d files know who includes them.
$(BUILD)/obj/%.o: orchestrator/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/tailgate: $(ORCH_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(ORCH_LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -Itests/lib $^ -o $@ $(LDLIBS) -lcmocka

# Test-only glue of the BPF tables; the plumbing itself is the orchestrator's.
$(BUILD)/tests/lib/%.o: tests/lib/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/lib -c $< -o $@

BPFT_LIB_OBJS	:= $(BUILD)/tests/lib/bpf_fixture.o $(BUILD)/tests/lib/bpf_model.o

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(BPFT_LIB_OBJS) $(ORCH_LIB_OBJS) $(BPF_OBJS) $(TEST_BPF_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -Itests/lib $< $(BPFT_LIB_OBJS) $(ORCH_LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tools/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) $< -o $@ $(LDLIBS)

# The bench tools load and run through the orchestrator's own modules
# (every object but main.o, as the tests link them); tools/lib/ is code
# they share, with no main of its own.
$(BUILD)/obj/tools/%.o: tools/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BENCH_BINS): $(BUILD)/tools/%: tools/%.c $(ORCH_LIB_OBJS) $(BENCH_LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) $< $(ORCH_LIB_OBJS) $(BENCH_LIB_OBJS) -o $@ $(LDLIBS)

# The README's test command: unit, BPF test-run tables, integration.
test: deps
	$(Q)$(MAKE) --no-print-directory all man $(UNIT_BINS) $(BPFT_BINS)
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

# Three local "hosts" (own interfaces, pin roots, state dirs) driven by
# ansible-playbook with examples/fleet/rollout.yml.
.PHONY: fleet-demo
fleet-demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)examples/fleet/demo.sh

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

# Man pages from their scdoc sources (MAN_PAGES is defined at the top).
man: $(MAN_PAGES)

$(BUILD)/man/%: orchestrator/man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@.tmp
	$(Q)mv $@.tmp $@

# Install layout. Stage objects meant for production plans only: not
# drop_all (deliberately bad, for the demo) and nothing from tests/.
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
BPFOBJDIR	?= $(LIBDIR)/tailgate/bpf
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MANDIR		?= $(PREFIX)/share/man
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR	?= $(LIBDIR)/systemd/system
INSTALL_BPF	:= counter blocklist seed_counter
INSTALL_HDRS	:= tailgate_stage.h tailgate_abi.h tailgate_codes.h
SYSTEMD_UNITS	:= tailgate-restore.service tailgate-metrics.service tailgate-metrics.timer

# Relative to ${prefix} where they are, so pkg-config --define-prefix works.
PC_INCLUDEDIR	 = $(if $(filter $(PREFIX)/include,$(INCLUDEDIR)),$${prefix}/include,$(INCLUDEDIR))
PC_BPFOBJDIR	 = $(if $(filter $(PREFIX)/lib/tailgate/bpf,$(BPFOBJDIR)),$${prefix}/lib/tailgate/bpf,$(BPFOBJDIR))
TG_VERSION_STR	 = $(shell sed -n 's/^.define TG_VERSION[[:space:]]*"\(.*\)"/\1/p' orchestrator/tailgate.h)

# The pkg-config file and the units are written for this PREFIX (the
# units name the binary where this install puts it).
install: $(BUILD)/tailgate $(BPF_OBJS) $(MAN_PAGES)
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFOBJDIR) \
		$(DESTDIR)$(INCLUDEDIR)/tailgate $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)install -m 0755 $(BUILD)/tailgate $(DESTDIR)$(SBINDIR)/tailgate
	$(Q)install -m 0644 $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(INSTALL_BPF)) $(DESTDIR)$(BPFOBJDIR)/
	$(Q)install -m 0644 $(addprefix bpf/include/,$(INSTALL_HDRS)) $(DESTDIR)$(INCLUDEDIR)/tailgate/
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(PC_INCLUDEDIR)' \
		'bpfobjdir=$(PC_BPFOBJDIR)' '' 'Name: tailgate' \
		'Description: headers for tailgate XDP and tc stages (clang -target bpf)' \
		'Version: $(TG_VERSION_STR)' \
		'Cflags: -I$${includedir}/tailgate -idirafter /usr/include/$(MULTIARCH)' \
		> $(DESTDIR)$(PKGCONFIGDIR)/tailgate.pc
	$(Q)chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/tailgate.pc
	$(Q)install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	$(Q)install -m 0644 orchestrator/completion/tailgate.bash $(DESTDIR)$(BASHCOMPDIR)/tailgate
	$(Q)for u in $(SYSTEMD_UNITS); do \
		sed 's|/usr/sbin/tailgate|$(SBINDIR)/tailgate|g' orchestrator/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	$(Q)printf '  %-8s %s\n' INSTALL '$(DESTDIR)$(PREFIX)'

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/tailgate \
		$(patsubst %,$(DESTDIR)$(BPFOBJDIR)/%.bpf.o,$(INSTALL_BPF)) \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/tailgate/,$(INSTALL_HDRS)) \
		$(DESTDIR)$(PKGCONFIGDIR)/tailgate.pc \
		$(DESTDIR)$(MANDIR)/man8/tailgate.8 $(DESTDIR)$(MANDIR)/man5/tailgate-plan.5 \
		$(DESTDIR)$(BASHCOMPDIR)/tailgate \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(SYSTEMD_UNITS))
	$(Q)rmdir $(DESTDIR)$(BPFOBJDIR) $(DESTDIR)$(LIBDIR)/tailgate \
		$(DESTDIR)$(INCLUDEDIR)/tailgate 2>/dev/null || true
	$(Q)printf '  %-8s %s\n' UNINST '$(DESTDIR)$(PREFIX)'

# Static checks that fail the target: cppcheck's warnings over the tree,
# with libbpf's macros explained to it by tools/cppcheck/libbpf.cfg, and
# the formatting .clang-format describes over the lines changed since
# CHECK_BASE (default HEAD: the change about to be committed), the way
# checkpatch reads a patch. The tree is not re-flowed wholesale: that churn
# would bury its history under one commit. make format fixes those lines.
CHECK_BASE ?= HEAD
CHECK_DIRS := orchestrator tools tests bpf

check: all
	$(Q)tools/deps.sh $(CHECK_PKGS)
	$(Q)out=$$(git clang-format --diff --extensions c,h $(CHECK_BASE) -- $(CHECK_DIRS)); \
	case "$$out" in \
	"no modified files to format"|"clang-format did not modify any files"|"") ;; \
	*) printf '%s\n' "$$out"; echo "make check: the lines above are not formatted (make format)" >&2; exit 1;; \
	esac
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,portability \
		--library=tools/cppcheck/libbpf.cfg --suppress=missingIncludeSystem \
		-Iorchestrator -Itests/lib orchestrator tools

format:
	$(Q)git clang-format -f --extensions c,h $(CHECK_BASE) -- $(CHECK_DIRS)

clean:
	$(Q)rm -rf $(BUILD)

# Keep intermediate objects (skeleton inputs, test objects).
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
