#include "oversample.h"

#include <math.h>
#include <string.h>

/* Half-band orders per stage (4m - 1 taps) and Kaiser betas. Stage 1 interpolation keeps
 * 0..0.4 fs within +-0.05 dB and rejects images above 0.6 fs; stage 2 only has to reject
 * 2fs-0.6fs.. and stage 3 even less, hence the short filters. */
static const uint32_t os_stage_m[OS_MAX_STAGES] = {12, 5, 3};
static const double os_stage_beta[OS_MAX_STAGES] = {7.8, 7.8, 7.8};

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

/* The final decimator: Kaiser low-pass at 2 fs, -6 dB at 0.225 (of 2 fs), beta 6.76 for
 * 70 dB, transition 0.2 .. 0.25 (0.4 fs .. fs/2). */
static void os_design_dn1(struct os_stage *s)
{
	const double fc = 0.225, beta = 6.76, mid = (OS_DN1_TAPS - 1) / 2.0;
	double h[OS_DN1_TAPS], sum = 0.0;
	for (uint32_t i = 0; i < OS_DN1_TAPS; i++) {
		double t = (double)i - mid, r = t / (mid + 1.0);
		double sinc = t == 0.0 ? 2.0 * fc : sin(2.0 * M_PI * fc * t) / (M_PI * t);
		h[i] = sinc * bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
		sum += h[i];
	}
	for (uint32_t i = 0; i < OS_DN1_TAPS; i++) {
		if (i % 2 == 0)
			s->dn_he[i / 2] = (float)(h[i] / sum);
		else
			s->dn_ho[i / 2] = (float)(h[i] / sum);
	}
	s->sharp = 1;
}

void os_init(struct oversampler *o)
{
	memset(o, 0, sizeof(*o));
	for (uint32_t i = 0; i < OS_MAX_STAGES; i++)
		os_design(&o->st[i], os_stage_m[i], os_stage_beta[i]);
	os_design_dn1(&o->st[0]);
	os_set_factor(o, 1);
}

/* Delay of up+down in top-rate samples for a factor, before padding. */
static uint32_t os_chain_delay_top(uint32_t factor)
{
	uint32_t d = 0;
	for (uint32_t s = 1, r = 2; r <= factor; s++, r *= 2) {
		uint32_t up = 2u * os_stage_m[s - 1] - 1u;
		uint32_t dn = s == 1 ? (OS_DN1_TAPS - 1) / 2 : up;
		d += (up + dn) * (factor / r);
	}
	return d;
}

double os_latency_for(uint32_t factor)
{
	return factor > 1 ? (double)os_chain_delay_top(factor) / (double)factor : 0.0;
}

void os_reset(struct oversampler *o)
{
	for (uint32_t i = 0; i < OS_MAX_STAGES; i++) {
		struct os_stage *s = &o->st[i];
		memset(s->up_hist, 0, sizeof(s->up_hist));
		memset(s->dn_even, 0, sizeof(s->dn_even));
		memset(s->dn_odd, 0, sizeof(s->dn_odd));
	}
	memset(o->pad_hist, 0, sizeof(o->pad_hist));
}

void os_set_factor(struct oversampler *o, uint32_t factor)
{
	if (factor != 2 && factor != 4 && factor != 8)
		factor = 1;
	o->factor = factor;
	o->nstages = factor == 8 ? 3 : factor == 4 ? 2 : factor == 2 ? 1 : 0;
	if (factor > 1) {
		uint32_t d = os_chain_delay_top(factor);
		o->pad = (factor - d % factor) % factor;
		o->latency = (d + o->pad) / factor;
	} else {
		o->pad = 0;
		o->latency = 0;
	}
	os_reset(o);
}

uint32_t os_latency(const struct oversampler *o) { return o->latency; }

/* One 2x interpolation stage: n in, 2n out. Even outputs come from the FIR branch, odd ones
 * are the input delayed to the centre tap (the half-band's only non-zero even tap). */
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

/* The final 2x decimation: a full FIR h split into even taps (on w[2k]) and odd taps (on
 * w[2k - 1]): y[n] = sum_p he[p] w[2(n-p)] + sum_p ho[p] w[2(n-p-1) + 1]. */
static void os_stage_down_sharp(struct os_stage *s, const float *in, float *out, uint32_t n)
{
	const uint32_t ne = (OS_DN1_TAPS + 1) / 2, no = OS_DN1_TAPS / 2;
	float *e = s->dn_even, *od = s->dn_odd;
	for (uint32_t i = 0; i < n; i++) {
		e[ne - 1 + i] = in[2 * i];
		od[no + i] = in[2 * i + 1];
	}
	for (uint32_t i = 0; i < n; i++) {
		const float *xe = e + i + ne - 1, *xo = od + i + no - 1;
		float acc = 0.0f, acc2 = 0.0f;
		for (uint32_t p = 0; p < ne; p++)
			acc += s->dn_he[p] * xe[-(int32_t)p];
		for (uint32_t p = 0; p < no; p++)
			acc2 += s->dn_ho[p] * xo[-(int32_t)p];
		out[i] = acc + acc2;
	}
	memmove(e, e + n, (ne - 1) * sizeof(float));
	memmove(od, od + n, no * sizeof(float));
}

/* One 2x half-band decimation stage: 2n in, n out. */
static void os_stage_down(struct os_stage *s, const float *in, float *out, uint32_t n)
{
	if (s->sharp) {
		os_stage_down_sharp(s, in, out, n);
		return;
	}
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

const float *os_up(struct oversampler *o, const float *in, uint32_t n)
{
	if (o->factor == 1)
		return in;
	const float *src = in;
	uint32_t len = n;
	int b = 0;
	for (uint32_t s = 0; s < o->nstages; s++) {
		os_stage_up(&o->st[s], src, o->tmp[b], len);
		src = o->tmp[b];
		b ^= 1;
		len *= 2;
	}
	if (o->pad) {
		/* pad_hist holds the last `pad` top-rate samples: shift them in front */
		float *dst = o->tmp[b];
		uint32_t pad = o->pad;
		memcpy(dst, o->pad_hist, pad * sizeof(float));
		memcpy(dst + pad, src, (len - pad) * sizeof(float));
		memcpy(o->pad_hist, src + len - pad, pad * sizeof(float));
		src = dst;
	}
	return src;
}

void os_down(struct oversampler *o, const float *in, float *out, uint32_t n)
{
	if (o->factor == 1) {
		if (out != in)
			memcpy(out, in, n * sizeof(float));
		return;
	}
	const float *src = in;
	uint32_t len = n * o->factor / 2; /* outputs of the top stage */
	int b = 0;
	for (uint32_t s = o->nstages; s-- > 0;) {
		float *dst = s == 0 ? out : o->tmp[b];
		os_stage_down(&o->st[s], src, dst, len);
		src = dst;
		b ^= 1;
		len /= 2;
	}
}
