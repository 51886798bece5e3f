/* truepeak.h: true-peak estimate per ITU-R BS.1770-4 Annex 2.
 *
 * 4x oversampling with the Recommendation's own interpolating filter (48 taps, four phases
 * of 12), reporting the largest |value| of the four interpolated phases. The filter runs at
 * any sample rate unchanged (the table is defined in normalised frequency; above 48 kHz it
 * oversamples by more than the Annex asks for).
 *
 * Real-time safe: truepeak_process() does not allocate, lock or call the system. */
#ifndef CHANSTRIP_TRUEPEAK_H
#define CHANSTRIP_TRUEPEAK_H

#include <stdint.h>

#include "dsp.h"

struct dsp_arch;

#define TRUEPEAK_PHASES 4
#define TRUEPEAK_TAPS 12
#define TRUEPEAK_HIST (TRUEPEAK_TAPS - 1)

/* The Recommendation's coefficients, [phase][tap]; y_p[n] = sum_k c[p][k] * x[n - k]. */
extern const float truepeak_coef[TRUEPEAK_PHASES][TRUEPEAK_TAPS];

/* No phase can make |y| larger than this times the largest |x| under its taps
 * (max over phases of sum |c|, rounded up with a margin for float rounding). */
#define TRUEPEAK_GAIN_BOUND 2.0232f

struct truepeak {
	/* history (TRUEPEAK_HIST samples) followed by the current chunk; the tail pads the last
	 * vector group so it never reads past the array */
	float buf[TRUEPEAK_HIST + DSP_MAX_CHUNK + 8];
	float hist_peak; /* max |x| over the history part */
};

/* Clear the history. */
void truepeak_reset(struct truepeak *tp);

/* Feed n <= DSP_MAX_CHUNK finite samples x (|x| < 2^32) and return the largest |y| of the four
 * phases over the n output instants they complete, or 0 when that cannot exceed `known`.
 *
 * x_peak: max |x| of these n samples (the caller has it already). known: the largest value the
 * caller has seen in the current measurement; when the bound TRUEPEAK_GAIN_BOUND * max|x|
 * under the filter cannot exceed it, the filter is skipped. Skipping never changes the
 * running maximum, so the result stays independent of how the input is cut into calls.
 * arch: the kernels (cpu.h; NULL: the reference); every build gives the same bits.
 * Returns 0 for n == 0. */
float truepeak_process(struct truepeak *tp, const float *x, uint32_t n, float x_peak, float known,
		       const struct dsp_arch *arch);

/* truepeak_process() for a caller that has already written the n samples x to
 * truepeak_input(tp)[0..n-1] (x: those samples, either that array or a copy elsewhere), which
 * saves the copy. The filter's input array is valid until the next call. */
static inline float *truepeak_input(struct truepeak *tp) { return tp->buf + TRUEPEAK_HIST; }
float truepeak_process_input(struct truepeak *tp, const float *x, uint32_t n, float x_peak,
			     float known, const struct dsp_arch *arch);

/* The same measurement without the skip and without vectors: the reference for tests. */
float truepeak_process_ref(struct truepeak *tp, const float *x, uint32_t n);

#endif
