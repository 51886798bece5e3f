/* testutil.h: signals and measurements shared by the unit tests. All double precision, so
 * the measurement is never the limit on what a test can check. */
#ifndef CHANSTRIP_TESTUTIL_H
#define CHANSTRIP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"

/* buf[i] = amp * sin(2*pi*freq_hz*i/fs + phase_rad) */
void tu_sine(float *buf, size_t n, double amp, double freq_hz, double fs, double phase_rad);
/* Uniform white noise in [-amp, amp], reproducible from seed. */
void tu_noise(float *buf, size_t n, double amp, uint32_t seed);
/* Noise of peak 0.5 in bursts: every third 3000-sample stretch scaled by quiet_gain, so the
 * dynamics stages open, close, attack and release. Reproducible from seed. */
void tu_burst_noise(float *buf, size_t n, uint32_t seed, float quiet_gain);
double tu_rms(const float *buf, size_t n);
double tu_peak(const float *buf, size_t n);
double tu_mean(const float *buf, size_t n);
/* Amplitude of the sinusoid at freq_hz in buf (single-bin DFT; exact when buf holds a whole
 * number of cycles). */
double tu_tone_amp(const float *buf, size_t n, double freq_hz, double fs);
double tu_db(double linear); /* 20*log10, -400 for 0 */
/* 1 if x is subnormal, NaN or Inf: state a recursive filter must never hold. */
int tu_bad_value(float x);
/* 1 if any value is subnormal, NaN or Inf. */
int tu_bad_float(const float *buf, size_t n);
/* Run fn-style processing in blocks of `block` (last one shorter). */
typedef void (*tu_process_fn)(void *ctx, const float *in, float *out, uint32_t n);
void tu_run_blocks(tu_process_fn fn, void *ctx, const float *in, float *out, size_t n,
		   uint32_t block);

/* Run fn over n samples in blocks of pseudo-random length 1..max_block (all 1 when
 * max_block == 1), continuing the LCG in *seed: the block-split invariance tests. */
void tu_run_random_blocks(tu_process_fn fn, void *ctx, const float *in, float *out, size_t n,
			  uint32_t max_block, uint32_t *seed);

/* The tests' linear congruential generator: next value (24 bits) from *r. */
uint32_t tu_lcg(uint32_t *r);
/* Uniform in [lo, hi), from the same generator. */
float tu_uniform(uint32_t *r, float lo, float hi);
/* A random value parameter id allows (param_check passes); enables lean on, so every stage
 * runs. */
float tu_random_param(enum param_id id, uint32_t *r);
/* n samples for channel c: burst noise at a level of its own, NaN or -Inf now and then. */
void tu_lane_signal(float *x, uint32_t n, unsigned c, uint32_t *r);
/* Run a Check suite; the process exit status (EXIT_SUCCESS only if every test passed). */
struct Suite;
int tu_run_suite(struct Suite *su);
/* A mono 16-bit PCM WAV file: malloc()ed samples (free them), their count and rate; NULL if
 * it cannot be read. */
float *tu_read_wav16(const char *path, size_t *n_out, unsigned *fs_out);

#endif
