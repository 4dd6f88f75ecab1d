# netd: one static binary, the daemon and its client (netd status, ...).
#
# It links libmnl (scripts/package/libmnl/libmnl.mk says why that may
# be missing) when that package's tarball is in dl/, and otherwise
# netd/mnl.c, the subset of libmnl's API netd uses. tests/tests.mk
# checks that both build the same messages.
NETD_LIB_SRCS := $(addprefix lib/,clock.c ctlsock.c errmsg.c file.c log.c text.c)
NETD_SRCS := $(filter-out netd/mnl.c,$(wildcard netd/*.c))
NETD_BIN := $(BUILD)/keel/netd

ifeq ($(LIBMNL_AVAILABLE),y)
NETD_MNL := $(LIBMNL_LIB)
NETD_MNL_FLAGS := -I$(LIBMNL_INC)
NETD_MNL_LINK := $(LIBMNL_LIB)
else
NETD_MNL :=
NETD_MNL_FLAGS := -Inetd/include
NETD_MNL_LINK := netd/mnl.c
endif

$(NETD_BIN): $(NETD_SRCS) $(NETD_LIB_SRCS) $(NETD_MNL) netd/mnl.c \
		$(wildcard netd/*.h netd/include/libmnl/*.h lib/*.h) \
		$(BUILD)/keel/config.h $(TOOLCHAIN)
	@echo "  netd: $(TARGET_CC) ($(if $(NETD_MNL),libmnl $(LIBMNL_VERSION),netd/mnl.c))"
	@$(TARGET_CC) $(KEEL_CFLAGS) -Inetd $(NETD_MNL_FLAGS) $(KEEL_LDFLAGS) \
		-o $@ $(NETD_SRCS) $(NETD_LIB_SRCS) $(NETD_MNL_LINK)

# (several words: qstrip, for one, would keep the quotes)
NETD_NTP_SERVERS := $(strip $(subst ",,$(CONFIG_KEEL_NTP_SERVERS)))

# Into the root filesystem: the binary, its service, and its build
# options (netd/Kconfig) as keys of the image's network.conf, the least
# important of its files, so that the ESP's or /var's still win.
define netd-install
	@install -m 0755 $(NETD_BIN) $(TARGET)/sbin/netd
	@install -m 0644 rootfs/services/netd.conf $(TARGET)/etc/init/
	@printf '\n# CONFIG_KEEL_NETD_POD_CIDR (netd/Kconfig)\npod_cidr = %s\n' \
		'$(call qstrip,$(CONFIG_KEEL_NETD_POD_CIDR))' \
		>>$(TARGET)/etc/keel/network.conf
	$(if $(NETD_NTP_SERVERS),@printf \
		'\n# CONFIG_KEEL_NTP_SERVERS (netd/Kconfig)\nntp = %s\n' \
		'$(NETD_NTP_SERVERS)' >>$(TARGET)/etc/keel/network.conf)
endef

# The same sources on the build host, against the distribution's libmnl:
# the integration tests run it in network namespaces.
NETD_HOST_BIN := $(OUT)/host/netd

$(NETD_HOST_BIN): $(NETD_SRCS) $(NETD_LIB_SRCS) \
		$(wildcard netd/*.h lib/*.h) | host-deps
	@mkdir -p $(dir $@)
	@gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -Inetd -Ilib \
		-o $@ $(NETD_SRCS) $(NETD_LIB_SRCS) -lmnl
