/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TLS_H
#define KEEL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * TLS client connections with BearSSL, the server checked against the
 * CA bundle in the image and the extra CAs the user gives (TLS_CA_PATHS).
 * TLS 1.2 (BearSSL has no 1.3).
 */

/* Where trusted CAs come from, in this order; each may be missing. */
#define TLS_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define TLS_CA_DIR "/etc/keel/ca.d"
#define TLS_CA_ESP "/boot/config/ca.crt"

struct tls;

/*
 * The CA certificates in PEM text, added to the trust anchors. Returns
 * how many were added, or -errno with a reason (a certificate BearSSL
 * cannot decode, bad PEM).
 */
int tls_anchors_add_pem(const char *pem, size_t len, char *err, size_t errlen);
/* The CAs of a PEM file; a missing or bad file is logged, not fatal. */
void tls_anchors_add_file(const char *path);
/* How many anchors are loaded; tls_anchors_load() reads the paths above. */
int tls_anchors_count(void);
void tls_anchors_load(void);
void tls_anchors_free(void);

/*
 * Start TLS on a connected socket for host (its certificate must name
 * it). The handshake runs on the first write; errors say what failed.
 */
struct tls *tls_open(int fd, const char *host, char *err, size_t errlen);
int tls_write_all(struct tls *t, const void *buf, size_t len, char *err,
		  size_t errlen);
/* Bytes read, 0 at the server's close_notify, -errno on error. */
ssize_t tls_read(struct tls *t, void *buf, size_t len);
/* The reason for the last failure, e.g. "certificate not trusted". */
const char *tls_error(struct tls *t);

/*
 * The last failure was a certificate outside its validity dates. Before
 * netd's first time sync of a boot the clock may be what is wrong (the
 * clock's floor is the last time the host knew, which can be old):
 * tls_wait_for_sync() waits for that sync, at most TLS_SYNC_WAIT_S,
 * and says whether it came, so the caller tries once more. False at
 * once when the clock was synced already: then the dates are wrong.
 */
#define TLS_SYNC_WAIT_S 120
bool tls_refused_dates(struct tls *t);
bool tls_wait_for_sync(const char *host);
void tls_close(struct tls *t);

#endif
