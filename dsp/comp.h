/* comp.h: feed-forward log-domain compressor (Giannoulis, Massberg and Reiss, "Digital Dynamic
 * Range Compressor Design - A Tutorial and Analysis", JAES 60(6), 2012).
 *
 * Topology (the paper's fig. 7, "log domain, detector after the gain computer"):
 *
 *   sc = in (or a 2nd-order high-pass of it)        sidechain
 *   x_G = 20*log10(level(sc))                        peak: |sc|; rms: sqrt(one-pole mean of sc^2)
 *   x_L = x_G - y_G(x_G) >= 0                        static curve, eq. 4 soft knee
 *   y_L = smooth branching peak detector on x_L      eq. 16, alpha = exp(-1/(tau*fs))
 *   out = in * ((1 - mix) + mix * makeup * 10^(-y_L/20))
 *
 * Threshold, ratio and knee act on x_L, so a change reaches the gain through the detector's own
 * attack/release and never jumps; makeup and mix are smoothed per sample. */
#ifndef CHANSTRIP_COMP_H
#define CHANSTRIP_COMP_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "smooth.h"
#include "stage.h"

enum comp_detector { COMP_DETECT_PEAK, COMP_DETECT_RMS };

/* Averaging time of the RMS detector (one-pole on sc^2). A square wave of amplitude A reads
 * A with either detector; a sine reads its peak (peak) or peak - 3.01 dB (rms). */
#define COMP_RMS_TAU_MS 10.0f

struct dsp_arch;

struct comp {
	const struct dsp_arch *arch; /* kernels (cpu.h), set after _init; NULL: the references */
	float fs;
	int enabled;
	float min_gain; /* lowest linear gain reduction (makeup and mix excluded) since the
			   meter last reset it; 1.0 = none */

	/* parameters as set */
	float thr_db, ratio, knee_db, attack_ms, release_ms, makeup_db, mix_pct, sc_hpf_hz;
	int auto_makeup, detector;

	/* derived in the setters */
	float slope;     /* 1 - 1/ratio */
	float half_knee; /* W/2 */
	float knee_k;    /* 1/(2W), 0 for a hard knee */
	double a_att, a_rel; /* alpha = exp(-1/(tau*fs)) */
	float a_rms, c_rms;
	int64_t k_att, k_rel; /* the detector's steps, (1 - alpha) in fixed point (comp.c) */
	int hpf_on;
	struct biquad_coef hpf;

	/* state */
	struct biquad_state hpf_s;
	double y_db; /* detector output in dB between chunks; within one it runs in fixed point
		      * (int32, COMP_Q steps per dB: exact, see comp.c), so double holds it exactly */
	float ms;   /* RMS detector's mean square */
	struct smooth xfade;  /* 0 = bypassed, 1 = on */
	struct smooth wet;    /* mix / 100 */
	struct smooth makeup; /* linear */

	float buf_sc[DSP_MAX_CHUNK];
	float buf_x[DSP_MAX_CHUNK];
	float buf_g[DSP_MAX_CHUNK];
	/* between comp_gain_lanes and comp_apply_lanes: the detector output y_L in buf_g, in
	 * dB * 2^24 (flat: the detector was idle, no reduction) */
	struct stage_gr link_gr;
};

/* The compressor as a stage of the chain (stage.h): parameters comp.*, gain reduction
 * metered. */
extern const struct stage_desc comp_stage;

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX; 0 or -EINVAL. Parameters are left unset: apply the
 * table's defaults (stage_init_defaults) before processing. */
int comp_init(struct comp *c, float fs);
void comp_reset(struct comp *c);         /* clears detector/filter state, snaps smoothers */
void comp_set_enable(struct comp *c, int on);           /* crossfades over SMOOTH_TAU_MS */
void comp_set_threshold_db(struct comp *c, float dbfs); /* -60..0 dBFS, knee centre */
void comp_set_ratio(struct comp *c, float ratio);       /* 1..20 (:1) */
void comp_set_knee_db(struct comp *c, float db);        /* 0..24 dB, full knee width W */
void comp_set_attack_ms(struct comp *c, float ms);      /* 0.1..200 ms, tau of the detector */
void comp_set_release_ms(struct comp *c, float ms);     /* 5..3000 ms, tau of the detector */
void comp_set_makeup_db(struct comp *c, float db);      /* 0..40 dB */
void comp_set_mix_pct(struct comp *c, float pct);       /* 0..100 %, wet share */
/* Adds the static curve's reduction at 0 dBFS to the makeup (so 0 dBFS in = 0 dBFS out). */
void comp_set_auto_makeup(struct comp *c, int on);
void comp_set_detector(struct comp *c, int detector); /* enum comp_detector */
void comp_set_sc_hpf_hz(struct comp *c, float hz);    /* 0 = off, 20..500 Hz */
/* Static curve: gain reduction x_L in dB (>= 0) for a detected level in dBFS (eq. 4). */
float comp_static_gr_db(const struct comp *c, float level_dbfs);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. Real-time safe. */
/* 1 when the stage is off and its fade-out has finished: comp_process would copy its input
 * exactly, so a caller may skip it (and its buffer copy) altogether. */
static inline int comp_idle(const struct comp *c) { return !c->enabled && c->xfade.cur == 0.0f; }

void comp_process(struct comp *c, const float *restrict in, float *restrict out, uint32_t n);
/* Process nl lanes (1..DSP_LANES_MAX) in one call: for every l exactly what
 * comp_process(c[l], in[l], out[l], n) gives, bit for bit, but with the lanes' serial recursions
 * interleaved so they overlap in the CPU (channels of a multi-input strip run this way).
 * The c[l] are distinct; each in[l]/out[l] pair obeys comp_process()'s rules, and no out[l]
 * overlaps another lane's in (every input is read again after other lanes' outputs are
 * written). Real-time safe. */
void comp_process_lanes(struct comp *const *c, unsigned nl, const float *const *in,
			float *const *out, uint32_t n);
/* comp_process_lanes in two halves, for the stereo link (stage.h): the sidechain and detector
 * (state advanced; the gain reduction y_L into c[l]->link_gr), then the gain, makeup, mix and
 * crossfade. Together, with link_gr untouched, they give comp_process_lanes' bits. Real-time
 * safe. */
void comp_gain_lanes(struct comp *const *c, unsigned nl, const float *const *in, uint32_t n);
void comp_apply_lanes(struct comp *const *c, unsigned nl, const float *const *in,
		      float *const *out, uint32_t n);

#endif
