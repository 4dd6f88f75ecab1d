# cJSON: JSON for the update channel manifest (and, later, OCI manifests).
# One C file, compiled into imaged.
CJSON_VERSION = 1.7.15-1+deb12u4
CJSON_DSC = cjson_$(CJSON_VERSION).dsc
CJSON_OBJ = $(BUILD)/cjson/cJSON.o
CJSON_INC = $(BUILD)/cjson-src

$(eval $(call apt-source-package,cjson,cjson=$(CJSON_VERSION),$(CJSON_DSC)))

$(CJSON_OBJ): $(BUILD)/cjson-src/.stamp_extracted $(TOOLCHAIN)
	@mkdir -p $(dir $@)
	@echo "  cjson: $(TARGET_CC)"
	@$(TARGET_CC) -std=c89 -Os -ffunction-sections -fdata-sections \
		-c -o $@ $(BUILD)/cjson-src/cJSON.c
