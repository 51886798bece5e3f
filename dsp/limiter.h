/* limiter.h: true-peak lookahead limiter, the last stage of the strip ("clip safe").
 *
 * The output's true peak (the band-limited waveform between samples, as a BS.1770 or finer
 * interpolator sees it) stays at or below lim.ceiling. How:
 *
 * - Detector: a 4x polyphase windowed-sinc interpolator (LIM_TAPS taps per phase, passband to
 *   0.45 fs) gives four points per sample interval; the largest is refined by a parabola
 *   through its neighbours, which recovers the peak between the 4x points (a plain 4x grid
 *   misses up to 0.55 dB near Nyquist). Against a 16x interpolator with 64 taps a side, on
 *   noise band-limited to 20 kHz at 48 kHz it reads at most 0.06 dB low (0.15 dB at
 *   21.6 kHz), which LIM_MARGIN_DB covers. Content right at Nyquist has no defined true
 *   peak: every finite interpolator reads it differently. Each interval m..m+1 asks for the gain
 *   r[m] = min(1, ceiling / peak).
 * - Gain: the minimum of r over a window (lookahead ramp + guard on both sides + hold), then
 *   an instant-attack one-pole release, then a box average over the lookahead ramp. The
 *   window and the delay are arranged so that every output sample within LIM_GUARD samples of
 *   a peak gets at most that peak's gain: the gain is flat under the interpolation kernel
 *   that forms the peak, so reducing the samples reduces the peak by the same factor.
 *   The hold (min(release, 10 ms)) keeps the gain still between the peaks of a low note, so
 *   it does not ripple at twice the note's frequency (distortion).
 * - Delay: the audio is delayed by the detector's half length, the guard and the ramp:
 *   64 samples at 48 kHz (1.33 ms), reported as latency while enabled. When the ceiling is
 *   never reached the gain is exactly 1.0 and the output is the input delayed, bit for bit.
 * - Link (link.group, link.h): the gain half computes each sample's gain as above and the
 *   delayed sample it applies to; the link pulls the gain (as reduction in nepers, -ln g, a
 *   positive multiple of dB) toward the group's deepest; the apply half multiplies. Linking
 *   only deepens a member's reduction (the applied gain is the smaller of its own and the
 *   linked one), so the ceiling holds on every member. All members of a group run at one
 *   rate, so their delays are equal and the gains line up with the audio.
 * - Off (lim.enable 0): idle, zero latency, the strip skips it. Switching on or off
 *   crossfades over 20 ms between the input and the limited, delayed output (the delay
 *   would otherwise jump in or out in one sample: a click).
 *
 * - Cost: a chunk whose largest |sample| (with the detector's history) times the
 *   interpolator's absolute tap sum, times 1.25 for the parabola, stays under the ceiling
 *   cannot ask for a reduction: its detector is skipped; when the gain is also at rest (the
 *   release at its fixed point, the box full of it) the recursion is too. Both shortcuts give
 *   the full path's bits. Several lanes run their serial gain recursions two at a time.
 *
 * Real-time safe: the process path does not allocate, lock or call the system. */
#ifndef CHANSTRIP_LIMITER_H
#define CHANSTRIP_LIMITER_H

#include <stdint.h>

#include "dsp.h"
#include "stage.h"
#include "vec.h"

#define LIM_PHASES 4
#define LIM_TAPS 32                 /* per phase; the detector looks LIM_TAPS / 2 ahead */
#define LIM_AHEAD (LIM_TAPS / 2)
#define LIM_GUARD 10                /* samples each side of a peak held at its gain */
#define LIM_RAMP_S 0.0008f          /* the gain's attack ramp (box length) */
#define LIM_HOLD_MAX_S 0.010f
/* at DSP_FS_MAX (384 kHz): the ramp (0.8 ms) and the hold (10 ms) in samples, plus slack;
 * integer constants because they size arrays (limiter_init checks them) */
#define LIM_RAMP_MAX 310u
#define LIM_HOLD_MAX 3842u
#define LIM_WIN_CAP (2 * LIM_GUARD + LIM_RAMP_MAX + 1 + LIM_HOLD_MAX + 1)
#define LIM_DELAY_CAP 512u          /* power of two above the largest delay */
#define LIM_XFADE_S 0.02f           /* the on/off crossfade */
/* Aim this far under the ceiling: covers the detector's residual error. */
#define LIM_MARGIN_DB 0.05f

struct limiter {
	float fs;
	int enable;
	float ceiling_db, release_ms;
	float target;      /* linear ceiling less the margin */
	float rel_coef;    /* one-pole release pole per sample */
	uint32_t ramp;     /* box length, samples */
	uint32_t win;      /* sliding-minimum window, samples */
	uint32_t delay;    /* LIM_AHEAD + LIM_GUARD + ramp */
	/* the detector's phases 1..3 (phase 0 is the sample itself) folded by symmetry: phase 2
	 * is symmetric, phase 3 is phase 1 reversed; for tap pairs a = h[j], b = h[31 - j]:
	 * y2 = sum c2[j] (a + b), y1 + y3 = sum ks[j] (a + b), y1 - y3 = sum kd[j] (a - b);
	 * each coefficient in all four lanes, so the kernel loads it as one vector */
	dsp_v4f c2v[LIM_TAPS / 2], ksv[LIM_TAPS / 2], kdv[LIM_TAPS / 2];
	float quiet_k;     /* bound of a refined peak per unit of max |x| (lim_quiet) */
	int full_path;     /* 1: never take the shortcuts (tests compare them with this) */
	int at_rest;       /* lim_settled held and only settled chunks have run since */
	float hist[LIM_TAPS - 1 + DSP_MAX_CHUNK + 4]; /* + 4: the last vector reads past n */
	float prev_u3;     /* the last 4x point of the previous interval, signed */
	float dl[LIM_DELAY_CAP];
	uint32_t dpos, rd; /* write position; the current chunk's delayed samples */
	/* sliding minimum of r: a monotonic queue of (value, time), ring of LIM_WIN_CAP */
	float qv[LIM_WIN_CAP];
	uint32_t qt[LIM_WIN_CAP];
	uint32_t qhead, qlen, t;
	float env;         /* after the release */
	float box[LIM_RAMP_MAX];
	uint32_t bpos;
	double bsum;       /* sum of 1 - env over the box */
	double inv_ramp;
	float min_gain;    /* lowest gain applied since the last gr_take */
	/* switching on or off crossfades (raised cosine, LIM_XFADE_S) between the input and the
	 * limited, delayed output: the delay comes and goes without a jump */
	uint32_t xf_pos, xf_len; /* xf_pos == xf_len: no fade running */
	int xf_in;               /* 1: fading toward the limiter, 0: toward the input */
	/* the chunk between the two halves (stage.h): the own gain (the delayed input waits in
	 * dl), and for the link the own reduction -ln g and link_gr.v (its copy that the link
	 * moves) */
	float g[DSP_MAX_CHUNK];
	float gv_own[DSP_MAX_CHUNK], gv[DSP_MAX_CHUNK];
	struct stage_gr link_gr;
};

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX: 0 or -EINVAL. Parameters unset (stage_init_defaults). */
int limiter_init(struct limiter *l, float fs);
void limiter_reset(struct limiter *l);
void limiter_set_enable(struct limiter *l, int on);
void limiter_set_ceiling_db(struct limiter *l, float dbtp); /* -20 .. 0 */
void limiter_set_release_ms(struct limiter *l, float ms);   /* 1 .. 1000 */
int limiter_idle(const struct limiter *l);
/* Samples of delay: LIM_AHEAD + LIM_GUARD + ramp when enabled, else 0. */
uint32_t limiter_latency(const struct limiter *l);
/* n <= DSP_MAX_CHUNK, finite input; in and out do not overlap. */
void limiter_process(struct limiter *l, const float *in, float *out, uint32_t n);
/* limiter_process in the two halves of the link (stage.h), nl lanes: the gain (state
 * advanced; the reduction in nepers into l[k]->link_gr, flat when there is none), then its
 * application, with the same in. Untouched link_gr: limiter_process' bits. */
void limiter_gain_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			uint32_t n);
void limiter_apply_lanes(struct limiter *const *l, unsigned nl, const float *const *in,
			 float *const *out, uint32_t n);

extern const struct stage_desc lim_stage;

#endif
