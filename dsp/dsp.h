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

/* Sample rates the DSP is designed and tested for (Hz). */
#define DSP_FS_MIN 22050.0f
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

/* One-pole coefficient for a time constant: a step reaches 1 - 1/e after tau seconds.
 * alpha = exp(-1 / (tau * fs)), the definition used by Giannoulis, Massberg and Reiss. */
static inline float dsp_tau_coef(float tau_s, float fs)
{
	if (!(tau_s > 0.0f))
		return 0.0f;
	return expf(-1.0f / (tau_s * fs));
}

#endif
