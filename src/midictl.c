/* midictl.c: the JACK MIDI transport (see midictl.h for the threads and why values go
 * through ctl_set). */
#include "midictl.h"

#include <errno.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "monoclock.h"

/* Controller events the audio thread can hand over before the control thread drains them
 * (a fast 14-bit knob sends ~1000/s; the thread drains every few ms). When full, events
 * are dropped and counted. */
#define IN_RING_EVENTS 4096
#define OUT_RING_MSGS 4096
/* Origins of MIDI changes: one per map, so feedback skips only the map that moved. */
#define MIDICTL_ORIGIN_BASE 0x4d490000

struct out_msg {
	uint8_t len;
	uint8_t b[3];
};

struct map {
	struct midi_spec s;
	struct ctl_sel sel; /* the parameters it sets (norm bits) */
	unsigned ref_strip; /* the first of them: its value is what pickup and feedback follow */
	enum param_id ref_id;
	float lo, hi;  /* the range as norm positions of ref_id */
	float cur_x;   /* the parameter's position in the range, 0..1 */
	float prev_x;  /* pickup: the controller's last position (-1: none yet) */
	int picked;    /* pickup: the controller has caught the parameter */
	int origin;
};

struct midictl {
	struct engine *e;
	struct control *ctl;
	struct ctl_feed *feed;
	jack_ringbuffer_t *in_ring, *out_ring;
	atomic_uint dropped;

	/* audio thread only */
	struct midi_parser parser;
	struct midi_decoder dec;

	pthread_t thread;
	int started;
	atomic_int stop;
	pthread_mutex_t wait_lock;
	pthread_cond_t cond; /* feedback pending (the feed's wake), stop */

	pthread_mutex_t lock; /* everything below; taken outside the engine lock */
	struct map maps[MIDICTL_MAPS_MAX];
	unsigned nmaps;
	int next_origin;
	int learning;
	struct midi_spec learn;
	/* --midi-learn given more than once: the paths after the first, learnt in order; a
	 * queued learn (learn_fresh) takes only a controller that has no map yet, so the knob
	 * just learnt, still moving, does not take the next path too */
	struct midi_spec learn_q[MIDICTL_MAPS_MAX];
	unsigned learn_qn, learn_qpos;
	int learn_fresh;
	int pend; /* learn saw CC 0-31: waiting for its LSB */
	struct midi_ev pend_ev;
	double pend_ms;
	unsigned dropped_logged;
};

/* ---- audio thread ---------------------------------------------------------------------- */

static void process_in(struct midictl *m, void *in)
{
	uint32_t count = jack_midi_get_event_count(in);
	for (uint32_t i = 0; i < count; i++) {
		jack_midi_event_t e;
		if (jack_midi_event_get(&e, in, i))
			continue;
		for (size_t k = 0; k < e.size; k++) {
			uint8_t msg[3];
			struct midi_ev ev[MIDI_DECODE_MAX];
			if (!midi_parse_byte(&m->parser, e.buffer[k], msg))
				continue;
			int n = midi_decode(&m->dec, msg, ev);
			for (int j = 0; j < n; j++) {
				if (jack_ringbuffer_write_space(m->in_ring) < sizeof(ev[j]))
					atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
				else
					jack_ringbuffer_write(m->in_ring, (const char *)&ev[j],
							      sizeof(ev[j]));
			}
		}
	}
}

static void process_out(struct midictl *m, void *out)
{
	struct out_msg o;
	jack_midi_clear_buffer(out);
	while (jack_ringbuffer_read_space(m->out_ring) >= sizeof(o)) {
		jack_ringbuffer_peek(m->out_ring, (char *)&o, sizeof(o));
		if (o.len > 3 || jack_midi_event_write(out, 0, o.b, o.len))
			break; /* the port's buffer is full: the rest goes next cycle */
		jack_ringbuffer_read_advance(m->out_ring, sizeof(o));
	}
}

void midictl_process(struct midictl *m, void *in, void *out, jack_nframes_t n)
{
	(void)n;
	if (in)
		process_in(m, in);
	if (out)
		process_out(m, out);
}

/* ---- maps (m->lock held) ---------------------------------------------------------------- */

static float clamp01(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

static float map_pos(const struct map *p, float value)
{
	float span = p->hi - p->lo;
	if (span == 0)
		return 0;
	return clamp01((param_to_norm(p->ref_id, value) - p->lo) / span);
}

static void queue_feedback(struct midictl *m, const struct map *p)
{
	uint8_t b[MIDI_FEEDBACK_MAX];
	unsigned max = midi_kind_max(p->s.kind);
	unsigned v = (unsigned)lrintf(p->cur_x * (float)max);
	size_t n = midi_feedback_bytes(p->s.kind, p->s.ch, p->s.num, v, b);
	if (jack_ringbuffer_write_space(m->out_ring) < n / 3 * sizeof(struct out_msg))
		return;
	for (size_t k = 0; k < n; k += 3) {
		struct out_msg o = {3, {b[k], b[k + 1], b[k + 2]}};
		jack_ringbuffer_write(m->out_ring, (const char *)&o, sizeof(o));
	}
}

/* Resolve s into p. 0 or -1 with the reason. */
static int map_resolve(struct midictl *m, const struct midi_spec *s, struct map *p, char *why)
{
	struct ctl_sel sel;
	int nid = 0, first = -1;
	if (ctl_resolve(m->ctl, s->path, &sel, why) < 0)
		return -1;
	if (sel.kind != CTL_PARAM) {
		snprintf(why, CTL_REASON_MAX, "'%.60s' is not a parameter", s->path);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	p->s = *s;
	p->sel = sel;
	for (int i = 0; i < P_COUNT; i++) {
		p->sel.param[i] = sel.param[i] ? 2 : 0;
		if (sel.param[i] && first < 0)
			first = i;
		nid += sel.param[i] != 0;
	}
	p->sel.nparam = (unsigned)nid;
	for (unsigned i = 0; i < ctl_nstrips(m->ctl); i++)
		if (sel.strip[i]) {
			p->ref_strip = i;
			break;
		}
	p->ref_id = (enum param_id)first;
	p->lo = 0;
	p->hi = 1;
	if (s->range) {
		if (nid != 1) {
			snprintf(why, CTL_REASON_MAX, "min/max need one parameter ('%.60s' names %d)",
				 s->path, nid);
			return -1;
		}
		if (param_check(p->ref_id, s->min) < 0 || param_check(p->ref_id, s->max) < 0) {
			snprintf(why, CTL_REASON_MAX, "min/max %g %g outside the range of %s",
				 (double)s->min, (double)s->max, param_table[first].key);
			return -1;
		}
		p->lo = param_to_norm(p->ref_id, s->min);
		p->hi = param_to_norm(p->ref_id, s->max);
	}
	p->cur_x = map_pos(p, engine_get(m->e, p->ref_strip, p->ref_id));
	p->prev_x = -1;
	return 0;
}

static int map_find(struct midictl *m, const char *path)
{
	for (unsigned k = 0; k < m->nmaps; k++)
		if (!strcmp(m->maps[k].s.path, path))
			return (int)k;
	return -1;
}

/* Add p (replacing the map of the same path), send its position out. */
static int map_put(struct midictl *m, struct map *p, char *why)
{
	int k = map_find(m, p->s.path);
	if (k < 0 && m->nmaps == MIDICTL_MAPS_MAX) {
		snprintf(why, CTL_REASON_MAX, "too many MIDI maps (at most %d)", MIDICTL_MAPS_MAX);
		return -1;
	}
	if (k < 0)
		k = (int)m->nmaps++;
	p->origin = MIDICTL_ORIGIN_BASE + (m->next_origin++ & 0xFFFF);
	m->maps[k] = *p;
	queue_feedback(m, &m->maps[k]);
	atomic_store(&m->e->dirty, 1);
	return 0;
}

/* ---- events (control thread, m->lock held) ---------------------------------------------- */

static void map_apply(struct midictl *m, struct map *p, const struct midi_ev *ev)
{
	float max = (float)midi_kind_max(p->s.kind), x;
	char why[CTL_REASON_MAX];
	if (p->s.mode == MIDI_MODE_RELATIVE || p->s.mode == MIDI_MODE_OFFSET) {
		x = clamp01(p->cur_x + (float)midi_rel_delta(p->s.kind, p->s.mode, ev->value) / max);
	} else {
		x = (float)ev->value / max;
		if (p->s.mode == MIDI_MODE_PICKUP && !p->picked) {
			p->picked = midi_pickup_caught(p->prev_x, x, p->cur_x, 1.0f / max);
			p->prev_x = x;
			if (!p->picked)
				return;
		}
		p->prev_x = x;
	}
	struct ctl_arg a = {.kind = CTL_ARG_NUMBER, .num = p->lo + x * (p->hi - p->lo)};
	if (ctl_set(m->ctl, &p->sel, &a, p->origin, why) == 0)
		p->cur_x = x;
}

/* Arm the next queued learn, if any. */
static void learn_next(struct midictl *m)
{
	if (m->learn_qpos >= m->learn_qn)
		return;
	m->learn = m->learn_q[m->learn_qpos++];
	m->learning = 1;
	m->learn_fresh = 1;
	fprintf(stderr, "chanstrip: midi learn: move a controller for %s\n", m->learn.path);
}

/* 1 when a map already takes ev's controller: the same NRPN or pitchbend, or the same CC
 * (a 14-bit map's MSB and LSB, a 7-bit map's CC and the 14-bit event the decoder gives
 * with it). */
static int ctl_mapped(const struct midictl *m, const struct midi_ev *ev)
{
	for (unsigned k = 0; k < m->nmaps; k++) {
		const struct midi_spec *p = &m->maps[k].s;
		unsigned num = ev->num;
		if (p->ch != ev->ch)
			continue;
		if (p->kind == MIDI_CC14 && ev->kind == MIDI_CC7 && num >= 32 && num < 64)
			num -= 32; /* its LSB */
		int cc = (p->kind == MIDI_CC7 || p->kind == MIDI_CC14) &&
			 (ev->kind == MIDI_CC7 || ev->kind == MIDI_CC14);
		if ((cc || p->kind == ev->kind) && p->num == num)
			return 1;
	}
	return 0;
}

static void learn_take(struct midictl *m, const struct midi_ev *ev, uint8_t kind)
{
	struct midi_spec s = m->learn;
	struct map p;
	char why[CTL_REASON_MAX], ctl[16];
	s.ch = ev->ch;
	s.kind = kind;
	s.num = ev->num;
	m->learning = 0;
	m->pend = 0;
	midi_ctl_format(kind, ev->num, ctl, sizeof(ctl));
	if (map_resolve(m, &s, &p, why) < 0 || map_put(m, &p, why) < 0)
		fprintf(stderr, "chanstrip: midi learn %s: %s\n", s.path, why);
	else
		fprintf(stderr, "chanstrip: midi learn: %s <- channel %u %s\n", s.path, s.ch + 1,
			ctl);
	learn_next(m);
}

/* Learn: 1 when ev was taken by it. A CC 0-31 waits for its LSB (a 14-bit pair), an NRPN
 * data MSB for its data LSB; without one (another event, or MIDICTL_LEARN_PAIR_MS) the
 * 7-bit CC, or the NRPN, is taken as it is. */
static int learn_event(struct midictl *m, const struct midi_ev *ev)
{
	if (m->learning && m->learn_fresh && !m->pend && ctl_mapped(m, ev))
		return 0;
	if (m->pend && ev->lsb && ev->ch == m->pend_ev.ch && ev->num == m->pend_ev.num &&
	    ((ev->kind == MIDI_CC14 && m->pend_ev.kind == MIDI_CC7) ||
	     (ev->kind == MIDI_NRPN && m->pend_ev.kind == MIDI_NRPN))) {
		learn_take(m, ev, ev->kind);
		return 1;
	}
	if (ev->kind == MIDI_CC14) /* the CC7 twin of this message decides */
		return 1;
	if (m->pend) /* something else came: the pending CC or NRPN has no LSB */
		learn_take(m, &m->pend_ev, m->pend_ev.kind);
	if (!m->learning)
		return 0;
	if ((ev->kind == MIDI_CC7 && ev->num < 32) || (ev->kind == MIDI_NRPN && !ev->lsb)) {
		m->pend = 1; /* wait for the LSB (CC +32, or data entry 38) */
		m->pend_ev = *ev;
		m->pend_ms = monoclock_ms();
		return 1;
	}
	learn_take(m, ev, ev->kind);
	return 1;
}

static void handle_event(struct midictl *m, const struct midi_ev *ev)
{
	if ((m->learning || m->pend) && learn_event(m, ev))
		return;
	for (unsigned k = 0; k < m->nmaps; k++) {
		struct map *p = &m->maps[k];
		if (p->s.ch == ev->ch && p->s.kind == ev->kind && p->s.num == ev->num)
			map_apply(m, p, ev);
	}
}

static void drain_input(struct midictl *m)
{
	struct midi_ev ev;
	pthread_mutex_lock(&m->lock);
	while (jack_ringbuffer_read_space(m->in_ring) >= sizeof(ev)) {
		jack_ringbuffer_read(m->in_ring, (char *)&ev, sizeof(ev));
		handle_event(m, &ev);
	}
	if (m->pend && monoclock_ms() - m->pend_ms >= MIDICTL_LEARN_PAIR_MS)
		learn_take(m, &m->pend_ev, m->pend_ev.kind);
	unsigned d = atomic_load_explicit(&m->dropped, memory_order_relaxed);
	if (d != m->dropped_logged) {
		fprintf(stderr, "chanstrip: midi: %u controller events dropped (input flood)\n",
			d - m->dropped_logged);
		m->dropped_logged = d;
	}
	pthread_mutex_unlock(&m->lock);
}

static void drain_feed(struct midictl *m)
{
	struct ctl_change ch[64];
	size_t n;
	while ((n = ctl_feed_take(m->feed, ch, 64)) > 0) {
		pthread_mutex_lock(&m->lock);
		for (size_t i = 0; i < n; i++)
			for (unsigned k = 0; k < m->nmaps; k++) {
				struct map *p = &m->maps[k];
				if (p->ref_strip != ch[i].strip || p->ref_id != ch[i].id)
					continue;
				/* its own move: no echo, and its position stays where the controller
				 * put it (a relative map on an enum or steps parameter accumulates
				 * steps between the values it snaps to) */
				if (ch[i].origin == p->origin)
					continue;
				p->cur_x = map_pos(p, ch[i].value);
				p->picked = 0;
				queue_feedback(m, p);
			}
		pthread_mutex_unlock(&m->lock);
	}
}

static void *midictl_thread(void *arg)
{
	struct midictl *m = arg;
	while (!atomic_load(&m->stop)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += MIDICTL_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&m->wait_lock);
		if (!atomic_load(&m->stop) && !ctl_feed_pending(m->feed))
			pthread_cond_timedwait(&m->cond, &m->wait_lock, &ts);
		pthread_mutex_unlock(&m->wait_lock);
		drain_input(m);
		drain_feed(m);
	}
	return NULL;
}

/* The feed's wake: under the engine lock, so only a signal. */
static void feed_wake(void *ctx)
{
	struct midictl *m = ctx;
	pthread_cond_signal(&m->cond);
}

/* ---- life cycle -------------------------------------------------------------------------- */

static int midictl_alloc(struct midictl *m, struct engine *e, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	m->e = e;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->wait_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	midi_parser_init(&m->parser);
	midi_decoder_init(&m->dec);
	if (!(m->ctl = ctl_new(e, err, errlen)))
		return -1;
	m->in_ring = jack_ringbuffer_create(IN_RING_EVENTS * sizeof(struct midi_ev));
	m->out_ring = jack_ringbuffer_create(OUT_RING_MSGS * sizeof(struct out_msg));
	m->feed = ctl_feed_new(m->ctl, feed_wake, m);
	if (!m->in_ring || !m->out_ring || !m->feed) {
		snprintf(err, errlen, "midi: out of memory");
		return -1;
	}
	jack_ringbuffer_mlock(m->in_ring);
	jack_ringbuffer_mlock(m->out_ring);
	ctl_feed_set_active(m->feed, 1);
	return 0;
}

struct midictl *midictl_new(struct engine *e, const struct midi_spec *specs, size_t nspecs,
			    char *err, size_t errlen)
{
	char why[CTL_REASON_MAX];
	struct midictl *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "midi: out of memory");
		return NULL;
	}
	if (midictl_alloc(m, e, err, errlen) < 0) {
		midictl_free(m);
		return NULL;
	}
	for (size_t i = 0; i < nspecs; i++) {
		if (midictl_map(m, &specs[i], why) < 0) {
			snprintf(err, errlen, "MIDI map '%s': %s", specs[i].path, why);
			midictl_free(m);
			return NULL;
		}
	}
	engine_take_dirty(e); /* maps from the command line or the session are not a change */
	if (pthread_create(&m->thread, NULL, midictl_thread, m)) {
		snprintf(err, errlen, "midi: cannot start its thread");
		midictl_free(m);
		return NULL;
	}
	m->started = 1;
	return m;
}

void midictl_free(struct midictl *m)
{
	if (!m)
		return;
	if (m->started) {
		atomic_store(&m->stop, 1);
		pthread_cond_signal(&m->cond);
		pthread_join(m->thread, NULL);
	}
	ctl_feed_free(m->feed);
	ctl_free(m->ctl);
	if (m->in_ring)
		jack_ringbuffer_free(m->in_ring);
	if (m->out_ring)
		jack_ringbuffer_free(m->out_ring);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->wait_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- control side ------------------------------------------------------------------------- */

int midictl_map(struct midictl *m, const struct midi_spec *s, char *why)
{
	struct map p;
	if (map_resolve(m, s, &p, why) < 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	int rc = map_put(m, &p, why);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int midictl_unmap(struct midictl *m, const char *path, char *why)
{
	pthread_mutex_lock(&m->lock);
	int k = map_find(m, path);
	if (k >= 0) {
		memmove(&m->maps[k], &m->maps[k + 1], (m->nmaps - (unsigned)k - 1) * sizeof(m->maps[0]));
		m->nmaps--;
		atomic_store(&m->e->dirty, 1);
	}
	if (m->learning && !strcmp(m->learn.path, path))
		m->learning = m->pend = 0;
	pthread_mutex_unlock(&m->lock);
	if (k < 0 && why)
		snprintf(why, CTL_REASON_MAX, "no MIDI map for '%.60s' (see /midi/list)", path);
	return k < 0 ? -1 : 0;
}

int midictl_learn(struct midictl *m, const struct midi_spec *s, char *why)
{
	struct map p;
	if (map_resolve(m, s, &p, why) < 0) /* check now: the controller comes later */
		return -1;
	pthread_mutex_lock(&m->lock);
	m->learn = *s;
	m->learning = 1;
	m->learn_fresh = 0;
	m->learn_qn = m->learn_qpos = 0; /* this learn replaces any still queued */
	m->pend = 0;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int midictl_learn_each(struct midictl *m, const struct midi_spec *s, size_t n, char *why,
		       size_t whylen)
{
	struct map p;
	char r[CTL_REASON_MAX];
	if (n > MIDICTL_MAPS_MAX) {
		snprintf(why, whylen, "at most %d learns", MIDICTL_MAPS_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (map_resolve(m, &s[i], &p, r) < 0) {
			snprintf(why, whylen, "%s: %s", s[i].path, r);
			return -1;
		}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&m->lock);
	memcpy(m->learn_q, s, n * sizeof(*s));
	m->learn_qn = (unsigned)n;
	m->learn_qpos = 0;
	m->pend = 0;
	learn_next(m);
	m->learn_fresh = 0; /* the first takes any controller, as /midi/learn does */
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void midictl_list(struct midictl *m, void (*fn)(void *ctx, const struct midi_spec *s),
		  void *ctx)
{
	struct midi_spec *v = malloc(MIDICTL_MAPS_MAX * sizeof(*v));
	unsigned n;
	if (!v)
		return;
	pthread_mutex_lock(&m->lock);
	n = m->nmaps;
	for (unsigned k = 0; k < n; k++)
		v[k] = m->maps[k].s;
	pthread_mutex_unlock(&m->lock);
	for (unsigned k = 0; k < n; k++)
		fn(ctx, &v[k]);
	free(v);
}

size_t midictl_text(struct midictl *m, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	pthread_mutex_lock(&m->lock);
	for (unsigned k = 0; k < m->nmaps; k++) {
		char line[256];
		midi_spec_format(&m->maps[k].s, line, sizeof(line));
		int w = snprintf(buf + used, len - used, "midi.map %s\n", line);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	pthread_mutex_unlock(&m->lock);
	return used;
}

/* ---- presets ----------------------------------------------------------------------------- */

static int ext_check(void *ctx, const struct midi_spec *s, size_t n, char *why, size_t whylen)
{
	struct midictl *m = ctx;
	char r[CTL_REASON_MAX];
	struct map p;
	for (size_t i = 0; i < n; i++)
		if (map_resolve(m, &s[i], &p, r) < 0) {
			snprintf(why, whylen, "midi.map %s: %s", s[i].path, r);
			return -1;
		}
	return 0;
}

static void ext_apply(void *ctx, const struct midi_spec *s, size_t n)
{
	struct midictl *m = ctx;
	char why[CTL_REASON_MAX];
	pthread_mutex_lock(&m->lock);
	m->nmaps = 0;
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n; i++)
		midictl_map(m, &s[i], why);
}

static size_t ext_text(void *ctx, char *buf, size_t len) { return midictl_text(ctx, buf, len); }

void midictl_preset_ext(struct midictl *m, struct preset_ext *x)
{
	x->check = ext_check;
	x->apply = ext_apply;
	x->text = ext_text;
	x->ctx = m;
}
