/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NTP_H
#define KEEL_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * The pieces of NTPv4 (RFC 5905) an SNTP client needs, with no socket
 * and no clock: the request, the reply's parser and sanity checks,
 * the offset and delay of one exchange (section 8), and the choice
 * among several servers' answers (section 11.2). Replies come from
 * whoever answers: the parser checks the length and never reads past
 * it.
 *
 * Timestamps are NTP's 64-bit format, 32.32 fixed-point seconds since
 * 1900 (section 6). Differences between two of them are taken modulo
 * 2^64, as section 6 says, so they are right across an era boundary as
 * long as the two are within 68 years; they come back as signed
 * nanoseconds.
 */
#define NTP_PORT 123
#define NTP_PACKET_LEN 48 /* the header; extension fields and MAC ignored */
#define NTP_UNIX_EPOCH 2208988800u /* 1970 in NTP seconds (era 0) */
#define NTP_HOST_MAX 128 /* a server as written: name, [v6]:port */

/* Section 7.3, figure 8: the packet header. */
struct ntp_packet {
	uint8_t leap; /* LI: 0 none, 1 +1 s, 2 -1 s, 3 unsynchronised */
	uint8_t version;
	uint8_t mode; /* 3 client, 4 server */
	uint8_t stratum; /* 0 kiss-o'-death, 1 primary, 16 unsynchronised */
	int8_t poll;
	int8_t precision; /* log2 seconds */
	uint32_t root_delay, root_disp; /* 16.16 seconds */
	uint32_t refid; /* network order: a kiss code at stratum 0 */
	uint64_t ref, org, rec, xmt;
};

/*
 * A client request (mode 3, version 4) into buf, NTP_PACKET_LEN bytes.
 * Every field is zero but the transmit timestamp, which carries nonce:
 * the server echoes it as the origin timestamp, and a reply that does
 * not is no answer to us (section 8). Random, not our clock's time, as
 * chrony sends and draft-ietf-ntp-data-minimization asks: an off-path
 * forger cannot guess it and the request says nothing of our clock.
 */
void ntp_request_build(uint8_t *buf, uint64_t nonce);

/*
 * A server's reply: at least the 48-byte header, mode 4 (server),
 * version 1 to 4. 0, or -EBADMSG with the reason in why.
 */
int ntp_reply_parse(const uint8_t *buf, size_t len, struct ntp_packet *p,
		    char *why, size_t whylen);

/*
 * Section 8's tests on a parsed reply to the request that carried
 * nonce, the kiss codes of section 7.4 among them:
 * -EBADMSG: the origin timestamp is not ours, leap 3 (unsynchronised),
 *   stratum 16 or more, a zero receive or transmit timestamp, a root
 *   distance over NTP_MAXDIST, any other kiss code;
 * -EAGAIN: kiss code RATE, poll less often;
 * -EACCES: kiss codes DENY and RSTR, stop asking this server.
 * The origin is checked first: a forged kiss-o'-death is ignored.
 */
int ntp_reply_check(const struct ntp_packet *p, uint64_t nonce, char *why,
		    size_t whylen);

/* Unix time in nanoseconds as an NTP timestamp, and a difference. */
uint64_t ntp_from_unix_ns(int64_t ns);
int64_t ntp_diff_ns(uint64_t a, uint64_t b);
/* The 16.16 short format (root delay and dispersion) in nanoseconds. */
int64_t ntp_short_ns(uint32_t v);

#define NTP_NS 1000000000LL
#define NTP_MAXDIST_NS NTP_NS /* section 7.2: MAXDIST, 1 s */
#define NTP_MINDISP_NS 10000000LL /* section 7.2: MINDISP, 10 ms */
#define NTP_PHI_PPM 15 /* section 7.2: PHI, the clock's frequency tolerance */

/* One exchange: what it says about our clock. */
struct ntp_sample {
	int64_t offset_ns; /* theta: the server's clock minus ours */
	int64_t delay_ns; /* delta: the round trip, less the server's turn */
	int64_t dist_ns; /* lambda: the true time is within offset +- dist */
};

/*
 * Section 8: t1 our time when the request left, t4 when the reply
 * came (our clock, NTP format), T2 and T3 the server's (rec, xmt):
 *   offset = ((T2 - T1) + (T3 - T4)) / 2
 *   delay  = (T4 - T1) - (T3 - T2), at least 0
 * and the root distance (appendix A.5.5.2, root_dist()): half of the
 * root delay plus this delay (at least MINDISP), plus the root
 * dispersion and this sample's dispersion, the server's precision and
 * PHI times the time the exchange took (section 8's epsilon). One
 * sample has no jitter.
 */
void ntp_sample_make(const struct ntp_packet *p, uint64_t t1, uint64_t t4,
		     struct ntp_sample *s);

#define NTP_SELECT_MAX 16

/*
 * Section 11.2.1, the selection algorithm (Marzullo's, as NTP has it):
 * each sample's correctness interval is [offset - dist, offset + dist].
 * Find the smallest number f of falsetickers, fewer than half of n,
 * such that some interval lies in at least n - f correctness intervals
 * and holds every midpoint but at most f. The samples whose midpoints
 * lie in it are the truechimers, marked in good[]. Returns how many,
 * 0 when no majority agrees (then good[] is all false). n is at most
 * NTP_SELECT_MAX.
 */
int ntp_select(const struct ntp_sample *s, int n, bool *good);

/*
 * Section 11.2.3, the combine algorithm: the truechimers' offsets
 * averaged, each weighted by the inverse of its root distance. The
 * best (smallest distance) truechimer's index goes into *best.
 */
int64_t ntp_combine(const struct ntp_sample *s, int n, const bool *good,
		    int *best);

/*
 * A server as network.conf and the build write it: a DNS name, an IPv4
 * address or an IPv6 address, with a port after a colon (IPv6 in
 * brackets then: [2001:db8::1]:1123); port 123 when none. The host
 * goes to name (without brackets). 0 or -EINVAL.
 */
int ntp_host_parse(const char *s, char *name, size_t namelen, uint16_t *port);

/* name as an address literal into *sa: 0, or -EINVAL for a name. */
int ntp_host_addr(const char *name, uint16_t port, struct sockaddr_storage *sa,
		  socklen_t *salen);

#endif
