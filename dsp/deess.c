/* Split-band / wide-band de-esser; see deess.h for the definitions.
 *
 * Passes per chunk: both filters in one serial loop (their recursions overlap in the
 * CPU; several channels' run side by side in float vectors), level and target reduction
 * (vectorised fm_log2), slew limiter (serial, integer: sub, max, min; several channels'
 * interleaved), gain (vectorised fm_exp2) and output. deess_process is the one-lane case of
 * deess_process_lanes. */
#include "deess.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "lanes.h"
#include "vec.h"

#define DEESS_Q 1048576.0f       /* Q20 */
#define DEESS_LEVEL_FLOOR 1e-10f /* -200 dBFS */
/* Added to each high-pass input: removed by the filter, but keeps its state normal in
 * silence without a per-chunk flush (which would make results depend on block size). */
#define DEESS_DC_OFFSET 1e-25f

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
static void deess_clear_state(struct deess *d)
{
	d->band_s.z1 = d->band_s.z2 = 0.0f;
	d->sc_s.z1 = d->sc_s.z2 = 0.0f;
	d->gr_q = 0;
}

int deess_init(struct deess *d, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->fs = fs;
	d->link_gr.v = d->buf_g;
	d->link_gr.flat = 1;
	d->min_gain = 1.0f;
	d->d_att_q = (int32_t)lrint(DEESS_ATTACK_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	d->d_rel_q = (int32_t)lrint(DEESS_RELEASE_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	smooth_init(&d->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->wide, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->listen_xf, fs, SMOOTH_TAU_MS, 0.0f);
	deess_reset(d);
	return 0;
}

void deess_reset(struct deess *d)
{
	deess_clear_state(d);
	smooth_jump(&d->xfade);
	smooth_jump(&d->wide);
	smooth_jump(&d->listen_xf);
	d->min_gain = 1.0f;
}

void deess_set_enable(struct deess *d, int on)
{
	if (on && deess_idle(d))
		deess_clear_state(d);
	d->enabled = on;
	smooth_set(&d->xfade, on ? 1.0f : 0.0f);
}

void deess_set_freq_hz(struct deess *d, float hz)
{
	d->freq_hz = hz;
	if (hz > DEESS_FREQ_MAX_FS * d->fs)
		hz = DEESS_FREQ_MAX_FS * d->fs;
	biquad_design(&d->bp, BQ_BANDPASS, d->fs, hz, DEESS_BAND_Q, 0.0);
	biquad_design(&d->hp, BQ_HIGHPASS, d->fs, hz, 0.7071067811865476, 0.0);
}

/* The quiet test's bound: the threshold in linear terms, less a margin of 1e-4 in log2 (25
 * times fm_log2's error), so that a chunk below it has every target at 0 for sure. */
void deess_set_threshold_db(struct deess *d, float dbfs)
{
	d->thr_db = dbfs;
	d->quiet_peak = fm_exp2(dbfs * FM_LOG2_PER_DB - 1e-4f);
}

void deess_set_range_db(struct deess *d, float db) { d->range_db = db < 0.0f ? 0.0f : db; }

void deess_set_mode(struct deess *d, int mode)
{
	d->mode = mode == DEESS_WIDE ? DEESS_WIDE : DEESS_SPLIT;
	smooth_set(&d->wide, d->mode == DEESS_WIDE ? 1.0f : 0.0f);
}

void deess_set_listen(struct deess *d, int on)
{
	d->listen = on != 0;
	smooth_set(&d->listen_xf, d->listen ? 1.0f : 0.0f);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_DYNAMICS_ADAPTERS(deess)

static void deess_stage_set(void *st, unsigned idx, float v)
{
	struct deess *d = st;
	switch (P_DEESS_ENABLE + (int)idx) {
	case P_DEESS_ENABLE: deess_set_enable(d, v != 0.0f); break;
	case P_DEESS_FREQ: deess_set_freq_hz(d, v); break;
	case P_DEESS_THRESHOLD: deess_set_threshold_db(d, v); break;
	case P_DEESS_RANGE: deess_set_range_db(d, v); break;
	case P_DEESS_MODE: deess_set_mode(d, (int)v); break;
	case P_DEESS_LISTEN: deess_set_listen(d, v != 0.0f); break;
	default: break;
	}
}

STAGE_LANES_ADAPTER(deess_stage_lanes, deess, deess_process_lanes)
STAGE_LINK_ADAPTERS(deess_stage, deess, deess_gain_lanes, deess_apply_lanes)

const struct stage_desc deess_stage = {
	.name = "deess", .label = "de-esser", .first = P_DEESS_ENABLE, .last = P_DEESS_LISTEN,
	.init = deess_stage_init, .reset = deess_stage_reset, .set = deess_stage_set,
	.process_lanes = deess_stage_lanes, .idle = deess_stage_idle,
	.gr_take = deess_stage_gr_take,
	.gain_lanes = deess_stage_gain, .link_gr = deess_stage_gr, .apply_lanes = deess_stage_apply,
};
#endif /* DSP_KERNELS_ONLY */

/* Output for one sample from the mode (w: 0 split .. 1 wide), listen (l) and enable (xf)
 * crossfade positions. Every lerp is a*(1-t) + b*t, exact at both ends, so a settled path that
 * evaluates only one end gives the same bits as this general form. */
static inline float deess_mix(float x, float band, float sc, float g, float w, float l, float xf)
{
	float split = x + (g - 1.0f) * band;
	float wide = g * x;
	float y = (1.0f - w) * split + w * wide;
	y = (1.0f - l) * y + l * sc;
	return (1.0f - xf) * x + xf * y;
}

/* Lanes of the filter stage travel in float vectors of four, one channel per element: each
 * element sees the same IEEE operations as the scalar form, so every lane's results are the
 * single-channel results bit for bit, while the four (or, with two vectors, eight) recursions
 * run side by side instead of one after the other. A single channel uses element 0 alone. */
#define DEESS_VL 4u /* lanes per vector */

/* The two sections in transposed direct form II with the zeros their designs fix (biquad.h:
 * biquad_bp_tick_v4, biquad_hp_tick_v4): the loop is short enough to run at the latency of
 * its serial chain. */

/* Zero input for padding lanes: with zero coefficients and state they stay exactly 0. */
static const float deess_zero_in[DSP_MAX_CHUNK];

/* Band split and sidechain for W lanes (W = 1, 4 or 8, a constant after inlining), the first
 * na of them real: band[l][i] and sc[l][i] for i < n. Padding lanes read zeros and write to
 * a scratch buffer nobody reads. */
static inline __attribute__((always_inline)) void
deess_filter_lanes(struct deess *const *d, unsigned na, const float *const *in, uint32_t n,
		   const unsigned W)
{
	enum { NV_MAX = DSP_LANES_MAX / DEESS_VL };
	const unsigned nvec = (W + DEESS_VL - 1) / DEESS_VL;
	float pad_band[DSP_MAX_CHUNK], pad_sc[DSP_MAX_CHUNK];
	const float *x[NV_MAX * DEESS_VL];
	float *band[NV_MAX * DEESS_VL], *sc[NV_MAX * DEESS_VL];
	struct biquad_gain_poles_v4 bp[NV_MAX], hp[NV_MAX];
	dsp_v4f z1a[NV_MAX], z2a[NV_MAX], z1b[NV_MAX], z2b[NV_MAX];
	const dsp_v4f dc = {DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET};
	if (W == 1)
		na = 1; /* one lane is never padding (and GCC then sees every pointer set) */

	for (unsigned v = 0; v < nvec; v++) {
		bp[v] = hp[v] = (struct biquad_gain_poles_v4){{0}, {0}, {0}};
		z1a[v] = z2a[v] = z1b[v] = z2b[v] = (dsp_v4f){0};
	}
	for (unsigned l = 0; l < W; l++) {
		unsigned v = l / DEESS_VL, e = l % DEESS_VL;
		if (l < na) {
			const struct deess *dl = d[l];
			x[l] = in[l];
			band[l] = d[l]->buf_band;
			sc[l] = d[l]->buf_sc;
			bp[v].b0[e] = dl->bp.b0, bp[v].a1[e] = dl->bp.a1, bp[v].a2[e] = dl->bp.a2;
			hp[v].b0[e] = dl->hp.b0, hp[v].a1[e] = dl->hp.a1, hp[v].a2[e] = dl->hp.a2;
			z1a[v][e] = dl->band_s.z1, z2a[v][e] = dl->band_s.z2;
			z1b[v][e] = dl->sc_s.z1, z2b[v][e] = dl->sc_s.z2;
		} else {
			x[l] = deess_zero_in;
			band[l] = pad_band;
			sc[l] = pad_sc;
		}
	}

	uint32_t i = 0;
	if (W >= DEESS_VL) {
		/* whole blocks of four samples: four loads per vector of lanes, transposed to
		 * four samples of the lanes, and the outputs transposed back */
		for (; i + DEESS_VL <= n; i += DEESS_VL) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4f xs[DEESS_VL], bs[DEESS_VL], ss[DEESS_VL];
				for (unsigned e = 0; e < DEESS_VL; e++)
					xs[e] = dsp_load4f(x[v * DEESS_VL + e] + i);
				dsp_transpose4f(&xs[0], &xs[1], &xs[2], &xs[3]);
				for (unsigned k = 0; k < DEESS_VL; k++) {
					bs[k] = biquad_bp_tick_v4(&bp[v], &z1a[v], &z2a[v], xs[k] + dc);
					ss[k] = biquad_hp_tick_v4(&hp[v], &z1b[v], &z2b[v], bs[k] + dc);
				}
				dsp_transpose4f(&bs[0], &bs[1], &bs[2], &bs[3]);
				dsp_transpose4f(&ss[0], &ss[1], &ss[2], &ss[3]);
				for (unsigned e = 0; e < DEESS_VL; e++) {
					dsp_store4f(band[v * DEESS_VL + e] + i, bs[e]);
					dsp_store4f(sc[v * DEESS_VL + e] + i, ss[e]);
				}
			}
		}
	}
	/* the rest (everything for one lane) a sample at a time */
	for (; i < n; i++) {
		for (unsigned v = 0; v < nvec; v++) {
			dsp_v4f xv = {0};
			for (unsigned e = 0; e < DEESS_VL && v * DEESS_VL + e < W; e++)
				xv[e] = x[v * DEESS_VL + e][i];
			dsp_v4f b = biquad_bp_tick_v4(&bp[v], &z1a[v], &z2a[v], xv + dc);
			dsp_v4f s = biquad_hp_tick_v4(&hp[v], &z1b[v], &z2b[v], b + dc);
			for (unsigned e = 0; e < DEESS_VL && v * DEESS_VL + e < W; e++) {
				band[v * DEESS_VL + e][i] = b[e];
				sc[v * DEESS_VL + e][i] = s[e];
			}
		}
	}

	for (unsigned l = 0; l < na; l++) {
		unsigned v = l / DEESS_VL, e = l % DEESS_VL;
		d[l]->band_s.z1 = z1a[v][e], d[l]->band_s.z2 = z2a[v][e];
		d[l]->sc_s.z1 = z1b[v][e], d[l]->sc_s.z2 = z2b[v][e];
	}
}

/* Target reduction of one lane into buf_q, Q20 dB; 0 when the whole chunk is quiet and there
 * is nothing to release either, and then buf_g is exactly 1 and the slew limiter is skipped. */
static inline int deess_targets(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict sc = d->buf_sc;
	float *restrict g = d->buf_g;
	int32_t *restrict q = d->buf_q;

	for (uint32_t i = n; i < nv; i++)
		sc[i] = 0.0f;
	float hi = fm_max_padded(sc, nv), lo = fm_min_padded(sc, nv);
	float sc_peak = hi > -lo ? hi : -lo;

	/* When even the chunk's peak is below the threshold every target is 0. */
	const float thr = d->thr_db, range = d->range_db;
	int quiet = sc_peak + DEESS_LEVEL_FLOOR <= d->quiet_peak;
	if (quiet) {
		if (d->gr_q == 0) {
			/* and nothing to release: the gain is exactly 1 throughout */
			for (uint32_t i = 0; i < nv; i++)
				g[i] = 1.0f;
			d->min_gain = d->min_gain < 1.0f ? d->min_gain : 1.0f;
			return 0;
		}
		for (uint32_t i = 0; i < nv; i++)
			q[i] = 0;
	} else {
		for (uint32_t i = 0; i < nv; i++) {
			float r = FM_DB_PER_LOG2 * fm_log2(fabsf(sc[i]) + DEESS_LEVEL_FLOOR) - thr;
			r = r > 0.0f ? r : 0.0f;
			r = r < range ? r : range;
			q[i] = (int32_t)(r * DEESS_Q);
		}
	}
	return 1;
}

/* Elementwise integer max and min, for one lane or a vector of four (vec.h), and one
 * slew-limiter step written once for both: the reduction moves towards the target q by at
 * most da up and dr down. */
static inline int32_t deess_max_i(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t deess_min_i(int32_t a, int32_t b) { return a < b ? a : b; }
#define DEESS_MAX(a, b) _Generic((a), dsp_v4i: dsp_max4i, default: deess_max_i)(a, b)
#define DEESS_MIN(a, b) _Generic((a), dsp_v4i: dsp_min4i, default: deess_min_i)(a, b)
#define DEESS_SLEW_STEP(gr, q, da, dr) DEESS_MIN(DEESS_MAX((q), (gr) - (dr)), (gr) + (da))

/* Slew limiter, linear-dB attack and release, for W lanes (a constant after inlining) side
 * by side: one lane steps in scalar registers (its chain is sub, max, min: a compare and
 * blend in SSE2 would be longer), four or eight in integer vectors, transposed in blocks of
 * four samples like the filters. The first na lanes are real; padding lanes step a zero
 * target with zero slew. */
static inline __attribute__((always_inline)) void
deess_slew_lanes(struct deess *const *d, unsigned na, uint32_t n, const unsigned W)
{
	if (W == 1) {
		int32_t *restrict q = d[0]->buf_q;
		int32_t gr = d[0]->gr_q;
		const int32_t da = d[0]->d_att_q, dr = d[0]->d_rel_q;
		for (uint32_t i = 0; i < n; i++)
			q[i] = gr = DEESS_SLEW_STEP(gr, q[i], da, dr);
		d[0]->gr_q = gr;
	} else {
		enum { NV_MAX = DSP_LANES_MAX / DEESS_VL };
		const unsigned nvec = (W + DEESS_VL - 1) / DEESS_VL;
		int32_t pad_q[DSP_MAX_CHUNK];
		int32_t *q[NV_MAX * DEESS_VL];
		dsp_v4i gr[NV_MAX], da[NV_MAX], dr[NV_MAX];
		if (na < W)
			memset(pad_q, 0, n * sizeof(pad_q[0]));
		for (unsigned v = 0; v < nvec; v++)
			gr[v] = da[v] = dr[v] = (dsp_v4i){0};
		for (unsigned l = 0; l < W; l++) {
			unsigned v = l / DEESS_VL, e = l % DEESS_VL;
			q[l] = l < na ? d[l]->buf_q : pad_q;
			if (l < na)
				gr[v][e] = d[l]->gr_q, da[v][e] = d[l]->d_att_q, dr[v][e] = d[l]->d_rel_q;
		}
		uint32_t i = 0;
		for (; i + DEESS_VL <= n; i += DEESS_VL) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4i qs[DEESS_VL];
				for (unsigned e = 0; e < DEESS_VL; e++)
					qs[e] = dsp_load4i(q[v * DEESS_VL + e] + i);
				dsp_transpose4i(&qs[0], &qs[1], &qs[2], &qs[3]);
				for (unsigned k = 0; k < DEESS_VL; k++)
					qs[k] = gr[v] = DEESS_SLEW_STEP(gr[v], qs[k], da[v], dr[v]);
				dsp_transpose4i(&qs[0], &qs[1], &qs[2], &qs[3]);
				for (unsigned e = 0; e < DEESS_VL; e++)
					dsp_store4i(q[v * DEESS_VL + e] + i, qs[e]);
			}
		}
		for (; i < n; i++) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4i qv;
				for (unsigned e = 0; e < DEESS_VL; e++)
					qv[e] = q[v * DEESS_VL + e][i];
				gr[v] = DEESS_SLEW_STEP(gr[v], qv, da[v], dr[v]);
				for (unsigned e = 0; e < DEESS_VL; e++)
					q[v * DEESS_VL + e][i] = gr[v][e];
			}
		}
		for (unsigned l = 0; l < na; l++)
			d[l]->gr_q = gr[l / DEESS_VL][l % DEESS_VL];
	}
	for (unsigned l = 0; l < na; l++)
		for (uint32_t i = n; i < fm_pad(n); i++)
			d[l]->buf_q[i] = 0;
}

/* Gain from the slewed reduction, and the meter's minimum. */
static inline void deess_gain(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	const int32_t *restrict q = d->buf_q;
	float *restrict g = d->buf_g;
	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2_in_range((float)q[i] * (-FM_LOG2_PER_DB / DEESS_Q));
	float gmin = fm_min_padded(g, nv);
	d->min_gain = d->min_gain < gmin ? d->min_gain : gmin;
}

static inline void deess_output(struct deess *d, const float *restrict in, float *restrict out,
				uint32_t n)
{
	const float *restrict band = d->buf_band;
	const float *restrict sc = d->buf_sc;
	const float *restrict g = d->buf_g;
	if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) && smooth_settled(&d->listen_xf) &&
	    d->xfade.cur == 1.0f && d->listen_xf.cur == 0.0f) {
		if (d->wide.cur == 0.0f) {
			for (uint32_t i = 0; i < n; i++)
				out[i] = in[i] + (g[i] - 1.0f) * band[i];
		} else {
			for (uint32_t i = 0; i < n; i++)
				out[i] = g[i] * in[i];
		}
	} else if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) &&
		   smooth_settled(&d->listen_xf)) {
		const float w = d->wide.cur, l = d->listen_xf.cur, xf = d->xfade.cur;
		for (uint32_t i = 0; i < n; i++)
			out[i] = deess_mix(in[i], band[i], sc[i], g[i], w, l, xf);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float w = smooth_next(&d->wide);
			float l = smooth_next(&d->listen_xf);
			float xf = smooth_next(&d->xfade);
			out[i] = deess_mix(in[i], band[i], sc[i], g[i], w, l, xf);
		}
	}
}

/* deess_gain from link_gr: buf_g holds (float)buf_q, the same values deess_gain converts. */
static inline void deess_gain_linked(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict g = d->buf_g;
	for (uint32_t i = n; i < nv; i++)
		g[i] = 0.0f;
	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2_in_range(g[i] * (-FM_LOG2_PER_DB / DEESS_Q));
	float gmin = fm_min_padded(g, nv);
	d->min_gain = d->min_gain < gmin ? d->min_gain : gmin;
}

/* What the kernels run (a constant after inlining): the whole chunk, or one of its halves for
 * the stereo link: filters, targets and slew limiter with the reduction into buf_g
 * (link_gr; flat when the slew limiter was skipped and buf_g is already exactly 1), then gain
 * and mix. */
enum deess_phase { DEESS_WHOLE, DEESS_GAIN, DEESS_APPLY };

/* The slewed reduction of the ns lanes sl that ran the slew limiter into link_gr; the other
 * active lanes are flat. */
static inline void deess_gain_out(struct deess *const *d, unsigned na, struct deess *const *sl,
				  unsigned ns, uint32_t n)
{
	for (unsigned l = 0; l < na; l++)
		d[l]->link_gr.flat = 1;
	for (unsigned l = 0; l < ns; l++) {
		sl[l]->link_gr.flat = 0;
		for (uint32_t i = 0; i < n; i++)
			sl[l]->buf_g[i] = (float)sl[l]->buf_q[i];
	}
}

/* After the filters, for na active lanes: levels and targets per lane, the slew limiter
 * across the lanes that need it (padded to whole vectors), then gain and mix per lane. */
static inline __attribute__((always_inline)) void
deess_finish(struct deess *const *d, unsigned na, const float *const *in, float *const *out,
	     uint32_t n, enum deess_phase ph)
{
	if (ph == DEESS_APPLY) {
		for (unsigned l = 0; l < na; l++) {
			if (!d[l]->link_gr.flat)
				deess_gain_linked(d[l], n);
			deess_output(d[l], in[l], out[l], n);
		}
		return;
	}
	struct deess *sl[DSP_LANES_MAX];
	unsigned ns = 0;
	for (unsigned l = 0; l < na; l++)
		if (deess_targets(d[l], n))
			sl[ns++] = d[l];
	DSP_LANES_CALL(dsp_lanes_pad(ns, DEESS_VL), DSP_LANES_W_1_4_8, deess_slew_lanes, sl, ns, n);
	if (ph == DEESS_GAIN) {
		deess_gain_out(d, na, sl, ns, n);
		return;
	}
	for (unsigned l = 0; l < ns; l++)
		deess_gain(sl[l], n);
	for (unsigned l = 0; l < na; l++)
		deess_output(d[l], in[l], out[l], n);
}

#define DEESS_INLINE static inline __attribute__((always_inline))

DEESS_INLINE void deess_kernel_1(struct deess *d, const float *in, float *out, uint32_t n,
				 enum dsp_isa isa, enum deess_phase ph)
{
	if (deess_idle(d)) {
		if (ph != DEESS_GAIN)
			memcpy(out, in, n * sizeof(float));
		return;
	}
	if (n == 0)
		return;
	if (ph != DEESS_APPLY)
		deess_filter_lanes(&d, 1, &in, n, 1);
	deess_finish(&d, 1, &in, &out, n, ph);
}

DEESS_INLINE void deess_kernel_n(struct deess *const *d, unsigned nl, const float *const *in,
				 float *const *out, uint32_t n, enum dsp_isa isa,
				 enum deess_phase ph)
{
	struct deess *act[DSP_LANES_MAX];
	const float *ain[DSP_LANES_MAX];
	float *aout[DSP_LANES_MAX];
	unsigned na = 0;
	for (unsigned l = 0; l < nl; l++) {
		if (deess_idle(d[l])) {
			if (ph != DEESS_GAIN)
				memcpy(out[l], in[l], n * sizeof(float));
		} else {
			act[na] = d[l], ain[na] = in[l], aout[na] = ph == DEESS_GAIN ? NULL : out[l];
			na++;
		}
	}
	if (n == 0)
		return;
	/* every active lane takes the same filter path, padded to whole vectors */
	if (ph != DEESS_APPLY)
		DSP_LANES_CALL(dsp_lanes_pad(na, DEESS_VL), DSP_LANES_W_1_4_8, deess_filter_lanes,
			       act, na, ain, n);
	deess_finish(act, na, ain, aout, n, ph);
}

/* The kernel for the baseline ISA and for AVX2 (same bits, see cpu.h); one and many lanes
 * separately, so the one-lane loops unroll for one. */
void DSP_KERNEL(deess_run_1)(struct deess *d, const float *in, float *out, uint32_t n)
{
	deess_kernel_1(d, in, out, n, DSP_ISA, DEESS_WHOLE);
}

void DSP_KERNEL(deess_run_n)(struct deess *const *d, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n)
{
	deess_kernel_n(d, nl, in, out, n, DSP_ISA, DEESS_WHOLE);
}

/* The stereo link's two halves (stage.h), one lane separately so its loops unroll for one. */
void DSP_KERNEL(deess_gain_n)(struct deess *const *d, unsigned nl, const float *const *in,
			      uint32_t n)
{
	if (nl == 1)
		deess_kernel_1(d[0], in[0], NULL, n, DSP_ISA, DEESS_GAIN);
	else
		deess_kernel_n(d, nl, in, NULL, n, DSP_ISA, DEESS_GAIN);
}

void DSP_KERNEL(deess_apply_n)(struct deess *const *d, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	if (nl == 1)
		deess_kernel_1(d[0], in[0], out[0], n, DSP_ISA, DEESS_APPLY);
	else
		deess_kernel_n(d, nl, in, out, n, DSP_ISA, DEESS_APPLY);
}

#ifndef DSP_KERNELS_ONLY
DSP_DEFINE_MODULE_ENTRIES(deess)
DSP_DEFINE_LINK_ENTRIES(deess)
#endif

