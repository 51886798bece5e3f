/* oversample.h: 2x/4x/8x oversampling for the preamp's curves.
 *
 * The first 2x stage (fs <-> 2 fs), the one that decides the audio band, is a polyphase IIR
 * half-band: two parallel chains of first-order allpass sections in z^2 (Valenzuela and
 * Constantinides' elliptic design, in the closed form of de Soras' hiir). A linear-phase FIR
 * that keeps 20 kHz at 44.1 kHz within 0.5 dB needs about 100 taps and 50 samples of delay;
 * the allpass pair is flat in its passband by construction (power complementary), has its
 * -3 dB point exactly at fs/2 and costs a few samples of (frequency-dependent) delay. Two
 * designs, both with a transition band 0.045 of 2 fs wide (flat to 0.4550 fs: 20.07 kHz at
 * 44.1 kHz):
 *   low latency (OS_LOWLAT, the preamp's curves at pre.oversample 1): 5 sections, 64 dB
 *     image and alias rejection, 2.37 samples of delay at low frequencies;
 *   2/4/8x: 8 sections, 100 dB, 3.6 samples.
 * Stages 2 and 3 (4x, 8x) only have to keep an already band-limited signal: short
 * linear-phase Kaiser half-band FIRs.
 *
 * Real-time safe: no allocation, all history in the struct. */
#ifndef CHANSTRIP_OVERSAMPLE_H
#define CHANSTRIP_OVERSAMPLE_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"
#include "vec.h"

#define OS_MAX_FACTOR 8u
#define OS_MAX_STAGES 3u
#define OS_MAX_TAPS 48u /* taps of the longest polyphase FIR branch */
#define OS_IIR_MAX 8u   /* allpass sections of the IIR half-band */
/* os_set_factor()'s flag: factor 2 with the short IIR half-band */
#define OS_LOWLAT 0x100u

struct os_stage {
	uint32_t m;              /* half-band order: 4m - 1 taps, 2m in the FIR branch */
	float up_c[OS_MAX_TAPS]; /* FIR branch taps for interpolation (gain 2 folded in) */
	float dn_c[OS_MAX_TAPS]; /* FIR branch taps for decimation */
	/* histories: previous taps-1 samples, then the current block */
	float up_hist[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
	float dn_even[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
	float dn_odd[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
};

/* One IIR half-band design: coefficient k goes to chain k % 2 (chain 1 runs one sample of
 * the top rate later). */
struct os_iir_coef {
	uint32_t n;
	float c[OS_IIR_MAX];
	double delay; /* group delay at DC of up + down, base-rate samples */
};

/* Allpass state of one direction: x[n-1] and y[n-1] per section. */
struct os_iir_state {
	float x1[OS_IIR_MAX], y1[OS_IIR_MAX];
};

struct oversampler {
	uint32_t factor;  /* 1, 2, 4 or 8 */
	uint32_t mode;    /* as set: factor, | OS_LOWLAT for the short design */
	uint32_t nstages; /* log2(factor) */
	double delay;     /* group delay at DC of up + down, base-rate samples */
	struct os_iir_coef iir[2]; /* [0] low latency, [1] 2/4/8x */
	uint32_t hb; /* the one in use (an index: the struct may be copied) */
	struct os_iir_state up, dn;
	struct os_stage st[OS_MAX_STAGES]; /* [1], [2]: stages 2 and 3 ([0] unused) */
	float tmp[2][DSP_MAX_CHUNK * OS_MAX_FACTOR];
};

/* One allpass section (c + z^-1)/(1 + c z^-1): y = (c x + x1) - c y1, the feed-forward sum
 * first, so that y[n-1] reaches y[n] through one multiply and one subtraction (the loops are
 * bound by that chain's latency: 8 cycles a sample, where c (x - y1) + x1 took 12). */
#define OS_AP(c, x, x1, y1) (((c) * (x) + (x1)) - (c) * (y1))

/* The IIR half-band of N sections (a constant after inlining) held in registers over a block,
 * so that a caller can run it inside its own per-sample loop (oversample.c's blocks and the
 * preamp's fused loops share these, and so the operations). Sections 2j and 2j + 1 do the
 * same operations on the two chains, so they run as the two lanes of one vector (lane 0
 * chain 0, lane 1 chain 1; an odd N's last section on lane 0 alone): half the instructions,
 * the same bits per chain. A section's previous input is the previous output of the section
 * before it in its chain (x1[k] == y1[k - 2] for k >= 2: every writer of the state keeps it
 * so), so only the first pair's previous input is held: fewer registers. */
struct os_iir_regs {
	dsp_v4f c[OS_IIR_MAX / 2], x0, y1[OS_IIR_MAX / 2];
	float cl, yl; /* an odd N's last section */
};

static inline __attribute__((always_inline)) void
os_iir_regs_load(struct os_iir_regs *r, const struct os_iir_coef *h, const struct os_iir_state *st,
		 const uint32_t N)
{
	for (uint32_t j = 0; j < N / 2; j++) {
		r->c[j] = (dsp_v4f){h->c[2 * j], h->c[2 * j + 1], 0.0f, 0.0f};
		r->y1[j] = (dsp_v4f){st->y1[2 * j], st->y1[2 * j + 1], 0.0f, 0.0f};
	}
	r->x0 = (dsp_v4f){st->x1[0], st->x1[1], 0.0f, 0.0f};
	r->cl = r->yl = 0.0f;
	if (N % 2)
		r->cl = h->c[N - 1], r->yl = st->y1[N - 1];
}

static inline __attribute__((always_inline)) void
os_iir_regs_store(const struct os_iir_regs *r, struct os_iir_state *st, const uint32_t N)
{
	st->x1[0] = r->x0[0], st->x1[1] = r->x0[1];
	for (uint32_t j = 0; j < N / 2; j++) {
		st->y1[2 * j] = r->y1[j][0], st->y1[2 * j + 1] = r->y1[j][1];
		if (j > 0)
			st->x1[2 * j] = r->y1[j - 1][0], st->x1[2 * j + 1] = r->y1[j - 1][1];
	}
	if (N % 2)
		st->x1[N - 1] = r->y1[N / 2 - 1][0], st->y1[N - 1] = r->yl;
}

/* One step of both chains: w = {chain 0's input, chain 1's input, 0, 0}; their outputs go to
 * *u (chain 0) and *v (chain 1). */
static inline __attribute__((always_inline)) void
os_iir_tick(struct os_iir_regs *r, dsp_v4f w, float *u, float *v, const uint32_t N)
{
	dsp_v4f xp = r->x0; /* this pair's previous input */
	r->x0 = w;
	for (uint32_t j = 0; j < N / 2; j++) {
		dsp_v4f y = OS_AP(r->c[j], w, xp, r->y1[j]);
		xp = r->y1[j];
		r->y1[j] = y, w = y;
	}
	float a = w[0];
	*v = w[1];
	if (N % 2) {
		float y = OS_AP(r->cl, a, xp[0], r->yl);
		r->yl = y, a = y;
	}
	*u = a;
}

/* Design every stage (not real-time: uses exp/Bessel series) and select factor 1. */
void os_init(struct oversampler *o);
/* factor 1, 2, 4 or 8 (anything else is treated as 1), 2 | OS_LOWLAT for the short IIR.
 * Clears the history. Real-time safe. */
void os_set_factor(struct oversampler *o, uint32_t mode);
void os_reset(struct oversampler *o);
/* Zero the IIR states that have decayed below 1e-20 (and NaN/Inf): call now and then. */
void os_flush(struct oversampler *o);
/* Group delay at DC of os_down(os_up(x)) at the current setting, base-rate samples. */
double os_delay(const struct oversampler *o);
/* in: n base-rate samples (n <= DSP_MAX_CHUNK); returns a pointer to n * factor samples
 * (inside the struct, valid until the next call; `in` itself when factor is 1). */
const float *os_up(struct oversampler *o, const float *in, uint32_t n);
/* in: n * factor top-rate samples (not the buffer os_up returned); out: n base-rate
 * samples. */
void os_down(struct oversampler *o, const float *in, float *out, uint32_t n);
/* The stages of os_up() above the first (IIR) one: in2 holds the first stage's 2n outputs,
 * os_up(in) = os_up_fir(o, the first stage's output for in, n) (factor > 1). A caller that
 * runs the first stage itself (os_iir_tick) writes it to os_up_buf(o). */
static inline float *os_up_buf(struct oversampler *o) { return o->tmp[0]; }
const float *os_up_fir(struct oversampler *o, uint32_t n);
/* The stages of os_down() above the last (IIR) one: returns the 2n samples that the IIR
 * half-band decimates to n (in itself at factor 2; inside the struct otherwise). */
const float *os_down_fir(struct oversampler *o, const float *in, uint32_t n);
/* os_down() followed by the biquad pc (state ps, both may be NULL: none), run in the last
 * half-band's loop so that the two recursions overlap (factor > 1; the biquad's sums
 * reassociated as in preamp.c: y[n-1] reaches y[n] through one multiply and two adds). */
void os_down_filter(struct oversampler *o, const float *in, float *out, uint32_t n,
		    const struct biquad_coef *pc, struct biquad_state *ps);

#endif
