# netd: one static binary, the daemon and its client (netd status, ...).
#
# libmnl: the mirror serves no libmnl source (404), only its binary packages.
# When its release tarball is in dl/ (and its checksum is right), netd
# links that; otherwise netd/mnl.c, the subset of libmnl's API netd uses.
# tests/tests.mk checks that both build the same messages.
LIBMNL_VERSION = 1.0.5
LIBMNL_TARBALL = $(DL_DIR)/libmnl-$(LIBMNL_VERSION).tar.bz2
LIBMNL_SHA256 = 274b9b919ef3152bfb3da3a13c950dd60d6e2bcd54230ffeca298d03b40d0525
LIBMNL_LIB = $(BUILD)/libmnl/lib/libmnl.a

NETD_LIB_SRCS := $(addprefix lib/,clock.c ctlsock.c errmsg.c file.c log.c text.c)
NETD_SRCS := $(filter-out netd/mnl.c,$(wildcard netd/*.c))
NETD_BIN := $(BUILD)/keel/netd

ifneq ($(wildcard $(LIBMNL_TARBALL)),)
NETD_MNL := $(LIBMNL_LIB)
NETD_MNL_FLAGS := -I$(BUILD)/libmnl/include
NETD_MNL_LINK := $(LIBMNL_LIB)
else
NETD_MNL :=
NETD_MNL_FLAGS := -Inetd/include
NETD_MNL_LINK := netd/mnl.c
endif

$(LIBMNL_LIB): $(LIBMNL_TARBALL) netd/netd.mk $(TOOLCHAIN)
	@echo "$(LIBMNL_SHA256)  $(LIBMNL_TARBALL)" | sha256sum -c --quiet - || { \
		echo "libmnl: $(LIBMNL_TARBALL) does not match its sha256" \
			"$(LIBMNL_SHA256); remove it to build with netd/mnl.c" >&2; exit 1; }
	$(call run-logged,libmnl,\
		rm -rf $(BUILD)/libmnl-src $(BUILD)/libmnl && mkdir -p $(BUILD)/libmnl-src && \
		tar -xjf $(LIBMNL_TARBALL) -C $(BUILD)/libmnl-src --strip-components=1 && \
		cd $(BUILD)/libmnl-src && \
		./configure --host=$(ARCH)-linux-musl --prefix=$(BUILD)/libmnl \
			--enable-static --disable-shared CC="$(TARGET_CC)" \
			CFLAGS="-Os -ffunction-sections -fdata-sections" && \
		$(MAKE) && $(MAKE) install)

$(NETD_BIN): $(NETD_SRCS) $(NETD_LIB_SRCS) $(NETD_MNL) netd/mnl.c \
		$(wildcard netd/*.h netd/include/libmnl/*.h lib/*.h) \
		$(BUILD)/keel/config.h $(TOOLCHAIN)
	@echo "  netd: $(TARGET_CC) ($(if $(NETD_MNL),libmnl $(LIBMNL_VERSION),netd/mnl.c))"
	@$(TARGET_CC) $(KEEL_CFLAGS) -Inetd $(NETD_MNL_FLAGS) $(KEEL_LDFLAGS) \
		-o $@ $(NETD_SRCS) $(NETD_LIB_SRCS) $(NETD_MNL_LINK)

# The same sources on the build host, against the distribution's libmnl:
# the integration tests run it in network namespaces.
NETD_HOST_BIN := $(OUT)/host/netd

$(NETD_HOST_BIN): $(NETD_SRCS) $(NETD_LIB_SRCS) \
		$(wildcard netd/*.h lib/*.h) | host-deps
	@mkdir -p $(dir $@)
	@gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -Inetd -Ilib \
		-o $@ $(NETD_SRCS) $(NETD_LIB_SRCS) -lmnl
