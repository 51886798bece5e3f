/* smooth.h: one-pole parameter smoother that lands exactly on its target.
 *
 * Parameters are smoothed per sample (so the result never depends on the host block size)
 * and snap to the target once within a relative 1e-6 (or once rounding stalls them), so a gain returning to 0 dB ends at
 * exactly 1.0 and neutral settings stay bit-exact. */
#ifndef CHANSTRIP_SMOOTH_H
#define CHANSTRIP_SMOOTH_H

#include <math.h>

#include "dsp.h"

/* Time constant used for control smoothing: fast enough to feel immediate, slow enough that
 * a 90 dB gain jump does not click. */
#define SMOOTH_TAU_MS 10.0f

struct smooth {
	float cur;
	float target;
	float coef; /* alpha = exp(-1/(tau*fs)) */
};

static inline void smooth_init(struct smooth *s, float fs, float tau_ms, float value)
{
	s->coef = dsp_pole_from_ms(tau_ms, fs);
	s->cur = value;
	s->target = value;
}

static inline void smooth_set(struct smooth *s, float target) { s->target = target; }

/* Jump straight to the target: used at reset, never while audio runs. */
static inline void smooth_jump(struct smooth *s) { s->cur = s->target; }

static inline int smooth_settled(const struct smooth *s) { return s->cur == s->target; }

static inline float smooth_next(struct smooth *s)
{
	float d = s->cur - s->target;
	float tol = 1e-6f * (fabsf(s->target) > 1.0f ? fabsf(s->target) : 1.0f);
	float next = s->target + s->coef * d;
	/* Near the target, float rounding can stall the recursion a few ulps short: snap when it
	 * stops moving, as well as when it is within tolerance. */
	s->cur = (fabsf(d) <= tol || next == s->cur) ? s->target : next;
	return s->cur;
}

#endif
