/* dsp.h: constants and small helpers shared by every dsp/ module.
 *
 * dsp/ is pure signal processing: no JACK, liblo, libsndfile or stdio, and nothing in a
 * *_process path allocates, locks, prints or calls the system. */
#ifndef CHANSTRIP_DSP_H
#define CHANSTRIP_DSP_H

#include <math.h>
#include <stdint.h>

/* Every module processes at most this many samples per call; strip_process() cuts host
 * blocks into chunks of this size so per-module buffers can live inside the structs. */
#define DSP_MAX_CHUNK 64u

/* Most channels one *_process_lanes() call takes: what AVX2 holds as floats, and enough
 * independent recursions to keep an out-of-order core busy. */
#define DSP_LANES_MAX 8u

/* Sample rates the DSP is designed and tested for (Hz): from telephone and VoIP recordings
 * (8, 11.025, 16 kHz) up. Every frequency parameter is clamped below Nyquist where a low
 * rate puts its range above it (biquad_design at 0.49 fs, the de-esser band lower still). */
#define DSP_FS_MIN 8000.0f
#define DSP_FS_MAX 384000.0f

/* Level floor reported for silence: finite, never -inf. */
#define DSP_DB_FLOOR (-150.0f)

static inline float dsp_db_to_gain(float db) { return expf(db * 0.11512925464970229f); }

/* 20*log10(g), clamped to DSP_DB_FLOOR so silence gives a finite number. */
static inline float dsp_gain_to_db(float g)
{
	if (!(g > 3.1622776e-8f)) /* 10^(-150/20) */
		return DSP_DB_FLOOR;
	return 20.0f * log10f(g);
}

/* 10*log10(p) for a power (mean square), with the same floor. */
static inline float dsp_power_to_db(float p)
{
	if (!(p > 1e-15f))
		return DSP_DB_FLOOR;
	return 10.0f * log10f(p);
}

/* One-pole coefficients: the one place every module designs one. A one-pole
 * y += (1 - a)(x - y), stepped once every step_samples samples, follows a step to 1 - 1/e of
 * its size in tau: a = exp(-step_samples / (tau * fs)), the definition used by Giannoulis,
 * Massberg and Reiss.
 *
 * Float and double forms are separate functions on purpose: each module's coefficient is
 * the bits its recursion and its tests were built on, and expf of a float argument is not
 * exp of a double one rounded. The float forms serve recursions in float (smoothers, meter);
 * the double ones the gate and compressor, whose smoothers and fixed-point steps are derived
 * in double. */

/* tau_s > 0 in seconds (0 otherwise: no smoothing), fs in Hz, step_samples >= 1. */
static inline float dsp_pole_from_s(float tau_s, float fs, float step_samples)
{
	if (!(tau_s > 0.0f))
		return 0.0f;
	return expf(-step_samples / (tau_s * fs));
}

/* The same for a time constant in milliseconds, stepped every sample. */
static inline float dsp_pole_from_ms(float tau_ms, float fs)
{
	return dsp_pole_from_s(tau_ms * 0.001f, fs, 1.0f);
}

/* In double, tau_ms >= 0 (0 gives 0: no smoothing), stepped every sample. */
static inline double dsp_pole_from_ms_d(double tau_ms, double fs)
{
	return exp(-1.0 / (tau_ms * 1e-3 * fs));
}

/* In double, for a corner frequency fc_hz > 0 instead (tau = 1 / (2 pi fc)): the one-pole
 * low-pass with its -3 dB point near fc for fc << fs. */
static inline double dsp_pole_from_hz_d(double fc_hz, double fs)
{
	return exp(-2.0 * M_PI * fc_hz / fs);
}

#endif
