/* osc.c: the OSC transport over the control layer (control.h).
 *
 * Threads:
 * - receive: owns the UDP socket's reads, decodes with liblo (lo_message_deserialise), walks
 *   bundles, dispatches, answers gets and errors straight away.
 * - send: feedback to subscribers (the control layer's coalesced change feed),
 *   /strip/N/meter at each subscriber's rate, subscription expiry.
 * Values, reasons, meters, discovery, presets and the subscription model are the control
 * layer's; this file parses OSC, keeps sockets and renders replies.
 *
 * Why our own socket instead of lo_server_thread: liblo 0.31 (Debian 12) binds UDP servers
 * to the wildcard address only (lo_server_new_from_config, which takes an interface address,
 * arrived in 0.32), and the default must be 127.0.0.1. liblo still does the OSC encoding,
 * decoding and pattern matching; replies leave from the bound socket, so they come from the
 * port the client sent to (what TouchOSC expects).
 *
 * Locks, always taken in this order: engine lock -> control's feed locks -> s->lock. Nothing
 * here calls into the engine or the control layer's feed registry while holding s->lock. */
#include "osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "autogain.h"
#include "control.h"
#include "midictl.h"
#include "monoclock.h"
#include "preset.h"

#define OSC_MAX_PACKET 65536
#define OSC_BUNDLE_DEPTH 8
#define OSC_URL_MAX 96 /* "osc.udp://[" + numeric IPv6 with scope (63) + "]:" + port + "/" */
#define OSC_MAX_SELF 32 /* local addresses remembered for the self test */
#define OSC_SUB_FIELDS 1u /* ctl_sub.flags: also send /strip/N/meter/<field> */

struct osc_peer {
	struct sockaddr_storage addr;
	socklen_t len;
};

struct osc {
	struct engine *e;
	struct control *ctl;
	unsigned nstrips;
	int fd;
	int wake[2]; /* wakes the receive thread to stop */
	pthread_t rx, tx;
	int rx_started, tx_started;
	atomic_int stop;
	char url[160];
	struct ctl_feed *feed;
	struct midictl *_Atomic midi; /* the MIDI transport, for /midi/... (NULL: none) */
	struct autogain *ag; /* /strip/N/autogain; its status goes to every subscriber */
	/* our own addresses: what we are bound to, and every local interface's address when
	 * bound to a wildcard; with our port, a destination among them is ourselves */
	struct sockaddr_storage self;
	struct in6_addr local[OSC_MAX_SELF]; /* IPv4 as v4-mapped */
	unsigned nlocal;
	struct ctl_peers peers; /* other hosts that confirmed they want our traffic */

	pthread_mutex_t lock; /* subscribers */
	pthread_cond_t cond;  /* send thread: feedback pending, subscribers changed, stop */
	struct ctl_subs subs;
	struct osc_peer peer[OSC_MAX_SUBSCRIBERS]; /* where slot k's messages go */

	struct ctl_log log;

	uint8_t rxbuf[OSC_MAX_PACKET];
};

/* ---- helpers ------------------------------------------------------------------------ */

/* One line on stderr, rate-limited (OSC_LOG_BURST, then OSC_LOG_PER_S). */
#define osc_log(s, ...) ctl_log(&(s)->log, __VA_ARGS__)

/* host:port (IPv6 in brackets) between pre and post; "?" when it cannot be printed */
static void addr_fmt(const struct sockaddr_storage *a, socklen_t len, const char *pre,
		     const char *post, char *buf, size_t n)
{
	char host[64], port[16];
	if (getnameinfo((const struct sockaddr *)a, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, n, "%s?%s", pre, post);
	else if (a->ss_family == AF_INET6)
		snprintf(buf, n, "%s[%s]:%s%s", pre, host, port, post);
	else
		snprintf(buf, n, "%s%s:%s%s", pre, host, port, post);
}

static void addr_str(const struct sockaddr_storage *a, socklen_t len, char *buf, size_t n)
{
	addr_fmt(a, len, "", "", buf, n);
}

static void addr_url(const struct sockaddr_storage *a, socklen_t len, char *buf, size_t n)
{
	addr_fmt(a, len, "osc.udp://", "/", buf, n);
}

/* Family, address and port only, zero elsewhere: two spellings of one peer compare equal
 * byte for byte (the subscription model's key). Returns the key's length. */
static size_t addr_key(const struct sockaddr_storage *a, uint8_t key[CTL_SUB_KEY_MAX])
{
	memset(key, 0, CTL_SUB_KEY_MAX);
	if (a->ss_family == AF_INET) {
		struct sockaddr_in k = {0};
		const struct sockaddr_in *x = (const void *)a;
		k.sin_family = AF_INET;
		k.sin_port = x->sin_port;
		k.sin_addr = x->sin_addr;
		memcpy(key, &k, sizeof(k));
		return sizeof(k);
	}
	struct sockaddr_in6 k = {0};
	const struct sockaddr_in6 *x = (const void *)a;
	k.sin6_family = a->ss_family;
	if (a->ss_family == AF_INET6) {
		k.sin6_port = x->sin6_port;
		k.sin6_addr = x->sin6_addr;
	}
	memcpy(key, &k, sizeof(k));
	return sizeof(k);
}

static int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t ka[CTL_SUB_KEY_MAX], kb[CTL_SUB_KEY_MAX];
	size_t la = addr_key(a, ka), lb = addr_key(b, kb);
	return la == lb && !memcmp(ka, kb, la);
}

static int host_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sockaddr_storage x = *a, y = *b;
	if (x.ss_family == AF_INET)
		((struct sockaddr_in *)&x)->sin_port = ((struct sockaddr_in *)&y)->sin_port;
	else if (x.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&x)->sin6_port = ((struct sockaddr_in6 *)&y)->sin6_port;
	return addr_equal(&x, &y);
}

/* Resolve "osc.udp://host:port/" for our socket's family. Host: a numeric address or
 * "localhost" (never a DNS lookup, which could stall the receive thread for seconds).
 * 0 or -EINVAL with a reason. */
static int url_resolve(struct osc *s, const char *url, struct osc_peer *out, const char **why)
{
	struct sockaddr_storage self;
	socklen_t selflen = sizeof(self);
	struct addrinfo hints = {0}, *res = NULL;
	char *host = NULL, *port = NULL, *end;
	int rc = -EINVAL;

	*why = "not an osc.udp://host:port/ URL";
	if (strncmp(url, "osc.udp://", 10) != 0 || strlen(url) > 200)
		return -EINVAL;
	host = lo_url_get_hostname(url);
	port = lo_url_get_port(url);
	if (lo_url_get_protocol_id(url) != LO_UDP || !host || !port || !*host || !*port)
		goto out;
	long p = strtol(port, &end, 10);
	if (*end || p < 1 || p > 65535) {
		*why = "URL port is not 1..65535";
		goto out;
	}
	if (getsockname(s->fd, (struct sockaddr *)&self, &selflen) < 0)
		goto out;
	hints.ai_family = self.ss_family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	if (self.ss_family == AF_INET6)
		hints.ai_flags |= AI_V4MAPPED;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		if (strcasecmp(host, "localhost") != 0) {
			*why = "URL host must be a numeric address or localhost";
			goto out;
		}
		hints.ai_flags &= ~AI_NUMERICHOST;
		if (getaddrinfo(host, port, &hints, &res) != 0) {
			*why = "cannot resolve localhost";
			goto out;
		}
	}
	if (res->ai_addrlen > sizeof(out->addr))
		goto out;
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->len = (socklen_t)res->ai_addrlen;
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

/* An address as IPv6 (IPv4 v4-mapped) and its port, so both families compare alike. */
static int addr_as6(const struct sockaddr_storage *a, struct in6_addr *out, uint16_t *port)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &x->sin_addr, 4);
		*port = x->sin_port;
		return 0;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		*out = x->sin6_addr;
		*port = x->sin6_port;
		return 0;
	}
	return -1;
}

static int in6_loopback_or_any(const struct in6_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a))
		return 1;
	if (memcmp(a->s6_addr, mapped, 12))
		return 0;
	/* 127.0.0.0/8 and 0.0.0.0: both reach a socket bound here */
	return a->s6_addr[12] == 127 || !(a->s6_addr[12] | a->s6_addr[13] | a->s6_addr[14] |
					  a->s6_addr[15]);
}

/* 127.0.0.1 or ::1: a program of this machine's own user. Nothing from another host can
 * carry these source addresses (the kernel drops such packets arriving on an interface), and
 * such a program could send to any host itself. */
static int is_localhost(const struct sockaddr_storage *a)
{
	static const uint8_t v4_localhost[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
	struct in6_addr x;
	uint16_t port;
	if (addr_as6(a, &x, &port) < 0)
		return 0;
	return IN6_IS_ADDR_LOOPBACK(&x) || !memcmp(&x, v4_localhost, 16);
}

/* 1 if a datagram to `to` would come back to our own socket. Loopback and the unspecified
 * address count whatever we are bound to: a reply loop through them is never wanted. */
static int is_self(const struct osc *s, const struct sockaddr_storage *to)
{
	struct in6_addr a, me;
	uint16_t port, myport;
	if (addr_as6(to, &a, &port) < 0 || addr_as6(&s->self, &me, &myport) < 0)
		return 0;
	if (port != myport)
		return 0;
	if (in6_loopback_or_any(&a) || !memcmp(&a, &me, sizeof(a)))
		return 1;
	for (unsigned k = 0; k < s->nlocal; k++)
		if (!memcmp(&a, &s->local[k], sizeof(a)))
			return 1;
	return 0;
}

/* With a wildcard bind, every interface's address reaches us. */
static void collect_local_addrs(struct osc *s)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i && s->nlocal < OSC_MAX_SELF; i = i->ifa_next) {
		struct sockaddr_storage a = {0};
		uint16_t port;
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		memcpy(&a, i->ifa_addr, i->ifa_addr->sa_family == AF_INET
						? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6));
		addr_as6(&a, &s->local[s->nlocal++], &port);
	}
	freeifaddrs(ifa);
}

static void send_bytes(struct osc *s, const struct osc_peer *to, const void *buf, size_t n)
{
	if (is_self(s, &to->addr))
		return; /* never to ourselves: one spoofed request would loop forever */
	/* UDP: a full socket buffer drops this datagram, never blocks a thread */
	(void)!sendto(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&to->addr,
		      to->len);
}

static void send_msg(struct osc *s, const struct osc_peer *to, const char *path, lo_message m)
{
	size_t n = 0;
	void *buf = lo_message_serialise(m, path, NULL, &n);
	if (buf) {
		send_bytes(s, to, buf, n);
		free(buf);
	}
}

/* ---- bundles ----------------------------------------------------------------------- */

/* Many messages to one peer at once (a new subscriber's state: two per parameter per strip,
 * 264 for two strips; /params; feedback after a preset load; per-field meters) go out as OSC
 * bundles of at most one Ethernet frame's UDP payload instead of a datagram each: a default
 * receive buffer holds about 256 datagrams, so a burst of single messages overflowed it and
 * a surface started out of sync. A pack of one message goes out as that plain message. */
#define OSC_PACK_BYTES 1472
#define OSC_BUNDLE_HEAD 16 /* "#bundle\0" and the time tag */

struct osc_pack {
	struct osc *s;
	const struct osc_peer *to;
	size_t n;       /* bytes in buf, the bundle head included */
	unsigned count; /* messages in buf */
	uint8_t buf[OSC_PACK_BYTES];
};

static void pack_begin(struct osc_pack *p, struct osc *s, const struct osc_peer *to)
{
	static const uint8_t head[OSC_BUNDLE_HEAD] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0,
						      0,   0,   0,   0,   0,   0,   0,   1}; /* now */
	p->s = s;
	p->to = to;
	memcpy(p->buf, head, sizeof(head));
	p->n = OSC_BUNDLE_HEAD;
	p->count = 0;
}

static void pack_flush(struct osc_pack *p)
{
	if (p->count == 1) /* the element after its 4-byte size */
		send_bytes(p->s, p->to, p->buf + OSC_BUNDLE_HEAD + 4, p->n - OSC_BUNDLE_HEAD - 4);
	else if (p->count > 1)
		send_bytes(p->s, p->to, p->buf, p->n);
	p->n = OSC_BUNDLE_HEAD;
	p->count = 0;
}

static void pack_add(struct osc_pack *p, const char *path, lo_message m)
{
	size_t len = 0;
	uint8_t *msg = lo_message_serialise(m, path, NULL, &len);
	if (!msg)
		return;
	if (p->n + 4 + len > sizeof(p->buf))
		pack_flush(p);
	if (p->n + 4 + len > sizeof(p->buf)) { /* larger than a bundle holds: on its own */
		send_bytes(p->s, p->to, msg, len);
	} else {
		uint32_t be = htonl((uint32_t)len);
		memcpy(p->buf + p->n, &be, 4);
		memcpy(p->buf + p->n + 4, msg, len);
		p->n += 4 + len;
		p->count++;
	}
	free(msg);
}

/* /strip/N/mod/param f [s: enum name], or /strip/N/mod/param/norm f */
static void pack_value(struct osc_pack *p, unsigned strip, enum param_id id, int norm, float v)
{
	char path[CTL_PATH_MAX];
	lo_message m = ctl_lo_value(p->s->ctl, strip, id, norm, v, path, sizeof(path));
	if (!m)
		return;
	pack_add(p, path, m);
	lo_message_free(m);
}

/* A value and its /norm twin, as feedback and a new subscriber's first state send them. */
static void pack_both(struct osc_pack *p, unsigned strip, enum param_id id, float v)
{
	pack_value(p, strip, id, 0, v);
	pack_value(p, strip, id, 1, ctl_norm(id, v));
}

/* The work one datagram may cause: every message in it and every reply it draws takes one
 * unit; when none is left the rest is dropped and the sender told once. */
struct osc_pkt {
	unsigned left;
	int over;
};

static int pkt_take(struct osc_pkt *pk)
{
	if (!pk)
		return 1;
	if (!pk->left) {
		pk->over = 1;
		return 0;
	}
	pk->left--;
	return 1;
}

struct value_sink {
	struct osc_pack pack;
	struct osc_pkt *pk; /* NULL: not a reply (a new subscriber's state) */
};

static void sink_value(void *ctx, unsigned strip, enum param_id id, int norm, float v)
{
	struct value_sink *k = ctx;
	if (!pkt_take(k->pk))
		return;
	pack_value(&k->pack, strip, id, norm, v);
}

/* Runs under the engine lock (control.h): only signal. */
static void osc_feed_wake(void *ctx)
{
	struct osc *s = ctx;
	pthread_mutex_lock(&s->lock);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* ---- send thread ------------------------------------------------------------------- */

struct tx_state {
	struct ctl_scratch b;
	struct osc_peer to[OSC_MAX_SUBSCRIBERS];
	struct ctl_sub gone[OSC_MAX_SUBSCRIBERS];
	struct osc_peer gone_to[OSC_MAX_SUBSCRIBERS];
	struct osc_pack pack;
};

/* Every pending change to every subscriber, both addresses. Caller holds s->lock; it is
 * released while sending. */
static void tx_feedback(struct osc *s, struct tx_state *x)
{
	size_t n = ctl_feed_take(s->feed, x->b.chg, x->b.nchg);
	unsigned nto = 0;
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++)
		if (s->subs.sub[k].used)
			x->to[nto++] = s->peer[k];
	pthread_mutex_unlock(&s->lock);
	for (unsigned k = 0; k < nto; k++) {
		pack_begin(&x->pack, s, &x->to[k]);
		for (size_t i = 0; i < n; i++)
			pack_both(&x->pack, x->b.chg[i].strip, x->b.chg[i].id, x->b.chg[i].value);
		pack_flush(&x->pack);
	}
	pthread_mutex_lock(&s->lock);
}

/* Expired subscriptions hear /unsubscribed ... expired. Caller holds s->lock. */
static void tx_expire(struct osc *s, struct tx_state *x, double t)
{
	unsigned n = 0;
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
		struct ctl_sub *sub = &s->subs.sub[k];
		if (sub->used && sub->expires_s <= t)
			x->gone_to[n++] = s->peer[k];
	}
	/* slot order both times, so gone[i] and gone_to[i] are the same subscriber */
	n = ctl_subs_expire(&s->subs, t, x->gone, n);
	ctl_feed_set_active(s->feed, s->subs.n > 0);
	pthread_mutex_unlock(&s->lock);
	for (unsigned k = 0; k < n; k++) {
		lo_message m = lo_message_new();
		if (m) {
			lo_message_add_string(m, x->gone[k].name);
			lo_message_add_string(m, "expired");
			send_msg(s, &x->gone_to[k], "/unsubscribed", m);
			lo_message_free(m);
		}
		osc_log(s, "subscription of %s expired", x->gone[k].name);
	}
	pthread_mutex_lock(&s->lock);
}

/* One subscriber's meters: the 12-value message per strip and, for surfaces that cannot
 * take one value out of a 12-value message (TouchOSC) and asked for it, each field on its
 * own address (12 times the packets: not for everyone). */
static void tx_meter_send(struct osc *s, struct tx_state *x, const struct osc_peer *to,
			  int fields)
{
	pack_begin(&x->pack, s, to);
	for (unsigned i = 0; i < s->nstrips; i++) {
		char path[48];
		if (!x->b.have[i]) /* no audio ran since the last message: nothing to say */
			continue;
		for (int j = -1; j < (fields ? MF_COUNT : 0); j++) {
			lo_message m = ctl_lo_meter(i, x->b.fields[i], j, path, sizeof(path));
			if (!m)
				break;
			pack_add(&x->pack, path, m);
			lo_message_free(m);
		}
	}
	pack_flush(&x->pack);
}

/* Meters for every subscriber that is due. Caller holds s->lock. */
static void tx_meters(struct osc *s, struct tx_state *x, double t)
{
	if (!ctl_subs_fold_due(&s->subs, &s->lock, t))
		return;
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
		if (!ctl_subs_meter_due(&s->subs, k, t))
			continue;
		struct osc_peer to = s->peer[k];
		int fields = (s->subs.sub[k].flags & OSC_SUB_FIELDS) != 0;
		struct ctl_meters *meters = s->subs.meters;
		/* not under s->lock: the fields read the calibration under the engine lock, and a
		 * change notifies us under the engine lock (osc_feed_wake takes s->lock) */
		pthread_mutex_unlock(&s->lock);
		ctl_meters_take(meters, k, x->b.fields, x->b.have);
		tx_meter_send(s, x, &to, fields);
		pthread_mutex_lock(&s->lock);
	}
}

static void *tx_main(void *arg)
{
	struct osc *s = arg;
	struct tx_state *x = calloc(1, sizeof(*x));
	if (!x || ctl_scratch_init(&x->b, s->ctl) < 0) {
		osc_log(s, "out of memory: feedback and meters are off");
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->stop)) {
		if (ctl_wait_due(&s->cond, &s->lock, s->feed, &s->subs))
			continue;
		tx_feedback(s, x);
		double t = monoclock_s();
		tx_expire(s, x, t);
		tx_meters(s, x, t);
	}
	pthread_mutex_unlock(&s->lock);
out:
	if (x)
		ctl_scratch_fini(&x->b);
	free(x);
	return NULL;
}

/* ---- requests ---------------------------------------------------------------------- */

struct osc_req {
	struct osc *s;
	const char *path;
	const char *types;
	lo_arg **argv;
	int argc;
	struct osc_peer src; /* the sender */
	struct osc_peer to;  /* where replies go: the sender or the URL given */
	struct osc_pkt *pk;  /* the datagram's work budget, NULL: none */
};

/* A reply to a request, within its datagram's budget. */
static void req_send(struct osc_req *r, const struct osc_peer *to, const char *path,
		     lo_message m)
{
	if (pkt_take(r->pk))
		send_msg(r->s, to, path, m);
}

static void reply_error(struct osc_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_error(struct osc_req *r, const char *fmt, ...)
{
	char reason[300], from[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, r->path);
		lo_message_add_string(m, reason);
		req_send(r, &r->to, "/error", m);
		lo_message_free(m);
	}
	addr_str(&r->src.addr, r->src.len, from, sizeof(from));
	osc_log(r->s, "%.120s from %s: %s", r->path, from, reason);
}

static int is_string(char t) { return t == LO_STRING || t == LO_SYMBOL; }

/* Argument k's string. liblo's argument vector points into the packet, where a string
 * needs no alignment. */
static const char *arg_str(const struct osc_req *r, int k) { return (const char *)r->argv[k]; }

static struct ctl_arg to_ctl_arg(const struct osc_req *r, int k)
{
	return ctl_lo_arg(r->types[k], r->argv[k]);
}

/* Whether replies or a subscription may go to `to` for this request: the sender's own host
 * (any port: TouchOSC listens on another port than it sends from), or an address that
 * confirmed. Anything else would make chanstrip a reflector for whoever names a victim. */
static int dest_allowed(struct osc_req *r, const struct osc_peer *to)
{
	uint8_t key[CTL_SUB_KEY_MAX];
	if (host_equal(&to->addr, &r->src.addr) || is_localhost(&r->src.addr))
		return 1;
	size_t keylen = addr_key(&to->addr, key);
	return ctl_peers_confirmed(&r->s->peers, key, keylen, monoclock_s());
}

/* Ask `to` to confirm: one small /confirm NONCE, at most every CTL_PEER_CHALLENGE_S, so the
 * bytes an unconfirmed address receives never exceed those of the requests naming it. */
static void challenge(struct osc *s, const struct osc_peer *to, int pending, float rate_hz,
		      unsigned flags)
{
	uint8_t key[CTL_SUB_KEY_MAX];
	char nonce[20];
	size_t keylen = addr_key(&to->addr, key);
	if (!ctl_peers_challenge(&s->peers, key, keylen, monoclock_s(), pending, rate_hz, flags,
				 nonce))
		return;
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, nonce);
	send_msg(s, to, "/confirm", m);
	lo_message_free(m);
}

/* Take an osc.udp:// URL off the end of the arguments as the reply address. 0, or -1 after
 * replying with an error. */
static int take_reply_url(struct osc_req *r)
{
	const char *why;
	if (r->argc < 1 || !is_string(r->types[r->argc - 1]) ||
	    strncmp(arg_str(r, r->argc - 1), "osc.", 4) != 0)
		return 0;
	struct osc_peer to;
	if (url_resolve(r->s, arg_str(r, r->argc - 1), &to, &why) < 0) {
		reply_error(r, "bad reply URL '%.100s': %s", arg_str(r, r->argc - 1), why);
		return -1;
	}
	if (is_self(r->s, &to.addr)) {
		reply_error(r, "bad reply URL '%.100s': chanstrip's own address",
			    arg_str(r, r->argc - 1));
		return -1;
	}
	if (!dest_allowed(r, &to)) {
		challenge(r->s, &to, 0, 0, 0);
		reply_error(r, "reply URL '%.100s' is another host that has not confirmed: it was "
			       "sent /confirm NONCE and may send /confirm NONCE back",
			    arg_str(r, r->argc - 1));
		return -1;
	}
	r->to = to;
	r->argc--;
	return 0;
}

/* ---- auto gain ---- */

/* Auto gain status to every subscriber: /strip/N/autogain/status s:state f:seconds_left
 * f:gain_db s:advice; end states are logged too. Called on the autogain thread. */
static void osc_ag_status(void *ctx, unsigned strip, const char *state, float left,
			  float gain_db, const char *advice)
{
	struct osc *s = ctx;
	struct osc_peer to[OSC_MAX_SUBSCRIBERS];
	unsigned n = 0;
	char path[64];
	pthread_mutex_lock(&s->lock);
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++)
		if (s->subs.sub[k].used)
			to[n++] = s->peer[k];
	pthread_mutex_unlock(&s->lock);
	snprintf(path, sizeof(path), "/strip/%u/autogain/status", strip + 1);
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, state);
	lo_message_add_float(m, left);
	lo_message_add_float(m, gain_db);
	lo_message_add_string(m, advice);
	for (unsigned k = 0; k < n; k++)
		send_msg(s, &to[k], path, m);
	lo_message_free(m);
	if (strcmp(state, "listening") != 0)
		osc_log(s, "strip %u: auto gain %s: %s", strip + 1, state, advice);
}

/* /strip/N/autogain [seconds] [target_dbfs], /strip/N/autogain/cancel */
static void handle_autogain(struct osc_req *r, const struct ctl_sel *sel)
{
	struct osc *s = r->s;
	float secs = AUTOGAIN_SECONDS_DEF, target = AUTOGAIN_TARGET_DEF;
	if (sel->kind == CTL_AUTOGAIN_CANCEL) {
		int any = 0;
		for (unsigned i = 0; i < s->nstrips; i++)
			any |= sel->strip[i] && autogain_cancel(s->ag, (int)i) == 0;
		if (r->argc != 0)
			reply_error(r, "takes no arguments");
		else if (!any)
			reply_error(r, "auto gain is not listening on that strip");
		return;
	}
	if (r->argc > 2) {
		reply_error(r, "expected [seconds] [target_dbfs] (got %d arguments)", r->argc);
		return;
	}
	double v;
	if (r->argc >= 1)
		secs = ctl_lo_number(r->types[0], r->argv[0], &v) == 0 ? (float)v : NAN;
	if (r->argc >= 2)
		target = ctl_lo_number(r->types[1], r->argv[1], &v) == 0 ? (float)v : NAN;
	if (!(secs >= AUTOGAIN_SECONDS_MIN && secs <= AUTOGAIN_SECONDS_MAX) ||
	    !(target >= AUTOGAIN_TARGET_MIN && target <= AUTOGAIN_TARGET_MAX)) {
		reply_error(r, "expected seconds %g..%g and a target peak %g..%g dBFS",
			    (double)AUTOGAIN_SECONDS_MIN, (double)AUTOGAIN_SECONDS_MAX,
			    (double)AUTOGAIN_TARGET_MIN, (double)AUTOGAIN_TARGET_MAX);
		return;
	}
	for (unsigned i = 0; i < s->nstrips; i++)
		if (sel->strip[i])
			autogain_start(s->ag, (int)i, secs, target);
}

static void handle_meter_cmd(struct osc_req *r, const struct ctl_sel *sel)
{
	struct osc *s = r->s;
	if (sel->kind == CTL_AUTOGAIN || sel->kind == CTL_AUTOGAIN_CANCEL) {
		handle_autogain(r, sel);
		return;
	}
	if (r->argc != 0) {
		reply_error(r, "takes no arguments");
		return;
	}
	if (sel->kind == CTL_METER_RESET) {
		ctl_meters_reset(s->ctl, sel);
		return;
	}
	if (sel->kind == CTL_LOUDNESS_RESET) {
		char why[CTL_REASON_MAX];
		if (ctl_loudness_reset(s->ctl, sel, why) < 0)
			reply_error(r, "%s", why);
		return;
	}
	if (sel->kind != CTL_METER_HOLD) {
		reply_error(r, "meters are sent to subscribers (see /subscribe); "
			       "/strip/N/meter/hold gets the held values");
		return;
	}
	ctl_meters_fold(s->subs.meters); /* the held values as of now */
	for (unsigned i = 0; i < s->nstrips; i++) {
		float tp, headroom;
		int32_t clips;
		char path[48];
		if (!sel->strip[i])
			continue;
		ctl_meters_held(s->subs.meters, i, &tp, &headroom, &clips);
		snprintf(path, sizeof(path), "/strip/%u/meter/hold", i + 1);
		lo_message m = lo_message_new();
		if (!m)
			continue;
		lo_message_add_float(m, tp);
		lo_message_add_float(m, headroom);
		lo_message_add_int32(m, clips);
		req_send(r, &r->to, path, m);
		lo_message_free(m);
	}
}

/* /strip/N/nr/learn [seconds]: no reply when it starts (the profile is in force when the
 * time is up; a preset save or session save then carries it). */
static void handle_nr_learn(struct osc_req *r, const struct ctl_sel *sel)
{
	char why[CTL_REASON_MAX];
	struct ctl_arg a;
	if (r->argc > 1) {
		reply_error(r, "expected seconds or nothing (got %d values)", r->argc);
		return;
	}
	if (r->argc == 1)
		a = to_ctl_arg(r, 0);
	if (ctl_nr_learn(r->s->ctl, sel, r->argc == 1 ? &a : NULL, why) < 0)
		reply_error(r, "%s", why);
}

/* The slot of /strip/N/ab/store and recall: "A" or "B", or 0 (A) or 1 (B) from a control
 * surface that sends numbers only (a TouchOSC toggle). 0 or 1, or -1 with the reason. */
static int ab_slot_arg(const struct osc_req *r, char *why)
{
	double v;
	if (is_string(r->types[0]))
		return ctl_ab_slot(arg_str(r, 0), why);
	if (ctl_lo_number(r->types[0], r->argv[0], &v) == 0 && (v == 0 || v == 1))
		return (int)v;
	snprintf(why, CTL_REASON_MAX, "expected the slot: A or B (or 0 or 1)");
	return -1;
}

/* /strip/N/ab/store A|B, /strip/N/ab/recall A|B, /strip/N/ab/swap, /strip/N/reset. Swap and
 * reset take no argument, or a button's value: non-zero acts, 0 (the release) does nothing. */
static void handle_ab_reset(struct osc_req *r, const struct ctl_sel *sel)
{
	struct osc *s = r->s;
	char why[CTL_REASON_MAX];
	int slot = 0, rc;
	double v = 1;
	int want = sel->kind == CTL_AB_STORE || sel->kind == CTL_AB_RECALL;
	if (want ? r->argc != 1 : r->argc > 1) {
		reply_error(r, want ? "expected the slot: A or B (or 0 or 1)"
				    : "takes no argument, or a button's value");
		return;
	}
	if (want && (slot = ab_slot_arg(r, why)) < 0) {
		reply_error(r, "%s", why);
		return;
	}
	if (!want && r->argc == 1 &&
	    (ctl_lo_number(r->types[0], r->argv[0], &v) < 0 || !isfinite(v))) {
		reply_error(r, "wrong type: %s (expected no argument, or a button's value)",
			    ctl_lo_type_name(r->types[0]));
		return;
	}
	if (v == 0)
		return;
	switch (sel->kind) {
	case CTL_AB_STORE: rc = ctl_ab_store(s->ctl, sel, slot, why); break;
	case CTL_AB_RECALL: rc = ctl_ab_recall(s->ctl, sel, slot, CTL_ORIGIN_NONE, why); break;
	case CTL_AB_SWAP: rc = ctl_ab_swap(s->ctl, sel, CTL_ORIGIN_NONE, why); break;
	default: rc = ctl_reset(s->ctl, sel, CTL_ORIGIN_NONE, why); break;
	}
	if (rc < 0)
		reply_error(r, "%s", why);
}

static void handle_strip(struct osc_req *r)
{
	struct osc *s = r->s;
	struct ctl_sel sel;
	char why[CTL_REASON_MAX];

	if (ctl_resolve(s->ctl, r->path, &sel, why) < 0) {
		reply_error(r, "%s", why);
		return;
	}
	if (sel.kind == CTL_NR_LEARN) {
		handle_nr_learn(r, &sel);
		return;
	}
	if (sel.kind == CTL_AB_STORE || sel.kind == CTL_AB_RECALL || sel.kind == CTL_AB_SWAP ||
	    sel.kind == CTL_RESET) {
		handle_ab_reset(r, &sel);
		return;
	}
	if (sel.kind != CTL_PARAM) {
		handle_meter_cmd(r, &sel);
		return;
	}
	if (r->argc == 0) { /* get */
		struct value_sink k = {.pk = r->pk};
		pack_begin(&k.pack, s, &r->to);
		int rc = ctl_get(s->ctl, &sel, sink_value, &k, why);
		pack_flush(&k.pack);
		if (rc < 0)
			reply_error(r, "%s", why);
		return;
	}
	if (r->argc != 1) {
		reply_error(r, "expected one value to set, or none to get (got %d)", r->argc);
		return;
	}
	struct ctl_arg a = to_ctl_arg(r, 0);
	if (ctl_set(s->ctl, &sel, &a, CTL_ORIGIN_NONE, why) < 0)
		reply_error(r, "%s", why);
}

static void handle_params(struct osc_req *r)
{
	struct osc *s = r->s;
	if (r->argc) {
		reply_error(r, "takes no arguments");
		return;
	}
	struct osc_pack pack;
	pack_begin(&pack, s, &r->to);
	for (int p = 0; p < P_COUNT; p++) {
		struct ctl_param_info d;
		lo_message m = lo_message_new();
		if (!m)
			return;
		ctl_param_info(s->ctl, (enum param_id)p, &d);
		lo_message_add_string(m, d.path);
		lo_message_add_string(m, d.type);
		lo_message_add_string(m, d.unit);
		lo_message_add_float(m, d.min);
		lo_message_add_float(m, d.max);
		lo_message_add_float(m, d.def);
		lo_message_add_string(m, d.taper);
		lo_message_add_string(m, d.help);
		for (int i = 0; d.enum_names && d.enum_names[i]; i++)
			lo_message_add_string(m, d.enum_names[i]);
		for (unsigned i = 0; i < d.nsteps; i++)
			lo_message_add_float(m, d.steps[i]);
		if (pkt_take(r->pk))
			pack_add(&pack, "/param", m);
		lo_message_free(m);
	}
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_int32(m, P_COUNT);
		lo_message_add_int32(m, (int32_t)s->nstrips);
		if (pkt_take(r->pk))
			pack_add(&pack, "/params/end", m);
		lo_message_free(m);
	}
	pack_flush(&pack);
}

/* The reply of a command that takes no arguments: NULL (and an /error when there were any). */
static lo_message noarg_reply_new(struct osc_req *r)
{
	if (r->argc) {
		reply_error(r, "takes no arguments");
		return NULL;
	}
	return lo_message_new();
}

static void handle_simple(struct osc_req *r)
{
	struct osc *s = r->s;
	lo_message m = noarg_reply_new(r);
	if (!m)
		return;
	struct ctl_status st;
	ctl_status(s->ctl, &st);
	if (!strcmp(r->path, "/ping")) {
		req_send(r, &r->to, "/pong", m);
	} else if (!strcmp(r->path, "/xruns")) {
		lo_message_add_int32(m, (int32_t)st.xruns);
		req_send(r, &r->to, "/xruns", m);
	} else { /* /status */
		pthread_mutex_lock(&s->lock);
		unsigned nsubs = s->subs.n;
		pthread_mutex_unlock(&s->lock);
		lo_message_add_string(m, st.version);
		lo_message_add_int32(m, (int32_t)st.nstrips);
		lo_message_add_float(m, st.fs);
		lo_message_add_int32(m, (int32_t)st.xruns);
		lo_message_add_int32(m, (int32_t)st.latency);
		lo_message_add_int32(m, (int32_t)nsubs);
		req_send(r, &r->to, "/status", m);
	}
	lo_message_free(m);
}

/* ---- subscriptions ------------------------------------------------------------------ */

/* The sender's address with another port: where a control surface that sends from one port
 * and listens on another (TouchOSC) wants its feedback. */
static void addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* SUB_FIELDS: /subscribe/fields, as SUB_ON with per-field meter messages; SUB_PORT (the
 * TouchOSC button's address) always has them. */
enum sub_op { SUB_OFF, SUB_ON, SUB_PORT, SUB_FIELDS };


struct sub_args {
	struct osc_peer who;
	double rate;
	int confirmed; /* the subscriber asked itself, or echoed a nonce */
	unsigned flags; /* OSC_SUB_FIELDS */
};

static int bad_number(const struct osc_req *r, int k, double *out)
{
	char t = r->types[k];
	return ctl_lo_number(t, r->argv[k], out) < 0 || t == LO_TRUE || t == LO_FALSE;
}

/* /subscribe [url] [rate], /unsubscribe [url], /subscribe/port PORT [rate]. 0, or -1 after
 * replying with an error. */
static int subscribe_args(struct osc_req *r, enum sub_op op, struct sub_args *a)
{
	const char *why;
	double port;
	int i = 0;
	a->who = r->src;
	a->rate = OSC_METER_RATE_DEFAULT;
	a->flags = op == SUB_PORT || op == SUB_FIELDS ? OSC_SUB_FIELDS : 0;
	if (op == SUB_PORT) {
		if (r->argc < 1 || bad_number(r, 0, &port) || !(port >= 1.0) || port > 65535.0 ||
		    port != floor(port)) {
			reply_error(r, "expected PORT (1 .. 65535) [meter_rate_hz]");
			return -1;
		}
		addr_set_port(&a->who.addr, (uint16_t)port);
		if (is_self(r->s, &a->who.addr)) {
			reply_error(r, "PORT %d is chanstrip's own address", (int)port);
			return -1;
		}
		i = 1;
	} else if (i < r->argc && is_string(r->types[i])) {
		if (url_resolve(r->s, arg_str(r, i), &a->who, &why) < 0) {
			reply_error(r, "bad URL '%.100s': %s", arg_str(r, i), why);
			return -1;
		}
		if (is_self(r->s, &a->who.addr)) {
			reply_error(r, "bad URL '%.100s': chanstrip's own address", arg_str(r, i));
			return -1;
		}
		i++;
	}
	if (op != SUB_OFF && i < r->argc) {
		if (bad_number(r, i, &a->rate)) {
			reply_error(r, "wrong type: %s (expected [url] [meter_rate_hz])",
				    ctl_lo_type_name(r->types[i]));
			return -1;
		}
		if (!isfinite(a->rate) || a->rate < 0) {
			reply_error(r, "meter rate must be 0 (no meters) .. %d Hz",
				    OSC_METER_RATE_MAX);
			return -1;
		}
		if (a->rate > OSC_METER_RATE_MAX)
			a->rate = OSC_METER_RATE_MAX;
		i++;
	}
	if (i != r->argc) {
		reply_error(r, op == SUB_PORT ? "expected PORT [meter_rate_hz]"
			       : op != SUB_OFF ? "expected [url] [meter_rate_hz]" : "expected [url]");
		return -1;
	}
	return 0;
}

/* Change the model. Returns the slot (-ENOSPC: full) or, for SUB_OFF, whether it was
 * subscribed (0 or -ENOENT); *renewed is 1 for an existing subscriber. */
/* The subscription model's view of a request: who, requested by which host. */
static void sub_want(const struct osc_req *r, const struct sub_args *a, const char *url,
		     struct ctl_sub *w)
{
	struct sockaddr_storage host = r->src.addr;
	memset(w, 0, sizeof(*w));
	w->keylen = addr_key(&a->who.addr, w->key);
	addr_set_port(&host, 0);
	w->hostlen = addr_key(&host, w->host);
	w->exempt = is_localhost(&r->src.addr);
	snprintf(w->name, sizeof(w->name), "%s", url);
	w->rate_hz = (float)a->rate;
	w->flags = a->flags;
	w->confirmed = a->confirmed;
}

/* Change the model. Returns the slot (-ENOSPC: full, -EUSERS: the host's share is taken)
 * or, for SUB_OFF, whether it was subscribed (0 or -ENOENT); *renewed is 1 for an existing
 * subscriber; an evicted subscriber is copied to *gone (with *gone_to) and *ngone set. */
static int subscribe_apply(struct osc_req *r, enum sub_op op, const struct sub_args *a,
			   const char *url, int *renewed, struct ctl_sub *gone,
			   struct osc_peer *gone_to, int *ngone)
{
	struct osc *s = r->s;
	struct ctl_sub w;
	int slot;
	*renewed = *ngone = 0;
	sub_want(r, a, url, &w);
	pthread_mutex_lock(&s->lock);
	if (op == SUB_OFF) {
		slot = ctl_subs_find(&s->subs, w.key, w.keylen);
		if (slot >= 0)
			ctl_subs_remove(&s->subs, (unsigned)slot);
		ctl_feed_set_active(s->feed, s->subs.n > 0);
		slot = slot >= 0 ? 0 : -ENOENT;
	} else {
		slot = ctl_subs_add(&s->subs, &w, monoclock_s(), renewed, gone, ngone);
		if (slot >= 0) {
			*gone_to = s->peer[slot];
			s->peer[slot] = a->who;
			ctl_feed_set_active(s->feed, 1);
			pthread_cond_signal(&s->cond);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return slot;
}

static void subscribe_reply(struct osc_req *r, enum sub_op op, const struct sub_args *a,
			    const char *url)
{
	struct osc *s = r->s;
	int other = !addr_equal(&a->who.addr, &r->src.addr);
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, url);
	if (op != SUB_OFF) {
		pthread_mutex_lock(&s->lock);
		float timeout_s = (float)s->subs.timeout_s;
		pthread_mutex_unlock(&s->lock);
		lo_message_add_float(m, (float)a->rate);
		lo_message_add_float(m, timeout_s);
	} else {
		lo_message_add_string(m, "unsubscribed");
	}
	/* the confirmation goes to the sender and to the subscriber it names */
	const char *path = op != SUB_OFF ? "/subscribed" : "/unsubscribed";
	req_send(r, &r->to, path, m);
	if (other && dest_allowed(r, &a->who))
		req_send(r, &a->who, path, m);
	lo_message_free(m);
}

/* Apply a checked request and tell whoever is concerned. */
static void tell_evicted(struct osc *s, const struct ctl_sub *gone, const struct osc_peer *to)
{
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, gone->name);
		lo_message_add_string(m, "evicted");
		send_msg(s, to, "/unsubscribed", m);
		lo_message_free(m);
	}
	osc_log(s, "subscription of %s evicted (idle) for a new one", gone->name);
}

/* Apply a checked request and tell whoever is concerned. */
static void subscribe_commit(struct osc_req *r, enum sub_op op, const struct sub_args *a)
{
	struct osc *s = r->s;
	char url[OSC_URL_MAX];
	struct ctl_sub gone;
	struct osc_peer gone_to;
	int renewed, ngone;

	addr_url(&a->who.addr, a->who.len, url, sizeof(url));
	int slot = subscribe_apply(r, op, a, url, &renewed, &gone, &gone_to, &ngone);
	if (ngone)
		tell_evicted(s, &gone, &gone_to);
	if (op != SUB_OFF && slot < 0) {
		if (slot == -EUSERS)
			reply_error(r, "too many subscribers from this host (at most %u of %d)",
				    s->subs.per_host_max, OSC_MAX_SUBSCRIBERS);
		else
			reply_error(r, "too many subscribers (at most %d)", OSC_MAX_SUBSCRIBERS);
		if (!addr_equal(&a->who.addr, &r->src.addr)) {
			/* the surface that was to be subscribed hears why not */
			r->to = a->who;
			reply_error(r, "too many subscribers (at most %d)", OSC_MAX_SUBSCRIBERS);
		}
		return;
	}
	if (op == SUB_OFF && slot < 0) {
		reply_error(r, "%s is not subscribed", url);
		return;
	}
	subscribe_reply(r, op, a, url);
	if (!renewed)
		osc_log(s, "%s %s", url, op != SUB_OFF ? "subscribed" : "unsubscribed");
	if (op != SUB_OFF && !renewed) {
		/* a new subscriber gets every current value, so a surface starts in sync */
		struct value_sink k = {.pk = NULL};
		pack_begin(&k.pack, s, &a->who);
		ctl_get_everything(s->ctl, sink_value, &k);
		pack_flush(&k.pack);
	}
}

static void handle_subscribe(struct osc_req *r, enum sub_op op)
{
	struct sub_args a;
	char url[OSC_URL_MAX];

	if (subscribe_args(r, op, &a) < 0)
		return;
	a.confirmed = addr_equal(&a.who.addr, &r->src.addr);
	if (!dest_allowed(r, &a.who)) {
		/* nothing goes there until it asks for it itself */
		addr_url(&a.who.addr, a.who.len, url, sizeof(url));
		if (op != SUB_OFF)
			challenge(r->s, &a.who, 1, (float)a.rate, a.flags);
		reply_error(r, "%s is another host that has not confirmed: it was sent /confirm "
			       "NONCE%s", url,
			    op != SUB_OFF ? " and is subscribed when it sends /confirm NONCE back" : "");
		return;
	}
	subscribe_commit(r, op, &a);
}

/* /confirm NONCE from the address a challenge went to: it wants our traffic. Never answered
 * with an error (a stray /confirm is one of our own replies coming back). */
static void handle_confirm(struct osc_req *r)
{
	uint8_t key[CTL_SUB_KEY_MAX];
	int pending;
	float rate;
	unsigned flags;
	if (r->argc != 1 || !is_string(r->types[0]))
		return;
	size_t keylen = addr_key(&r->src.addr, key);
	if (ctl_peers_confirm(&r->s->peers, key, keylen, arg_str(r, 0), monoclock_s(), &pending,
			      &rate, &flags) < 0)
		return;
	char url[OSC_URL_MAX];
	addr_url(&r->src.addr, r->src.len, url, sizeof(url));
	osc_log(r->s, "%s confirmed", url);
	if (pending) {
		struct sub_args a = {.who = r->src, .rate = rate, .confirmed = 1, .flags = flags};
		struct osc_req q = {.s = r->s, .path = "/subscribe", .src = r->src, .to = r->src};
		subscribe_commit(&q, SUB_ON, &a);
	}
}

/* ---- presets ------------------------------------------------------------------------ */

static int preset_arg(struct osc_req *r, const char **name)
{
	char why[CTL_REASON_MAX];
	if (r->argc != 1 || !is_string(r->types[0])) {
		reply_error(r, "expected one preset name (string)");
		return -1;
	}
	*name = arg_str(r, 0);
	if (ctl_preset_name_check(*name, why) < 0) {
		reply_error(r, "%s", why);
		return -1;
	}
	return 0;
}

/* /preset/load/NAME: the name in the address, for buttons that can only send a number
 * (TouchOSC's push sends 1 on press). No argument or one non-zero number loads; a 0 (a
 * button's release) does nothing. 0 to load, 1 to do nothing, -1 after an error reply. */
static int preset_path_arg(struct osc_req *r, const char **name)
{
	char why[CTL_REASON_MAX];
	double v = 1.0;
	if (r->argc > 1 || (r->argc == 1 && ctl_lo_number(r->types[0], r->argv[0], &v) < 0)) {
		reply_error(r, "expected no argument or one number (the name is in the address)");
		return -1;
	}
	if (v == 0.0)
		return 1;
	*name = r->path + strlen("/preset/load/");
	if (ctl_preset_name_check(*name, why) < 0) {
		reply_error(r, "%s", why);
		return -1;
	}
	return 0;
}

static void list_one(void *ctx, const char *name) { lo_message_add_string(ctx, name); }

static void preset_done(struct osc_req *r, const char *reply, const char *name)
{
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_string(m, name);
		req_send(r, &r->to, reply, m);
		lo_message_free(m);
	}
}

static void handle_preset(struct osc_req *r)
{
	struct osc *s = r->s;
	const char *name;
	char path[1024], why[CTL_REASON_MAX];

	if (!strcmp(r->path, "/preset/list")) {
		lo_message m = noarg_reply_new(r);
		if (!m)
			return;
		ctl_preset_list(list_one, m);
		req_send(r, &r->to, "/preset/list", m);
		lo_message_free(m);
	} else if (!strcmp(r->path, "/preset/load") || !strncmp(r->path, "/preset/load/", 13)) {
		int by_path = r->path[12] == '/';
		if (by_path ? preset_path_arg(r, &name) != 0 : preset_arg(r, &name) < 0)
			return;
		int rc = ctl_preset_load(s->ctl, name, CTL_ORIGIN_NONE, path, sizeof(path), why);
		if (rc < 0) {
			reply_error(r, "%s", why);
			return;
		}
		preset_done(r, "/preset/loaded", name);
		osc_log(s, "preset '%s' loaded from %s", name, path);
		if (rc > 0)
			osc_log(s, "%s", why);
	} else if (!strcmp(r->path, "/preset/save")) {
		if (preset_arg(r, &name) < 0)
			return;
		if (ctl_preset_save(s->ctl, name, path, sizeof(path), why) < 0) {
			reply_error(r, "%s", why);
			return;
		}
		preset_done(r, "/preset/saved", name);
		osc_log(s, "preset '%s' saved to %s", name, path);
	} else {
		reply_error(r, "unknown address (expected /preset/load, /preset/load/NAME, "
			       "/preset/save or /preset/list)");
	}
}

/* ---- MIDI maps ---------------------------------------------------------------------- */

/* Arguments from..argc as one "a b c" text (numbers as %.9g). 0, or -1 after an error. */
static int midi_args_text(struct osc_req *r, int from, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int k = from; k < r->argc; k++) {
		double v;
		int w;
		if (is_string(r->types[k]))
			w = snprintf(buf + used, len - used, "%s%s", k > from ? " " : "", arg_str(r, k));
		else if (ctl_lo_number(r->types[k], r->argv[k], &v) == 0 && r->types[k] != LO_TRUE &&
			 r->types[k] != LO_FALSE)
			w = snprintf(buf + used, len - used, "%s%.9g", k > from ? " " : "", v);
		else {
			reply_error(r, "wrong type: %s (expected PATH ch ctl [mode] [min max])",
				    ctl_lo_type_name(r->types[k]));
			return -1;
		}
		if (w < 0 || (size_t)w >= len - used) {
			reply_error(r, "arguments too long");
			return -1;
		}
		used += (size_t)w;
	}
	return 0;
}

struct midi_list_ctx {
	struct osc_req *r;
	int n;
};

static void midi_list_one(void *ctx, const struct midi_spec *sp)
{
	struct midi_list_ctx *k = ctx;
	char ctl[16];
	lo_message m = lo_message_new();
	if (!m)
		return;
	midi_ctl_format(sp->kind, sp->num, ctl, sizeof(ctl));
	lo_message_add_string(m, sp->path);
	lo_message_add_int32(m, sp->ch + 1);
	lo_message_add_string(m, ctl);
	lo_message_add_string(m, midi_mode_name(sp->mode));
	if (sp->range) {
		lo_message_add_float(m, sp->min);
		lo_message_add_float(m, sp->max);
	}
	req_send(k->r, &k->r->to, "/midi/list/map", m);
	lo_message_free(m);
	k->n++;
}

/* /midi/learn PATH [mode] [min max]: the spec with a placeholder controller. */
static int midi_learn_spec(struct osc_req *r, struct midi_spec *sp, char *why)
{
	char args[256], text[300];
	if (midi_args_text(r, 1, args, sizeof(args)) < 0)
		return 1;
	snprintf(text, sizeof(text), "%s 1 0 %s", arg_str(r, 0), args);
	return midi_spec_parse(text, sp, why, CTL_REASON_MAX);
}

static void handle_midi(struct osc_req *r)
{
	struct midictl *mc = atomic_load(&r->s->midi);
	struct midi_spec sp;
	char text[300], why[CTL_REASON_MAX];
	int rc = 0;
	if (!mc) {
		reply_error(r, "MIDI is off (chanstrip runs with --no-midi or offline)");
		return;
	}
	if (!strcmp(r->path, "/midi/list")) {
		struct midi_list_ctx k = {r, 0};
		lo_message m = noarg_reply_new(r);
		if (!m)
			return;
		midictl_list(mc, midi_list_one, &k);
		lo_message_add_int32(m, k.n);
		req_send(r, &r->to, "/midi/list/end", m);
		lo_message_free(m);
		return;
	}
	int known = !strcmp(r->path, "/midi/map") || !strcmp(r->path, "/midi/unmap") ||
		    !strcmp(r->path, "/midi/learn");
	if (!known) {
		reply_error(r, "unknown address (expected /midi/map, /midi/unmap, /midi/learn or "
			       "/midi/list)");
		return;
	}
	if (r->argc < 1 || !is_string(r->types[0])) {
		reply_error(r, "expected PATH first");
		return;
	}
	if (!strcmp(r->path, "/midi/unmap")) {
		rc = r->argc != 1 ? (snprintf(why, sizeof(why), "expected PATH only"), -1)
				  : midictl_unmap(mc, arg_str(r, 0), why);
	} else if (!strcmp(r->path, "/midi/learn")) {
		if ((rc = midi_learn_spec(r, &sp, why)) == 0)
			rc = midictl_learn(mc, &sp, why);
	} else if ((rc = midi_args_text(r, 0, text, sizeof(text))) == 0) {
		if ((rc = midi_spec_parse(text, &sp, why, sizeof(why))) == 0)
			rc = midictl_map(mc, &sp, why);
	} else {
		return; /* midi_args_text replied */
	}
	if (rc > 0)
		return;
	if (rc < 0)
		reply_error(r, "%s", why);
}

void osc_set_midi(struct osc *s, struct midictl *m)
{
	struct preset_ext x = {0};
	if (m)
		midictl_preset_ext(m, &x);
	ctl_set_preset_ext(s->ctl, m ? &x : NULL);
	atomic_store(&s->midi, m);
}

/* ---- packets ------------------------------------------------------------------------ */

/* 1 for what chanstrip itself sends as a reply or feedback (and never takes as a request in
 * that form): answering it, even with an error, could start a loop between two servers or a
 * server and itself, so it is dropped without a word. */
static int is_reply_type(const struct osc_req *r)
{
	static const char *const replies[] = {
		"/error", "/pong", "/subscribed", "/unsubscribed", "/param", "/params/end",
		"/preset/loaded", "/preset/saved", "/confirm", "/midi/list/map", "/midi/list/end",
	};
	/* these are requests without arguments and replies with them */
	static const char *const answered[] = {"/status", "/xruns", "/preset/list"};
	const char *p = r->path;
	for (size_t k = 0; k < sizeof(replies) / sizeof(replies[0]); k++)
		if (!strcmp(p, replies[k]))
			return 1;
	for (size_t k = 0; k < sizeof(answered) / sizeof(answered[0]); k++)
		if (!strcmp(p, answered[k]) && r->argc > 0)
			return 1;
	if (strncmp(p, "/strip/", 7))
		return 0;
	const char *m = strstr(p + 7, "/meter");
	if (!m || strchr(p + 7, '/') != m)
		return 0;
	/* /strip/N/meter and /strip/N/meter/hold with values, /strip/N/meter/FIELD (other
	 * /strip/N/meter/... addresses are parameters such as meter/cal) */
	if (!m[6] || !strcmp(m, "/meter/hold"))
		return r->argc > 0;
	for (int j = 0; m[6] == '/' && j < MF_COUNT; j++)
		if (!strcmp(m + 7, meter_field_names[j]))
			return 1;
	return 0;
}

static void dispatch(struct osc_req *r)
{
	const char *p = r->path;
	if (!strcmp(p, "/confirm")) {
		handle_confirm(r);
		return;
	}
	if (is_reply_type(r))
		return;
	/* a trailing osc.udp:// URL is where replies and errors go (subscriptions take their
	 * URL as the subscriber instead) */
	if (strcmp(p, "/subscribe") && strcmp(p, "/unsubscribe") && strcmp(p, "/subscribe/port") &&
	    strcmp(p, "/subscribe/fields") && take_reply_url(r) < 0)
		return;
	if (!strncmp(p, "/strip/", 7))
		handle_strip(r);
	else if (!strcmp(p, "/ping") || !strcmp(p, "/status") || !strcmp(p, "/xruns"))
		handle_simple(r);
	else if (!strcmp(p, "/params"))
		handle_params(r);
	else if (!strcmp(p, "/subscribe"))
		handle_subscribe(r, SUB_ON);
	else if (!strcmp(p, "/subscribe/port"))
		handle_subscribe(r, SUB_PORT);
	else if (!strcmp(p, "/subscribe/fields"))
		handle_subscribe(r, SUB_FIELDS);
	else if (!strcmp(p, "/unsubscribe"))
		handle_subscribe(r, SUB_OFF);
	else if (!strncmp(p, "/preset/", 8))
		handle_preset(r);
	else if (!strncmp(p, "/midi/", 6))
		handle_midi(r);
	else
		reply_error(r, "unknown address (see /params and chanstrip(1))");
}

/* The path of a packet, NUL-terminated inside it, or NULL. */
static const char *packet_path(const uint8_t *data, size_t n)
{
	const void *nul = memchr(data, '\0', n);
	if (!nul || nul == (const void *)data)
		return NULL;
	return (const char *)data;
}

static void handle_packet(struct osc *s, const uint8_t *data, size_t n,
			  const struct osc_peer *src, struct osc_pkt *pk, int depth);

/* timetags are ignored: every element is dispatched now, in order */
static void handle_bundle(struct osc *s, const uint8_t *data, size_t n,
			  const struct osc_peer *src, struct osc_pkt *pk, int depth)
{
	struct osc_req r = {.s = s, .path = "#bundle", .src = *src, .to = *src, .pk = pk};
	size_t pos = 16;
	if (depth >= OSC_BUNDLE_DEPTH) {
		reply_error(&r, "bundles nested too deep (at most %d)", OSC_BUNDLE_DEPTH);
		return;
	}
	while (pos + 4 <= n && !pk->over) {
		uint32_t len = (uint32_t)data[pos] << 24 | (uint32_t)data[pos + 1] << 16 |
			       (uint32_t)data[pos + 2] << 8 | data[pos + 3];
		pos += 4;
		if (len == 0 || len % 4 || len > n - pos) {
			reply_error(&r, "malformed bundle element");
			return;
		}
		handle_packet(s, data + pos, len, src, pk, depth + 1);
		pos += len;
	}
}

static void handle_packet(struct osc *s, const uint8_t *data, size_t n,
			  const struct osc_peer *src, struct osc_pkt *pk, int depth)
{
	struct osc_req r = {.s = s, .src = *src, .to = *src, .pk = pk};
	char pathbuf[256];

	if (n >= 16 && !memcmp(data, "#bundle", 8)) {
		handle_bundle(s, data, n, src, pk, depth);
		return;
	}
	if (!pkt_take(pk))
		return;
	const char *path = packet_path(data, n);
	snprintf(pathbuf, sizeof(pathbuf), "%s", path ? path : "?");
	r.path = pathbuf;
	if (!path || path[0] != '/') {
		reply_error(&r, "malformed packet (not an OSC message)");
		return;
	}
	int result = 0;
	lo_message m = lo_message_deserialise((void *)data, n, &result);
	if (!m) {
		reply_error(&r, "malformed message (liblo error %d)", result);
		return;
	}
	if (strlen(path) >= sizeof(pathbuf)) {
		reply_error(&r, "address too long (at most %zu bytes)", sizeof(pathbuf) - 1);
		lo_message_free(m);
		return;
	}
	r.types = lo_message_get_types(m);
	r.argv = lo_message_get_argv(m);
	r.argc = lo_message_get_argc(m);
	if (!r.types)
		r.types = "";
	dispatch(&r);
	lo_message_free(m);
}

/* One datagram, within OSC_PACKET_WORK_MAX: a 64 KiB bundle of pattern gets would
 * otherwise keep the receive thread (and every other client) waiting for seconds. */
static void handle_datagram(struct osc *s, const uint8_t *data, size_t n,
			    const struct osc_peer *src)
{
	struct osc_pkt pk = {OSC_PACKET_WORK_MAX, 0};
	struct sockaddr_storage host = src->addr;
	uint8_t key[CTL_SUB_KEY_MAX];
	addr_set_port(&host, 0);
	size_t keylen = addr_key(&host, key);
	pthread_mutex_lock(&s->lock);
	ctl_subs_heard(&s->subs, key, keylen, monoclock_s());
	pthread_mutex_unlock(&s->lock);
	handle_packet(s, data, n, src, &pk, 0);
	if (!pk.over)
		return;
	struct osc_req r = {.s = s, .path = "#packet", .src = *src, .to = *src, .pk = NULL};
	reply_error(&r, "work limit: one packet may cause at most %d messages and replies; "
			"the rest was dropped", OSC_PACKET_WORK_MAX);
}

void osc_feed_packet(struct osc *s, const void *data, size_t n, const struct sockaddr *from,
		     socklen_t fromlen)
{
	struct osc_peer src = {0};
	if (!s || !data || !from || fromlen > sizeof(src.addr) || n == 0)
		return;
	memcpy(&src.addr, from, fromlen);
	src.len = fromlen;
	handle_datagram(s, data, n, &src);
}

static void *rx_main(void *arg)
{
	struct osc *s = arg;
	struct pollfd pfd[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
	while (!atomic_load(&s->stop)) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			osc_log(s, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		struct osc_peer src;
		src.len = sizeof(src.addr);
		ssize_t n = recvfrom(s->fd, s->rxbuf, sizeof(s->rxbuf), MSG_DONTWAIT,
				     (struct sockaddr *)&src.addr, &src.len);
		if (n <= 0)
			continue; /* EAGAIN, or an ICMP error from an earlier send */
		handle_datagram(s, s->rxbuf, (size_t)n, &src);
	}
	return NULL;
}

/* ---- start / stop ------------------------------------------------------------------- */

static int open_socket(struct osc *s, const char *bind_addr, int port, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16];
	int rc;
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(bind_addr, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "--osc-bind %s: %s", bind_addr, gai_strerror(rc));
		return -EINVAL;
	}
	s->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "OSC socket: %s", strerror(errno));
		freeaddrinfo(res);
		return rc;
	}
	if (bind(s->fd, res->ai_addr, res->ai_addrlen) < 0) {
		rc = -errno;
		snprintf(err, errlen, "OSC: cannot listen on %s port %d: %s%s", bind_addr, port,
			 strerror(errno),
			 errno == EADDRINUSE ? " (another program uses it: choose --osc-port)" : "");
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	/* a burst of feedback to many subscribers should not meet a tiny default buffer */
	int sz = 1 << 20;
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));

	struct sockaddr_storage self;
	socklen_t selflen = sizeof(self);
	getsockname(s->fd, (struct sockaddr *)&self, &selflen);
	addr_url(&self, selflen, s->url, sizeof(s->url));
	s->self = self;
	collect_local_addrs(s);
	return 0;
}

/* Everything but the socket and the threads. 0 or -1 with a message. */
static int osc_init_state(struct osc *s, struct engine *e, char *err, size_t errlen)
{
	s->e = e;
	s->nstrips = engine_nstrips(e);
	s->fd = -1;
	s->wake[0] = s->wake[1] = -1;
	ctl_log_init(&s->log, "osc", OSC_LOG_BURST, OSC_LOG_PER_S);
	pthread_mutex_init(&s->lock, NULL);
	ctl_cond_init(&s->cond);
	ctl_peers_init(&s->peers);
	if (!(s->ctl = ctl_new(e, err, errlen)))
		return -1;
	if (ctl_subs_init(&s->subs, s->ctl, OSC_MAX_SUBSCRIBERS, OSC_SUBSCRIBE_TIMEOUT_S) < 0) {
		snprintf(err, errlen, "OSC: out of memory or no meter reader left");
		return -1;
	}
	if (!(s->feed = ctl_feed_new(s->ctl, osc_feed_wake, s))) {
		snprintf(err, errlen, "OSC: out of memory");
		return -1;
	}
	if (!(s->ag = autogain_new(e, osc_ag_status, s))) {
		snprintf(err, errlen, "OSC: cannot start auto gain: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct osc *osc_start(struct engine *e, const char *bind_addr, int port, char *err,
		      size_t errlen)
{
	struct osc *s;

	if (port < 0 || port > 65535) {
		snprintf(err, errlen, "OSC port %d is not 0..65535", port);
		return NULL;
	}
	if (!bind_addr || !*bind_addr)
		bind_addr = "127.0.0.1";
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "OSC: out of memory");
		return NULL;
	}
	if (osc_init_state(s, e, err, errlen) < 0)
		goto fail;
	if (open_socket(s, bind_addr, port, err, errlen) < 0)
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "OSC: pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->tx, NULL, tx_main, s) != 0) {
		snprintf(err, errlen, "OSC: cannot start the send thread");
		goto fail;
	}
	s->tx_started = 1;
	if (pthread_create(&s->rx, NULL, rx_main, s) != 0) {
		snprintf(err, errlen, "OSC: cannot start the receive thread");
		goto fail;
	}
	s->rx_started = 1;
	return s;
fail:
	osc_stop(s);
	return NULL;
}

const char *osc_url(const struct osc *s) { return s ? s->url : ""; }

struct autogain *osc_autogain(struct osc *s) { return s->ag; }

void osc_set_subscribe_timeout(struct osc *s, double seconds)
{
	pthread_mutex_lock(&s->lock);
	s->subs.timeout_s = seconds;
	pthread_mutex_unlock(&s->lock);
}

void osc_set_subscriber_idle(struct osc *s, double seconds)
{
	pthread_mutex_lock(&s->lock);
	s->subs.idle_s = seconds;
	pthread_mutex_unlock(&s->lock);
}

void osc_stop(struct osc *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	if (s->rx_started) {
		(void)!write(s->wake[1], "x", 1);
		pthread_join(s->rx, NULL);
	}
	autogain_free(s->ag); /* no request can start one now; its status sends end here */
	if (s->tx_started) {
		pthread_mutex_lock(&s->lock);
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->tx, NULL);
	}
	/* the feed first: after this no engine change reaches osc_feed_wake */
	ctl_feed_free(s->feed);
	ctl_subs_fini(&s->subs);
	ctl_free(s->ctl);
	ctl_peers_fini(&s->peers);
	if (s->fd >= 0)
		close(s->fd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	ctl_log_fini(&s->log);
	free(s);
}
