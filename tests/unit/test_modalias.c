// SPDX-License-Identifier: MIT
/*
 * Drivers by modalias: which modules.alias lines match a device, the load
 * order from modules.dep, and a uevent's MODALIAS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "modalias.h"

/* A board's alias file, cut down: lines as depmod writes them. */
static const char aliases[] =
	"# Aliases extracted from modules themselves.\n"
	"alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e\n"
	"alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000\n"
	"alias pci:v*d*sv*sd*bc01sc06i01* ahci\n"
	"alias pci:v00008086d00002922sv*sd*bc*sc*i* ahci\n"
	"alias scsi:t-0x00* sd_mod\n"
	"alias scsi:t-0x0[04E]* sd_mod\n"
	"alias usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* usb_storage\n"
	"alias usb:v*p*d*dc*dsc*dp*ic08isc06ip62in* uas\n"
	"alias platform:iTCO_wdt iTCO_wdt\n"
	"alias fs-ext4 ext4\n"
	"alias\tpci:v00001AF4d00001000sv*sd*bc*sc*i*\tvirtio_net\r\n"
	"not an alias line\n"
	"alias lonely\n"
	"alias\n";

struct found {
	char names[8][MODULE_NAME_MAX];
	int n;
	int stop_after; /* 0: never */
};

static int collect(const char *module, void *ctx)
{
	struct found *f = ctx;

	assert_in_range(f->n, 0, 7);
	strcpy(f->names[f->n++], module);
	return f->stop_after && f->n == f->stop_after ? 99 : 0;
}

static int match(const char *modalias, struct found *f)
{
	memset(f, 0, sizeof(*f));
	return modalias_match(aliases, modalias, collect, f);
}

static void test_pci_ids(void **state)
{
	struct found f;

	(void)state;
	/* QEMU's e1000e */
	assert_int_equal(
		match("pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00",
		      &f),
		1);
	assert_string_equal(f.names[0], "e1000e");
	/* the AHCI controller matches two lines: by class and by id */
	assert_int_equal(
		match("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01",
		      &f),
		2);
	assert_string_equal(f.names[0], "ahci");
	assert_string_equal(f.names[1], "ahci");
	/* a device nobody listed */
	assert_int_equal(
		match("pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00",
		      &f),
		0);
	/* tabs and a CRLF line end */
	assert_int_equal(
		match("pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
		      &f),
		1);
	assert_string_equal(f.names[0], "virtio_net");
}

static void test_other_buses(void **state)
{
	struct found f;

	(void)state;
	assert_int_equal(match("scsi:t-0x00", &f), 2);
	assert_string_equal(f.names[0], "sd_mod");
	assert_int_equal(match("scsi:t-0x05", &f), 0); /* a CD-ROM */
	assert_int_equal(match("scsi:t-0x0E", &f), 1);
	assert_int_equal(
		match("usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", &f),
		1);
	assert_string_equal(f.names[0], "usb_storage");
	assert_int_equal(
		match("usb:v174Cp55AAd0100dc00dsc00dp00ic08isc06ip62in00", &f),
		1);
	assert_string_equal(f.names[0], "uas");
	/* an exact alias, no wildcard */
	assert_int_equal(match("platform:iTCO_wdt", &f), 1);
	assert_int_equal(match("platform:iTCO_wdtx", &f), 0);
	assert_int_equal(match("platform:iTCO", &f), 0);
}

static void test_stop(void **state)
{
	struct found f = { .stop_after = 1 };

	(void)state;
	assert_int_equal(
		modalias_match(
			aliases,
			"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01",
			collect, &f),
		99);
	assert_int_equal(f.n, 1);
}

static void test_empty_and_odd_text(void **state)
{
	struct found f = { 0 };
	char longpat[400];

	(void)state;
	assert_int_equal(modalias_match("", "scsi:t-0x00", collect, &f), 0);
	assert_int_equal(modalias_match("alias scsi:t-0x00*", "scsi:t-0x00",
					collect, &f),
			 0);
	/* no newline at the end */
	assert_int_equal(modalias_match("alias scsi:t-0x00* sd_mod",
					"scsi:t-0x00", collect, &f),
			 1);
	/* a pattern too long for the matcher is skipped, not cut */
	memset(longpat, 0, sizeof(longpat));
	strcpy(longpat, "alias scsi:");
	memset(longpat + 11, '*', 300);
	strcat(longpat, " toolong\n");
	f.n = 0;
	assert_int_equal(modalias_match(longpat, "scsi:t-0x00", collect, &f),
			 0);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(modalias_valid("pci:v00008086d000010D3sv*"));
	assert_true(modalias_valid("acpi:PNP0A08:PNP0A03:"));
	assert_false(modalias_valid(""));
	assert_false(modalias_valid("nocolon"));
	assert_false(modalias_valid(":nobus"));
	assert_false(modalias_valid("pci:has space"));
	assert_false(modalias_valid("pci:tab\there"));
	assert_false(modalias_valid("pci:\x7f"));
}

static void test_module_name_of(void **state)
{
	char name[MODULE_NAME_MAX], tiny[4];

	(void)state;
	assert_int_equal(module_name_of("kernel/drivers/usb/storage/"
					"usb-storage.ko",
					name, sizeof(name)),
			 0);
	assert_string_equal(name, "usb_storage");
	assert_int_equal(module_name_of("iTCO_wdt.ko", name, sizeof(name)), 0);
	assert_string_equal(name, "iTCO_wdt");
	assert_int_equal(module_name_of("softdog", name, sizeof(name)), 0);
	assert_string_equal(name, "softdog");
	assert_int_equal(module_name_of("dir/.ko", name, sizeof(name)),
			 -EINVAL);
	assert_int_equal(module_name_of("abcd.ko", tiny, sizeof(tiny)),
			 -EINVAL);
}

/* modules.dep as resolve-modules --probe writes it */
static const char deps[] =
	"kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko "
	"kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko\n"
	"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:\n"
	"kernel/drivers/usb/storage/usb-storage.ko: "
	"kernel/drivers/usb/core/usbcore.ko\n"
	"broken line without colon\n";

struct steps {
	char paths[8][MODULE_PATH_MAX];
	int n;
	const char *fail;
};

static int step(const char *path, void *ctx)
{
	struct steps *s = ctx;

	assert_in_range(s->n, 0, 7);
	strcpy(s->paths[s->n++], path);
	return s->fail && !strcmp(path, s->fail) ? -ENOEXEC : 0;
}

static void test_load_order(void **state)
{
	struct steps s = { .n = 0 };

	(void)state;
	assert_int_equal(moddep_load_order(deps, "ahci", step, &s), 0);
	assert_int_equal(s.n, 4);
	/* the deepest dependency, listed last, first */
	assert_string_equal(s.paths[0], "kernel/drivers/scsi/scsi_mod.ko");
	assert_string_equal(s.paths[1], "kernel/drivers/ata/libata.ko");
	assert_string_equal(s.paths[2], "kernel/drivers/ata/libahci.ko");
	assert_string_equal(s.paths[3], "kernel/drivers/ata/ahci.ko");

	memset(&s, 0, sizeof(s));
	assert_int_equal(moddep_load_order(deps, "e1000e", step, &s), 0);
	assert_int_equal(s.n, 1);

	/* - and _ are the same in module names */
	memset(&s, 0, sizeof(s));
	assert_int_equal(moddep_load_order(deps, "usb_storage", step, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.paths[1],
			    "kernel/drivers/usb/storage/usb-storage.ko");

	memset(&s, 0, sizeof(s));
	assert_int_equal(moddep_load_order(deps, "igb", step, &s), -ENOENT);
	assert_int_equal(moddep_load_order(deps, "ahc", step, &s), -ENOENT);
	assert_int_equal(s.n, 0);
}

static void test_load_order_stops(void **state)
{
	struct steps s = { .fail = "kernel/drivers/ata/libata.ko" };

	(void)state;
	assert_int_equal(moddep_load_order(deps, "ahci", step, &s), -ENOEXEC);
	assert_int_equal(s.n, 2); /* ahci itself was not tried */
}

static void test_uevent(void **state)
{
	static const char add[] =
		"add@/devices/pci0000:00/0000:00:02.0\0ACTION=add\0"
		"DEVPATH=/devices/pci0000:00/0000:00:02.0\0SUBSYSTEM=pci\0"
		"MODALIAS=pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00"
		"\0SEQNUM=1234";
	static const char rm[] = "remove@/devices/x\0ACTION=remove\0"
				 "MODALIAS=pci:v0000\0SEQNUM=1";
	static const char none[] = "add@/devices/x\0ACTION=add\0SEQNUM=1";
	static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
	static const char cut[] = "add@/x\0ACTION=add\0MODALIAS=pci:v0000";
	const char *m;

	(void)state;
	m = uevent_modalias(add, sizeof(add) - 1);
	assert_non_null(m);
	assert_string_equal(
		m, "pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00");
	assert_null(uevent_modalias(rm, sizeof(rm)));
	assert_null(uevent_modalias(none, sizeof(none)));
	assert_null(uevent_modalias(udev, sizeof(udev) - 1));
	/* a MODALIAS field without its NUL is no field */
	assert_null(uevent_modalias(cut, sizeof(cut) - 1));
	assert_non_null(uevent_modalias(cut, sizeof(cut)));
	assert_null(uevent_modalias("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_ids),
		cmocka_unit_test(test_other_buses),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_empty_and_odd_text),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_module_name_of),
		cmocka_unit_test(test_load_order),
		cmocka_unit_test(test_load_order_stops),
		cmocka_unit_test(test_uevent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
