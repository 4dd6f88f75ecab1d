# busybox: the shell and userland applets of the root filesystem, with the
# applet selection in rootfs/busybox.config.
BUSYBOX_VERSION = 1.35.0-4+deb12u1
# Debian's epoch: part of the version apt asks for, not of file names
BUSYBOX_EPOCH = 1:
BUSYBOX_DSC = busybox_$(BUSYBOX_VERSION).dsc
BUSYBOX_BIN = $(BUILD)/busybox/busybox

$(eval $(call apt-source-package,busybox,busybox=$(BUSYBOX_EPOCH)$(BUSYBOX_VERSION),$(BUSYBOX_DSC)))

# busybox.links too: the initramfs takes its applet names from it before
# the rootfs install would have written it
$(BUSYBOX_BIN): $(BUILD)/busybox-src/.stamp_extracted rootfs/busybox.config $(TOOLCHAIN)
	@mkdir -p $(BUILD)/busybox
	@cp rootfs/busybox.config $(BUILD)/busybox/.config
	$(call run-logged,busybox,\
		yes '' | $(MAKE) -C $(BUILD)/busybox-src O=$(BUILD)/busybox \
			HOSTCC=gcc CC="$(TARGET_CC)" oldconfig && \
		$(MAKE) $(PKG_JOBS) -C $(BUILD)/busybox-src O=$(BUILD)/busybox \
			HOSTCC=gcc CC="$(TARGET_CC)" STRIP=$(TARGET_STRIP) busybox busybox.links)
	@cmp -s <(grep CONFIG_ rootfs/busybox.config) \
		<(grep CONFIG_ $(BUILD)/busybox/.config) || \
		{ echo "busybox: rootfs/busybox.config is not complete for busybox $(BUSYBOX_VERSION); oldconfig changed it (see $(BUILD)/busybox/.config)" >&2; exit 1; }
	@touch $@
