/* eq.h: the three-band EQ (low shelf, bell, high shelf) and the band it is built from.
 *
 * Each band is a second-order section designed by magnitude matching (Vicanek, "Matched
 * Second Order Digital Filters", 2016): the poles are the analogue prototype's, mapped by
 * the impulse-invariant z = exp(s T); the zeros are then fitted so that the digital
 * magnitude equals the analogue one exactly at DC, at the corner or centre (at most fs/4)
 * and at 0.4 fs. Unlike the bilinear transform (RBJ's cookbook), the response is not
 * squeezed towards Nyquist: a bell at 8 kHz or a shelf at 16 kHz keeps its analogue shape,
 * within 0.5 dB up to 0.4 fs at 44.1 kHz (tests/test_eq.c). Where impulse invariance is
 * poor (poles far above the corner: a shelf boost, a bell cut), the inverse filter is
 * designed instead and turned upside down, which keeps every pole inside the unit circle.
 *
 * Prototypes (Omega = f / f0, s = j Omega, A = 10^(gain_db / 40)), as in biquad.h:
 *   bell       (s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1)
 *   low shelf  A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1)
 *   high shelf A (A s^2 + s sqrt(A)/Q + 1) / (s^2 + s sqrt(A)/Q + A)
 *
 * Glides: a band's gain (dB), frequency (log) and Q (log) follow their targets through two
 * cascaded one-poles stepped every EQ_GRID samples of the sample clock; the coefficients are
 * redesigned at each step and interpolated linearly sample by sample in between (every
 * convex combination of two stable sections is stable). A band at 0 dB with nothing moving
 * is skipped: it passes its input bit for bit. */
#ifndef CHANSTRIP_EQ_H
#define CHANSTRIP_EQ_H

#include <math.h>
#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "stage.h"

#define EQ_GRID 16u         /* samples between coefficient redesigns while gliding */
#define EQ_GLIDE_MS 8.0f    /* time constant of each of the two glide poles */
#define EQ_FADE_MS 10.0f    /* eq.enable crossfade */
#define EQ_SHELF_Q 0.7071067811865476 /* shelves: the steepest slope without overshoot */

enum eq_shape { EQ_LOW_SHELF, EQ_BELL, EQ_HIGH_SHELF };

/* Design one matched section at fs; f0_hz is clamped to 0.45 fs. */
void eq_design(struct biquad_coef *c, enum eq_shape shape, double fs, double f0_hz, double q,
	       double gain_db);

struct eq_band {
	enum eq_shape shape;
	double fs;
	double tgt[3], s1[3], s2[3]; /* gain dB, log Hz, log Q: target and the two glide poles */
	double glide_a;              /* pole per grid step */
	int moving;                  /* glides not settled */
	int ramp;                    /* coefficients interpolate in this grid period */
	struct biquad_coef c0, dc, c; /* start of the ramp, step per sample, settled/end value */
	struct biquad_state z;
};

void eq_band_init(struct eq_band *b, enum eq_shape shape, float fs);
/* Targets; real-time safe (no design here: the next grid step designs). */
void eq_band_set(struct eq_band *b, float gain_db, float hz, float q);
/* Finish the glides at once and clear the audio state. */
void eq_band_jump(struct eq_band *b);
/* Once at every EQ_GRID boundary of the sample clock: glide step, redesign, state hygiene. */
void eq_band_grid(struct eq_band *b);
/* The state hygiene of a grid step: a state value that decayed below 1e-20 (on its way to the
 * subnormal range) or is not finite becomes 0. */
static inline float eq_clean(float x)
{
	return (fabsf(x) < 1e-20f || !isfinite(x)) ? 0.0f : x;
}
/* Runs (or is skipped as an exact copy) in this grid period. */
static inline int eq_band_active(const struct eq_band *b)
{
	return b->moving || b->ramp || b->tgt[0] != 0.0;
}
/* in -> out (may be the same buffer), n samples from position pos of the grid period
 * (pos + n <= EQ_GRID). Only for an active band. */
void eq_band_run(struct eq_band *b, const float *in, float *out, uint32_t n, uint32_t pos);

enum { EQ_LOW, EQ_MID, EQ_HIGH, EQ_BANDS };

struct eq {
	float fs;
	int on;                       /* eq.enable */
	uint32_t fade_pos, fade_len;  /* enable crossfade; fade_pos == fade_len: none runs */
	float fade_inv;
	uint32_t clock;               /* samples since it last started from fully off */
	float gain[EQ_BANDS], hz[EQ_BANDS], q[EQ_BANDS];
	int band_on[EQ_BANDS];
	struct eq_band band[EQ_BANDS];
	float dry[DSP_MAX_CHUNK];
};

extern const struct stage_desc eq_stage;

int eq_init(struct eq *e, float fs);
void eq_reset(struct eq *e);
int eq_idle(const struct eq *e);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. */
void eq_process(struct eq *e, const float *in, float *out, uint32_t n);
/* nl (1..DSP_LANES_MAX) lanes, each as eq_process would run it (the same bits): steady lanes
 * with the same bands run side by side in vectors. */
void eq_process_lanes(struct eq *const *e, unsigned nl, const float *const *in,
		      float *const *out, uint32_t n);
/* The general path, one band after the other, in any state: the reference the fused paths
 * (eq_process in the steady state, eq_process_lanes) give the bits of (tests/test_simd.c). */
void eq_process_each(struct eq *e, const float *in, float *out, uint32_t n);

#endif
