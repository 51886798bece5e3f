/* Independent references for true-peak work (tests and bench/lim-overshoot): a 16x
 * Kaiser-windowed sinc interpolator, far finer than BS.1770's 4x meter, and a band-limiting
 * FIR for test noise. Double precision, slow, never in the product. */
#ifndef CHANSTRIP_REFPEAK_H
#define CHANSTRIP_REFPEAK_H

#include <stddef.h>

/* Modified Bessel function of the first kind, order 0 (the Kaiser window's). */
double ref_bessel_i0(double x);

/* Largest |value| of the band-limited waveform through x[0..n), at 16 points per sample. */
double ref_true_peak(const float *x, size_t n);

/* y = w through a 201-tap Kaiser-windowed (beta 8) sinc low-pass at fc_norm (cycles per
 * sample); y and w are n samples and must not overlap. */
void ref_lowpass201(const float *w, float *y, size_t n, double fc_norm);

#endif
