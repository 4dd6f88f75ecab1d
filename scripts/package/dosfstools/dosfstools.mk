# dosfstools: fsck.fat, so init repairs the ESP (FAT has no journal) before
# mounting it; a power cut while an update writes the other slot's kernel
# files can leave its allocation table and directory out of step.
DOSFSTOOLS_VERSION = 4.2-1
DOSFSTOOLS_DSC = dosfstools_$(DOSFSTOOLS_VERSION).dsc
DOSFSTOOLS_BUILD = $(BUILD)/dosfstools
DOSFSTOOLS_FSCK = $(DOSFSTOOLS_BUILD)/src/fsck.fat

$(eval $(call apt-source-package,dosfstools,dosfstools=$(DOSFSTOOLS_VERSION),$(DOSFSTOOLS_DSC)))

$(DOSFSTOOLS_FSCK): $(BUILD)/dosfstools-src/.stamp_extracted $(TOOLCHAIN)
	@rm -rf $(DOSFSTOOLS_BUILD) && mkdir -p $(DOSFSTOOLS_BUILD)
	$(call run-logged,dosfstools,cd $(DOSFSTOOLS_BUILD) && \
		$(BUILD)/dosfstools-src/configure --host=$(ARCH)-linux-musl \
			CC="$(TARGET_CC)" LDFLAGS=-static \
			--without-udev --without-iconv && \
		$(MAKE) -C src fsck.fat)
	@touch $@
