# imaged: one static binary, the daemon and its imagectl client (a link).
# Layer unpacking (tar, gzip, zstd) is compiled in, but until the pull
# path calls it --gc-sections drops it, zlib and zstd with it.
IMAGED_SRCS := $(wildcard imaged/*.c) \
	$(addprefix lib/,clock.c crc32.c ctlsock.c file.c partition.c text.c)
IMAGED_BIN := $(BUILD)/keel/imaged
IMAGED_LIBS := $(CJSON_OBJ) $(BEARSSL_LIB) $(ZSTD_LIB) $(ZLIB_LIB)
IMAGED_INCS := $(BEARSSL_INC) $(CJSON_INC) $(ZLIB_INC) $(ZSTD_INC)

$(IMAGED_BIN): $(IMAGED_SRCS) $(wildcard imaged/*.h lib/*.h) \
		$(BUILD)/keel/config.h $(IMAGED_LIBS) $(TOOLCHAIN)
	@echo "  imaged: $(TARGET_CC)"
	@$(TARGET_CC) $(KEEL_CFLAGS) -Iimaged $(addprefix -I,$(IMAGED_INCS)) \
		$(KEEL_LDFLAGS) -o $@ $(IMAGED_SRCS) $(IMAGED_LIBS)
