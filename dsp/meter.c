/* meter.c: level meters. The audio path keeps linear maxima and mean squares only; every
 * logarithm is in meter_fields() on the control side.
 *
 * Cost per sample is a few vector operations: an integer max over |x| bit patterns (which
 * also spots clips and non-finite values, so clean audio never takes a per-sample branch),
 * the squares, and the true-peak filter (skipped when it cannot raise the period's peak). */
#include "meter.h"

#include "cpu.h"
#include "fastmath.h"
#include "vec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
const char *const meter_field_names[MF_COUNT] = {
	"in_rms_dbfs", "in_dbu", "in_dbv", "in_peak_dbfs", "in_true_peak_dbtp", "headroom_db",
	"clips",
#define X(name, NAME, type, gr) CHAIN_IF_##gr(#name "_gr_db",)
	CHAIN_STAGES(X)
#undef X
	"out_peak_dbfs", "out_rms_dbfs", "out_true_peak_dbtp", "out_clips", "lufs_m", "lufs_s",
	"lufs_i", "lra",
};
_Static_assert(sizeof(meter_field_names) / sizeof(meter_field_names[0]) == MF_COUNT,
	       "a name for every meter field");
_Static_assert(MF_OUT_PEAK_DBFS - MF_CLIPS - 1 == METER_GR_COUNT, "one field per GR stage");

#endif /* DSP_KERNELS_ONLY */

/* |x| as bits: ordered like |x| for finite values, above every finite value for Inf and NaN */
#define ABS_MASK 0x7fffffffu
#define CLIP_BITS 0x3f7ffe00u /* 32767/32768 = METER_CLIP_LEVEL */
#define BAD_BITS 0x4f800000u  /* 2^32: this and above (Inf, NaN) is not audio */

#define METER_INLINE static inline __attribute__((always_inline))

/* float bits as unsigned, for the magnitude/NaN tests (fastmath.h holds the casts) */
static inline uint32_t f2u(float f) { return (uint32_t)fm_f2i_bits(f); }
static inline float u2f(uint32_t u) { return fm_i2f_bits((int32_t)u); }

/* The rare path: count clip runs and zero invalid samples into clean[]; returns max bits of
 * what is left. */
static uint32_t sanitize(const float *x, float *clean, uint32_t n, uint32_t *clipped,
			 uint32_t *clips)
{
	uint32_t r = 0, run = *clipped, count = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = f2u(x[i]) & ABS_MASK;
		uint32_t c = a >= CLIP_BITS;
		count += c & ~run;
		run = c;
		if (a >= BAD_BITS) {
			clean[i] = 0.0f;
			continue;
		}
		clean[i] = x[i];
		r = a > r ? a : r;
	}
	*clipped = run;
	*clips += count;
	return r;
}

static void ms_clear(struct meter_ms *s) { memset(s, 0, sizeof(*s)); }

static inline float max2(float a, float b) { return a > b ? a : b; }

/* one update with the sum s of a group's squares */
METER_INLINE float ms_step(float ms, float s, float coef, float gain)
{
	ms = coef * ms + gain * s;
	/* below -300 dB: flush rather than decay through the subnormals */
	return ms >= 1e-30f ? ms : 0.0f;
}

METER_INLINE float ms_update(float ms, dsp_v4f q0, dsp_v4f q1, dsp_v4f q2, dsp_v4f q3, float coef, float gain)
{
	/* a fixed summation tree, so the sum does not depend on the calls:
	 * t = (q0 + q1) + (q2 + q3) lane by lane, then (t0 + t1) + (t2 + t3) */
	dsp_v4f t = (q0 + q1) + (q2 + q3);
	return ms_step(ms, (t[0] + t[1]) + (t[2] + t[3]), coef, gain);
}

static void ms_feed(struct meter_ms *s, const float *x, uint32_t n, float coef, float gain)
{
	if (s->pos == 0) {
		/* whole groups straight from x: the same squares and tree as below */
		float ms = s->ms;
		for (; n >= METER_MS_DECIM; n -= METER_MS_DECIM, x += METER_MS_DECIM) {
			dsp_v4f q0 = dsp_load4f(x), q1 = dsp_load4f(x + 4), q2 = dsp_load4f(x + 8),
			    q3 = dsp_load4f(x + 12);
			ms = ms_update(ms, q0 * q0, q1 * q1, q2 * q2, q3 * q3, coef, gain);
		}
		s->ms = ms;
	}
	while (n > 0) {
		uint32_t k = METER_MS_DECIM - s->pos;
		if (k > n)
			k = n;
		for (uint32_t j = 0; j < k; j++)
			s->sq[s->pos + j] = x[j] * x[j];
		s->pos += k;
		x += k;
		n -= k;
		if (s->pos == METER_MS_DECIM) {
			s->ms = ms_update(s->ms, dsp_load4f(s->sq), dsp_load4f(s->sq + 4),
					  dsp_load4f(s->sq + 8), dsp_load4f(s->sq + 12), coef, gain);
			s->pos = 0;
		}
	}
}

/* The 8-lane helpers take pointers: a 32-byte vector passed by value is an ABI question in the
 * baseline build (-Wpsabi), even though they are always inlined. */
METER_INLINE void v8i_max_to(dsp_v8i *m, const dsp_v8i *b)
{
	dsp_v8i gt = *m > *b;
	*m = (gt & *m) | (~gt & *b);
}

METER_INLINE dsp_v4f v8_lo(const dsp_v8f *v)
{
	dsp_v4f r;
	memcpy(&r, v, sizeof(r));
	return r;
}

METER_INLINE dsp_v4f v8_hi(const dsp_v8f *v)
{
	dsp_v4f r;
	memcpy(&r, (const char *)v + sizeof(r), sizeof(r));
	return r;
}

/* v[0..k-1] = the k vectors of 8 at x (times g when mul), stored to y and cp unless NULL, their
 * max |v| bits into *m */
METER_INLINE void scan_vecs8(const float *x, float *y, float *cp, int k, float g, const int mul,
			     dsp_v8f *v, dsp_v8i *m)
{
	const dsp_v8i mask = (dsp_v8i){ 0 } + (int32_t)ABS_MASK;
	for (int j = 0; j < k; j++) {
		dsp_load8f(&v[j], x + 8 * j);
		if (mul)
			v[j] = v[j] * g;
		if (y)
			dsp_store8f(y + 8 * j, &v[j]);
		if (cp)
			dsp_store8f(cp + 8 * j, &v[j]);
		dsp_v8i a = (dsp_v8i)v[j] & mask;
		v8i_max_to(m, &a);
	}
}

/* One sample of a scan outside whole groups: v = x[i] * g (mul) or x[i], stored to y[i]
 * (store) and cp[i] (cp != NULL), its magnitude's bits into the maximum *r. Returns v. */
METER_INLINE float scan_one(const float *x, float *y, float *cp, uint32_t i, float g,
			    const int store, const int mul, uint32_t *r)
{
	float v = mul ? x[i] * g : x[i];
	if (store)
		y[i] = v;
	if (cp)
		cp[i] = v;
	uint32_t a = f2u(v) & ABS_MASK;
	*r = a > *r ? a : *r;
	return v;
}

/* Whole groups of 16 at x[i..], 8 lanes (the AVX2 build): y = x * g (mul), stored to y
 * (store) and to cp (cp != NULL), max |y| bits into *m, and the mean square updated group by
 * group with the tree of ms_update(): with A = squares 0..7, B = squares 8..15 of a group,
 * q0 q1 q2 q3 = lo A, hi A, lo B, hi B. Two groups at a time: their lo halves side by side
 * and their hi halves side by side give both groups' q0 + q1 in one vector. */
METER_INLINE uint32_t scan_groups8(const float *x, float *y, float *cp, uint32_t i, uint32_t n,
				   float g, const int store, const int mul, float coef, float gain,
				   float *msp, dsp_v8i *mp)
{
	dsp_v8i m = *mp;
	float ms = *msp;
	for (; i + 2 * METER_MS_DECIM <= n; i += 2 * METER_MS_DECIM) {
		dsp_v8f v[4];
		scan_vecs8(x + i, store ? y + i : NULL, cp ? cp + i : NULL, 4, g, mul, v, &m);
		dsp_v8f a0 = v[0] * v[0], b0 = v[1] * v[1], a1 = v[2] * v[2], b1 = v[3] * v[3];
		/* t = (q0 + q1) + (q2 + q3) of group 0 | of group 1 */
		dsp_v8f t = (DSP_SHUFFLE8(a0, a1, 0, 1, 2, 3, 8, 9, 10, 11) +
			     DSP_SHUFFLE8(a0, a1, 4, 5, 6, 7, 12, 13, 14, 15)) +
			    (DSP_SHUFFLE8(b0, b1, 0, 1, 2, 3, 8, 9, 10, 11) +
			     DSP_SHUFFLE8(b0, b1, 4, 5, 6, 7, 12, 13, 14, 15));
		/* (t0 + t1) + (t2 + t3) of each half */
		dsp_v8f h = DSP_SHUFFLE8(t, t, 0, 2, 0, 2, 4, 6, 4, 6) +
			    DSP_SHUFFLE8(t, t, 1, 3, 1, 3, 5, 7, 5, 7);
		dsp_v8f s = DSP_SHUFFLE8(h, h, 0, 0, 0, 0, 4, 4, 4, 4) +
			    DSP_SHUFFLE8(h, h, 1, 1, 1, 1, 5, 5, 5, 5);
		ms = ms_step(ms, s[0], coef, gain);
		ms = ms_step(ms, s[4], coef, gain);
	}
	if (i + METER_MS_DECIM <= n) {
		dsp_v8f v[2];
		scan_vecs8(x + i, store ? y + i : NULL, cp ? cp + i : NULL, 2, g, mul, v, &m);
		dsp_v8f a = v[0] * v[0], b = v[1] * v[1];
		ms = ms_update(ms, v8_lo(&a), v8_hi(&a), v8_lo(&b), v8_hi(&b), coef, gain);
		i += METER_MS_DECIM;
	}
	*mp = m;
	*msp = ms;
	return i;
}

/* The mean square's next state, held back until the block turns out to be valid audio. */
struct ms_next {
	float ms;
	uint32_t pos;
	int wrapped;		   /* a group begun earlier was completed: the tail is in tq */
	float tq[METER_MS_DECIM]; /* squares of the group begun here, when wrapped */
};

/* The common path in one pass over the samples: y[i] = x[i] * g (store: 1; g used when mul: 1;
 * x may be y; also copied to cp unless NULL), max |y| as bits, and the squares into the mean
 * square exactly as ms_feed() would add them; w8: whole groups 8 lanes wide (same bits). The
 * new state goes to *nx, for ms_commit() only when the samples were valid audio: squares that complete the group an earlier call began land in unused sq[] slots
 * (a redo by ms_feed() rewrites them identically), but a new group's squares would overwrite
 * that earlier call's squares, so they wait in nx->tq. */
METER_INLINE uint32_t scan(struct meter_ms *s, const float *x, float *y, float *cp, uint32_t n,
			   float g, const int store, const int mul, float coef, float gain,
			   struct ms_next *nx, const int w8)
{
	float *sq = s->sq;
	const dsp_v4i mask = { ABS_MASK, ABS_MASK, ABS_MASK, ABS_MASK };
	dsp_v4i m = { 0, 0, 0, 0 };
	uint32_t r = 0, pos = s->pos, i = 0;
	float ms = s->ms;
	nx->wrapped = 0;
	if (pos) {
		/* finish the group a previous call began */
		uint32_t k = METER_MS_DECIM - pos;
		if (k > n)
			k = n;
		for (; i < k; i++) {
			float v = scan_one(x, y, cp, i, g, store, mul, &r);
			sq[pos + i] = v * v;
		}
		pos += k;
		if (pos == METER_MS_DECIM) {
			ms = ms_update(ms, dsp_load4f(sq), dsp_load4f(sq + 4), dsp_load4f(sq + 8),
				       dsp_load4f(sq + 12), coef, gain);
			pos = 0;
		}
	}
	if (pos == 0) {
		if (w8) {
			dsp_v8i m8 = { 0 };
			i = scan_groups8(x, y, cp, i, n, g, store, mul, coef, gain, &ms, &m8);
			dsp_v8f f8 = (dsp_v8f)m8;
			m = dsp_max4i(m, dsp_max4i((dsp_v4i)v8_lo(&f8), (dsp_v4i)v8_hi(&f8)));
		}
		for (; i + METER_MS_DECIM <= n; i += METER_MS_DECIM) {
			dsp_v4f v[4];
			for (int j = 0; j < 4; j++) {
				v[j] = dsp_load4f(x + i + 4 * j);
				if (mul)
					v[j] = v[j] * g;
				if (store)
					dsp_store4f(y + i + 4 * j, v[j]);
				if (cp)
					dsp_store4f(cp + i + 4 * j, v[j]);
				m = dsp_max4i(m, (dsp_v4i)v[j] & mask);
			}
			ms = ms_update(ms, v[0] * v[0], v[1] * v[1], v[2] * v[2], v[3] * v[3], coef,
				       gain);
		}
		/* the start of a group that the next call finishes */
		float *t = sq;
		if (s->pos) {
			t = nx->tq;
			nx->wrapped = 1;
		}
		for (; i < n; i++, pos++) {
			float v = scan_one(x, y, cp, i, g, store, mul, &r);
			t[pos] = v * v;
		}
	}
	for (int l = 0; l < 4; l++)
		r = (uint32_t)m[l] > r ? (uint32_t)m[l] : r;
	nx->ms = ms;
	nx->pos = pos;
	return r;
}

static inline void ms_commit(struct meter_ms *s, const struct ms_next *nx)
{
	s->ms = nx->ms;
	s->pos = nx->pos;
	if (nx->wrapped)
		memcpy(s->sq, nx->tq, nx->pos * sizeof(float));
}

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
static void meter_clear_period(struct meter *m)
{
	memset(&m->acc, 0, sizeof(m->acc));
	for (int k = 0; k < METER_GR_COUNT; k++)
		m->acc.gr_gain[k] = 1.0f;
}

int meter_init(struct meter *m, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->fs = fs;
	m->ms_coef = dsp_pole_from_s(METER_RMS_TAU_S, fs, (float)METER_MS_DECIM);
	m->ms_gain = (1.0f - m->ms_coef) / (float)METER_MS_DECIM;
	int err = loudness_init(&m->loud, fs);
	if (err)
		return err;
	meter_reset(m);
	return 0;
}

void meter_reset(struct meter *m)
{
	ms_clear(&m->in_ms);
	ms_clear(&m->out_ms);
	truepeak_reset(&m->tp);
	truepeak_reset(&m->tp_out);
	loudness_reset(&m->loud);
	m->in_clipped = 0;
	meter_clear_period(m);
}

#endif /* DSP_KERNELS_ONLY */

/* The input meter: one scan that also copies the block to the true-peak filter's input
 * (sanitize() writes the cleaned block there in the rare case). */
METER_INLINE int meter_in(struct meter *m, const float *in, uint32_t n, enum dsp_isa isa)
{
	const int w8 = isa == DSP_ISA_AVX2;
	float *cur = truepeak_input(&m->tp);
	const float *x = in;
	struct ms_next nx;
	uint32_t bits =
		scan(&m->in_ms, in, NULL, cur, n, 1.0f, 0, 0, m->ms_coef, m->ms_gain, &nx, w8);
	int bad = bits >= BAD_BITS;
	if (bits >= CLIP_BITS || m->in_clipped) {
		/* rare: clip runs to count, or values that must read as 0 */
		bits = sanitize(in, cur, n, &m->in_clipped, &m->acc.clips);
		x = cur;
		ms_feed(&m->in_ms, x, n, m->ms_coef, m->ms_gain);
	} else {
		ms_commit(&m->in_ms, &nx);
	}
	float peak = u2f(bits);
	if (peak > m->acc.in_peak)
		m->acc.in_peak = peak;
	float tp = truepeak_process_input(&m->tp, x, n, peak, m->acc.in_tp, m->arch);
	m->acc.in_tp = max2(m->acc.in_tp, max2(tp, peak));
	m->acc.frames += n;
	return bad;
}

METER_INLINE void meter_out(struct meter *m, const float *x, float *y, uint32_t n, float g,
			    const int store, const int mul, const int w8)
{
	struct ms_next nx;
	uint32_t bits =
		scan(&m->out_ms, x, y, NULL, n, g, store, mul, m->ms_coef, m->ms_gain, &nx, w8);
	if (bits >= BAD_BITS) {
		float clean[DSP_MAX_CHUNK];
		uint32_t run = 0, clips = 0;
		bits = sanitize(store ? y : x, clean, n, &run, &clips);
		ms_feed(&m->out_ms, clean, n, m->ms_coef, m->ms_gain);
	} else {
		ms_commit(&m->out_ms, &nx);
	}
	float peak = u2f(bits);
	if (peak > m->acc.out_peak)
		m->acc.out_peak = peak;
}

METER_INLINE void meter_out_only(struct meter *m, const float *out, uint32_t n, enum dsp_isa isa)
{
	meter_out(m, out, NULL, n, 1.0f, 0, 0, isa == DSP_ISA_AVX2);
}

METER_INLINE void meter_out_gain(struct meter *m, const float *x, float g, float *out, uint32_t n,
				 enum dsp_isa isa)
{
	const int w8 = isa == DSP_ISA_AVX2;
	if (g == 1.0f)
		meter_out(m, x, out, n, 1.0f, 1, 0, w8);
	else
		meter_out(m, x, out, n, g, 1, 1, w8);
}

/* Built for the baseline ISA (4 lanes) and for AVX2 (8 lanes); every lane width gives the
 * same bits. */
int DSP_KERNEL(meter_input)(struct meter *m, const float *in, uint32_t n)
{
	return meter_in(m, in, n, DSP_ISA);
}

void DSP_KERNEL(meter_output)(struct meter *m, const float *out, uint32_t n)
{
	meter_out_only(m, out, n, DSP_ISA);
}

void DSP_KERNEL(meter_output_gain)(struct meter *m, const float *x, float g, float *out,
				   uint32_t n)
{
	meter_out_gain(m, x, g, out, n, DSP_ISA);
}

#ifndef DSP_KERNELS_ONLY
int meter_input(struct meter *m, const float *in, uint32_t n)
{
	return dsp_arch_or_c(m->arch)->meter_input(m, in, n);
}

void meter_output(struct meter *m, const float *out, uint32_t n)
{
	dsp_arch_or_c(m->arch)->meter_output(m, out, n);
}

void meter_output_gain(struct meter *m, const float *x, float g, float *out, uint32_t n)
{
	dsp_arch_or_c(m->arch)->meter_output_gain(m, x, g, out, n);
}

void meter_output_post(struct meter *m, const float *out, uint32_t n)
{
	float pk = 0.0f;
	uint32_t clips = 0;
	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(out[i]);
		pk = a > pk ? a : pk;
		clips += a >= 1.0f;
	}
	m->acc.out_clips += clips;
	/* the true-peak filter's bound needs |y| < 2^32: a strip with +94 dB of gain on a loud
	 * input could exceed it, and its sample peak says enough then */
	if (pk < METER_BAD_LEVEL) {
		float tp = truepeak_process(&m->tp_out, out, n, pk, m->acc.out_tp, m->arch);
		m->acc.out_tp = fmaxf(m->acc.out_tp, fmaxf(tp, pk));
		loudness_process(&m->loud, out, n);
	} else {
		m->acc.out_tp = fmaxf(m->acc.out_tp, pk);
	}
}

void meter_loudness_reset(struct meter *m) { loudness_reset_integrated(&m->loud); }

void meter_take(struct meter *m, struct meter_snapshot *snap)
{
	*snap = m->acc;
	snap->lufs_m = m->loud.lufs_m;
	snap->lufs_s = m->loud.lufs_s;
	snap->lufs_i = m->loud.lufs_i;
	snap->lra = m->loud.lra;
	snap->in_ms = m->in_ms.ms;
	snap->out_ms = m->out_ms.ms;
	meter_clear_period(m);
}

void meter_snapshot_merge(struct meter_snapshot *dst, const struct meter_snapshot *src)
{
	dst->in_ms = src->in_ms;
	dst->out_ms = src->out_ms;
	dst->in_peak = fmaxf(dst->in_peak, src->in_peak);
	dst->in_tp = fmaxf(dst->in_tp, src->in_tp);
	dst->out_peak = fmaxf(dst->out_peak, src->out_peak);
	dst->clips += src->clips;
	dst->out_tp = fmaxf(dst->out_tp, src->out_tp);
	dst->out_clips += src->out_clips;
	dst->lufs_m = src->lufs_m, dst->lufs_s = src->lufs_s;
	dst->lufs_i = src->lufs_i, dst->lra = src->lra;
	for (int k = 0; k < METER_GR_COUNT; k++)
		dst->gr_gain[k] = fminf(dst->gr_gain[k], src->gr_gain[k]);
	dst->frames += src->frames;
}

void meter_hold_reset(struct meter_hold *hold)
{
	hold->tp_held = 0.0f;
	hold->clips_total = 0;
	hold->out_clips_total = 0;
}

void meter_hold_update(struct meter_hold *hold, const struct meter_snapshot *s)
{
	if (s->in_tp > hold->tp_held)
		hold->tp_held = s->in_tp;
	hold->clips_total += s->clips;
	hold->out_clips_total += s->out_clips;
}

/* 0 - x rather than -x: a reading of exactly 0 dB gives +0.0, never -0.0 */
static float negate_db(float db) { return 0.0f - db; }

float meter_headroom_held_db(const struct meter_hold *hold)
{
	return negate_db(dsp_gain_to_db(hold->tp_held));
}

/* gain reduction in positive dB from the lowest gain a stage applied; 0.0 for gain >= 1 */
static float gr_db(float gain)
{
	float db = dsp_gain_to_db(gain);
	return db < 0.0f ? -db : 0.0f;
}

void meter_fields(const struct meter_snapshot *s, const struct meter_hold *hold, float cal_dbu,
		  float f[MF_COUNT])
{
	/* AES17: RMS + 3.01 dB so a full-scale sine reads 0 dBFS */
	f[MF_IN_RMS_DBFS] = dsp_power_to_db(2.0f * s->in_ms);
	f[MF_IN_DBU] = f[MF_IN_RMS_DBFS] + cal_dbu;
	f[MF_IN_DBV] = f[MF_IN_DBU] - 2.2185f; /* 0 dBV = 1 V, 0 dBu = sqrt(0.6) V */
	f[MF_IN_PEAK_DBFS] = dsp_gain_to_db(s->in_peak);
	f[MF_IN_TRUE_PEAK_DBTP] = dsp_gain_to_db(s->in_tp);
	f[MF_HEADROOM_DB] = negate_db(f[MF_IN_TRUE_PEAK_DBTP]);
	f[MF_CLIPS] = (float)hold->clips_total;
	for (int k = 0; k < METER_GR_COUNT; k++)
		f[MF_CLIPS + 1 + k] = gr_db(s->gr_gain[k]);
	f[MF_OUT_PEAK_DBFS] = dsp_gain_to_db(s->out_peak);
	f[MF_OUT_RMS_DBFS] = dsp_power_to_db(2.0f * s->out_ms);
	f[MF_OUT_TRUE_PEAK_DBTP] = dsp_gain_to_db(s->out_tp);
	f[MF_OUT_CLIPS] = (float)hold->out_clips_total;
	f[MF_LUFS_M] = s->lufs_m;
	f[MF_LUFS_S] = s->lufs_s;
	f[MF_LUFS_I] = s->lufs_i;
	f[MF_LRA] = s->lra;
}
#endif
