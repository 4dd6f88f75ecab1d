// SPDX-License-Identifier: MIT
#include "hostsetup.h"
#include "file.h"
#include "log.h"
#include "partition.h"
#include "text.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED_BYTES 512

int boot_mount(int wait_s)
{
	char dev[64], path[80];
	int r = partition_wait("PARTLABEL=esp", wait_s, dev, sizeof(dev));

	if (r) {
		log_warn("unable to find the ESP (PARTLABEL=esp): %s; /boot "
			 "stays empty",
			 strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "/dev/%s", dev);
	/*
	 * FAT has no journal: a power cut while imaged wrote the other
	 * slot's kernel files can leave the allocation table and a
	 * directory out of step, and the kernel then turns the ESP
	 * read-only at the first write, which would stop every update.
	 * Repair first, as e2fsck -p does for /var.
	 */
	char *fsck[] = { "/sbin/fsck.fat", "-a", "-w", path, NULL };
	int fr = access(fsck[0], X_OK) ? -ENOENT : run_quiet(fsck);
	if (fr == 1)
		log_warn("ESP %s: fsck.fat found and repaired errors", path);
	else if (fr != 0 && fr != -ENOENT)
		log_warn("unable to check ESP %s: fsck.fat exited %d", path,
			 fr);
	/* config/ may hold credentials: root only */
	return mount_at(path, "/boot", "vfat",
			MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC,
			"umask=0077,shortname=mixed");
}

bool machine_id_valid(const char *id)
{
	size_t n = strspn(id, "0123456789abcdef");

	return n == 32 && (id[32] == '\0' || id[32] == '\n');
}

int machine_id_setup(char *id, size_t len)
{
	char buf[40];
	unsigned char raw[16];
	ssize_t n = read_text(KEEL_STATE "/machine-id", buf, sizeof(buf));
	int r;

	if (n < 0 || !machine_id_valid(buf)) {
		ssize_t got = getrandom(raw, sizeof(raw), 0);
		if (got != sizeof(raw))
			return got < 0 ? -errno : -EIO;
		for (int i = 0; i < 16; i++)
			snprintf(buf + 2 * i, 3, "%02x", raw[i]);
		buf[32] = '\n';
		buf[33] = '\0';
		r = write_atomic(KEEL_STATE "/machine-id", buf, 33, 0444);
		if (r)
			return r;
		log_info("machine id %.32s created", buf);
	}
	buf[32] = '\0';
	snprintf(id, len, "%s", buf);
	buf[32] = '\n';
	return write_atomic(KEEL_RUN "/machine-id", buf, 33, 0444);
}

void hostname_setup(const char *machine_id)
{
	char name[80];
	ssize_t n = read_text(BOOT_CONFIG "/hostname", name, sizeof(name));

	if (n > 0) {
		name[strcspn(name, "\r\n")] = '\0';
		if (!text_hostname_label(name, strlen(name))) {
			log_err("unable to use %s/hostname: '%s' is not a "
				"valid host name (letters, digits, '-', at "
				"most 63)",
				BOOT_CONFIG, name);
			n = -EINVAL;
		}
	}
	if (n <= 0)
		snprintf(name, sizeof(name), "keel-%.8s", machine_id);
	if (sethostname(name, strlen(name)))
		log_warn("unable to set hostname %s: %s", name,
			 strerror(errno));
	strcat(name, "\n");
	write_atomic(KEEL_RUN "/hostname", name, strlen(name), 0444);
}

void random_seed_load(void)
{
	static unsigned char seed[SEED_BYTES];
	int fd = open(KEEL_STATE "/random-seed", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, seed, sizeof(seed));
		close(fd);
		/* mixed in, not credited: a copied disk must not be trusted */
		int ur = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
		if (n > 0 && ur >= 0 && write(ur, seed, n) < 0)
			log_warn("unable to feed the random seed: %s",
				 strerror(errno));
		if (ur >= 0)
			close(ur);
	}
	/* never boot twice from the same seed */
	random_seed_save();
}

void random_seed_save(void)
{
	static unsigned char seed[SEED_BYTES];

	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		return; /* not ready yet: shutdown saves one */
	int r = write_atomic(KEEL_STATE "/random-seed", seed, sizeof(seed),
			     0600);
	if (r)
		log_warn("unable to save the random seed: %s", strerror(-r));
}

int sysctl_parse_line(char *line, char *path, size_t len, char **value)
{
	char *p = line, *key, *eq, *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#' || *p == ';')
		return 0;
	key = p;
	eq = strchr(p, '=');
	if (!eq)
		return -EINVAL;
	end = eq;
	while (end > key && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	p = eq + 1;
	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*key || strstr(key, "..") || key[0] == '.' || key[0] == '/' ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
			"23456789_-./") != strlen(key))
		return -EINVAL;
	if (snprintf(path, len, "/proc/sys/%s", key) >= (int)len)
		return -EINVAL;
	/* dots separate levels; a key may use slashes already */
	for (char *c = path + 10; *c; c++)
		if (*c == '.')
			*c = '/';
	*value = p;
	return 1;
}

static void sysctl_file(const char *file)
{
	static char text[8192];
	char path[192], *value, *line, *save;
	int lineno = 0;

	ssize_t len = read_text(file, text, sizeof(text));
	if (len < 0)
		return;
	if ((size_t)len == sizeof(text) - 1) {
		/* its last line may be cut: 262144 must not become 26 */
		log_err("unable to apply %s: larger than %zu bytes", file,
			sizeof(text) - 2);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		int r = sysctl_parse_line(line, path, sizeof(path), &value);
		if (r == 0)
			continue;
		if (r < 0) {
			log_err("unable to apply %s:%d: expected 'key = value'",
				file, lineno);
			continue;
		}
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, value, strlen(value)) < 0)
			log_err("unable to set %s = %s (%s:%d): %s", path + 10,
				value, file, lineno, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

void sysctl_apply_all(void)
{
	static char names[32][64];
	char path[128];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/etc/sysctl.d");

	if (d) {
		while ((de = readdir(d)) && n < 32) {
			size_t l = strlen(de->d_name);
			if (l > 5 && l < sizeof(names[0]) &&
			    !strcmp(de->d_name + l - 5, ".conf"))
				strcpy(names[n++], de->d_name);
		}
		closedir(d);
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/etc/sysctl.d/%s", names[i]);
		sysctl_file(path);
	}
	sysctl_file(BOOT_CONFIG "/sysctl.conf");
}
