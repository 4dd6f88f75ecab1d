# keel: build a bootable, immutable container-host disk image.
#
#   make qemu-x86_64_defconfig   choose a board (writes .config)
#   make menuconfig              change options
#   make                         build output/<board>/images/disk.img
#   make run                     boot a working copy of it in QEMU
#   make check                   unit tests + system tests in QEMU
#   make source                  download and verify every input into dl/
#
# O=DIR builds out of tree: .config and all output go to DIR.

TOPDIR := $(CURDIR)
DEFAULT_BOARD := qemu-x86_64
SHELL := /bin/bash

ifneq ($(O),)
OUTBASE := $(abspath $(O))
CONFIG := $(OUTBASE)/.config
else
CONFIG := $(TOPDIR)/.config
endif
export KCONFIG_CONFIG := $(CONFIG)

CONFIG_TARGETS := %_defconfig menuconfig olddefconfig savedefconfig \
	clean distclean help check-fresh
KCONFIG_FILES := Kconfig $(wildcard */Kconfig)
# kconfig-conf comes with the host setup, which a fresh machine has not
# had yet: every rule that runs kconfig sets the host up first.
KCONFIG_READY := command -v kconfig-conf >/dev/null || scripts/setup-host
ifeq ($(filter $(CONFIG_TARGETS),$(MAKECMDGOALS)),)
# No .config yet: start from the default board. Options added since it
# was written: take their defaults (make restarts with the new values).
$(CONFIG): $(KCONFIG_FILES)
	@mkdir -p $(dir $(CONFIG))
	@$(KCONFIG_READY)
	@if [ -f $@ ]; then \
		echo "make: Kconfig changed; updating $@ with defaults for new options"; \
		kconfig-conf --olddefconfig Kconfig >/dev/null; touch $@; \
	else \
		echo "make: no $@; using board/$(DEFAULT_BOARD)/defconfig"; \
		kconfig-conf --defconfig=board/$(DEFAULT_BOARD)/defconfig Kconfig >/dev/null; \
	fi
endif
-include $(CONFIG)

qstrip = $(strip $(patsubst "%",%,$(1)))
BOARD := $(call qstrip,$(CONFIG_KEEL_BOARD))
ARCH := $(call qstrip,$(CONFIG_KEEL_ARCH))
VERSION := $(call qstrip,$(CONFIG_KEEL_VERSION))
BOARD_DIR := $(TOPDIR)/board/$(BOARD)
OUT := $(if $(O),$(OUTBASE),$(TOPDIR)/output/$(BOARD))
BUILD := $(OUT)/build
TARGET := $(OUT)/target
IMAGES := $(OUT)/images
DL_DIR ?= $(TOPDIR)/dl

.DEFAULT_GOAL := all
.PHONY: all images run check check-aarch64 check-rpi4 check-fresh unit build-test system-test integration nlmsg-compare test-image fuzz bench \
	format format-check \
	source clean distclean \
	menuconfig olddefconfig savedefconfig help host-deps config-check config-ok FORCE

all: images

help:
	@sed -n '2,11s/^# \{0,1\}//p' Makefile

# --- configuration ------------------------------------------------------

%_defconfig: board/%/defconfig
	@mkdir -p $(dir $(CONFIG))
	@$(KCONFIG_READY)
	@kconfig-conf --defconfig=$< Kconfig

menuconfig:
	@$(KCONFIG_READY)
	@kconfig-mconf Kconfig

olddefconfig:
	@$(KCONFIG_READY)
	@kconfig-conf --olddefconfig Kconfig

DEFCONFIG ?= board/$(BOARD)/defconfig
savedefconfig:
	@test -f $(CONFIG) || { echo "savedefconfig: no $(CONFIG)" >&2; exit 1; }
	@kconfig-conf --savedefconfig=$(DEFCONFIG) Kconfig
	@echo "wrote $(DEFCONFIG)"

host-deps:
	@scripts/setup-host $(ARCH)

# The configuration is checked first, before the host is set up or
# anything fetched: a board that cannot build says so at once.
config-check:
	@scripts/check-config $(CONFIG)

config-ok: config-check host-deps

# --- toolchain ----------------------------------------------------------

# musl-gcc does not see the kernel's headers; expose just those.
TOOLCHAIN := $(BUILD)/toolchain/.stamp
KHDR := $(BUILD)/toolchain/include
# aarch64: Debian's cross gcc with the arm64 musl (musl-dev:arm64), whose
# wrapper is aarch64-linux-musl-gcc; the host's strip cannot read it.
TARGET_CC := $(if $(filter aarch64,$(ARCH)),aarch64-linux-musl-gcc,musl-gcc) -isystem $(KHDR)
TARGET_STRIP := $(if $(filter aarch64,$(ARCH)),aarch64-linux-gnu-strip,strip)

$(TOOLCHAIN): | config-ok
	@mkdir -p $(KHDR)
	@for d in linux asm-generic mtd; do ln -sfn /usr/include/$$d $(KHDR)/$$d; done
	@ln -sfn /usr/include/$(ARCH)-linux-gnu/asm $(KHDR)/asm
	@touch $@

include scripts/package/pkg.mk
include $(sort $(wildcard scripts/package/*/*.mk))
include init/init.mk
include imaged/imaged.mk
include netd/netd.mk
include tests/tests.mk

source: host-deps $(SOURCE_TARGETS)
	@echo "all sources present and verified in $(DL_DIR)"

SKELETON_FILES := $(shell find rootfs board/$(BOARD) $(call qstrip,$(CONFIG_KEEL_ROOTFS_OVERLAY)) -type f 2>/dev/null)

# The kernel consoles (CONFIG_KEEL_CONSOLE, "tty0 ttyS0,115200"): each is
# a console= argument; the console shell runs on each, as the service
# "console" on the last (the kernel's /dev/console) and "console-<tty>"
# on the others.
comma := ,
dquote := "
CONSOLE_LIST := $(strip $(subst $(dquote),,$(CONFIG_KEEL_CONSOLE)))
CONSOLE_TTYS := $(foreach c,$(CONSOLE_LIST),$(firstword $(subst $(comma), ,$(c))))
CONSOLE_OTHERS := $(filter-out $(lastword $(CONSOLE_TTYS)),$(CONSOLE_TTYS))

# The image's build time, the clock's floor (init/README.md, "Clock"):
# SOURCE_DATE_EPOCH when the build is to be reproducible, else now.
BUILD_TIME = $(or $(SOURCE_DATE_EPOCH),$(shell date +%s))

# --- update signing keys ------------------------------------------------

DEV_KEY := $(TOPDIR)/.dev-keys/bundle-signing.pem
SIGNING_KEY := $(or $(call qstrip,$(CONFIG_KEEL_UPDATE_SIGNING_KEY)),$(DEV_KEY))
EXTRA_KEYS := $(call qstrip,$(CONFIG_KEEL_UPDATE_EXTRA_KEYS))

$(DEV_KEY):
	@mkdir -p $(dir $@) && chmod 700 $(dir $@)
	@openssl ecparam -name prime256v1 -genkey -noout -out $@.tmp 2>/dev/null
	@chmod 600 $@.tmp && mv $@.tmp $@
	@echo "  keys: generated a DEVELOPMENT signing key $@"
	@echo "  keys: do not ship images that trust it (README.md, Update signing keys)"

# --- root filesystem ----------------------------------------------------

$(TARGET)/.stamp: $(BUSYBOX_BIN) $(E2FSPROGS_BUILD)/.stamp_built $(INIT_BIN) \
		$(IMAGED_BIN) $(NETD_BIN) $(SIGNING_KEY) $(EXTRA_KEYS) scripts/mkbundle $(CA_BUNDLE) \
		$(DOSFSTOOLS_FSCK) $(BUILD)/linux/.stamp_depmod $(ROOTFS_FIRMWARE_DEPS) \
		scripts/resolve-modules $(SKELETON_FILES) $(CONFIG) Makefile | config-ok
	@echo "  rootfs: staging $(TARGET)"
	@rm -rf $(TARGET) && mkdir -p $(TARGET)
	@cp -a rootfs/skeleton/. $(TARGET)/
	@find $(TARGET) -name .keep -delete
	@$(MAKE) -s -C $(BUILD)/busybox-src O=$(BUILD)/busybox HOSTCC=gcc \
		CC="$(TARGET_CC)" CONFIG_PREFIX=$(TARGET) install >/dev/null
	@for p in $(E2FSPROGS_PROGS); do \
		$(TARGET_STRIP) -o $(TARGET)/sbin/$${p##*/} $(E2FSPROGS_BUILD)/$$p; done
	@install -m 0755 $(INIT_BIN) $(TARGET)/sbin/init
	@ln -sf init $(TARGET)/sbin/initctl
	@$(TARGET_STRIP) -o $(TARGET)/sbin/fsck.fat $(DOSFSTOOLS_FSCK)
	@install -m 0755 $(IMAGED_BIN) $(TARGET)/sbin/imaged
	@ln -sf imaged $(TARGET)/sbin/imagectl
	@ln -f $(TARGET)/sbin/imaged $(TARGET)/sbin/keel-shim
	@install -m 0644 rootfs/services/imaged.conf $(TARGET)/etc/init/
	$(netd-install)
	@if [ -f board/$(BOARD)/modules.pods ]; then \
		mkdir -p $(TARGET)/lib/modules && \
		scripts/resolve-modules $(LINUX_MODDIR) board/$(BOARD)/modules.pods | \
		while read -r m; do \
			install -D -m 0644 $(LINUX_MODDIR)/$$m $(TARGET)/lib/modules/$(LINUX_ABI)/$$m && \
			echo /lib/modules/$(LINUX_ABI)/$$m; \
		done >$(TARGET)/lib/modules/pods.list; fi
	@if [ -f board/$(BOARD)/modules.hw ]; then \
		scripts/resolve-modules --probe $(LINUX_MODDIR) board/$(BOARD)/modules.hw \
			$(TARGET)/lib/modules; fi
	@for d in $(ROOTFS_FIRMWARE_DIRS); do \
		mkdir -p $(TARGET)/lib/firmware && cp -r $$d/. $(TARGET)/lib/firmware/ || exit 1; done
	@mkdir -p $(TARGET)/etc/keel/update-keys $(TARGET)/etc/ssl/certs
	@install -m 0644 $(CA_BUNDLE) $(TARGET)/etc/ssl/certs/ca-certificates.crt
	@printf '# imaged settings; the keys are in imaged/README.md\nupdate_tries = %s\nhealth_timeout = %s\ndefault_host_users = %s\n' \
		'$(CONFIG_KEEL_UPDATE_TRIES)' '$(CONFIG_KEEL_HEALTH_TIMEOUT)' \
		'$(if $(filter y,$(CONFIG_KEEL_DEFAULT_HOST_USERS)),yes,no)' \
		>$(TARGET)/etc/keel/imaged.conf
	@scripts/mkbundle --pubkey --key $(SIGNING_KEY) -o $(TARGET)/etc/keel/update-keys/signing.p256
	@n=0; for k in $(EXTRA_KEYS); do n=$$((n + 1)); \
		scripts/mkbundle --pubkey --public-in --key $$k \
			-o $(TARGET)/etc/keel/update-keys/extra-$$n.p256 || exit 1; done
	@if [ "$(CONFIG_KEEL_SERVICE_CONSOLE_SHELL)" = y ]; then \
		install -m 0644 rootfs/services/console.conf $(TARGET)/etc/init/ && \
		for t in $(CONSOLE_OTHERS); do \
			sed "s/^console = yes$$/console = $$t/" rootfs/services/console.conf \
				>$(TARGET)/etc/init/console-$$(echo $$t | tr A-Z a-z).conf || exit 1; \
		done; fi
	@echo '$(BUILD_TIME)' >$(TARGET)/etc/keel/build-time
	@if [ -d board/$(BOARD)/rootfs-overlay ]; then \
		cp -a board/$(BOARD)/rootfs-overlay/. $(TARGET)/; fi
	@overlay='$(call qstrip,$(CONFIG_KEEL_ROOTFS_OVERLAY))'; \
	if [ -n "$$overlay" ]; then \
		[ -d "$$overlay" ] || { echo "config: CONFIG_KEEL_ROOTFS_OVERLAY='$$overlay' is not a folder" >&2; exit 1; }; \
		cp -a "$$overlay"/. $(TARGET)/; fi
	@printf 'NAME=keel\nID=keel\nVERSION_ID=%s\nPRETTY_NAME="keel %s"\nVARIANT_ID=%s\n' \
		'$(VERSION)' '$(VERSION)' '$(BOARD)' >$(TARGET)/etc/os-release
	@touch $@

$(IMAGES)/root.img: $(TARGET)/.stamp scripts/mkroot
	@echo "  root.img: $(call qstrip,$(CONFIG_KEEL_ROOTFS_TYPE))"
	@mkdir -p $(IMAGES) && rm -f $(IMAGES)/root.verity
	@scripts/mkroot $(TARGET) $@ $(call qstrip,$(CONFIG_KEEL_ROOTFS_TYPE)) \
		$(if $(filter y,$(CONFIG_KEEL_VERITY)),$(IMAGES)/root.verity)
	@if [ -f $(IMAGES)/root.verity ]; then \
		echo "  root.img: dm-verity root hash $$(cut -d: -f1 $(IMAGES)/root.verity)"; fi

# --- initramfs ----------------------------------------------------------

INITRAMFS := $(BUILD)/initramfs

$(IMAGES)/initramfs.cpio.gz: $(INIT_BIN) $(BUSYBOX_BIN) $(BUILD)/linux/.stamp_depmod \
		board/$(BOARD)/modules $(wildcard board/$(BOARD)/modules.probe) \
		scripts/resolve-modules $(CONFIG) Makefile
	@echo "  initramfs: init, modules from board/$(BOARD)/modules$(if $(wildcard board/$(BOARD)/modules.probe), and modules.probe)"
	@rm -rf $(INITRAMFS) && mkdir -p $(INITRAMFS)/lib/modules $(IMAGES)
	@install -m 0755 $(INIT_BIN) $(INITRAMFS)/init
	@if [ "$(CONFIG_KEEL_EMERGENCY_SHELL)" = y ]; then \
		mkdir -p $(INITRAMFS)/bin && \
		install -m 0755 $(BUSYBOX_BIN) $(INITRAMFS)/bin/busybox && \
		for a in $$(sed 's|.*/||' $(BUILD)/busybox/busybox.links); do \
			ln -sf busybox $(INITRAMFS)/bin/$$a; done; fi
	@scripts/resolve-modules $(LINUX_MODDIR) board/$(BOARD)/modules >$(INITRAMFS)/mods
	@while read -r m; do \
		install -D -m 0644 $(LINUX_MODDIR)/$$m $(INITRAMFS)/lib/modules/$(LINUX_ABI)/$$m && \
		echo /lib/modules/$(LINUX_ABI)/$$m; \
	done <$(INITRAMFS)/mods >$(INITRAMFS)/lib/modules/load.list
	@rm $(INITRAMFS)/mods
	@if [ -f board/$(BOARD)/modules.probe ]; then \
		scripts/resolve-modules --probe $(LINUX_MODDIR) board/$(BOARD)/modules.probe \
			$(INITRAMFS)/lib/modules; fi
	@scripts/mkcpio $(INITRAMFS) $@.cpio
	@gzip -9n <$@.cpio >$@.tmp && rm $@.cpio && mv $@.tmp $@

# --- disk image ---------------------------------------------------------

ESP := $(BUILD)/esp
GRUB_MODULES := part_gpt fat normal linux echo search configfile test \
	loadenv gzio sleep efi_gop all_video

# The factory boot state: slot a, good; slot b empty.
KEEL_BOOTSTATE := KEEL_ORDER=a b|KEEL_A_TRIES=0|KEEL_B_TRIES=0|KEEL_A_OK=1|KEEL_B_OK=0

# Where the kernel consoles go also decides where init's shells run.
KCMD_CONSOLE := $(addprefix console=,$(CONSOLE_LIST))

# Image archives for the data partition (imaged loads them on first start)
PRELOAD := $(call qstrip,$(CONFIG_KEEL_PRELOAD_IMAGES))

BOOTLOADER := $(call qstrip,$(CONFIG_KEEL_BOOTLOADER))
BOOT_CONFIG := board/$(BOARD)/$(if $(filter u-boot,$(BOOTLOADER)),boot.cmd,grub.cfg)
BOOT_SUBST := sed -e 's|@BOARD@|$(BOARD)|g' -e 's|@VERSION@|$(VERSION)|g' \
	-e 's|@ROOTFS@|$(call qstrip,$(CONFIG_KEEL_ROOTFS_TYPE))|g' \
	-e 's|@CONSOLE@|$(KCMD_CONSOLE)|g' \
	-e 's|@CMDLINE@|$(call qstrip,$(CONFIG_KEEL_CMDLINE_EXTRA))|g' \
	-e 's|@KERNEL_ADDR@|$(CONFIG_KEEL_UBOOT_KERNEL_ADDR)|g' \
	-e 's|@RAMDISK_ADDR@|$(CONFIG_KEEL_UBOOT_RAMDISK_ADDR)|g' \
	-e 's|@SCRATCH_ADDR@|$(CONFIG_KEEL_UBOOT_SCRATCH_ADDR)|g'

# GRUB (EFI): grub.cfg reads grubenv (and its copy); a slot's settings
# are in <slot>/slot.cfg, GRUB script.
define esp-boot-grub-efi
	@grub-editenv $(ESP)/EFI/keel/grubenv create
	@vars='$(KEEL_BOOTSTATE)'; IFS='|'; grub-editenv $(ESP)/EFI/keel/grubenv set $$vars
	@cp $(ESP)/EFI/keel/grubenv $(ESP)/EFI/keel/grubenv.bak
	@grub-mkimage -O x86_64-efi -p /EFI/BOOT -o $(ESP)/EFI/BOOT/BOOTX64.EFI \
		$(GRUB_MODULES)
	@$(BOOT_SUBST) board/$(BOARD)/grub.cfg >$(ESP)/EFI/BOOT/grub.cfg
	@if [ -f $(IMAGES)/root.verity ]; then \
		printf 'set keel_verity="keel.verity=%s"\n' "$$(cat $(IMAGES)/root.verity)"; \
	else echo 'set keel_verity='; fi >$(ESP)/a/slot.cfg
	@echo 'set keel_cmdline=""' >>$(ESP)/a/slot.cfg
endef

# U-Boot: boot.scr (from board/<b>/boot.cmd) at the ESP's root, where
# U-Boot's distro boot finds it; the boot state is a redundant U-Boot
# environment, one copy a file (uboot.env, uboot.env.bak); a slot's
# settings are in <slot>/slot.env, name=value lines for env import -t.
define esp-boot-u-boot
	@echo '$(KEEL_BOOTSTATE)' | tr '|' '\n' >$(BUILD)/bootstate.txt
	@mkenvimage -r -s $(UBOOTENV_SIZE) -o $(ESP)/EFI/keel/uboot.env $(BUILD)/bootstate.txt
	@mkenvimage -r -s $(UBOOTENV_SIZE) -o $(ESP)/EFI/keel/uboot.env.bak $(BUILD)/bootstate.txt
	@$(BOOT_SUBST) board/$(BOARD)/boot.cmd >$(BUILD)/boot.cmd
	@mkimage -A arm64 -T script -C none -n keel -d $(BUILD)/boot.cmd $(ESP)/boot.scr >/dev/null
	@if [ -f $(IMAGES)/root.verity ]; then \
		printf 'keel_verity=keel.verity=%s\n' "$$(cat $(IMAGES)/root.verity)"; \
	else echo 'keel_verity='; fi >$(ESP)/a/slot.env
	@echo 'keel_cmdline=' >>$(ESP)/a/slot.env
endef
UBOOTENV_SIZE := 4096

# What a board's firmware reads from the ESP's root besides keel's own
# files: board/<b>/esp/ as it is (rpi4: config.txt), the device trees
# board/<b>/dtbs names from the kernel package, the closed firmware
# board/<b>/firmware names from CONFIG_KEEL_RPI_FIRMWARE_DIR (checked by
# scripts/check-config), and a bootloader binary a package recipe sets
# in BOARD_ESP_FILES (rpi4: U-Boot). The disk then gets a hybrid MBR
# (CONFIG_KEEL_HYBRID_MBR, scripts/mkdisk) for firmware that reads MBR.
BOARD_ESP_DIR := $(wildcard board/$(BOARD)/esp)
BOARD_DTBS := $(if $(wildcard board/$(BOARD)/dtbs),$(shell sed 's/#.*//' board/$(BOARD)/dtbs))
FIRMWARE_DIR := $(call qstrip,$(CONFIG_KEEL_RPI_FIRMWARE_DIR))
BOARD_FIRMWARE := $(if $(wildcard board/$(BOARD)/firmware),$(addprefix $(FIRMWARE_DIR)/,$(shell sed 's/#.*//' board/$(BOARD)/firmware)))
BOARD_ESP_INPUTS := $(if $(BOARD_ESP_DIR),$(shell find $(BOARD_ESP_DIR) -type f)) \
	$(wildcard board/$(BOARD)/dtbs board/$(BOARD)/firmware $(BOARD_FIRMWARE)) \
	$(BOARD_ESP_DEPS)

define esp-board-files
	@if [ -n '$(BOARD_ESP_DIR)' ]; then cp -r $(BOARD_ESP_DIR)/. $(ESP)/; fi
	@for d in $(BOARD_DTBS); do \
		cp $(LINUX_DTBDIR)/$$d $(ESP)/ || { echo "disk.img: the kernel package has no $$d (board/$(BOARD)/dtbs)" >&2; exit 1; }; done
	@for f in $(BOARD_FIRMWARE) $(BOARD_ESP_FILES); do cp "$$f" $(ESP)/ || exit 1; done
endef

$(IMAGES)/disk.img: $(wildcard $(PRELOAD)) $(IMAGES)/root.img $(IMAGES)/initramfs.cpio.gz \
		$(BUILD)/linux/.stamp_depmod $(BOOT_CONFIG) $(BOARD_ESP_INPUTS) $(CONFIG) Makefile scripts/mkdisk
	@echo "  disk.img: GPT$(if $(filter y,$(CONFIG_KEEL_HYBRID_MBR)), + hybrid MBR) esp | root-a | root-b | data"
	@rm -rf $(ESP) && mkdir -p $(ESP)/EFI/BOOT $(ESP)/EFI/keel $(ESP)/a $(ESP)/b $(ESP)/config
	$(esp-boot-$(BOOTLOADER))
	$(esp-board-files)
	@echo '$(VERSION)' >$(ESP)/a/version
	@cp $(LINUX_VMLINUZ) $(ESP)/a/vmlinuz
	@cp $(IMAGES)/initramfs.cpio.gz $(ESP)/a/initramfs.img
	@for f in kernel:vmlinuz initramfs:initramfs.img; do \
		echo "$${f%%:*} $$(stat -c %s $(ESP)/a/$${f#*:}) $$(sha256sum <$(ESP)/a/$${f#*:} | cut -d' ' -f1)"; \
	done >$(ESP)/a/sums
	@printf 'Files here configure this keel host; see README.md.\r\n' >$(ESP)/config/README.txt
	@rm -rf $(BUILD)/preload
	@for f in $(PRELOAD); do \
		[ -f "$$f" ] || { echo "config: CONFIG_KEEL_PRELOAD_IMAGES: $$f is not a file" >&2; exit 1; }; \
		mkdir -p $(BUILD)/preload/lib/keel/preload && cp "$$f" $(BUILD)/preload/lib/keel/preload/; \
		echo "  disk.img: preloading $$f"; done
	@scripts/mkdisk $(if $(filter y,$(CONFIG_KEEL_HYBRID_MBR)),--hybrid-mbr) $@ $(ESP) $(IMAGES)/root.img $(CONFIG_KEEL_ESP_SIZE_MB) \
		$(CONFIG_KEEL_SLOT_SIZE_MB) $(CONFIG_KEEL_DATA_SIZE_MB) \
		$(if $(PRELOAD),$(BUILD)/preload)
	@rm -f $@.vars
	@echo "built $@ ($$(du -h --apparent-size $@ | cut -f1) sparse, root.img $$(du -h --apparent-size $(IMAGES)/root.img | cut -f1))"

# --- update bundle ------------------------------------------------------

# Beside the full bundle: its delta variant (casync indexes instead of
# the payloads), the chunk store it needs (.castr/) and the root's index
# (.caibx). Serve all of them from one folder (imaged/README.md, "Delta
# updates").
BUNDLE := $(IMAGES)/keel-$(VERSION)-$(BOARD).keelb
BUNDLE_DELTA := $(IMAGES)/keel-$(VERSION)-$(BOARD)-delta.keelb
BUNDLE_STORE := $(IMAGES)/keel-$(VERSION)-$(BOARD).castr

$(BUNDLE): $(IMAGES)/root.img $(IMAGES)/initramfs.cpio.gz $(BUILD)/linux/.stamp_depmod \
		$(SIGNING_KEY) scripts/mkbundle
	@test -f $(IMAGES)/root.verity || { echo "bundle: needs CONFIG_KEEL_VERITY=y (the manifest carries the root hash)" >&2; exit 1; }
	@rm -rf $(BUNDLE_STORE)
	@scripts/mkbundle --key $(SIGNING_KEY) --version '$(VERSION)' --board '$(BOARD)' \
		--verity "$$(cat $(IMAGES)/root.verity)" --root $(IMAGES)/root.img \
		--kernel $(LINUX_VMLINUZ) --initramfs $(IMAGES)/initramfs.cpio.gz -o $@ \
		--delta $(BUNDLE_DELTA) --store $(BUNDLE_STORE)

images: config-ok $(IMAGES)/disk.img $(if $(filter y,$(CONFIG_KEEL_VERITY)),$(BUNDLE))

include scripts/run-disk.mk

# (a board without a QEMU machine gets run-qemu's word on it, no copy)
run: images $(if $(wildcard $(BOARD_DIR)/qemu-args),run-disk)
	@echo "booting $(RUN_DISK), a copy of disk.img; quit QEMU with Ctrl-A X"
	@scripts/run-qemu $(ARCH) $(BOARD_DIR) $(RUN_DISK)

# The rpi4 board's whole SD image with stub firmware, checked for what
# the Pi reads (tests/build/test_rpi4.py; its firmware check runs in make
# check's build-test). Not in make check: a clean build takes minutes.
check-rpi4:
	@KEEL_RPI4_IMAGE=1 $(PYTEST) -v tests/build/test_rpi4.py

# README.md's build command on a fresh Debian 12 root (debootstrap from
# the host's mirror, make in a chroot): the first make, host setup and
# all. Not in make check: about 8 minutes, and it needs the mirror.
check-fresh: host-deps
	@scripts/check-fresh $(TOPDIR)/output/check-fresh

clean:
	rm -rf output $(if $(O),$(OUTBASE)/build $(OUTBASE)/target $(OUTBASE)/images)

distclean: clean
	rm -rf dl .config .config.old
