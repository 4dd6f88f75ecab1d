# BearSSL: SHA-256 and ECDSA P-256 for update bundles, TLS for registries.
# Only the static library is built; imaged links what it uses. O=.o:
# BearSSL names its object suffix O, which our own O= (output dir) would
# otherwise override through MAKEFLAGS.
BEARSSL_VERSION = 0.6+dfsg.1-3
BEARSSL_DSC = bearssl_$(BEARSSL_VERSION).dsc
BEARSSL_LIB = $(BUILD)/bearssl/libbearssl.a
BEARSSL_INC = $(BUILD)/bearssl-src/inc

$(eval $(call apt-source-package,bearssl,bearssl=$(BEARSSL_VERSION),$(BEARSSL_DSC)))

$(BEARSSL_LIB): $(BUILD)/bearssl-src/.stamp_extracted $(TOOLCHAIN)
	$(call run-logged,bearssl,\
		$(MAKE) -C $(BUILD)/bearssl-src BUILD=$(BUILD)/bearssl O=.o \
			CC="$(TARGET_CC)" AR=ar \
			CFLAGS="-W -Wall -Os -ffunction-sections -fdata-sections" lib)
	@touch $@
