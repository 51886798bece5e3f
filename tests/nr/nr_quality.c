#include "nr_quality.h"

#include <ebur128.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double nrq_uniform(uint32_t *r)
{
	*r = *r * 1664525u + 1013904223u;
	return ((double)(*r >> 8) + 0.5) / 16777216.0;
}

static double nrq_gauss(uint32_t *r)
{
	double u = nrq_uniform(r), v = nrq_uniform(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* two-pole resonator at f_hz with bandwidth bw_hz, unity gain at its peak (roughly) */
struct reson {
	double b0, a1, a2, y1, y2;
};

static void reson_set(struct reson *r, double f_hz, double bw_hz, double fs)
{
	double rad = exp(-M_PI * bw_hz / fs);
	r->a1 = 2.0 * rad * cos(2.0 * M_PI * f_hz / fs);
	r->a2 = -rad * rad;
	r->b0 = 1.0 - rad;
}

static double reson_run(struct reson *r, double x)
{
	double y = r->b0 * x + r->a1 * r->y1 + r->a2 * r->y2;
	r->y2 = r->y1, r->y1 = y;
	return y;
}

/* The speech: syllables with moving formants and pitch, pauses of exact silence. */
static void nrq_speech(float *x, size_t n, double fs, size_t onset, uint32_t seed)
{
	static const double f1[] = {300, 500, 700, 400, 650, 350}, f2[] = {2200, 1700, 1200, 900,
									1000, 1900};
	uint32_t r = seed;
	struct reson fr[3] = {{0}};
	double phase = 0.0, hmax = fs / 2.0 < 5000.0 ? fs / 2.0 * 0.9 : 5000.0;
	size_t i = onset;
	while (i < n) {
		size_t syl = (size_t)((0.18 + 0.17 * nrq_uniform(&r)) * fs);
		size_t gap = (size_t)((0.12 + 0.48 * nrq_uniform(&r)) * fs);
		size_t ramp = (size_t)(0.02 * fs);
		unsigned v = (unsigned)(nrq_uniform(&r) * 6.0) % 6;
		double f0b = 105.0 + 60.0 * nrq_uniform(&r);
		reson_set(&fr[0], f1[v], 80, fs);
		reson_set(&fr[1], f2[v], 110, fs);
		reson_set(&fr[2], 2700 < fs * 0.45 ? 2700 : fs * 0.4, 160, fs);
		for (size_t k = 0; k < syl && i < n; k++, i++) {
			double t = (double)k / fs, f0 = f0b * (1.0 + 0.08 * sin(2 * M_PI * 3.0 * t));
			phase += f0 / fs;
			phase -= floor(phase);
			double src = 0.0;
			for (unsigned h = 1; h * f0 < hmax; h++)
				src += sin(2.0 * M_PI * h * phase) / h;
			double y = reson_run(&fr[0], src) * 3.0 + reson_run(&fr[1], src) * 2.0 +
				   reson_run(&fr[2], src);
			double env = 1.0;
			if (k < ramp)
				env = 0.5 - 0.5 * cos(M_PI * (double)k / ramp);
			else if (syl - k <= ramp)
				env = 0.5 - 0.5 * cos(M_PI * (double)(syl - k) / ramp);
			x[i] = (float)(y * env);
		}
		for (size_t k = 0; k < gap && i < n; k++, i++)
			x[i] = 0.0f;
	}
}

static void nrq_pink(float *x, size_t n, uint32_t seed)
{
	uint32_t r = seed;
	double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
	for (size_t i = 0; i < n; i++) { /* Paul Kellet's refined pink filter */
		double w = nrq_gauss(&r);
		b0 = 0.99886 * b0 + w * 0.0555179;
		b1 = 0.99332 * b1 + w * 0.0750759;
		b2 = 0.96900 * b2 + w * 0.1538520;
		b3 = 0.86650 * b3 + w * 0.3104856;
		b4 = 0.55000 * b4 + w * 0.5329522;
		b5 = -0.7616 * b5 - w * 0.0168980;
		x[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
		b6 = w * 0.115926;
	}
}

static void nrq_fan(float *x, size_t n, double fs, uint32_t seed)
{
	uint32_t r = seed;
	struct reson blade = {0}, blade2 = {0};
	reson_set(&blade, 95.0, 12.0, fs);
	reson_set(&blade2, 190.0, 20.0, fs);
	double lp = 0.0, a = exp(-2.0 * M_PI * 300.0 / fs);
	for (size_t i = 0; i < n; i++) {
		double w = nrq_gauss(&r);
		lp = a * lp + (1.0 - a) * w;
		x[i] = (float)(4.0 * lp + 6.0 * reson_run(&blade, w) + 3.0 * reson_run(&blade2, w) +
			       0.08 * w);
	}
}

static double nrq_power(const float *x, size_t n, int active_only)
{
	double s = 0.0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!active_only || x[i] != 0.0f)
			s += (double)x[i] * x[i], k++;
	return k ? s / (double)k : 0.0;
}

int nrq_make(struct nrq_signal *s, double fs, double seconds, double lead_s,
	     enum nrq_noise kind, double snr_db, uint32_t seed)
{
	memset(s, 0, sizeof(*s));
	s->fs = fs;
	s->n = (size_t)(seconds * fs);
	s->onset = (size_t)(lead_s * fs);
	s->clean = calloc(s->n, sizeof(float));
	s->noise = calloc(s->n, sizeof(float));
	s->noisy = calloc(s->n, sizeof(float));
	if (!s->clean || !s->noise || !s->noisy) {
		nrq_free(s);
		return -1;
	}
	nrq_speech(s->clean, s->n, fs, s->onset, seed);
	if (kind == NRQ_PINK)
		nrq_pink(s->noise, s->n, seed * 7u + 1u);
	else
		nrq_fan(s->noise, s->n, fs, seed * 7u + 1u);
	/* active speech at -20 dBFS, the noise snr_db below it */
	double ps = nrq_power(s->clean, s->n, 1), pn = nrq_power(s->noise, s->n, 0);
	double gs = sqrt(0.01 / ps), gn = sqrt(0.01 * pow(10.0, -snr_db / 10.0) / pn);
	for (size_t i = 0; i < s->n; i++) {
		s->clean[i] = (float)(s->clean[i] * gs);
		s->noise[i] = (float)(s->noise[i] * gn);
		s->noisy[i] = s->clean[i] + s->noise[i];
	}
	return 0;
}

void nrq_free(struct nrq_signal *s)
{
	free(s->clean);
	free(s->noise);
	free(s->noisy);
	s->clean = s->noise = s->noisy = NULL;
}

const char *nrq_noise_name(enum nrq_noise kind) { return kind == NRQ_PINK ? "pink" : "fan"; }

/* ---- measures -------------------------------------------------------------------------- */

struct nrq_dft {
	size_t len, k0, k1; /* frame length, bins k0..k1 */
	double *cs, *sn, *win;
};

static int nrq_dft_init(struct nrq_dft *d, double fs, size_t len, double lo_hz, double hi_hz)
{
	d->len = len;
	hi_hz = hi_hz < 0.45 * fs ? hi_hz : 0.45 * fs;
	d->k0 = (size_t)ceil(lo_hz * len / fs);
	d->k1 = (size_t)floor(hi_hz * len / fs);
	d->cs = malloc(sizeof(double) * len);
	d->sn = malloc(sizeof(double) * len);
	d->win = malloc(sizeof(double) * len);
	if (!d->cs || !d->sn || !d->win)
		return -1;
	for (size_t m = 0; m < len; m++) {
		d->cs[m] = cos(2.0 * M_PI * m / len);
		d->sn[m] = sin(2.0 * M_PI * m / len);
		d->win[m] = 0.5 - 0.5 * cos(2.0 * M_PI * (m + 0.5) / len);
	}
	return 0;
}

static void nrq_dft_free(struct nrq_dft *d)
{
	free(d->cs);
	free(d->sn);
	free(d->win);
}

/* |X(k)|^2 of the Hann-windowed frame for k = k0..k1 into pw[0..] */
static void nrq_dft_power(const struct nrq_dft *d, const float *x, double *pw)
{
	for (size_t k = d->k0; k <= d->k1; k++) {
		double re = 0.0, im = 0.0;
		size_t m = 0;
		for (size_t i = 0; i < d->len; i++) {
			double v = x[i] * d->win[i];
			re += v * d->cs[m];
			im -= v * d->sn[m];
			m += k;
			m = m >= d->len ? m - d->len : m;
		}
		pw[k - d->k0] = re * re + im * im;
	}
}

static double nrq_loudness(const float *x, size_t n, double fs)
{
	ebur128_state *st = ebur128_init(1, (unsigned long)fs, EBUR128_MODE_I);
	double l = -HUGE_VAL;
	if (!st)
		return NAN;
	if (ebur128_add_frames_float(st, x, n) != EBUR128_SUCCESS ||
	    ebur128_loudness_global(st, &l) != EBUR128_SUCCESS)
		l = NAN;
	ebur128_destroy(&st);
	return l;
}

static double nrq_band_db(const struct nrq_dft *d, const float *x, double *pw)
{
	nrq_dft_power(d, x, pw);
	double s = 1e-30;
	for (size_t k = 0; k <= d->k1 - d->k0; k++)
		s += pw[k];
	return 10.0 * log10(s);
}

/* Std dev over the pause frames of each bin's log power, averaged over the bins. */
static double nrq_musical(const struct nrq_dft *d, const float *x, const size_t *frames,
			  unsigned nf, double *pw)
{
	size_t nb = d->k1 - d->k0 + 1;
	double *s1 = calloc(nb, sizeof(double)), *s2 = calloc(nb, sizeof(double)), acc = 0.0;
	if (!s1 || !s2 || nf < 2) {
		free(s1), free(s2);
		return NAN;
	}
	for (unsigned f = 0; f < nf; f++) {
		nrq_dft_power(d, x + frames[f], pw);
		for (size_t k = 0; k < nb; k++) {
			double l = 10.0 * log10(pw[k] + 1e-30);
			s1[k] += l, s2[k] += l * l;
		}
	}
	for (size_t k = 0; k < nb; k++) {
		double m = s1[k] / nf, v = s2[k] / nf - m * m;
		acc += sqrt(v > 0.0 ? v : 0.0);
	}
	free(s1), free(s2);
	return acc / (double)nb;
}

static int nrq_is_pause(const float *x, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (x[i] != 0.0f)
			return 0;
	return 1;
}

/* A pause frame: silence in the clean speech from NRQ_GUARD_S before it to NRQ_GUARD_S after
 * it, so the tail any frame-based suppressor smears past a syllable's end (its frame
 * length) is not taken for residual noise. */
#define NRQ_GUARD_S 0.03

static int nrq_pause_at(const struct nrq_signal *s, size_t i, size_t fl)
{
	size_t g = (size_t)(NRQ_GUARD_S * s->fs);
	if (i < g || i + fl + g > s->n)
		return 0;
	return nrq_is_pause(s->clean + i - g, fl + 2 * g);
}

int nrq_measure(const struct nrq_signal *s, const float *out, size_t lag, size_t from,
		size_t to, struct nrq_result *r)
{
	size_t fl = (size_t)lround(0.02 * s->fs);
	struct nrq_dft band, mus;
	memset(r, 0, sizeof(*r));
	to = to + lag > s->n ? s->n - lag : to;
	size_t maxf = (to - from) / fl + 1;
	size_t *pause = malloc(sizeof(size_t) * maxf), *opause = malloc(sizeof(size_t) * maxf);
	double *pw = malloc(sizeof(double) * fl);
	if (!pause || !opause || !pw || nrq_dft_init(&band, s->fs, fl, 200, 4000) ||
	    nrq_dft_init(&mus, s->fs, fl, 200, 8000))
		return -1;
	double act = nrq_power(s->clean + from, to - from, 1), pin = 0.0, pout = 0.0, dv = 0.0;
	for (size_t i = from; i + fl <= to; i += fl) {
		if (nrq_pause_at(s, i, fl)) {
			pin += nrq_power(s->noisy + i, fl, 0);
			pout += nrq_power(out + i + lag, fl, 0);
			pause[r->n_pause] = i;
			opause[r->n_pause++] = i + lag;
		} else if (!nrq_is_pause(s->clean + i, fl) &&
			   nrq_power(s->clean + i, fl, 0) > 0.1 * act) {
			dv += nrq_band_db(&band, out + i + lag, pw) - nrq_band_db(&band, s->clean + i, pw);
			r->n_voiced++;
		}
	}
	r->pause_drop_db = 10.0 * log10(pin / (pout + 1e-30));
	r->voiced_change_db = r->n_voiced ? dv / r->n_voiced : NAN;
	r->loud_change_lu = nrq_loudness(out + from + lag, to - from, s->fs) -
			    nrq_loudness(s->clean + from, to - from, s->fs);
	r->mus_in_db = nrq_musical(&mus, s->noisy, pause, r->n_pause, pw);
	r->mus_out_db = nrq_musical(&mus, out, opause, r->n_pause, pw);
	nrq_dft_free(&band);
	nrq_dft_free(&mus);
	free(pause), free(opause), free(pw);
	return isfinite(r->loud_change_lu) ? 0 : -1;
}

size_t nrq_find_lag(const struct nrq_signal *s, const float *out, size_t max_lag)
{
	size_t best = 0;
	double bc = -HUGE_VAL;
	for (size_t lag = 0; lag <= max_lag; lag++) {
		double c = 0.0;
		for (size_t i = s->onset; i + lag < s->n; i += 3)
			c += (double)s->clean[i] * out[i + lag];
		if (c > bc)
			bc = c, best = lag;
	}
	return best;
}
