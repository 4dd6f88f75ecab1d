// SPDX-License-Identifier: MIT
/*
 * Pod networks: the bridge keel0 holds the first address of the pod
 * CIDR; each pod gets a veth pair, its end moved into the pod's network
 * namespace as eth0 with the next free address and a default route
 * through the bridge, and its host ports are DNAT rules in the
 * nftables tables, rebuilt whole whenever the set of ports changes,
 * beside the forward filter that keeps the host from routing anything
 * else; IPv4 forwarding goes on only once those are in. The pod table
 * lives in <run>/pods/<name> ("HOST [PORTS]") so a restarted netd knows
 * which addresses and ports are taken (pods outlive netd, not a boot).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errmsg.h"
#include "file.h"
#include "hostport.h"
#include "log.h"
#include "netd.h"

#define POD_BRIDGE "keel0"
#define POD_VETH_PREFIX "vk" /* then 8 hex digits */
#define POD_MODULES "/lib/modules/pods.list"
#define MAX_PODS 1024

struct pod {
	char name[64];
	uint32_t host; /* offset in the CIDR */
	struct hostport ports[POD_MAX_HOSTPORTS];
	int n_ports;
};

static struct pod *pods;
static int n_pods;
static bool loaded, fw_done;

/* 1-63 of [a-z0-9_.-]: a file name in the pod table, a log word. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('0' <= *s && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* A pod name in a request: 0, or -EINVAL with the reason in out. */
static int check_name(const char *name, char *out, size_t outlen)
{
	if (valid_name(name))
		return 0;
	return errmsg(out, outlen, -EINVAL,
		      "pod name '%s' must be 1-63 of [a-z0-9_.-]", name);
}

/* The host end's name: short, stable, and not taken by a rule. */
static void veth_name(const char *pod, char out[IF_NAMESIZE])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = pod; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, IF_NAMESIZE, POD_VETH_PREFIX "%08x", h);
}

bool pods_own_link(const char *name)
{
	return !strcmp(name, POD_BRIDGE) ||
	       !strncmp(name, POD_VETH_PREFIX, strlen(POD_VETH_PREFIX));
}

static uint32_t cidr_size(void)
{
	return 1u << (32 - netd.conf.pod_cidr.plen);
}

static uint32_t cidr_addr(uint32_t host)
{
	return htonl(ntohl(netd.conf.pod_cidr.ip.v4) + host);
}

static void pods_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/pods%s%s", netd.run_dir, name ? "/" : "",
		 name ? name : "");
}

/* The pod table a netd before this one left: -ENOMEM, else 0. */
static int load_table(void)
{
	char path[256], text[512], err[128];
	struct dirent *e;
	DIR *d;

	if (loaded)
		return pods ? 0 : -ENOMEM;
	loaded = true;
	pods = calloc(MAX_PODS, sizeof(*pods));
	if (!pods)
		return -ENOMEM;
	pods_path(path, sizeof(path), NULL);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n_pods < MAX_PODS) {
		struct pod *p = &pods[n_pods];
		char file[512], ports[400] = "";
		unsigned host;

		if (!valid_name(e->d_name) || e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (read_text(file, text, sizeof(text)) < 0 ||
		    sscanf(text, "%u %399s", &host, ports) < 1 || host < 2 ||
		    host >= cidr_size() - 1)
			continue;
		/* valid_name() kept it under 64 */
		memcpy(p->name, e->d_name, strlen(e->d_name) + 1);
		p->host = host;
		p->n_ports = hostports_parse(ports, p->ports, err, sizeof(err));
		if (p->n_ports < 0) {
			log_warn("unable to read the host ports in %s: %s",
				 file, err);
			p->n_ports = 0;
		}
		n_pods++;
	}
	closedir(d);
	return 0;
}

static struct pod *find(const char *name)
{
	for (int i = 0; i < n_pods; i++)
		if (!strcmp(pods[i].name, name))
			return &pods[i];
	return NULL;
}

/* The lowest free host number: .0 is the network, .1 the bridge. */
static uint32_t free_host(void)
{
	for (uint32_t h = 2; h < cidr_size() - 1; h++) {
		bool used = false;

		for (int i = 0; i < n_pods && !used; i++)
			used = pods[i].host == h;
		if (!used)
			return h;
	}
	return 0;
}

/* The DNAT rules every pod's host ports make. */
static int collect_dnat(struct nlm_dnat *d)
{
	int n = 0;

	for (int i = 0; i < n_pods; i++)
		for (int j = 0; j < pods[i].n_ports; j++)
			if (n < NLM_NFT_MAX_DNAT)
				d[n++] = (struct nlm_dnat){
					.proto = pods[i].ports[j].proto,
					.port = pods[i].ports[j].port,
					.to = cidr_addr(pods[i].host),
					.to_port = pods[i].ports[j].to,
				};
	return n;
}

/*
 * The forward filter, outbound NAT for the pod network and the pods'
 * host ports: one nftables batch (see nlm_nft_pods) that replaces both
 * tables whole, at the first pod-add of a netd and whenever the set of
 * host ports changes. 0, or -errno (the tables stay as they were).
 */
static int nft_setup(void)
{
	/* 70 KB: not on the stack */
	static char buf[NLM_NFT_BUF];
	static struct nlm_dnat dnat[NLM_NFT_MAX_DNAT];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	size_t len;
	ssize_t n;
	int r = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto close;
	}
	/* never hang the daemon on a kernel that does not answer */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 5 }, sizeof(struct timeval));
	len = nlm_nft_pods(buf, 1, netd.conf.pod_cidr.ip.v4,
			   netd.conf.pod_cidr.plen, POD_BRIDGE, dnat,
			   collect_dnat(dnat));
	if (mnl_socket_sendto(nl, buf, len) < 0) {
		r = -errno;
		goto close;
	}
	/* the first error, or the last rule's ack */
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, 0, mnl_socket_get_portid(nl),
			       NULL, NULL);
		if (r <= MNL_CB_STOP) {
			r = r == MNL_CB_ERROR ? -errno : 0;
			break;
		}
	}
close:
	mnl_socket_close(nl);
	return r;
}

/*
 * The kernel modules pods need (veth, bridge, nftables NAT) are on the
 * root filesystem, not in the initramfs: loaded here, the first time a
 * pod asks, in the order the build resolved from modules.dep. A module
 * already there (or built in) is fine.
 */
static void load_pod_modules(void)
{
	static bool done;
	char list[8192], *save = NULL;
	int loaded_now = 0;

	if (done || read_text(POD_MODULES, list, sizeof(list)) < 0) {
		done = true;
		return;
	}
	done = true;
	for (char *path = strtok_r(list, "\n", &save); path;
	     path = strtok_r(NULL, "\n", &save)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			if (errno != EEXIST)
				log_warn("unable to load %s: %s", path,
					 strerror(errno));
		} else {
			loaded_now++;
		}
		if (fd >= 0)
			close(fd);
	}
	if (loaded_now)
		log_info("loaded %d kernel modules for pod networks",
			 loaded_now);
}

static int call(struct nlmsghdr *nlh)
{
	return rtnl_call(&netd.req, nlh);
}

/*
 * The firewall, then IPv4 forwarding, once a netd: the host routes for
 * its pods only from the moment its forward chain decides what it
 * routes (forwarding is off at boot: nothing in /etc/sysctl.d turns it
 * on). If either fails the pod-add fails, forwarding stays off and the
 * next pod-add tries again. IPv6 forwarding is never turned on: pods
 * have no IPv6. 0, or -errno with the reason in out.
 */
static int firewall_up(char *out, size_t outlen)
{
	int r;

	if (fw_done)
		return 0;
	r = nft_setup();
	if (r)
		return errmsg(out, outlen, r,
			      "cannot set up the pod firewall (nftables: %s); "
			      "IPv4 forwarding stays off",
			      strerror(-r));
	r = write_text("/proc/sys/net/ipv4/ip_forward", "1\n");
	if (r)
		return errmsg_errno(out, outlen, r, -r,
				    "cannot turn on IPv4 forwarding");
	fw_done = true;
	log_info("pod network %s/%u: firewall and outbound NAT on, IPv4 "
		 "forwarding on",
		 inet_ntoa((struct in_addr){ netd.conf.pod_cidr.ip.v4 }),
		 netd.conf.pod_cidr.plen);
	return 0;
}

/* keel0 up with the first address, and the firewall: its index, or
 * -errno with the reason in out. */
static int bridge_up(char *out, size_t outlen)
{
	int index = (int)if_nametoindex(POD_BRIDGE), r;
	struct nlm_addr a = { .family = AF_INET,
			      .plen = netd.conf.pod_cidr.plen };
	struct nlm_link up = { .up = 1, .master = -1, .netns_fd = -1 };

	if (!index) {
		r = call(nlm_bridge_new(netd.nlbuf, rtnl_seq(&netd.req),
					POD_BRIDGE));
		if (r && r != -EEXIST)
			return errmsg_errno(out, outlen, r, -r,
					    "cannot create bridge %s",
					    POD_BRIDGE);
		index = (int)if_nametoindex(POD_BRIDGE);
	}
	up.index = a.index = index;
	a.addr.v4 = cidr_addr(1);
	if ((r = call(nlm_link_set(netd.nlbuf, rtnl_seq(&netd.req), &up))) ||
	    (r = call(nlm_addr(netd.nlbuf, rtnl_seq(&netd.req), 1, &a))))
		return errmsg_errno(out, outlen, r, -r,
				    "cannot set up bridge %s", POD_BRIDGE);
	/* pods reach the world through the host, masqueraded, and the
	 * world reaches them by their host ports alone */
	r = firewall_up(out, outlen);
	return r ? r : index;
}

/* In the pod's namespace (a child's): lo and eth0 up, the address, the
 * default route. 0 or -errno. */
static int inside(int nsfd, uint32_t addr, uint32_t gw, uint8_t plen)
{
	static struct rtnl ns;
	struct nlm_link up = { .up = 1, .master = -1, .netns_fd = -1 };
	struct nlm_addr a = { .family = AF_INET, .plen = plen };
	struct nlm_route rt = { .family = AF_INET, .protocol = RTPROT_STATIC };
	int r;

	if (setns(nsfd, CLONE_NEWNET))
		return -errno;
	if ((r = rtnl_open(&ns, 0)))
		return r;
	up.index = (int)if_nametoindex("lo");
	if ((r = rtnl_call(&ns, nlm_link_set(netd.nlbuf, rtnl_seq(&ns), &up))))
		return r;
	up.index = a.index = rt.index = (int)if_nametoindex("eth0");
	if (!up.index)
		return -ENODEV;
	a.addr.v4 = addr;
	rt.gw.v4 = gw;
	if ((r = rtnl_call(&ns,
			   nlm_link_set(netd.nlbuf, rtnl_seq(&ns), &up))) ||
	    (r = rtnl_call(&ns, nlm_addr(netd.nlbuf, rtnl_seq(&ns), 1, &a))))
		return r;
	return rtnl_call(&ns, nlm_route(netd.nlbuf, rtnl_seq(&ns), 1, &rt));
}

/* inside(), in a child: netd itself stays in its own namespace. */
static int configure_inside(int nsfd, uint32_t addr, char *out, size_t outlen)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errmsg_errno(out, outlen, -errno, errno, "fork");
	if (pid == 0)
		_exit(-inside(nsfd, addr, cidr_addr(1),
			      netd.conf.pod_cidr.plen));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status))
		return errmsg(out, outlen, -ECHILD,
			      "cannot configure eth0 in the pod: helper "
			      "crashed");
	if (WEXITSTATUS(status))
		return errmsg_errno(out, outlen, -WEXITSTATUS(status),
				    WEXITSTATUS(status),
				    "cannot configure eth0 in the pod");
	return 0;
}

static void del_veth(const char *name)
{
	int index = (int)if_nametoindex(name);

	if (index)
		call(nlm_link_del(netd.nlbuf, rtnl_seq(&netd.req), index));
}

/*
 * Each host port (protocol and number) belongs to one pod; the table of
 * rules has room for NLM_NFT_MAX_DNAT. 0, or -EADDRINUSE or -ENOSPC
 * with the reason in out.
 */
static int hostports_free(const char *name, const struct hostport *hp, int n,
			  char *out, size_t outlen)
{
	int total = n;

	for (int i = 0; i < n_pods; i++) {
		if (!strcmp(pods[i].name, name))
			continue;
		total += pods[i].n_ports;
		for (int j = 0; j < pods[i].n_ports; j++)
			for (int k = 0; k < n; k++)
				if (pods[i].ports[j].proto == hp[k].proto &&
				    pods[i].ports[j].port == hp[k].port)
					return errmsg(
						out, outlen, -EADDRINUSE,
						"host port %s/%u is taken by "
						"pod %s",
						hostport_proto(hp[k].proto),
						hp[k].port, pods[i].name);
	}
	if (total > NLM_NFT_MAX_DNAT)
		return errmsg(out, outlen, -ENOSPC,
			      "more than %d host ports on this machine",
			      NLM_NFT_MAX_DNAT);
	return 0;
}

static bool same_ports(const struct hostport *a, int na,
		       const struct hostport *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (a[i].proto != b[i].proto || a[i].port != b[i].port ||
		    a[i].to != b[i].to)
			return false;
	return true;
}

/* <run>/pods/<name>: "HOST [PORTS]" */
static void save(const struct pod *p)
{
	char path[512], text[400];
	int len, r;

	pods_path(path, sizeof(path), NULL);
	mkdir(path, 0755);
	pods_path(path, sizeof(path), p->name);
	len = snprintf(text, sizeof(text), "%u", p->host);
	if (p->n_ports) {
		text[len++] = ' ';
		hostports_format(p->ports, p->n_ports, text + len,
				 sizeof(text) - (size_t)len - 1);
		len = (int)strlen(text);
	}
	text[len++] = '\n';
	r = write_atomic(path, text, (size_t)len, 0644);
	if (r)
		log_warn("unable to write %s: %s", path, strerror(-r));
}

/*
 * What a pod-add asks for, checked before anything is made: a pod
 * name, and host ports well formed and free. The number of ports, or
 * -errno with the reason in out.
 */
static int check_request(const char *name, const char *ports,
			 struct hostport *hp, char *out, size_t outlen)
{
	int n, r = load_table();

	if (r)
		return errmsg(out, outlen, r, "out of memory");
	r = check_name(name, out, outlen);
	if (r)
		return r;
	n = hostports_parse(ports, hp, out, outlen);
	if (n < 0)
		return n;
	r = hostports_free(name, hp, n, out, outlen);
	return r ? r : n;
}

/*
 * The pod's link: the veth pair, host_if on keel0 and eth0 in the
 * pod's namespace with the address of host. 0, or -errno with the
 * reason in out, and no veth left behind.
 */
static int make_link(int nsfd, uint32_t host, const char *host_if, int bridge,
		     char *out, size_t outlen)
{
	struct nlm_link port = { .up = 1, .master = bridge, .netns_fd = -1 };
	int r;

	del_veth(host_if); /* a leftover from a pod of the same name */
	r = call(nlm_veth_new(netd.nlbuf, rtnl_seq(&netd.req), host_if, "eth0",
			      nsfd));
	if (r)
		return errmsg_errno(out, outlen, r, -r,
				    "cannot create the veth pair %s/eth0",
				    host_if);
	port.index = (int)if_nametoindex(host_if);
	r = call(nlm_link_set(netd.nlbuf, rtnl_seq(&netd.req), &port));
	if (r)
		errmsg_errno(out, outlen, r, -r, "cannot attach %s to %s",
			     host_if, POD_BRIDGE);
	else
		r = configure_inside(nsfd, cidr_addr(host), out, outlen);
	if (r)
		del_veth(host_if);
	return r;
}

/*
 * The pod in the table with its host ports, and their rules when they
 * changed. 0, or -errno with the reason in out: the table and the
 * kernel's rules then stay as they were.
 */
static int set_ports(const char *name, uint32_t host, const struct hostport *hp,
		     int n_hp, char *out, size_t outlen)
{
	struct hostport old[POD_MAX_HOSTPORTS];
	struct pod *p = find(name);
	bool is_new = !p;
	int n_old, r;

	if (is_new) {
		if (n_pods == MAX_PODS)
			return errmsg(out, outlen, -ENOSPC, "more than %d pods",
				      MAX_PODS);
		/* a slot a pod-del left may hold that pod's ports */
		p = &pods[n_pods++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->host = host;
	}
	n_old = p->n_ports;
	memcpy(old, p->ports, sizeof(old));
	p->n_ports = n_hp;
	memcpy(p->ports, hp, sizeof(old));
	if (!same_ports(old, n_old, hp, n_hp)) {
		r = nft_setup();
		if (r) {
			/* the batch failed whole: the kernel still has the
			 * old rules */
			if (is_new) {
				n_pods--;
			} else {
				p->n_ports = n_old;
				memcpy(p->ports, old, sizeof(old));
			}
			return errmsg(out, outlen, r,
				      "cannot set up host ports (nftables: %s)",
				      strerror(-r));
		}
	}
	save(p);
	return 0;
}

/* A pod's network: what it asks is checked, then made, then recorded. */
int pods_add(const char *name, const char *netns, const char *ports, char *out,
	     size_t outlen)
{
	char host_if[IF_NAMESIZE], ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN],
		hp_text[400];
	struct hostport hp[POD_MAX_HOSTPORTS];
	struct pod *p;
	int bridge, nsfd = -1, r, n_hp;
	uint32_t host;

	/* a bad or taken port is refused before anything is made */
	r = n_hp = check_request(name, ports, hp, out, outlen);
	if (r < 0)
		goto refused;
	nsfd = open(netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = errmsg_errno(out, outlen, -errno, errno, "%s", netns);
		goto refused;
	}
	load_pod_modules();
	r = bridge = bridge_up(out, outlen);
	if (r < 0)
		goto refused;
	p = find(name);
	host = p ? p->host : free_host();
	if (!host) {
		r = errmsg(out, outlen, -ENOSPC,
			   "no free address left in the pod network");
		goto refused;
	}
	veth_name(name, host_if);
	r = make_link(nsfd, host, host_if, bridge, out, outlen);
	if (r)
		goto refused;
	r = set_ports(name, host, hp, n_hp, out, outlen);
	if (r) {
		del_veth(host_if);
		goto refused;
	}
	close(nsfd);
	inet_ntop(AF_INET, &(uint32_t){ cidr_addr(host) }, ip, sizeof(ip));
	inet_ntop(AF_INET, &(uint32_t){ cidr_addr(1) }, gw, sizeof(gw));
	snprintf(out, outlen, "address %s/%u gateway %s interface %s", ip,
		 netd.conf.pod_cidr.plen, gw, host_if);
	hostports_format(hp, n_hp, hp_text, sizeof(hp_text));
	log_info("pod %s: %s%s%s", name, out, n_hp ? ", host ports " : "",
		 hp_text);
	return 0;
refused:
	if (nsfd >= 0)
		close(nsfd);
	log_warn("unable to add pod %s: %s", name, out);
	return r;
}

int pods_del(const char *name, char *out, size_t outlen)
{
	char host_if[IF_NAMESIZE], path[512];
	struct pod *p;
	int had_ports, r = load_table();

	if (check_name(name, out, outlen))
		return -EINVAL;
	veth_name(name, host_if);
	del_veth(host_if);
	p = r ? NULL : find(name);
	if (!p)
		return errmsg(out, outlen, -ENOENT, "pod %s has no network",
			      name);
	had_ports = p->n_ports;
	*p = pods[--n_pods];
	pods_path(path, sizeof(path), name);
	unlink(path);
	/* its DNAT rules go before its address can go to another pod */
	if (had_ports && (r = nft_setup()))
		log_warn("unable to remove the host ports of pod %s "
			 "(nftables: %s): they stay until the next change",
			 name, strerror(-r));
	snprintf(out, outlen, "pod %s: network released", name);
	log_info("%s", out);
	return 0;
}
