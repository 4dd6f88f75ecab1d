# linux: the distribution's prebuilt kernel, extracted, not installed.
# Its modules.dep is generated here with depmod. The board picks the
# package's flavour (CONFIG_KEEL_LINUX_FLAVOUR): the cloud kernels for
# the QEMU boards, the generic arm64 one (Raspberry Pi drivers and
# device trees) for rpi4, the generic amd64 one (SATA, NVMe, USB, the
# common NICs and hardware watchdogs) for pc-x86_64. One hash file a
# flavour.
LINUX_FLAVOUR := $(or $(call qstrip,$(CONFIG_KEEL_LINUX_FLAVOUR)),cloud-amd64)

LINUX_ABI_cloud-amd64 = 6.1.0-56-cloud-amd64
LINUX_VERSION_cloud-amd64 = 6.1.192-2
LINUX_DEBARCH_cloud-amd64 = amd64
LINUX_HASH_cloud-amd64 = linux.hash
LINUX_ABI_amd64 = 6.1.0-56-amd64
LINUX_VERSION_amd64 = 6.1.192-2
LINUX_DEBARCH_amd64 = amd64
LINUX_HASH_amd64 = linux-amd64.hash
# a foreign-architecture package (scripts/setup-host adds arm64 to dpkg)
LINUX_ABI_cloud-arm64 = 6.1.0-56-cloud-arm64
LINUX_VERSION_cloud-arm64 = 6.1.192-2
LINUX_DEBARCH_cloud-arm64 = arm64
LINUX_HASH_cloud-arm64 = linux-aarch64.hash
LINUX_ABI_arm64 = 6.1.0-56-arm64
LINUX_VERSION_arm64 = 6.1.192-2
LINUX_DEBARCH_arm64 = arm64
LINUX_HASH_arm64 = linux-arm64.hash

LINUX_ABI = $(LINUX_ABI_$(LINUX_FLAVOUR))
LINUX_VERSION = $(LINUX_VERSION_$(LINUX_FLAVOUR))
LINUX_PKG = linux-image-$(LINUX_ABI)
LINUX_DEB = $(LINUX_PKG)_$(LINUX_VERSION)_$(LINUX_DEBARCH_$(LINUX_FLAVOUR)).deb
LINUX_VMLINUZ = $(BUILD)/linux/boot/vmlinuz-$(LINUX_ABI)
LINUX_MODDIR = $(BUILD)/linux/lib/modules/$(LINUX_ABI)
# device trees, for boards whose firmware loads one (board/<b>/dtbs)
LINUX_DTBDIR = $(BUILD)/linux/usr/lib/linux-image-$(LINUX_ABI)

$(eval $(call apt-deb-package,linux,$(LINUX_PKG):$(LINUX_DEBARCH_$(LINUX_FLAVOUR))=$(LINUX_VERSION),$(LINUX_DEB),scripts/package/linux/$(LINUX_HASH_$(LINUX_FLAVOUR))))

# Not before the configuration is checked: a board whose build cannot
# finish (rpi4 without its firmware) stops before a 60 MB download.
$(BUILD)/linux/.stamp_extracted: | config-ok

$(BUILD)/linux/.stamp_depmod: $(BUILD)/linux/.stamp_extracted
	@depmod -b $(BUILD)/linux $(LINUX_ABI)
	@touch $@
