/* air.h: "air", a gentle transformer-style high lift, run inside the preamp after the curve.
 *
 * A second-order high shelf at AIR_HZ with a slightly resonant AIR_Q (a hair of overshoot
 * above the corner, as an input transformer's leakage resonance gives), pre.air dB high,
 * designed by magnitude matching (eq.h) so that it keeps its analogue shape up to Nyquist:
 * within 0.2 dB at 1 kHz and below, pre.air +-0.5 dB by 16 kHz, never more than pre.air +
 * 0.4 dB (tests/test_air.c, 44.1-192 kHz). Changes glide (eq.h's band glide); at 0 dB with
 * the glide finished it is skipped, an exact copy. Below 44.1 kHz the corner moves down to
 * stay below 0.35 fs. */
#ifndef CHANSTRIP_AIR_H
#define CHANSTRIP_AIR_H

#include <stdint.h>

#include "eq.h"

#define AIR_HZ 7000.0f
#define AIR_Q 0.9f

struct air {
	float hz;
	uint32_t clock;
	struct eq_band band;
};

void air_init(struct air *a, float fs);
void air_reset(struct air *a);
void air_set_db(struct air *a, float db); /* 0 .. 8 */
static inline int air_idle(const struct air *a) { return !eq_band_active(&a->band); }
/* In place, n <= DSP_MAX_CHUNK; nothing happens when idle. */
void air_run(struct air *a, float *x, uint32_t n);
/* The general path, a grid period at a time in any state: the reference whose bits air_run's
 * settled path and air_run_lanes give (tests/test_air.c, tests/test_simd.c). */
void air_run_each(struct air *a, float *x, uint32_t n);
/* air_run on nl (1..DSP_LANES_MAX) lanes, the same bits: settled lanes on the same grid
 * position run side by side in vectors. */
void air_run_lanes(struct air *const *a, unsigned nl, float *const *x, uint32_t n);

#endif
