# e2fsprogs: mke2fs, e2fsck, resize2fs and tune2fs for the data partition.
E2FSPROGS_VERSION = 1.47.0-2
E2FSPROGS_DSC = e2fsprogs_$(E2FSPROGS_VERSION).dsc
E2FSPROGS_BUILD = $(BUILD)/e2fsprogs
E2FSPROGS_PROGS = misc/mke2fs misc/tune2fs e2fsck/e2fsck resize/resize2fs
E2FSPROGS_BINS = $(addprefix $(E2FSPROGS_BUILD)/,$(E2FSPROGS_PROGS))

$(eval $(call apt-source-package,e2fsprogs,e2fsprogs=$(E2FSPROGS_VERSION),$(E2FSPROGS_DSC)))

$(E2FSPROGS_BUILD)/.stamp_built: $(BUILD)/e2fsprogs-src/.stamp_extracted $(TOOLCHAIN)
	@rm -rf $(E2FSPROGS_BUILD) && mkdir -p $(E2FSPROGS_BUILD)
	$(call run-logged,e2fsprogs,cd $(E2FSPROGS_BUILD) && \
		$(BUILD)/e2fsprogs-src/configure --host=$(ARCH)-linux-musl \
			CC="$(TARGET_CC)" LDFLAGS=-static \
			--disable-nls --disable-fuse2fs --disable-debugfs \
			--disable-imager --disable-defrag --disable-uuidd \
			--disable-e2initrd-helper --disable-tdb --disable-backtrace \
			--without-libarchive --enable-libuuid --enable-libblkid && \
		$(MAKE) $(PKG_JOBS) libs && \
		$(MAKE) $(PKG_JOBS) -C misc mke2fs tune2fs && \
		$(MAKE) $(PKG_JOBS) -C e2fsck e2fsck && \
		$(MAKE) $(PKG_JOBS) -C resize resize2fs)
	@touch $@
