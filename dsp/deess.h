/* deess.h: split-band / wide-band de-esser.
 *
 *   band = BP2(in)           2nd-order band-pass at freq, Q = DEESS_BAND_Q, 0 dB (and 0 degrees)
 *                            at its centre: what split mode reduces
 *   sc   = HP2(band)         plus a 2nd-order Butterworth high-pass at freq: what the detector
 *                            hears and what listen outputs (1 kHz is 46 dB down at 6 kHz)
 *   L    = 20*log10|sc|, target reduction r = clamp(L - threshold, 0, range)  (dB)
 *   gr   = r slewed: rises at most DEESS_ATTACK_DB_PER_MS, falls DEESS_RELEASE_DB_PER_MS
 *          (a peak detector with linear-dB ballistics; never more than range)
 *   split: out = in + (g - 1) * band, g = 10^(-gr/20). This is complementary (g = 1 gives
 *          out = in exactly: rest = in - band is never formed) and, because the band-pass is
 *          in phase with the input at its centre, it is a bell cut of exactly gr dB at freq
 *          that fades to nothing away from it. (An in - high-pass split would not do: the
 *          high-pass's phase makes 1 + (g - 1)H reach barely -1 dB an octave above freq.)
 *   wide:  out = g * in
 *   listen: out = sc
 * Mode and listen switches crossfade; threshold and range changes reach the gain through the
 * slew limits, so they never jump. */
#ifndef CHANSTRIP_DEESS_H
#define CHANSTRIP_DEESS_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "smooth.h"
#include "stage.h"

enum deess_mode { DEESS_SPLIT, DEESS_WIDE };

#define DEESS_BAND_Q 1.0f              /* about 1.4 octaves between the -3 dB points */
#define DEESS_ATTACK_DB_PER_MS 20.0f  /* 12 dB of reduction in 0.6 ms */
#define DEESS_RELEASE_DB_PER_MS 0.2f  /* 12 dB recovered in 60 ms */
/* Highest band centre, as a fraction of fs: the band's upper -3 dB point (1.618 freq at
 * Q = 1) stays below Nyquist, so at low rates the band sits where the sibilance still is
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

	/* derived */
	struct biquad_coef bp, hp;
	int32_t d_att_q, d_rel_q; /* slew per sample, Q20 dB */

	/* state */
	struct biquad_state band_s, sc_s;
	int32_t gr_q; /* current reduction, dB in Q20 (integer: exact, no denormals) */
	struct smooth xfade, wide, listen_xf;

	float buf_band[DSP_MAX_CHUNK];
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
void deess_set_freq_hz(struct deess *d, float hz);        /* 2000..12000 Hz */
void deess_set_threshold_db(struct deess *d, float dbfs); /* -60..0 dBFS, sidechain level */
void deess_set_range_db(struct deess *d, float db);       /* 0..24 dB, most reduction */
void deess_set_mode(struct deess *d, int mode);           /* enum deess_mode */
void deess_set_listen(struct deess *d, int on);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. Real-time safe. */
/* 1 when the stage is off and its fade-out has finished: deess_process would copy its input
 * exactly, so a caller may skip it (and its buffer copy) altogether. */
static inline int deess_idle(const struct deess *d) { return !d->enabled && d->xfade.cur == 0.0f; }

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
