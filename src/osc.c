/* osc.c: the OSC server.
 *
 * Threads:
 * - receive: owns the UDP socket's reads, decodes with liblo (lo_message_deserialise), walks
 *   bundles, dispatches, answers gets and errors straight away.
 * - send: feedback to subscribers (changes queued by the engine listener, coalesced per
 *   strip and parameter), /strip/N/meter at each subscriber's rate, subscription expiry.
 * Neither touches DSP state: changes go through engine_apply(), meters come from our own
 * engine meter reader.
 *
 * Why our own socket instead of lo_server_thread: liblo 0.31 (Debian 12) binds UDP servers
 * to the wildcard address only (lo_server_new_from_config, which takes an interface address,
 * arrived in 0.32), and design.md requires 127.0.0.1 by default. liblo still does the OSC
 * encoding, decoding and pattern matching; replies leave from the bound socket, so they come
 * from the port the client sent to (what TouchOSC expects).
 *
 * Locks, always taken in this order: engine lock -> hook lock -> s->lock. Nothing here calls
 * into the engine while holding s->lock (the engine listener runs under the engine lock and
 * takes s->lock). fold_lock (meters) is taken before any engine call, never inside s->lock. */
#include "osc.h"

#include <errno.h>
#include <fcntl.h>
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

#include "config.h"
#include "preset.h"

#define OSC_MAX_PACKET 65536
#define OSC_BUNDLE_DEPTH 8
#define OSC_PATTERN_CHARS "*?[]{}"

struct osc_sub {
	int used;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char url[96]; /* "osc.udp://[" + numeric IPv6 with scope (63) + "]:" + port + "/" */
	float rate_hz; /* 0: changes only, no meters */
	double next_meter_s, expires_s;
	struct meter_snapshot *acc; /* [nstrips] merged since this subscriber's last meter */
	uint8_t *acc_full;          /* [nstrips] acc holds data */
};

/* The engine has no way to remove a listener, so it points at this small hook, which
 * outlives the server: after osc_stop() it points nowhere and changes are ignored. */
struct osc_hook {
	pthread_mutex_t lock;
	struct osc *osc;
};

struct osc {
	struct engine *e;
	unsigned nstrips;
	int fd;
	int wake[2]; /* wakes the receive thread to stop */
	pthread_t rx, tx;
	int rx_started, tx_started;
	atomic_int stop;
	char url[160];
	char relpath[P_COUNT][48]; /* "comp/threshold" */
	struct osc_hook *hook;
	int reader; /* our engine meter reader */
	double sub_timeout_s;

	pthread_mutex_t lock; /* subscribers, pending feedback, held meters */
	pthread_cond_t cond;  /* send thread: feedback pending, subscribers changed, stop */
	struct osc_sub subs[OSC_MAX_SUBSCRIBERS];
	unsigned nsubs;
	uint8_t *pend_flag;  /* [nstrips * P_COUNT] */
	float *pend_val;     /* [nstrips * P_COUNT] */
	uint32_t *pend_list; /* indices, in order of first change */
	uint32_t npend;
	struct meter_hold *hold; /* [nstrips] as of the last fold */

	pthread_mutex_t fold_lock; /* serialises meter folds (both threads fold) */
	struct meter_snapshot *fold_snap;
	struct meter_hold *fold_hold;
	uint8_t *fold_have;

	/* log rate limit: token bucket */
	pthread_mutex_t log_lock;
	double log_tokens, log_last_s;
	unsigned long log_suppressed;

	uint8_t rxbuf[OSC_MAX_PACKET];
};

/* ---- helpers ------------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One line on stderr, at most OSC_LOG_BURST in a row and OSC_LOG_PER_S after that, so a
 * flood of bad messages cannot fill a disk; the count of dropped lines is reported later. */
static void osc_log(struct osc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void osc_log(struct osc *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	double t = now_s();
	unsigned long dropped = 0;

	pthread_mutex_lock(&s->log_lock);
	s->log_tokens += (t - s->log_last_s) * OSC_LOG_PER_S;
	if (s->log_tokens > OSC_LOG_BURST)
		s->log_tokens = OSC_LOG_BURST;
	s->log_last_s = t;
	if (s->log_tokens < 1.0) {
		s->log_suppressed++;
		pthread_mutex_unlock(&s->log_lock);
		return;
	}
	s->log_tokens -= 1.0;
	dropped = s->log_suppressed;
	s->log_suppressed = 0;
	pthread_mutex_unlock(&s->log_lock);

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a path from the network may hold any bytes: keep the log one line of ASCII */
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	if (dropped)
		fprintf(stderr, "chanstrip: osc: %s (%lu earlier lines suppressed)\n", line, dropped);
	else
		fprintf(stderr, "chanstrip: osc: %s\n", line);
}

static void addr_str(const struct sockaddr_storage *a, socklen_t len, char *buf, size_t n)
{
	char host[64], port[16];
	if (getnameinfo((const struct sockaddr *)a, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, n, "?");
	else if (a->ss_family == AF_INET6)
		snprintf(buf, n, "[%s]:%s", host, port);
	else
		snprintf(buf, n, "%s:%s", host, port);
}

static void addr_url(const struct sockaddr_storage *a, socklen_t len, char *buf, size_t n)
{
	char host[64], port[8];
	if (getnameinfo((const struct sockaddr *)a, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, n, "osc.udp://?/");
	else if (a->ss_family == AF_INET6)
		snprintf(buf, n, "osc.udp://[%s]:%s/", host, port);
	else
		snprintf(buf, n, "osc.udp://%s:%s/", host, port);
}

static int addr_equal(const struct sockaddr_storage *a, socklen_t al,
		      const struct sockaddr_storage *b, socklen_t bl)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return al == bl && !memcmp(a, b, al);
}

/* Resolve "osc.udp://host:port/" for our socket's family. Host: a numeric address or
 * "localhost" (never a DNS lookup, which could stall the receive thread for seconds).
 * 0 or -EINVAL with a reason. */
static int url_resolve(struct osc *s, const char *url, struct sockaddr_storage *out,
		       socklen_t *outlen, const char **why)
{
	struct sockaddr_storage self;
	socklen_t selflen = sizeof(self);
	struct addrinfo hints = {0}, *res = NULL;
	char *host = NULL, *port = NULL;
	int rc = -EINVAL, proto;

	*why = "not an osc.udp://host:port/ URL";
	if (strncmp(url, "osc.udp://", 10) != 0 || strlen(url) > 200)
		return -EINVAL;
	proto = lo_url_get_protocol_id(url);
	host = lo_url_get_hostname(url);
	port = lo_url_get_port(url);
	if (proto != LO_UDP || !host || !port || !*host || !*port)
		goto out;
	char *end;
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
	if (res->ai_addrlen > sizeof(*out))
		goto out;
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = (socklen_t)res->ai_addrlen;
	rc = 0;
out:
	if (res)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

static void send_msg(struct osc *s, const struct sockaddr_storage *to, socklen_t tolen,
		     const char *path, lo_message m)
{
	size_t n = 0;
	void *buf = lo_message_serialise(m, path, NULL, &n);
	if (buf) {
		/* UDP: a full socket buffer drops this one message, never blocks a thread */
		(void)!sendto(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL,
			      (const struct sockaddr *)to, tolen);
		free(buf);
	}
}

static void param_path(const struct osc *s, unsigned strip, enum param_id id, int norm,
		       char *buf, size_t n)
{
	snprintf(buf, n, "/strip/%u/%s%s", strip + 1, s->relpath[id], norm ? "/norm" : "");
}

/* /strip/N/mod/param f [s: enum name] */
static void send_value(struct osc *s, const struct sockaddr_storage *to, socklen_t tolen,
		       unsigned strip, enum param_id id, float v)
{
	char path[96];
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_float(m, v);
	if (param_table[id].type == PT_ENUM) {
		char name[32];
		paramio_format_value(id, v, name, sizeof(name));
		lo_message_add_string(m, name);
	}
	param_path(s, strip, id, 0, path, sizeof(path));
	send_msg(s, to, tolen, path, m);
	lo_message_free(m);
}

static void send_norm(struct osc *s, const struct sockaddr_storage *to, socklen_t tolen,
		      unsigned strip, enum param_id id, float v)
{
	char path[96];
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_float(m, param_to_norm(id, v));
	param_path(s, strip, id, 1, path, sizeof(path));
	send_msg(s, to, tolen, path, m);
	lo_message_free(m);
}

/* ---- feedback: the engine listener -------------------------------------------------- */

static void osc_on_change(void *ctx, unsigned strip, enum param_id id, float v)
{
	struct osc_hook *h = ctx;
	pthread_mutex_lock(&h->lock);
	struct osc *s = h->osc;
	if (s && strip < s->nstrips && (unsigned)id < P_COUNT) {
		pthread_mutex_lock(&s->lock);
		if (s->nsubs) {
			uint32_t k = strip * P_COUNT + (uint32_t)id;
			s->pend_val[k] = v;
			if (!s->pend_flag[k]) {
				s->pend_flag[k] = 1;
				s->pend_list[s->npend++] = k;
			}
			pthread_cond_signal(&s->cond);
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&h->lock);
}

/* ---- meters ------------------------------------------------------------------------- */

/* Drain the engine into every meter subscriber's accumulator and the held values. */
static void meter_fold(struct osc *s)
{
	pthread_mutex_lock(&s->fold_lock);
	engine_meters_poll(s->e);
	for (unsigned i = 0; i < s->nstrips; i++)
		s->fold_have[i] =
			engine_meter_read(s->e, s->reader, i, &s->fold_snap[i], &s->fold_hold[i]) == 0;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->nstrips; i++) {
		s->hold[i] = s->fold_hold[i];
		if (!s->fold_have[i])
			continue;
		for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
			struct osc_sub *sub = &s->subs[k];
			if (!sub->used || sub->rate_hz <= 0)
				continue;
			if (sub->acc_full[i])
				meter_snapshot_merge(&sub->acc[i], &s->fold_snap[i]);
			else
				sub->acc[i] = s->fold_snap[i];
			sub->acc_full[i] = 1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->fold_lock);
}

/* ---- send thread ------------------------------------------------------------------- */

struct tx_target {
	struct sockaddr_storage addr;
	socklen_t len;
	char url[96]; /* "osc.udp://[" + numeric IPv6 with scope (63) + "]:" + port + "/" */
};

static void *tx_main(void *arg)
{
	struct osc *s = arg;
	const size_t ncell = (size_t)s->nstrips * P_COUNT;
	uint32_t *list = malloc(ncell * sizeof(*list));
	float *vals = malloc(ncell * sizeof(*vals));
	struct meter_snapshot *snap = malloc(s->nstrips * sizeof(*snap));
	uint8_t *have = malloc(s->nstrips);
	struct meter_hold *hold = malloc(s->nstrips * sizeof(*hold));
	struct tx_target to[OSC_MAX_SUBSCRIBERS];

	if (!list || !vals || !snap || !have || !hold) {
		osc_log(s, "out of memory: feedback and meters are off");
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->stop)) {
		double t = now_s(), next = t + 1.0; /* expiry is checked at least once a second */
		for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
			struct osc_sub *sub = &s->subs[k];
			if (sub->used && sub->rate_hz > 0 && sub->next_meter_s < next)
				next = sub->next_meter_s;
			if (sub->used && sub->expires_s < next)
				next = sub->expires_s;
		}
		if (!s->npend && next > t) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			double wait = next - t;
			ts.tv_sec += (time_t)wait;
			ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cond, &s->lock, &ts);
			continue; /* recompute: woken by a change, a new subscriber or stop */
		}

		/* 1. feedback: every pending change to every subscriber, both addresses */
		uint32_t n = s->npend;
		for (uint32_t i = 0; i < n; i++) {
			list[i] = s->pend_list[i];
			vals[i] = s->pend_val[list[i]];
			s->pend_flag[list[i]] = 0;
		}
		s->npend = 0;
		unsigned nto = 0;
		for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++)
			if (s->subs[k].used) {
				to[nto].addr = s->subs[k].addr;
				to[nto].len = s->subs[k].addrlen;
				nto++;
			}
		pthread_mutex_unlock(&s->lock);
		for (unsigned k = 0; k < nto; k++)
			for (uint32_t i = 0; i < n; i++) {
				unsigned strip = list[i] / P_COUNT;
				enum param_id id = (enum param_id)(list[i] % P_COUNT);
				send_value(s, &to[k].addr, to[k].len, strip, id, vals[i]);
				send_norm(s, &to[k].addr, to[k].len, strip, id, vals[i]);
			}

		/* 2. expiry */
		t = now_s();
		pthread_mutex_lock(&s->lock);
		nto = 0;
		for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
			struct osc_sub *sub = &s->subs[k];
			if (sub->used && sub->expires_s <= t) {
				to[nto].addr = sub->addr;
				to[nto].len = sub->addrlen;
				snprintf(to[nto].url, sizeof(to[nto].url), "%s", sub->url);
				nto++;
				sub->used = 0;
				s->nsubs--;
			}
		}
		int due = 0;
		for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++)
			due |= s->subs[k].used && s->subs[k].rate_hz > 0 && s->subs[k].next_meter_s <= t;
		pthread_mutex_unlock(&s->lock);
		for (unsigned k = 0; k < nto; k++) {
			lo_message m = lo_message_new();
			if (m) {
				lo_message_add_string(m, to[k].url);
				lo_message_add_string(m, "expired");
				send_msg(s, &to[k].addr, to[k].len, "/unsubscribed", m);
				lo_message_free(m);
			}
			osc_log(s, "subscription of %s expired", to[k].url);
		}

		/* 3. meters for every subscriber that is due */
		if (due)
			meter_fold(s);
		pthread_mutex_lock(&s->lock);
		for (unsigned k = 0; due && k < OSC_MAX_SUBSCRIBERS; k++) {
			struct osc_sub *sub = &s->subs[k];
			if (!sub->used || sub->rate_hz <= 0 || sub->next_meter_s > t)
				continue;
			double period = 1.0 / sub->rate_hz;
			sub->next_meter_s += period;
			if (sub->next_meter_s <= t) /* fell behind (stall): restart the grid */
				sub->next_meter_s = t + period;
			struct sockaddr_storage addr = sub->addr;
			socklen_t alen = sub->addrlen;
			for (unsigned i = 0; i < s->nstrips; i++) {
				have[i] = sub->acc_full[i];
				snap[i] = sub->acc[i];
				hold[i] = s->hold[i];
				sub->acc_full[i] = 0;
			}
			pthread_mutex_unlock(&s->lock);
			for (unsigned i = 0; i < s->nstrips; i++) {
				float f[MF_COUNT];
				char path[48];
				if (!have[i]) /* no audio ran since the last message: nothing to say */
					continue;
				engine_meter_fields(s->e, i, &snap[i], &hold[i], f);
				lo_message m = lo_message_new();
				if (!m)
					continue;
				for (int j = 0; j < MF_COUNT; j++)
					lo_message_add_float(m, f[j]);
				snprintf(path, sizeof(path), "/strip/%u/meter", i + 1);
				send_msg(s, &addr, alen, path, m);
				lo_message_free(m);
				/* and each field on its own address: control surfaces such as TouchOSC
				 * cannot take one value out of a 12-value message */
				for (int j = 0; j < MF_COUNT; j++) {
					if (!(m = lo_message_new()))
						break;
					lo_message_add_float(m, f[j]);
					snprintf(path, sizeof(path), "/strip/%u/meter/%s", i + 1,
						 meter_field_names[j]);
					send_msg(s, &addr, alen, path, m);
					lo_message_free(m);
				}
			}
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
out:
	free(list);
	free(vals);
	free(snap);
	free(have);
	free(hold);
	return NULL;
}

/* ---- requests ---------------------------------------------------------------------- */

struct osc_req {
	struct osc *s;
	const char *path;
	const char *types;
	lo_arg **argv;
	int argc;
	struct sockaddr_storage src; /* the sender */
	socklen_t srclen;
	struct sockaddr_storage to; /* where replies go: the sender or the URL given */
	socklen_t tolen;
};

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
		send_msg(r->s, &r->to, r->tolen, "/error", m);
		lo_message_free(m);
	}
	addr_str(&r->src, r->srclen, from, sizeof(from));
	osc_log(r->s, "%.120s from %s: %s", r->path, from, reason);
}

static int is_string(char t) { return t == LO_STRING || t == LO_SYMBOL; }

/* Take an osc.udp:// URL off the end of the arguments as the reply address. 0, or -1 after
 * replying with an error. */
static int take_reply_url(struct osc_req *r)
{
	const char *why;
	if (r->argc < 1 || !is_string(r->types[r->argc - 1]) ||
	    strncmp(&r->argv[r->argc - 1]->s, "osc.", 4) != 0)
		return 0;
	if (url_resolve(r->s, &r->argv[r->argc - 1]->s, &r->to, &r->tolen, &why) < 0) {
		reply_error(r, "bad reply URL '%.100s': %s", &r->argv[r->argc - 1]->s, why);
		return -1;
	}
	r->argc--;
	return 0;
}

/* The argument as a number: f, d, i, h; T/F and I (infinity) too. -1 for anything else. */
static int arg_number(char t, const lo_arg *a, double *out)
{
	switch (t) {
	case LO_FLOAT: *out = a->f; return 0;
	case LO_DOUBLE: *out = a->d; return 0;
	case LO_INT32: *out = a->i; return 0;
	case LO_INT64: *out = (double)a->h; return 0;
	case LO_TRUE: *out = 1; return 0;
	case LO_FALSE: *out = 0; return 0;
	case LO_INFINITUM: *out = INFINITY; return 0;
	default: return -1;
	}
}

static const char *type_desc(char t)
{
	switch (t) {
	case LO_STRING: return "string";
	case LO_SYMBOL: return "symbol";
	case LO_BLOB: return "blob";
	case LO_NIL: return "nil";
	case LO_CHAR: return "char";
	case LO_MIDI: return "MIDI";
	case LO_TIMETAG: return "timetag";
	default: return "unsupported";
	}
}

static const char *check_reason(int err)
{
	switch (err) {
	case -EDOM: return "not a finite number";
	case -ERANGE: return "out of range";
	default: return "not an allowed value";
	}
}

/* The value of a set for parameter id from the one argument left. 0 or -1 after replying. */
static int arg_value(struct osc_req *r, enum param_id id, int norm, float *out)
{
	const struct param_def *d = &param_table[id];
	char t = r->types[0];
	const lo_arg *a = r->argv[0];
	char range[128], txt[64];
	double x;
	int err;

	paramio_format_range(id, range, sizeof(range));
	if (norm) {
		if (arg_number(t, a, &x) < 0 || t == LO_TRUE || t == LO_FALSE) {
			reply_error(r, "wrong type: %s (expected a number 0..1)", type_desc(t));
			return -1;
		}
		if (!isfinite(x)) {
			reply_error(r, "not a finite number (expected 0..1)");
			return -1;
		}
		if (x < 0 || x > 1) {
			reply_error(r, "out of range: %g (expected 0..1)", x);
			return -1;
		}
		*out = param_from_norm(id, (float)x);
		return 0;
	}
	if (is_string(t)) {
		const char *why = "not an allowed value";
		if ((err = paramio_parse_value(id, &a->s, out, &why)) < 0) {
			reply_error(r, "%s: '%.60s' (expected %s)", why, &a->s, range);
			return -1;
		}
		return 0;
	}
	if ((t == LO_TRUE || t == LO_FALSE) && d->type != PT_BOOL) {
		reply_error(r, "wrong type: %s (expected %s)", t == LO_TRUE ? "true" : "false", range);
		return -1;
	}
	if (arg_number(t, a, &x) < 0) {
		reply_error(r, "wrong type: %s (expected %s)", type_desc(t), range);
		return -1;
	}
	float v = (float)x; /* a double beyond float range becomes Inf: "not a finite number" */
	if ((err = param_check(id, v)) < 0) {
		snprintf(txt, sizeof(txt), "%g", x);
		reply_error(r, "%s: %s (expected %s)", check_reason(err), txt, range);
		return -1;
	}
	*out = v;
	return 0;
}

static int has_pattern(const char *p) { return strpbrk(p, OSC_PATTERN_CHARS) != NULL; }

/* Strips the selector names: a number 1..nstrips or an OSC pattern. Sets sel[]; returns
 * how many or -1 after replying. */
static int match_strips(struct osc_req *r, const char *seg, uint8_t *sel)
{
	struct osc *s = r->s;
	int n = 0;
	memset(sel, 0, s->nstrips);
	if (!has_pattern(seg)) {
		char *end;
		errno = 0;
		long v = strtol(seg, &end, 10);
		if (end == seg || *end || errno || v < 1 || v > (long)s->nstrips) {
			reply_error(r, "no strip '%.20s' (strips are 1..%u)", seg, s->nstrips);
			return -1;
		}
		sel[v - 1] = 1;
		return 1;
	}
	for (unsigned i = 0; i < s->nstrips; i++) {
		char num[16];
		snprintf(num, sizeof(num), "%u", i + 1);
		if (lo_pattern_match(num, seg)) {
			sel[i] = 1;
			n++;
		}
	}
	if (!n) {
		reply_error(r, "no strip matches '%.20s' (strips are 1..%u)", seg, s->nstrips);
		return -1;
	}
	return n;
}

/* Which parameters "rest" names, plain or /norm. match[p] bit 0: plain, bit 1: norm. */
static int match_params(struct osc *s, const char *rest, uint8_t match[P_COUNT])
{
	int n = 0;
	int pat = has_pattern(rest);
	for (int p = 0; p < P_COUNT; p++) {
		char norm[64];
		match[p] = 0;
		snprintf(norm, sizeof(norm), "%s/norm", s->relpath[p]);
		if (pat ? lo_pattern_match(s->relpath[p], rest) : !strcmp(s->relpath[p], rest))
			match[p] |= 1;
		if (pat ? lo_pattern_match(norm, rest) : !strcmp(norm, rest))
			match[p] |= 2;
		n += (match[p] & 1) + ((match[p] >> 1) & 1);
	}
	return n;
}

static void handle_meter_cmd(struct osc_req *r, const char *what, const uint8_t *sel)
{
	struct osc *s = r->s;
	if (r->argc != 0) {
		reply_error(r, "takes no arguments");
		return;
	}
	if (!strcmp(what, "meter/reset")) {
		for (unsigned i = 0; i < s->nstrips; i++)
			if (sel[i])
				engine_meter_reset_hold(s->e, (int)i);
		return;
	}
	if (!strcmp(what, "meter/hold")) {
		meter_fold(s); /* the held values as of now */
		for (unsigned i = 0; i < s->nstrips; i++) {
			if (!sel[i])
				continue;
			pthread_mutex_lock(&s->lock);
			struct meter_hold h = s->hold[i];
			pthread_mutex_unlock(&s->lock);
			char path[48];
			snprintf(path, sizeof(path), "/strip/%u/meter/hold", i + 1);
			lo_message m = lo_message_new();
			if (!m)
				continue;
			float tp = dsp_gain_to_db(h.tp_held);
			lo_message_add_float(m, tp);
			lo_message_add_float(m, meter_headroom_held_db(&h));
			lo_message_add_int32(m, h.clips_total > INT32_MAX ? INT32_MAX
									   : (int32_t)h.clips_total);
			send_msg(s, &r->to, r->tolen, path, m);
			lo_message_free(m);
		}
		return;
	}
	reply_error(r, "meters are sent to subscribers (see /subscribe); "
		       "/strip/N/meter/hold gets the held values");
}

static void handle_strip(struct osc_req *r)
{
	struct osc *s = r->s;
	const char *seg = r->path + 7; /* after "/strip/" */
	const char *slash = strchr(seg, '/');
	char stripseg[64];
	uint8_t sel[ENGINE_MAX_STRIPS], match[P_COUNT];

	if (!slash || slash == seg || (size_t)(slash - seg) >= sizeof(stripseg) || !slash[1]) {
		reply_error(r, "unknown address (expected /strip/N/module/param)");
		return;
	}
	memcpy(stripseg, seg, (size_t)(slash - seg));
	stripseg[slash - seg] = '\0';
	const char *rest = slash + 1;

	if (!strcmp(rest, "meter") || !strcmp(rest, "meter/reset") || !strcmp(rest, "meter/hold")) {
		if (match_strips(r, stripseg, sel) < 0)
			return;
		handle_meter_cmd(r, rest, sel);
		return;
	}
	int nmatch = match_params(s, rest, match);
	if (!nmatch) {
		reply_error(r, "unknown address (see /params)");
		return;
	}
	if (match_strips(r, stripseg, sel) < 0)
		return;

	if (r->argc == 0) { /* get */
		float (*v)[P_COUNT] = malloc(s->nstrips * sizeof(*v));
		if (!v) {
			reply_error(r, "out of memory");
			return;
		}
		engine_get_all(s->e, v);
		for (unsigned i = 0; i < s->nstrips; i++) {
			if (!sel[i])
				continue;
			for (int p = 0; p < P_COUNT; p++) {
				if (match[p] & 1)
					send_value(s, &r->to, r->tolen, i, (enum param_id)p, v[i][p]);
				if (match[p] & 2)
					send_norm(s, &r->to, r->tolen, i, (enum param_id)p, v[i][p]);
			}
		}
		free(v);
		return;
	}
	if (r->argc != 1) {
		reply_error(r, "expected one value to set, or none to get (got %d)", r->argc);
		return;
	}

	/* set: every matched strip and parameter, all or nothing */
	struct param_assign a[P_COUNT * 2];
	size_t na = 0;
	for (int p = 0; p < P_COUNT; p++)
		for (int norm = 0; norm < 2; norm++) {
			if (!(match[p] & (1 << norm)))
				continue;
			float v;
			if (arg_value(r, (enum param_id)p, norm, &v) < 0)
				return;
			a[na++] = (struct param_assign){-1, (enum param_id)p, v};
		}
	int nsel = 0;
	for (unsigned i = 0; i < s->nstrips; i++)
		nsel += sel[i];
	size_t total = nsel == (int)s->nstrips ? na : na * (size_t)nsel;
	struct param_assign *all = a;
	if (nsel != (int)s->nstrips) {
		all = malloc(total * sizeof(*all));
		if (!all) {
			reply_error(r, "out of memory");
			return;
		}
		size_t k = 0;
		for (unsigned i = 0; i < s->nstrips; i++)
			for (size_t j = 0; sel[i] && j < na; j++) {
				all[k] = a[j];
				all[k++].strip = (int)i;
			}
	}
	size_t bad = 0;
	int err = engine_apply(s->e, all, total, &bad);
	if (all != a)
		free(all);
	if (err == -EAGAIN)
		reply_error(r, "busy (control queue full): retry");
	else if (err < 0)
		reply_error(r, "%s", check_reason(err));
}

static void handle_params(struct osc_req *r)
{
	struct osc *s = r->s;
	static const char *const tnames[] = {"float", "bool", "enum", "steps"};
	if (r->argc) {
		reply_error(r, "takes no arguments");
		return;
	}
	for (int p = 0; p < P_COUNT; p++) {
		const struct param_def *d = &param_table[p];
		char path[80];
		lo_message m = lo_message_new();
		if (!m)
			return;
		snprintf(path, sizeof(path), "/strip/*/%s", s->relpath[p]);
		lo_message_add_string(m, path);
		lo_message_add_string(m, tnames[d->type]);
		lo_message_add_string(m, d->unit);
		lo_message_add_float(m, d->min);
		lo_message_add_float(m, d->max);
		lo_message_add_float(m, d->def);
		lo_message_add_string(m, d->taper == TAPER_LOG ? "log" : "linear");
		lo_message_add_string(m, d->help);
		if (d->type == PT_ENUM)
			for (int i = 0; d->enum_names[i]; i++)
				lo_message_add_string(m, d->enum_names[i]);
		if (d->type == PT_STEPS)
			for (unsigned i = 0; i < d->nsteps; i++)
				lo_message_add_float(m, d->steps[i]);
		send_msg(s, &r->to, r->tolen, "/param", m);
		lo_message_free(m);
	}
	lo_message m = lo_message_new();
	if (m) {
		lo_message_add_int32(m, P_COUNT);
		lo_message_add_int32(m, (int32_t)s->nstrips);
		send_msg(s, &r->to, r->tolen, "/params/end", m);
		lo_message_free(m);
	}
}

static void handle_simple(struct osc_req *r)
{
	struct osc *s = r->s;
	if (r->argc) {
		reply_error(r, "takes no arguments");
		return;
	}
	lo_message m = lo_message_new();
	if (!m)
		return;
	if (!strcmp(r->path, "/ping")) {
		send_msg(s, &r->to, r->tolen, "/pong", m);
	} else if (!strcmp(r->path, "/xruns")) {
		lo_message_add_int32(m, (int32_t)atomic_load(&s->e->xruns));
		send_msg(s, &r->to, r->tolen, "/xruns", m);
	} else { /* /status */
		pthread_mutex_lock(&s->lock);
		unsigned nsubs = s->nsubs;
		pthread_mutex_unlock(&s->lock);
		lo_message_add_string(m, CHANSTRIP_VERSION);
		lo_message_add_int32(m, (int32_t)s->nstrips);
		lo_message_add_float(m, s->e->fs);
		lo_message_add_int32(m, (int32_t)atomic_load(&s->e->xruns));
		lo_message_add_int32(m, (int32_t)engine_latency(s->e));
		lo_message_add_int32(m, (int32_t)nsubs);
		send_msg(s, &r->to, r->tolen, "/status", m);
	}
	lo_message_free(m);
}

/* /subscribe [url] [rate], /unsubscribe [url] */
/* The sender's address with another port: where a control surface that sends from one port
 * and listens on another (TouchOSC) wants its feedback. */
static void addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* /subscribe [url] [rate], /unsubscribe [url], and /subscribe/port PORT [rate] (on = 2):
 * the sender's host at PORT, for surfaces that can send a number but not a URL. */
static void handle_subscribe(struct osc_req *r, int on)
{
	struct osc *s = r->s;
	struct sockaddr_storage addr = r->src;
	socklen_t alen = r->srclen;
	double rate = OSC_METER_RATE_DEFAULT, port;
	int i = 0;
	char url[96]; /* "osc.udp://[" + numeric IPv6 with scope (63) + "]:" + port + "/" */
	const char *why;

	if (on == 2) {
		if (r->argc < 1 || arg_number(r->types[0], r->argv[0], &port) < 0 ||
		    r->types[0] == LO_TRUE || r->types[0] == LO_FALSE || !(port >= 1.0) ||
		    port > 65535.0 || port != floor(port)) {
			reply_error(r, "expected PORT (1 .. 65535) [meter_rate_hz]");
			return;
		}
		addr_set_port(&addr, (uint16_t)port);
		i = 1;
	} else if (i < r->argc && is_string(r->types[i])) {
		if (url_resolve(s, &r->argv[i]->s, &addr, &alen, &why) < 0) {
			reply_error(r, "bad URL '%.100s': %s", &r->argv[i]->s, why);
			return;
		}
		i++;
	}
	if (on && i < r->argc) {
		if (arg_number(r->types[i], r->argv[i], &rate) < 0 || r->types[i] == LO_TRUE ||
		    r->types[i] == LO_FALSE) {
			reply_error(r, "wrong type: %s (expected [url] [meter_rate_hz])",
				    type_desc(r->types[i]));
			return;
		}
		if (!isfinite(rate) || rate < 0) {
			reply_error(r, "meter rate must be 0 (no meters) .. %d Hz",
				    OSC_METER_RATE_MAX);
			return;
		}
		if (rate > OSC_METER_RATE_MAX)
			rate = OSC_METER_RATE_MAX;
		i++;
	}
	if (i != r->argc) {
		reply_error(r, on == 2 ? "expected PORT [meter_rate_hz]"
			       : on ? "expected [url] [meter_rate_hz]" : "expected [url]");
		return;
	}
	addr_url(&addr, alen, url, sizeof(url));

	double t = now_s();
	int slot = -1, found = 0, renewed = 0;
	double timeout_s = 0;
	pthread_mutex_lock(&s->lock);
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS && !found; k++)
		if (s->subs[k].used &&
		    addr_equal(&s->subs[k].addr, s->subs[k].addrlen, &addr, alen)) {
			slot = (int)k;
			found = 1;
		}
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS && slot < 0 && on; k++)
		if (!s->subs[k].used)
			slot = (int)k;
	if (on && slot >= 0) {
		struct osc_sub *sub = &s->subs[slot];
		if (!found) {
			sub->used = 1;
			sub->addr = addr;
			sub->addrlen = alen;
			snprintf(sub->url, sizeof(sub->url), "%s", url);
			memset(sub->acc_full, 0, s->nstrips);
			s->nsubs++;
			sub->next_meter_s = t;
		} else if (sub->rate_hz != (float)rate) {
			sub->next_meter_s = t;
		}
		renewed = found;
		sub->rate_hz = (float)rate;
		sub->expires_s = t + s->sub_timeout_s;
		timeout_s = s->sub_timeout_s;
		pthread_cond_signal(&s->cond);
	} else if (!on && found) {
		s->subs[slot].used = 0;
		s->nsubs--;
	}
	pthread_mutex_unlock(&s->lock);

	int other = !addr_equal(&addr, alen, &r->src, r->srclen);
	if (on && slot < 0) {
		reply_error(r, "too many subscribers (at most %d)", OSC_MAX_SUBSCRIBERS);
		if (other) { /* the surface that was to be subscribed hears why not */
			r->to = addr;
			r->tolen = alen;
			reply_error(r, "too many subscribers (at most %d)", OSC_MAX_SUBSCRIBERS);
		}
		return;
	}
	if (!on && !found) {
		reply_error(r, "%s is not subscribed", url);
		return;
	}
	lo_message m = lo_message_new();
	if (!m)
		return;
	lo_message_add_string(m, url);
	if (on) {
		lo_message_add_float(m, (float)rate);
		lo_message_add_float(m, (float)timeout_s);
	} else {
		lo_message_add_string(m, "unsubscribed");
	}
	/* the confirmation goes to the sender and to the subscriber it names */
	send_msg(s, &r->to, r->tolen, on ? "/subscribed" : "/unsubscribed", m);
	if (other)
		send_msg(s, &addr, alen, on ? "/subscribed" : "/unsubscribed", m);
	lo_message_free(m);
	if (!renewed)
		osc_log(s, "%s %s", url, on ? "subscribed" : "unsubscribed");
	if (on && !renewed) {
		/* a new subscriber gets every current value, so a surface starts in sync */
		float (*v)[P_COUNT] = malloc(s->nstrips * sizeof(*v));
		if (!v)
			return;
		engine_get_all(s->e, v);
		for (unsigned st = 0; st < s->nstrips; st++)
			for (int p = 0; p < P_COUNT; p++) {
				send_value(s, &addr, alen, st, (enum param_id)p, v[st][p]);
				send_norm(s, &addr, alen, st, (enum param_id)p, v[st][p]);
			}
		free(v);
	}
}

static int preset_arg(struct osc_req *r, const char **name)
{
	if (r->argc != 1 || !is_string(r->types[0])) {
		reply_error(r, "expected one preset name (string)");
		return -1;
	}
	*name = &r->argv[0]->s;
	if (!preset_name_valid(*name)) {
		reply_error(r, "'%.80s' is not a preset name (letters, digits, - and _, at most %d)",
			    *name, PRESET_NAME_MAX);
		return -1;
	}
	return 0;
}

struct list_ctx {
	lo_message m;
	int n;
};

static void list_one(void *ctx, const char *name, const char *dir)
{
	struct list_ctx *c = ctx;
	(void)dir;
	lo_message_add_string(c->m, name);
	c->n++;
}

static void handle_preset(struct osc_req *r)
{
	struct osc *s = r->s;
	const char *name;
	char path[1024], err[512];
	lo_message m;

	if (!strcmp(r->path, "/preset/list")) {
		if (r->argc) {
			reply_error(r, "takes no arguments");
			return;
		}
		struct list_ctx c = {lo_message_new(), 0};
		if (!c.m)
			return;
		preset_list(list_one, &c);
		send_msg(s, &r->to, r->tolen, "/preset/list", c.m);
		lo_message_free(c.m);
		return;
	}
	if (!strcmp(r->path, "/preset/load")) {
		struct preset p = {0};
		size_t bad = 0;
		int rc;
		if (preset_arg(r, &name) < 0)
			return;
		if (preset_find_name(name, path, sizeof(path)) < 0) {
			reply_error(r, "no preset '%s' (see /preset/list)", name);
			return;
		}
		if (preset_load_file(path, &p, err, sizeof(err)) < 0) {
			reply_error(r, "%s", err);
			return;
		}
		rc = engine_apply(s->e, p.assign, p.n, &bad);
		if (rc == -ENODEV)
			reply_error(r, "preset '%s' sets strip %d, this instance has %u", name,
				    p.assign[bad].strip + 1, s->nstrips);
		else if (rc == -EAGAIN)
			reply_error(r, "busy (control queue full): retry");
		else if (rc < 0)
			reply_error(r, "preset '%s': %s", name, check_reason(rc));
		else if ((m = lo_message_new())) {
			lo_message_add_string(m, name);
			send_msg(s, &r->to, r->tolen, "/preset/loaded", m);
			lo_message_free(m);
			osc_log(s, "preset '%s' loaded from %s", name, path);
		}
		preset_free(&p);
		return;
	}
	if (!strcmp(r->path, "/preset/save")) {
		if (preset_arg(r, &name) < 0)
			return;
		float (*v)[P_COUNT] = malloc(s->nstrips * sizeof(*v));
		if (!v) {
			reply_error(r, "out of memory");
			return;
		}
		engine_get_all(s->e, v);
		int rc = preset_save(name, (const float(*)[P_COUNT])v, s->nstrips, path,
				     sizeof(path), err, sizeof(err));
		free(v);
		if (rc < 0) {
			reply_error(r, "%s", err);
			return;
		}
		if ((m = lo_message_new())) {
			lo_message_add_string(m, name);
			send_msg(s, &r->to, r->tolen, "/preset/saved", m);
			lo_message_free(m);
		}
		osc_log(s, "preset '%s' saved to %s", name, path);
		return;
	}
	reply_error(r, "unknown address (expected /preset/load, /preset/save or /preset/list)");
}

static void dispatch(struct osc_req *r)
{
	const char *p = r->path;
	/* a trailing osc.udp:// URL is where replies and errors go (subscriptions take their
	 * URL as the subscriber instead) */
	if (strcmp(p, "/subscribe") && strcmp(p, "/unsubscribe") && strcmp(p, "/subscribe/port") &&
	    take_reply_url(r) < 0)
		return;
	if (!strncmp(p, "/strip/", 7))
		handle_strip(r);
	else if (!strcmp(p, "/ping") || !strcmp(p, "/status") || !strcmp(p, "/xruns"))
		handle_simple(r);
	else if (!strcmp(p, "/params"))
		handle_params(r);
	else if (!strcmp(p, "/subscribe"))
		handle_subscribe(r, 1);
	else if (!strcmp(p, "/subscribe/port"))
		handle_subscribe(r, 2);
	else if (!strcmp(p, "/unsubscribe"))
		handle_subscribe(r, 0);
	else if (!strncmp(p, "/preset/", 8))
		handle_preset(r);
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

static void handle_packet(struct osc *s, uint8_t *data, size_t n,
			  const struct sockaddr_storage *src, socklen_t srclen, int depth)
{
	struct osc_req r = {.s = s, .src = *src, .srclen = srclen, .to = *src, .tolen = srclen};
	char pathbuf[256];

	if (n >= 16 && !memcmp(data, "#bundle", 8)) {
		/* timetags are ignored: every element is dispatched now, in order */
		size_t pos = 16;
		if (depth >= OSC_BUNDLE_DEPTH) {
			r.path = "#bundle";
			reply_error(&r, "bundles nested too deep (at most %d)", OSC_BUNDLE_DEPTH);
			return;
		}
		while (pos + 4 <= n) {
			uint32_t len = (uint32_t)data[pos] << 24 | (uint32_t)data[pos + 1] << 16 |
				       (uint32_t)data[pos + 2] << 8 | data[pos + 3];
			pos += 4;
			if (len == 0 || len % 4 || len > n - pos) {
				r.path = "#bundle";
				reply_error(&r, "malformed bundle element");
				return;
			}
			handle_packet(s, data + pos, len, src, srclen, depth + 1);
			pos += len;
		}
		return;
	}
	const char *path = packet_path(data, n);
	if (path) {
		snprintf(pathbuf, sizeof(pathbuf), "%s", path);
	} else {
		snprintf(pathbuf, sizeof(pathbuf), "?");
	}
	r.path = pathbuf;
	if (!path || path[0] != '/') {
		reply_error(&r, "malformed packet (not an OSC message)");
		return;
	}
	int result = 0;
	lo_message m = lo_message_deserialise(data, n, &result);
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
		struct sockaddr_storage src;
		socklen_t srclen = sizeof(src);
		ssize_t n = recvfrom(s->fd, s->rxbuf, sizeof(s->rxbuf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &srclen);
		if (n <= 0)
			continue; /* EAGAIN, or an ICMP error from an earlier send */
		handle_packet(s, s->rxbuf, (size_t)n, &src, srclen, 0);
	}
	return NULL;
}

void osc_feed_packet(struct osc *s, const void *data, size_t n, const struct sockaddr *from,
		     socklen_t fromlen)
{
	struct sockaddr_storage src = {0};
	/* a writable copy of our own, as handle_packet takes one (rxbuf is the receive thread's) */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy || fromlen > sizeof(src)) {
		free(copy);
		return;
	}
	memcpy(copy, data, n);
	memcpy(&src, from, fromlen);
	handle_packet(s, copy, n, &src, fromlen, 0);
	free(copy);
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
	return 0;
}

struct osc *osc_start(struct engine *e, const char *bind_addr, int port, char *err,
		      size_t errlen)
{
	struct osc *s;
	pthread_condattr_t ca;
	size_t ncell = (size_t)e->nstrips * P_COUNT;

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
	s->e = e;
	s->nstrips = e->nstrips;
	s->fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->log_tokens = OSC_LOG_BURST;
	s->sub_timeout_s = OSC_SUBSCRIBE_TIMEOUT_S;
	s->log_last_s = now_s();
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->fold_lock, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (int p = 0; p < P_COUNT; p++) {
		snprintf(s->relpath[p], sizeof(s->relpath[p]), "%s", param_table[p].key);
		for (char *c = s->relpath[p]; *c; c++)
			if (*c == '.')
				*c = '/';
	}

	s->pend_flag = calloc(ncell, 1);
	s->pend_val = calloc(ncell, sizeof(float));
	s->pend_list = calloc(ncell, sizeof(uint32_t));
	s->hold = calloc(s->nstrips, sizeof(*s->hold));
	s->fold_snap = calloc(s->nstrips, sizeof(*s->fold_snap));
	s->fold_hold = calloc(s->nstrips, sizeof(*s->fold_hold));
	s->fold_have = calloc(s->nstrips, 1);
	int ok = s->pend_flag && s->pend_val && s->pend_list && s->hold && s->fold_snap &&
		 s->fold_hold && s->fold_have;
	for (unsigned k = 0; ok && k < OSC_MAX_SUBSCRIBERS; k++) {
		s->subs[k].acc = calloc(s->nstrips, sizeof(struct meter_snapshot));
		s->subs[k].acc_full = calloc(s->nstrips, 1);
		ok = s->subs[k].acc && s->subs[k].acc_full;
	}
	if (!ok) {
		snprintf(err, errlen, "OSC: out of memory");
		goto fail;
	}
	if (open_socket(s, bind_addr, port, err, errlen) < 0)
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "OSC: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((s->reader = engine_meter_reader_add(e)) < 0) {
		snprintf(err, errlen, "OSC: no meter reader left (%s)", strerror(-s->reader));
		goto fail;
	}
	if (!(s->hook = calloc(1, sizeof(*s->hook)))) {
		snprintf(err, errlen, "OSC: out of memory");
		goto fail;
	}
	pthread_mutex_init(&s->hook->lock, NULL);
	s->hook->osc = s;
	if (engine_add_listener(e, osc_on_change, s->hook) < 0) {
		snprintf(err, errlen, "OSC: no engine listener slot left");
		pthread_mutex_destroy(&s->hook->lock);
		free(s->hook);
		s->hook = NULL;
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

void osc_set_subscribe_timeout(struct osc *s, double seconds)
{
	pthread_mutex_lock(&s->lock);
	s->sub_timeout_s = seconds;
	pthread_mutex_unlock(&s->lock);
}

void osc_stop(struct osc *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	if (s->hook) {
		/* from now on the engine's calls to the listener do nothing (the hook is left
		 * to the engine: it has no way to drop a listener) */
		pthread_mutex_lock(&s->hook->lock);
		s->hook->osc = NULL;
		pthread_mutex_unlock(&s->hook->lock);
	}
	if (s->rx_started) {
		(void)!write(s->wake[1], "x", 1);
		pthread_join(s->rx, NULL);
	}
	if (s->tx_started) {
		pthread_mutex_lock(&s->lock);
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->tx, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	for (unsigned k = 0; k < OSC_MAX_SUBSCRIBERS; k++) {
		free(s->subs[k].acc);
		free(s->subs[k].acc_full);
	}
	free(s->pend_flag);
	free(s->pend_val);
	free(s->pend_list);
	free(s->hold);
	free(s->fold_snap);
	free(s->fold_hold);
	free(s->fold_have);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->fold_lock);
	pthread_mutex_destroy(&s->log_lock);
	free(s);
}
