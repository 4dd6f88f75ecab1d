# cmocka: the unit tests' framework, for `make unit-aarch64` only (the
# native `make unit` links the build host's libcmocka; nothing in the
# image uses it). Its one source file is compiled directly, with the
# defines CMake's ConfigureChecks would find for a Linux libc, rather
# than pull CMake onto the build host. cmocka.h takes a libc without
# __WORDSIZE (musl, outside <sys/reg.h>) for a 32-bit one and typedefs
# uintptr_t itself, as unsigned int; _UINTPTR_T says the libc's
# <stdint.h> has it, and -include makes sure it is there. Tests that
# include cmocka.h need the same flags.
CMOCKA_VERSION = 1.1.5-2.1
CMOCKA_DSC = cmocka_$(CMOCKA_VERSION).dsc
CMOCKA_OBJ = $(BUILD)/cmocka/cmocka.o
CMOCKA_INC = $(BUILD)/cmocka-src/include
CMOCKA_CFLAGS = -D_UINTPTR_T -include stdint.h -I$(CMOCKA_INC)

$(eval $(call apt-source-package,cmocka,cmocka=$(CMOCKA_VERSION),$(CMOCKA_DSC)))

$(CMOCKA_OBJ): $(BUILD)/cmocka-src/.stamp_extracted $(TOOLCHAIN)
	@mkdir -p $(dir $@)
	@echo "  cmocka: $(TARGET_CC)"
	@$(TARGET_CC) -std=gnu99 -O2 -g $(CMOCKA_CFLAGS) \
		-DHAVE_MALLOC_H -DHAVE_INTTYPES_H -DHAVE_SIGNAL_H \
		-DHAVE_STRINGS_H -DHAVE_SIGLONGJMP -DHAVE_STRUCT_TIMESPEC \
		-DHAVE_CLOCK_GETTIME -DHAVE_CLOCK_REALTIME -DHAVE_STRSIGNAL \
		-DHAVE_GCC_THREAD_LOCAL_STORAGE \
		-c -o $@ $(BUILD)/cmocka-src/src/cmocka.c
