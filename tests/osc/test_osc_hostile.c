/* The OSC server against hostile senders, over real UDP on loopback only: spoofed reply
 * addresses that would make it answer itself, reflection towards a third address, floods
 * that would stall it or take every subscriber slot. The "victim" and the "attacker" are
 * plain UDP sockets on 127.0.0.2 and 127.0.0.3 (Linux routes all of 127/8 to lo). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "osc.h"
#include "oscclient.h"
#include "preset.h"

#define FS 48000.0f
#define NSTRIPS 2

static struct engine eng;
static struct osc *srv;
static struct oc *cli;
static int srv_port;
static char preset_home[256];

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(engine_init(&eng, NSTRIPS, FS), 0);
	srv = osc_start(&eng, "127.0.0.1", 0, err, sizeof(err));
	ck_assert_msg(srv != NULL, "osc_start: %s", err);
	srv_port = atoi(strrchr(osc_url(srv), ':') + 1);
	cli = oc_new(osc_url(srv));
	ck_assert_ptr_nonnull(cli);
}

static void teardown(void)
{
	oc_free(cli);
	osc_stop(srv);
	engine_free(&eng);
}

#define SEND(...) lo_send_from(cli->to, cli->srv, LO_TT_IMMEDIATE, __VA_ARGS__)

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A UDP socket bound to ip (port 0: any). */
static int udp_at(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, ip, &a.sin_addr);
	ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %s: %s", ip,
		      strerror(errno));
	return fd;
}

static int udp_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* Send one OSC message from fd to the server; returns the datagram's size. */
static size_t udp_send_msg(int fd, const char *path, lo_message m)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv_port)};
	size_t n = 0;
	void *buf = lo_message_serialise(m, path, NULL, &n);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ck_assert_int_eq(sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
	free(buf);
	return n;
}

/* Bytes and datagrams that reach fd within ms. */
static size_t udp_drain(int fd, int ms, size_t *npackets)
{
	static char buf[65536];
	size_t bytes = 0, n = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left) <= 0)
			continue;
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			bytes += (size_t)r;
			n++;
		}
	}
	if (npackets)
		*npackets = n;
	return bytes;
}

/* ---- the server never answers itself ------------------------------------------------ */

/* One packet naming the server's own address as the reply URL (or subscriber) used to start
 * an /error loop at 100 % of a core. Each must leave the process idle. */
START_TEST(no_reply_loop)
{
	const char *hosts[] = {"127.0.0.1", "0.0.0.0", "localhost", "127.0.0.5"};
	for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
		char self[96];
		snprintf(self, sizeof(self), "osc.udp://%s:%d/", hosts[h], srv_port);
		SEND("/nosuchpath", "s", self);
		SEND("/subscribe", "s", self);
		SEND("/ping", "s", self);
		SEND("/strip/*/*/*", "s", self);
	}
	/* a spoofed /error from the server's own address reaches it once: fed straight in */
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv_port)};
	inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
	lo_message m = lo_message_new();
	size_t n = 0;
	lo_message_add_string(m, "/x");
	void *buf = lo_message_serialise(m, "/nosuchpath", NULL, &n);
	osc_feed_packet(srv, buf, n, (struct sockaddr *)&me, sizeof(me));
	free(buf);
	lo_message_free(m);

	ck_assert_int_eq(oc_sync(cli), 0);
	double c0 = cpu_s();
	oc_pump(cli, 2000);
	double used = cpu_s() - c0;
	fprintf(stderr, "no_reply_loop: %.3f s of CPU in 2 s after the self-addressed packets\n",
		used);
	ck_assert_msg(used < 0.3, "the server is busy (%.2f s CPU in 2 s): a reply loop", used);
	/* the sender heard why for the ones that name the server as subscriber or reply URL */
	ck_assert_int_ge(oc_count(cli, "/error"), 1);
}
END_TEST

/* Messages on addresses chanstrip sends as replies get no answer at all, not even /error:
 * two servers (or one and a misconfigured surface) would otherwise ping-pong forever. */
START_TEST(replies_are_not_answered)
{
	SEND("/error", "ss", "/x", "why");
	SEND("/pong", "");
	SEND("/subscribed", "sff", "osc.udp://127.0.0.1:9/", 20.0f, 60.0f);
	SEND("/unsubscribed", "ss", "osc.udp://127.0.0.1:9/", "expired");
	SEND("/param", "ss", "/strip/*/comp/ratio", "float");
	SEND("/params/end", "ii", 10, 2);
	SEND("/preset/loaded", "s", "x");
	SEND("/preset/saved", "s", "x");
	SEND("/status", "sif", "1", 2, 48000.0f);
	SEND("/xruns", "i", 0);
	SEND("/preset/list", "s", "x");
	SEND("/strip/1/meter", "ff", -20.0f, -30.0f);
	SEND("/strip/1/meter/in_dbu", "f", -20.0f);
	SEND("/strip/1/meter/hold", "ffi", -1.0f, 2.0f, 0);
	SEND("/confirm", "s", "0123");
	ck_assert_int_eq(oc_sync(cli), 0);
	oc_pump(cli, 100);
	ck_assert_int_eq(oc_count(cli, "/error"), 0);
	/* the requests of the same names still work */
	SEND("/status", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/status", 2000));
	SEND("/strip/1/meter/reset", "f", 1.0f);
	ck_assert_ptr_nonnull(oc_wait(cli, "/error", 2000));
}
END_TEST

/* ---- reflection and amplification ------------------------------------------------- */

/* The attacker on 127.0.0.3 names the victim on 127.0.0.2 as reply URL or subscriber.
 * Returns the victim's bytes over the attacker's. */
static double amplification(const char *path, int attacker, int victim, const char *victim_url)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, victim_url);
	size_t sent = udp_send_msg(attacker, path, m);
	lo_message_free(m);
	size_t npk = 0, got = udp_drain(victim, 1500, &npk);
	udp_drain(attacker, 10, NULL);
	double f = (double)got / (double)sent;
	fprintf(stderr, "amplification %-14s %zu bytes sent, victim got %zu bytes in %zu packets: "
			"%.2fx\n", path, sent, got, npk, f);
	return f;
}

START_TEST(no_reflection_to_other_hosts)
{
	int attacker = udp_at("127.0.0.3", 0), victim = udp_at("127.0.0.2", 0);
	char victim_url[64];
	snprintf(victim_url, sizeof(victim_url), "osc.udp://127.0.0.2:%d/", udp_port(victim));
	const char *paths[] = {"/subscribe", "/strip/*/*/*", "/params"};
	for (size_t k = 0; k < 3; k++) {
		double f = amplification(paths[k], attacker, victim, victim_url);
		/* at most one small /confirm per address and CTL_PEER_CHALLENGE_S */
		ck_assert_msg(f <= 1.0, "%s: the victim got %.1fx the attacker's bytes", paths[k], f);
	}
	/* a repeat within the challenge period sends the victim nothing at all */
	ck_assert_double_eq(amplification("/subscribe", attacker, victim, victim_url), 0.0);
	close(attacker);
	close(victim);
}
END_TEST

/* The address named confirms by echoing the nonce from itself: then it is subscribed. */
START_TEST(confirmed_subscriber)
{
	int victim = udp_at("127.0.0.2", 0);
	char url[64];
	snprintf(url, sizeof(url), "osc.udp://127.0.0.2:%d/", udp_port(victim));
	SEND("/subscribe", "sf", url, 0.0f);
	const struct oc_msg *e = oc_wait(cli, "/error", 2000);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e->s[1], "not confirmed") != NULL, "reason: %s", e->s[1]);
	/* the named address got exactly one /confirm NONCE */
	static char buf[2048];
	struct pollfd p = {victim, POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ssize_t n = recv(victim, buf, sizeof(buf), 0);
	ck_assert_int_gt(n, 0);
	int res = 0;
	lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(buf, "/confirm");
	ck_assert_str_eq(lo_message_get_types(m), "s");
	char nonce[64];
	snprintf(nonce, sizeof(nonce), "%s", (const char *)lo_message_get_argv(m)[0]);
	lo_message_free(m);
	ck_assert_int_eq(udp_drain(victim, 200, NULL), 0);
	/* a wrong nonce, or the right one from another address, confirms nothing */
	m = lo_message_new();
	lo_message_add_string(m, "0000000000000000");
	udp_send_msg(victim, "/confirm", m);
	lo_message_free(m);
	ck_assert_int_eq(udp_drain(victim, 300, NULL), 0);
	SEND("/confirm", "s", nonce);
	ck_assert_int_eq(udp_drain(victim, 300, NULL), 0);
	/* the right nonce from the victim itself: subscribed, and the state follows */
	m = lo_message_new();
	lo_message_add_string(m, nonce);
	udp_send_msg(victim, "/confirm", m);
	lo_message_free(m);
	size_t npk = 0, got = udp_drain(victim, 500, &npk);
	ck_assert_msg(npk >= 2 * P_COUNT * NSTRIPS, "confirmed subscriber got %zu packets", npk);
	ck_assert_int_gt(got, 0);
	/* from now on the requester may name it as reply URL too */
	SEND("/ping", "s", url);
	ck_assert_int_gt(udp_drain(victim, 300, NULL), 0);
	ck_assert_int_eq(oc_count(cli, "/error"), 0);
	close(victim);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("osc-hostile");
	TCase *tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, no_reply_loop);
	tcase_add_test(tc, replies_are_not_answered);
	tcase_add_test(tc, no_reflection_to_other_hosts);
	tcase_add_test(tc, confirmed_subscriber);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(preset_home, sizeof(preset_home), "/tmp/chanstrip-osc-hostile-XXXXXX");
	if (!mkdtemp(preset_home))
		return 1;
	setenv("CHANSTRIP_PRESET_HOME", preset_home, 1);
	SRunner *sr = srunner_create(hostile_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", preset_home);
	(void)!system(cmd);
	return failed ? 1 : 0;
}
