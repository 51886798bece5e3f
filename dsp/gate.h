/* gate.h: gate / downward expander with hysteresis and hold.
 *
 *   detector   env = max(|sc|, alpha_D * env): instant attack, GATE_DET_RELEASE_MS release
 *              (a square wave of amplitude A reads exactly A, i.e. 20*log10(A) dBFS)
 *   state      opens when env > threshold; while open, every sample with
 *              env >= threshold - hysteresis reloads the hold counter; once env has been
 *              below that for max(hold, GATE_HOLD_MIN_MS)*fs samples in a row it closes. Inside the band the state
 *              never changes.
 *   gain (dB)  open: 0; closed: -range (gate) or max(-range, (L - T)(ratio - 1)) (expander),
 *              reached through a one-pole in dB with alpha = exp(-1/(tau*fs)), attack tau when
 *              the gain rises and release tau when it falls (the max/min branching form).
 *
 * While open the gain is exactly 1.0f, including the whole hold time. */
#ifndef CHANSTRIP_GATE_H
#define CHANSTRIP_GATE_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "smooth.h"
#include "stage.h"

enum gate_mode { GATE_MODE_GATE, GATE_MODE_EXPANDER };

/* Shortest hold, whatever gate.hold says: half a period of 33 Hz, so that a bass note does
 * not close and re-open the gate between its peaks (gate.c). */
#define GATE_HOLD_MIN_MS 15.0f
/* Release of the level detector: long enough to bridge the gaps between the peaks of a 50 Hz
 * wave, short enough that the hold starts within ~50 ms of the level dropping 40 dB. */
#define GATE_DET_RELEASE_MS 10.0f

struct dsp_arch;

struct gate {
	const struct dsp_arch *arch; /* kernels (cpu.h), set after _init; NULL: the references */
	float fs;
	int enabled;
	/* Lowest linear gain applied since the strip's meter last reset it (1.0 = none). */
	float min_gain;

	/* parameters as set */
	float thr_db, hyst_db, range_db, attack_ms, hold_ms, release_ms, ratio, sc_hpf_hz;
	int mode;

	/* derived in the setters */
	float thr_open, thr_close; /* linear */
	float t_closed;            /* gate mode target (dB) */
	double a_att, a_rel; /* alpha = exp(-1/(tau*fs)) */
	float a_det;
	float det_decay_q, thr_open_q, thr_close_q; /* release per sample, thresholds: log2 grid */
	int att_fast;
	int32_t hold_n; /* samples */
	int hpf_on;
	struct biquad_coef hpf;

	/* state */
	struct biquad_state hpf_s;
	float env;   /* detector level in log2 units, on a 2^-16 grid (see gate.c) */
	double g_db; /* smoothed gain, dB (double: see gate.c) */
	int open;
	int32_t hold_left;
	struct smooth xfade;

	float buf_env[DSP_MAX_CHUNK];
	float buf_t[DSP_MAX_CHUNK];
	float buf_g[DSP_MAX_CHUNK];
	/* between gate_gain_lanes and gate_apply_lanes: the smoothed gain in dB in buf_g */
	struct stage_gr link_gr;
};

/* The gate as a stage of the chain (stage.h): parameters gate.*, gain reduction metered. */
extern const struct stage_desc gate_stage;

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX; 0 or -EINVAL. Parameters are left unset: apply the
 * table's defaults (stage_init_defaults) before processing. */
int gate_init(struct gate *g, float fs);
void gate_reset(struct gate *g);         /* clears state (closed, at -range), snaps crossfade */
void gate_set_enable(struct gate *g, int on);            /* crossfades over SMOOTH_TAU_MS */
void gate_set_threshold_db(struct gate *g, float dbfs);  /* -90..0 dBFS, opens above */
void gate_set_hysteresis_db(struct gate *g, float db);   /* 0..20 dB, closes at thr - hyst */
void gate_set_range_db(struct gate *g, float db);        /* 0..90 dB, attenuation when closed */
void gate_set_attack_ms(struct gate *g, float ms);       /* 0.01..100 ms (tau, gain rising) */
void gate_set_hold_ms(struct gate *g, float ms);         /* 0..2000 ms */
void gate_set_release_ms(struct gate *g, float ms);      /* 1..4000 ms (tau, gain falling) */
void gate_set_mode(struct gate *g, int mode);            /* enum gate_mode */
void gate_set_ratio(struct gate *g, float ratio);        /* 1..10, expander mode */
void gate_set_sc_hpf_hz(struct gate *g, float hz);       /* 0 = off, 20..2000 Hz */
/* n <= DSP_MAX_CHUNK; in and out do not overlap. Real-time safe. */
/* 1 when the stage is off and its fade-out has finished: gate_process would copy its input
 * exactly, so a caller may skip it (and its buffer copy) altogether. */
static inline int gate_idle(const struct gate *g) { return !g->enabled && g->xfade.cur == 0.0f; }

void gate_process(struct gate *g, const float *restrict in, float *restrict out, uint32_t n);
/* Process nl lanes (1..DSP_LANES_MAX) in one call: for every l exactly what
 * gate_process(g[l], in[l], out[l], n) gives, bit for bit, but with the lanes' serial recursions
 * interleaved so they overlap in the CPU (channels of a multi-input strip run this way).
 * The g[l] are distinct; each in[l]/out[l] pair obeys gate_process()'s rules. Real-time safe. */
void gate_process_lanes(struct gate *const *g, unsigned nl, const float *const *in,
			float *const *out, uint32_t n);
/* gate_process_lanes in two halves, for the stereo link (stage.h): the sidechain, detector,
 * state machine and gain smoother (state advanced; the gain in dB into g[l]->link_gr), then
 * the gain with the enable crossfade, applied. Together, with link_gr untouched, they give
 * gate_process_lanes' bits. */
void gate_gain_lanes(struct gate *const *g, unsigned nl, const float *const *in, uint32_t n);
void gate_apply_lanes(struct gate *const *g, unsigned nl, const float *const *in,
		      float *const *out, uint32_t n);

#endif
