# imaged: one static binary, the daemon and its imagectl client (a link).
# Layer unpacking (tar, gzip, zstd) joins the binary with the pull path;
# until then it is built and tested on the host only.
IMAGED_HOST_ONLY := imaged/tar.c imaged/decompress.c imaged/unpack.c
IMAGED_SRCS := $(filter-out $(IMAGED_HOST_ONLY),$(wildcard imaged/*.c)) \
	$(addprefix lib/,clock.c crc32.c ctlsock.c file.c partition.c text.c)
IMAGED_BIN := $(BUILD)/keel/imaged

$(IMAGED_BIN): $(IMAGED_SRCS) $(wildcard imaged/*.h lib/*.h) \
		$(BUILD)/keel/config.h $(BEARSSL_LIB) $(CJSON_OBJ) $(TOOLCHAIN)
	@echo "  imaged: $(TARGET_CC)"
	@$(TARGET_CC) $(KEEL_CFLAGS) -Iimaged -I$(BEARSSL_INC) -I$(CJSON_INC) \
		$(KEEL_LDFLAGS) -o $@ $(IMAGED_SRCS) $(CJSON_OBJ) $(BEARSSL_LIB)
