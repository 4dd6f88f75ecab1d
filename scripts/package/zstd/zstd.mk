# zstd: zstd layers (imaged/store/decompress.c). The Debian source package is
# libzstd. Only lib/'s decompressor is built: no compression, dictionary
# builder, deprecated API or legacy (pre-1.0) frames. Huffman X1 and short
# sequences only, no BMI2 dispatch and no assembly: about half the size
# of the default decoder and about 5% slower, and the same code on every
# architecture. CFLAGS goes in the environment: on the command line
# it would override the -D flags lib/libzstd.mk adds to it.
ZSTD_VERSION = 1.5.4+dfsg2-5
ZSTD_DSC = libzstd_$(ZSTD_VERSION).dsc
ZSTD_LIB = $(BUILD)/zstd-src/lib/libzstd.a
ZSTD_INC = $(BUILD)/zstd-src/lib

$(eval $(call apt-source-package,zstd,libzstd=$(ZSTD_VERSION),$(ZSTD_DSC)))

$(ZSTD_LIB): $(BUILD)/zstd-src/.stamp_extracted $(TOOLCHAIN)
	$(call run-logged,zstd,\
		CFLAGS="-Os -ffunction-sections -fdata-sections -DDYNAMIC_BMI2=0" \
		$(MAKE) -C $(BUILD)/zstd-src/lib CC="$(TARGET_CC)" \
			ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 \
			ZSTD_LIB_DEPRECATED=0 ZSTD_LEGACY_SUPPORT=0 \
			HUF_FORCE_DECOMPRESS_X1=1 \
			ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT=1 \
			ZSTD_NO_ASM=1 libzstd.a)
	@touch $@

# The compressor the image leaves out, for the unit tests on the target
# (make unit-aarch64: test_unpack makes its zstd layers), linked before
# $(ZSTD_LIB), whose common/ code it shares. Single-threaded, as there.
ZSTD_COMPRESS_LIB = $(BUILD)/zstd-compress/libzstd-compress.a

$(ZSTD_COMPRESS_LIB): $(ZSTD_LIB)
	$(call run-logged,zstd-compress,rm -rf $(dir $@) && mkdir -p $(dir $@) && \
		for f in $(BUILD)/zstd-src/lib/compress/*.c; do \
			o=$(dir $@)$$(basename $$f .c).o; \
			$(TARGET_CC) -Os -DDYNAMIC_BMI2=0 -c -o $$o $$f || exit 1; \
		done && ar rcs $@ $(dir $@)*.o)
