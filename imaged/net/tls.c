// SPDX-License-Identifier: MIT
#include "net/tls.h"
#include "errmsg.h"

#include <bearssl.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"

static br_x509_trust_anchor *anchors;
static int nanchors, anchors_cap;
static int anchors_loaded;

struct buf {
	unsigned char *data;
	size_t len, cap;
	int oom;
};

static void buf_append(void *ctx, const void *src, size_t len)
{
	struct buf *b = ctx;

	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		unsigned char *d = realloc(b->data, cap);
		if (!d) {
			b->oom = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, src, len);
	b->len += len;
}

static void *dup_bytes(const void *p, size_t len)
{
	void *d = malloc(len ? len : 1);
	if (d)
		memcpy(d, p, len);
	return d;
}

/* One DER certificate as a trust anchor (its name and its key). */
static int anchor_from_der(const unsigned char *der, size_t len, char *err,
			   size_t errlen)
{
	br_x509_decoder_context dc;
	struct buf dn = { 0 };
	br_x509_trust_anchor ta = { 0 };

	br_x509_decoder_init(&dc, buf_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn.oom) {
		free(dn.data);
		return errmsg(err, errlen, -EINVAL,
			      "a CA certificate does not decode (BearSSL "
			      "error %d)",
			      br_x509_decoder_last_error(&dc));
	}
	ta.dn.data = dn.data;
	ta.dn.len = dn.len;
	ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta.pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta.pkey.key.rsa.n = dup_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
		ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta.pkey.key.rsa.e = dup_bytes(pk->key.rsa.e, pk->key.rsa.elen);
		ta.pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		ta.pkey.key.ec.curve = pk->key.ec.curve;
		ta.pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
		ta.pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	if (nanchors == anchors_cap) {
		int cap = anchors_cap ? anchors_cap * 2 : 64;
		br_x509_trust_anchor *a = realloc(anchors, cap * sizeof(*a));
		if (!a)
			return errmsg(err, errlen, -ENOMEM, "out of memory");
		anchors = a;
		anchors_cap = cap;
	}
	anchors[nanchors++] = ta;
	return 0;
}

int tls_anchors_add_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	br_pem_decoder_context pc;
	struct buf der = { 0 };
	int added = 0, in_cert = 0, r = 0;

	br_pem_decoder_init(&pc);
	while (len > 0) {
		size_t n = br_pem_decoder_push(&pc, pem, len);
		pem += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_cert = !strcmp(br_pem_decoder_name(&pc),
					  "CERTIFICATE") ||
				  !strcmp(br_pem_decoder_name(&pc),
					  "X509 CERTIFICATE");
			der.len = 0;
			br_pem_decoder_setdest(&pc, in_cert ? buf_append : NULL,
					       &der);
			break;
		case BR_PEM_END_OBJ:
			if (in_cert) {
				if (der.oom) {
					r = errmsg(err, errlen, -ENOMEM,
						   "out of memory");
					goto out;
				}
				if ((r = anchor_from_der(der.data, der.len, err,
							 errlen)))
					goto out;
				added++;
			}
			in_cert = 0;
			break;
		case BR_PEM_ERROR:
			r = errmsg(err, errlen, -EINVAL, "not PEM text");
			goto out;
		}
	}
out:
	free(der.data);
	return r ? r : added;
}

int tls_anchors_count(void)
{
	return nanchors;
}

void tls_anchors_add_file(const char *path)
{
	char err[160];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct buf b = { 0 };
	char chunk[8192];
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, n);
	close(fd);
	if (!b.oom) {
		int r = tls_anchors_add_pem((const char *)b.data, b.len, err,
					    sizeof(err));
		if (r < 0)
			fprintf(stderr,
				"imaged: %s: %s; its CAs are not "
				"trusted\n",
				path, err);
	}
	free(b.data);
}

void tls_anchors_load(void)
{
	if (anchors_loaded)
		return;
	anchors_loaded = 1;
	tls_anchors_add_file(TLS_CA_BUNDLE);
	DIR *d = opendir(TLS_CA_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char path[300];
		if (l > 4 && !strcmp(e->d_name + l - 4, ".crt")) {
			snprintf(path, sizeof(path), TLS_CA_DIR "/%s",
				 e->d_name);
			tls_anchors_add_file(path);
		}
	}
	if (d)
		closedir(d);
	tls_anchors_add_file(TLS_CA_ESP);
}

void tls_anchors_free(void)
{
	for (int i = 0; i < nanchors; i++) {
		br_x509_trust_anchor *ta = &anchors[i];
		free(ta->dn.data);
		if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
			free(ta->pkey.key.rsa.n);
			free(ta->pkey.key.rsa.e);
		} else {
			free(ta->pkey.key.ec.q);
		}
	}
	free(anchors);
	anchors = NULL;
	nanchors = anchors_cap = anchors_loaded = 0;
}

struct tls {
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	br_sslio_context io;
	int fd;
	char host[256];
	char why[600]; /* room for a 255-byte host name and advice */
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(*(int *)ctx, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? (int)n : -1; /* BearSSL: -1 for EOF too */
	}
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	for (;;) {
		ssize_t n = write(*(int *)ctx, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? (int)n : -1;
	}
}

struct tls *tls_open(int fd, const char *host, char *err, size_t errlen)
{
	struct tls *t;

	tls_anchors_load();
	if (!nanchors) {
		errmsg(err, errlen, -ENOENT, "no trusted CA certificates (%s)",
		       TLS_CA_BUNDLE);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errmsg(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	t->fd = fd;
	snprintf(t->host, sizeof(t->host), "%s", host);
	br_ssl_client_init_full(&t->sc, &t->xc, anchors, nanchors);
	br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof(t->iobuf), 1);
	/* the certificate must name this host (RFC 6125 via BearSSL) */
	br_ssl_client_reset(&t->sc, t->host, 0);
	br_sslio_init(&t->io, &t->sc.eng, sock_read, &t->fd, sock_write,
		      &t->fd);
	return t;
}

const char *tls_error(struct tls *t)
{
	int e = br_ssl_engine_last_error(&t->sc.eng);

	switch (e) {
	case BR_ERR_OK:
		snprintf(t->why, sizeof(t->why), "connection closed");
		break;
	case BR_ERR_X509_NOT_TRUSTED:
		snprintf(t->why, sizeof(t->why),
			 "TLS: %s's certificate is not signed by a trusted CA",
			 t->host);
		break;
	case BR_ERR_X509_BAD_SERVER_NAME: {
		unsigned char a[16];
		bool ip = inet_pton(AF_INET, t->host, a) == 1 ||
			  inet_pton(AF_INET6, t->host, a) == 1;
		/* BearSSL matches the name against DNS names only */
		snprintf(t->why, sizeof(t->why),
			 "TLS: the certificate is not for %s%s", t->host,
			 ip ? " (an address is matched against the "
			      "certificate's DNS names only, not its IP "
			      "addresses: name the server by a DNS name it "
			      "carries)"
			    : "");
		break;
	}
	case BR_ERR_X509_EXPIRED:
		snprintf(t->why, sizeof(t->why),
			 "TLS: %s's certificate has expired or is not valid "
			 "yet (%s)",
			 t->host,
			 clock_synced()
				 ? "the clock is synced"
				 : "is the clock right? no time sync yet");
		break;
	case BR_ERR_IO:
		snprintf(t->why, sizeof(t->why), "TLS: connection lost");
		break;
	default:
		snprintf(t->why, sizeof(t->why), "TLS: error %d with %s", e,
			 t->host);
	}
	return t->why;
}

bool tls_refused_dates(struct tls *t)
{
	return br_ssl_engine_last_error(&t->sc.eng) == BR_ERR_X509_EXPIRED;
}

bool tls_wait_for_sync(const char *host)
{
	if (clock_synced())
		return false;
	fprintf(stderr,
		"imaged: %s's certificate is outside its dates and the clock "
		"is not synced yet: waiting up to %d s for the time sync\n",
		host, TLS_SYNC_WAIT_S);
	for (int i = 0; i < TLS_SYNC_WAIT_S && !clock_synced(); i++)
		sleep(1);
	return clock_synced();
}

int tls_write_all(struct tls *t, const void *buf, size_t len, char *err,
		  size_t errlen)
{
	if (br_sslio_write_all(&t->io, buf, len) || br_sslio_flush(&t->io)) {
		int e = br_ssl_engine_last_error(&t->sc.eng);
		/* a certificate we refuse will be refused again: no retries */
		return errmsg(err, errlen,
			      e >= BR_ERR_X509_OK && e < BR_ERR_X509_OK + 32
				      ? -EKEYREJECTED
				      : -EPROTO,
			      "%s", tls_error(t));
	}
	return 0;
}

ssize_t tls_read(struct tls *t, void *buf, size_t len)
{
	int n = br_sslio_read(&t->io, buf, len);

	if (n > 0)
		return n;
	/* a clean close_notify is the end of the data */
	return br_ssl_engine_last_error(&t->sc.eng) == BR_ERR_OK ? 0 : -EPROTO;
}

void tls_close(struct tls *t)
{
	free(t);
}
