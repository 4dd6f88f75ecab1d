// SPDX-License-Identifier: MIT
/*
 * The packet socket a link's DHCP client speaks through: its BPF
 * filter, frames built and parsed (dhcp_msg.c), checksum offload. No
 * client logic: links.c feeds what comes here to the client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "clock.h"
#include "log.h"
#include "netd.h"

/*
 * Only unfragmented UDP to port 68 reaches the socket: on a busy link
 * netd then wakes for DHCP and nothing else. Offsets are from the IP
 * header (SOCK_DGRAM strips the link layer).
 */
static struct sock_filter dhcp_filter[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), /* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6), /* flags + fragment offset */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* x = header length */
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2), /* UDP destination port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_CLIENT_PORT, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

int dhcpio_open(struct link *l)
{
	struct sock_fprog prog = {
		.len = sizeof(dhcp_filter) / sizeof(dhcp_filter[0]),
		.filter = dhcp_filter,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = l->index,
	};
	int fd, r;

	if (l->pkt_fd >= 0)
		return 0;
	/* protocol 0 until bound: nothing queues before the filter is on */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &(int){ 1 },
		       sizeof(int)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		r = -errno;
		close(fd);
		return r;
	}
	l->pkt_fd = fd;
	return 0;
}

void dhcpio_close(struct link *l)
{
	if (l->pkt_fd >= 0)
		close(l->pkt_fd);
	l->pkt_fd = -1;
}

int dhcpio_send(struct link *l, const uint8_t *msg, size_t len, uint32_t dst)
{
	uint8_t frame[DHCP_MSG_MAX + 28];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = l->index,
		.sll_halen = 6,
	};
	uint32_t src = l->dhcp.have_lease ? l->dhcp.lease.addr : 0;
	size_t n;

	if (dst == DHCP_BROADCAST)
		memset(sll.sll_addr, 0xff, 6);
	else
		memcpy(sll.sll_addr, l->server_mac, 6);
	n = dhcp_frame_build(frame, src, dst, msg, len);
	if (sendto(l->pkt_fd, frame, n, 0, (struct sockaddr *)&sll,
		   sizeof(sll)) < 0)
		return -errno;
	return 0;
}

/* A hostile or broken server may send a flood: say so once in a while. */
static void bad_packet(struct link *l, const struct sockaddr_ll *from,
		       const char *why)
{
	long now = monotonic_ms();

	l->bad_count++;
	if (l->bad_logged_ms && now - l->bad_logged_ms < 10000)
		return;
	log_warn("%s: dhcp: ignoring a bad packet from "
		 "%02x:%02x:%02x:%02x:%02x:%02x: %s (%u so far)",
		 l->name, from->sll_addr[0], from->sll_addr[1],
		 from->sll_addr[2], from->sll_addr[3], from->sll_addr[4],
		 from->sll_addr[5], why, l->bad_count);
	l->bad_logged_ms = now;
}

/*
 * A packet from this host (a veth, a bridge) may carry a checksum still
 * to be filled in by offload: there is nothing to check yet, so it is
 * zeroed, which UDP reads as "none computed".
 */
static void offload_checksum(struct msghdr *mh, uint8_t *buf, size_t n)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		struct tpacket_auxdata aux;

		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		if (aux.tp_status & TP_STATUS_CSUMNOTREADY && n >= 28 &&
		    (size_t)((buf[0] & 0xf) * 4 + 8) <= n)
			memset(buf + (buf[0] & 0xf) * 4 + 6, 0, 2);
	}
}

int dhcpio_recv(struct link *l, struct dhcp_msg *m)
{
	uint8_t buf[2048];
	struct sockaddr_ll from;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
	};
	const uint8_t *payload;
	size_t plen;
	uint32_t src;
	char why[80];
	ssize_t n = recvmsg(l->pkt_fd, &mh, 0);

	if (n < 0)
		return -errno;
	offload_checksum(&mh, buf, (size_t)n);
	if (from.sll_pkttype == PACKET_OUTGOING)
		return -ENOMSG;
	if (dhcp_frame_parse(buf, (size_t)n, &payload, &plen, &src, why,
			     sizeof(why)) ||
	    dhcp_msg_parse(payload, plen, m, why, sizeof(why))) {
		bad_packet(l, &from, why);
		return -ENOMSG;
	}
	if (m->xid != l->dhcp.xid || memcmp(m->chaddr, l->mac, 6))
		return -ENOMSG;
	if (from.sll_halen == 6)
		memcpy(l->server_mac, from.sll_addr, 6);
	return 0;
}
