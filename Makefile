# sysrec — plain GNU Makefile. Quiet by default; `make V=1` shows commands.
# Outputs go under build/ (build/san/ for the sanitizer build).

.DELETE_ON_ERROR:
.SUFFIXES:

SHELL := /bin/bash
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
SAN ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
BUILD := build
SANFLAGS :=
# link-time optimization: the per-event path crosses modules (reader, parser, state, filter)
OPT := -O2 -g -flto=auto
LTOFLAGS := -flto=auto -O2
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS := -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(LTOFLAGS)
LDLIBS := -lz -ljansson -lcrypto -lyaml -lmicrohttpd -lcurl -lprotobuf-c -lpcap -lpthread

# The modules every tool and fuzzer links (readers of untrusted bytes among them),
# then the agent's; src/engine (BPF) and src/cli link into the binary only.
CORE_MODULES := common event scap pcap state filter
LIB_MODULES := $(CORE_MODULES) store recorder capture rules artifacts runtime agent
CORE_SRCS := $(foreach m,$(CORE_MODULES),$(wildcard src/$(m)/*.c))
LIB_SRCS := $(foreach m,$(LIB_MODULES),$(wildcard src/$(m)/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
ENGINE_SRCS := $(wildcard src/engine/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/%.o)

# The BPF programs: built with clang for the running kernel's BTF (CO-RE), then
# embedded in the binary as a libbpf skeleton that only src/engine includes.
BPF_DIR := build/bpf
BPF_OBJ := $(BPF_DIR)/sysrec.bpf.o
BPF_SKEL := $(BPF_DIR)/sysrec.skel.h
VMLINUX_H := $(BPF_DIR)/vmlinux.h
LIB := $(BUILD)/libsysrec.a
BIN := $(BUILD)/sysrec

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_GEN := $(BUILD)/bench/gen-capture

.PHONY: all run test unit e2e san-test bench bench-agent bench-rules bench-soak bench-packets bench-artifacts bench-agent-artifacts bench-containers bench-merge fuzz fuzz-reader fuzz-filter fuzz-config fuzz-http fuzz-rules fuzz-pcap fmt fmt-check lint layering clean deps

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The web UI (web/), embedded as byte arrays in a generated source (src/agent/web.h).
WEB_FILES := $(sort $(wildcard web/*))
WEB_SRC := $(BUILD)/web/assets.c
WEB_OBJ := $(BUILD)/web/assets.o

$(WEB_SRC): $(WEB_FILES) scripts/gen-web-assets.sh
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)scripts/gen-web-assets.sh $(WEB_FILES) > $@

$(WEB_OBJ): $(WEB_SRC) src/agent/web.h
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Isrc/agent -c $< -o $@

# containerd's API messages (src/runtime/*.proto, ours): C made by protoc-c under
# build/proto (never committed), compiled into the library; src/runtime includes it.
PROTO_DIR := build/proto
PROTO_SRCS := $(wildcard src/runtime/*.proto)
PROTO_C := $(PROTO_SRCS:src/runtime/%.proto=$(PROTO_DIR)/%.pb-c.c)
PROTO_H := $(PROTO_C:.c=.h)
PROTO_OBJS := $(PROTO_C:$(PROTO_DIR)/%.c=$(BUILD)/proto/%.o)

$(PROTO_DIR)/%.pb-c.c $(PROTO_DIR)/%.pb-c.h: src/runtime/%.proto
	@mkdir -p $(@D)
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --c_out=$(PROTO_DIR) --proto_path=src/runtime $<

$(BUILD)/proto/%.o: $(PROTO_DIR)/%.c $(PROTO_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -I$(PROTO_DIR) -c $< -o $@

RUNTIME_OBJS := $(filter $(BUILD)/src/runtime/%,$(LIB_OBJS))
$(RUNTIME_OBJS): $(PROTO_H)
$(RUNTIME_OBJS): CFLAGS += -I$(PROTO_DIR)

$(LIB): $(LIB_OBJS) $(WEB_OBJ) $(PROTO_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(ENGINE_OBJS) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(ENGINE_OBJS) $(LIB) $(LDLIBS) -lbpf -lelf

$(ENGINE_OBJS): $(BPF_SKEL)
$(ENGINE_OBJS): CFLAGS += -I$(BPF_DIR) -Ibpf

$(VMLINUX_H):
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@

# One compilation unit: sysrec.bpf.c includes the other files of bpf/ (*.bpf.h).
$(BPF_OBJ): bpf/sysrec.bpf.c $(wildcard bpf/*.h) src/event/event_codes.h $(VMLINUX_H)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -I$(BPF_DIR) -Ibpf -c $< -o $@

$(BPF_SKEL): $(BPF_OBJ)
	@$(if $(Q),echo "  SKEL    $@")
	$(Q)bpftool gen skeleton $< name sysrec_bpf > $@

# a unit test of an engine module that needs no BPF links that module's object too
UNIT_ENGINE_test_perfring := $(BUILD)/src/engine/perfring.o
$(BUILD)/tests/test_perfring: $(UNIT_ENGINE_test_perfring)

# test_containerd builds containerd's messages with the generated code
$(BUILD)/tests/test_containerd: $(PROTO_H)
$(BUILD)/tests/test_containerd: CFLAGS += -I$(PROTO_DIR)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(UNIT_ENGINE_$*) $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(BENCH_GEN): bench/gen-capture.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# Workloads the end-to-end tests record (tests/e2e/*.c): plain programs, never
# sanitized (the recorder traces their syscalls, not the sanitizer's).
E2E_BINS := $(BUILD)/e2e/syscalls-workload $(BUILD)/e2e/wx-unpack
# Captures written with sysrec's own writers: .scap for the differential tables,
# pcapng for the peers that read it (tshark, capinfos) and the pcapng fuzzer's seeds.
GEN_CAPS := $(BUILD)/e2e/gen-captures
GEN_PCAPNG := $(BUILD)/e2e/gen-pcapng

$(GEN_CAPS) $(GEN_PCAPNG): $(BUILD)/e2e/%: tests/e2e/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/e2e/%: tests/e2e/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=gnu11 -O1 $(WARN) -o $@ $<

deps:
	$(Q)scripts/deps.sh

# The main job with embedded defaults: write a demo capture and print it.
run: deps $(BIN)
	$(Q)scripts/demo.sh $(BIN)

unit: $(UNIT_BINS)
	$(Q)scripts/run-tests.sh unit $(BUILD) $(UNIT_BINS)

e2e: $(BIN) $(BENCH_GEN) $(E2E_BINS) $(GEN_CAPS) $(GEN_PCAPNG)
	$(Q)scripts/run-tests.sh e2e $(BUILD)

# Everything: deps, lint (layering, format, clang-tidy, cppcheck), each fuzz target
# for 20 s, unit + end-to-end tests, then the same tests under ASan/UBSan. The
# builds use every CPU (the suite's budget: well under 30 minutes).
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BINS) $(BENCH_GEN) $(E2E_BINS) $(GEN_CAPS) $(GEN_PCAPNG) $(FUZZ_BINS)
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) SAN=1 all build/san/tests/.stamp-bins build/san/bench/gen-capture build/san/e2e/syscalls-workload build/san/e2e/wx-unpack build/san/e2e/gen-captures build/san/e2e/gen-pcapng
	$(Q)scripts/run-tests.sh all

build/san/tests/.stamp-bins: $(UNIT_BINS)
	@touch $@

BENCH_LOOPS := $(BUILD)/bench/loops
# counts the packets of the recorders' files for bench/packets.sh
BENCH_PCAPCOUNT := $(BUILD)/bench/pcapcount

$(BENCH_LOOPS) $(BENCH_PCAPCOUNT): $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

bench: deps $(BIN) $(BENCH_GEN) $(BENCH_LOOPS) $(BENCH_PCAPCOUNT)
	$(Q)bench/run.sh $(BUILD)
	$(Q)bench/record.sh $(BUILD)
	$(Q)bench/agent.sh $(BUILD)
	$(Q)bench/rules.sh $(BUILD)
	$(Q)bench/soak.sh $(BUILD)
	$(Q)bench/packets.sh $(BUILD)
	$(Q)bench/artifacts.sh $(BUILD)
	$(Q)bench/agent_artifacts.sh $(BUILD)
	$(Q)bench/containers.sh $(BUILD)
	$(Q)bench/merge.sh $(BUILD)

# Packets (issue 22): sysrec record --pcap against tcpdump -w under iperf3.
bench-packets: deps $(BIN) $(BENCH_LOOPS) $(BENCH_PCAPCOUNT)
	$(Q)bench/packets.sh $(BUILD)

# Artifacts (issue 23): the write prefix's cost to other files' syscalls, a 1 GB file under it.
bench-artifacts: deps $(BIN) $(BENCH_LOOPS)
	$(Q)bench/artifacts.sh $(BUILD)

# The agent's artifacts (issue 25): exec, writes under a prefix and opens with and without them.
bench-agent-artifacts: deps $(BIN) $(BENCH_LOOPS)
	$(Q)bench/agent_artifacts.sh $(BUILD)

# sysrec pcapdump merge against mergecap on a GB of pcapng (issue 25)
bench-merge: deps $(BIN)
	$(Q)bench/merge.sh $(BUILD)

# the recording under container churn, with and without the runtime clients (issue 24)
bench-containers: deps $(BIN) $(BENCH_LOOPS)
	$(Q)bench/containers.sh $(BUILD)

# The agent's memory under API load once its recorder is full (issue 19).
bench-soak: deps $(BIN) $(BENCH_LOOPS)
	$(Q)bench/soak.sh $(BUILD)

# Replaying the generated capture through Falco's default ruleset (issue 6).
bench-rules: deps $(BIN) $(BENCH_GEN)
	$(Q)bench/rules.sh $(BUILD)

# The agent's part of make bench alone (issue 5).
bench-agent: deps $(BIN) $(BENCH_LOOPS)
	$(Q)bench/agent.sh $(BUILD)

# The fuzz targets (tests/fuzz/fuzz_NAME.c, libFuzzer): one rule; each names the
# sources it links (FUZZ_SRCS_NAME) and their libraries (FUZZ_LIBS_NAME).
FUZZ_DIR := build/fuzz
FUZZ_NAMES := reader filter config http rules pcap profile runtime
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS_reader := $(CORE_SRCS)
FUZZ_LIBS_reader := -lz -ljansson -lpcap
FUZZ_SRCS_filter := $(CORE_SRCS)
FUZZ_LIBS_filter := -lz -ljansson -lpcap
FUZZ_SRCS_config := src/agent/config.c src/agent/config_file.c src/runtime/namespaces.c src/pcap/filter.c $(wildcard src/common/*.c)
FUZZ_LIBS_config := -lyaml -lz -ljansson -lpcap
FUZZ_SRCS_http := $(CORE_SRCS) $(foreach m,store recorder capture,$(wildcard src/$(m)/*.c)) src/agent/request.c \
	src/agent/config.c src/runtime/namespaces.c
FUZZ_LIBS_http := -lz -ljansson -lcrypto -lpthread -lpcap
FUZZ_SRCS_rules := $(CORE_SRCS) $(wildcard src/rules/*.c)
FUZZ_LIBS_rules := -lz -ljansson -lyaml -lpcap
FUZZ_SRCS_pcap := $(wildcard src/common/*.c) $(wildcard src/pcap/*.c)
FUZZ_LIBS_pcap := -lz -lpcap
FUZZ_SRCS_profile := $(wildcard src/common/*.c) src/artifacts/profile.c
FUZZ_LIBS_profile := -lz -ljansson
FUZZ_SRCS_runtime := $(wildcard src/common/*.c) $(wildcard src/runtime/*.c) $(PROTO_C)
FUZZ_LIBS_runtime := -lz -ljansson -lcurl -lprotobuf-c
$(FUZZ_DIR)/fuzz_runtime: FUZZ_CFLAGS += -I$(PROTO_DIR)

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(wildcard src/*/*.h) src/event/event_table.inc
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

# make fuzz (the reader), fuzz-filter, fuzz-config, fuzz-http, fuzz-rules, fuzz-pcap, fuzz-profile, fuzz-runtime
FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_DIR)/fuzz_reader
	$(Q)scripts/fuzz.sh $< $(FUZZ_SECONDS)

$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(FUZZ_DIR)/fuzz_%
	$(Q)scripts/fuzz.sh $< $(FUZZ_SECONDS)

# the pcapng reader's seeds are files sysrec's writer makes (scripts/fuzz.sh)
fuzz-pcap: $(GEN_PCAPNG)

FMT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v event_table.inc)
fmt:
	$(Q)clang-format -i $(FMT_FILES)

fmt-check:
	$(Q)clang-format --dry-run --Werror $(FMT_FILES)

lint: layering fmt-check $(BPF_SKEL) $(PROTO_H)
	$(Q)scripts/lint.sh

layering:
	$(Q)scripts/check-layering.sh

clean:
	$(Q)rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
