# libmnl: the netlink library whose API netd is written against. The
# distribution's mirror serves libmnl's binary packages but not its
# source, so nothing fetches it: its
# release tarball, put in dl/ by hand and checked against libmnl.hash,
# is built here into a static library for the image; without it
# netd/netd.mk links netd/mnl.c, netd's own subset of the same API.
# tests/tests.mk builds every message netd sends through both and
# compares the bytes (nlmsg-compare).
LIBMNL_VERSION = 1.0.5
LIBMNL_SITE = https://www.netfilter.org/projects/libmnl/files
LIBMNL_SOURCE = libmnl-$(LIBMNL_VERSION).tar.bz2
LIBMNL_TARBALL = $(DL_DIR)/$(LIBMNL_SOURCE)
LIBMNL_HASH = scripts/package/libmnl/libmnl.hash
LIBMNL_LIB = $(BUILD)/libmnl/lib/libmnl.a
LIBMNL_INC = $(BUILD)/libmnl/include
# y when the tarball is in dl/: netd/netd.mk then links this
LIBMNL_AVAILABLE := $(if $(wildcard $(LIBMNL_TARBALL)),y)

$(LIBMNL_LIB): $(LIBMNL_TARBALL) $(LIBMNL_HASH) \
		scripts/package/libmnl/libmnl.mk $(TOOLCHAIN)
	@scripts/fetch $(DL_DIR) $(LIBMNL_HASH) verify || { \
		echo "libmnl: remove $(LIBMNL_TARBALL) to build netd with" \
			"netd/mnl.c" >&2; exit 1; }
	$(call run-logged,libmnl,\
		rm -rf $(BUILD)/libmnl-src $(BUILD)/libmnl && mkdir -p $(BUILD)/libmnl-src && \
		tar -xjf $(LIBMNL_TARBALL) -C $(BUILD)/libmnl-src --strip-components=1 && \
		cd $(BUILD)/libmnl-src && \
		./configure --host=$(ARCH)-linux-musl --prefix=$(BUILD)/libmnl \
			--enable-static --disable-shared CC="$(TARGET_CC)" \
			CFLAGS="-Os -ffunction-sections -fdata-sections" && \
		$(MAKE) && $(MAKE) install)
