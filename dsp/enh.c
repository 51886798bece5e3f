/* enh.c: the enhancer (see enh.h for what it does and why). */
#include "enh.h"

#include <errno.h>
#include <string.h>

int enh_init(struct enh *e, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->fs = fs;
	e->fade_len = (uint32_t)lrintf(fs * ENH_FADE_MS * 0.001f);
	if (e->fade_len == 0)
		e->fade_len = 1;
	e->fade_inv = 1.0f / (float)e->fade_len;
	e->fade_pos = e->fade_len;
	e->det_a = dsp_pole_from_ms(ENH_DET_MS, fs);
	e->lf_det_a = dsp_pole_from_ms(ENH_LF_DET_MS, fs);
	double lp = 0.2 * fs < 16000.0 ? 0.2 * fs : 16000.0;
	/* 4th-order Butterworth: two sections */
	biquad_design(&e->lp_h, BQ_LOWPASS, fs, lp, 0.5411961001461969, 0.0);
	biquad_design(&e->lp_h2, BQ_LOWPASS, fs, lp, 1.3065629648763766, 0.0);
	enh_set_hf(e, 0.0f, 4000.0f);
	enh_set_lf(e, 0.0f, 80.0f);
	return 0;
}

/* Clamp a corner below Nyquist (the lowest rates). */
static double enh_hz(const struct enh *e, double hz) { return hz < 0.4 * e->fs ? hz : 0.4 * e->fs; }

void enh_set_hf(struct enh *e, float percent, float hz)
{
	e->hf_amt = percent * 0.01f;
	e->hf_hz = hz;
	double f = enh_hz(e, hz);
	biquad_design(&e->hp_det, BQ_HIGHPASS, e->fs, f, 0.7071067811865476, 0.0);
	biquad_design(&e->hp_h, BQ_HIGHPASS, e->fs, f, 0.7071067811865476, 0.0);
	e->sh_c = (float)exp(-2.0 * M_PI * f / e->fs);
	double share = log(20000.0 / f) / log(1000.0);
	e->hf_target = (float)(share * pow(10.0, 0.1 * ENH_HF_BRIGHT_DB));
}

void enh_set_lf(struct enh *e, float percent, float hz)
{
	e->lf_amt = percent * 0.01f;
	e->lf_hz = hz;
	double mid = 4.0 * hz < 250.0 ? 250.0 : (4.0 * hz > 400.0 ? 400.0 : 4.0 * hz);
	biquad_design(&e->bp_lo, BQ_BANDPASS, e->fs, enh_hz(e, hz), 1.4, 0.0);
	biquad_design(&e->bp_mid, BQ_BANDPASS, e->fs, enh_hz(e, mid), 2.0, 0.0);
}

static void enh_clear(struct enh *e)
{
	struct biquad_state *s[] = {&e->s_det, &e->s_lp1, &e->s_lp2, &e->s_hph, &e->s_bpl,
				    &e->s_bpm};
	for (unsigned i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		s[i]->z1 = s[i]->z2 = 0.0f;
	e->sh_x1 = e->sh_y1 = 0.0f;
	e->p_hf = e->p_all = e->p_v = e->p_lo = 0.0f;
	e->inv_rms = 0.0f;
	e->gm = e->gm_step = e->kl = e->kl_step = e->km = e->km_step = 0.0f;
	e->clock = 0;
}

void enh_reset(struct enh *e)
{
	e->fade_pos = e->fade_len;
	enh_clear(e);
}

int enh_idle(const struct enh *e) { return !e->on && e->fade_pos == e->fade_len; }

static void enh_set_enable(struct enh *e, int on)
{
	on = on != 0;
	if (on == e->on)
		return;
	int fading = e->fade_pos < e->fade_len;
	if (!fading && on)
		enh_clear(e);
	e->fade_pos = fading ? e->fade_len - e->fade_pos : 0;
	e->on = on;
}

static float enh_sane(float x) { return (fabsf(x) < 1e-20f || !isfinite(x)) ? 0.0f : x; }

/* State hygiene and the gains for the next ENH_GRID samples. The pipelined path (below) has
 * cleaned its four sections itself, each as its lane crossed the grid (piped = 1). */
static void enh_grid_of(struct enh *e, int piped)
{
	struct biquad_state *s[] = {&e->s_hph, &e->s_bpm, &e->s_det, &e->s_lp1, &e->s_lp2,
				    &e->s_bpl};
	for (unsigned i = 0; i < (piped ? 2u : sizeof(s) / sizeof(s[0])); i++) {
		s[i]->z1 = enh_sane(s[i]->z1);
		s[i]->z2 = enh_sane(s[i]->z2);
	}
	e->sh_x1 = enh_sane(e->sh_x1);
	e->sh_y1 = enh_sane(e->sh_y1);
	e->p_hf = enh_sane(e->p_hf), e->p_all = enh_sane(e->p_all);
	e->p_v = enh_sane(e->p_v), e->p_lo = enh_sane(e->p_lo);
	const float k = 1.0f / (float)ENH_GRID;

	/* HF: how far the share above hf_hz falls short of the target */
	float lift = 0.0f;
	float all_db = dsp_power_to_db(e->p_all);
	if (e->hf_amt > 0.0f && all_db > ENH_HF_FLOOR_DBFS - 10.0f) {
		float share = e->p_hf / e->p_all;
		float deficit = share > 0.0f ? 10.0f * log10f(e->hf_target / share) : ENH_HF_MAX_DB;
		lift = ENH_HF_SLOPE * deficit;
		lift = lift < 0.0f ? 0.0f : (lift > ENH_HF_MAX_DB ? ENH_HF_MAX_DB : lift);
		float floor_w = (all_db - (ENH_HF_FLOOR_DBFS - 10.0f)) * 0.1f;
		lift *= e->hf_amt * (floor_w < 1.0f ? floor_w : 1.0f);
	}
	e->gm_step = ((lift > 0.0f ? dsp_db_to_gain(lift) - 1.0f : 0.0f) - e->gm) * k;
	e->inv_rms = e->p_v > 1e-12f ? 1.0f / sqrtf(e->p_v) : 0.0f;

	/* LF: the lift its level allows */
	float lf = 0.0f;
	if (e->lf_amt > 0.0f) {
		float room = ENH_LF_CEIL_DBFS - dsp_power_to_db(2.0f * e->p_lo);
		lf = room < 0.0f ? 0.0f : (room > ENH_LF_MAX_DB ? ENH_LF_MAX_DB : room);
		lf *= e->lf_amt;
	}
	float kl = lf > 0.0f ? dsp_db_to_gain(lf) - 1.0f : 0.0f;
	float km = lf > 0.0f ? dsp_db_to_gain(-ENH_LF_CUT_RATIO * lf) - 1.0f : 0.0f;
	e->kl_step = (kl - e->kl) * k;
	e->km_step = (km - e->km) * k;
}

static void enh_grid(struct enh *e) { enh_grid_of(e, 0); }

/* One stretch inside one grid period. Coefficients and states are copied to locals, so that
 * the stores to out cannot alias them and they stay in registers. */
static void enh_segment(struct enh *e, const float *in, float *out, uint32_t n)
{
	const float da = 1.0f - e->det_a, la = 1.0f - e->lf_det_a, shc = e->sh_c, ir = e->inv_rms;
	const struct biquad_coef c_det = e->hp_det, c_lp = e->lp_h, c_lp2 = e->lp_h2,
				 c_hp = e->hp_h, c_bl = e->bp_lo, c_bm = e->bp_mid;
	struct biquad_state s_det = e->s_det, s_lp1 = e->s_lp1, s_lp2 = e->s_lp2,
			    s_hph = e->s_hph, s_bpl = e->s_bpl, s_bpm = e->s_bpm;
	const float gs = e->gm_step, ks = e->kl_step, ms = e->km_step;
	float p_hf = e->p_hf, p_all = e->p_all, p_v = e->p_v, p_lo = e->p_lo;
	float x1 = e->sh_x1, y1 = e->sh_y1, gm = e->gm, kl = e->kl, km = e->km;
	for (uint32_t i = 0; i < n; i++) {
		float x = in[i];
		float d = biquad_tick(&c_det, &s_det, x);
		p_hf += da * (d * d - p_hf);
		p_all += da * (x * x - p_all);
		float s = shc * (y1 + x - x1);
		x1 = x, y1 = s;
		float v = biquad_tick(&c_lp2, &s_lp2, biquad_tick(&c_lp, &s_lp1, d));
		p_v += da * (v * v - p_v);
		float h = biquad_tick(&c_hp, &s_hph, v * v * ir);
		float bl = biquad_tick(&c_bl, &s_bpl, x);
		p_lo += la * (bl * bl - p_lo);
		float bm = biquad_tick(&c_bm, &s_bpm, x);
		gm += gs, kl += ks, km += ms;
		out[i] = x + gm * (s + ENH_HF_HARM * h) + (kl * bl + km * bm);
	}
	e->s_det = s_det, e->s_lp1 = s_lp1, e->s_lp2 = s_lp2, e->s_hph = s_hph;
	e->s_bpl = s_bpl, e->s_bpm = s_bpm;
	e->p_hf = p_hf, e->p_all = p_all, e->p_v = p_v, e->p_lo = p_lo;
	e->sh_x1 = x1, e->sh_y1 = y1, e->gm = gm, e->kl = kl, e->km = km;
	if (e->fade_pos < e->fade_len) {
		for (uint32_t i = 0; i < n; i++) {
			float t = (float)(e->fade_pos + i) * e->fade_inv;
			float w = e->on ? t : 1.0f - t;
			out[i] = in[i] + w * (out[i] - in[i]);
		}
		e->fade_pos += n;
	}
}

/* ---- one lane: the sections pipelined -------------------------------------------------------
 * One lane's sections wait on each other within a sample (the detector's high-pass feeds two
 * low-passes in series, and those the harmonics' high-pass), so one lane leaves most of the
 * CPU idle. Pipelined, step t runs, in vector A, the detector's high-pass on sample t, the
 * first low-pass on t - 1, the second on t - 2 and the low band-pass on t - 3, and in vector
 * B the harmonics' high-pass and the mid band-pass on t - 3; the detectors, the shelf and the
 * sum then finish sample t - 3. Every section does biquad_tick's operations and every
 * detector enh_segment's, in their order: enh_process_each's bits. A lane cleans its state
 * (enh_sane) as its own sample crosses the grid; the grid's gains are worked out as sample
 * t - 3 reaches it, from what the detectors hold then. */
#define ENH_LAG 3u /* the output's delay behind the detector's high-pass, in steps */

struct enh_pipe {
	struct biquad_coef_v4 ca, cb;
	struct biquad_state_v4 sa, sb;
	dsp_v4f p, pa; /* p_hf, p_all, p_v, p_lo and their (1 - pole) */
	dsp_v4f a1, a2, a3; /* A's outputs of the last three steps */
	float ir, shc, x1, y1, gm, kl, km, gs, ks, ms;
};

/* enh_sane on the lanes of z that m selects. */
static inline dsp_v4f enh_sane_v4(dsp_v4f z, dsp_v4i m)
{
	dsp_v4f a = (dsp_v4f)((dsp_v4i)z & 0x7fffffff);
	dsp_v4i keep = (a >= 1e-20f) & (a <= 3.40282347e38f); /* false for NaN and Inf */
	return dsp_select4f(m & ~keep, (dsp_v4f){0.0f, 0.0f, 0.0f, 0.0f}, z);
}

/* The state of e into the pipe (get = 0) or back (get = 1): what a grid point and the
 * chunk's ends exchange. Constant lanes only, so that the pipe can live in registers. */
static inline __attribute__((always_inline)) void enh_pipe_sync(struct enh_pipe *w,
								 struct enh *e, int get)
{
	if (get) {
		biquad_state_get_v4(&e->s_det, &w->sa, 0);
		biquad_state_get_v4(&e->s_lp1, &w->sa, 1);
		biquad_state_get_v4(&e->s_lp2, &w->sa, 2);
		biquad_state_get_v4(&e->s_bpl, &w->sa, 3);
		biquad_state_get_v4(&e->s_hph, &w->sb, 0);
		biquad_state_get_v4(&e->s_bpm, &w->sb, 1);
		e->p_hf = w->p[0], e->p_all = w->p[1], e->p_v = w->p[2], e->p_lo = w->p[3];
		e->sh_x1 = w->x1, e->sh_y1 = w->y1, e->gm = w->gm, e->kl = w->kl, e->km = w->km;
		return;
	}
	w->sa.z1 = (dsp_v4f){e->s_det.z1, e->s_lp1.z1, e->s_lp2.z1, e->s_bpl.z1};
	w->sa.z2 = (dsp_v4f){e->s_det.z2, e->s_lp1.z2, e->s_lp2.z2, e->s_bpl.z2};
	w->sb.z1 = (dsp_v4f){e->s_hph.z1, e->s_bpm.z1, 0.0f, 0.0f};
	w->sb.z2 = (dsp_v4f){e->s_hph.z2, e->s_bpm.z2, 0.0f, 0.0f};
	w->p = (dsp_v4f){e->p_hf, e->p_all, e->p_v, e->p_lo};
	w->x1 = e->sh_x1, w->y1 = e->sh_y1, w->gm = e->gm, w->kl = e->kl, w->km = e->km;
	w->ir = e->inv_rms, w->gs = e->gm_step, w->ks = e->kl_step, w->ms = e->km_step;
}

#define ENH_V4(f, a, b, c, d) (dsp_v4f){(a).f, (b).f, (c).f, (d).f}

static inline __attribute__((always_inline)) void enh_pipe_init(struct enh_pipe *w,
								 struct enh *e)
{
	const struct biquad_coef z = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
	const struct biquad_coef d = e->hp_det, l1 = e->lp_h, l2 = e->lp_h2, bl = e->bp_lo;
	const struct biquad_coef hp = e->hp_h, bm = e->bp_mid;
	w->ca = (struct biquad_coef_v4){ENH_V4(b0, d, l1, l2, bl), ENH_V4(b1, d, l1, l2, bl),
					ENH_V4(b2, d, l1, l2, bl), ENH_V4(a1, d, l1, l2, bl),
					ENH_V4(a2, d, l1, l2, bl)};
	w->cb = (struct biquad_coef_v4){ENH_V4(b0, hp, bm, z, z), ENH_V4(b1, hp, bm, z, z),
					ENH_V4(b2, hp, bm, z, z), ENH_V4(a1, hp, bm, z, z),
					ENH_V4(a2, hp, bm, z, z)};
	float da = 1.0f - e->det_a;
	w->pa = (dsp_v4f){da, da, da, 1.0f - e->lf_det_a};
	w->shc = e->sh_c;
	w->a1 = w->a2 = w->a3 = (dsp_v4f){0.0f, 0.0f, 0.0f, 0.0f};
	enh_pipe_sync(w, e, 0);
}

/* Step t (xs: samples t - 3 .. t) on the pipe's registers. edge: some lane of A has no
 * sample (the chunk's first and last three steps), its state stays; emit: sample t - 3 is in
 * the chunk and is finished. */
static inline __attribute__((always_inline)) void
enh_pipe_step(struct enh_pipe *w, uint32_t clock, dsp_v4f xs, float *out, uint32_t t,
	      uint32_t n, int edge, int emit)
{
	const dsp_v4i lag = {0, 1, 2, 3};
	dsp_v4i smp = (int32_t)t - lag;
	dsp_v4i live = edge ? (smp >= 0) & (smp < (int32_t)n) : (dsp_v4i){-1, -1, -1, -1};
	uint32_t g = (clock + t) % ENH_GRID;
	if (g <= ENH_LAG) { /* lanes of lag g reach a grid point */
		dsp_v4i m = live & (lag == (int32_t)g);
		w->sa.z1 = enh_sane_v4(w->sa.z1, m);
		w->sa.z2 = enh_sane_v4(w->sa.z2, m);
	}
	dsp_v4f xa = DSP_SHUFFLE4(xs, w->a1, 3, 4, 5, 0);
	dsp_v4f ya = w->ca.b0 * xa + w->sa.z1;
	dsp_v4f z1 = w->ca.b1 * xa - w->ca.a1 * ya + w->sa.z2;
	dsp_v4f z2 = w->ca.b2 * xa - w->ca.a2 * ya;
	w->sa.z1 = edge ? dsp_select4f(live, z1, w->sa.z1) : z1;
	w->sa.z2 = edge ? dsp_select4f(live, z2, w->sa.z2) : z2;
	if (emit) {
		dsp_v4f sq = w->a1 * w->a1 * (dsp_v4f){w->ir, w->ir, w->ir, w->ir};
		dsp_v4f xb = DSP_SHUFFLE4(sq, xs, 2, 4, 2, 4);
		dsp_v4f yb = biquad_tick_v4(&w->cb, &w->sb, xb);
		/* the detectors' inputs: d, x, v and bl of sample t - 3 */
		dsp_v4f u = DSP_SHUFFLE4(DSP_SHUFFLE4(w->a3, xs, 0, 4, 0, 4),
					 DSP_SHUFFLE4(w->a1, ya, 2, 7, 2, 7), 0, 1, 4, 5);
		w->p += w->pa * (u * u - w->p);
		float x = xs[0];
		float s = w->shc * (w->y1 + x - w->x1);
		w->x1 = x, w->y1 = s;
		w->gm += w->gs, w->kl += w->ks, w->km += w->ms;
		out[t - ENH_LAG] = x + w->gm * (s + ENH_HF_HARM * yb[0]) +
				   (w->kl * ya[3] + w->km * yb[1]);
	}
	w->a3 = w->a2, w->a2 = w->a1, w->a1 = ya;
}

/* Steps t0 .. t1 - 1, the grid's gains worked out as the output's sample reaches a grid
 * point (the grid is every ENH_GRID samples of e->clock). */
static inline __attribute__((always_inline)) void
enh_pipe_range(struct enh_pipe *w, struct enh *e, const float *xp, float *out, uint32_t t0,
	       uint32_t t1, uint32_t n, int edge, int emit)
{
	const uint32_t clock = e->clock;
	for (uint32_t t = t0; t < t1; t++) {
		if (emit && (clock + t - ENH_LAG) % ENH_GRID == 0) { /* sample t - 3 */
			enh_pipe_sync(w, e, 1);
			enh_grid_of(e, 1);
			enh_pipe_sync(w, e, 0);
		}
		enh_pipe_step(w, clock, dsp_load4f(xp + t), out, t, n, edge, emit);
	}
}

/* One lane on with no fade running: enh_process_each's bits. */
static void enh_process_piped(struct enh *e, const float *in, float *out, uint32_t n)
{
	float xp[ENH_LAG + DSP_MAX_CHUNK + ENH_LAG + 1] = {0}; /* in, with zeros around it */
	memcpy(xp + ENH_LAG, in, n * sizeof(float));
	struct enh_pipe w;
	enh_pipe_init(&w, e);
	uint32_t steady_end = n > ENH_LAG ? n : ENH_LAG;
	enh_pipe_range(&w, e, xp, out, 0, ENH_LAG, n, 1, 0);
	enh_pipe_range(&w, e, xp, out, ENH_LAG, n, n, 0, 1);
	enh_pipe_range(&w, e, xp, out, steady_end, n + ENH_LAG, n, 1, 1);
	enh_pipe_sync(&w, e, 1);
	e->clock += n;
}

void enh_process(struct enh *e, const float *in, float *out, uint32_t n)
{
	if (e->on && e->fade_pos == e->fade_len && n > 0)
		enh_process_piped(e, in, out, n);
	else
		enh_process_each(e, in, out, n);
}

void enh_process_each(struct enh *e, const float *in, float *out, uint32_t n)
{
	while (n > 0) {
		if (enh_idle(e)) {
			memcpy(out, in, n * sizeof(float));
			return;
		}
		uint32_t pos = e->clock % ENH_GRID, k = ENH_GRID - pos;
		if (pos == 0)
			enh_grid(e);
		if (k > n)
			k = n;
		if (e->fade_pos < e->fade_len && e->fade_len - e->fade_pos < k)
			k = e->fade_len - e->fade_pos;
		enh_segment(e, in, out, k);
		e->clock += k;
		in += k;
		out += k;
		n -= k;
	}
}

/* ---- lanes side by side ---------------------------------------------------------------------
 * Lanes that are on with no fade and on the same grid position run in vectors of four: the
 * grid work (enh_grid) stays per lane, each grid period's samples run enh_segment's operations
 * in its order on every lane, so every lane gets enh_process_each's bits. */

#define ENH_GROUPS_MAX (DSP_LANES_MAX / 4)

struct enh_v4 {
	struct biquad_coef_v4 det, lp, lp2, hp, bl, bm;
	struct biquad_state_v4 s_det, s_lp1, s_lp2, s_hph, s_bpl, s_bpm;
	dsp_v4f da, la, shc, ir, gs, ks, ms;
	dsp_v4f p_hf, p_all, p_v, p_lo, x1, y1, gm, kl, km;
};

/* Coefficients of lanes 4 g .. 4 g + 3 (lanes past nl repeat lane 0's). */
static void enh_v4_coefs(struct enh_v4 *v, struct enh *const *e, unsigned nl, unsigned g)
{
	for (unsigned q = 0; q < 4; q++) {
		const struct enh *l = e[4 * g + q < nl ? 4 * g + q : 0];
		biquad_coef_put_v4(&v->det, q, &l->hp_det);
		biquad_coef_put_v4(&v->lp, q, &l->lp_h);
		biquad_coef_put_v4(&v->lp2, q, &l->lp_h2);
		biquad_coef_put_v4(&v->hp, q, &l->hp_h);
		biquad_coef_put_v4(&v->bl, q, &l->bp_lo);
		biquad_coef_put_v4(&v->bm, q, &l->bp_mid);
		v->da[q] = 1.0f - l->det_a, v->la[q] = 1.0f - l->lf_det_a, v->shc[q] = l->sh_c;
	}
}

/* The per-period state of lane l into lane q (get = 0) or back (get = 1). Lanes past nl
 * (l >= nl) are zero: they filter zeros and stay zero. */
static void enh_v4_state(struct enh_v4 *v, struct enh *e, unsigned q, int get)
{
	if (get) {
		biquad_state_get_v4(&e->s_det, &v->s_det, q);
		biquad_state_get_v4(&e->s_lp1, &v->s_lp1, q);
		biquad_state_get_v4(&e->s_lp2, &v->s_lp2, q);
		biquad_state_get_v4(&e->s_hph, &v->s_hph, q);
		biquad_state_get_v4(&e->s_bpl, &v->s_bpl, q);
		biquad_state_get_v4(&e->s_bpm, &v->s_bpm, q);
		e->p_hf = v->p_hf[q], e->p_all = v->p_all[q], e->p_v = v->p_v[q];
		e->p_lo = v->p_lo[q], e->sh_x1 = v->x1[q], e->sh_y1 = v->y1[q];
		e->gm = v->gm[q], e->kl = v->kl[q], e->km = v->km[q];
		return;
	}
	biquad_state_put_v4(&v->s_det, q, &e->s_det);
	biquad_state_put_v4(&v->s_lp1, q, &e->s_lp1);
	biquad_state_put_v4(&v->s_lp2, q, &e->s_lp2);
	biquad_state_put_v4(&v->s_hph, q, &e->s_hph);
	biquad_state_put_v4(&v->s_bpl, q, &e->s_bpl);
	biquad_state_put_v4(&v->s_bpm, q, &e->s_bpm);
	v->p_hf[q] = e->p_hf, v->p_all[q] = e->p_all, v->p_v[q] = e->p_v, v->p_lo[q] = e->p_lo;
	v->x1[q] = e->sh_x1, v->y1[q] = e->sh_y1;
	v->gm[q] = e->gm, v->kl[q] = e->kl, v->km[q] = e->km;
	v->ir[q] = e->inv_rms, v->gs[q] = e->gm_step, v->ks[q] = e->kl_step;
	v->ms[q] = e->km_step;
}

/* enh_segment's loop on four lanes, x[i] in, y[i] out (one vector per sample). */
static inline __attribute__((always_inline)) void
enh_segment_v4(struct enh_v4 *v, const dsp_v4f *x, dsp_v4f *y, uint32_t n)
{
	struct enh_v4 w = *v;
	for (uint32_t i = 0; i < n; i++) {
		dsp_v4f xi = x[i];
		dsp_v4f d = biquad_tick_v4(&w.det, &w.s_det, xi);
		w.p_hf += w.da * (d * d - w.p_hf);
		w.p_all += w.da * (xi * xi - w.p_all);
		dsp_v4f s = w.shc * (w.y1 + xi - w.x1);
		w.x1 = xi, w.y1 = s;
		dsp_v4f vv = biquad_tick_v4(&w.lp2, &w.s_lp2, biquad_tick_v4(&w.lp, &w.s_lp1, d));
		w.p_v += w.da * (vv * vv - w.p_v);
		dsp_v4f h = biquad_tick_v4(&w.hp, &w.s_hph, vv * vv * w.ir);
		dsp_v4f bl = biquad_tick_v4(&w.bl, &w.s_bpl, xi);
		w.p_lo += w.la * (bl * bl - w.p_lo);
		dsp_v4f bm = biquad_tick_v4(&w.bm, &w.s_bpm, xi);
		w.gm += w.gs, w.kl += w.ks, w.km += w.ms;
		y[i] = xi + w.gm * (s + ENH_HF_HARM * h) + (w.kl * bl + w.km * bm);
	}
	*v = w;
}

static inline __attribute__((always_inline)) void
enh_run_v4(struct enh *const *e, unsigned nl, const float *const *in, float *const *out,
	   uint32_t n, const unsigned groups)
{
	struct enh_v4 v[ENH_GROUPS_MAX];
	dsp_v4f x[ENH_GROUPS_MAX][DSP_MAX_CHUNK], y[ENH_GROUPS_MAX][DSP_MAX_CHUNK];
	static const struct enh zero; /* the state of a lane past nl */
	for (unsigned g = 0; g < groups; g++) {
		enh_v4_coefs(&v[g], e, nl, g);
		for (uint32_t i = 0; i < n; i++)
			for (unsigned q = 0; q < 4; q++)
				x[g][i][q] = 4 * g + q < nl ? in[4 * g + q][i] : 0.0f;
	}
	for (uint32_t i = 0; i < n;) {
		uint32_t pos = e[0]->clock % ENH_GRID, k = ENH_GRID - pos;
		k = k < n - i ? k : n - i;
		for (unsigned g = 0; g < groups; g++) {
			for (unsigned q = 0; q < 4; q++) {
				unsigned l = 4 * g + q;
				if (l < nl && pos == 0)
					enh_grid(e[l]);
				enh_v4_state(&v[g], l < nl ? e[l] : (struct enh *)&zero, q, 0);
			}
			enh_segment_v4(&v[g], x[g] + i, y[g] + i, k);
			for (unsigned q = 0; q < 4 && 4 * g + q < nl; q++)
				enh_v4_state(&v[g], e[4 * g + q], q, 1);
		}
		for (unsigned l = 0; l < nl; l++)
			e[l]->clock += k;
		i += k;
	}
	for (unsigned l = 0; l < nl; l++)
		for (uint32_t i = 0; i < n; i++)
			out[l][i] = y[l / 4][i][l % 4];
}

void enh_process_lanes(struct enh *const *e, unsigned nl, const float *const *in,
		       float *const *out, uint32_t n)
{
	int fused = nl > 1;
	for (unsigned l = 0; l < nl && fused; l++)
		fused = e[l]->on && e[l]->fade_pos == e[l]->fade_len &&
			e[l]->clock % ENH_GRID == e[0]->clock % ENH_GRID;
	if (!fused) {
		for (unsigned l = 0; l < nl; l++)
			enh_process(e[l], in[l], out[l], n);
		return;
	}
	if (nl <= 4)
		enh_run_v4(e, nl, in, out, n, 1);
	else
		enh_run_v4(e, nl, in, out, n, 2);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_ADAPTERS(enh)

static void enh_stage_set(void *st, unsigned idx, float v)
{
	struct enh *e = st;
	switch (P_ENH_ENABLE + (int)idx) {
	case P_ENH_ENABLE: enh_set_enable(e, v != 0.0f); return;
	case P_ENH_HF: enh_set_hf(e, v, e->hf_hz); return;
	case P_ENH_HF_FREQ: enh_set_hf(e, e->hf_amt * 100.0f, v); return;
	case P_ENH_LF: enh_set_lf(e, v, e->lf_hz); return;
	case P_ENH_LF_FREQ: enh_set_lf(e, e->lf_amt * 100.0f, v); return;
	default: return;
	}
}

STAGE_LANES_ADAPTER(enh_stage_lanes, enh, enh_process_lanes)

const struct stage_desc enh_stage = {
	.name = "enh", .label = "enhancer (HF and LF detail)", .first = P_ENH_ENABLE,
	.last = P_ENH_LF_FREQ, .init = enh_stage_init, .reset = enh_stage_reset,
	.set = enh_stage_set, .process_lanes = enh_stage_lanes, .idle = enh_stage_idle,
};
