// SPDX-License-Identifier: MIT
/*
 * Status reports: the JSON document (read back with cJSON), the last
 * outcome as kept on /var, the bounded queue, the bearer token file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "os/report.h"
#include "os/reportq.h"

static char dir[64];
static struct report r;
static char doc[REPORT_DOC_MAX + 1];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/keel-report-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static cJSON *encode(bool pretty)
{
	int n = report_encode(&r, pretty, doc, sizeof(doc));
	assert_true(n > 0);
	assert_int_equal(strlen(doc), n);
	cJSON *o = cJSON_Parse(doc);
	assert_non_null(o);
	return o;
}

static const cJSON *at(const cJSON *o, const char *path)
{
	char buf[128], *save;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save))
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(k))
				     : cJSON_GetObjectItemCaseSensitive(o, k);
	if (!o)
		fail_msg("no %s in %s", path, doc);
	return o;
}

static void is_str(const cJSON *o, const char *path, const char *want)
{
	const cJSON *v = at(o, path);
	if (!cJSON_IsString(v) || strcmp(v->valuestring, want))
		fail_msg("%s: wanted \"%s\" in %s", path, want, doc);
}

static void is_num(const cJSON *o, const char *path, double want)
{
	const cJSON *v = at(o, path);
	if (!cJSON_IsNumber(v) || v->valuedouble != want)
		fail_msg("%s: wanted %g in %s", path, want, doc);
}

static void is_null(const cJSON *o, const char *path)
{
	if (!cJSON_IsNull(at(o, path)))
		fail_msg("%s: wanted null in %s", path, doc);
}

static void fill(void)
{
	report_init(&r);
	snprintf(r.time, sizeof(r.time), "2026-11-26T18:40:12Z");
	snprintf(r.machine_id, sizeof(r.machine_id), "0123abcd");
	snprintf(r.hostname, sizeof(r.hostname), "edge-17");
	snprintf(r.board, sizeof(r.board), "qemu-x86_64");
	snprintf(r.version, sizeof(r.version), "0.2.0");
	r.booted = 1;
	r.slots_known = true;
	snprintf(r.slot[0].version, sizeof(r.slot[0].version), "0.1.0");
	r.slot[0].state = "good";
	snprintf(r.slot[1].version, sizeof(r.slot[1].version), "0.2.0");
	r.slot[1].state = "on trial";
	r.slot[1].tries = 2;
	r.slot[1].boots_next = true;
	r.channel_serial = 8;
	snprintf(r.channel_expires, sizeof(r.channel_expires),
		 "2027-01-31T00:00:00Z");
	snprintf(r.floor, sizeof(r.floor), "0.2.0");
	r.n_pods = 2;
	snprintf(r.pods[0].name, sizeof(r.pods[0].name), "web");
	snprintf(r.pods[0].phase, sizeof(r.pods[0].phase), "Running");
	r.pods[0].ready = r.pods[0].total = 1;
	snprintf(r.pods[1].name, sizeof(r.pods[1].name), "db");
	snprintf(r.pods[1].phase, sizeof(r.pods[1].phase), "CrashLoopBackOff");
	r.pods[1].total = 2;
	r.pods[1].restarts = 7;
	r.has_last = true;
	snprintf(r.last.event, sizeof(r.last.event), "install");
	snprintf(r.last.result, sizeof(r.last.result), "installed");
	snprintf(r.last.time, sizeof(r.last.time), "2026-11-26T18:39:00Z");
	snprintf(r.last.reason, sizeof(r.last.reason),
		 "installed 0.2.0 into slot b");
}

static void test_encode(void **state)
{
	(void)state;
	fill();
	for (int pretty = 0; pretty < 2; pretty++) {
		cJSON *o = encode(pretty);
		assert_int_equal(!!strchr(doc, '\n'), pretty);
		is_num(o, "format", 1);
		is_str(o, "report", "outcome");
		is_str(o, "time", "2026-11-26T18:40:12Z");
		is_str(o, "machine_id", "0123abcd");
		is_str(o, "hostname", "edge-17");
		is_str(o, "board", "qemu-x86_64");
		is_str(o, "booted.slot", "b");
		is_str(o, "booted.version", "0.2.0");
		is_str(o, "slots.a.version", "0.1.0");
		is_str(o, "slots.a.state", "good");
		assert_true(cJSON_IsFalse(at(o, "slots.a.booted")));
		is_str(o, "slots.b.state", "on trial");
		is_num(o, "slots.b.tries", 2);
		assert_true(cJSON_IsTrue(at(o, "slots.b.booted")));
		assert_true(cJSON_IsTrue(at(o, "slots.b.boots_next")));
		is_num(o, "channel.serial", 8);
		is_str(o, "channel.expires", "2027-01-31T00:00:00Z");
		is_str(o, "channel.min_version", "0.2.0");
		/* workload revisions: there, null until they are applied */
		is_null(o, "workloads.current");
		is_null(o, "workloads.rejected");
		assert_int_equal(cJSON_GetArraySize(at(o, "pods")), 2);
		is_str(o, "pods.0.name", "web");
		is_str(o, "pods.0.phase", "Running");
		is_num(o, "pods.0.ready", 1);
		is_num(o, "pods.1.restarts", 7);
		is_num(o, "pods.1.containers", 2);
		is_str(o, "outcome.event", "install");
		is_str(o, "outcome.result", "installed");
		is_str(o, "outcome.time", "2026-11-26T18:39:00Z");
		is_str(o, "outcome.reason", "installed 0.2.0 into slot b");
		cJSON_Delete(o);
	}
	r.heartbeat = true;
	r.workloads_current = 12;
	r.workloads_rejected = 13;
	cJSON *o = encode(false);
	is_str(o, "report", "heartbeat");
	is_num(o, "workloads.current", 12);
	is_num(o, "workloads.rejected", 13);
	cJSON_Delete(o);
}

/* What is not known is null, never a made-up value. */
static void test_unknown(void **state)
{
	(void)state;
	report_init(&r);
	cJSON *o = encode(false);
	is_null(o, "time");
	is_null(o, "machine_id");
	is_null(o, "booted.slot");
	is_null(o, "booted.version");
	is_null(o, "slots");
	is_null(o, "channel.serial");
	is_null(o, "channel.expires");
	is_null(o, "channel.min_version");
	is_null(o, "workloads.current");
	is_null(o, "outcome");
	assert_int_equal(cJSON_GetArraySize(at(o, "pods")), 0);
	cJSON_Delete(o);
}

/* Whatever a message quoted, the document is JSON a receiver reads. */
static void test_hostile_text(void **state)
{
	(void)state;
	fill();
	snprintf(r.last.reason, sizeof(r.last.reason),
		 "\"quoted\" back\\slash\nnew line\ttab \x01 \xff\xfe end");
	snprintf(r.hostname, sizeof(r.hostname), "h\"}, \"x\": {\"");
	cJSON *o = encode(false);
	is_str(o, "outcome.reason",
	       "\"quoted\" back\\slash?new line?tab ? ?? end");
	is_str(o, "hostname", "h\"}, \"x\": {\"");
	assert_null(cJSON_GetObjectItemCaseSensitive(o, "x"));
	cJSON_Delete(o);
	/* a buffer too small: refused, not cut */
	assert_int_equal(report_encode(&r, false, doc, 64), -ENOSPC);
}

/* The most a document holds still fits the queue's limit. */
static void test_largest(void **state)
{
	(void)state;
	fill();
	r.n_pods = REPORT_PODS_MAX;
	for (int i = 0; i < REPORT_PODS_MAX; i++) {
		memset(r.pods[i].name, 'p', sizeof(r.pods[i].name) - 1);
		memset(r.pods[i].phase, 'P', sizeof(r.pods[i].phase) - 1);
		r.pods[i].restarts = 2147483647;
	}
	memset(r.last.reason, '"', sizeof(r.last.reason) - 1);
	cJSON *o = encode(true);
	assert_int_equal(cJSON_GetArraySize(at(o, "pods")), REPORT_PODS_MAX);
	cJSON_Delete(o);
}

static void test_outcome_lines(void **state)
{
	struct report_outcome o = { "health_gate", "rolled_back",
				    "2026-11-26T18:40:12Z",
				    "slot b failed:\nnot ready" },
			      back;
	char text[REPORT_REASON_MAX + 128];

	(void)state;
	assert_true(report_outcome_format(&o, text, sizeof(text)) > 0);
	assert_int_equal(report_outcome_parse(&back, text), 0);
	assert_string_equal(back.event, "health_gate");
	assert_string_equal(back.result, "rolled_back");
	assert_string_equal(back.time, "2026-11-26T18:40:12Z");
	assert_string_equal(back.reason, "slot b failed: not ready");
	assert_int_equal(report_outcome_parse(&back, "channel\nrefused\n"),
			 -EINVAL);
	assert_int_equal(report_outcome_parse(&back, "\nx\nt\nr\n"), -EINVAL);
	assert_int_equal(report_outcome_parse(&back, ""), -EINVAL);
}

static void test_queue(void **state)
{
	char q[128], path[192], text[32];

	(void)state;
	snprintf(q, sizeof(q), "%s/reports", dir);
	assert_int_equal(reportq_count(q), 0);
	for (int i = 1; i <= 70; i++) {
		snprintf(text, sizeof(text), "{\"n\": %d}", i);
		assert_int_equal(reportq_add(q, text, strlen(text), 64), 0);
		assert_int_equal(reportq_count(q), i < 64 ? i : 64);
	}
	/* the oldest went first: 7..70 are left, in order */
	snprintf(path, sizeof(path), "%s/0000000006.json", q);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/0000000007.json", q);
	assert_true(read_text(path, text, sizeof(text)) > 0);
	assert_string_equal(text, "{\"n\": 7}");
	snprintf(path, sizeof(path), "%s/0000000070.json", q);
	assert_true(read_text(path, text, sizeof(text)) > 0);
	assert_string_equal(text, "{\"n\": 70}");
	/* other files in the folder are not reports */
	snprintf(path, sizeof(path), "%s/0000000099.json.tmp", q);
	assert_int_equal(write_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(reportq_count(q), 64);
}

static void test_token(void **state)
{
	char path[128], tok[REPORT_TOKEN_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/report-token", dir);
	assert_int_equal(report_token_read(path, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "");
	static const char *const good[] = { "abc-._~+/XYZ09==\n", "t0k\r\n" };
	static const char *const want[] = { "abc-._~+/XYZ09==", "t0k" };
	for (int i = 0; i < 2; i++) {
		write_atomic(path, good[i], strlen(good[i]), 0600);
		assert_int_equal(report_token_read(path, tok, sizeof(tok)), 0);
		assert_string_equal(tok, want[i]);
	}
	/* no header can be smuggled in; nothing of a bad token is kept */
	static const char *const bad[] = { "Bearer x", "a\r\nX-Evil: 1",
					   "=abc",     "a=b",
					   "\n",       "tok\"en" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		write_atomic(path, bad[i], strlen(bad[i]), 0600);
		assert_int_equal(report_token_read(path, tok, sizeof(tok)),
				 -EINVAL);
		assert_string_equal(tok, "");
	}
	/* longer than the buffer: refused, not cut */
	char big[REPORT_TOKEN_MAX + 10];
	memset(big, 'a', sizeof(big));
	write_atomic(path, big, sizeof(big), 0600);
	assert_int_equal(report_token_read(path, tok, sizeof(tok)), -EINVAL);
}

/* One request off c: its head and Content-Length body, into f. */
static void take(int c, FILE *f)
{
	static char buf[70000];
	size_t got = 0, want = 0;
	char *end = NULL;

	while (!end || got < want) {
		ssize_t n = recv(c, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			break;
		got += n;
		if (!end && (end = memmem(buf, got, "\r\n\r\n", 4))) {
			const char *cl = strstr(buf, "Content-Length: ");
			want = end + 4 - buf + (cl ? atoi(cl + 16) : 0);
		}
	}
	fwrite(buf, 1, got, f);
	fputs("\n--\n", f);
}

/*
 * A receiver in a child: answers the connections on lfd with codes,
 * one each, and writes the requests it got to out.
 */
static pid_t receiver(int lfd, const int *codes, int n, const char *out)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	FILE *f = fopen(out, "w");
	for (int i = 0; i < n && f; i++) {
		int c = accept(lfd, NULL, NULL);
		take(c, f);
		dprintf(c, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nok",
			codes[i]);
		close(c);
	}
	fclose(f);
	_exit(0);
}

static int listen_local(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Sent oldest first with http_post, each taken off on a 2xx only. */
static void test_flush(void **state)
{
	char q[128], out[128], url[96], err[256], text[4096];
	static const int codes[] = { 204, 200, 500 }, ok[] = { 201 };
	int port, lfd = listen_local(&port), status;

	(void)state;
	snprintf(q, sizeof(q), "%s/flush", dir);
	snprintf(out, sizeof(out), "%s/requests", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/reports", port);
	for (int i = 1; i <= 3; i++) {
		snprintf(text, sizeof(text), "{\"n\": %d}", i);
		assert_int_equal(reportq_add(q, text, strlen(text), 64), 0);
	}
	pid_t pid = receiver(lfd, codes, 3, out);
	assert_int_equal(reportq_flush(q, url, "t0k", err, sizeof(err)),
			 -EREMOTEIO);
	assert_non_null(strstr(err, "answered HTTP status 500"));
	waitpid(pid, &status, 0);
	/* the one not taken waits; the two taken are gone */
	assert_int_equal(reportq_count(q), 1);
	assert_true(read_text(out, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "POST /reports HTTP/1.1\r\n"));
	assert_non_null(strstr(text, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(text, "Authorization: Bearer t0k\r\n"));
	assert_non_null(strstr(text, "Content-Length: 8\r\n"));
	char *one = strstr(text, "\r\n\r\n{\"n\": 1}\n--\n");
	char *two = strstr(text, "\r\n\r\n{\"n\": 2}\n--\n");
	char *three = strstr(text, "\r\n\r\n{\"n\": 3}\n--\n");
	assert_true(one && two && three && one < two && two < three);

	/* later, without a token: the rest goes, and no Authorization */
	pid = receiver(lfd, ok, 1, out);
	assert_int_equal(reportq_flush(q, url, "", err, sizeof(err)), 1);
	waitpid(pid, &status, 0);
	assert_int_equal(reportq_count(q), 0);
	assert_true(read_text(out, text, sizeof(text)) > 0);
	assert_null(strstr(text, "Authorization"));
	assert_non_null(strstr(text, "{\"n\": 3}"));
	/* nothing queued: nothing sent, no connection */
	assert_int_equal(reportq_flush(q, url, "", err, sizeof(err)), 0);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_largest),
		cmocka_unit_test(test_outcome_lines),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_flush),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
