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
#define GATE_LEVEL_FLOOR 1e-10f /* -200 dBFS: the detector never goes subnormal */
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

static void gate_clear_state(struct gate *g)
{
	g->hpf_s.z1 = g->hpf_s.z2 = 0.0f;
	g->env = GATE_LEVEL_FLOOR;
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
	if (on && !g->enabled && g->xfade.cur == 0.0f)
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

void gate_process(struct gate *g, const float *restrict in, float *restrict out, uint32_t n)
{
	if (!g->enabled && g->xfade.cur == 0.0f) {
		memcpy(out, in, n * sizeof(float));
		return;
	}
	const uint32_t nv = fm_pad(n);
	float *restrict env = g->buf_env;
	float *restrict tc = g->buf_t;
	float *restrict gd = g->buf_g;

	/* sidechain */
	if (g->hpf_on) {
		struct biquad_state s = g->hpf_s;
		const struct biquad_coef k = g->hpf;
		for (uint32_t i = 0; i < n; i++)
			env[i] = biquad_tick(&k, &s, in[i] + GATE_DC_OFFSET);
		g->hpf_s = s;
	} else {
		memcpy(env, in, n * sizeof(float));
	}

	/* peak detector: instant attack, exponential release, floored at -200 dBFS */
	float emin, emax;
	{
		const float ad = g->a_det;
		float e = g->env, lo = INFINITY, hi = 0.0f;
		for (uint32_t i = 0; i < n; i++) {
			float a = fabsf(env[i]);
			a = a > GATE_LEVEL_FLOOR ? a : GATE_LEVEL_FLOOR;
			float d = ad * e;
			e = a > d ? a : d;
			env[i] = e;
			lo = lo < e ? lo : e;
			hi = hi > e ? hi : e;
		}
		g->env = e;
		emin = lo, emax = hi;
		for (uint32_t i = n; i < nv; i++)
			env[i] = GATE_LEVEL_FLOOR;
	}

	/* closed-state targets */
	const int expander = g->mode == GATE_MODE_EXPANDER;
	if (expander) {
		const float k = g->ratio - 1.0f, thr = g->thr_db, floor_db = g->t_closed;
		for (uint32_t i = 0; i < nv; i++) {
			float t = (fm_lin_to_db(env[i]) - thr) * k;
			t = t > floor_db ? t : floor_db;
			tc[i] = t < GATE_OPEN_DB ? t : GATE_OPEN_DB;
		}
	}

	/* state machine and gain smoothing */
	double y = g->g_db;
	if (g->open && emin >= g->thr_close && gate_step(g, y, GATE_OPEN_DB) == y) {
		/* stays open at unity for the whole chunk, hold reloaded on every sample */
		g->hold_left = g->hold_n;
		for (uint32_t i = 0; i < n; i++)
			gd[i] = (float)y;
	} else if (!g->open && !expander && !(emax > g->thr_open) &&
		   gate_step(g, y, g->t_closed) == y) {
		for (uint32_t i = 0; i < n; i++)
			gd[i] = (float)y;
	} else {
		int open = g->open;
		int32_t hold = g->hold_left;
		const int32_t hold_n = g->hold_n;
		const float thr_open = g->thr_open, thr_close = g->thr_close;
		const float t_closed = g->t_closed;
		for (uint32_t i = 0; i < n; i++) {
			float ei = env[i];
			if (ei > thr_open) {
				open = 1;
				hold = hold_n;
			} else if (open) {
				if (ei >= thr_close)
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
