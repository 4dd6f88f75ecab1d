# imaged: one static binary, the daemon, its imagectl client (a link) and
# keel-shim (a hard link: each container's watcher, named its own).
IMAGED_SRCS := $(wildcard imaged/*.c imaged/*/*.c) \
	$(addprefix lib/,clock.c crc32.c ctlsock.c errmsg.c file.c log.c partition.c text.c)
IMAGED_BIN := $(BUILD)/keel/imaged
IMAGED_LIBS := $(CJSON_OBJ) $(LIBYAML_LIB) $(NETTLE_LIB) $(BEARSSL_LIB) \
	$(ZSTD_LIB) $(ZLIB_LIB)
IMAGED_INCS := $(BEARSSL_INC) $(CJSON_INC) $(LIBYAML_INC) $(NETTLE_INC) \
	$(ZLIB_INC) $(ZSTD_INC)

$(IMAGED_BIN): $(IMAGED_SRCS) $(wildcard imaged/*.h imaged/*/*.h lib/*.h) \
		$(BUILD)/keel/config.h $(IMAGED_LIBS) $(TOOLCHAIN)
	@echo "  imaged: $(TARGET_CC)"
	@$(TARGET_CC) $(KEEL_CFLAGS) -Iimaged $(addprefix -I,$(IMAGED_INCS)) \
		$(KEEL_LDFLAGS) -o $@ $(IMAGED_SRCS) $(IMAGED_LIBS)

# The same sources on the build host (glibc, the distribution's
# libraries): the integration tests pull from a real registry with it.
IMAGED_HOST_BIN := $(OUT)/host/imaged

$(IMAGED_HOST_BIN): $(IMAGED_SRCS) $(wildcard imaged/*.h imaged/*/*.h lib/*.h) | host-deps
	@mkdir -p $(dir $@)include
	@echo '#define CONFIG_KEEL_IMAGED_FAULTS 0' >$(dir $@)include/config.h
	@gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -pthread \
		-Iimaged -Ilib -I$(dir $@)include -I/usr/include/bearssl \
		-I/usr/include/cjson \
		-o $@ $(IMAGED_SRCS) -lyaml -lnettle -lbearssl -lcjson -lz -lzstd
	@ln -sfn imaged $(dir $@)imagectl
	@ln -f $@ $(dir $@)keel-shim

imaged-host: $(IMAGED_HOST_BIN)
.PHONY: imaged-host
