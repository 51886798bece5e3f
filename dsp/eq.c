/* eq.c: matched second-order bands and the three-band EQ stage (see eq.h for the maths). */
#include "eq.h"

#include <errno.h>
#include <string.h>

/* ---- design ------------------------------------------------------------------------------ */

/* An analogue prototype n(s)/d(s), coefficients of s^2, s, 1, normalised to Omega = 1. */
struct eq_proto {
	double n2, n1, n0, d2, d1, d0;
};

static struct eq_proto eq_proto(enum eq_shape shape, double gain_db, double q)
{
	double a = pow(10.0, gain_db / 40.0), sa = sqrt(a);
	switch (shape) {
	case EQ_LOW_SHELF: return (struct eq_proto){a, a * sa / q, a * a, a, sa / q, 1.0};
	case EQ_HIGH_SHELF: return (struct eq_proto){a * a, a * sa / q, a, 1.0, sa / q, a};
	case EQ_BELL:
	default: return (struct eq_proto){1.0, a / q, 1.0, 1.0, 1.0 / (a * q), 1.0};
	}
}

/* |H(j w)|^2 of the prototype, w in units of its corner */
static double eq_proto_mag2(const struct eq_proto *p, double w)
{
	double nr = p->n0 - p->n2 * w * w, ni = p->n1 * w;
	double dr = p->d0 - p->d2 * w * w, di = p->d1 * w;
	return (nr * nr + ni * ni) / (dr * dr + di * di);
}

/* |A(e^jw)|^2 = A0 phi0 + A1 phi1 + A2 phi2 with phi1 = sin^2(w/2), phi0 = 1 - phi1,
 * phi2 = 4 phi0 phi1 (Vicanek's basis, also for the numerator) */
static void eq_phi(double w, double phi[3])
{
	double s = sin(0.5 * w);
	phi[1] = s * s;
	phi[0] = 1.0 - phi[1];
	phi[2] = 4.0 * phi[0] * phi[1];
}

/* The matched section of prototype p with corner w0 (radians per sample) into b[3], a[3]. */
static void eq_match(const struct eq_proto *p, double w0, double b[3], double a[3])
{
	/* poles: s^2 + s wp/Q + wp^2 mapped by z = exp(s) */
	double wp = w0 * sqrt(p->d0 / p->d2), zeta = 0.5 * p->d1 / sqrt(p->d0 * p->d2);
	double r = exp(-zeta * wp);
	a[0] = 1.0;
	a[1] = zeta <= 1.0 ? -2.0 * r * cos(wp * sqrt(1.0 - zeta * zeta))
			   : -2.0 * r * cosh(wp * sqrt(zeta * zeta - 1.0));
	a[2] = r * r;
	double A[3] = {(1.0 + a[1] + a[2]) * (1.0 + a[1] + a[2]),
		       (1.0 - a[1] + a[2]) * (1.0 - a[1] + a[2]), -4.0 * a[2]};
	/* numerator's |B|^2 = B0 phi0 + B1 phi1 + B2 phi2: B0 from DC, then B1 and B2 from the
	 * magnitudes at wm and wn (two linear equations) */
	double B0 = eq_proto_mag2(p, 0.0) * A[0];
	double wm = w0 < 0.5 * M_PI ? w0 : 0.5 * M_PI, wn = 0.8 * M_PI;
	double pm[3], pn[3];
	eq_phi(wm, pm);
	eq_phi(wn, pn);
	double rm = eq_proto_mag2(p, wm / w0) * (A[0] * pm[0] + A[1] * pm[1] + A[2] * pm[2]) -
		    B0 * pm[0];
	double rn = eq_proto_mag2(p, wn / w0) * (A[0] * pn[0] + A[1] * pn[1] + A[2] * pn[2]) -
		    B0 * pn[0];
	double det = pm[1] * pn[2] - pm[2] * pn[1];
	double B1 = (rm * pn[2] - pm[2] * rn) / det;
	double B2 = (pm[1] * rn - rm * pn[1]) / det;
	double s0 = sqrt(B0), s1 = sqrt(B1 > 0.0 ? B1 : 0.0), w = 0.5 * (s0 + s1);
	double disc = w * w + B2;
	if (!(B1 > 1e-6 * B0) || !(disc > 0.0)) {
		/* near Nyquist the fit at 0.8 pi can ask for a zero outside the unit circle:
		 * match at Nyquist itself instead (Vicanek's choice) */
		B1 = eq_proto_mag2(p, M_PI / w0) * A[1];
		B2 = (eq_proto_mag2(p, wm / w0) * (A[0] * pm[0] + A[1] * pm[1] + A[2] * pm[2]) -
		      B0 * pm[0] - B1 * pm[1]) / pm[2];
		s1 = sqrt(B1);
		w = 0.5 * (s0 + s1);
		disc = w * w + B2;
	}
	b[0] = 0.5 * (w + sqrt(disc > 0.0 ? disc : 0.0));
	b[1] = 0.5 * (s0 - s1);
	b[2] = -0.25 * B2 / b[0];
}

void eq_design(struct biquad_coef *c, enum eq_shape shape, double fs, double f0_hz, double q,
	       double gain_db)
{
	if (gain_db == 0.0) {
		biquad_identity(c);
		return;
	}
	if (f0_hz > 0.45 * fs)
		f0_hz = 0.45 * fs;
	/* design the filter whose poles impulse invariance maps well (a shelf cut, a bell
	 * boost), and invert it for the other sign */
	int invert = shape == EQ_BELL ? gain_db < 0.0 : gain_db > 0.0;
	struct eq_proto p = eq_proto(shape, invert ? -gain_db : gain_db, q);
	double b[3], a[3];
	eq_match(&p, 2.0 * M_PI * f0_hz / fs, b, a);
	if (invert) {
		double t[3] = {b[0], b[1], b[2]};
		for (int i = 0; i < 3; i++)
			b[i] = a[i] / t[0];
		a[1] = t[1] / t[0];
		a[2] = t[2] / t[0];
	}
	c->b0 = (float)b[0];
	c->b1 = (float)b[1];
	c->b2 = (float)b[2];
	c->a1 = (float)a[1];
	c->a2 = (float)a[2];
	if (!(fabsf(c->a2) < 1.0f && fabsf(c->a1) < 1.0f + c->a2) ||
	    !(isfinite(c->b0) && isfinite(c->b1) && isfinite(c->b2))) {
		/* never met on the parameters' ranges (tests/test_eq.c); a stable design anyway */
		enum biquad_type t = shape == EQ_BELL ? BQ_PEAK
				     : shape == EQ_LOW_SHELF ? BQ_LOWSHELF : BQ_HIGHSHELF;
		biquad_design(c, t, fs, f0_hz, q, gain_db);
	}
}

/* ---- one band with glides ------------------------------------------------------------------ */

void eq_band_init(struct eq_band *b, enum eq_shape shape, float fs)
{
	memset(b, 0, sizeof(*b));
	b->shape = shape;
	b->fs = fs;
	b->glide_a = exp(-(double)EQ_GRID / (EQ_GLIDE_MS * 1e-3 * fs));
	b->tgt[1] = b->s1[1] = b->s2[1] = log(1000.0);
	b->tgt[2] = b->s1[2] = b->s2[2] = log(EQ_SHELF_Q);
	biquad_identity(&b->c);
}

static void eq_band_design(struct eq_band *b, struct biquad_coef *c)
{
	eq_design(c, b->shape, b->fs, exp(b->s2[1]), exp(b->s2[2]), b->s2[0]);
}

void eq_band_set(struct eq_band *b, float gain_db, float hz, float q)
{
	b->tgt[0] = gain_db;
	b->tgt[1] = log(hz);
	b->tgt[2] = log(q);
	for (int i = 0; i < 3; i++)
		if (b->s1[i] != b->tgt[i] || b->s2[i] != b->tgt[i])
			b->moving = 1;
}

void eq_band_jump(struct eq_band *b)
{
	for (int i = 0; i < 3; i++)
		b->s1[i] = b->s2[i] = b->tgt[i];
	b->moving = 0;
	b->ramp = 0;
	eq_band_design(b, &b->c);
	b->z.z1 = b->z.z2 = 0.0f;
}

void eq_band_grid(struct eq_band *b)
{
	b->z.z1 = eq_clean(b->z.z1);
	b->z.z2 = eq_clean(b->z.z2);
	if (!b->moving) {
		if (b->ramp) {
			b->ramp = 0; /* the last ramp ended on b->c */
			if (b->tgt[0] == 0.0)
				b->z.z1 = b->z.z2 = 0.0f; /* identity from here: skipped */
		}
		return;
	}
	/* two one-poles per control, in its own domain; snap when both are within a hair */
	static const double tol[3] = {1e-4, 1e-6, 1e-6};
	int still = 0;
	for (int i = 0; i < 3; i++) {
		b->s1[i] = b->tgt[i] + b->glide_a * (b->s1[i] - b->tgt[i]);
		b->s2[i] = b->s1[i] + b->glide_a * (b->s2[i] - b->s1[i]);
		if (fabs(b->s1[i] - b->tgt[i]) < tol[i] && fabs(b->s2[i] - b->tgt[i]) < tol[i]) {
			b->s1[i] = b->s2[i] = b->tgt[i];
			still++;
		}
	}
	b->moving = still < 3;
	b->c0 = b->c;
	eq_band_design(b, &b->c);
	const float k = 1.0f / (float)EQ_GRID;
	b->dc.b0 = (b->c.b0 - b->c0.b0) * k;
	b->dc.b1 = (b->c.b1 - b->c0.b1) * k;
	b->dc.b2 = (b->c.b2 - b->c0.b2) * k;
	b->dc.a1 = (b->c.a1 - b->c0.a1) * k;
	b->dc.a2 = (b->c.a2 - b->c0.a2) * k;
	b->ramp = 1;
}

void eq_band_run(struct eq_band *b, const float *in, float *out, uint32_t n, uint32_t pos)
{
	struct biquad_state z = b->z;
	if (!b->ramp) {
		const struct biquad_coef c = b->c;
		for (uint32_t i = 0; i < n; i++)
			out[i] = biquad_tick(&c, &z, in[i]);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float t = (float)(pos + i + 1);
			struct biquad_coef c = {
				b->c0.b0 + t * b->dc.b0, b->c0.b1 + t * b->dc.b1,
				b->c0.b2 + t * b->dc.b2, b->c0.a1 + t * b->dc.a1,
				b->c0.a2 + t * b->dc.a2,
			};
			if (pos + i + 1 == EQ_GRID)
				c = b->c; /* land exactly */
			out[i] = biquad_tick(&c, &z, in[i]);
		}
	}
	b->z = z;
}

/* ---- the stage ------------------------------------------------------------------------------ */

static const enum eq_shape eq_shapes[EQ_BANDS] = {EQ_LOW_SHELF, EQ_BELL, EQ_HIGH_SHELF};

int eq_init(struct eq *e, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->fs = fs;
	e->fade_len = (uint32_t)lrintf(fs * EQ_FADE_MS * 0.001f);
	if (e->fade_len == 0)
		e->fade_len = 1;
	e->fade_inv = 1.0f / (float)e->fade_len;
	e->fade_pos = e->fade_len;
	for (int k = 0; k < EQ_BANDS; k++) {
		eq_band_init(&e->band[k], eq_shapes[k], fs);
		e->hz[k] = 1000.0f;
		e->q[k] = (float)EQ_SHELF_Q;
		e->band_on[k] = 1;
	}
	return 0;
}

int eq_idle(const struct eq *e) { return !e->on && e->fade_pos == e->fade_len; }

/* From fully off: every glide finished, no audio state, the clock from zero. */
static void eq_rest(struct eq *e)
{
	for (int k = 0; k < EQ_BANDS; k++)
		eq_band_jump(&e->band[k]);
	e->clock = 0;
}

void eq_reset(struct eq *e)
{
	e->fade_pos = e->fade_len;
	eq_rest(e);
}

static void eq_update_band(struct eq *e, int k)
{
	eq_band_set(&e->band[k], e->band_on[k] ? e->gain[k] : 0.0f, e->hz[k], e->q[k]);
	if (eq_idle(e))
		eq_band_jump(&e->band[k]); /* nothing plays: nothing to glide */
}

static void eq_set_enable(struct eq *e, int on)
{
	on = on != 0;
	if (on == e->on)
		return;
	int fading = e->fade_pos < e->fade_len;
	if (!fading && on)
		eq_rest(e);
	e->fade_pos = fading ? e->fade_len - e->fade_pos : 0;
	e->on = on;
}

/* One stretch inside one grid period and one fade segment. */
static void eq_segment(struct eq *e, const float *in, float *out, uint32_t n)
{
	uint32_t pos = e->clock % EQ_GRID;
	const float *x = in;
	for (int k = 0; k < EQ_BANDS; k++) {
		if (!eq_band_active(&e->band[k]))
			continue;
		eq_band_run(&e->band[k], x, out, n, pos);
		x = out;
	}
	if (x == in)
		memcpy(out, in, n * sizeof(float));
	if (e->fade_pos < e->fade_len) {
		for (uint32_t i = 0; i < n; i++) {
			float t = (float)(e->fade_pos + i) * e->fade_inv;
			float w = e->on ? t : 1.0f - t;
			out[i] = in[i] + w * (out[i] - in[i]);
		}
		e->fade_pos += n;
	}
	e->clock += n;
}

void eq_process_each(struct eq *e, const float *in, float *out, uint32_t n)
{
	while (n > 0) {
		if (eq_idle(e)) { /* the fade to off ended: an exact copy from here */
			memcpy(out, in, n * sizeof(float));
			return;
		}
		uint32_t pos = e->clock % EQ_GRID, k = EQ_GRID - pos;
		if (pos == 0)
			for (int b = 0; b < EQ_BANDS; b++)
				eq_band_grid(&e->band[b]);
		if (k > n)
			k = n;
		if (e->fade_pos < e->fade_len && e->fade_len - e->fade_pos < k)
			k = e->fade_len - e->fade_pos;
		eq_segment(e, in, out, k);
		in += k;
		out += k;
		n -= k;
	}
}

/* ---- steady bands, fused and side by side ---------------------------------------------------
 * In the steady state (on, no fade, every band settled: no glide, no ramp) a grid step only
 * cleans each band's state, so a whole call can run in one loop: each sample goes through the
 * active bands in turn, so that their recursions overlap in the CPU instead of each band
 * waiting on its own chain over the block, and several lanes run side by side in vectors of
 * four. Each band does biquad_tick's operations in its order on every lane, and the state is
 * cleaned at the same grid positions as eq_band_grid does: the bits are eq_process_each's. */

/* The active bands of a steady lane into band[] (their count), or -1 when it is not steady. */
static int eq_steady_bands(const struct eq *e, int band[EQ_BANDS])
{
	if (!e->on || e->fade_pos < e->fade_len)
		return -1;
	int m = 0;
	for (int k = 0; k < EQ_BANDS; k++) {
		const struct eq_band *b = &e->band[k];
		if (b->moving || b->ramp)
			return -1;
		if (b->tgt[0] != 0.0)
			band[m++] = k;
	}
	return m;
}

/* eq_clean on four lanes: zero where |z| < 1e-20 or z is not finite. */
static inline __attribute__((always_inline)) dsp_v4f eq_clean_v4(dsp_v4f z)
{
	dsp_v4f a = (dsp_v4f)((dsp_v4i)z & 0x7fffffff);
	dsp_v4i keep = (a >= 1e-20f) & (a <= 3.40282347e38f);
	return (dsp_v4f)((dsp_v4i)z & keep);
}

struct eq_v4 {
	dsp_v4f b0, b1, b2, a1, a2, z1, z2;
};

static inline __attribute__((always_inline)) dsp_v4f eq_tick_v4(struct eq_v4 *s, dsp_v4f x)
{
	dsp_v4f y = s->b0 * x + s->z1;
	s->z1 = s->b1 * x - s->a1 * y + s->z2;
	s->z2 = s->b2 * x - s->a2 * y;
	return y;
}

#define EQ_GROUPS_MAX (DSP_LANES_MAX / 4)

/* Lanes 4 g .. 4 g + 3 of band band[j] into s; lanes past nl get lane 0's coefficients and
 * a zero state (they filter zeros and stay zero). */
static void eq_v4_load(struct eq_v4 *s, struct eq *const *e, unsigned nl, unsigned g, int band)
{
	for (unsigned q = 0; q < 4; q++) {
		unsigned l = 4 * g + q;
		const struct eq_band *b = &e[l < nl ? l : 0]->band[band];
		s->b0[q] = b->c.b0, s->b1[q] = b->c.b1, s->b2[q] = b->c.b2;
		s->a1[q] = b->c.a1, s->a2[q] = b->c.a2;
		s->z1[q] = l < nl ? b->z.z1 : 0.0f;
		s->z2[q] = l < nl ? b->z.z2 : 0.0f;
	}
}

static inline __attribute__((always_inline)) void
eq_run_v4(struct eq *const *e, unsigned nl, const float *const *in, float *const *out,
	  uint32_t n, const int *band, const unsigned m, const unsigned groups)
{
	struct eq_v4 s[EQ_GROUPS_MAX][EQ_BANDS];
	float x[DSP_MAX_CHUNK][4 * EQ_GROUPS_MAX] __attribute__((aligned(16))) = {{0}};
	for (unsigned g = 0; g < groups; g++)
		for (unsigned j = 0; j < m; j++)
			eq_v4_load(&s[g][j], e, nl, g, band[j]);
	for (unsigned l = 0; l < nl; l++)
		for (uint32_t i = 0; i < n; i++)
			x[i][l] = in[l][i];
	uint32_t pos = e[0]->clock % EQ_GRID;
	for (uint32_t i = 0; i < n;) {
		if ((pos + i) % EQ_GRID == 0)
			for (unsigned g = 0; g < groups; g++)
				for (unsigned j = 0; j < m; j++)
					s[g][j].z1 = eq_clean_v4(s[g][j].z1),
					s[g][j].z2 = eq_clean_v4(s[g][j].z2);
		uint32_t end = i + EQ_GRID - (pos + i) % EQ_GRID;
		for (end = end < n ? end : n; i < end; i++)
			for (unsigned g = 0; g < groups; g++) {
				dsp_v4f v = dsp_load4f(x[i] + 4 * g);
				for (unsigned j = 0; j < m; j++)
					v = eq_tick_v4(&s[g][j], v);
				dsp_store4f(x[i] + 4 * g, v);
			}
	}
	for (unsigned l = 0; l < nl; l++) {
		for (uint32_t i = 0; i < n; i++)
			out[l][i] = x[i][l];
		for (unsigned j = 0; j < m; j++) {
			struct biquad_state *z = &e[l]->band[band[j]].z;
			z->z1 = s[l / 4][j].z1[l % 4], z->z2 = s[l / 4][j].z2[l % 4];
		}
		e[l]->clock += n;
	}
}

/* One lane, the same loop on floats. */
static inline __attribute__((always_inline)) void
eq_run_1(struct eq *e, const float *in, float *out, uint32_t n, const int *band, const unsigned m)
{
	struct biquad_coef c[EQ_BANDS];
	struct biquad_state z[EQ_BANDS];
	for (unsigned j = 0; j < m; j++)
		c[j] = e->band[band[j]].c, z[j] = e->band[band[j]].z;
	uint32_t pos = e->clock % EQ_GRID;
	for (uint32_t i = 0; i < n;) {
		if ((pos + i) % EQ_GRID == 0)
			for (unsigned j = 0; j < m; j++)
				z[j].z1 = eq_clean(z[j].z1), z[j].z2 = eq_clean(z[j].z2);
		uint32_t end = i + EQ_GRID - (pos + i) % EQ_GRID;
		for (end = end < n ? end : n; i < end; i++) {
			float v = in[i];
			for (unsigned j = 0; j < m; j++)
				v = biquad_tick(&c[j], &z[j], v);
			out[i] = v;
		}
	}
	for (unsigned j = 0; j < m; j++)
		e->band[band[j]].z = z[j];
	e->clock += n;
}

/* ---- one lane: the bands as a skewed pipeline ----------------------------------------------
 * At one channel each band's recursion is a chain of dependent operations (a product and three
 * sums per sample), and the bands in series only wait on each other through the signal. Lane j
 * of a vector of four holds band j, which works on sample t - j at step t: one vector step
 * advances every band by one sample, its input the previous step's outputs moved up one lane
 * with x[t] in lane 0. Each lane does biquad_tick's operations in its order, and the state is
 * cleaned when that lane reaches a grid position (lane j at step t when (pos + t - j) % EQ_GRID
 * is 0): eq_run_1's bits. The pipeline fills over the first m - 1 steps and drains over the last
 * m - 1, where the lanes without a sample keep their state (selected back). Lanes m..3 are
 * unused: zero coefficients and state, and nothing reads them. */

struct eq_wf {
	dsp_v4f b0, b1, b2, a1, a2, z1, z2, y;
};

/* v moved up one lane (lane 3 drops out) with x in lane 0 */
static inline __attribute__((always_inline)) dsp_v4f eq_wf_in(dsp_v4f v, float x)
{
#if defined(__SSE2__)
	__m128 s = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128((__m128)v), 4));
	return (dsp_v4f)_mm_move_ss(s, _mm_set_ss(x));
#else
	return DSP_SHUFFLE4(v, ((dsp_v4f){x, x, x, x}), 4, 0, 1, 2);
#endif
}

/* One step: every lane's biquad_tick on its input; its outputs into s->y. */
static inline __attribute__((always_inline)) void eq_wf_step(struct eq_wf *s, float x)
{
	dsp_v4f v = eq_wf_in(s->y, x);
	dsp_v4f y = s->b0 * v + s->z1;
	s->z1 = s->b1 * v - s->a1 * y + s->z2;
	s->z2 = s->b2 * v - s->a2 * y;
	s->y = y;
}

/* every lane of a mask set */
static inline __attribute__((always_inline)) int eq_all_v4(dsp_v4i k)
{
#if defined(__SSE2__)
	return _mm_movemask_ps((__m128)k) == 0xf;
#else
	return (k[0] & k[1] & k[2] & k[3]) == -1;
#endif
}

/* eq_clean of both states on the lanes where skip is 0. The test is a branch, so that the
 * recursion does not wait on it: the states nearly never need cleaning. */
static inline __attribute__((always_inline)) void eq_wf_clean(struct eq_wf *s, dsp_v4i skip)
{
	dsp_v4f a1 = (dsp_v4f)((dsp_v4i)s->z1 & 0x7fffffff);
	dsp_v4f a2 = (dsp_v4f)((dsp_v4i)s->z2 & 0x7fffffff);
	dsp_v4i keep1 = (a1 >= 1e-20f) & (a1 <= 3.40282347e38f);
	dsp_v4i keep2 = (a2 >= 1e-20f) & (a2 <= 3.40282347e38f);
	if (__builtin_expect(!eq_all_v4((keep1 & keep2) | skip), 0)) {
		s->z1 = (dsp_v4f)((dsp_v4i)s->z1 & (keep1 | skip));
		s->z2 = (dsp_v4f)((dsp_v4i)s->z2 & (keep2 | skip));
	}
}

/* all ones but lane j */
static const dsp_v4i eq_wf_other[4] = {
	{0, -1, -1, -1}, {-1, 0, -1, -1}, {-1, -1, 0, -1}, {-1, -1, -1, 0}};

/* Step t with only the lanes in has moving (the others keep their state): lane j < m is
 * cleaned first when it has a sample and reaches a grid position (j == r = (pos + t) % EQ_GRID). */
static inline __attribute__((always_inline)) void eq_wf_masked(struct eq_wf *s, float x,
								 dsp_v4i has, uint32_t r, unsigned m)
{
	dsp_v4f z1 = s->z1, z2 = s->z2;
	if (r < m)
		eq_wf_clean(s, eq_wf_other[r] | ~has);
	eq_wf_step(s, x);
	s->z1 = (dsp_v4f)(((dsp_v4i)s->z1 & has) | ((dsp_v4i)z1 & ~has));
	s->z2 = (dsp_v4f)(((dsp_v4i)s->z2 & has) | ((dsp_v4i)z2 & ~has));
}

/* The lanes with a sample: lanes 0..t at fill step t, d + 1..3 at drain step d (lanes past the
 * last band move too: nothing reads them). */
static const dsp_v4i eq_wf_fill[3] = {{-1, 0, 0, 0}, {-1, -1, 0, 0}, {-1, -1, -1, 0}};
static const dsp_v4i eq_wf_drain[3] = {{0, -1, -1, -1}, {0, 0, -1, -1}, {0, 0, 0, -1}};

/* The steps where every band has a sample, t0 <= t < t1, on G lanes' pipelines side by side
 * (their chains overlap in the CPU; the same bands on the same grid position). */
static inline __attribute__((always_inline)) void
eq_wf_full(struct eq_wf *s, const float *const *in, float *const *out, uint32_t pos, uint32_t t0,
	   uint32_t t1, const unsigned m, const unsigned G)
{
	for (uint32_t t = t0; t < t1;) {
		uint32_t r = (pos + t) % EQ_GRID;
		if (r < m) { /* lane r reaches a grid position */
			for (unsigned g = 0; g < G; g++) {
				eq_wf_clean(&s[g], eq_wf_other[r]);
				eq_wf_step(&s[g], in[g][t]);
				out[g][t - (m - 1)] = s[g].y[m - 1];
			}
			t++;
			continue;
		}
		uint32_t end = t + EQ_GRID - r;
		for (end = end < t1 ? end : t1; t < end; t++)
			for (unsigned g = 0; g < G; g++) {
				eq_wf_step(&s[g], in[g][t]);
				out[g][t - (m - 1)] = s[g].y[m - 1];
			}
	}
}

/* The pipeline of lane e's bands, built in registers: lanes put in memory one by one and
 * loaded as a vector would wait for the stores (no store forwarding), at the head of the
 * recursion. */
static inline __attribute__((always_inline)) void eq_wf_load(struct eq_wf *s, const struct eq *e,
							      const int *band, const unsigned m)
{
	const struct eq_band *p = &e->band[band[0]], *q = &e->band[band[1]];
	const struct eq_band *u = &e->band[band[m - 1]];
#define EQ_WF_V(f) ((dsp_v4f){p->f, q->f, m > 2 ? u->f : 0.0f, 0.0f})
	*s = (struct eq_wf){
		.b0 = EQ_WF_V(c.b0), .b1 = EQ_WF_V(c.b1), .b2 = EQ_WF_V(c.b2), .a1 = EQ_WF_V(c.a1),
		.a2 = EQ_WF_V(c.a2), .z1 = EQ_WF_V(z.z1), .z2 = EQ_WF_V(z.z2), .y = {0, 0, 0, 0},
	};
#undef EQ_WF_V
}

/* m = 2 or 3 bands, n >= m samples, G lanes (steady, the same bands, the same grid position):
 * the pipelines fill (steps 0 .. m - 2), run with every band busy (m - 1 .. n - 1) and drain
 * (n .. n + m - 2). */
static inline __attribute__((always_inline)) void
eq_run_wf(struct eq *const *e, const float *const *in, float *const *out, uint32_t n,
	  const int *band, const unsigned m, const unsigned G)
{
	struct eq_wf s[2];
	for (unsigned g = 0; g < G; g++)
		eq_wf_load(&s[g], e[g], band, m);
	uint32_t pos = e[0]->clock % EQ_GRID;
	for (uint32_t t = 0; t < m - 1; t++)
		for (unsigned g = 0; g < G; g++)
			eq_wf_masked(&s[g], in[g][t], eq_wf_fill[t], (pos + t) % EQ_GRID, m);
	eq_wf_full(s, in, out, pos, m - 1, n, m, G);
	for (uint32_t d = 0; d < m - 1; d++)
		for (unsigned g = 0; g < G; g++) {
			eq_wf_masked(&s[g], 0.0f, eq_wf_drain[d], (pos + n + d) % EQ_GRID, m);
			out[g][n - (m - 1) + d] = s[g].y[m - 1];
		}
	for (unsigned g = 0; g < G; g++) {
		for (unsigned j = 0; j < m; j++) {
			struct biquad_state *z = &e[g]->band[band[j]].z;
			z->z1 = s[g].z1[j], z->z2 = s[g].z2[j];
		}
		e[g]->clock += n;
	}
}

void eq_process(struct eq *e, const float *in, float *out, uint32_t n)
{
	int band[EQ_BANDS], m = eq_steady_bands(e, band);
	switch (m) {
	case 1: eq_run_1(e, in, out, n, band, 1); return;
	case 2: n >= 2 ? eq_run_wf(&e, &in, &out, n, band, 2, 1) : eq_run_1(e, in, out, n, band, 2);
		return;
	case 3: n >= 3 ? eq_run_wf(&e, &in, &out, n, band, 3, 1) : eq_run_1(e, in, out, n, band, 3);
		return;
	default: eq_process_each(e, in, out, n); return;
	}
}

/* Steady lanes with the same bands on the same grid position: how many bands, else -1. */
static int eq_lanes_steady(struct eq *const *e, unsigned nl, int band[EQ_BANDS])
{
	int m = eq_steady_bands(e[0], band);
	if (m < 1)
		return -1;
	for (unsigned l = 1; l < nl; l++) {
		int bl[EQ_BANDS];
		if (eq_steady_bands(e[l], bl) != m || memcmp(bl, band, (size_t)m * sizeof(int)) ||
		    e[l]->clock % EQ_GRID != e[0]->clock % EQ_GRID)
			return -1;
	}
	return m;
}

#define EQ_RUN_V4(m, g) eq_run_v4(e, nl, in, out, n, band, m, g)

void eq_process_lanes(struct eq *const *e, unsigned nl, const float *const *in,
		      float *const *out, uint32_t n)
{
	int band[EQ_BANDS], m = nl > 1 ? eq_lanes_steady(e, nl, band) : -1;
	if (m < 1) {
		for (unsigned l = 0; l < nl; l++)
			eq_process(e[l], in[l], out[l], n);
		return;
	}
	if (nl == 2 && m > 1 && n >= (uint32_t)m) {
		/* two lanes: each one's bands as a pipeline, the two side by side (a vector of
		 * lanes would run their three bands one after the other, bound by issue) */
		m == 2 ? eq_run_wf(e, in, out, n, band, 2, 2) : eq_run_wf(e, in, out, n, band, 3, 2);
		return;
	}
	unsigned g = (nl + 3) / 4;
	if (g == 1)
		m == 1 ? EQ_RUN_V4(1, 1) : m == 2 ? EQ_RUN_V4(2, 1) : EQ_RUN_V4(3, 1);
	else
		m == 1 ? EQ_RUN_V4(1, 2) : m == 2 ? EQ_RUN_V4(2, 2) : EQ_RUN_V4(3, 2);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_ADAPTERS(eq)

static void eq_stage_set(void *st, unsigned idx, float v)
{
	struct eq *e = st;
	switch (P_EQ_ENABLE + (int)idx) {
	case P_EQ_ENABLE: eq_set_enable(e, v != 0.0f); return;
	case P_EQ_LOW_ENABLE: e->band_on[EQ_LOW] = v != 0.0f; eq_update_band(e, EQ_LOW); return;
	case P_EQ_LOW_GAIN: e->gain[EQ_LOW] = v; eq_update_band(e, EQ_LOW); return;
	case P_EQ_LOW_FREQ: e->hz[EQ_LOW] = v; eq_update_band(e, EQ_LOW); return;
	case P_EQ_MID_ENABLE: e->band_on[EQ_MID] = v != 0.0f; eq_update_band(e, EQ_MID); return;
	case P_EQ_MID_GAIN: e->gain[EQ_MID] = v; eq_update_band(e, EQ_MID); return;
	case P_EQ_MID_FREQ: e->hz[EQ_MID] = v; eq_update_band(e, EQ_MID); return;
	case P_EQ_MID_Q: e->q[EQ_MID] = v; eq_update_band(e, EQ_MID); return;
	case P_EQ_HIGH_ENABLE: e->band_on[EQ_HIGH] = v != 0.0f; eq_update_band(e, EQ_HIGH); return;
	case P_EQ_HIGH_GAIN: e->gain[EQ_HIGH] = v; eq_update_band(e, EQ_HIGH); return;
	case P_EQ_HIGH_FREQ: e->hz[EQ_HIGH] = v; eq_update_band(e, EQ_HIGH); return;
	default: return;
	}
}

STAGE_LANES_ADAPTER(eq_stage_lanes, eq, eq_process_lanes)

const struct stage_desc eq_stage = {
	.name = "eq", .label = "EQ (low shelf, bell, high shelf)", .first = P_EQ_ENABLE,
	.last = P_EQ_HIGH_FREQ, .init = eq_stage_init, .reset = eq_stage_reset,
	.set = eq_stage_set, .process_lanes = eq_stage_lanes, .idle = eq_stage_idle,
};
