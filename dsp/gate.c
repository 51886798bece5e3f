/* Gate / expander; see gate.h for the definitions.
 *
 * Passes per chunk: sidechain (vectorised unless the high-pass is on), detector (serial
 * mul + max), expander target (vectorised fm_log2), state machine + gain smoothing (serial,
 * skipped when the state cannot change and the gain rests on a fixed point), gain
 * (vectorised fm_exp2). gate_process_lanes() runs the vectorised passes lane by lane and each
 * serial one interleaved over the lanes that need it; gate_process() is its one-lane case. */
#include "gate.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "lanes.h"

/* Gain target while open: just below zero, so the smoother settles on it instead of decaying
 * into subnormals, and fm_exp2 of it is exactly 1.0f. */
#define GATE_OPEN_DB (-0x1p-66f)
/* The detector runs in log2 units on a grid of 2^-16 (9.2e-5 dB): E = max(A, E - D) with A
 * the level and D the per-sample release, both rounded to the grid. Every value stays below
 * 2^8 in magnitude, so each subtraction and max is exact: the result does not depend on
 * the order of evaluation, and a chunk's detector can be bounded (and its last value found)
 * in closed form without the serial recursion. Adding then subtracting 1.5 * 2^7 rounds a
 * float below 2^6 in magnitude to the grid (and one below 2^7 to twice the grid). */
#define GATE_LQ_ROUND 192.0f
#define GATE_LEVEL_FLOOR 1e-10f /* -200 dBFS: added to |sc| */
#define GATE_ENV_FLOOR (-0x1.09c118p+5f) /* log2(1e-10) on the grid: -200 dBFS */
#define GATE_ENV_PAD (-1e30f)          /* padding lanes: below everything, never stored */
#define GATE_DC_OFFSET 1e-25f   /* keeps the sidechain high-pass state normal in silence */

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */

/* A level in dBFS as a detector threshold on the grid. */
static float gate_thr_q(float db)
{
	float l = db * FM_LOG2_PER_DB;
	l = l > GATE_ENV_FLOOR ? l : GATE_ENV_FLOOR;
	return (l + GATE_LQ_ROUND) - GATE_LQ_ROUND;
}

/* The detector's release per sample, log2(1/alpha_D), on the grid. */
static float gate_decay_q(const struct gate *g)
{
	float d = -fm_log2(g->a_det);
	return (d + GATE_LQ_ROUND) - GATE_LQ_ROUND;
}

static void gate_update_thresholds(struct gate *g)
{
	g->thr_open = (float)pow(10.0, g->thr_db / 20.0);
	g->thr_close = (float)pow(10.0, (g->thr_db - g->hyst_db) / 20.0);
	g->thr_open_q = gate_thr_q(g->thr_db);
	g->thr_close_q = gate_thr_q(g->thr_db - g->hyst_db);
}

static void gate_clear_state(struct gate *g)
{
	g->hpf_s.z1 = g->hpf_s.z2 = 0.0f;
	g->env = GATE_ENV_FLOOR;
	/* closed, at rest: the detector holds nothing yet, so noise below the threshold at the
	 * start is attenuated from the first sample (open, it passed for the hold and release) */
	g->g_db = g->t_closed;
	g->open = 0;
	g->hold_left = 0;
}

int gate_init(struct gate *g, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->fs = fs;
	g->link_gr.v = g->buf_g;
	g->min_gain = 1.0f;
	g->a_det = (float)dsp_pole_from_ms_d(GATE_DET_RELEASE_MS, fs);
	g->det_decay_q = gate_decay_q(g);
	smooth_init(&g->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	gate_reset(g);
	return 0;
}

void gate_reset(struct gate *g)
{
	gate_clear_state(g);
	smooth_jump(&g->xfade);
	g->min_gain = 1.0f;
}

void gate_set_enable(struct gate *g, int on)
{
	if (on && gate_idle(g))
		gate_clear_state(g);
	g->enabled = on;
	smooth_set(&g->xfade, on ? 1.0f : 0.0f);
}

void gate_set_threshold_db(struct gate *g, float dbfs)
{
	g->thr_db = dbfs;
	gate_update_thresholds(g);
}

void gate_set_hysteresis_db(struct gate *g, float db)
{
	g->hyst_db = db < 0.0f ? 0.0f : db;
	gate_update_thresholds(g);
}

void gate_set_range_db(struct gate *g, float db)
{
	g->range_db = db < 0.0f ? 0.0f : db;
	g->t_closed = -g->range_db < GATE_OPEN_DB ? -g->range_db : GATE_OPEN_DB;
}

static void gate_update_ballistics(struct gate *g) { g->att_fast = g->a_att <= g->a_rel; }

void gate_set_attack_ms(struct gate *g, float ms)
{
	g->attack_ms = ms;
	g->a_att = dsp_pole_from_ms_d(ms, g->fs);
	gate_update_ballistics(g);
}

void gate_set_hold_ms(struct gate *g, float ms)
{
	g->hold_ms = ms < 0.0f ? 0.0f : ms;
	/* at least GATE_HOLD_MIN_MS: the detector droops by more than a usual hysteresis between
	 * the half-wave peaks of a bass note (7.8 dB at 55 Hz), so with no hold a note fading
	 * through the threshold re-opened 45 times; the floor bridges half periods down to 33 Hz */
	float hold = g->hold_ms > GATE_HOLD_MIN_MS ? g->hold_ms : GATE_HOLD_MIN_MS;
	g->hold_n = (int32_t)lrint((double)hold * 1e-3 * (double)g->fs);
	if (g->hold_left > g->hold_n)
		g->hold_left = g->hold_n;
}

void gate_set_release_ms(struct gate *g, float ms)
{
	g->release_ms = ms;
	g->a_rel = dsp_pole_from_ms_d(ms, g->fs);
	gate_update_ballistics(g);
}

void gate_set_mode(struct gate *g, int mode)
{
	g->mode = mode == GATE_MODE_EXPANDER ? GATE_MODE_EXPANDER : GATE_MODE_GATE;
}

void gate_set_ratio(struct gate *g, float ratio) { g->ratio = ratio < 1.0f ? 1.0f : ratio; }

void gate_set_sc_hpf_hz(struct gate *g, float hz)
{
	int on = hz > 0.0f;
	if (on && !g->hpf_on)
		g->hpf_s.z1 = g->hpf_s.z2 = 0.0f;
	g->sc_hpf_hz = hz;
	g->hpf_on = on;
	if (on)
		biquad_design(&g->hpf, BQ_HIGHPASS, g->fs, hz, 0.7071067811865476, 0.0);
	else
		biquad_identity(&g->hpf);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_DYNAMICS_ADAPTERS(gate)

static void gate_stage_set(void *st, unsigned idx, float v)
{
	struct gate *g = st;
	switch (P_GATE_ENABLE + (int)idx) {
	case P_GATE_ENABLE: gate_set_enable(g, v != 0.0f); break;
	case P_GATE_THRESHOLD: gate_set_threshold_db(g, v); break;
	case P_GATE_HYSTERESIS: gate_set_hysteresis_db(g, v); break;
	case P_GATE_RANGE: gate_set_range_db(g, v); break;
	case P_GATE_ATTACK: gate_set_attack_ms(g, v); break;
	case P_GATE_HOLD: gate_set_hold_ms(g, v); break;
	case P_GATE_RELEASE: gate_set_release_ms(g, v); break;
	case P_GATE_MODE: gate_set_mode(g, (int)v); break;
	case P_GATE_RATIO: gate_set_ratio(g, v); break;
	case P_GATE_SC_HPF: gate_set_sc_hpf_hz(g, v); break;
	default: break;
	}
}

STAGE_LANES_ADAPTER(gate_stage_lanes, gate, gate_process_lanes)
STAGE_LINK_ADAPTERS(gate_stage, gate, gate_gain_lanes, gate_apply_lanes)

const struct stage_desc gate_stage = {
	.name = "gate", .label = "gate/expander", .first = P_GATE_ENABLE, .last = P_GATE_SC_HPF,
	.init = gate_stage_init, .reset = gate_stage_reset, .set = gate_stage_set,
	.process_lanes = gate_stage_lanes, .idle = gate_stage_idle, .gr_take = gate_stage_gr_take,
	.gain_lanes = gate_stage_gain, .link_gr = gate_stage_gr, .apply_lanes = gate_stage_apply,
};
#endif /* DSP_KERNELS_ONLY */

/* The per-sample kernels are always inlined, so that each pass below is compiled with its lane
 * count as a constant: gate_process() is the one-lane case of the multi-lane kernel. */
#define GATE_INLINE static inline __attribute__((always_inline))

/* One step of the gain smoother toward t (dB): the branching one-pole with the branch taken
 * by max()/min() as in comp.c, on a double state so that a long release does not stall
 * short of the target (see comp.c). */
GATE_INLINE double gate_step(double a_att, double a_rel, int att_fast, double y, double t)
{
	double u = a_att * y + (1.0 - a_att) * t, v = a_rel * y + (1.0 - a_rel) * t;
	return att_fast ? (u > v ? u : v) : (u < v ? u : v);
}

static inline float gate_total_gain(float xf, float gain) { return xf * gain + (1.0f - xf); }

/* Level of |x| in log2 units on the detector's grid. The floor is added rather than max()ed
 * (cheaper, and 1e-10 moves a -120 dBFS level by 1e-3 dB). No cap is needed: log2 of a
 * finite float is below 128, where the rounding still lands on the grid (its step there is
 * 2^-15) and every later difference stays exact. nv is a multiple of FM_VEC. */
GATE_INLINE void gate_level(const float *restrict sc, float *restrict a, uint32_t nv)
{
	for (uint32_t i = 0; i < nv; i++) {
		float l = fm_log2(fabsf(sc[i]) + GATE_LEVEL_FLOOR);
		a[i] = (l + GATE_LQ_ROUND) - GATE_LQ_ROUND;
	}
}

/* ---- serial passes, interleaved over w lanes: for each sample, one step of every lane ----
 * The lanes' chains are independent, so with w > 1 they overlap in the out-of-order core
 * instead of each waiting on its own latency. A lane's state is copied into locals for the
 * pass, so that it lives in registers. */

/* The sidechain high-pass into buf_t[0..n). */
GATE_INLINE void gate_hpf_pass(struct gate *const *gl, const float *const *x, unsigned w,
			       uint32_t n)
{
	const struct biquad_coef *k[DSP_LANES_MAX];
	struct biquad_state *s[DSP_LANES_MAX];
	float *sc[DSP_LANES_MAX];
	for (unsigned j = 0; j < w; j++) {
		k[j] = &gl[j]->hpf;
		s[j] = &gl[j]->hpf_s;
		sc[j] = gl[j]->buf_t;
	}
	biquad_run_lanes(k, s, x, sc, GATE_DC_OFFSET, n, w);
}

/* The detector over buf_env[0..n) in place, E = max(A, E - D) (exact, so the same values as
 * the bounds in gate_begin() assumed). */
GATE_INLINE void gate_detect_pass(struct gate *const *gl, unsigned w, uint32_t n)
{
	float e[DSP_LANES_MAX], dq[DSP_LANES_MAX];
	float *env[DSP_LANES_MAX];
	for (unsigned j = 0; j < w; j++) {
		e[j] = gl[j]->env;
		dq[j] = gl[j]->det_decay_q;
		env[j] = gl[j]->buf_env;
	}
	for (uint32_t i = 0; i < n; i++)
		for (unsigned j = 0; j < w; j++) {
			float d = e[j] - dq[j];
			e[j] = env[j][i] > d ? env[j][i] : d;
			env[j][i] = e[j];
		}
	for (unsigned j = 0; j < w; j++)
		gl[j]->env = e[j];
}

/* One lane of the state machine and the gain smoother, as locals for gate_state_pass(). */
struct gate_sm {
	double y, a_att, a_rel;
	float t_open, t_close, t_closed;
	int32_t hold, hold_n;
	int open, att_fast, expander;
};

/* The state machine and the gain smoother: buf_env (detector) and, in expander mode, buf_t
 * (gain target while closed) in, smoothed gain in dB out to buf_g[0..n). */
GATE_INLINE void gate_state_pass(struct gate *const *gl, unsigned w, uint32_t n)
{
	struct gate_sm s[DSP_LANES_MAX];
	const float *env[DSP_LANES_MAX], *shut[DSP_LANES_MAX];
	float *gd[DSP_LANES_MAX];
	for (unsigned j = 0; j < w; j++) {
		const struct gate *g = gl[j];
		s[j] = (struct gate_sm){g->g_db,
					g->a_att,
					g->a_rel,
					g->thr_open_q,
					g->thr_close_q,
					g->t_closed,
					g->hold_left,
					g->hold_n,
					g->open,
					g->att_fast,
					g->mode == GATE_MODE_EXPANDER};
		env[j] = g->buf_env;
		shut[j] = g->buf_t;
		gd[j] = gl[j]->buf_g;
	}
	for (uint32_t i = 0; i < n; i++)
		for (unsigned j = 0; j < w; j++) {
			struct gate_sm *r = &s[j];
			float ei = env[j][i];
			if (ei > r->t_open) {
				r->open = 1;
				r->hold = r->hold_n;
			} else if (r->open) {
				if (ei >= r->t_close)
					r->hold = r->hold_n;
				else if (r->hold > 0)
					r->hold--;
				else
					r->open = 0;
			}
			float t = r->open ? GATE_OPEN_DB : (r->expander ? shut[j][i] : r->t_closed);
			r->y = gate_step(r->a_att, r->a_rel, r->att_fast, r->y, t);
			gd[j][i] = (float)r->y;
		}
	for (unsigned j = 0; j < w; j++) {
		gl[j]->open = s[j].open;
		gl[j]->hold_left = s[j].hold;
		gl[j]->g_db = s[j].y;
	}
}

enum gate_pass { GATE_PASS_HPF, GATE_PASS_DETECT, GATE_PASS_STATE };

GATE_INLINE void gate_pass_w(enum gate_pass p, struct gate *const *gl, const float *const *x,
			     uint32_t n, unsigned w)
{
	if (p == GATE_PASS_HPF)
		gate_hpf_pass(gl, x, w, n);
	else if (p == GATE_PASS_DETECT)
		gate_detect_pass(gl, w, n);
	else
		gate_state_pass(gl, w, n);
}

/* Widest interleaved pass: enough independent chains to hide the latency of the longest one
 * (the double smoother), few enough that its state stays in registers. */
#define GATE_GROUP_MAX 4u

/* Runs pass p over the k lanes gl[0..k) (x: their inputs, HPF only) in even groups of up to
 * GATE_GROUP_MAX, each compiled for its width (lanes.h). A group of 3 is filled with a copy
 * of its first lane whose results are thrown away: an idle chain costs less than a pass of
 * its own. nl_max is a constant, so gate_process() compiles to the plain one-lane pass. */
GATE_INLINE void gate_pass(enum gate_pass p, struct gate **gl, const float **x, unsigned k,
			   uint32_t n, unsigned nl_max)
{
	if (nl_max == 1 || k == 1) {
		gate_pass_w(p, gl, x, n, 1);
		return;
	}
	struct gate pad;
	for (unsigned b = 0, m; b < k; b += m) {
		m = dsp_lanes_group(k - b, GATE_GROUP_MAX);
		unsigned w = dsp_lanes_pad(m, 2);
		struct gate *grp[DSP_LANES_MAX];
		const float *xg[DSP_LANES_MAX];
		for (unsigned j = 0; j < w; j++) {
			grp[j] = j < m ? gl[b + j] : &pad;
			xg[j] = x[b + (j < m ? j : 0)];
		}
		if (w > m)
			memcpy(&pad, gl[b], sizeof(pad));
		DSP_LANES_CALL(w, DSP_LANES_W_1_2_4, gate_pass_w, p, grp, xg, n);
	}
}

/* ---- per-lane passes (vectorised across time) ---- */

/* Sidechain level into buf_env (buf_t already holds the high-passed sidechain when that is
 * on), then the detector bounds. A chunk in which the state cannot change and the gain rests
 * on a fixed point, g_db, has its detector state advanced here (returns 1: gate_steady_out
 * finishes it); otherwise the serial passes follow. */
GATE_INLINE int gate_bounds(struct gate *g, const float *restrict in, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict env = g->buf_env;
	float *restrict tc = g->buf_t;
	float *restrict gd = g->buf_g;

	/* sidechain level, log2 units on the grid */
	if (g->hpf_on) {
		for (uint32_t i = n; i < nv; i++)
			tc[i] = 0.0f;
		gate_level(tc, env, nv);
	} else if (n == nv) {
		gate_level(in, env, nv);
	} else {
		memcpy(tc, in, n * sizeof(float));
		for (uint32_t i = n; i < nv; i++)
			tc[i] = 0.0f;
		gate_level(tc, env, nv);
	}
	for (uint32_t i = n; i < nv; i++)
		env[i] = GATE_ENV_PAD;

	/* Detector bounds without running it: E[i] = max(A[i], E[i-1] - D) is exact on the grid,
	 * so E[i] = max(E0 - (i+1) D, max_k<=i (A[k] - (i-k) D)), which lies between
	 * max(A[i], E0 - (i+1) D) and max(E0 - D, max_k<=i A[k]). */
	const float dq = g->det_decay_q;
	const float e0 = g->env;
	const float t_open = g->thr_open_q, t_close = g->thr_close_q;
	int steady = 0;
	double y = g->g_db;
	float *restrict lo = tc, *restrict b = gd;
	if (g->open) {
		for (uint32_t i = 0; i < nv; i++) {
			float carry = e0 - (fm_index[i] + 1.0f) * dq;
			lo[i] = env[i] > carry ? env[i] : carry;
			b[i] = env[i] + fm_index[i] * dq;
		}
		/* stays open at unity for the whole chunk, hold reloaded on every sample */
		steady = fm_min_padded(lo, nv) >= t_close &&
			 gate_step(g->a_att, g->a_rel, g->att_fast, y, GATE_OPEN_DB) == y;
		if (steady)
			g->hold_left = g->hold_n;
	} else if (g->mode != GATE_MODE_EXPANDER) {
		for (uint32_t i = 0; i < nv; i++)
			b[i] = env[i] + fm_index[i] * dq;
		float hi = fm_max_padded(env, nv);
		hi = hi > e0 - dq ? hi : e0 - dq;
		steady = !(hi > t_open) &&
			 gate_step(g->a_att, g->a_rel, g->att_fast, y, g->t_closed) == y;
	}
	if (!steady)
		return 0;
	float from_in = fm_max_padded(b, nv) - fm_index[n - 1] * dq;
	float from_e0 = e0 - (fm_index[n - 1] + 1.0f) * dq;
	g->env = from_in > from_e0 ? from_in : from_e0;
	return 1;
}

/* A steady chunk's output: one gain for the whole chunk, g_db, with the same expressions as
 * the per-sample path (gate_finish). */
GATE_INLINE void gate_steady_out(struct gate *g, const float *restrict in, float *restrict out,
				 uint32_t n)
{
	float gain = fm_db_to_lin((float)g->g_db);
	g->min_gain = g->min_gain < gain ? g->min_gain : gain;
	if (smooth_settled(&g->xfade)) {
		const float xf = g->xfade.cur;
		if (xf != 1.0f)
			gain = gate_total_gain(xf, gain);
		if (gain == 1.0f) {
			memcpy(out, in, n * sizeof(float));
		} else {
			for (uint32_t i = 0; i < n; i++)
				out[i] = in[i] * gain;
		}
	} else {
		for (uint32_t i = 0; i < n; i++)
			out[i] = in[i] * gate_total_gain(smooth_next(&g->xfade), gain);
	}
}

GATE_INLINE int gate_begin(struct gate *g, const float *restrict in, float *restrict out,
			   uint32_t n)
{
	if (!gate_bounds(g, in, n))
		return 0;
	gate_steady_out(g, in, out, n);
	return 1;
}

/* After the detector: pad it, and the expander's gain target while closed into buf_t. */
GATE_INLINE void gate_target(struct gate *g, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict env = g->buf_env;
	float *restrict tc = g->buf_t;
	for (uint32_t i = n; i < nv; i++)
		env[i] = GATE_ENV_FLOOR;
	if (g->mode == GATE_MODE_EXPANDER) {
		const float k = g->ratio - 1.0f, thr = g->thr_db, floor_db = g->t_closed;
		for (uint32_t i = 0; i < nv; i++) {
			float t = (FM_DB_PER_LOG2 * env[i] - thr) * k;
			t = t > floor_db ? t : floor_db;
			tc[i] = t < GATE_OPEN_DB ? t : GATE_OPEN_DB;
		}
	}
}

/* After the smoother: the linear gain with the enable crossfade, applied. */
GATE_INLINE void gate_finish(struct gate *g, const float *restrict in, float *restrict out,
			     uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict gd = g->buf_g;
	for (uint32_t i = n; i < nv; i++)
		gd[i] = 0.0f;
	for (uint32_t i = 0; i < nv; i++)
		gd[i] = fm_db_to_lin(gd[i]);
	float gmin = fm_min_padded(gd, nv);
	g->min_gain = g->min_gain < gmin ? g->min_gain : gmin;

	if (smooth_settled(&g->xfade)) {
		const float xf = g->xfade.cur;
		if (xf != 1.0f)
			for (uint32_t i = 0; i < nv; i++)
				gd[i] = gate_total_gain(xf, gd[i]);
	} else {
		for (uint32_t i = 0; i < n; i++)
			gd[i] = gate_total_gain(smooth_next(&g->xfade), gd[i]);
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = in[i] * gd[i];
}

/* The whole chunk for nl lanes: per-lane passes where the work is vectorised across time,
 * interleaved passes over the lanes that need each serial recursion. */
/* What gate_kernel runs (a constant after inlining): the whole chunk, or one of its halves
 * for the stereo link: the gain in dB into buf_g (link_gr), then gate_finish. */
enum gate_phase { GATE_WHOLE, GATE_GAIN, GATE_APPLY };

GATE_INLINE void gate_kernel(struct gate *const *g, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n, unsigned nl_max, enum gate_phase ph)
{
	struct gate *sel[DSP_LANES_MAX];
	const float *lin[DSP_LANES_MAX];
	float *lout[DSP_LANES_MAX];
	unsigned k = 0;
	for (unsigned l = 0; l < nl; l++) {
		if (gate_idle(g[l])) {
			if (ph != GATE_GAIN)
				memcpy(out[l], in[l], n * sizeof(float));
		} else if (n > 0) {
			sel[k] = g[l];
			lin[k] = in[l];
			lout[k++] = ph == GATE_GAIN ? NULL : out[l];
		}
	}
	if (k == 0)
		return;
	if (ph == GATE_APPLY) {
		for (unsigned j = 0; j < k; j++)
			gate_finish(sel[j], lin[j], lout[j], n);
		return;
	}

	/* sidechain high-pass, in the lanes that have it on */
	struct gate *hp[DSP_LANES_MAX];
	const float *hin[DSP_LANES_MAX];
	unsigned kh = 0;
	for (unsigned j = 0; j < k; j++)
		if (sel[j]->hpf_on) {
			hp[kh] = sel[j];
			hin[kh++] = lin[j];
		}
	if (kh > 0)
		gate_pass(GATE_PASS_HPF, hp, hin, kh, n, nl_max);

	/* level and bounds; the lanes that finish here drop out */
	unsigned ks = 0;
	for (unsigned j = 0; j < k; j++)
		if (ph == GATE_GAIN && gate_bounds(sel[j], lin[j], n)) {
			for (uint32_t i = 0; i < n; i++) /* steady: its one gain, held */
				sel[j]->buf_g[i] = (float)sel[j]->g_db;
		} else if (ph == GATE_GAIN || !gate_begin(sel[j], lin[j], lout[j], n)) {
			sel[ks] = sel[j];
			lin[ks] = lin[j];
			lout[ks++] = lout[j];
		}
	if (ks == 0)
		return;

	gate_pass(GATE_PASS_DETECT, sel, lin, ks, n, nl_max);
	for (unsigned j = 0; j < ks; j++)
		gate_target(sel[j], n);
	gate_pass(GATE_PASS_STATE, sel, lin, ks, n, nl_max);
	if (ph == GATE_GAIN)
		return;
	for (unsigned j = 0; j < ks; j++)
		gate_finish(sel[j], lin[j], lout[j], n);
}

/* The kernel for the baseline ISA and for AVX2 (same bits, see cpu.h); one and many lanes
 * separately, so the one-lane loops unroll for one. */
GATE_INLINE void gate_kernel_1(struct gate *g, const float *in, float *out, uint32_t n,
			       enum dsp_isa isa)
{
	gate_kernel(&g, 1, &in, &out, n, 1, GATE_WHOLE);
}
GATE_INLINE void gate_kernel_n(struct gate *const *g, unsigned nl, const float *const *in,
			       float *const *out, uint32_t n, enum dsp_isa isa)
{
	gate_kernel(g, nl, in, out, n, DSP_LANES_MAX, GATE_WHOLE);
}
void DSP_KERNEL(gate_run_1)(struct gate *g, const float *in, float *out, uint32_t n)
{
	gate_kernel_1(g, in, out, n, DSP_ISA);
}

void DSP_KERNEL(gate_run_n)(struct gate *const *g, unsigned nl, const float *const *in,
			    float *const *out, uint32_t n)
{
	gate_kernel_n(g, nl, in, out, n, DSP_ISA);
}

/* The stereo link's two halves (stage.h), one lane separately so its loops unroll for one. */
void DSP_KERNEL(gate_gain_n)(struct gate *const *g, unsigned nl, const float *const *in,
			     uint32_t n)
{
	if (nl == 1)
		gate_kernel(g, 1, in, NULL, n, 1, GATE_GAIN);
	else
		gate_kernel(g, nl, in, NULL, n, DSP_LANES_MAX, GATE_GAIN);
}

void DSP_KERNEL(gate_apply_n)(struct gate *const *g, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	if (nl == 1)
		gate_kernel(g, 1, in, out, n, 1, GATE_APPLY);
	else
		gate_kernel(g, nl, in, out, n, DSP_LANES_MAX, GATE_APPLY);
}

#ifndef DSP_KERNELS_ONLY
DSP_DEFINE_MODULE_ENTRIES(gate)
DSP_DEFINE_LINK_ENTRIES(gate)
#endif

