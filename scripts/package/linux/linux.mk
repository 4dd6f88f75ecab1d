# linux: the distribution's prebuilt cloud kernel, extracted, not
# installed. Its modules.dep is generated here with depmod.
LINUX_ABI_x86_64 = 6.1.0-56-cloud-amd64
LINUX_VERSION_x86_64 = 6.1.192-2
LINUX_DEBARCH_x86_64 = amd64
LINUX_HASH_x86_64 = linux.hash
# aarch64 (qemu-aarch64): the same release's cloud kernel for arm64, a
# foreign-architecture package (scripts/setup-host adds arm64 to dpkg)
LINUX_ABI_aarch64 = 6.1.0-56-cloud-arm64
LINUX_VERSION_aarch64 = 6.1.192-2
LINUX_DEBARCH_aarch64 = arm64
LINUX_HASH_aarch64 = linux-aarch64.hash

LINUX_ABI = $(LINUX_ABI_$(ARCH))
LINUX_VERSION = $(LINUX_VERSION_$(ARCH))
LINUX_PKG = linux-image-$(LINUX_ABI)
LINUX_DEB = $(LINUX_PKG)_$(LINUX_VERSION)_$(LINUX_DEBARCH_$(ARCH)).deb
LINUX_VMLINUZ = $(BUILD)/linux/boot/vmlinuz-$(LINUX_ABI)
LINUX_MODDIR = $(BUILD)/linux/lib/modules/$(LINUX_ABI)

$(eval $(call apt-deb-package,linux,$(LINUX_PKG):$(LINUX_DEBARCH_$(ARCH))=$(LINUX_VERSION),$(LINUX_DEB),scripts/package/linux/$(LINUX_HASH_$(ARCH))))

$(BUILD)/linux/.stamp_depmod: $(BUILD)/linux/.stamp_extracted
	@depmod -b $(BUILD)/linux $(LINUX_ABI)
	@touch $@
