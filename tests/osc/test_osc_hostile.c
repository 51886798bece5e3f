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
	ck_assert_int_eq(engine_init(&eng, NSTRIPS, FS, NULL), 0);
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
	/* the default receive buffer (about 256 datagrams), as a control surface has: a whole
	 * state dump must fit in it, which it does as bundles */
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

/* The OSC messages in a datagram: 1, or those a bundle holds (nested bundles included). */
static size_t osc_messages(const unsigned char *p, size_t n)
{
	if (n < 16 || memcmp(p, "#bundle", 8))
		return n > 0;
	size_t count = 0;
	for (size_t at = 16; at + 4 <= n;) {
		uint32_t len = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
			       (uint32_t)p[at + 2] << 8 | p[at + 3];
		if (len > n - at - 4)
			break;
		count += osc_messages(p + at + 4, len);
		at += 4 + len;
	}
	return count;
}

/* Bytes, datagrams and the messages in them that reach fd within ms. */
static size_t udp_drain_msgs(int fd, int ms, size_t *npackets, size_t *nmessages)
{
	static unsigned char buf[65536];
	size_t bytes = 0, n = 0, msgs = 0;
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
			msgs += osc_messages(buf, (size_t)r);
		}
	}
	if (npackets)
		*npackets = n;
	if (nmessages)
		*nmessages = msgs;
	return bytes;
}

static size_t udp_drain(int fd, int ms, size_t *npackets)
{
	return udp_drain_msgs(fd, ms, npackets, NULL);
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

/* The next message arriving at fd within ms with this path (others are skipped); its last
 * argument, if a string (an /error's reason, a /confirm's nonce), goes to arg. 1 if one
 * came. */
static int udp_wait(int fd, const char *path, int ms, char *arg, size_t arglen)
{
	static char buf[65536];
	double end = oc_now() + ms / 1000.0;
	while (oc_now() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 || strcmp(buf, path))
			continue;
		int res = 0;
		lo_message m = lo_message_deserialise(buf, (size_t)n, &res);
		if (!m)
			continue;
		int argc = lo_message_get_argc(m);
		if (arg && argc >= 1 && lo_message_get_types(m)[argc - 1] == 's')
			snprintf(arg, arglen, "%s", (const char *)lo_message_get_argv(m)[argc - 1]);
		lo_message_free(m);
		return 1;
	}
	return 0;
}

static void udp_send_s(int fd, const char *path, const char *s)
{
	lo_message m = lo_message_new();
	if (s)
		lo_message_add_string(m, s);
	udp_send_msg(fd, path, m);
	lo_message_free(m);
}

/* The address named confirms by echoing the nonce from itself: then it is subscribed. The
 * requester is another host (127.0.0.3); localhost itself is trusted. */
START_TEST(confirmed_subscriber)
{
	int victim = udp_at("127.0.0.2", 0), req = udp_at("127.0.0.3", 0);
	char url[64], nonce[64] = "", why[300] = "";
	snprintf(url, sizeof(url), "osc.udp://127.0.0.2:%d/", udp_port(victim));
	udp_send_s(req, "/subscribe", url);
	ck_assert_msg(udp_wait(req, "/error", 2000, why, sizeof(why)), "no /error");
	ck_assert_msg(strstr(why, "not confirmed") != NULL, "reason: %s", why);
	/* the named address got exactly one /confirm NONCE */
	ck_assert(udp_wait(victim, "/confirm", 2000, nonce, sizeof(nonce)));
	ck_assert_int_eq(strlen(nonce), 16);
	ck_assert_int_eq(udp_drain(victim, 200, NULL), 0);
	/* a wrong nonce, or the right one from another address, confirms nothing */
	udp_send_s(victim, "/confirm", "0000000000000000");
	ck_assert_int_eq(udp_drain(victim, 300, NULL), 0);
	udp_send_s(req, "/confirm", nonce);
	ck_assert_int_eq(udp_drain(victim, 300, NULL), 0);
	/* the right nonce from the victim itself: subscribed, and the whole state follows (a
	 * value and its /norm per parameter per strip) in bundles of about one Ethernet frame,
	 * not a datagram a message: one datagram a message overflowed a default buffer */
	udp_send_s(victim, "/confirm", nonce);
	size_t npk = 0, nmsg = 0, got = udp_drain_msgs(victim, 500, &npk, &nmsg);
	fprintf(stderr, "confirmed subscriber: %zu messages in %zu datagrams, %zu bytes\n", nmsg,
		npk, got);
	ck_assert_msg(nmsg >= 2 * P_COUNT * NSTRIPS, "confirmed subscriber got %zu messages", nmsg);
	ck_assert_msg(npk * 1472 < got + 1472 * 2, "state took %zu datagrams for %zu bytes", npk,
		      got);
	/* from now on the requester may name it as reply URL too */
	lo_message m = lo_message_new();
	lo_message_add_string(m, url);
	udp_send_msg(req, "/ping", m);
	lo_message_free(m);
	ck_assert(udp_wait(victim, "/pong", 2000, NULL, 0));
	close(victim);
	close(req);
}
END_TEST

/* ---- bounded work ------------------------------------------------------------------ */

/* A 64 KiB bundle of pattern gets (each answers every value of every strip) used to keep
 * the receive thread busy for seconds; now one datagram causes at most OSC_PACKET_WORK_MAX
 * messages and replies, and the sender hears that the rest was dropped. */
START_TEST(packet_work_is_bounded)
{
	static uint8_t b[65000];
	static const char elem[20] = "/strip/*/*/*\0\0\0\0,\0\0\0";
	static char buf[65536];
	size_t n = 16, count = 0, npk = 0, limit = 0;
	memcpy(b, "#bundle\0\0\0\0\0\0\0\0\1", 16);
	for (; n + 24 <= sizeof(b); n += 24, count++) {
		b[n] = b[n + 1] = b[n + 2] = 0;
		b[n + 3] = 20;
		memcpy(b + n + 4, elem, 20);
	}
	int att = udp_at("127.0.0.3", 0), probe = udp_at("127.0.0.4", 0);
	/* the server's log tells of the limit too; the UDP /error, last of 20000 replies, may
	 * be dropped by a busy machine's receive buffer */
	char logpath[] = "/tmp/chanstrip-osc-work-XXXXXX";
	int logfd = mkstemp(logpath), saved = dup(2);
	ck_assert_int_ge(logfd, 0);
	dup2(logfd, 2);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv_port)};
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	double t0 = oc_now(), pong = -1;
	ck_assert_int_eq(sendto(att, b, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
	udp_send_s(probe, "/ping", NULL); /* queued behind the bundle */
	/* drain the attacker's replies while they come, and time the probe's /pong */
	while (oc_now() - t0 < 1.5 && (pong < 0 || !limit)) {
		struct pollfd p[2] = {{att, POLLIN, 0}, {probe, POLLIN, 0}};
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[1].revents && recv(probe, buf, sizeof(buf), 0) > 0 && !strcmp(buf, "/pong"))
			pong = oc_now() - t0;
		ssize_t r = p[0].revents ? recv(att, buf, sizeof(buf), 0) : 0;
		if (r > 0) {
			npk++;
			limit |= memmem(buf, (size_t)r, "work limit", 10) != NULL;
		}
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char logbuf[4096] = "";
	ssize_t nlog = pread(logfd, logbuf, sizeof(logbuf) - 1, 0);
	close(logfd);
	unlink(logpath);
	int logged = nlog > 0 && strstr(logbuf, "work limit") != NULL;
	fprintf(stderr, "packet_work_is_bounded: %zu-byte bundle of %zu pattern gets: /ping "
			"answered after %.3f s, %zu replies to the sender, limit reported: %s\n",
		n, count, pong, npk, limit ? "yes" : "no");
	ck_assert_msg(pong >= 0 && pong < 1.0, "one packet stalled the server (%.2f s)", pong);
	ck_assert_int_le(npk, OSC_PACKET_WORK_MAX + 1);
	ck_assert_msg(logged, "the work limit was not reported (log: %s)", logbuf);
	if (!limit)
		fprintf(stderr, "packet_work_is_bounded: the /error was lost (UDP buffer)\n");
	close(att);
	close(probe);
}
END_TEST

/* Anyone could take every subscriber slot and lock the real tablet out. Now one host holds
 * at most a quarter of them, and a subscriber whose host has gone silent is evicted for a
 * new one. */
START_TEST(subscriber_slots_are_shared)
{
	int hosts[4];
	char ip[16], why[300];
	osc_set_subscriber_idle(srv, 0.5);
	for (int h = 0; h < 4; h++) {
		snprintf(ip, sizeof(ip), "127.0.0.%d", 3 + h);
		hosts[h] = udp_at(ip, 0);
		for (int k = 0; k < OSC_MAX_SUBSCRIBERS / 4; k++) {
			lo_message m = lo_message_new();
			lo_message_add_int32(m, 41000 + k);
			lo_message_add_int32(m, 0);
			udp_send_msg(hosts[h], "/subscribe/port", m);
			lo_message_free(m);
			ck_assert_msg(udp_wait(hosts[h], "/subscribed", 2000, NULL, 0),
				      "%s: subscription %d refused", ip, k);
		}
	}
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 42000);
	udp_send_msg(hosts[0], "/subscribe/port", m);
	lo_message_free(m);
	ck_assert(udp_wait(hosts[0], "/error", 2000, why, sizeof(why)));
	ck_assert_msg(strstr(why, "from this host") != NULL, "reason: %s", why);
	/* full, and nobody idle: the tablet is refused */
	int tablet = udp_at("127.0.0.2", 0);
	udp_send_s(tablet, "/subscribe", NULL);
	ck_assert(udp_wait(tablet, "/error", 2000, why, sizeof(why)));
	ck_assert_msg(strstr(why, "too many subscribers") != NULL, "reason: %s", why);
	/* 127.0.0.3 goes silent, the others keep talking: its subscribers are evicted first */
	usleep(700000);
	for (int h = 1; h < 4; h++)
		udp_send_s(hosts[h], "/ping", NULL);
	for (int h = 1; h < 4; h++)
		ck_assert(udp_wait(hosts[h], "/pong", 2000, NULL, 0));
	udp_send_s(tablet, "/subscribe", NULL);
	ck_assert_msg(udp_wait(tablet, "/subscribed", 2000, NULL, 0), "the tablet was locked out");
	for (int h = 0; h < 4; h++)
		close(hosts[h]);
	close(tablet);
}
END_TEST

/* A huge file in the preset folder used to block the OSC thread for seconds. */
START_TEST(preset_size_is_capped)
{
	char path[512], why[300] = "";
	snprintf(path, sizeof(path), "%s/huge.preset", preset_home);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	while (ftell(f) <= PRESET_FILE_MAX) /* comments only: it would load, slowly */
		fputs("# padding padding\n", f);
	fclose(f);
	int req = udp_at("127.0.0.3", 0);
	double t0 = oc_now();
	udp_send_s(req, "/preset/load", "huge");
	ck_assert(udp_wait(req, "/error", 2000, why, sizeof(why)));
	double dt = oc_now() - t0;
	fprintf(stderr, "preset_size_is_capped: %s (%.3f s)\n", why, dt);
	ck_assert_msg(strstr(why, "too large") != NULL, "reason: %s", why);
	unlink(path);
	close(req);
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
	tcase_add_test(tc, packet_work_is_bounded);
	tcase_add_test(tc, subscriber_slots_are_shared);
	tcase_add_test(tc, preset_size_is_capped);
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
