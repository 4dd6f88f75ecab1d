# make check: C unit tests (plain and under ASan+UBSan), build tests, and
# system tests that boot the image in QEMU.
PYTEST := /usr/bin/python3 -m pytest
UNIT_SRCS := init/cmdline.c init/partition.c init/service.c init/data.c \
	init/modules.c lib/log.c
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_OUT := $(OUT)/tests
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Iinit -Ilib
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

$(UNIT_OUT)/%: tests/unit/%.c $(UNIT_SRCS) $(wildcard init/*.h lib/*.h) | host-deps
	@mkdir -p $(UNIT_OUT)
	@gcc $(UNIT_CFLAGS) -o $@ $< $(UNIT_SRCS) -lcmocka

$(UNIT_OUT)/%-san: tests/unit/%.c $(UNIT_SRCS) $(wildcard init/*.h lib/*.h) | host-deps
	@mkdir -p $(UNIT_OUT)
	@gcc $(UNIT_CFLAGS) $(SAN_FLAGS) -o $@ $< $(UNIT_SRCS) -lcmocka

unit: $(addprefix $(UNIT_OUT)/,$(UNIT_TESTS) $(addsuffix -san,$(UNIT_TESTS)))
	@set -e; for t in $^; do echo "== $${t##*/}"; $$t; done

build-test: host-deps
	@$(PYTEST) -q tests/build

system-test: images
	@KEEL_IMAGES=$(IMAGES) KEEL_BOARD_DIR=$(BOARD_DIR) KEEL_ARCH=$(ARCH) \
		$(PYTEST) -v tests/system

check: unit build-test system-test
