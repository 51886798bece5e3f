#include "oscfuzz.h"

#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

static uint32_t rnd(uint32_t *st)
{
	/* xorshift32: reproducible from the seed */
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

static float rnd_float(uint32_t *st)
{
	static const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e38f, -1e38f,
					1e-42f, 0.5f, 1.0f, -1.0f, 100.0f, -100.0f, 20000.0f};
	if (rnd(st) % 3 == 0)
		return special[rnd(st) % (sizeof(special) / sizeof(special[0]))];
	return ((float)(rnd(st) % 200001) - 100000.0f) / 1000.0f;
}

static void rnd_string(uint32_t *st, char *buf, size_t len)
{
	static const char *const fixed[] = {"",	  "tube",      "wide", "true",	 "false",
					    "../x", "/etc/passwd", "..",   "nan",	 "inf",
					    "1e99", "osc.udp://127.0.0.1:1/", "osc.udp://nowhere:x/",
					    "osc.tcp://127.0.0.1:9/", "default", "a b", "-20"};
	if (rnd(st) % 2) {
		snprintf(buf, len, "%s", fixed[rnd(st) % (sizeof(fixed) / sizeof(fixed[0]))]);
		return;
	}
	size_t n = rnd(st) % (rnd(st) % 8 == 0 ? len - 1 : 24);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(1 + rnd(st) % 255);
	buf[n] = '\0';
}

static void rnd_path(uint32_t *st, char *buf, size_t len)
{
	static const char *const roots[] = {"/ping", "/params", "/subscribe", "/unsubscribe",
					    "/status", "/xruns", "/preset/load", "/preset/save",
					    "/preset/list", "/preset/", "/strip", "/strip/",
					    "/", "//", "/strip//comp/ratio", "/error", "/pong"};
	static const char *const strips[] = {"1", "2", "0", "3", "*", "?", "[1-2]", "{1,2}",
					     "-1", "99999999999", "[", "{", "1*", ""};
	uint32_t k = rnd(st) % 10;
	if (k < 2) {
		snprintf(buf, len, "%s", roots[rnd(st) % (sizeof(roots) / sizeof(roots[0]))]);
	} else if (k < 8) {
		char key[64];
		const char *s = strips[rnd(st) % (sizeof(strips) / sizeof(strips[0]))];
		snprintf(key, sizeof(key), "%s", param_table[rnd(st) % P_COUNT].key);
		*strchr(key, '.') = '/';
		if (rnd(st) % 6 == 0)
			key[rnd(st) % strlen(key)] = "*?[]{},"[rnd(st) % 7];
		static const char *const tails[] = {"", "", "", "/norm", "/x", "/", "/norm/norm"};
		uint32_t m = rnd(st) % 12;
		if (m == 0)
			snprintf(buf, len, "/strip/%s/meter", s);
		else if (m == 1)
			snprintf(buf, len, "/strip/%s/meter/%s", s, rnd(st) % 2 ? "reset" : "hold");
		else
			snprintf(buf, len, "/strip/%s/%s%s", s, key,
				 tails[rnd(st) % (sizeof(tails) / sizeof(tails[0]))]);
	} else {
		size_t n = 1 + rnd(st) % 40;
		buf[0] = '/';
		for (size_t i = 1; i < n && i < len - 1; i++)
			buf[i] = (char)(1 + rnd(st) % 255);
		buf[n < len - 1 ? n : len - 1] = '\0';
	}
}

static lo_message rnd_message(uint32_t *st)
{
	static uint8_t blob[8192];
	char str[300];
	lo_message m = lo_message_new();
	unsigned argc = rnd(st) % 4 == 0 ? rnd(st) % 9 : rnd(st) % 3;
	for (unsigned i = 0; i < argc; i++) {
		switch (rnd(st) % 14) {
		case 0:
		case 1:
		case 2: lo_message_add_float(m, rnd_float(st)); break;
		case 3: lo_message_add_int32(m, (int32_t)rnd(st) % 20); break;
		case 4: lo_message_add_int32(m, (int32_t)rnd(st)); break;
		case 5: lo_message_add_double(m, (double)rnd_float(st) * (rnd(st) % 2 ? 1 : 1e300)); break;
		case 6:
		case 7: rnd_string(st, str, sizeof(str)); lo_message_add_string(m, str); break;
		case 8: {
			size_t n = rnd(st) % 4 == 0 ? rnd(st) % sizeof(blob) : rnd(st) % 16;
			for (size_t k = 0; k < n; k++)
				blob[k] = (uint8_t)rnd(st);
			lo_blob b = lo_blob_new((int32_t)n, blob);
			if (b) { /* liblo refuses empty blobs */
				lo_message_add_blob(m, b);
				lo_blob_free(b);
			}
			break;
		}
		case 9: rnd(st) % 2 ? lo_message_add_true(m) : lo_message_add_false(m); break;
		case 10: rnd(st) % 2 ? lo_message_add_nil(m) : lo_message_add_infinitum(m); break;
		case 11: lo_message_add_int64(m, (int64_t)rnd(st) << 20); break;
		case 12: lo_message_add_char(m, (char)rnd(st)); break;
		default: {
			uint8_t midi[4] = {(uint8_t)rnd(st), 1, 2, 3};
			lo_message_add_midi(m, midi);
			break;
		}
		}
	}
	return m;
}

static int got_pong;
static unsigned replies, errors;

unsigned oscfuzz_replies(unsigned *nerrors)
{
	if (nerrors)
		*nerrors = errors;
	return replies;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Receive until /pong or ms milliseconds pass. */
static int wait_pong(lo_server srv, int ms)
{
	double end = now_s() + ms / 1000.0;
	while (!got_pong && now_s() < end)
		lo_server_recv_noblock(srv, 5);
	return got_pong;
}

static int on_any(const char *path, const char *types, lo_arg **argv, int argc,
		  lo_message msg, void *user)
{
	(void)types, (void)argv, (void)argc, (void)msg, (void)user;
	if (!strcmp(path, "/pong"))
		got_pong = 1;
	replies++;
	errors += !strcmp(path, "/error");
	return 0;
}

int oscfuzz_run(const char *url, unsigned count, uint32_t seed)
{
	uint32_t st = seed ? seed : 1;
	replies = errors = 0;
	lo_server srv = lo_server_new("0", NULL);
	lo_address to = lo_address_new_from_url(url);
	int raw = socket(AF_INET, SOCK_DGRAM, 0);
	struct addrinfo hints = {0}, *ai = NULL;
	char *host = lo_url_get_hostname(url), *port = lo_url_get_port(url);
	uint8_t pkt[2048];
	char path[300];
	int rc = -1;

	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if (!srv || !to || raw < 0 || !host || !port || getaddrinfo(host, port, &hints, &ai))
		goto out;
	lo_server_add_method(srv, NULL, NULL, on_any, NULL);
	for (unsigned i = 0; i < count; i++) {
		uint32_t kind = rnd(&st) % 20;
		if (kind == 0) { /* raw junk */
			size_t n = rnd(&st) % sizeof(pkt);
			for (size_t k = 0; k < n; k++)
				pkt[k] = (uint8_t)rnd(&st);
			if (rnd(&st) % 3 == 0 && n >= 16)
				memcpy(pkt, "#bundle", 8);
			sendto(raw, pkt, n, 0, ai->ai_addr, ai->ai_addrlen);
		} else if (kind == 1) { /* a real message cut short or with bytes flipped */
			lo_message m = rnd_message(&st);
			size_t n = 0;
			rnd_path(&st, path, sizeof(path));
			uint8_t *buf = lo_message_serialise(m, path, NULL, &n);
			if (buf && n) {
				if (rnd(&st) % 2)
					n = rnd(&st) % n;
				else
					buf[rnd(&st) % n] ^= (uint8_t)(1u << (rnd(&st) % 8));
				sendto(raw, buf, n, 0, ai->ai_addr, ai->ai_addrlen);
			}
			free(buf);
			lo_message_free(m);
		} else if (kind == 2) { /* a bundle of a few messages */
			lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
			lo_message ms[3];
			char paths[3][300];
			for (int k = 0; k < 3; k++) {
				ms[k] = rnd_message(&st);
				rnd_path(&st, paths[k], sizeof(paths[k]));
				lo_bundle_add_message(b, paths[k], ms[k]);
			}
			lo_send_bundle_from(to, srv, b);
			lo_bundle_free_messages(b);
		} else {
			lo_message m = rnd_message(&st);
			rnd_path(&st, path, sizeof(path));
			lo_send_message_from(to, srv, path, m);
			lo_message_free(m);
		}
		/* every 32 messages, wait until the server has caught up (a /ping answered), so
		 * the messages are handled, not dropped by a full socket buffer */
		if (i % 32 == 31) {
			got_pong = 0;
			lo_send_from(to, srv, LO_TT_IMMEDIATE, "/ping", "");
			wait_pong(srv, 1000);
		}
	}
	/* the fuzz may have subscribed us (meters keep coming): drop that, drain for a while */
	lo_send_from(to, srv, LO_TT_IMMEDIATE, "/unsubscribe", "");
	for (double end = now_s() + 0.2; now_s() < end;)
		lo_server_recv_noblock(srv, 5);
	/* alive: /pong within 2 s (asked twice, in case one datagram was dropped) */
	got_pong = 0;
	for (int k = 0; k < 2 && !got_pong; k++) {
		lo_send_from(to, srv, LO_TT_IMMEDIATE, "/ping", "");
		wait_pong(srv, 1000);
	}
	rc = got_pong ? 0 : -1;
out:
	if (ai)
		freeaddrinfo(ai);
	free(host);
	free(port);
	if (raw >= 0)
		close(raw);
	if (to)
		lo_address_free(to);
	if (srv)
		lo_server_free(srv);
	return rc;
}
