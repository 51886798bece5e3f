/* oversample.h: 2x/4x/8x polyphase oversampling with cascaded linear-phase half-band FIRs.
 *
 * Each 2x stage runs in polyphase form. Interpolation uses Kaiser-windowed half-band filters
 * (one branch is a pure delay, the other a short symmetric FIR at the lower rate). The last
 * decimation (2fs -> fs) cannot be a half-band: a half-band is only -6 dB at fs/2, so a
 * harmonic just above fs/2 (the 5th of 4987 Hz at 48 kHz lies at 24935 Hz) would fold back
 * almost unattenuated. It is a full Kaiser low-pass instead, 87 taps, flat (+-0.05 dB) to
 * 0.4 fs and >= 70 dB down from fs/2. Stages 2 and 3 only have to keep the already
 * band-limited signal, so their half-bands are short.
 *
 * The up+down chain is linear phase. A short pure delay at the top rate pads its group delay
 * to a whole number of base-rate samples, so os_latency() is exact for everything that is
 * linear between up and down. Real-time safe: no allocation, all history in the struct. */
#ifndef CHANSTRIP_OVERSAMPLE_H
#define CHANSTRIP_OVERSAMPLE_H

#include <stdint.h>

#include "dsp.h"

#define OS_MAX_FACTOR 8u
#define OS_MAX_STAGES 3u
#define OS_MAX_TAPS 48u /* taps of the longest polyphase branch */
#define OS_DN1_TAPS 87u /* the final decimator (odd: whole-sample delay at 2 fs) */

struct os_stage {
	uint32_t m;                /* half-band order: 4m - 1 taps, 2m in the FIR branch */
	float up_c[OS_MAX_TAPS];   /* FIR branch taps for interpolation (gain 2 folded in) */
	float dn_c[OS_MAX_TAPS];   /* FIR branch taps for decimation (half-band stages) */
	/* stage 1 decimation only: a full low-pass split into even and odd taps */
	float dn_he[OS_MAX_TAPS], dn_ho[OS_MAX_TAPS];
	/* histories: previous taps-1 samples, then the current block */
	float up_hist[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
	float dn_even[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
	float dn_odd[OS_MAX_TAPS + DSP_MAX_CHUNK * OS_MAX_FACTOR / 2];
	int sharp; /* stage 1: decimate with dn_he/dn_ho */
};

struct oversampler {
	uint32_t factor;  /* 1, 2, 4 or 8 */
	uint32_t nstages; /* log2(factor) */
	uint32_t pad;     /* top-rate delay that makes the latency whole */
	uint32_t latency; /* base-rate samples, up + pad + down */
	struct os_stage st[OS_MAX_STAGES];
	float pad_hist[OS_MAX_FACTOR + DSP_MAX_CHUNK * OS_MAX_FACTOR];
	float tmp[2][DSP_MAX_CHUNK * OS_MAX_FACTOR];
};

/* Design every stage (not real-time: uses exp/Bessel series) and select factor 1. */
void os_init(struct oversampler *o);
/* factor 1, 2, 4 or 8 (anything else is treated as 1). Clears the history. Real-time safe. */
void os_set_factor(struct oversampler *o, uint32_t factor);
void os_reset(struct oversampler *o);
/* Whole base-rate samples of delay of os_down(os_up(x)) at the current factor. */
uint32_t os_latency(const struct oversampler *o);
/* Group delay of the chain at the top rate before padding, in base samples (for tests). */
double os_latency_for(uint32_t factor);
/* in: n base-rate samples (n <= DSP_MAX_CHUNK); returns a pointer to n * factor samples
 * (inside the struct, valid until the next call; `in` itself when factor is 1). */
const float *os_up(struct oversampler *o, const float *in, uint32_t n);
/* in: n * factor top-rate samples; out: n base-rate samples. in may be the buffer os_up
 * returned. */
void os_down(struct oversampler *o, const float *in, float *out, uint32_t n);

#endif
