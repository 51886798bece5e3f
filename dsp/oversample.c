#include "oversample.h"

#include <math.h>
#include <string.h>

#include "vec.h"

/* Half-band orders (4m - 1 taps) and Kaiser betas of the FIR stages 2 and 3: they pass
 * 0..0.4550 fs flat and reject the images of stage 1's output around 2 fs and 4 fs. */
static const uint32_t os_stage_m[OS_MAX_STAGES] = {0, 5, 3};
static const double os_stage_beta[OS_MAX_STAGES] = {0.0, 7.8, 7.8};

/* IIR half-bands: sections and transition width (of 2 fs) of the low-latency and the
 * 2/4/8x designs (see oversample.h). */
#define OS_IIR_TBW 0.045
static const uint32_t os_iir_n[2] = {5, 8};

/* Zeroth-order modified Bessel function, power series (converges fast for beta < 20). */
static double bessel_i0(double x)
{
	double sum = 1.0, term = 1.0, q = x * x / 4.0;
	for (int k = 1; k < 50; k++) {
		term *= q / ((double)k * (double)k);
		sum += term;
		if (term < 1e-17 * sum)
			break;
	}
	return sum;
}

static void os_design(struct os_stage *s, uint32_t m, double beta)
{
	double h[OS_MAX_TAPS];
	double sum = 0.0;
	int d = (int)(2 * m - 1);
	s->m = m;
	for (uint32_t p = 0; p < 2 * m; p++) {
		int j = 2 * (int)p - d; /* odd offsets from the centre tap */
		double r = (double)j / (double)(2 * m);
		double w = bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
		h[p] = sin(M_PI * j / 2.0) / (M_PI * j) * w;
		sum += h[p];
	}
	/* unity DC gain exactly: centre tap 0.5 plus the odd taps summing to 0.5 */
	for (uint32_t p = 0; p < 2 * m; p++) {
		s->dn_c[p] = (float)(h[p] * 0.5 / sum);
		s->up_c[p] = (float)(h[p] / sum);
	}
}

/* Theta-function sums of the elliptic half-band design (hiir's PolyphaseIir2Designer). */
static double iir_sum_num(double q, int order, int c)
{
	double acc = 0.0, t;
	int i = 0, sgn = 1;
	do {
		t = pow(q, (double)(i * (i + 1))) * sin((2 * i + 1) * c * M_PI / order) * sgn;
		acc += t;
		sgn = -sgn;
		i++;
	} while (fabs(t) > 1e-100 && i < 100);
	return acc;
}

static double iir_sum_den(double q, int order, int c)
{
	double acc = 0.0, t;
	int i = 1, sgn = -1;
	do {
		t = pow(q, (double)(i * i)) * cos(2 * i * c * M_PI / order) * sgn;
		acc += t;
		sgn = -sgn;
		i++;
	} while (fabs(t) > 1e-100 && i < 100);
	return acc;
}

/* n allpass coefficients for a transition band tbw (of the top rate) wide around a quarter
 * of the top rate, and the group delay at DC: a section (c + z^-1)/(1 + c z^-1) at the
 * base rate delays DC by (1 - c)/(1 + c) samples; chain 1 one top-rate sample more; the pair
 * averages its two chains; up and down add. */
static void os_design_iir(struct os_iir_coef *h, uint32_t n, double tbw)
{
	double k = tan((1.0 - 2.0 * tbw) * M_PI / 4.0);
	k *= k;
	double kk = pow(1.0 - k * k, 0.25);
	double e = 0.5 * (1.0 - kk) / (1.0 + kk), e4 = e * e * e * e;
	double q = e * (1.0 + e4 * (2.0 + e4 * (15.0 + 150.0 * e4)));
	int order = (int)(2 * n + 1);
	double d[2] = {0.0, 0.5}; /* chains' delays, base-rate samples */
	h->n = n;
	for (uint32_t i = 0; i < n; i++) {
		double ww = iir_sum_num(q, order, (int)i + 1) * pow(q, 0.25) /
			    (iir_sum_den(q, order, (int)i + 1) + 0.5);
		double w2 = ww * ww;
		double x = sqrt((1.0 - w2 * k) * (1.0 - w2 / k)) / (1.0 + w2);
		double c = (1.0 - x) / (1.0 + x);
		h->c[i] = (float)c;
		d[i % 2] += (1.0 - c) / (1.0 + c);
	}
	/* (d0 + d1) / 2 each way, less one top-rate sample: the decimator's output i is the
	 * filter's output at top-rate time 2i + 1 */
	h->delay = d[0] + d[1] - 0.5;
}

void os_init(struct oversampler *o)
{
	memset(o, 0, sizeof(*o));
	for (uint32_t i = 1; i < OS_MAX_STAGES; i++)
		os_design(&o->st[i], os_stage_m[i], os_stage_beta[i]);
	for (uint32_t i = 0; i < 2; i++)
		os_design_iir(&o->iir[i], os_iir_n[i], OS_IIR_TBW);
	os_set_factor(o, 1);
}

/* Delay of up+down of the FIR stages in top-rate samples. */
static uint32_t os_fir_delay_top(uint32_t factor)
{
	uint32_t d = 0;
	for (uint32_t s = 2, r = 4; r <= factor; s++, r *= 2)
		d += 2u * (2u * os_stage_m[s - 1] - 1u) * (factor / r);
	return d;
}

static double os_mode_delay(const struct oversampler *o, uint32_t mode)
{
	uint32_t f = mode & 0xffu;
	if (f != 2 && f != 4 && f != 8)
		return 0.0;
	const struct os_iir_coef *h = &o->iir[(mode & OS_LOWLAT) && f == 2 ? 0 : 1];
	return h->delay + (double)os_fir_delay_top(f) / (double)f;
}

void os_reset(struct oversampler *o)
{
	for (uint32_t i = 1; i < OS_MAX_STAGES; i++) {
		struct os_stage *s = &o->st[i];
		memset(s->up_hist, 0, sizeof(s->up_hist));
		memset(s->dn_even, 0, sizeof(s->dn_even));
		memset(s->dn_odd, 0, sizeof(s->dn_odd));
	}
	memset(&o->up, 0, sizeof(o->up));
	memset(&o->dn, 0, sizeof(o->dn));
}

static float os_flush_tiny(float x) { return fabsf(x) >= 1e-20f && fabsf(x) <= 3e38f ? x : 0.0f; }

void os_flush(struct oversampler *o)
{
	for (uint32_t i = 0; i < OS_IIR_MAX; i++) {
		o->up.x1[i] = os_flush_tiny(o->up.x1[i]);
		o->up.y1[i] = os_flush_tiny(o->up.y1[i]);
		o->dn.x1[i] = os_flush_tiny(o->dn.x1[i]);
		o->dn.y1[i] = os_flush_tiny(o->dn.y1[i]);
	}
}

void os_set_factor(struct oversampler *o, uint32_t mode)
{
	uint32_t factor = mode & 0xffu;
	if (factor != 2 && factor != 4 && factor != 8)
		factor = 1;
	o->factor = factor;
	o->mode = factor == 2 ? (mode & (OS_LOWLAT | 0xffu)) : factor;
	o->nstages = factor == 8 ? 3 : factor == 4 ? 2 : factor == 2 ? 1 : 0;
	o->hb = (o->mode & OS_LOWLAT) ? 0 : 1;
	o->delay = os_mode_delay(o, o->mode);
	os_reset(o);
}

double os_delay(const struct oversampler *o) { return o->delay; }

/* The IIR half-band's two chains over a block, N sections (os_iir_tick): chain 0 on
 * x[2i + 1] going down, chain 1 on x[2i]; both on x[i] going up. up: y[2i] = chain 0,
 * y[2i + 1] = chain 1; down: y[i] = (chain 0 + chain 1) / 2, then the post filter pc if any. */
static inline __attribute__((always_inline)) void
os_iir_block(const struct os_iir_coef *h, struct os_iir_state *st, const float *in, float *out,
	     uint32_t n, const uint32_t N, const int down, const struct biquad_coef *pc,
	     struct biquad_state *ps)
{
	struct os_iir_regs r;
	const struct biquad_coef bc = pc ? *pc : (struct biquad_coef){0};
	struct biquad_state bs = ps ? *ps : (struct biquad_state){0};
	os_iir_regs_load(&r, h, st, N);
	for (uint32_t i = 0; i < n; i++) {
		dsp_v4f w = down ? (dsp_v4f){in[2 * i + 1], in[2 * i], 0.0f, 0.0f}
				 : (dsp_v4f){in[i], in[i], 0.0f, 0.0f};
		float u, v;
		os_iir_tick(&r, w, &u, &v, N);
		if (down) {
			float y = 0.5f * (u + v);
			if (pc) { /* the post filter, reassociated as OS_AP is */
				float yb = bc.b0 * y + bs.z1;
				bs.z1 = (bc.b1 * y + bs.z2) - bc.a1 * yb;
				bs.z2 = bc.b2 * y - bc.a2 * yb;
				y = yb;
			}
			out[i] = y;
		} else {
			out[2 * i] = u;
			out[2 * i + 1] = v;
		}
	}
	os_iir_regs_store(&r, st, N);
	if (ps)
		*ps = bs;
}

/* 2x interpolation: both chains see every input (H(z) = A(z^2) + z^-1 B(z^2), gain 2 on the
 * zero-stuffed signal). */
static void os_iir_up(const struct os_iir_coef *h, struct os_iir_state *s, const float *in,
		      float *out, uint32_t n)
{
	if (h->n == 5)
		os_iir_block(h, s, in, out, n, 5, 0, NULL, NULL);
	else
		os_iir_block(h, s, in, out, n, 8, 0, NULL, NULL);
}

/* 2x decimation: y[i] = (A(x[2i + 1]) + B(x[2i])) / 2, the same H(z) / 2. */
static void os_iir_down(const struct os_iir_coef *h, struct os_iir_state *s, const float *in,
			float *out, uint32_t n, const struct biquad_coef *pc, struct biquad_state *ps)
{
	if (h->n == 5 && pc)
		os_iir_block(h, s, in, out, n, 5, 1, pc, ps);
	else if (h->n == 5)
		os_iir_block(h, s, in, out, n, 5, 1, NULL, NULL);
	else if (pc)
		os_iir_block(h, s, in, out, n, 8, 1, pc, ps);
	else
		os_iir_block(h, s, in, out, n, 8, 1, NULL, NULL);
}

/* One 2x FIR interpolation stage: n in, 2n out. Even outputs come from the FIR branch, odd
 * ones are the input delayed to the centre tap (the half-band's only non-zero even tap). */
static void os_stage_up(struct os_stage *s, const float *in, float *out, uint32_t n)
{
	const uint32_t t = 2 * s->m, m = s->m;
	float *h = s->up_hist;
	memcpy(h + t - 1, in, n * sizeof(float));
	for (uint32_t i = 0; i < n; i++) {
		const float *x = h + i + t - 1; /* x[0] is the newest input, x[-p] older ones */
		float acc = 0.0f;
		for (uint32_t p = 0; p < t; p++)
			acc += s->up_c[p] * x[-(int32_t)p];
		out[2 * i] = acc;
		out[2 * i + 1] = x[-(int32_t)(m - 1)];
	}
	memmove(h, h + n, (t - 1) * sizeof(float));
}

/* One 2x FIR half-band decimation stage: 2n in, n out. */
static void os_stage_down(struct os_stage *s, const float *in, float *out, uint32_t n)
{
	const uint32_t t = 2 * s->m, m = s->m;
	float *e = s->dn_even, *od = s->dn_odd;
	for (uint32_t i = 0; i < n; i++) {
		e[t - 1 + i] = in[2 * i];
		od[t - 1 + i] = in[2 * i + 1];
	}
	for (uint32_t i = 0; i < n; i++) {
		const float *x = e + i + t - 1;
		float acc = 0.0f;
		for (uint32_t p = 0; p < t; p++)
			acc += s->dn_c[p] * x[-(int32_t)p];
		out[i] = acc + 0.5f * od[i + t - 1 - m];
	}
	memmove(e, e + n, (t - 1) * sizeof(float));
	memmove(od, od + n, (t - 1) * sizeof(float));
}

const float *os_up_fir(struct oversampler *o, uint32_t n)
{
	const float *src = o->tmp[0];
	uint32_t len = 2 * n;
	int b = 1;
	for (uint32_t s = 1; s < o->nstages; s++) {
		os_stage_up(&o->st[s], src, o->tmp[b], len);
		src = o->tmp[b];
		b ^= 1;
		len *= 2;
	}
	return src;
}

const float *os_up(struct oversampler *o, const float *in, uint32_t n)
{
	if (o->factor == 1)
		return in;
	os_iir_up(&o->iir[o->hb], &o->up, in, o->tmp[0], n);
	return os_up_fir(o, n);
}

void os_down(struct oversampler *o, const float *in, float *out, uint32_t n)
{
	os_down_filter(o, in, out, n, NULL, NULL);
}

const float *os_down_fir(struct oversampler *o, const float *in, uint32_t n)
{
	const float *src = in;
	uint32_t len = n * o->factor / 2; /* outputs of the top stage */
	int b = 0;
	for (uint32_t s = o->nstages; s-- > 1;) {
		os_stage_down(&o->st[s], src, o->tmp[b], len);
		src = o->tmp[b];
		b ^= 1;
		len /= 2;
	}
	return src;
}

void os_down_filter(struct oversampler *o, const float *in, float *out, uint32_t n,
		    const struct biquad_coef *pc, struct biquad_state *ps)
{
	if (o->factor == 1) {
		if (out != in)
			memcpy(out, in, n * sizeof(float));
		return;
	}
	os_iir_down(&o->iir[o->hb], &o->dn, os_down_fir(o, in, n), out, n, pc, ps);
}
