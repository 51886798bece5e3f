#include "strip.h"

#include "cpu.h"
#include "lanes.h"
#include "link.h"
#include "truepeak.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

const struct dsp_arch *strip_simd_select(int force_c) { return dsp_arch_select(force_c); }

const char *strip_simd_name(const struct dsp_arch *arch) { return dsp_arch_or_c(arch)->name; }

const struct stage_desc *const strip_chain[] = {
#define X(name, NAME, type, gr) &name##_stage,
	CHAIN_STAGES(X)
#undef X
};
const unsigned strip_chain_len = sizeof(strip_chain) / sizeof(strip_chain[0]);

/* where each stage's state sits in struct strip, in chain order */
static const size_t stage_offset[] = {
#define X(name, NAME, type, gr) offsetof(struct strip, st.name),
	CHAIN_STAGES(X)
#undef X
};

#define CHAIN_LEN (sizeof(stage_offset) / sizeof(stage_offset[0]))

static inline void *stage_state(struct strip *s, unsigned i)
{
	return (char *)s + stage_offset[i];
}

void *strip_stage_state(struct strip *s, unsigned i) { return stage_state(s, i); }

int strip_init(struct strip *s, float fs, const struct dsp_arch *arch)
{
	int err;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->fs = fs;
	for (unsigned i = 0; i < CHAIN_LEN; i++)
		if ((err = strip_chain[i]->init(stage_state(s, i), fs)))
			return err;
	if ((err = meter_init(&s->meter, fs)))
		return err;
	s->arch = arch;
	s->st.pre.arch = s->st.gate.arch = s->st.comp.arch = s->st.deess.arch = arch;
	s->meter.arch = arch;
	smooth_init(&s->bypass, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&s->link_amount, fs, SMOOTH_TAU_MS, 0.0f);
	for (int i = 0; i < P_COUNT; i++)
		strip_set_param(s, (enum param_id)i, param_table[i].def);
	strip_reset(s);
	return 0;
}

void strip_reset(struct strip *s)
{
	for (unsigned i = 0; i < CHAIN_LEN; i++)
		strip_chain[i]->reset(stage_state(s, i));
	meter_reset(&s->meter);
	smooth_jump(&s->bypass);
	smooth_jump(&s->link_amount);
	memset(s->dry, 0, sizeof(s->dry));
	s->dry_pos = 0;
}

/* Parameters that no stage owns are the strip's own (strip.bypass, link.*) or used on the
 * control side only (meter.cal). */
void strip_set_param(struct strip *s, enum param_id id, float v)
{
	s->values[id] = v;
	if (id == P_STRIP_BYPASS) {
		smooth_set(&s->bypass, v);
		return;
	}
	if (id == P_LINK_GROUP || id == P_LINK_AMOUNT) {
		if (id == P_LINK_GROUP)
			s->link_group = (int)v;
		else
			smooth_set(&s->link_amount, v * 0.01f);
		return;
	}
	for (unsigned i = 0; i < CHAIN_LEN; i++) {
		const struct stage_desc *d = strip_chain[i];
		if (id >= d->first && id <= d->last) {
			d->set(stage_state(s, i), (unsigned)(id - d->first), v);
			return;
		}
	}
}

float strip_get_param(const struct strip *s, enum param_id id) { return s->values[id]; }

uint32_t strip_latency_samples(const struct strip *s)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < CHAIN_LEN; i++)
		if (strip_chain[i]->latency)
			n += strip_chain[i]->latency((const char *)s + stage_offset[i]);
	return n;
}

/* The strip's scratch buffer that x is not: each stage writes to the one its input is not
 * in, and never to the caller's buffers, so in may alias out. */
static float *strip_other_buf(struct strip *s, const float *x)
{
	return x == s->buf_a ? s->buf_b : s->buf_a;
}

/* Stage i over the lanes where it is not idle, in one process_lanes() call. An idle stage
 * would copy its input exactly, so it is skipped (and its copy with it); x[l] follows each
 * lane's output to the next stage. */
static inline __attribute__((always_inline)) void
strip_stage_lanes(struct strip *const *s, unsigned nl, const float **x, unsigned i, uint32_t n)
{
	const struct stage_desc *d = strip_chain[i];
	int (*idle)(const void *) = d->idle;
	size_t off = stage_offset[i];
	void *st[DSP_LANES_MAX];
	const float *src[DSP_LANES_MAX], *res[DSP_LANES_MAX];
	float *dst[DSP_LANES_MAX];
	unsigned lane[DSP_LANES_MAX], k = 0;
	if (nl == 1) { /* one strip: the common case of small setups, without the bookkeeping */
		void *p = (char *)s[0] + off;
		float *o = strip_other_buf(s[0], x[0]);
		if (!(idle && idle(p))) {
			d->process_lanes(&p, 1, x, &o, res, n);
			x[0] = res[0];
		}
		return;
	}
	for (unsigned l = 0; l < nl; l++) {
		st[k] = (char *)s[l] + off;
		if (idle && idle(st[k]))
			continue;
		src[k] = x[l];
		dst[k] = strip_other_buf(s[l], x[l]);
		lane[k++] = l;
	}
	if (k == 0)
		return;
	d->process_lanes(st, k, src, dst, res, n);
	for (unsigned j = 0; j < k; j++)
		x[lane[j]] = res[j];
}

/* Keep the chunk's input (as the chain sees it) for the bypass. */
static void strip_dry_push(struct strip *s, const float *x, uint32_t n)
{
	uint32_t w = s->dry_pos & (STRIP_DRY_LEN - 1u);
	uint32_t k = n < STRIP_DRY_LEN - w ? n : STRIP_DRY_LEN - w;
	memcpy(s->dry + w, x, k * sizeof(*x));
	memcpy(s->dry, x + k, (n - k) * sizeof(*x)); /* the wrap, if any */
	s->dry_pos += n;
}

/* 1 while strip.bypass is on or gliding: the output is then a crossfade toward the input. */
static int strip_bypassing(const struct strip *s)
{
	return !(smooth_settled(&s->bypass) && s->bypass.cur == 0.0f);
}

/* The crossfade from the chain's output (wet) toward the input delayed by the strip's whole
 * latency, into out: what a bypass in or out of its glide sounds like. The delay is clamped
 * to what dry[] holds (never reached: STRIP_DRY_LEN covers the longest chain). */
static void strip_bypass_mix(struct strip *s, const float *wet, float *out, uint32_t n)
{
	uint32_t lat = strip_latency_samples(s);
	if (lat > STRIP_DRY_LEN - DSP_MAX_CHUNK)
		lat = STRIP_DRY_LEN - DSP_MAX_CHUNK;
	uint32_t r = s->dry_pos - n - lat;
	for (uint32_t i = 0; i < n; i++) {
		float b = smooth_next(&s->bypass);
		float dry = s->dry[(r + i) & (STRIP_DRY_LEN - 1u)];
		/* exactly dry at b = 1 and exactly wet at b = 0 (wet + b * (dry - wet) is not) */
		out[i] = b * dry + (1.0f - b) * wet[i];
	}
}

/* Each stage's position in the chain: STAGE_POS_OUT is the output gain, which the strip
 * runs itself. */
enum {
#define X(name, NAME, type, gr) STAGE_POS_##NAME,
	CHAIN_STAGES(X)
#undef X
};

/* 1 when every stage after the output gain is idle for this strip: the gain and the output
 * meter then run in one pass straight into the caller's buffer, as they always did. */
static int strip_post_idle(struct strip *s)
{
	for (unsigned i = STAGE_POS_OUT + 1; i < CHAIN_LEN; i++) {
		int (*idle)(const void *) = strip_chain[i]->idle;
		if (!(idle && idle(stage_state(s, i))))
			return 0;
	}
	return 1;
}

/* The output gain into dst (meter: also meter it there). */
static void strip_out_gain(struct strip *st, const float *x, float *dst, int meter, uint32_t n)
{
	struct smooth *g = &st->st.out.gain;
	if (smooth_settled(g)) {
		if (meter) {
			meter_output_gain(&st->meter, x, g->cur, dst, n);
			meter_output_post(&st->meter, dst, n);
			return;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[i] = x[i] * g->cur;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		dst[i] = x[i] * smooth_next(g);
	if (meter) {
		meter_output(&st->meter, dst, n);
		meter_output_post(&st->meter, dst, n);
	}
}

/* The output gain of nl strips: straight into out[l] with the output meter where nothing
 * follows it (post[l] = 0, the path every existing golden took), else into a scratch buffer
 * that x[l] then points at (post[l] = 1) for the stages after it. */
static void strip_tail_head(struct strip *const *s, unsigned nl, const float **x,
			    float *const *out, unsigned char *post, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++) {
		post[l] = !strip_post_idle(s[l]) || strip_bypassing(s[l]);
		if (!post[l]) {
			strip_out_gain(s[l], x[l], out[l], 1, n);
			continue;
		}
		float *b = strip_other_buf(s[l], x[l]);
		strip_out_gain(s[l], x[l], b, 0, n);
		x[l] = b;
	}
}

/* After the stages that follow the output gain (post[l] = 1): the bypass's crossfade and the
 * output meter, so the meter reads what leaves the strip. */
static void strip_tail_finish(struct strip *const *s, unsigned nl, const float *const *x,
			      float *const *out, const unsigned char *post, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++) {
		if (!post[l])
			continue;
		if (strip_bypassing(s[l])) {
			strip_bypass_mix(s[l], x[l], out[l], n);
			meter_output(&s[l]->meter, out[l], n);
		} else {
			meter_output_gain(&s[l]->meter, x[l], 1.0f, out[l], n);
		}
		meter_output_post(&s[l]->meter, out[l], n);
	}
}

/* The output gain, the stages after it (on the lanes where one is active), the bypass's
 * crossfade, the output meter. */
static void strip_tail_lanes(struct strip *const *s, unsigned nl, const float *const *x,
			     float *const *out, uint32_t n)
{
	struct strip *ps[DSP_LANES_MAX];
	const float *px[DSP_LANES_MAX], *tx[DSP_LANES_MAX];
	unsigned char post[DSP_LANES_MAX];
	unsigned lane[DSP_LANES_MAX], np = 0;
	for (unsigned l = 0; l < nl; l++)
		tx[l] = x[l];
	strip_tail_head(s, nl, tx, out, post, n);
	for (unsigned l = 0; l < nl; l++)
		if (post[l])
			ps[np] = s[l], px[np] = tx[l], lane[np++] = l;
	if (np == 0)
		return;
	for (unsigned i = STAGE_POS_OUT + 1; i < CHAIN_LEN; i++)
		strip_stage_lanes(ps, np, px, i, n);
	for (unsigned j = 0; j < np; j++)
		tx[lane[j]] = px[j];
	strip_tail_finish(s, nl, tx, out, post, n);
}

/* A chunk's input of nl strips: metered, cleaned of what is not audio and kept for the
 * bypass; x[l] gets what the first stage reads. */
static inline void strip_chunk_in(struct strip *const *s, unsigned nl, const float *const *in,
				  const float **x, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++) {
		/* The meter sees the raw input, so values that are not audio count as clips there,
		 * and says whether there are any. Only then is the input copied, with them made
		 * silence rather than poisoning every filter and detector downstream (a finite
		 * 1e20 squared is Inf in a mean square); otherwise the stages read in itself (they
		 * write only to buf_a and buf_b, so in may alias out). */
		x[l] = in[l];
		if (meter_input(&s[l]->meter, in[l], n)) {
			float *a = s[l]->buf_a;
			for (uint32_t i = 0; i < n; i++)
				a[i] = meter_not_audio(in[l][i]) ? 0.0f : in[l][i];
			x[l] = a;
		}
		strip_dry_push(s[l], x[l], n);
	}
}

static void strip_chunk_lanes(struct strip *const *s, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	const float *x[DSP_LANES_MAX];
	strip_chunk_in(s, nl, in, x, n);
	for (unsigned i = 0; i < STAGE_POS_OUT; i++)
		strip_stage_lanes(s, nl, x, i, n);
	strip_tail_lanes(s, nl, x, out, n);
}

void strip_process_lanes(struct strip *const *s, unsigned nl, const float *const *in,
			 float *const *out, uint32_t n)
{
	const float *pi[DSP_LANES_MAX];
	float *po[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++)
		pi[l] = in[l], po[l] = out[l];
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < DSP_MAX_CHUNK ? n - done : DSP_MAX_CHUNK;
		strip_chunk_lanes(s, nl, pi, po, k);
		for (unsigned l = 0; l < nl; l++)
			pi[l] += k, po[l] += k;
		done += k;
	}
}

void strip_process(struct strip *s, const float *in, float *out, uint32_t n)
{
	strip_process_lanes(&s, 1, &in, &out, n);
}

/* ---- the linked path: per chunk, stage by stage across every strip ---- */

/* Linkable stage i of strips s[0..count) for one chunk, what strip_link_stage works on: each
 * strip's state, and whether the stage runs there (not idle). */
struct strip_link_stage {
	void *st[STRIP_LINK_MAX];
	unsigned char live[STRIP_LINK_MAX];
};

/* One half of the stage over the live strips in lane groups as strip_process_many makes them:
 * the gain, or the apply, which moves x[] to each lane's output. */
static void strip_link_half(struct strip *s, const struct strip_link_stage *ls, unsigned count,
			    const float **x, const struct stage_desc *d, uint32_t n, int apply)
{
	for (unsigned first = 0, nl; first < count; first += nl) {
		nl = dsp_lanes_group(count - first, DSP_LANES_MAX);
		void *st[DSP_LANES_MAX];
		const float *src[DSP_LANES_MAX], *res[DSP_LANES_MAX];
		float *dst[DSP_LANES_MAX];
		unsigned lane[DSP_LANES_MAX], k = 0;
		for (unsigned l = first; l < first + nl; l++) {
			if (!ls->live[l])
				continue;
			st[k] = ls->st[l];
			src[k] = x[l];
			dst[k] = strip_other_buf(&s[l], x[l]);
			lane[k++] = l;
		}
		if (k == 0)
			continue;
		if (!apply) {
			d->gain_lanes(st, k, src, n);
			continue;
		}
		d->apply_lanes(st, k, src, dst, res, n);
		for (unsigned j = 0; j < k; j++)
			x[lane[j]] = res[j];
	}
}

/* Combine the stage's gains within each link group in groups (a mask of the groups in use);
 * a strip where the stage is off neither leads nor follows. */
static void strip_link_combine(struct strip *s, const struct strip_link_stage *ls,
			       unsigned count, const struct stage_desc *d, uint32_t groups,
			       uint32_t n)
{
	struct stage_gr *gr[STRIP_LINK_MAX];
	const float *a[STRIP_LINK_MAX];
	float mx[DSP_MAX_CHUNK];
	for (int g = 1; g <= LINK_GROUPS; g++) {
		if (!(groups & (1u << g)))
			continue;
		unsigned k = 0;
		for (unsigned l = 0; l < count; l++) {
			if (s[l].link_group != g || !ls->live[l])
				continue;
			gr[k] = d->link_gr(ls->st[l]);
			a[k++] = s[l].link_a;
		}
		link_combine(gr, a, k, n, mx);
	}
}

/* Linkable stage i for one chunk: the gain half of every strip, the groups' gains combined,
 * then the apply half. */
static void strip_link_stage(struct strip *s, unsigned count, const float **x, unsigned i,
			     uint32_t groups, uint32_t n)
{
	const struct stage_desc *d = strip_chain[i];
	struct strip_link_stage ls;
	for (unsigned l = 0; l < count; l++) {
		ls.st[l] = (char *)&s[l] + stage_offset[i];
		ls.live[l] = !(d->idle && d->idle(ls.st[l]));
	}
	strip_link_half(s, &ls, count, x, d, n, 0);
	strip_link_combine(s, &ls, count, d, groups, n);
	strip_link_half(s, &ls, count, x, d, n, 1);
}

/* link.amount per sample for this chunk, in each linked strip; the mask of groups in use. */
static uint32_t strip_link_amounts(struct strip *s, unsigned count, uint32_t n)
{
	uint32_t groups = 0;
	for (unsigned l = 0; l < count; l++) {
		if (s[l].link_group <= 0)
			continue;
		groups |= 1u << s[l].link_group;
		if (smooth_settled(&s[l].link_amount)) {
			const float a = s[l].link_amount.cur;
			for (uint32_t i = 0; i < n; i++)
				s[l].link_a[i] = a;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			s[l].link_a[i] = smooth_next(&s[l].link_amount);
	}
	return groups;
}

/* The next lane group of count strips from first, as strip_process_many makes them (even,
 * lanes.h): its strips in ps, its size returned. */
static unsigned strip_lane_group(struct strip *s, unsigned first, unsigned count,
				 struct strip **ps)
{
	unsigned nl = dsp_lanes_group(count - first, DSP_LANES_MAX);
	for (unsigned l = 0; l < nl; l++)
		ps[l] = &s[first + l];
	return nl;
}

/* Stages from..to-1 of count strips, linked where they can be. */
static void strip_linked_stages(struct strip *s, unsigned count, const float **x,
				unsigned from, unsigned to, uint32_t groups, uint32_t n)
{
	struct strip *ps[DSP_LANES_MAX];
	for (unsigned i = from; i < to; i++) {
		if (strip_chain[i]->gain_lanes) {
			strip_link_stage(s, count, x, i, groups, n);
			continue;
		}
		for (unsigned first = 0, nl; first < count; first += nl) {
			nl = strip_lane_group(s, first, count, ps);
			strip_stage_lanes(ps, nl, x + first, i, n);
		}
	}
}

/* One chunk of count (<= STRIP_LINK_MAX) strips, linked: the stages before the output gain,
 * the output gain, the stages after it (a strip where they are all idle and that is not
 * bypassing has already left through the output gain, and is idle there), the meter. */
static void strip_chunk_linked(struct strip *s, unsigned count, const float *const *in,
			       float *const *out, uint32_t n)
{
	const float *x[STRIP_LINK_MAX];
	unsigned char post[STRIP_LINK_MAX];
	struct strip *ps[DSP_LANES_MAX];
	uint32_t groups = strip_link_amounts(s, count, n);
	for (unsigned first = 0, nl; first < count; first += nl) {
		nl = strip_lane_group(s, first, count, ps);
		strip_chunk_in(ps, nl, in + first, x + first, n);
	}
	strip_linked_stages(s, count, x, 0, STAGE_POS_OUT, groups, n);
	for (unsigned first = 0, nl; first < count; first += nl) {
		nl = strip_lane_group(s, first, count, ps);
		strip_tail_head(ps, nl, x + first, out + first, post + first, n);
	}
	strip_linked_stages(s, count, x, STAGE_POS_OUT + 1, CHAIN_LEN, groups, n);
	for (unsigned first = 0, nl; first < count; first += nl) {
		nl = strip_lane_group(s, first, count, ps);
		strip_tail_finish(ps, nl, x + first, out + first, post + first, n);
	}
}

/* noinline: the unlinked path of strip_process_many stays as it was without the link */
static __attribute__((noinline)) void strip_process_linked(struct strip *s, unsigned count,
							   const float *const *in,
							   float *const *out, uint32_t n)
{
	const float *pi[STRIP_LINK_MAX];
	float *po[STRIP_LINK_MAX];
	for (unsigned l = 0; l < count; l++)
		pi[l] = in[l], po[l] = out[l];
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < DSP_MAX_CHUNK ? n - done : DSP_MAX_CHUNK;
		strip_chunk_linked(s, count, pi, po, k);
		for (unsigned l = 0; l < count; l++)
			pi[l] += k, po[l] += k;
		done += k;
	}
}

/* 1 when some link group has two members or more (a lone member has nobody to follow). */
static int strip_any_linked(const struct strip *s, unsigned count)
{
	uint32_t seen = 0, twice = 0;
	for (unsigned l = 0; l < count; l++)
		if (s[l].link_group > 0) {
			uint32_t b = 1u << s[l].link_group;
			twice |= seen & b;
			seen |= b;
		}
	return twice != 0;
}

void strip_process_many(struct strip *s, unsigned count, const float *const *in,
			float *const *out, uint32_t n)
{
	if (strip_any_linked(s, count)) {
		for (unsigned first = 0, m; first < count; first += m) {
			m = count - first < STRIP_LINK_MAX ? count - first : STRIP_LINK_MAX;
			strip_process_linked(s + first, m, in + first, out + first, n);
		}
		return;
	}
	/* groups as even as possible (lanes.h) */
	struct strip *ps[DSP_LANES_MAX];
	for (unsigned first = 0, nl; first < count; first += nl) {
		nl = strip_lane_group(s, first, count, ps);
		strip_process_lanes(ps, nl, in + first, out + first, n);
	}
}

void strip_meter_take(struct strip *s, struct meter_snapshot *snap)
{
	meter_take(&s->meter, snap);
#define X(name, NAME, type, gr) \
	CHAIN_IF_##gr(snap->gr_gain[METER_GR_##NAME] = name##_stage.gr_take(&s->st.name);)
	CHAIN_STAGES(X)
#undef X
}
