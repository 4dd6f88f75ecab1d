# libyaml: YAML for Kubernetes Pod manifests (imaged). The tarball has
# configure.ac but no configure script, so rather than pull autotools
# onto the build host its eight src/*.c are compiled directly, with the
# version defines CMakeLists.txt would write into config.h. They are
# compiled from inside the source tree so that assert()'s file names
# are src/x.c, not this build's path. The asserts stay, as in Debian's
# build. Only the parser and loader end up linked (-gc-sections), not
# the emitter and dumper. ar is the one bearssl uses: its generic ELF
# support indexes other architectures' objects too.
LIBYAML_VERSION = 0.2.5-1
LIBYAML_DSC = libyaml_$(LIBYAML_VERSION).dsc
LIBYAML_BUILD = $(BUILD)/libyaml
LIBYAML_LIB = $(LIBYAML_BUILD)/libyaml.a
LIBYAML_INC = $(BUILD)/libyaml-src/include

LIBYAML_UPSTREAM := $(firstword $(subst -, ,$(LIBYAML_VERSION)))
LIBYAML_V := $(subst ., ,$(LIBYAML_UPSTREAM))
LIBYAML_SRCS := api dumper emitter loader parser reader scanner writer
LIBYAML_CFLAGS := -Os -ffunction-sections -fdata-sections \
	-DYAML_VERSION_MAJOR=$(word 1,$(LIBYAML_V)) \
	-DYAML_VERSION_MINOR=$(word 2,$(LIBYAML_V)) \
	-DYAML_VERSION_PATCH=$(word 3,$(LIBYAML_V)) \
	-DYAML_VERSION_STRING='"$(LIBYAML_UPSTREAM)"' \
	-Iinclude

$(eval $(call apt-source-package,libyaml,libyaml=$(LIBYAML_VERSION),$(LIBYAML_DSC)))

$(LIBYAML_LIB): $(BUILD)/libyaml-src/.stamp_extracted $(TOOLCHAIN)
	$(call run-logged,libyaml,rm -rf $(LIBYAML_BUILD) && \
		mkdir -p $(LIBYAML_BUILD) && cd $(BUILD)/libyaml-src && \
		for f in $(LIBYAML_SRCS); do \
			$(TARGET_CC) $(LIBYAML_CFLAGS) -c -o $(LIBYAML_BUILD)/$$f.o \
				src/$$f.c || exit 1; \
		done && \
		ar rcs $@ $(addprefix $(LIBYAML_BUILD)/,$(addsuffix .o,$(LIBYAML_SRCS))))
	@touch $@
