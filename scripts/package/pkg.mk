# Package infrastructure, Buildroot style: each scripts/package/<name>/
# holds <name>.mk (version, where it comes from, how it builds) and
# <name>.hash (sha256 of every input). Adding a package is adding a folder.

# A package's own make on every core when keel's make was not given -j
# (with -j, make's jobserver shares the cores out): busybox and e2fsprogs
# are most of an image's build, and make check builds four images.
PKG_JOBS = $$(case " $$MAKEFLAGS " in *" -j"*) ;; *) echo -j$$(nproc) ;; esac)

# $(call run-logged,name,commands): run quietly into $(BUILD)/name.log,
# show the log's tail if it fails.
define run-logged
	@echo "  $(1): building (log: $(BUILD)/$(1).log)"
	@mkdir -p $(BUILD)
	@( $(2) ) >$(BUILD)/$(1).log 2>&1 || { tail -n 30 $(BUILD)/$(1).log; \
		echo "$(1): build failed; full log in $(BUILD)/$(1).log" >&2; exit 1; }
endef

# $(eval $(call apt-source-package,name,apt spec,dsc file)): a Debian
# source package, fetched with apt-get source and unpacked with its
# patches into $(BUILD)/name-src.
define apt-source-package
$(1)-source:
	@scripts/fetch $$(DL_DIR) scripts/package/$(1)/$(1).hash apt-source '$(2)'
SOURCE_TARGETS += $(1)-source

$$(BUILD)/$(1)-src/.stamp_extracted: scripts/package/$(1)/$(1).hash | host-deps
	@scripts/fetch $$(DL_DIR) scripts/package/$(1)/$(1).hash apt-source '$(2)'
	@echo "  $(1): extracting $(3)"
	@rm -rf $$(BUILD)/$(1)-src && mkdir -p $$(BUILD)
	@dpkg-source --no-check -x $$(DL_DIR)/$(3) $$(BUILD)/$(1)-src >/dev/null
	@touch $$@
endef

# $(eval $(call apt-deb-package,name,apt spec,deb file[,hash file])): a
# binary .deb, fetched with apt-get download and extracted (not installed)
# into $(BUILD)/name. The hash file defaults to name.hash (a per-arch
# package names its own).
define apt-deb-package
$(1)-source:
	@scripts/fetch $$(DL_DIR) $(or $(4),scripts/package/$(1)/$(1).hash) apt-deb '$(2)'
SOURCE_TARGETS += $(1)-source

$$(BUILD)/$(1)/.stamp_extracted: $(or $(4),scripts/package/$(1)/$(1).hash) | host-deps
	@scripts/fetch $$(DL_DIR) $(or $(4),scripts/package/$(1)/$(1).hash) apt-deb '$(2)'
	@echo "  $(1): extracting $(3)"
	@rm -rf $$(BUILD)/$(1) && mkdir -p $$(BUILD)/$(1)
	@dpkg-deb -x $$(DL_DIR)/$(3) $$(BUILD)/$(1)
	@touch $$@
endef
