# keel A/B boot for @BOARD@: U-Boot's script, the same rules as GRUB's
# board/qemu-x86_64/grub.cfg (imaged/README.md, "Boot state"). Shared by
# the U-Boot boards (board/rpi4/boot.cmd links here); the device is the
# one U-Boot's distro boot found this script on.
#
# Boot state: /EFI/keel/uboot.env and uboot.env.bak, the two copies of a
# redundant U-Boot environment (each: CRC-32, flags byte, name=value
# data), the copy with the newer flags byte current, as U-Boot decides
# for its own (0 is newer than 255, else the higher; a tie: the first).
# imaged writes the same files. env import -c wants CRC then data, so each
# copy is laid out that way in a buffer first (the flags byte left out).
# A slot on trial spends one try each boot: the state is written into
# the other copy with flags + 1, so a power cut while writing leaves the
# current copy as it was.

setenv keel_part ${devtype} ${devnum}:${distro_bootpart}
# the board's addresses (Kconfig, KEEL_UBOOT_*_ADDR): where the kernel
# and initramfs go, and 256 KiB of scratch for the boot state
setenv keel_kernel @KERNEL_ADDR@
setenv keel_ramdisk @RAMDISK_ADDR@
setenv keel_c0 @SCRATCH_ADDR@
setexpr keel_c1 ${keel_c0} + 0x10000
setexpr keel_y ${keel_c0} + 0x20000
setexpr keel_z ${keel_c0} + 0x30000
# one copy is 4096 bytes: 4 of CRC, 1 of flags, 4091 of data
setenv keel_size 0x1000
setenv keel_data 0xffb
setenv keel_plain 0xfff

# keel_check ADDR: is the copy at ADDR good? Leaves it as CRC+data at keel_y
setenv keel_check 'cp.b ${keel_a} ${keel_y} 4; setexpr keel_t ${keel_a} + 5; setexpr keel_u ${keel_y} + 4; cp.b ${keel_t} ${keel_u} ${keel_data}; env import -c ${keel_y} ${keel_plain} KEEL_ORDER KEEL_A_TRIES KEEL_B_TRIES KEEL_A_OK KEEL_B_OK'

setenv keel_have0 0
setenv keel_have1 0
# each copy's flags byte (setexpr gives hex; itest compares it as such)
setexpr keel_p0 ${keel_c0} + 4
setexpr keel_p1 ${keel_c1} + 4
mw.b ${keel_p0} 0
mw.b ${keel_p1} 0
if load ${keel_part} ${keel_c0} /EFI/keel/uboot.env; then
	setenv keel_have0 1
fi
if load ${keel_part} ${keel_c1} /EFI/keel/uboot.env.bak; then
	setenv keel_have1 1
fi
setexpr.b keel_f0 *${keel_p0}
setexpr.b keel_f1 *${keel_p1}

# which copy is newer
setenv keel_new 0
if itest.b *${keel_p1} -gt *${keel_p0}; then setenv keel_new 1; fi
if itest.b *${keel_p0} == 0 && itest.b *${keel_p1} == 0xff; then setenv keel_new 0; fi
if itest.b *${keel_p1} == 0 && itest.b *${keel_p0} == 0xff; then setenv keel_new 1; fi
if test ${keel_have1} = 0; then setenv keel_new 0; fi
if test ${keel_have0} = 0; then setenv keel_new 1; fi
if test ${keel_new} = 0; then setenv keel_old 1; else setenv keel_old 0; fi

# the older copy first, then the newer over it: a bad newer copy leaves
# the older one's values, as U-Boot falls back for its own
setenv keel_cur none
for i in ${keel_old} ${keel_new}; do
	setenv keel_a ${keel_c0}
	if test ${i} = 1; then setenv keel_a ${keel_c1}; fi
	if test ${i} = 0 && test ${keel_have0} = 1; then
		if run keel_check; then setenv keel_cur 0; setenv keel_curf ${keel_f0}
		else echo "keel: boot state copy 0 unreadable"; fi
	fi
	if test ${i} = 1 && test ${keel_have1} = 1; then
		if run keel_check; then setenv keel_cur 1; setenv keel_curf ${keel_f1}
		else echo "keel: boot state copy 1 unreadable"; fi
	fi
done
if test "${keel_cur}" = none; then
	echo "keel: no good boot state in /EFI/keel; booting slot a"
	setenv KEEL_ORDER "a b"
	setenv KEEL_A_OK 1
fi
if test -z "${KEEL_ORDER}"; then setenv KEEL_ORDER "a b"; fi

# keel_save: the state into the copy that is not current, flags + 1
setenv keel_save 'env export -c -s ${keel_plain} ${keel_y} KEEL_ORDER KEEL_A_TRIES KEEL_B_TRIES KEEL_A_OK KEEL_B_OK; cp.b ${keel_y} ${keel_z} 4; setexpr keel_nf ${keel_curf} + 1; setexpr keel_t ${keel_z} + 4; mw.b ${keel_t} ${keel_nf}; setexpr keel_t ${keel_z} + 5; setexpr keel_u ${keel_y} + 4; cp.b ${keel_u} ${keel_t} ${keel_data}; if test ${keel_cur} = 0; then fatwrite ${keel_part} ${keel_z} /EFI/keel/uboot.env.bak ${keel_size}; else fatwrite ${keel_part} ${keel_z} /EFI/keel/uboot.env ${keel_size}; fi'

# A slot on trial gets keel.emergency=0: if it cannot boot, init reboots
# (spending another try) instead of waiting in an emergency shell.
setenv keel_slot
setenv keel_trial
for s in ${KEEL_ORDER}; do
	if test -z "${keel_slot}"; then
		if test ${s} = a; then
			if test "${KEEL_A_OK}" = 1; then
				setenv keel_slot a
			elif test -n "${KEEL_A_TRIES}" && test "${KEEL_A_TRIES}" != 0; then
				setexpr KEEL_A_TRIES ${KEEL_A_TRIES} - 1
				run keel_save
				setenv keel_slot a
				setenv keel_trial keel.emergency=0
			fi
		elif test ${s} = b; then
			if test "${KEEL_B_OK}" = 1; then
				setenv keel_slot b
			elif test -n "${KEEL_B_TRIES}" && test "${KEEL_B_TRIES}" != 0; then
				setexpr KEEL_B_TRIES ${KEEL_B_TRIES} - 1
				run keel_save
				setenv keel_slot b
				setenv keel_trial keel.emergency=0
			fi
		fi
	fi
done
if test -z "${keel_slot}"; then
	setenv keel_slot a
	if test "${KEEL_B_OK}" = 1 && test "${KEEL_A_OK}" != 1; then
		setenv keel_slot b
	fi
	echo "keel: no slot left to try; booting good slot ${keel_slot}"
fi

# The slot's own settings, written with it: its dm-verity root hash and
# the extra kernel arguments of its version.
setenv keel_verity
setenv keel_cmdline
if load ${keel_part} ${keel_y} /${keel_slot}/slot.env; then
	env import -t ${keel_y} ${filesize} keel_verity keel_cmdline
fi

echo "keel @VERSION@ (slot ${keel_slot})"
load ${keel_part} ${keel_kernel} /${keel_slot}/vmlinuz
load ${keel_part} ${keel_ramdisk} /${keel_slot}/initramfs.img
setenv keel_rd ${filesize}
# panic=5: a kernel that panics (a bad version, init exiting) reboots,
# and boot counting moves on instead of the box hanging.
setenv bootargs root=PARTLABEL=root-${keel_slot} rootfstype=@ROOTFS@ keel.slot=${keel_slot} ${keel_verity} panic=5 ${keel_trial} @CONSOLE@ @CMDLINE@ ${keel_cmdline}
# ${fdt_addr}: the device tree the firmware gave U-Boot (QEMU's own;
# on the Pi, the one start4.elf loaded from the FAT partition)
booti ${keel_kernel} ${keel_ramdisk}:${keel_rd} ${fdt_addr}
