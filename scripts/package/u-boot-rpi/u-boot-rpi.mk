# u-boot-rpi: the distribution's U-Boot for the Raspberry Pi (arm64
# only, a foreign-architecture package), for the rpi4 board: the Pi's
# firmware starts rpi_4/u-boot.bin as its "kernel" (config.txt), and
# U-Boot's distro boot runs keel's boot.scr. Only fetched for a board
# that uses it, so an x86_64 host needs no arm64 packages. (The hash
# file is named for the arch, as linux's arm64 ones are.)
ifeq ($(CONFIG_BOARD_RPI4),y)
U_BOOT_RPI_VERSION = 2023.01+dfsg-2+deb12u3
U_BOOT_RPI_DEB = u-boot-rpi_$(U_BOOT_RPI_VERSION)_arm64.deb
U_BOOT_RPI_BIN = $(BUILD)/u-boot-rpi/usr/lib/u-boot/rpi_4/u-boot.bin

$(eval $(call apt-deb-package,u-boot-rpi,u-boot-rpi:arm64=$(U_BOOT_RPI_VERSION),$(U_BOOT_RPI_DEB),scripts/package/u-boot-rpi/u-boot-rpi-arm64.hash))

# onto the FAT partition's root (the Makefile's esp-board-files)
BOARD_ESP_FILES += $(U_BOOT_RPI_BIN)
BOARD_ESP_DEPS += $(BUILD)/u-boot-rpi/.stamp_extracted
endif
