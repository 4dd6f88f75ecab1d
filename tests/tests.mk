# make check: C unit tests (plain and under ASan+UBSan), build tests, and
# system tests that boot the image in QEMU.
PYTEST := /usr/bin/python3 -m pytest
# make check builds and tests the qemu-aarch64 board here too
AARCH64_OUT := $(TOPDIR)/output/qemu-aarch64
# The Kubernetes manifests: every kind, on the strict YAML walk
OCI_POD_SRCS := $(addprefix imaged/oci/,pod.c podctr.c podvol.c podsec.c \
	podprobe.c podcheck.c meta.c kinds.c workload.c manifest.c yamlwalk.c \
	quantity.c)
UNIT_SRCS := init/cmdline.c lib/partition.c init/service.c init/data.c \
	init/hostsetup.c init/util.c init/logfile.c \
	init/modules.c init/modalias.c init/hwprobe.c init/console.c init/watchdog.c \
	init/firmware.c init/gpt.c init/grow.c init/verity.c lib/log.c lib/crc32.c \
	lib/ctlsock.c lib/text.c lib/clock.c lib/file.c lib/errmsg.c \
	imaged/os/bootstate.c imaged/os/bootstate_file.c imaged/os/bundle.c \
	imaged/os/vtree.c imaged/os/cachunker.c imaged/os/caindex.c \
	imaged/net/http.c imaged/imaged_conf.c imaged/os/channel.c imaged/os/floor.c \
	imaged/os/report.c imaged/os/reportq.c imaged/os/revstate.c imaged/os/expect.c imaged/os/source.c \
	imaged/net/tls.c imaged/oci/ref.c imaged/oci/oci.c imaged/oci/json.c \
	imaged/oci/platform.c imaged/os/seed.c imaged/os/castore.c \
	imaged/os/fetchahead.c imaged/os/pipeline.c imaged/os/download.c \
	imaged/net/auth.c imaged/store/tar.c imaged/store/decompress.c imaged/store/unpack.c \
	imaged/images/regconf.c imaged/store/store.c $(OCI_POD_SRCS) \
	imaged/run/merge.c imaged/pods/backoff.c imaged/pods/podsm.c \
	imaged/run/attach.c imaged/run/console.c imaged/pods/detachkeys.c \
	imaged/run/seccomp.c imaged/run/bpf.c imaged/run/seccompprofile.c \
	imaged/run/syscalltab.c imaged/run/runrecord.c imaged/run/userns.c \
	netd/dhcp_msg.c netd/dhcp.c netd/conf.c netd/nlmsg.c netd/hostport.c \
	netd/ntp.c netd/sntp.c
UNIT_HDRS := $(wildcard init/*.h lib/*.h imaged/*.h imaged/*/*.h netd/*.h)
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_OUT := $(OUT)/tests
KUBEPROBE := $(OUT)/build/kubeprobe/kubeprobe
PROBE_HARNESS := $(UNIT_OUT)/probe_harness
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Iinit -Ilib \
	-Iimaged -Inetd -I/usr/include/bearssl -I/usr/include/cjson
UNIT_LIBS := -lcmocka -lyaml -lnettle -lbearssl -lcjson -lmnl -lz -lzstd
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

# UNIT_SRCS are compiled once a variant into an archive each test links
# (each test compiling them all again cost CI minutes: 50 tests, 90 files)
$(UNIT_OUT)/obj/%.o: %.c $(UNIT_HDRS) | host-deps
	@mkdir -p $(dir $@)
	@gcc $(UNIT_CFLAGS) -c -o $@ $<

$(UNIT_OUT)/obj-san/%.o: %.c $(UNIT_HDRS) | host-deps
	@mkdir -p $(dir $@)
	@gcc $(UNIT_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(UNIT_OUT)/libunit.a: $(patsubst %.c,$(UNIT_OUT)/obj/%.o,$(UNIT_SRCS))
	@rm -f $@ && ar rcs $@ $^

$(UNIT_OUT)/libunit-san.a: $(patsubst %.c,$(UNIT_OUT)/obj-san/%.o,$(UNIT_SRCS))
	@rm -f $@ && ar rcs $@ $^

$(UNIT_OUT)/%: tests/unit/%.c $(UNIT_OUT)/libunit.a $(UNIT_HDRS) | host-deps
	@gcc $(UNIT_CFLAGS) -o $@ $< $(UNIT_OUT)/libunit.a $(UNIT_LIBS)

$(UNIT_OUT)/%-san: tests/unit/%.c $(UNIT_OUT)/libunit-san.a $(UNIT_HDRS) | host-deps
	@gcc $(UNIT_CFLAGS) $(SAN_FLAGS) -o $@ $< $(UNIT_OUT)/libunit-san.a $(UNIT_LIBS)

unit: $(addprefix $(UNIT_OUT)/,$(UNIT_TESTS) $(addsuffix -san,$(UNIT_TESTS))) nlmsg-compare
	@set -e; for t in $(filter-out nlmsg-compare,$^); do echo "== $${t##*/}"; $$t; done

# make unit-aarch64: the same tests and UNIT_SRCS as static aarch64 musl
# binaries, against the libraries the image links (the package recipes'
# builds, netd/mnl.c or libmnl as netd links it), each run under
# qemu-user. make check has it beside unit (`check: ... unit unit-aarch64
# ...`): from a tree whose board is not aarch64 it goes on in
# $(AARCH64_OUT), writing that board's config first if there is none, as
# `$(MAKE) O=$(AARCH64_OUT) unit-aarch64` would; the libraries are built
# there once, for the image and these tests alike.
.PHONY: unit-aarch64
ifeq ($(ARCH),aarch64)
UNIT_X_OUT := $(OUT)/tests-$(ARCH)
UNIT_X_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g \
	-Iinit -Ilib -Iimaged -Inetd $(NETD_MNL_FLAGS) \
	$(addprefix -I,$(IMAGED_INCS)) $(CMOCKA_CFLAGS)
UNIT_X_OBJS := $(patsubst %.c,$(UNIT_X_OUT)/obj/%.o,$(UNIT_SRCS) \
	$(if $(NETD_MNL),,netd/mnl.c))
# (test_unpack makes zstd layers: the compressor the image leaves out)
UNIT_X_LIBS := $(CMOCKA_OBJ) $(NETD_MNL) $(ZSTD_COMPRESS_LIB) $(IMAGED_LIBS)

# (the headers of the libraries built here must exist before any object)
$(UNIT_X_OUT)/obj/%.o: %.c $(UNIT_HDRS) $(UNIT_X_LIBS) $(TOOLCHAIN)
	@mkdir -p $(dir $@)
	@$(TARGET_CC) $(UNIT_X_CFLAGS) -c -o $@ $<

$(UNIT_X_OUT)/libunit.a: $(UNIT_X_OBJS)
	@rm -f $@ && ar rcs $@ $^

# (tests/unit/qemu_user.c: what qemu-user lacks, behind syscall())
UNIT_X_QEMU := $(UNIT_X_OUT)/obj/tests/unit/qemu_user.o
$(UNIT_X_QEMU): tests/unit/qemu_user.c

$(UNIT_X_OUT)/%: tests/unit/%.c $(UNIT_X_QEMU) $(UNIT_X_OUT)/libunit.a \
		$(UNIT_X_LIBS)
	@$(TARGET_CC) $(UNIT_X_CFLAGS) -static -Wl,--wrap=syscall -o $@ $< \
		$(UNIT_X_QEMU) $(UNIT_X_OUT)/libunit.a $(UNIT_X_LIBS)

unit-aarch64: $(addprefix $(UNIT_X_OUT)/,$(UNIT_TESTS))
	@set -e; for t in $^; do echo "== $${t##*/} (aarch64)"; \
		KEEL_QEMU_USER=1 qemu-aarch64 $$t; done
else
unit-aarch64:
	@test -f $(AARCH64_OUT)/.config || \
		$(MAKE) --no-print-directory O=$(AARCH64_OUT) qemu-aarch64_defconfig
	@[ "$(OUT)" != "$(AARCH64_OUT)" ] || { echo "unit-aarch64:" \
		"$(AARCH64_OUT)/.config is not the qemu-aarch64 board's" \
		"(or make -n did not write it)" >&2; exit 1; }; \
		$(MAKE) --no-print-directory O=$(AARCH64_OUT) unit-aarch64
endif

# Every netlink message netd sends, built through the distribution's
# libmnl and through netd/mnl.c (what the image links): same bytes.
nlmsg-compare: tests/unit/nlmsg_dump.c netd/nlmsg.c netd/mnl.c $(UNIT_HDRS) | host-deps
	@mkdir -p $(UNIT_OUT)
	@gcc $(UNIT_CFLAGS) -o $(UNIT_OUT)/nlmsg-libmnl tests/unit/nlmsg_dump.c netd/nlmsg.c -lmnl
	@gcc $(UNIT_CFLAGS) -Inetd/include -o $(UNIT_OUT)/nlmsg-own \
		tests/unit/nlmsg_dump.c netd/nlmsg.c netd/mnl.c
	@$(UNIT_OUT)/nlmsg-libmnl >$(UNIT_OUT)/nlmsg-libmnl.txt
	@$(UNIT_OUT)/nlmsg-own >$(UNIT_OUT)/nlmsg-own.txt
	@if ! diff $(UNIT_OUT)/nlmsg-libmnl.txt $(UNIT_OUT)/nlmsg-own.txt; then \
		echo "nlmsg-compare: netd/mnl.c builds different bytes from libmnl" >&2; exit 1; fi
	@echo "== nlmsg-compare: $$(wc -l <$(UNIT_OUT)/nlmsg-own.txt) messages, libmnl and netd/mnl.c byte-identical"

# container.c, mounts.c, seccomp.c and the Pod parser on the build host, one
# container a run, for test_container.py (mounts and confinement).
CTR_HARNESS := $(OUT)/host/ctr_harness
CTR_HARNESS_SRCS := tests/integration/ctr_harness.c imaged/run/container.c \
	imaged/run/console.c imaged/run/mounts.c imaged/run/seccomp.c \
	imaged/run/bpf.c imaged/run/seccompprofile.c imaged/run/syscalltab.c \
	imaged/oci/json.c $(OCI_POD_SRCS) imaged/run/merge.c imaged/oci/ref.c \
	lib/file.c lib/text.c lib/errmsg.c

$(CTR_HARNESS): $(CTR_HARNESS_SRCS) $(wildcard imaged/*.h imaged/*/*.h) | host-deps
	@mkdir -p $(dir $@)
	@gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -Iimaged -Ilib \
		-I/usr/include/cjson -Wl,--wrap=setrlimit,--wrap=mount -o $@ \
		$(CTR_HARNESS_SRCS) -lyaml -lcjson

ctr-harness: $(CTR_HARNESS)
.PHONY: ctr-harness

# Integration tests on the host: netd in network namespaces against the
# distribution's dnsmasq and a hostile test server; imaged against the
# distribution's docker-registry, skopeo and umoci; imaged's container
# setup in mount and PID namespaces (ctr_harness).
integration: $(NETD_HOST_BIN) $(IMAGED_HOST_BIN) $(CTR_HARNESS)
	@NETD=$(NETD_HOST_BIN) IMAGED=$(IMAGED_HOST_BIN) \
		CTR_HARNESS=$(CTR_HARNESS) $(PYTEST) -v tests/integration

# after the default board's image: test_reproducible builds its staged
# root twice
build-test: source images
	@$(PYTEST) -q tests/build

# The system tests boot a test image: the board's defconfig plus
# tests/system/test.config (debug hooks, test services, small logs).
TEST_OUT := $(TOPDIR)/output/$(BOARD)-test
TEST_CONFIG := $(TEST_OUT)/.config

# (in the make that builds the test image itself, this file is $(CONFIG))
ifneq ($(TEST_CONFIG),$(CONFIG))
$(TEST_CONFIG): board/$(BOARD)/defconfig tests/system/test.config $(KCONFIG_FILES)
	@mkdir -p $(TEST_OUT)
	@cat board/$(BOARD)/defconfig tests/system/test.config >$(TEST_OUT)/defconfig.merged
	@KCONFIG_CONFIG=$@ kconfig-conf --defconfig=$(TEST_OUT)/defconfig.merged Kconfig >/dev/null
endif

test-image: $(TEST_CONFIG)
	@echo "== test image: $(TEST_OUT)"
	@$(MAKE) --no-print-directory O=$(TEST_OUT) images

system-test: images test-image test-busybox
	@KEEL_IMAGES=$(TEST_OUT)/images KEEL_BOARD_DIR=$(BOARD_DIR) KEEL_ARCH=$(ARCH) \
		$(PYTEST) -v tests/system

# The containers in the system tests hold the distribution's static
# busybox of the guest's arch (both arches' in the multi-arch image),
# fetched and checked like every other input, extracted, not installed.
TEST_BUSYBOX := $(TOPDIR)/output/test-busybox
TEST_BUSYBOX_VERSION := 1:1.35.0-4+deb12u1+b1
$(TEST_BUSYBOX)/%/bin/busybox: tests/system/busybox-static-%.hash
	@scripts/fetch $(DL_DIR) $< apt-deb 'busybox-static:$*=$(TEST_BUSYBOX_VERSION)'
	@rm -rf $(TEST_BUSYBOX)/$* && mkdir -p $(TEST_BUSYBOX)/$*
	@dpkg-deb -x $(DL_DIR)/busybox-static_$(subst :,%3a,$(TEST_BUSYBOX_VERSION))_$*.deb \
		$(TEST_BUSYBOX)/$*
	@touch $@

test-busybox: $(TEST_BUSYBOX)/amd64/bin/busybox $(TEST_BUSYBOX)/arm64/bin/busybox
.PHONY: test-busybox

# The qemu-aarch64 board's test image, built beside the default board's
# for make check (the system tests boot only test images).
aarch64-test-image:
	@test -f $(AARCH64_OUT)/.config || \
		$(MAKE) --no-print-directory O=$(AARCH64_OUT) qemu-aarch64_defconfig
	@$(MAKE) --no-print-directory O=$(AARCH64_OUT) test-image
.PHONY: aarch64-test-image

# The system tests on both arches at once, each QEMU on its own core;
# aarch64's in a network namespace of its own so both can have their
# servers on 127.0.0.1 (tests/system/run-arches). A test marked one_arch
# (arch-neutral: init's services, bad input, the update channel...) runs
# on the arch it names only. The pc-x86_64 board's test image is named in
# KEEL_PC_IMAGES: the x86_64 share boots it too (test_pc.py, about 100 s).
system-test-arches: images test-image aarch64-test-image pc-test-image test-busybox
	@KEEL_PC_IMAGES=$(PC_OUT)-test/images tests/system/run-arches \
		x86_64:$(TEST_OUT)/images:$(BOARD_DIR) \
		aarch64:$(AARCH64_OUT)-test/images:$(TOPDIR)/board/qemu-aarch64

# (the probe bench's harness is built, not run: so it keeps up with pods/)
check: format-check unit unit-aarch64 build-test integration system-test-arches \
	$(PROBE_HARNESS)

# Everything make check leaves out to keep CI under its hour: the long
# system tests whole (KEEL_FULL=1: a power cut at every fault point on
# each arch, 20 random cuts), the README's make on a fresh root, the rpi4
# SD image, and a longer fuzzing pass. Run it before calling work done.
check-full:
	@start=$$(date +%s); \
	KEEL_FULL=1 $(MAKE) --no-print-directory check && \
	$(MAKE) --no-print-directory check-fresh && \
	$(MAKE) --no-print-directory check-rpi4 && \
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(FULL_FUZZ_SECONDS),60) && \
	echo "check-full: passed in $$(( $$(date +%s) - start )) s"
.PHONY: check-full

# The system tests against the qemu-aarch64 board's test image alone.
check-aarch64: aarch64-test-image test-busybox
	@KEEL_IMAGES=$(AARCH64_OUT)-test/images \
		KEEL_BOARD_DIR=$(TOPDIR)/board/qemu-aarch64 KEEL_ARCH=aarch64 \
		$(PYTEST) -v tests/system

# The pc-x86_64 board's test image, built beside the default board's in
# $(PC_OUT)-test, and its system tests (tests/system/test_pc.py: SATA
# and NVMe machines, the screen, the hardware watchdog). The rest of the
# system suite runs on the qemu boards; it is the same init.
PC_OUT := $(TOPDIR)/output/pc-x86_64
pc-test-image:
	@test -f $(PC_OUT)/.config || \
		$(MAKE) --no-print-directory O=$(PC_OUT) pc-x86_64_defconfig
	@$(MAKE) --no-print-directory O=$(PC_OUT) test-image
.PHONY: pc-test-image check-pc

check-pc: pc-test-image
	@KEEL_IMAGES=$(PC_OUT)-test/images KEEL_BOARD_DIR=$(TOPDIR)/board/pc-x86_64 \
		KEEL_ARCH=x86_64 $(PYTEST) -v --durations=0 tests/system/test_pc.py

# make fuzz: each libFuzzer target for FUZZ_SECONDS (default 30).
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OUT := $(OUT)/fuzz

# (netd/mnl.c, what the image links, rather than the host's libmnl; the
# sources compiled once into an archive, as for the unit tests)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinit -Ilib -Iimaged -Inetd \
	-Inetd/include -I/usr/include/bearssl -I/usr/include/cjson \
	-fno-sanitize-recover=all
$(FUZZ_OUT)/obj/%.o: %.c $(UNIT_HDRS) | host-deps
	@mkdir -p $(dir $@)
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_OUT)/libfuzz.a: $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(UNIT_SRCS) netd/mnl.c)
	@rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/%: tests/fuzz/%.c $(FUZZ_OUT)/libfuzz.a $(UNIT_HDRS) | host-deps
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(FUZZ_OUT)/libfuzz.a -lyaml -lnettle -lbearssl -lcjson -lz -lzstd

fuzz: $(addprefix $(FUZZ_OUT)/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/corpus-$$t; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		$(FUZZ_OUT)/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZ_OUT)/corpus-$$t tests/fuzz/seeds 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::new_units_added)|ERROR|SUMMARY' || true; \
		test $${PIPESTATUS[0]} -eq 0; \
	done

# The probe bench's two sides beside the image (tests/bench/pod_probes.py):
# the kubelet's probe packages, built in its own source tree for the
# x86_64 image and the build host alike, and imaged's probes alone in a
# loop like imaged's, on the build host.
$(KUBEPROBE): tests/bench/kubeprobe/main.go tests/bench/kubeprobe/build \
		tests/bench/kubeprobe/kubernetes.hash
	@tests/bench/kubeprobe/build $(DL_DIR) $(OUT)/build/kubeprobe x86_64 $@

# -Os, as imaged is built: this one measures CPU time
$(PROBE_HARNESS): tests/bench/probe_harness.c imaged/pods/probes.c \
		imaged/pods/handler.c $(UNIT_OUT)/libunit.a $(UNIT_HDRS) | host-deps
	@gcc $(filter-out -g,$(UNIT_CFLAGS)) -Os -o $@ $(filter %.c,$^) \
		$(UNIT_OUT)/libunit.a $(UNIT_LIBS)

bench: images $(KUBEPROBE) $(PROBE_HARNESS)
	@/usr/bin/python3 tests/bench/boot_timeline.py $(BENCH_BOOTS)
	@/usr/bin/python3 tests/bench/update_throughput.py
	@/usr/bin/python3 tests/bench/dhcp_lease.py $(NETD_BIN)
	@/usr/bin/python3 tests/bench/ntp_sync.py $(NETD_BIN)
	@/usr/bin/python3 tests/bench/image_pull.py $(IMAGED_BIN)
	@/usr/bin/python3 tests/bench/pod_start.py
	@/usr/bin/python3 tests/bench/pod_probes.py $(KUBEPROBE) $(PROBE_HARNESS)
	@/usr/bin/python3 tests/bench/workload_revision.py

# Kernel style, per .clang-format.
C_FILES = $(wildcard init/*.[ch] lib/*.[ch] netd/*.[ch] imaged/*.[ch] imaged/*/*.[ch] \
	tests/unit/*.c tests/fuzz/*.c tests/integration/*.c tests/bench/*.c)
format-check:
	@bad=0; for f in $(C_FILES); do \
		clang-format "$$f" | cmp -s "$$f" - || { echo "format: $$f differs from .clang-format (run make format)"; bad=1; }; \
	done; exit $$bad

format:
	@clang-format -i $(C_FILES)
