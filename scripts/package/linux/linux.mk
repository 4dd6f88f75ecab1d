# linux: the distribution's prebuilt cloud kernel, extracted, not
# installed. Its modules.dep is generated here with depmod.
LINUX_ABI_x86_64 = 6.1.0-56-cloud-amd64
LINUX_VERSION_x86_64 = 6.1.192-2
LINUX_DEBARCH_x86_64 = amd64

LINUX_ABI = $(LINUX_ABI_$(ARCH))
LINUX_VERSION = $(LINUX_VERSION_$(ARCH))
LINUX_PKG = linux-image-$(LINUX_ABI)
LINUX_DEB = $(LINUX_PKG)_$(LINUX_VERSION)_$(LINUX_DEBARCH_$(ARCH)).deb
LINUX_VMLINUZ = $(BUILD)/linux/boot/vmlinuz-$(LINUX_ABI)
LINUX_MODDIR = $(BUILD)/linux/lib/modules/$(LINUX_ABI)

$(eval $(call apt-deb-package,linux,$(LINUX_PKG)=$(LINUX_VERSION),$(LINUX_DEB)))

$(BUILD)/linux/.stamp_depmod: $(BUILD)/linux/.stamp_extracted
	@depmod -b $(BUILD)/linux $(LINUX_ABI)
	@touch $@
