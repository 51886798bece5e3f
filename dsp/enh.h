/* enh.h: the enhancer (the dbx 286s' HF and LF detail), between the EQ and the output gain.
 *
 * HF detail, program-dependent (after the 286s and Orban's HF enhancer): a detector compares
 * the power above enh.hf_freq (2nd-order high-pass) with the whole signal's, over
 * ENH_DET_MS. Pink noise from 20 Hz to 20 kHz has ln(20k / f) / ln(1000) of its power above f;
 * the target is that share ENH_HF_BRIGHT_DB brighter. The lift is ENH_HF_SLOPE dB for every dB
 * the source falls short of it, at most ENH_HF_MAX_DB, times enh.hf / 100: a dull source gets
 * its top back, one already as bright as the target gets nothing. It is applied as a first-
 * order high shelf at enh.hf_freq (x + (g - 1) hp1(x): no dip below the corner) plus
 * harmonics in the same proportion: the band above enh.hf_freq, low-passed at
 * min(0.2 fs, 16 kHz) (4th order) and squared, has only sum and difference tones (for a sine,
 * its 2nd harmonic and DC) and none of them folds back while the band stays below fs / 4;
 * divided by its RMS it follows the level linearly, and a high-pass at enh.hf_freq removes
 * the DC and difference tones. Below ENH_HF_FLOOR_DBFS the lift fades out (no hiss lift in
 * pauses).
 *
 * LF detail: x + kl bp(x, enh.lf_freq, Q 1.4) + km bp(x, clamp(4 enh.lf_freq, 250, 400),
 * Q 2), band-passes at 0 dB peak: a bell of ENH_LF_MAX_DB at enh.lf_freq and one of
 * -ENH_LF_CUT_RATIO times that in the low mids. The lift is level-dependent: the bass band
 * (the lift's own band-pass) at peak level L dBFS (a sine's peak from its mean square) allows
 * ENH_LF_CEIL_DBFS - L dB at most, so a loud bass is hardly lifted and never driven into
 * clipping by it.
 *
 * Gains are computed every ENH_GRID samples of the sample clock and ramp linearly between;
 * enh.enable crossfades (ENH_FADE_MS). */
#ifndef CHANSTRIP_ENH_H
#define CHANSTRIP_ENH_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "stage.h"

#define ENH_GRID 16u
#define ENH_FADE_MS 10.0f
#define ENH_DET_MS 60.0f
#define ENH_HF_BRIGHT_DB 2.0f
#define ENH_HF_SLOPE 2.0f
#define ENH_HF_MAX_DB 12.0f
#define ENH_HF_HARM 0.3f
#define ENH_HF_FLOOR_DBFS (-70.0f)
#define ENH_LF_MAX_DB 6.0f
#define ENH_LF_CUT_RATIO 0.75f
#define ENH_LF_CEIL_DBFS (-5.0f)
#define ENH_LF_DET_MS 40.0f

struct enh {
	float fs;
	int on;
	uint32_t fade_pos, fade_len;
	float fade_inv;
	uint32_t clock;
	float hf_amt, hf_hz, lf_amt, lf_hz; /* amounts 0..1 */
	float hf_target;                    /* target share of power above hf_hz */
	float det_a, lf_det_a;              /* one-pole pole per sample for the detectors */

	/* HF */
	struct biquad_coef hp_det, lp_h, lp_h2, hp_h;
	struct biquad_state s_det, s_lp1, s_lp2, s_hph;
	float sh_c, sh_x1, sh_y1; /* one-pole high-pass of the shelf */
	float p_hf, p_all, p_v;   /* mean squares */
	float inv_rms;            /* 1 / rms of the harmonic band, per grid */
	float gm, gm_step;        /* g - 1 of the HF lift */

	/* LF */
	struct biquad_coef bp_lo, bp_mid;
	struct biquad_state s_bpl, s_bpm;
	float p_lo;
	float kl, kl_step, km, km_step;
};

extern const struct stage_desc enh_stage;

int enh_init(struct enh *e, float fs);
void enh_reset(struct enh *e);
int enh_idle(const struct enh *e);
void enh_set_hf(struct enh *e, float percent, float hz);
void enh_set_lf(struct enh *e, float percent, float hz);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. */
void enh_process(struct enh *e, const float *in, float *out, uint32_t n);
/* nl (1..DSP_LANES_MAX) lanes, each as enh_process would run it (the same bits): lanes on
 * the same grid position with no fade run side by side in vectors. */
void enh_process_lanes(struct enh *const *e, unsigned nl, const float *const *in,
		       float *const *out, uint32_t n);
/* The general path, one lane in any state: the reference of the fused ones (tests/test_simd.c). */
void enh_process_each(struct enh *e, const float *in, float *out, uint32_t n);

#endif
