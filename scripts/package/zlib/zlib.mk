# zlib: gzip layers (imaged/store/decompress.c inflates them). Only the static
# library is built, in the source tree: configured out of tree, zlib.h
# would still pick up the unconfigured zconf.h beside it.
# Debian's epoch (1:) is part of the apt version, not of the file names.
ZLIB_VERSION = 1.2.13.dfsg-1
ZLIB_DSC = zlib_$(ZLIB_VERSION).dsc
ZLIB_LIB = $(BUILD)/zlib-src/libz.a
ZLIB_INC = $(BUILD)/zlib-src

$(eval $(call apt-source-package,zlib,zlib=1:$(ZLIB_VERSION),$(ZLIB_DSC)))

$(ZLIB_LIB): $(BUILD)/zlib-src/.stamp_extracted $(TOOLCHAIN)
	$(call run-logged,zlib,cd $(BUILD)/zlib-src && \
		CC="$(TARGET_CC)" CFLAGS="-Os -ffunction-sections -fdata-sections" \
			./configure --static && \
		$(MAKE) libz.a)
	@touch $@
