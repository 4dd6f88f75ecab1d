// SPDX-License-Identifier: MIT
#include "os/channel.h"
#include "errmsg.h"

#include <cJSON.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

/* The largest whole number a JSON number (a double) holds exactly. */
#define JSON_INT_MAX 9007199254740992.0

static const char *str_field(const cJSON *o, const char *name, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsString(v) || !v->valuestring[0] ||
	    strlen(v->valuestring) >= max)
		return NULL;
	for (const char *c = v->valuestring; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return NULL;
	return v->valuestring;
}

/* A whole number in [min, max]. */
static bool num_field(const cJSON *o, const char *name, double min, double max,
		      long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min) ||
	    !(v->valuedouble <= max) ||
	    v->valuedouble != (long long)v->valuedouble)
		return false;
	*out = (long long)v->valuedouble;
	return true;
}

/* 64 lowercase hex digits. */
static bool digest_field(const cJSON *o, const char *name, uint8_t out[32])
{
	const char *s = str_field(o, name, 65);

	return s && strlen(s) == 64 && !hex_decode(s, out, 32);
}

/* Where a format 2 entry may point: a web server, or a file (a USB stick). */
static bool url_ok(const char *url)
{
	return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8) ||
	       !strncmp(url, "file:///", 8);
}

static int bad(char *err, size_t errlen, const char *why)
{
	return errmsg(err, errlen, -EINVAL, "channel: %s", why);
}

/* format 2: the bundle bound by its size and two digests */
static int parse_binding(struct channel *ch, const cJSON *b, char *err,
			 size_t errlen)
{
	long long size;

	if (!url_ok(ch->url))
		return bad(err, errlen,
			   "\"url\" is not http://, https:// or file:///");
	if (!num_field(b, "size", 1, JSON_INT_MAX, &size))
		return bad(err, errlen, "\"size\" is not a whole number > 0");
	if (!digest_field(b, "sha256", ch->sha256))
		return bad(err, errlen, "\"sha256\" is not 64 hex digits");
	if (!digest_field(b, "manifest_sha256", ch->manifest_sha256))
		return bad(err, errlen,
			   "\"manifest_sha256\" is not 64 hex digits");
	ch->size = size;
	ch->bound = true;
	return 0;
}

/* The board's entry: what to install, and how many hosts take it now. */
static int parse_entry(struct channel *ch, const cJSON *b, char *err,
		       size_t errlen)
{
	const char *version = str_field(b, "version", sizeof(ch->version));
	const char *url = str_field(b, "url", sizeof(ch->url));
	long long rollout;

	if (!cJSON_IsObject(b) || !version || !url)
		return bad(err, errlen,
			   "an entry needs \"version\" and \"url\" strings");
	if (!num_field(b, "rollout", 0, 100, &rollout))
		return bad(err, errlen,
			   "\"rollout\" is not a whole percentage 0..100");
	strcpy(ch->version, version);
	strcpy(ch->url, url);
	ch->rollout = (int)rollout;
	ch->os = true;
	return ch->format >= 2 ? parse_binding(ch, b, err, errlen) : 0;
}

/* Kept, checked, and not acted on yet. */
static int parse_workloads(struct channel_workloads *w, const cJSON *o,
			   char *err, size_t errlen)
{
	const char *url = str_field(o, "url", sizeof(w->url));
	long long rollout;

	if (!cJSON_IsObject(o) ||
	    !num_field(o, "revision", 1, JSON_INT_MAX, &w->revision))
		return bad(err, errlen,
			   "\"workloads\" needs a whole \"revision\" >= 1");
	if (!num_field(o, "rollout", 0, 100, &rollout))
		return bad(err, errlen,
			   "\"workloads\": \"rollout\" is not a whole "
			   "percentage 0..100");
	if (!url || !url_ok(url))
		return bad(err, errlen,
			   "\"workloads\": \"url\" is not http://, https:// "
			   "or file:///");
	if (!digest_field(o, "sha256", w->sha256))
		return bad(err, errlen,
			   "\"workloads\": \"sha256\" is not 64 hex digits");
	strcpy(w->url, url);
	w->rollout = (int)rollout;
	w->given = true;
	return 0;
}

/* format 2's document-wide fields */
static int parse_v2(struct channel *ch, const cJSON *root, char *err,
		    size_t errlen)
{
	const char *exp = str_field(root, "expires", sizeof(ch->expires));
	const cJSON *floor =
		cJSON_GetObjectItemCaseSensitive(root, "min_version");
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(root, "workloads");

	if (!exp || rfc3339_parse(exp, &ch->expires_at))
		return bad(err, errlen,
			   "\"expires\" is not an RFC 3339 UTC time "
			   "(2027-01-31T00:00:00Z)");
	strcpy(ch->expires, exp);
	if (floor) {
		const char *v =
			str_field(root, "min_version", sizeof(ch->min_version));
		if (!v)
			return bad(err, errlen,
				   "\"min_version\" is not a version");
		strcpy(ch->min_version, v);
	}
	return wl ? parse_workloads(&ch->workloads, wl, err, errlen) : 0;
}

static int parse_root(struct channel *ch, const cJSON *root, const char *board,
		      char *err, size_t errlen)
{
	long long format;
	int r;

	if (!cJSON_IsObject(root))
		return bad(err, errlen, "not a JSON object");
	if (!num_field(root, "format", 1, 2, &format))
		return bad(err, errlen,
			   "format is not 1 or 2 (a newer format needs a "
			   "newer keel)");
	ch->format = (int)format;
	if (!num_field(root, "serial", 0, JSON_INT_MAX, &ch->serial))
		return bad(err, errlen,
			   "\"serial\" is not a whole number >= 0");
	if (ch->format >= 2 && (r = parse_v2(ch, root, err, errlen)))
		return r;
	const cJSON *boards = cJSON_GetObjectItemCaseSensitive(root, "boards");
	if (!cJSON_IsObject(boards))
		return bad(err, errlen, "no \"boards\" object");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(boards, board);
	return b ? parse_entry(ch, b, err, errlen) : 0;
}

int channel_parse(struct channel *ch, const char *json, size_t len,
		  const char *board, char *err, size_t errlen)
{
	memset(ch, 0, sizeof(*ch));
	if (len > CHANNEL_MAX || memchr(json, '\0', len))
		return bad(err, errlen, "not a JSON document");
	cJSON *root = cJSON_ParseWithLength(json, len);
	int r = parse_root(ch, root, board, err, errlen);

	cJSON_Delete(root);
	if (r) {
		memset(ch, 0, sizeof(*ch));
		return r;
	}
	return 0;
}

void channel_digest(const char *doc, size_t len, bool context, uint8_t out[32])
{
	struct sha256_ctx sha;

	sha256_init(&sha);
	if (context)
		sha256_update(&sha, CHANNEL_CONTEXT_LEN,
			      (const uint8_t *)CHANNEL_CONTEXT);
	sha256_update(&sha, len, (const uint8_t *)doc);
	sha256_digest(&sha, SHA256_DIGEST_SIZE, out);
}

/*
 * What a bare signature may be over: a JSON object, past a UTF-8 byte
 * order mark and white space (what cJSON skips). What a bundle's
 * signature covers begins "KEELBDL1" or "keel-bundle" NUL: never one.
 */
static bool json_object_text(const char *doc, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(doc, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && (unsigned char)doc[i] <= ' ')
		i++;
	return i < len && doc[i] == '{';
}

int channel_verify(const char *doc, size_t len, const void *sig, size_t slen,
		   const uint8_t (*keys)[P256_POINT_LEN], int nkeys, bool *bare,
		   char *err, size_t errlen)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char why[160];

	for (int context = 1; context >= 0; context--) {
		if (!context && !json_object_text(doc, len))
			break;
		channel_digest(doc, len, context, digest);
		*bare = !context;
		if (!signature_verify(digest, sig, slen, keys, nkeys, why,
				      sizeof(why)))
			return 0;
	}
	if (!nkeys)
		return errmsg(err, errlen, -ENOKEY, "%s", why);
	return errmsg(err, errlen, -EKEYREJECTED,
		      "bad signature: no trusted key (of %d) signed this "
		      "document",
		      nkeys);
}

int channel_check(const struct channel *ch, bool bare, long long seen,
		  time_t now, char *err, size_t errlen)
{
	char here[RFC3339_MAX];

	if (bare && ch->format >= 2)
		return errmsg(err, errlen, -EKEYREJECTED,
			      "a format %d document must be signed with the "
			      "channel's context (scripts/mkchannel); ignored",
			      ch->format);
	if (ch->format >= 2 && now >= ch->expires_at) {
		rfc3339_format(now, here);
		return errmsg(err, errlen, -EKEYEXPIRED,
			      "refused: the document expired at %s (it is %s "
			      "here); an old document replayed, or the "
			      "publisher has not signed a new one",
			      ch->expires, here);
	}
	if (ch->serial < seen)
		return errmsg(err, errlen, -ESTALE,
			      "serial %lld is older than %lld, seen before: "
			      "an old document replayed? ignored",
			      ch->serial, seen);
	return 0;
}

int rollout_slot(const char *machine_id, const char *version)
{
	struct sha256_ctx sha;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&sha);
	sha256_update(&sha, strlen(machine_id), (const uint8_t *)machine_id);
	sha256_update(&sha, 1, (const uint8_t *)"\n");
	sha256_update(&sha, strlen(version), (const uint8_t *)version);
	sha256_digest(&sha, sizeof(d), d);
	uint32_t v = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
	return v % 100;
}

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, Hinnant's way). */
static long long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = y / 400, yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097LL + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

int rfc3339_parse(const char *s, long long *t)
{
	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -EINVAL;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2),
	    sec = digits(s + 17, 2);
	const char *p = s + 19;
	if (*p == '.') { /* a fraction: at least one digit, then dropped */
		size_t n = strspn(p + 1, "0123456789");
		if (!n)
			return -EINVAL;
		p += 1 + n;
	}
	if ((*p != 'Z' && *p != 'z') || p[1])
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
	    sec > 60) /* 60: a leap second */
		return -EINVAL;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

void rfc3339_format(long long t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, RFC3339_MAX, "%lld", t);
}
