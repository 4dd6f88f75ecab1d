# firmware-linux-free: the firmware files Debian's main archive carries
# (the mirror keel builds from has no non-free-firmware), for boards
# whose kernel drives real hardware (CONFIG_KEEL_FIRMWARE_FREE). Copied
# into the root's /lib/firmware by the Makefile's rootfs staging.
# Firmware that is not free (most NICs that need any: rtl_nic/, tigon/,
# bnx2x/) goes in through CONFIG_KEEL_ROOTFS_OVERLAY (README.md,
# "Firmware").
ifeq ($(CONFIG_KEEL_FIRMWARE_FREE),y)
FIRMWARE_LINUX_FREE_VERSION = 20200122-1
FIRMWARE_LINUX_FREE_DEB = firmware-linux-free_$(FIRMWARE_LINUX_FREE_VERSION)_all.deb

$(eval $(call apt-deb-package,firmware-linux-free,firmware-linux-free=$(FIRMWARE_LINUX_FREE_VERSION),$(FIRMWARE_LINUX_FREE_DEB)))

ROOTFS_FIRMWARE_DIRS += $(BUILD)/firmware-linux-free/lib/firmware
ROOTFS_FIRMWARE_DEPS += $(BUILD)/firmware-linux-free/.stamp_extracted
endif
