/* hum.c: mains hum notches (see hum.h). */
#include "hum.h"

#include <math.h>
#include <string.h>

#include "dsp.h"
#include "vec.h"

#define HUM_GRID 64u /* state hygiene on this grid of the sample clock */

void hum_init(struct hum *h, float fs)
{
	memset(h, 0, sizeof(*h));
	h->fs = fs;
	h->fade_len = (uint32_t)lrintf(fs * HUM_FADE_MS * 0.001f);
	if (h->fade_len == 0)
		h->fade_len = 1;
	h->fade_inv = 1.0f / (float)h->fade_len;
	h->harm = h->harm_req = 5;
}

/* Build the notches for mode/harm from rest. */
static void hum_build(struct hum *h)
{
	double f0 = h->mode == 1 ? 50.0 : 60.0;
	h->count = 0;
	if (h->mode == 0)
		return;
	for (int k = 1; k <= h->harm; k++) {
		double f = k * f0;
		if (f >= 0.45 * h->fs)
			break;
		double g = tan(M_PI * f / h->fs), kk = HUM_BW_HZ / f; /* 1/Q = BW / f */
		double a1 = 1.0 / (1.0 + g * (g + kk));
		struct hum_notch *n = &h->n[h->count++];
		n->a1 = (float)a1;
		n->a2 = (float)(g * a1);
		n->a3 = (float)(g * g * a1);
		n->k = (float)kk;
		n->ic1 = n->ic2 = 0.0f;
	}
}

void hum_reset(struct hum *h)
{
	h->mode = h->mode_req;
	h->harm = h->harm_req;
	hum_build(h);
	h->mix = h->mode ? h->fade_len : 0;
	h->clock = 0;
}

void hum_set_mode(struct hum *h, int mode) { h->mode_req = mode >= 0 && mode <= 2 ? mode : 0; }

void hum_set_harmonics(struct hum *h, int harmonics)
{
	h->harm_req = harmonics < 1 ? 1 : (harmonics > HUM_MAX_HARMONICS ? HUM_MAX_HARMONICS : harmonics);
}

static float hum_clean(float x) { return (fabsf(x) < 1e-20f || !isfinite(x)) ? 0.0f : x; }

/* The notches in series over n samples, in -> out: sample by sample through all of them, so
 * that each notch's recursion overlaps the others' in the CPU (one notch after the other over
 * the block would wait on each recursion's latency in turn). */
static inline __attribute__((always_inline)) void
hum_notches_m(struct hum *h, const float *in, float *out, uint32_t n, const unsigned m)
{
	float a1[HUM_MAX_HARMONICS], a2[HUM_MAX_HARMONICS], a3[HUM_MAX_HARMONICS];
	float k[HUM_MAX_HARMONICS], ic1[HUM_MAX_HARMONICS], ic2[HUM_MAX_HARMONICS];
	for (unsigned j = 0; j < m; j++) {
		a1[j] = h->n[j].a1, a2[j] = h->n[j].a2, a3[j] = h->n[j].a3, k[j] = h->n[j].k;
		ic1[j] = h->n[j].ic1, ic2[j] = h->n[j].ic2;
	}
	for (uint32_t i = 0; i < n; i++) {
		float v0 = in[i];
		for (unsigned j = 0; j < m; j++) {
			float v3 = v0 - ic2[j];
			float v1 = a1[j] * ic1[j] + a2[j] * v3;
			float v2 = ic2[j] + a2[j] * ic1[j] + a3[j] * v3;
			ic1[j] = 2.0f * v1 - ic1[j];
			ic2[j] = 2.0f * v2 - ic2[j];
			v0 = v0 - k[j] * v1;
		}
		out[i] = v0;
	}
	for (unsigned j = 0; j < m; j++)
		h->n[j].ic1 = ic1[j], h->n[j].ic2 = ic2[j];
}

/* ---- one lane: the notches as a skewed pipeline -------------------------------------------
 * In series, each notch waits on the one before it within a sample, so one lane leaves most of
 * the CPU idle. Skewed, notch j works on sample t - j at step t: one step of vectors advances
 * every notch by a sample, notch j taking what notch j - 1 gave at the step before (the last
 * step's outputs shifted up a lane, the new sample entering lane 0). Each notch still does
 * hum_notches_m's operations in their order, so the bits are the same. The pipeline fills
 * over the first m - 1 steps and drains over the last m - 1; there a lane without a sample
 * keeps its state. Notches go four to a vector, lane j of the pipeline in vector j / 4. */
#define HUM_SKEW_V ((HUM_MAX_HARMONICS + 3) / 4)

struct hum_skew {
	dsp_v4f a1[HUM_SKEW_V], a2[HUM_SKEW_V], a3[HUM_SKEW_V], k[HUM_SKEW_V];
	dsp_v4f ic1[HUM_SKEW_V], ic2[HUM_SKEW_V];
	dsp_v4f y[HUM_SKEW_V]; /* each notch's output of the last step */
};

/* Notch j to lane j, and back (get = 1); lanes past m are zero: they filter nothing that is
 * used. */
static void hum_skew_move(struct hum_skew *w, struct hum *h, unsigned m, int get)
{
	for (unsigned j = 0; j < 4 * HUM_SKEW_V; j++) {
		unsigned v = j / 4, q = j % 4;
		if (get) {
			if (j < m)
				h->n[j].ic1 = w->ic1[v][q], h->n[j].ic2 = w->ic2[v][q];
			continue;
		}
		const struct hum_notch *c = &h->n[j < m ? j : 0];
		float on = j < m ? 1.0f : 0.0f;
		w->a1[v][q] = on * c->a1, w->a2[v][q] = on * c->a2, w->a3[v][q] = on * c->a3;
		w->k[v][q] = on * c->k, w->ic1[v][q] = on * c->ic1, w->ic2[v][q] = on * c->ic2;
		w->y[v][q] = 0.0f;
	}
}

/* One step: x enters notch 0; lanes outside live (all ones: a sample there) keep their
 * state. nv vectors, a constant. */
static inline __attribute__((always_inline)) void
hum_skew_step(struct hum_skew *w, float x, const dsp_v4i *live, int masked, const unsigned nv)
{
	dsp_v4f in[HUM_SKEW_V], xv = {x, 0.0f, 0.0f, 0.0f};
	in[0] = DSP_SHUFFLE4(xv, w->y[0], 0, 4, 5, 6);
	for (unsigned v = 1; v < nv; v++)
		in[v] = DSP_SHUFFLE4(w->y[v - 1], w->y[v], 3, 4, 5, 6);
	for (unsigned v = 0; v < nv; v++) {
		dsp_v4f v3 = in[v] - w->ic2[v];
		dsp_v4f v1 = w->a1[v] * w->ic1[v] + w->a2[v] * v3;
		dsp_v4f v2 = w->ic2[v] + w->a2[v] * w->ic1[v] + w->a3[v] * v3;
		dsp_v4f n1 = 2.0f * v1 - w->ic1[v], n2 = 2.0f * v2 - w->ic2[v];
		w->ic1[v] = masked ? dsp_select4f(live[v], n1, w->ic1[v]) : n1;
		w->ic2[v] = masked ? dsp_select4f(live[v], n2, w->ic2[v]) : n2;
		w->y[v] = in[v] - w->k[v] * v1;
	}
}

/* Steps [t0, t1) of the fill or the drain, where lane j has a sample when
 * 0 <= t - j <= n - 1. */
static inline __attribute__((always_inline)) void
hum_skew_edge(struct hum_skew *w, const float *in, float *out, uint32_t n, uint32_t t0,
	      uint32_t t1, const unsigned m, const unsigned nv)
{
	for (uint32_t t = t0; t < t1; t++) {
		dsp_v4i live[HUM_SKEW_V];
		for (unsigned v = 0; v < nv; v++) {
			dsp_v4i j = (dsp_v4i){0, 1, 2, 3} + (int32_t)(4 * v);
			live[v] = (j <= (int32_t)t) & (j >= (int32_t)t - (int32_t)(n - 1));
		}
		hum_skew_step(w, t < n ? in[t] : 0.0f, live, 1, nv);
		if (t >= m - 1)
			out[t - (m - 1)] = w->y[(m - 1) / 4][(m - 1) % 4];
	}
}

static inline __attribute__((always_inline)) void
hum_notches_skew(struct hum *h, const float *in, float *out, uint32_t n, const unsigned m)
{
	const unsigned nv = (m + 3) / 4;
	struct hum_skew w;
	if (n == 0)
		return;
	hum_skew_move(&w, h, m, 0);
	uint32_t steady_end = n > m - 1 ? n : m - 1; /* a short n has no steady steps */
	hum_skew_edge(&w, in, out, n, 0, m - 1, m, nv);
	for (uint32_t t = m - 1; t < n; t++) {
		hum_skew_step(&w, in[t], NULL, 0, nv);
		out[t - (m - 1)] = w.y[(m - 1) / 4][(m - 1) % 4];
	}
	hum_skew_edge(&w, in, out, n, steady_end, n + m - 1, m, nv);
	hum_skew_move(&w, h, m, 1);
}

/* With the count a constant, so that the loops over the notches unroll. One notch has no
 * pipeline to gain from. */
static void hum_notches(struct hum *h, const float *in, float *out, uint32_t n)
{
	switch (h->count) {
	case 1: hum_notches_m(h, in, out, n, 1); break;
	case 2: hum_notches_skew(h, in, out, n, 2); break;
	case 3: hum_notches_skew(h, in, out, n, 3); break;
	case 4: hum_notches_skew(h, in, out, n, 4); break;
	case 5: hum_notches_skew(h, in, out, n, 5); break;
	case 6: hum_notches_skew(h, in, out, n, 6); break;
	case 7: hum_notches_skew(h, in, out, n, 7); break;
	case 8: hum_notches_skew(h, in, out, n, 8); break;
	case 9: hum_notches_skew(h, in, out, n, 9); break;
	case 10: hum_notches_skew(h, in, out, n, 10); break;
	default: hum_notches_m(h, in, out, n, h->count); break;
	}
}

/* The settings to reach: fade to dry when they differ from what runs, else to notched. */
static int hum_want_on(const struct hum *h)
{
	return h->mode_req == h->mode && h->harm_req == h->harm && h->mode != 0;
}

/* At a segment start: switch the notches while the output is all dry. */
static void hum_events(struct hum *h)
{
	if (h->mix == 0 && !hum_want_on(h) &&
	    (h->mode != h->mode_req || h->harm != h->harm_req)) {
		h->mode = h->mode_req;
		h->harm = h->harm_req;
		hum_build(h);
	}
	if (h->clock % HUM_GRID == 0)
		for (unsigned j = 0; j < h->count; j++) {
			h->n[j].ic1 = hum_clean(h->n[j].ic1);
			h->n[j].ic2 = hum_clean(h->n[j].ic2);
		}
}

static void hum_segment(struct hum *h, const float *in, float *out, uint32_t n)
{
	int up = hum_want_on(h);
	hum_notches(h, in, out, n);
	if (up && h->mix == h->fade_len)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t m = up ? h->mix + i : h->mix - i;
		float w = (float)m * h->fade_inv;
		out[i] = in[i] + w * (out[i] - in[i]);
	}
	h->mix = up ? h->mix + n : h->mix - n;
}

const float *hum_run(struct hum *h, const float *in, float *buf, uint32_t n)
{
	if (hum_idle(h))
		return in;
	const float *src = in;
	float *dst = buf;
	while (n > 0) {
		hum_events(h);
		if (hum_idle(h)) { /* faded out and switched off within this call */
			if (dst != src)
				memcpy(dst, src, n * sizeof(float));
			break;
		}
		uint32_t k = HUM_GRID - h->clock % HUM_GRID;
		int up = hum_want_on(h);
		uint32_t left = up ? h->fade_len - h->mix : h->mix;
		if (left > 0 && left < k)
			k = left;
		if (k > n)
			k = n;
		hum_segment(h, src, dst, k);
		h->clock += k;
		src += k;
		dst += k;
		n -= k;
	}
	return buf;
}

/* ---- lanes side by side ----------------------------------------------------------------------
 * Lanes whose notches are steady (fully in, no change pending), alike in number and on the
 * same hygiene grid position run in vectors of four, each lane's notch j doing hum_notches'
 * operations in its order: every lane gets hum_run's bits. */

#define HUM_GROUPS_MAX (DSP_LANES_MAX / 4)

static int hum_steady(const struct hum *h)
{
	return !hum_idle(h) && hum_want_on(h) && h->mix == h->fade_len && h->count > 0;
}

struct hum_v4 {
	dsp_v4f a1, a2, a3, k, ic1, ic2;
};

/* Notch j of lanes 4 g .. 4 g + 3 in (get = 0) or out (get = 1); lanes past nl have zero
 * coefficients and state (their notches pass zeros). */
static void hum_v4_move(struct hum_v4 *v, struct hum *const *h, unsigned nl, unsigned g,
			unsigned j, int get)
{
	for (unsigned q = 0; q < 4; q++) {
		unsigned l = 4 * g + q;
		if (l >= nl) {
			if (!get)
				v->a1[q] = v->a2[q] = v->a3[q] = v->k[q] = v->ic1[q] = v->ic2[q] = 0.0f;
			continue;
		}
		struct hum_notch *n = &h[l]->n[j];
		if (get) {
			n->ic1 = v->ic1[q], n->ic2 = v->ic2[q];
		} else {
			v->a1[q] = n->a1, v->a2[q] = n->a2, v->a3[q] = n->a3, v->k[q] = n->k;
			v->ic1[q] = n->ic1, v->ic2[q] = n->ic2;
		}
	}
}

static inline __attribute__((always_inline)) void
hum_notches_v4(struct hum_v4 *v, unsigned m, dsp_v4f *x, uint32_t n, const unsigned groups)
{
	for (uint32_t i = 0; i < n; i++)
		for (unsigned g = 0; g < groups; g++) {
			dsp_v4f v0 = x[groups * i + g];
			for (unsigned j = 0; j < m; j++) {
				struct hum_v4 *c = &v[g * HUM_MAX_HARMONICS + j];
				dsp_v4f v3 = v0 - c->ic2;
				dsp_v4f v1 = c->a1 * c->ic1 + c->a2 * v3;
				dsp_v4f v2 = c->ic2 + c->a2 * c->ic1 + c->a3 * v3;
				c->ic1 = 2.0f * v1 - c->ic1;
				c->ic2 = 2.0f * v2 - c->ic2;
				v0 = v0 - c->k * v1;
			}
			x[groups * i + g] = v0;
		}
}

static inline __attribute__((always_inline)) void
hum_run_v4(struct hum *const *h, unsigned nl, const float **u, float *const *buf, uint32_t n,
	   const unsigned groups)
{
	struct hum_v4 v[HUM_GROUPS_MAX * HUM_MAX_HARMONICS];
	dsp_v4f x[DSP_MAX_CHUNK * HUM_GROUPS_MAX];
	const unsigned m = h[0]->count;
	for (uint32_t i = 0; i < n; i++)
		for (unsigned g = 0; g < groups; g++)
			for (unsigned q = 0; q < 4; q++)
				x[groups * i + g][q] = 4 * g + q < nl ? u[4 * g + q][i] : 0.0f;
	for (uint32_t i = 0; i < n;) {
		uint32_t k = HUM_GRID - h[0]->clock % HUM_GRID;
		k = k < n - i ? k : n - i;
		for (unsigned l = 0; l < nl; l++)
			hum_events(h[l]); /* steady: the grid's state hygiene only */
		for (unsigned g = 0; g < groups; g++)
			for (unsigned j = 0; j < m; j++)
				hum_v4_move(&v[g * HUM_MAX_HARMONICS + j], h, nl, g, j, 0);
		hum_notches_v4(v, m, x + groups * i, k, groups);
		for (unsigned g = 0; g < groups; g++)
			for (unsigned j = 0; j < m; j++)
				hum_v4_move(&v[g * HUM_MAX_HARMONICS + j], h, nl, g, j, 1);
		for (unsigned l = 0; l < nl; l++)
			h[l]->clock += k;
		i += k;
	}
	for (unsigned l = 0; l < nl; l++) {
		for (uint32_t i = 0; i < n; i++)
			buf[l][i] = x[groups * i + l / 4][l % 4];
		u[l] = buf[l];
	}
}

void hum_run_lanes(struct hum *const *h, unsigned nl, const float **u, float *const *buf,
		   uint32_t n)
{
	int fused = nl > 1 && n > 0;
	for (unsigned l = 0; l < nl && fused; l++)
		fused = hum_steady(h[l]) && h[l]->count == h[0]->count &&
			h[l]->clock % HUM_GRID == h[0]->clock % HUM_GRID;
	if (!fused) {
		for (unsigned l = 0; l < nl; l++)
			u[l] = hum_run(h[l], u[l], buf[l], n);
		return;
	}
	if (nl <= 4)
		hum_run_v4(h, nl, u, buf, n, 1);
	else
		hum_run_v4(h, nl, u, buf, n, 2);
}
