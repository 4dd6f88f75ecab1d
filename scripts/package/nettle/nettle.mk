# nettle: SHA-256 for imaged's digest checks (BearSSL keeps TLS and
# signatures). A fat build: fat-$(ARCH).c picks each function's
# variant at start-up from the CPU's features (SHA-NI on x86_64, the
# ARMv8 crypto extensions on arm64), so one image runs on CPUs with
# and without them. No public-key code, so no GMP. Only the static
# library is built, out of tree; install-headers lays the headers out
# as <nettle/...>, the way sources include them. Assembly goes through
# m4 on the build host; configure's -ggdb3 goes away with the link's -s.
NETTLE_VERSION = 3.8.1-2
NETTLE_DSC = nettle_$(NETTLE_VERSION).dsc
NETTLE_BUILD = $(BUILD)/nettle
NETTLE_LIB = $(NETTLE_BUILD)/libnettle.a
NETTLE_INC = $(NETTLE_BUILD)/include

$(eval $(call apt-source-package,nettle,nettle=$(NETTLE_VERSION),$(NETTLE_DSC)))

$(NETTLE_LIB): $(BUILD)/nettle-src/.stamp_extracted $(TOOLCHAIN)
	$(call run-logged,nettle,rm -rf $(NETTLE_BUILD) && \
		mkdir -p $(NETTLE_BUILD) && cd $(NETTLE_BUILD) && \
		CC="$(TARGET_CC)" CFLAGS="-Os -ffunction-sections -fdata-sections" \
			$(BUILD)/nettle-src/configure --host=$(ARCH)-linux-musl \
			--enable-fat --disable-shared --disable-public-key \
			--disable-documentation --disable-openssl --disable-gcov && \
		$(MAKE) libnettle.a && \
		$(MAKE) install-headers includedir=$(NETTLE_INC))
	@touch $@
