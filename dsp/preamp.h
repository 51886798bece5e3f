/* preamp.h: gain, polarity, low cut and saturation: the first stage of every strip.
 *
 *   in -> gain (polarity folded in) -> low cut -> hum notches (hum.h) -> drive -> curve
 *      (ADAA at 2x, or 2/4/8x as set) -> inverse ADAA droop -> DC removal -> 1/drive
 *      -> air (air.h) -> out
 *
 * Models: clean (exact copy of the gain stage), tube (asymmetric curve whose negative knee
 * moves out with the drive: even and odd harmonics at every drive, its DC removed), transformer (symmetric curve: odd harmonics only). See
 * preamp.c for the maths. Every change is smoothed per sample or crossfaded, and the output
 * never depends on how the input is cut into preamp_process() calls. */
#ifndef CHANSTRIP_PREAMP_H
#define CHANSTRIP_PREAMP_H

#include <stdint.h>

#include "air.h"
#include "biquad.h"
#include "dsp.h"
#include "hum.h"
#include "oversample.h"
#include "sat.h"
#include "smooth.h"
#include "stage.h"

enum preamp_model { PREAMP_CLEAN, PREAMP_TUBE, PREAMP_TRANSFORMER, PREAMP_MODEL_COUNT };

/* Bias of the tube curve (see sat.h): sets how asymmetric it is. */
#define PREAMP_TUBE_BIAS 0.3f
/* Loudness follower of the curves (preamp.c): time constant of each of its two one-pole
 * power followers, and its weighting shelf (gain, corner). */
#define PREAMP_LOUD_TAU_MS 50.0f
#define PREAMP_LOUD_SHELF_DB 2.0
#define PREAMP_LOUD_SHELF_HZ 1681.97
#define PREAMP_LOUD_HP_HZ 40.0
/* Corner of the DC remover after the curves (Hz, one pole). */
#define PREAMP_DC_HZ 5.0f
/* Model and low-cut on/off crossfades, and the duck around an oversampling change (ms). */
#define PREAMP_FADE_MS 10.0f
#define PREAMP_DUCK_MS 5.0f

struct dsp_arch;

struct preamp {
	const struct dsp_arch *arch; /* kernels (cpu.h), set after _init; NULL: the references */
	float fs;
	/* as set */
	float gain_db;
	int invert;
	float hpf_hz;
	int model_req;
	uint32_t os_req;

	struct smooth gain;  /* linear, polarity folded in */
	struct smooth drive; /* linear */

	/* low cut: 2nd-order Butterworth, coefficients glide per sample, on/off crossfades */
	struct smooth hc[5]; /* b0 b1 b2 a1 a2 */
	struct biquad_state hs; /* y[n-1], y[n-2] (direct form I) */
	float hx1, hx2;         /* x[n-1], x[n-2] */
	int hpf_on;
	uint32_t hpf_pos; /* position in the on/off fade; == fade_len when none runs */
	const float *hpf_src; /* a segment's low-cut input left to the curve's first loop, or NULL */

	/* models: a fade runs from model_from to model_to */
	struct sat_curve curve[PREAMP_MODEL_COUNT];
	int model_from, model_to;
	uint32_t fade_pos; /* == fade_len when no fade runs */
	uint32_t fade_len;
	float fade_inv;
	float x_prev; /* last driven sample at the curve's rate (ADAA state) */
	/* DC remover, evaluated four samples ahead (see preamp.c) */
	float dc_d[4]; /* DC estimate dc[n-1], dc[n-2], dc[n-3], dc[n-4] */
	float dc_q[3]; /* its input q[n-1], q[n-2], q[n-3] */
	float dc_a4;   /* a^4 */
	float dc_c[4]; /* k, k a, k a^2, k a^3 */

	/* oversampling: a change ducks the output, switches at the silent point, comes back */
	struct oversampler os;
	uint32_t lat; /* whole-sample latency of the current oversampling (preamp.c) */
	/* inverse of the ADAA droop at the curve's rate, after decimation ([0]: 2x, [1] 4x, [2] 8x) */
	struct biquad_coef droop_c[3];
	double droop_delay[3]; /* their group delays at DC, samples */
	struct biquad_state droop_s;
	/* loudness follower (preamp.c): weighting shelf, its states for the input and the
	 * curve's output, two cascaded one-pole power followers each */
	struct biquad_coef lw_c;
	struct biquad_state lw_su, lw_sy;
	float lw_a;        /* one-pole coefficient */
	float lw_pu[2], lw_py[2];
	uint32_t duck_pos; /* 0 .. duck_end; == duck_end when no duck runs */
	uint32_t duck_len;
	uint32_t duck_end; /* 2 * duck_len + the silence held after the switch (preamp.c) */
	float duck_inv;
	float clean_hist[64 + DSP_MAX_CHUNK]; /* clean path delay when oversampling */

	uint32_t clock; /* samples processed: control work happens on a fixed grid of it */

	struct hum hum; /* mains notches before the curve (hum.h) */
	struct air air; /* high lift after it (air.h) */
	float hb[DSP_MAX_CHUNK];

	/* scratch, sized for the largest chunk */
	float u[DSP_MAX_CHUNK];
	float xb[DSP_MAX_CHUNK];
	float garr[DSP_MAX_CHUNK];
	float duck_g[DSP_MAX_CHUNK];
	float darr[DSP_MAX_CHUNK];
	float idarr[DSP_MAX_CHUNK];
	float q[DSP_MAX_CHUNK];
	float cl[DSP_MAX_CHUNK];
	float lpu[DSP_MAX_CHUNK], lpy[DSP_MAX_CHUNK]; /* the loudness follower's powers */
	float st[2][DSP_MAX_CHUNK * OS_MAX_FACTOR];
};

/* The preamp as a stage of the chain (stage.h): parameters pre.*, never idle (it reads
 * the strip's input, and its exact-copy case costs no copy), its latency the strip's. */
extern const struct stage_desc pre_stage;

/* fs in Hz (DSP_FS_MIN..DSP_FS_MAX). Returns 0 or -EINVAL. Not real-time (designs filters).
 * Parameters are left unset: apply the table's defaults (stage_init_defaults), which also
 * resets it, before processing. */
int preamp_init(struct preamp *p, float fs);
/* Clear all audio state and finish every glide and fade at once; settings are kept. */
void preamp_reset(struct preamp *p);
/* The setters below are real-time safe and may be called between any two process calls. */
void preamp_set_gain_db(struct preamp *p, float db);       /* -20..70 */
void preamp_set_phase_invert(struct preamp *p, int invert); /* 0/1 */
void preamp_set_hpf_hz(struct preamp *p, float hz);         /* 0 = off, 20..500 */
void preamp_set_model(struct preamp *p, int model);         /* enum preamp_model */
void preamp_set_drive_db(struct preamp *p, float db);       /* 0..36 */
void preamp_set_oversample(struct preamp *p, int factor);   /* 1, 2, 4, 8 */
/* Whole-sample latency the preamp adds at its current settings (0 at oversample 1). */
uint32_t preamp_latency_samples(const struct preamp *p);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. */
void preamp_process(struct preamp *p, const float *restrict in, float *restrict out, uint32_t n);
/* preamp_process(), except that when the preamp is an exact copy at its current settings it
 * leaves out alone and returns in (its state advances as preamp_process() would advance it).
 * Returns the buffer that holds the n output samples: in or out. */
const float *preamp_run(struct preamp *p, const float *in, float *out, uint32_t n);
/* preamp_run() on nl lanes (1..DSP_LANES_MAX) in one call: res[l] = preamp_run(p[l], in[l],
 * out[l], n), bit for bit, with the lanes' serial recursions interleaved so they overlap in
 * the CPU. The p[l] are distinct. Real-time safe. */
void preamp_run_lanes(struct preamp *const *p, unsigned nl, const float *const *in,
		      float *const *out, const float **res, uint32_t n);

#endif
