# make run's disk: a working copy of disk.img grown sparse to
# RUN_DISK_SIZE (make run RUN_DISK_SIZE=16G), so that /var has room for
# workload images. On its first boot init grows the data partition and
# its file system to the disk's end, moving the backup GPT there too
# (init/grow.c: no sgdisk -e needed). disk.img stays the artefact to
# flash, untouched. The copy is kept between runs, so /var persists, and
# made afresh, with a new UEFI variable store, when disk.img changes. A
# bigger RUN_DISK_SIZE later grows the kept copy (init grows /var again
# at the next boot); a smaller one leaves it as it is.
#
# Included by the Makefile (OUT, IMAGES); tests/build/test_run_disk.py
# runs it alone against a stand-in disk.img.
RUN_DISK_SIZE ?= 8G
RUN_DISK := $(OUT)/run-disk.img

$(RUN_DISK): $(IMAGES)/disk.img
	@echo "  run-disk.img: a copy of disk.img grown sparse to $(RUN_DISK_SIZE)"
	@cp --sparse=always $< $@.tmp
	@truncate -s '$(RUN_DISK_SIZE)' $@.tmp 2>/dev/null || { rm -f $@.tmp; \
		echo "run: RUN_DISK_SIZE='$(RUN_DISK_SIZE)' is not a size (8G, 16G, 20000M)" >&2; exit 1; }
	@if [ $$(stat -c %s $@.tmp) -lt $$(stat -c %s $<) ]; then rm -f $@.tmp; \
		echo "run: RUN_DISK_SIZE=$(RUN_DISK_SIZE) is smaller than disk.img ($$(($$(stat -c %s $<) >> 20)) MiB)" >&2; \
		exit 1; fi
	@rm -f $@.vars && mv $@.tmp $@

run-disk: $(RUN_DISK)
	@old=$$(stat -c %s $<); \
	truncate -s '>$(RUN_DISK_SIZE)' $< 2>/dev/null || { \
		echo "run: RUN_DISK_SIZE='$(RUN_DISK_SIZE)' is not a size (8G, 16G, 20000M)" >&2; exit 1; }; \
	new=$$(stat -c %s $<); \
	if [ $$new != $$old ]; then \
		echo "  run-disk.img: grown from $$((old >> 20)) to $$((new >> 20)) MiB"; fi
.PHONY: run-disk
