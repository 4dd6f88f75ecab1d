# init: one static binary, stage 1 (/init in the initramfs) and stage 2
# (/sbin/init on the root).
INIT_SRCS := $(wildcard init/*.c) $(addprefix lib/,log.c crc32.c partition.c ctlsock.c text.c clock.c file.c errmsg.c)
INIT_BIN := $(BUILD)/keel/init
# Messages are cut to fixed buffers on purpose: PID 1 holds no heap.
KEEL_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Os \
	-Wno-format-truncation \
	-ffunction-sections -fdata-sections -Iinit -Ilib -I$(BUILD)/keel
KEEL_LDFLAGS := -static -Wl,--gc-sections -s

$(BUILD)/keel/config.h: $(CONFIG) scripts/mkconfigh
	@mkdir -p $(dir $@)
	@scripts/mkconfigh $(CONFIG) $@

$(INIT_BIN): $(INIT_SRCS) $(wildcard init/*.h lib/*.h) $(BUILD)/keel/config.h $(TOOLCHAIN)
	@echo "  init: $(TARGET_CC)"
	@$(TARGET_CC) $(KEEL_CFLAGS) $(KEEL_LDFLAGS) -o $@ $(INIT_SRCS)
