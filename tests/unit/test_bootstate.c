// SPDX-License-Identifier: MIT
/*
 * Boot state in both bootloader formats, checked against the bootloaders'
 * own tools: grub-editenv (grub-common) reads what we write and writes
 * what we read; likewise fw_printenv/fw_setenv (libubootenv-tool) and
 * mkenvimage (u-boot-tools) for the U-Boot environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "os/bootstate.h"
#include "os/bootstate_file.h"
#include "crc32.h"

#define SZ 0x4000

static char dir[64];
static char out[8192];
static char err[512];
static struct env env, env2;
static struct ubootenv ue, ue2;
static uint8_t blk[GRUBENV_SIZE + 16];
static uint8_t img[2 * 0x20000];

/* --- helpers ----------------------------------------------------------- */

/* Runs a shell command; its stdout into out. Returns the exit status. */
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	size_t n = 0;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < sizeof(out) - 1) {
		size_t k = fread(out + n, 1, sizeof(out) - 1 - n, p);

		if (!k)
			break;
		n += k;
	}
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A path in the test's directory, valid until the end of the run. */
static char *path(const char *name)
{
	static char pool[128][256];
	static unsigned int used;

	assert_true(used < 128);
	snprintf(pool[used], sizeof(pool[used]), "%s/%s", dir, name);
	return pool[used++];
}

static size_t slurp(const char *file, void *buf, size_t max)
{
	int fd = open(file, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, max);
	close(fd);
	assert_true(n >= 0);
	return n;
}

static void spit(const char *file, const void *buf, size_t len)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void put(struct env *e, const char *name, const char *value)
{
	assert_int_equal(env_set(e, name, value, err, sizeof(err)), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_bootstate.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return run("rm -rf '%s'", dir);
}

static const struct boot_state state_ab = { { 'a', 'b' }, { 0, 3 }, { 1, 0 } };
static const struct boot_state state_ba = { { 'b', 'a' }, { 3, 0 }, { 1, 0 } };

static void assert_state(const struct boot_state *got,
			 const struct boot_state *want)
{
	assert_memory_equal(got->order, want->order, 2);
	assert_int_equal(got->tries[0], want->tries[0]);
	assert_int_equal(got->tries[1], want->tries[1]);
	assert_int_equal(got->ok[0], want->ok[0]);
	assert_int_equal(got->ok[1], want->ok[1]);
}

/* --- CRC and variables -------------------------------------------------- */

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(crc32_ieee(0, "123456789", 9), 0xcbf43926);
	assert_int_equal(crc32_ieee(0, "", 0), 0);
	/* in pieces */
	assert_int_equal(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5),
			 0xcbf43926);
}

static void test_env_basics(void **state)
{
	const char *e;

	(void)state;
	env_init(&env);
	assert_null(env_get(&env, "A"));
	put(&env, "A", "1");
	put(&env, "B", "two");
	put(&env, "C", "");
	put(&env, "A", "longer value"); /* in place: order kept */
	assert_string_equal(env_get(&env, "A"), "longer value");
	assert_string_equal(env_get(&env, "C"), "");
	assert_null(env_get(&env, "AB"));
	e = env_next(&env, NULL);
	assert_string_equal(e, "A=longer value");
	e = env_next(&env, e);
	assert_string_equal(e, "B=two");
	assert_int_equal(env_count(&env), 3);
	env_unset(&env, "B");
	env_unset(&env, "nope");
	assert_int_equal(env_count(&env), 2);
	assert_null(env_get(&env, "B"));
	assert_string_equal(env_next(&env, env_next(&env, NULL)), "C=");

	assert_int_equal(env_set(&env, "", "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(env_set(&env, "a=b", "x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'='"));
}

static void test_env_full(void **state)
{
	static char big[ENV_SIZE_MAX];

	(void)state;
	env_init(&env);
	memset(big, 'x', sizeof(big) - 100);
	big[sizeof(big) - 100] = '\0';
	put(&env, "BIG", big);
	assert_int_equal(
		env_set(&env, "MORE", big + ENV_SIZE_MAX / 2, err, sizeof(err)),
		-ENOSPC);
	assert_string_equal(env_get(&env, "BIG"), big);
	assert_null(env_get(&env, "MORE"));
}

/* --- grubenv against grub-editenv ------------------------------------- */

static void test_grubenv_same_bytes_as_grub_editenv(void **state)
{
	(void)state;
	/* create + set gives exactly the block we serialize */
	assert_int_equal(run("grub-editenv %s create && grub-editenv %s set "
			     "A=1 B=2 'C=x\\y' \"D=line1\nline2\" E= 'F=a=b'",
			     path("ge1"), path("ge1")),
			 0);
	env_init(&env);
	put(&env, "A", "1");
	put(&env, "B", "2");
	put(&env, "C", "x\\y");
	put(&env, "D", "line1\nline2");
	put(&env, "E", "");
	put(&env, "F", "a=b");
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)), 0);
	assert_int_equal(slurp(path("ge1"), img, sizeof(img)), GRUBENV_SIZE);
	assert_memory_equal(blk, img, GRUBENV_SIZE);
}

static void test_grubenv_ours_listed_by_grub(void **state)
{
	(void)state;
	env_init(&env);
	put(&env, "saved_entry", "keel");
	assert_int_equal(boot_state_to_env(&state_ba, &env, err, sizeof(err)),
			 0);
	put(&env, "odd", "back\\slash\nnew line");
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)), 0);
	spit(path("ours"), blk, GRUBENV_SIZE);
	assert_int_equal(run("grub-editenv %s list", path("ours")), 0);
	assert_string_equal(out, "KEEL_ORDER=b a\n"
				 "KEEL_A_TRIES=3\n"
				 "KEEL_A_OK=1\n"
				 "KEEL_B_TRIES=0\n"
				 "KEEL_B_OK=0\n"
				 "saved_entry=keel\n"
				 "odd=back\\slash\nnew line\n");

	/* GRUB decrements tries and unsets in our block: we read it back */
	assert_int_equal(run("grub-editenv %s set KEEL_A_TRIES=2 && "
			     "grub-editenv %s unset saved_entry",
			     path("ours"), path("ours")),
			 0);
	assert_int_equal(slurp(path("ours"), blk, sizeof(blk)), GRUBENV_SIZE);
	assert_int_equal(
		grubenv_parse(&env2, blk, GRUBENV_SIZE, err, sizeof(err)), 0);
	assert_string_equal(env_get(&env2, "KEEL_A_TRIES"), "2");
	assert_null(env_get(&env2, "saved_entry"));
	assert_string_equal(env_get(&env2, "odd"), "back\\slash\nnew line");
	assert_int_equal(env_count(&env2), 6);
}

static void test_grubenv_parse_grub_made(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(run("grub-editenv %s create && grub-editenv %s set "
			     "A=1 B=2 'C=\\\\' \"N=a\nb\" 'S=with space'",
			     path("ge2"), path("ge2")),
			 0);
	n = slurp(path("ge2"), blk, sizeof(blk));
	assert_int_equal(grubenv_parse(&env, blk, n, err, sizeof(err)), 0);
	assert_int_equal(env_count(&env), 5);
	assert_string_equal(env_get(&env, "A"), "1");
	assert_string_equal(env_get(&env, "B"), "2");
	assert_string_equal(env_get(&env, "C"), "\\\\");
	assert_string_equal(env_get(&env, "N"), "a\nb");
	assert_string_equal(env_get(&env, "S"), "with space");

	/* an empty block */
	assert_int_equal(run("grub-editenv %s create", path("ge3")), 0);
	n = slurp(path("ge3"), blk, sizeof(blk));
	assert_int_equal(grubenv_parse(&env, blk, n, err, sizeof(err)), 0);
	assert_int_equal(env_count(&env), 0);
}

/* Parses text padded with '#' to a block; returns the result. */
static int grub_try(const char *text, size_t len)
{
	memset(blk, '#', GRUBENV_SIZE);
	memcpy(blk, text, strlen(text));
	return grubenv_parse(&env, blk, len, err, sizeof(err));
}

#define SIG "# GRUB Environment Block\n"

static void test_grubenv_bad(void **state)
{
	(void)state;
	assert_int_equal(grub_try(SIG "A=1\n", GRUBENV_SIZE), 0);
	/* comments are skipped, '\\' continues a comment line as GRUB does */
	assert_int_equal(grub_try(SIG "# x \\\nB=2\nA=1\n", GRUBENV_SIZE), 0);
	assert_int_equal(env_count(&env), 1);

	assert_int_equal(
		grub_try("# GRUB Environment Blok\nA=1\n", GRUBENV_SIZE),
		-EINVAL);
	assert_non_null(strstr(err, "GRUB Environment Block"));
	assert_int_equal(grub_try(SIG "A=1\n", GRUBENV_SIZE - 1), -EINVAL);
	assert_non_null(strstr(err, "1023"));
	assert_int_equal(grub_try(SIG "A=1\n", GRUBENV_SIZE + 1), -EINVAL);
	assert_int_equal(grub_try(SIG, 0), -EINVAL);
	assert_int_equal(grub_try(SIG "A\nB=1\n", GRUBENV_SIZE), -EINVAL);
	assert_non_null(strstr(err, "no '='"));
	assert_int_equal(grub_try(SIG "=1\n", GRUBENV_SIZE), -EINVAL);
	assert_int_equal(grub_try(SIG "A=1\nA=2\n", GRUBENV_SIZE), -EINVAL);
	assert_non_null(strstr(err, "A is set twice"));
	assert_int_equal(grub_try(SIG "A\\=1\n", GRUBENV_SIZE), -EINVAL);
	assert_int_equal(grub_try(SIG "\n", GRUBENV_SIZE), -EINVAL);

	/* NUL where the '#' padding should be */
	grub_try(SIG "A=1\n", GRUBENV_SIZE);
	blk[100] = '\0';
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)),
		0); /* inside the '#' comment: GRUB skips it too */
	blk[strlen(SIG) + 2] = '\0';
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "NUL"));

	/* a value that runs off the end: no padding, no newline */
	memcpy(blk, SIG, strlen(SIG));
	memset(blk + strlen(SIG), 'x', GRUBENV_SIZE - strlen(SIG));
	blk[strlen(SIG) + 1] = '=';
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "runs off the end"));
	blk[GRUBENV_SIZE - 1] = '\\';
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)),
		-EINVAL);
	/* the block full to the last byte is fine */
	blk[GRUBENV_SIZE - 1] = '\n';
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)), 0);

	/* garbage */
	for (int i = 0; i < GRUBENV_SIZE; i++)
		blk[i] = (i * 7919) >> 3;
	assert_int_equal(
		grubenv_parse(&env, blk, GRUBENV_SIZE, err, sizeof(err)),
		-EINVAL);
}

static void test_grubenv_overlong(void **state)
{
	static char v[1024];
	size_t room = GRUBENV_SIZE - 25 - 69 - 3; /* "V=" and '\n' */

	(void)state;
	env_init(&env);
	memset(v, 'v', room);
	v[room] = '\0';
	put(&env, "V", v);
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)), 0);
	assert_int_equal(blk[GRUBENV_SIZE - 1], '\n');
	spit(path("full"), blk, GRUBENV_SIZE);
	assert_int_equal(run("grub-editenv %s list | wc -c", path("full")), 0);
	assert_int_equal(atoi(out), room + 3);
	assert_int_equal(
		grubenv_parse(&env2, blk, GRUBENV_SIZE, err, sizeof(err)), 0);
	assert_string_equal(env_get(&env2, "V"), v);

	v[room - 1] = '\\'; /* escaped: one byte too many */
	put(&env, "V", v);
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "1025 bytes"));

	/* names GRUB cannot read back */
	env_init(&env);
	put(&env, "a\nb", "1");
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)),
			 -EINVAL);
	env_init(&env);
	put(&env, "#a", "1");
	assert_int_equal(grubenv_serialize(&env, blk, err, sizeof(err)),
			 -EINVAL);
}

/* --- grubenv pair on disk ---------------------------------------------- */

static void test_grubenv_pair(void **state)
{
	struct boot_state bs;
	struct stat st1, st2;
	int which = -1;

	(void)state;
	assert_int_equal(run("mkdir -p %s", path("esp")), 0);
	assert_int_equal(
		grubenv_read_pair(path("esp"), &env, &which, err, sizeof(err)),
		-ENOENT);
	env_init(&env);
	boot_state_to_env(&state_ab, &env, err, sizeof(err));
	assert_int_equal(
		grubenv_write_pair(path("esp"), &env, err, sizeof(err)), 0);
	assert_int_equal(run("cmp %s/grubenv %s/grubenv.bak && "
			     "grub-editenv %s/grubenv list",
			     path("esp"), path("esp"), path("esp")),
			 0);
	assert_non_null(strstr(out, "KEEL_ORDER=a b\n"));
	assert_int_equal(stat(path("esp/grubenv"), &st1), 0);

	/* rewritten in place: same file, same size */
	boot_state_to_env(&state_ba, &env, err, sizeof(err));
	assert_int_equal(
		grubenv_write_pair(path("esp"), &env, err, sizeof(err)), 0);
	assert_int_equal(stat(path("esp/grubenv"), &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st2.st_size, GRUBENV_SIZE);
	assert_int_equal(
		grubenv_read_pair(path("esp"), &env2, &which, err, sizeof(err)),
		0);
	assert_int_equal(which, 0);
	assert_int_equal(boot_state_from_env(&env2, &bs, err, sizeof(err)), 0);
	assert_state(&bs, &state_ba);

	/* a file grown too long is cut back to one block */
	assert_int_equal(
		run("head -c 100 /dev/zero >> %s", path("esp/grubenv")), 0);
	assert_int_equal(
		grubenv_read_pair(path("esp"), &env2, &which, err, sizeof(err)),
		0);
	assert_int_equal(which, 1); /* 1124 bytes: the primary is bad */
	assert_int_equal(
		grubenv_write_pair(path("esp"), &env, err, sizeof(err)), 0);
	assert_int_equal(stat(path("esp/grubenv"), &st2), 0);
	assert_int_equal(st2.st_size, GRUBENV_SIZE);
}

static void test_grubenv_pair_torn(void **state)
{
	static uint8_t oldb[GRUBENV_SIZE], newb[GRUBENV_SIZE];
	struct boot_state bs;
	int which = -1;

	(void)state;
	assert_int_equal(run("mkdir -p %s", path("torn")), 0);
	/* a long variable after ours, so the block spans both sectors */
	env_init(&env);
	put(&env, "filler",
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789");
	boot_state_to_env(&state_ab, &env, err, sizeof(err));
	assert_int_equal(grubenv_serialize(&env, oldb, err, sizeof(err)), 0);
	put(&env, "filler", "short");
	boot_state_to_env(&state_ba, &env, err, sizeof(err));
	assert_int_equal(grubenv_serialize(&env, newb, err, sizeof(err)), 0);

	/*
	 * The cut hits the primary's write after its first sector: the backup
	 * is new, the primary half new. Either way the state read is new.
	 */
	spit(path("torn/grubenv.bak"), newb, GRUBENV_SIZE);
	memcpy(blk, newb, 512);
	memcpy(blk + 512, oldb + 512, 512);
	spit(path("torn/grubenv"), blk, GRUBENV_SIZE);
	assert_int_equal(grubenv_read_pair(path("torn"), &env2, &which, err,
					   sizeof(err)),
			 0);
	assert_int_equal(boot_state_from_env(&env2, &bs, err, sizeof(err)), 0);
	assert_state(&bs, &state_ba);

	/* the cut hit the backup's write: the primary is whole and old */
	memcpy(blk, newb, 100);
	memcpy(blk + 100, oldb + 100, GRUBENV_SIZE - 100);
	spit(path("torn/grubenv.bak"), blk, GRUBENV_SIZE);
	spit(path("torn/grubenv"), oldb, GRUBENV_SIZE);
	assert_int_equal(grubenv_read_pair(path("torn"), &env2, &which, err,
					   sizeof(err)),
			 0);
	assert_int_equal(which, 0);
	assert_int_equal(boot_state_from_env(&env2, &bs, err, sizeof(err)), 0);
	assert_state(&bs, &state_ab);

	/* primary's header torn: the backup */
	memcpy(blk, oldb, GRUBENV_SIZE);
	blk[3] ^= 0x20;
	spit(path("torn/grubenv"), blk, GRUBENV_SIZE);
	spit(path("torn/grubenv.bak"), newb, GRUBENV_SIZE);
	assert_int_equal(grubenv_read_pair(path("torn"), &env2, &which, err,
					   sizeof(err)),
			 0);
	assert_int_equal(which, 1);
	assert_int_equal(boot_state_from_env(&env2, &bs, err, sizeof(err)), 0);
	assert_state(&bs, &state_ba);

	/* both bad: the reason for each */
	spit(path("torn/grubenv.bak"), blk, 700);
	assert_int_equal(grubenv_read_pair(path("torn"), &env2, &which, err,
					   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "grubenv: no \"# GRUB"));
	assert_non_null(strstr(err, "grubenv.bak: a grubenv block is 1024 "
				    "bytes, not 700"));
}

/* --- U-Boot environment against fw_printenv and mkenvimage -------------- */

static void fw_config(const char *cfg, const char *f0, long o0, const char *f1,
		      long o1, long size)
{
	FILE *f = fopen(cfg, "w");

	assert_non_null(f);
	fprintf(f, "# device offset size\n%s 0x%lx 0x%lx\n", f0, o0, size);
	if (f1)
		fprintf(f, "%s 0x%lx 0x%lx\n", f1, o1, size);
	fclose(f);
}

static void test_uboot_ours_read_by_fw_printenv(void **state)
{
	struct ubootenv_loc loc = { { path("u.env"), path("u.env") },
				    { 0, SZ },
				    SZ };

	(void)state;
	unlink(loc.path[0]);
	fw_config(path("u.cfg"), loc.path[0], 0, loc.path[1], SZ, SZ);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), -ENOENT);
	assert_int_equal(ubootenv_init(&ue, SZ, true, err, sizeof(err)), 0);
	put(&ue.env, "bootcmd", "run keel_boot");
	assert_int_equal(
		boot_state_to_env(&state_ab, &ue.env, err, sizeof(err)), 0);
	put(&ue.env, "multi", "line1\nline2");
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 0);
	assert_int_equal(ue.flags, 1);
	/* copy 1 does not exist yet: the file is one copy long */
	assert_int_not_equal(
		run("fw_printenv -c %s 2>/dev/null", path("u.cfg")), 0);

	/* the second write makes copy 1, flags 2: both valid now */
	assert_int_equal(
		boot_state_to_env(&state_ba, &ue.env, err, sizeof(err)), 0);
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 1);
	assert_int_equal(ue.flags, 2);
	assert_int_equal(run("fw_printenv -c %s", path("u.cfg")), 0);
	assert_string_equal(out, "KEEL_A_OK=1\n"
				 "KEEL_A_TRIES=3\n"
				 "KEEL_B_OK=0\n"
				 "KEEL_B_TRIES=0\n"
				 "KEEL_ORDER=b a\n"
				 "bootcmd=run keel_boot\n"
				 "multi=line1\nline2\n");
	assert_int_equal(run("fw_printenv -c %s -n KEEL_ORDER", path("u.cfg")),
			 0);
	assert_string_equal(out, "b a\n");

	/* and we read back what we wrote */
	assert_int_equal(ubootenv_read(&loc, &ue2, err, sizeof(err)), 0);
	assert_int_equal(ue2.current, 1);
	assert_int_equal(ue2.flags, 2);
	assert_int_equal(ue2.env.len, ue.env.len);
	assert_memory_equal(ue2.env.data, ue.env.data, ue.env.len);
}

static void test_uboot_two_files_and_fw_setenv(void **state)
{
	struct ubootenv_loc loc = { { path("uboot.env"),
				      path("uboot-redund.env") },
				    { 0, 0 },
				    0x20000 };
	struct boot_state bs;

	(void)state;
	fw_config(path("u2.cfg"), loc.path[0], 0, loc.path[1], 0, 0x20000);
	assert_int_equal(ubootenv_init(&ue, 0x20000, true, err, sizeof(err)),
			 0);
	assert_int_equal(
		boot_state_to_env(&state_ab, &ue.env, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)),
				 0);
	assert_int_equal(ue.current, 0);
	assert_int_equal(ue.flags, 3);

	/* U-Boot (here fw_setenv) decrements tries in the other copy */
	assert_int_equal(run("fw_setenv -c %s KEEL_B_TRIES 2", path("u2.cfg")),
			 0);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 1);
	assert_int_equal(ue.flags, 4);
	assert_int_equal(boot_state_from_env(&ue.env, &bs, err, sizeof(err)),
			 0);
	assert_int_equal(bs.tries[1], 2);

	/* our next write goes over the older copy, and fw_printenv sees it */
	bs.tries[1] = 1;
	assert_int_equal(boot_state_to_env(&bs, &ue.env, err, sizeof(err)), 0);
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 0);
	assert_int_equal(
		run("fw_printenv -c %s -n KEEL_B_TRIES", path("u2.cfg")), 0);
	assert_string_equal(out, "1\n");
}

static void test_uboot_mkenvimage(void **state)
{
	struct ubootenv_loc single = { { path("m1.env"), NULL },
				       { 0, 0 },
				       0x20000 };
	struct ubootenv_loc red = { { path("m2.env"), path("m3.env") },
				    { 0, 0 },
				    SZ };
	size_t n;
	static const char vars[] =
		"# a comment\nKEEL_ORDER=a b\nbootdelay=3\n\nempty=\n";

	(void)state;
	spit(path("vars.txt"), vars, sizeof(vars) - 1);
	assert_int_equal(run("mkenvimage -s 0x20000 -o %s %s", single.path[0],
			     path("vars.txt")),
			 0);
	assert_int_equal(ubootenv_read(&single, &ue, err, sizeof(err)), 0);
	assert_false(ue.redundant);
	assert_int_equal(env_count(&ue.env), 3);
	assert_string_equal(env_get(&ue.env, "KEEL_ORDER"), "a b");
	assert_string_equal(env_get(&ue.env, "bootdelay"), "3");
	assert_string_equal(env_get(&ue.env, "empty"), "");
	/* a single copy is for reading only */
	assert_int_equal(ubootenv_write(&single, &ue, err, sizeof(err)),
			 -EINVAL);

	/* zero padding, redundant: two images, the second one newer */
	assert_int_equal(run("mkenvimage -s 0x4000 -r -p 0 -o %s %s && "
			     "echo KEEL_ORDER=b a | mkenvimage -s 0x4000 -r "
			     "-o %s -",
			     red.path[0], path("vars.txt"), red.path[1]),
			 0);
	assert_int_equal(ubootenv_read(&red, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 0); /* both flags 1: copy 0 */
	n = slurp(red.path[1], img, sizeof(img));
	assert_int_equal(n, SZ);
	assert_int_equal(img[4], 1);
	img[4] = 2; /* the flags byte is outside the CRC */
	spit(red.path[1], img, SZ);
	assert_int_equal(ubootenv_read(&red, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 1);
	assert_int_equal(env_count(&ue.env), 1);
	assert_string_equal(env_get(&ue.env, "KEEL_ORDER"), "b a");
	fw_config(path("m.cfg"), red.path[0], 0, red.path[1], 0, SZ);
	assert_int_equal(run("fw_printenv -c %s", path("m.cfg")), 0);
	assert_string_equal(out, "KEEL_ORDER=b a\n");
}

/* Builds copy i of an image in img: CRC, flags, the entries given. */
static void uboot_copy(int i, uint8_t flags, const char *entries, size_t len)
{
	uint8_t *b = img + i * SZ;
	uint32_t crc;

	memset(b, 0xff, SZ);
	b[4] = flags;
	memcpy(b + 5, entries, len);
	crc = crc32_ieee(0, b + 5, SZ - 5);
	for (int k = 0; k < 4; k++)
		b[k] = crc >> (8 * k);
}

static void test_uboot_flags(void **state)
{
	static const struct {
		uint8_t f0, f1;
		int current;
	} cases[] = {
		{ 1, 2, 1 }, { 2, 1, 0 },     { 255, 0, 1 },  { 0, 255, 0 },
		{ 7, 7, 0 }, { 254, 255, 1 }, { 200, 10, 0 },
	};

	(void)state;
	fw_config(path("f.cfg"), path("f.env"), 0, path("f.env"), SZ, SZ);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uboot_copy(0, cases[c].f0, "X=0\0", 5);
		uboot_copy(1, cases[c].f1, "X=1\0", 5);
		assert_int_equal(ubootenv_init(&ue, SZ, true, err, sizeof(err)),
				 0);
		assert_int_equal(
			ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			0);
		assert_int_equal(ue.current, cases[c].current);
		assert_string_equal(env_get(&ue.env, "X"),
				    cases[c].current ? "1" : "0");
		/* fw_printenv decides the same */
		spit(path("f.env"), img, 2 * SZ);
		assert_int_equal(run("fw_printenv -c %s -n X", path("f.cfg")),
				 0);
		assert_int_equal(out[0], '0' + cases[c].current);
	}
}

static void test_uboot_torn(void **state)
{
	struct ubootenv_loc loc = { { path("t.env"), path("t.env") },
				    { 0, SZ },
				    SZ };
	int fd;

	(void)state;
	fw_config(path("t.cfg"), loc.path[0], 0, loc.path[1], SZ, SZ);
	unlink(loc.path[0]);
	assert_int_equal(ubootenv_init(&ue, SZ, true, err, sizeof(err)), 0);
	put(&ue.env, "V", "old");
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	put(&ue.env, "V", "new");
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), 0);
	assert_string_equal(env_get(&ue.env, "V"), "new");

	/* a byte of the newest copy flipped: back to the older */
	fd = open(loc.path[0], O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, SZ + 7), 1);
	close(fd);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 0);
	assert_string_equal(env_get(&ue.env, "V"), "old");
	assert_int_equal(run("fw_printenv -c %s -n V", path("t.cfg")), 0);
	assert_string_equal(out, "old\n");

	/* the rewrite goes over the torn copy */
	put(&ue.env, "V", "newer");
	assert_int_equal(ubootenv_write(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 1);
	assert_int_equal(run("fw_printenv -c %s -n V", path("t.cfg")), 0);
	assert_string_equal(out, "newer\n");

	/* a write cut short: the file ends inside copy 1 */
	assert_int_equal(truncate(loc.path[0], SZ + 100), 0);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), 0);
	assert_int_equal(ue.current, 0);
	assert_string_equal(env_get(&ue.env, "V"), "old");

	/* both bad */
	fd = open(loc.path[0], O_RDWR);
	assert_int_equal(pwrite(fd, "X", 1, 9), 1);
	close(fd);
	assert_int_equal(ubootenv_read(&loc, &ue, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "no good copy: copy 0: bad CRC"));
	assert_non_null(strstr(err, "the file ends before the copy does"));
	assert_int_equal(env_count(&ue.env), 0);
}

static void test_uboot_bad(void **state)
{
	static char full[SZ];

	(void)state;
	assert_int_equal(ubootenv_init(&ue, 10, true, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(ubootenv_init(&ue, 0x20001, true, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(ubootenv_init(&ue, SZ, true, err, sizeof(err)), 0);
	assert_int_equal(ubootenv_parse(&ue, img, NULL, err, sizeof(err)),
			 -EINVAL);

	uboot_copy(1, 1, "A=1\0", 5); /* a good fallback */
	uboot_copy(0, 2, "A=1\0B\0", 7);
	assert_int_equal(ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			 0);
	assert_int_equal(ue.current, 1);

	uboot_copy(1, 1, "=1\0", 4);
	assert_int_equal(ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "copy 0: the entry at byte 9 has no '='"));
	assert_non_null(strstr(err, "copy 1: empty name at byte 5"));

	uboot_copy(0, 2, "A=1\0A=2\0", 9);
	uboot_copy(1, 1, "A=1", 3);
	memset(img + SZ + 8, 'x', SZ - 8); /* no NUL until the end */
	uboot_copy(1, 1, (char *)img + SZ + 5, SZ - 5);
	assert_int_equal(ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "A is set twice"));
	assert_non_null(strstr(err, "runs off the end"));

	/* entries up to the last byte, without the empty one ending them */
	memset(full, 'y', sizeof(full));
	memcpy(full, "A=", 2);
	full[SZ - 6] = '\0';
	uboot_copy(0, 2, full, SZ - 5);
	assert_int_equal(ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "copy 0: the variable list has no end"));

	/* too much to write */
	assert_int_equal(ubootenv_init(&ue, SZ, true, err, sizeof(err)), 0);
	/* "A=", the value, its NUL and the list's end: SZ - 4 > SZ - 5 */
	full[SZ - 6] = '\0';
	put(&ue.env, "A", full + 2);
	assert_int_equal(
		ubootenv_serialize(&ue, img, &(int){ 0 }, err, sizeof(err)),
		-ENOSPC);
	full[SZ - 7] = '\0';
	put(&ue.env, "A", full + 2);
	assert_int_equal(
		ubootenv_serialize(&ue, img, &(int){ 0 }, err, sizeof(err)), 0);
	assert_int_equal(ubootenv_parse(&ue, img, img + SZ, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(env_get(&ue.env, "A")), SZ - 9);
}

/* --- the typed record --------------------------------------------------- */

static void test_boot_state_round_trip(void **state)
{
	struct boot_state bs;
	const char *e;

	(void)state;
	env_init(&env);
	put(&env, "first", "1");
	put(&env, "KEEL_A_OK", "0");
	put(&env, "last", "2");
	assert_int_equal(boot_state_from_env(&env, &bs, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "KEEL_ORDER is not set");
	assert_int_equal(boot_state_to_env(&state_ba, &env, err, sizeof(err)),
			 0);
	assert_int_equal(boot_state_from_env(&env, &bs, err, sizeof(err)), 0);
	assert_state(&bs, &state_ba);
	/* ours first, in a fixed order; the others as they were */
	e = env_next(&env, NULL);
	assert_string_equal(e, "KEEL_ORDER=b a");
	e = env_next(&env, e);
	assert_string_equal(e, "KEEL_A_TRIES=3");
	e = env_next(&env, e);
	assert_string_equal(e, "KEEL_A_OK=1");
	e = env_next(&env, e);
	e = env_next(&env, e);
	assert_string_equal(e, "KEEL_B_OK=0");
	e = env_next(&env, e);
	assert_string_equal(e, "first=1");
	e = env_next(&env, e);
	assert_string_equal(e, "last=2");
	assert_int_equal(env_count(&env), 7);
	/* again: nothing moves */
	assert_int_equal(boot_state_to_env(&state_ba, &env, err, sizeof(err)),
			 0);
	assert_int_equal(env_count(&env), 7);
}

static void test_boot_state_bad(void **state)
{
	static const struct {
		const char *name, *value, *why;
	} cases[] = {
		{ "KEEL_ORDER", "a a", "not \"a b\" or \"b a\"" },
		{ "KEEL_ORDER", "ab", "KEEL_ORDER is \"ab\"" },
		{ "KEEL_ORDER", "a b ", "not \"a b\"" },
		{ "KEEL_A_TRIES", "10",
		  "KEEL_A_TRIES is \"10\", not a number in 0..9" },
		{ "KEEL_B_TRIES", "-1", "0..9" },
		{ "KEEL_B_TRIES", "", "0..9" },
		{ "KEEL_A_OK", "2",
		  "KEEL_A_OK is \"2\", not a number in 0..1" },
		{ "KEEL_B_OK", "yes", "0..1" },
	};
	struct boot_state bs = state_ab;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		env_init(&env);
		assert_int_equal(
			boot_state_to_env(&state_ab, &env, err, sizeof(err)),
			0);
		put(&env, cases[c].name, cases[c].value);
		assert_int_equal(
			boot_state_from_env(&env, &bs, err, sizeof(err)),
			-EINVAL);
		assert_non_null(strstr(err, cases[c].why));
	}
	env_unset(&env, "KEEL_B_OK");
	put(&env, "KEEL_ORDER", "a b");
	assert_int_equal(boot_state_from_env(&env, &bs, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "KEEL_B_OK is not set");

	bs = state_ab;
	bs.order[1] = 'a';
	assert_int_equal(boot_state_check(&bs, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_state_to_env(&bs, &env, err, sizeof(err)),
			 -EINVAL);
	bs = state_ab;
	bs.order[0] = 'c';
	bs.order[1] = 'b';
	assert_int_equal(boot_state_check(&bs, err, sizeof(err)), -EINVAL);
	bs = state_ab;
	bs.tries[1] = 10;
	assert_int_equal(boot_state_check(&bs, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "slot b: 10 tries is not in 0..9");
	bs.tries[1] = -1;
	assert_int_equal(boot_state_check(&bs, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_state_check(&state_ba, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_env_basics),
		cmocka_unit_test(test_env_full),
		cmocka_unit_test(test_grubenv_same_bytes_as_grub_editenv),
		cmocka_unit_test(test_grubenv_ours_listed_by_grub),
		cmocka_unit_test(test_grubenv_parse_grub_made),
		cmocka_unit_test(test_grubenv_bad),
		cmocka_unit_test(test_grubenv_overlong),
		cmocka_unit_test(test_grubenv_pair),
		cmocka_unit_test(test_grubenv_pair_torn),
		cmocka_unit_test(test_uboot_ours_read_by_fw_printenv),
		cmocka_unit_test(test_uboot_two_files_and_fw_setenv),
		cmocka_unit_test(test_uboot_mkenvimage),
		cmocka_unit_test(test_uboot_flags),
		cmocka_unit_test(test_uboot_torn),
		cmocka_unit_test(test_uboot_bad),
		cmocka_unit_test(test_boot_state_round_trip),
		cmocka_unit_test(test_boot_state_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
