/* tone_util.h: spectra and test signals for the tone stages' tests (EQ, enhancer, air, hum):
 * a radix-2 FFT with a Blackman-Harris window (sidelobes below -92 dB), band powers, and
 * pink noise. Double precision throughout; header-only, so each test takes what it uses. */
#ifndef CHANSTRIP_TONE_UTIL_H
#define CHANSTRIP_TONE_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* In-place complex FFT, n a power of two. */
static inline void tone_fft(double *re, double *im, size_t n)
{
	for (size_t i = 1, j = 0; i < n; i++) {
		size_t bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double t = re[i]; re[i] = re[j]; re[j] = t;
			t = im[i]; im[i] = im[j]; im[j] = t;
		}
	}
	for (size_t len = 2; len <= n; len <<= 1) {
		double ang = -2.0 * M_PI / (double)len;
		for (size_t i = 0; i < n; i += len)
			for (size_t k = 0; k < len / 2; k++) {
				double wr = cos(ang * (double)k), wi = sin(ang * (double)k);
				double *ur = re + i + k, *ui = im + i + k;
				double vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
				double vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
				re[i + k + len / 2] = *ur - vr;
				im[i + k + len / 2] = *ui - vi;
				*ur += vr;
				*ui += vi;
			}
	}
}

/* Power spectrum of x[0..n) (n a power of two) through a 4-term Blackman-Harris window:
 * pw[k] for k = 0 .. n/2, bin k at k fs / n. pw must hold n/2 + 1 values. */
static inline void tone_spectrum(const float *x, size_t n, double *pw)
{
	double *re = calloc(n, sizeof(double)), *im = calloc(n, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		double t = 2.0 * M_PI * (double)i / (double)n;
		double w = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
		re[i] = w * x[i];
	}
	tone_fft(re, im, n);
	for (size_t k = 0; k <= n / 2; k++)
		pw[k] = re[k] * re[k] + im[k] * im[k];
	free(re);
	free(im);
}

/* Sum of pw over the bins from lo_hz to hi_hz. */
static inline double tone_band(const double *pw, size_t n, double fs, double lo_hz, double hi_hz)
{
	double s = 0.0;
	for (size_t k = (size_t)ceil(lo_hz * n / fs); k <= n / 2 && (double)k * fs / n <= hi_hz; k++)
		s += pw[k];
	return s;
}

/* Welch: band power of x averaged over segments of seg samples (power of two, 50% overlap). */
static inline double tone_welch_band(const float *x, size_t n, size_t seg, double fs, double lo_hz,
				     double hi_hz)
{
	double *pw = malloc((seg / 2 + 1) * sizeof(double)), s = 0.0;
	size_t m = 0;
	for (size_t off = 0; off + seg <= n; off += seg / 2, m++) {
		tone_spectrum(x + off, seg, pw);
		s += tone_band(pw, seg, fs, lo_hz, hi_hz);
	}
	free(pw);
	return m ? s / (double)m : 0.0;
}

/* Pink noise (Paul Kellet's refined filter on white noise: -3 dB/octave within 0.05 dB from
 * 9.2 Hz to Nyquist at 44.1 kHz), scaled to RMS rms, reproducible from seed. */
static inline void tone_pink(float *x, size_t n, double rms, uint32_t seed)
{
	double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, ss = 0;
	uint32_t r = seed * 2654435761u + 1u;
	for (size_t i = 0; i < n; i++) {
		r = r * 1664525u + 1013904223u;
		double w = ((double)(r >> 8) / 16777216.0) * 2.0 - 1.0;
		b0 = 0.99886 * b0 + w * 0.0555179;
		b1 = 0.99332 * b1 + w * 0.0750759;
		b2 = 0.96900 * b2 + w * 0.1538520;
		b3 = 0.86650 * b3 + w * 0.3104856;
		b4 = 0.55000 * b4 + w * 0.5329522;
		b5 = -0.7616 * b5 - w * 0.0168980;
		double p = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
		b6 = w * 0.115926;
		x[i] = (float)p;
		ss += p * p;
	}
	double g = rms / sqrt(ss / (double)n);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] * g);
}

#endif
