// SPDX-License-Identifier: MIT
/* network.conf: keys, sections, file precedence, and bad files refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static const char *ip(const struct net_prefix *p)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int n;

	n = (n + 1) % 4;
	return inet_ntop(p->family, p->ip.b, buf[n], sizeof(buf[n]));
}

static int parse(struct net_conf *c, const char *text, char *err)
{
	char copy[4096];

	snprintf(copy, sizeof(copy), "%s", text);
	memset(c, 0, sizeof(*c));
	return net_conf_parse(c, "t.conf", copy, err, 256);
}

static void test_full(void **state)
{
	struct net_conf c;
	char err[256] = "";
	const struct net_rule *r;
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(parse(&c,
			       "# globals\n"
			       "dns = 192.0.2.53, 2001:db8::53\n"
			       "search = example.com lab.example.com\n"
			       "ready_timeout = 12\n"
			       "pod_cidr = 10.200.0.0/16\n"
			       "ntp = pool.ntp.org, 192.0.2.123 "
			       "[2001:db8::123]:1123\n"
			       "\n"
			       "[eth0]\n"
			       "address = 192.0.2.10/24\n"
			       "address = 2001:db8::10/64\n"
			       "gateway = 192.0.2.1\n"
			       "gateway = 2001:db8::1\n"
			       "route = 198.51.100.0/24 via 192.0.2.254\n"
			       "route = 203.0.113.0/25\n"
			       "mtu = 9000\n"
			       "required = yes\n"
			       "[en*]\n"
			       "dhcp = yes\n"
			       "[52:54:00:12:34:56]\n"
			       "dhcp = yes\n"
			       "dns = 10.0.0.53\n",
			       err),
			 0);
	assert_int_equal(c.dns.n_servers, 2);
	assert_string_equal(ip(&c.dns.servers[1]), "2001:db8::53");
	assert_int_equal(c.dns.n_search, 2);
	assert_string_equal(c.dns.search[1], "lab.example.com");
	assert_int_equal(c.ready_timeout_s, 12);
	assert_string_equal(ip(&c.pod_cidr), "10.200.0.0");
	assert_int_equal(c.n_rules, 3);

	r = &c.rules[0];
	assert_int_equal(c.n_ntp, 3);
	assert_true(c.set_ntp);
	assert_string_equal(c.ntp[0], "pool.ntp.org");
	assert_string_equal(c.ntp[2], "[2001:db8::123]:1123");
	assert_string_equal(r->where, "t.conf:8");
	assert_int_equal(r->n_addrs, 2);
	assert_string_equal(ip(&r->addrs[0]), "192.0.2.10");
	assert_int_equal(r->addrs[0].plen, 24);
	assert_int_equal(r->addrs[1].family, AF_INET6);
	assert_int_equal(r->addrs[1].plen, 64);
	assert_string_equal(ip(&r->gw4), "192.0.2.1");
	assert_string_equal(ip(&r->gw6), "2001:db8::1");
	assert_int_equal(r->n_routes, 2);
	assert_string_equal(ip(&r->routes[0].dst), "198.51.100.0");
	assert_true(r->routes[0].has_gw);
	assert_false(r->routes[1].has_gw);
	assert_int_equal(r->routes[1].dst.plen, 25);
	assert_int_equal(r->mtu, 9000);
	assert_true(r->required);
	assert_false(r->dhcp);

	/* matching: name, glob, MAC; first rule wins */
	assert_ptr_equal(net_conf_match(&c, "eth0", mac, 1), &c.rules[0]);
	assert_ptr_equal(net_conf_match(&c, "enp1s0", NULL, 1), &c.rules[1]);
	assert_ptr_equal(net_conf_match(&c, "wlan0", mac, 1), &c.rules[2]);
	assert_int_equal(c.rules[2].dns.n_servers, 1);
	assert_null(net_conf_match(&c, "wlan0", NULL, 1));
}

static void test_bad(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "[eth0]\naddress = 192.0.2.10\n",
		  "t.conf:2: address '192.0.2.10' is not an address/prefix" },
		{ "[eth0]\naddress = 192.0.2.300/24\n", "t.conf:2: address" },
		{ "[eth0]\naddress = 192.0.2.1/33\n", "t.conf:2: address" },
		{ "[eth0]\ndhcp = maybe\n", "dhcp must be yes or no" },
		{ "[eth0]\nmtu = 20\n", "mtu must be 68..65535" },
		{ "[eth0]\nroute = 10.0.0.1/8\n", "host bits set" },
		{ "[eth0]\nroute = 10.0.0.0/8 via 2001:db8::1\n",
		  "different families" },
		{ "[eth0]\nroute = 10.0.0.0/8 via nowhere\n",
		  "gateway 'nowhere' is not an address" },
		{ "[eth0]\ngateway = 192.0.2.1\n",
		  "has a gateway but no address" },
		{ "[eth0]\nadress = 192.0.2.1/24\n",
		  "t.conf:2: unknown key 'adress'" },
		{ "address = 192.0.2.1/24\n",
		  "t.conf:1: unknown key 'address' (interface keys go after" },
		{ "\n\n[eth0\n", "t.conf:3: a section line is" },
		{ "[]\n", "empty section name" },
		{ "[52:54:00:zz:34:56]\n", "is not a MAC address" },
		{ "[eth0]\ndhcp\n", "t.conf:2: expected key = value" },
		{ "[eth0]\ndhcp =\n", "'dhcp' has no value" },
		{ "dns = 1.2.3.4 5.6.7.8 9.9.9.9 1.1.1.1 8.8.8.8\n",
		  "more than 4 dns" },
		{ "search = exa mple!.com\n",
		  "search 'mple!.com' is not a domain" },
		{ "pod_cidr = 10.88.0.0/30\n", "pod_cidr must be" },
		{ "ready_timeout = -1\n", "ready_timeout must be" },
		{ "ntp = pool.ntp.org:0\n",
		  "ntp 'pool.ntp.org:0' is not a host name or address" },
		{ "ntp = 1 2 3 4 5 6 7 8 9\n", "more than 8 ntp servers" },
		{ "ntp = ntp!.example\n", "ntp 'ntp!.example' is not" },
	};
	char err[256];
	struct net_conf c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = 0;
		assert_int_equal(parse(&c, bad[i].text, err), -EINVAL);
		/* the place, then the reason */
		if (strncmp(err, "t.conf:", 7) || !strstr(err, bad[i].why))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err,
				 bad[i].why);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_precedence(void **state)
{
	char dir[] = "/tmp/netd-conf-XXXXXX", a[64], b[64], none[64], err[256];
	const char *paths[3];
	struct net_conf c, before;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/var.conf", dir);
	snprintf(b, sizeof(b), "%s/image.conf", dir);
	snprintf(none, sizeof(none), "%s/missing.conf", dir);
	paths[0] = a;
	paths[1] = none;
	paths[2] = b;

	/* nothing anywhere: the default, DHCP on NICs only */
	assert_int_equal(net_conf_load(&c, paths + 1, 1, err, sizeof(err)), 0);
	assert_int_equal(c.n_rules, 1);
	assert_true(c.rules[0].dhcp);
	assert_non_null(net_conf_match(&c, "eth0", NULL, 1));
	assert_null(net_conf_match(&c, "veth0", NULL, 0));
	assert_int_equal(c.ready_timeout_s, 30);
	assert_string_equal(ip(&c.pod_cidr), "10.88.0.0");

	assert_int_equal(c.n_ntp, 0);

	write_file(b, "dns = 192.0.2.1\nready_timeout = 5\nntp = image.ntp\n"
		      "[eth*]\ndhcp = yes\n[eth1]\naddress = 10.1.0.1/16\n");
	write_file(a, "ready_timeout = 9\n[eth1]\naddress = 10.2.0.1/16\n");
	assert_int_equal(net_conf_load(&c, paths, 3, err, sizeof(err)), 0);
	/* the more important file's rule comes first, its globals win, the
	 * other file's globals fill in */
	assert_string_equal(ip(&net_conf_match(&c, "eth1", NULL, 1)->addrs[0]),
			    "10.2.0.1");
	assert_true(net_conf_match(&c, "eth0", NULL, 1)->dhcp);
	assert_int_equal(c.ready_timeout_s, 9);
	assert_int_equal(c.dns.n_servers, 1);
	/* the image's servers (the build's CONFIG_KEEL_NTP_SERVERS), as
	 * no more important file sets any */
	assert_int_equal(c.n_ntp, 1);
	assert_string_equal(c.ntp[0], "image.ntp");
	/* `none` in a more important file: not even the image's */
	write_file(a, "ntp = none\n[eth1]\naddress = 10.2.0.1/16\n");
	assert_int_equal(net_conf_load(&c, paths, 3, err, sizeof(err)), 0);
	assert_int_equal(c.n_ntp, 0);
	write_file(a, "ntp = 10.0.0.1 10.0.0.2\n");
	assert_int_equal(net_conf_load(&c, paths, 3, err, sizeof(err)), 0);
	assert_int_equal(c.n_ntp, 2);
	assert_string_equal(c.ntp[1], "10.0.0.2");

	/* a bad file anywhere: the whole load fails and c is untouched */
	before = c;
	write_file(b, "[eth0]\nmtu = huge\n");
	assert_int_equal(net_conf_load(&c, paths, 3, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "image.conf:2: mtu must be"));
	assert_memory_equal(&before, &c, sizeof(c));

	unlink(a);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_load_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
