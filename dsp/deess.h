/* deess.h: split-band / wide-band de-esser.
 *
 *   fc   = min(freq, DEESS_FREQ_MAX_FS fs): the detector's centre, what listen peaks at
 *   fx   = DEESS_SPLIT_RATIO fc: the crossover, a 4th-order Butterworth pair squared
 *          (Linkwitz-Riley, 8th order, 48 dB/octave)
 *   hi   = LR8 high-pass at fx (four sections), the band split mode reduces
 *   ap   = the crossover's 4th-order allpass (two sections): lo + hi = ap exactly, and the
 *          two bands are in phase with it, so lo = ap - hi is never formed
 *   sc   = BP2(hi) at fc, Q = DEESS_BAND_Q: what the detector hears and what listen outputs
 *          (the band-pass centres it on fc; 1 kHz is over 90 dB down at fc = 6 kHz)
 *   L    = 20*log10|sc|, target reduction r = clamp(L - threshold, 0, range)  (dB)
 *   gr   = r slewed: rises at most DEESS_ATTACK_DB_PER_MS, falls DEESS_RELEASE_DB_PER_MS
 *          (a peak detector with linear-dB ballistics; never more than range)
 *   split: out = ap + (g - 1) * hi, g = 10^(-gr/20): |out/in| = 1 - (1 - g)|HP(f)| with
 *          |HP| = w^8 / (1 + w^8), w = tan(pi f/fs) / tan(pi fx/fs). Flat at g = 1 (an
 *          allpass: phase only), the full range well above fx (-11.5 dB over 5-10 kHz at
 *          range 12 with freq 6 kHz), about 0.6 dB at 3 kHz (w = 0.75), nothing far below.
 *          The meter shows gr: the cut of the band above the split.
 *   wide:  out = g * in
 *   listen: out = sc
 * Mode and listen switches crossfade; threshold and range changes reach the gain through the
 * slew limits, so they never jump. A freq change glides: the centre moves in octaves as a
 * one-pole of DEESS_GLIDE_TAU_MS, every filter redesigned each DEESS_GLIDE_N samples (each
 * step a stable design a small step from the last), so changing freq while reducing does not
 * click. */
#ifndef CHANSTRIP_DEESS_H
#define CHANSTRIP_DEESS_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "smooth.h"
#include "stage.h"

enum deess_mode { DEESS_SPLIT, DEESS_WIDE };

#define DEESS_BAND_Q 1.5f /* about 0.95 octave between the -3 dB points */
/* The crossover as a fraction of the centre (0.58 octave below): low enough that the
 * sibilant band above the centre takes nearly the full range, high enough that the voice
 * below 3 kHz is left alone at freq 6 kHz. */
#define DEESS_SPLIT_RATIO (2.0f / 3.0f)
#define DEESS_GLIDE_N 4u           /* samples between redesigns while freq glides */
#define DEESS_GLIDE_TAU_MS 30.0f   /* the glide's time constant */
#define DEESS_GLIDE_SNAP_OCT 1e-3f /* the glide lands when this close (0.07 % in frequency) */
#define DEESS_ATTACK_DB_PER_MS 20.0f  /* 12 dB of reduction in 0.6 ms */
#define DEESS_RELEASE_DB_PER_MS 0.2f  /* 12 dB recovered in 60 ms */
/* Highest band centre, as a fraction of fs: the sidechain band's upper -3 dB point (1.39 freq
 * at Q = 1.5) stays below Nyquist, so at low rates the band sits where the sibilance still is
 * (2.4 kHz at 8 kHz, 4.8 kHz at 16 kHz) instead of squeezed against Nyquist. No effect at
 * 40 kHz and above (deess.freq <= 12 kHz). */
#define DEESS_FREQ_MAX_FS 0.3f

struct dsp_arch;

struct deess {
	const struct dsp_arch *arch; /* kernels (cpu.h), set after _init; NULL: the references */
	float fs;
	int enabled;
	float min_gain; /* lowest linear (band) gain applied since the meter last reset it */

	/* parameters as set */
	float freq_hz, thr_db, range_db;
	/* derived: a chunk whose sidechain peak stays at or below this is quiet (deess.c) */
	float quiet_peak;
	int mode, listen;

	/* the centre in log2 Hz (clamped below Nyquist): where it glides to and where it is;
	 * cur_oct < 0: not designed yet (the next freq is taken at once) */
	float target_oct, cur_oct;
	float glide_k;       /* the glide's one-pole step per redesign */
	int gliding;         /* cur_oct is moving towards target_oct */
	uint32_t glide_pos;  /* samples since the last redesign, 0..DEESS_GLIDE_N-1 */

	/* derived from cur_oct: the crossover's two Butterworth sections (high-pass b0 and
	 * the poles a1, a2 they share with the allpass sections) and the sidechain band-pass */
	struct biquad_gain_poles xs1, xs2, bp;
	int32_t d_att_q, d_rel_q; /* slew per sample, Q20 dB */

	/* state: the high-pass's four sections, the allpass's two, the band-pass */
	struct biquad_state hp_s[4], ap_s[2], sc_s;
	int32_t gr_q; /* current reduction, dB in Q20 (integer: exact, no denormals) */
	struct smooth xfade, wide, listen_xf;

	float buf_band[DSP_MAX_CHUNK]; /* hi */
	float buf_ap[DSP_MAX_CHUNK];   /* ap */
	float buf_sc[DSP_MAX_CHUNK];
	float buf_g[DSP_MAX_CHUNK];
	/* between deess_gain_lanes and deess_apply_lanes: the slewed reduction (buf_q, Q20 dB)
	 * as floats in buf_g (flat: none, buf_g is already the unity gain) */
	struct stage_gr link_gr;
	int32_t buf_q[DSP_MAX_CHUNK];
};

/* The de-esser as a stage of the chain (stage.h): parameters deess.*, gain reduction (of
 * the band) metered. */
extern const struct stage_desc deess_stage;

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX; 0 or -EINVAL. Parameters are left unset: apply the
 * table's defaults (stage_init_defaults) before processing. */
int deess_init(struct deess *d, float fs);
void deess_reset(struct deess *d);         /* clears state, snaps crossfades */
void deess_set_enable(struct deess *d, int on);
void deess_set_freq_hz(struct deess *d, float hz);        /* 2000..12000 Hz, glides */
void deess_set_threshold_db(struct deess *d, float dbfs); /* -60..0 dBFS, sidechain level */
void deess_set_range_db(struct deess *d, float db);       /* 0..24 dB, most reduction */
void deess_set_mode(struct deess *d, int mode);           /* enum deess_mode */
void deess_set_listen(struct deess *d, int on);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. Real-time safe. */
/* 1 when the stage is off and its fade-out has finished: deess_process would copy its input
 * exactly, so a caller may skip it (and its buffer copy) altogether. */
static inline int deess_idle(const struct deess *d) { return !d->enabled && d->xfade.cur == 0.0f; }

/* One glide step (the kernels call it every DEESS_GLIDE_N samples while gliding): cur_oct a
 * step towards target_oct (landing when close) and the filters redesigned there. */
void deess_glide_step(struct deess *d);

void deess_process(struct deess *d, const float *restrict in, float *restrict out, uint32_t n);
/* Process nl lanes (1..DSP_LANES_MAX) in one call: for every l exactly what
 * deess_process(d[l], in[l], out[l], n) gives, bit for bit, but with the lanes' serial recursions
 * interleaved so they overlap in the CPU (channels of a multi-input strip run this way).
 * The d[l] are distinct; each in[l]/out[l] pair obeys deess_process()'s rules, and no out[l]
 * overlaps another lane's in[k] (every input is read after other lanes' outputs are written).
 * Real-time safe. */
void deess_process_lanes(struct deess *const *d, unsigned nl, const float *const *in,
			float *const *out, uint32_t n);
/* deess_process_lanes in two halves, for the stereo link (stage.h): the filters, targets and
 * slew limiter (state advanced; the reduction, the band's in split mode, into d[l]->link_gr),
 * then the gain and the mix. Together, with link_gr untouched, they give deess_process_lanes'
 * bits. */
void deess_gain_lanes(struct deess *const *d, unsigned nl, const float *const *in, uint32_t n);
void deess_apply_lanes(struct deess *const *d, unsigned nl, const float *const *in,
		       float *const *out, uint32_t n);

#endif
