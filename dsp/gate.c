/* Gate / expander; see gate.h for the definitions.
 *
 * Passes per chunk: sidechain (vectorised unless the high-pass is on), detector (serial
 * mul + max), expander target (vectorised fm_log2), state machine + gain smoothing (serial,
 * skipped when the state cannot change and the gain rests on a fixed point), gain
 * (vectorised fm_exp2). */
#include "gate.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "fastmath.h"

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

static double tau_alpha(float ms, float fs)
{
	return exp(-1.0 / ((double)ms * 1e-3 * (double)fs));
}

static void gate_update_thresholds(struct gate *g)
{
	g->thr_open = (float)pow(10.0, g->thr_db / 20.0);
	g->thr_close = (float)pow(10.0, (g->thr_db - g->hyst_db) / 20.0);
}

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

static void gate_clear_state(struct gate *g)
{
	g->hpf_s.z1 = g->hpf_s.z2 = 0.0f;
	g->env = GATE_ENV_FLOOR;
	g->g_db = GATE_OPEN_DB;
	g->open = 1;
	g->hold_left = g->hold_n;
}

int gate_init(struct gate *g, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->fs = fs;
	g->min_gain = 1.0f;
	g->a_det = (float)tau_alpha(GATE_DET_RELEASE_MS, fs);
	smooth_init(&g->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	g->thr_db = -50.0f;
	g->hyst_db = 3.0f;
	gate_update_thresholds(g);
	gate_set_range_db(g, 40.0f);
	gate_set_attack_ms(g, 0.5f);
	gate_set_hold_ms(g, 50.0f);
	gate_set_release_ms(g, 100.0f);
	gate_set_mode(g, GATE_MODE_GATE);
	gate_set_ratio(g, 2.0f);
	gate_set_sc_hpf_hz(g, 0.0f);
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
	g->a_att = tau_alpha(ms, g->fs);
	gate_update_ballistics(g);
}

void gate_set_hold_ms(struct gate *g, float ms)
{
	g->hold_ms = ms < 0.0f ? 0.0f : ms;
	g->hold_n = (int32_t)lrint((double)g->hold_ms * 1e-3 * (double)g->fs);
	if (g->hold_left > g->hold_n)
		g->hold_left = g->hold_n;
}

void gate_set_release_ms(struct gate *g, float ms)
{
	g->release_ms = ms;
	g->a_rel = tau_alpha(ms, g->fs);
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

/* One step of the gain smoother toward t (dB): the branching one-pole with the branch taken
 * by max()/min() as in comp.c, on a double state so that a long release does not stall
 * short of the target (see comp.c). */
static inline double gate_step(const struct gate *g, double y, double t)
{
	double u = g->a_att * y + (1.0 - g->a_att) * t, v = g->a_rel * y + (1.0 - g->a_rel) * t;
	return g->att_fast ? (u > v ? u : v) : (u < v ? u : v);
}

static inline float gate_total_gain(float xf, float gain) { return xf * gain + (1.0f - xf); }

/* Level of |x| in log2 units on the detector's grid. The floor is added rather than max()ed
 * (cheaper, and 1e-10 moves a -120 dBFS level by 1e-3 dB). No cap is needed: log2 of a
 * finite float is below 128, where the rounding still lands on the grid (its step there is
 * 2^-15) and every later difference stays exact. nv is a multiple of FM_VEC. */
static void gate_level(const float *restrict sc, float *restrict a, uint32_t nv)
{
	for (uint32_t i = 0; i < nv; i++) {
		float l = fm_log2(fabsf(sc[i]) + GATE_LEVEL_FLOOR);
		a[i] = (l + GATE_LQ_ROUND) - GATE_LQ_ROUND;
	}
}

void gate_process(struct gate *g, const float *restrict in, float *restrict out, uint32_t n)
{
	if (gate_idle(g)) {
		memcpy(out, in, n * sizeof(float));
		return;
	}
	if (n == 0)
		return;
	const uint32_t nv = fm_pad(n);
	float *restrict env = g->buf_env;
	float *restrict tc = g->buf_t;
	float *restrict gd = g->buf_g;

	/* sidechain level, log2 units on the grid */
	if (g->hpf_on) {
		struct biquad_state s = g->hpf_s;
		const struct biquad_coef k = g->hpf;
		for (uint32_t i = 0; i < n; i++)
			tc[i] = biquad_tick(&k, &s, in[i] + GATE_DC_OFFSET);
		g->hpf_s = s;
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
	const float dq = gate_decay_q(g);
	const float e0 = g->env;
	const float t_open = gate_thr_q(g->thr_db), t_close = gate_thr_q(g->thr_db - g->hyst_db);
	const int expander = g->mode == GATE_MODE_EXPANDER;
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
		steady = fm_min_padded(lo, nv) >= t_close && gate_step(g, y, GATE_OPEN_DB) == y;
		if (steady)
			g->hold_left = g->hold_n;
	} else if (!expander) {
		for (uint32_t i = 0; i < nv; i++)
			b[i] = env[i] + fm_index[i] * dq;
		float hi = fm_max_padded(env, nv);
		hi = hi > e0 - dq ? hi : e0 - dq;
		steady = !(hi > t_open) && gate_step(g, y, g->t_closed) == y;
	}
	if (steady) {
		float from_in = fm_max_padded(b, nv) - fm_index[n - 1] * dq;
		float from_e0 = e0 - (fm_index[n - 1] + 1.0f) * dq;
		g->env = from_in > from_e0 ? from_in : from_e0;
		/* one gain for the whole chunk: the same expressions as the per-sample path */
		float gain = fm_db_to_lin((float)y);
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
		return;
	}

	/* the detector itself (exact, so the same values as the bounds above assumed) */
	{
		float e = e0;
		for (uint32_t i = 0; i < n; i++) {
			float d = e - dq;
			e = env[i] > d ? env[i] : d;
			env[i] = e;
		}
		g->env = e;
		for (uint32_t i = n; i < nv; i++)
			env[i] = GATE_ENV_FLOOR;
	}
	if (expander) {
		const float k = g->ratio - 1.0f, thr = g->thr_db, floor_db = g->t_closed;
		for (uint32_t i = 0; i < nv; i++) {
			float t = (FM_DB_PER_LOG2 * env[i] - thr) * k;
			t = t > floor_db ? t : floor_db;
			tc[i] = t < GATE_OPEN_DB ? t : GATE_OPEN_DB;
		}
	}
	{
		int open = g->open;
		int32_t hold = g->hold_left;
		const int32_t hold_n = g->hold_n;
		const float t_closed = g->t_closed;
		for (uint32_t i = 0; i < n; i++) {
			float ei = env[i];
			if (ei > t_open) {
				open = 1;
				hold = hold_n;
			} else if (open) {
				if (ei >= t_close)
					hold = hold_n;
				else if (hold > 0)
					hold--;
				else
					open = 0;
			}
			float t = open ? GATE_OPEN_DB : (expander ? tc[i] : t_closed);
			y = gate_step(g, y, t);
			gd[i] = (float)y;
		}
		g->open = open;
		g->hold_left = hold;
	}
	g->g_db = y;
	for (uint32_t i = n; i < nv; i++)
		gd[i] = 0.0f;

	/* gain */
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

void gate_process_lanes(struct gate *const *g, unsigned nl, const float *const *in,
			float *const *out, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++)
		gate_process(g[l], in[l], out[l], n);
}
