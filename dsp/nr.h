/* nr.h: spectral noise suppression (the nr.* parameters), between the preamp and the gate.
 *
 * A short-time Fourier transform (sqrt-Hann analysis and synthesis windows, 50 % overlap,
 * FFTW single precision) with one real gain per bin and frame:
 *
 *   noise power   adaptive: MCRA (minima-controlled recursive averaging, Cohen and Berdugo
 *                 2001): the smoothed periodogram's running minimum says where speech is
 *                 absent, and only there is the noise estimate averaged, so it follows a
 *                 changing floor within about a second but does not climb on held vowels;
 *                 learned: a profile taken from noise alone (nr_learn_start), which is right
 *                 from the first frame of speech and does not drift;
 *   speech gate   a frame without speech leaves every bin at the floor: the mean over
 *                 150 Hz-4 kHz of the log likelihood ratio of speech against noise (Sohn,
 *                 Kim and Sung 1999) over two frames, held 10 ms. Noise alone cannot open
 *                 single bins then (no musical noise, the pauses fall by nr.amount), so
 *                 within speech the bins can open at a low SNR and keep weak harmonics;
 *   gain          in a frame with speech, the fourth root of the Wiener gain on the
 *                 decision-directed a priori SNR (Ephraim and Malah 1984, over 0.02 s) where
 *                 the bin holds speech (smoothed power over 2x the noise estimate in use, or
 *                 over 4x within two frames for onsets), floored at -nr.amount dB, so what
 *                 is left of the noise keeps its own spectrum and sounds like quieter noise;
 *                 a bin between two open ones is raised towards them (never lowered).
 *
 * Frame size: the largest 2^k or 3*2^k not above 12 ms of samples (512 at 44.1/48 kHz, 96
 * at 8 kHz, 2048 from 176.4 kHz), so the latency, one frame, is at most 12 ms at every rate.
 * Off: no latency and the input untouched (the stage is idle); switching crossfades.
 *
 * The learned profile crosses to presets in a rate-independent form: noise power spectral
 * density in dB re full scale per Hz at NR_PROFILE_POINTS frequencies, log-spaced from 20 Hz
 * to 20 kHz (nr_profile_hz); bins between points are interpolated in dB over log frequency. */
#ifndef CHANSTRIP_NR_H
#define CHANSTRIP_NR_H

#include <stdatomic.h>
#include <stdint.h>

#include "stage.h"

#define NR_FFT_MAX 2048u
#define NR_BINS_MAX (NR_FFT_MAX / 2u + 1u)
#define NR_PROFILE_POINTS 64u
/* Room to align a buffer to 64 bytes inside the struct (the FFTW plans are made on aligned
 * arrays, and an array passed to the new-array execute functions must be aligned alike). */
#define NR_ALIGN_PAD 16u

enum nr_mode { NR_ADAPTIVE, NR_LEARNED };

struct fftwf_plan_s;

struct nr {
	float fs;
	uint32_t n_fft, hop, bins;
	struct fftwf_plan_s *fwd, *inv; /* shared per size, never freed (see nr.c) */

	/* parameters */
	int enable, mode, listen;
	float floor_gain; /* 10^(-amount/20) */
	float over;       /* noise estimate scale, 10^(threshold/10) */

	/* coefficients per frame (from time constants, so every rate behaves alike) */
	float a_s, a_d, a_dd; /* periodogram smoothing, noise averaging, decision-directed */
	uint32_t min_frames;  /* MCRA minimum window */
	uint32_t start_frames; /* the MCRA minimum follows for these at a start */
	uint32_t gate_k0, gate_k1, gate_hold_frames; /* the speech gate's bins and hold */

	/* stream */
	int running;      /* the STFT runs (enabled, or fading out) */
	uint32_t pos;     /* samples of the current hop taken */
	uint32_t preroll; /* after enabling: dry output until the first frame is whole */
	float fade;       /* 0 dry .. 1 processed */
	float fade_step;  /* per sample */
	uint32_t min_count;
	uint32_t frames;  /* since the stream started (the estimate seeds on the first) */
	float gate_llr;   /* the speech gate's statistic of the previous frame */
	uint32_t gate_hold; /* frames the gate stays open */

	/* learning: frames left, frames taken, and the mean periodogram so far */
	uint32_t learn_left, learn_taken;
	int has_profile;
	atomic_uint profile_seq; /* odd while the audio thread writes profile_db */
	float profile_db[NR_PROFILE_POINTS];
	float profile_in[NR_PROFILE_POINTS]; /* arriving (nr_profile_stage) */
	float profile[NR_BINS_MAX]; /* the profile as expected |Y|^2 per bin */

	float win[NR_FFT_MAX];
	float in_fifo[NR_FFT_MAX];  /* the last n_fft inputs (the current hop at the end) */
	float ola[NR_FFT_MAX];      /* overlap-add of the processed frames */
	float out_ready[NR_FFT_MAX / 2]; /* the hop being output */
	float dry_ready[NR_FFT_MAX / 2]; /* the input that hop came from (listen) */
	float time_raw[NR_FFT_MAX + NR_ALIGN_PAD];
	float spec_raw[2 * NR_BINS_MAX + NR_ALIGN_PAD];

	float noise[NR_BINS_MAX];  /* noise power estimate per bin */
	float smooth[NR_BINS_MAX]; /* smoothed periodogram (MCRA) */
	float fast[NR_BINS_MAX];   /* the same over two frames (where the gain opens) */
	float smin[NR_BINS_MAX], stmp[NR_BINS_MAX];
	float prob[NR_BINS_MAX];   /* speech presence probability (MCRA) */
	float gprob[NR_BINS_MAX];  /* the same against the noise estimate in use (gain) */
	float clean[NR_BINS_MAX];  /* previous frame's G^2 |Y|^2 (decision-directed) */
	float gain[NR_BINS_MAX];
	float learn_acc[NR_BINS_MAX];
};

extern const struct stage_desc nr_stage;

/* fs in Hz (8 kHz .. 384 kHz). Makes (or reuses) the FFT plans: not real-time. 0 or
 * -EINVAL / -ENOMEM. */
int nr_init(struct nr *r, float fs);
void nr_reset(struct nr *r);
/* Frame size in samples at fs (what the latency is). */
uint32_t nr_frame_size(float fs);
/* Real-time safe: take the mean noise spectrum over the next seconds (0.1 .. 30) of input;
 * when done it becomes the profile learned mode uses. Learning runs only while enabled. */
void nr_learn_start(struct nr *r, float seconds);
/* 1 while learning. */
int nr_learning(const struct nr *r);
/* The profile (NR_PROFILE_POINTS dB values): 1 and out filled if there is one, else 0. Safe
 * from another thread than the audio thread (a sequence count guards the copy). */
int nr_profile_get(const struct nr *r, float out_db[NR_PROFILE_POINTS]);
/* Install a profile (from a preset). Real-time safe (no allocation); values are clamped to
 * -200 .. 0 dB. */
void nr_profile_set(struct nr *r, const float db[NR_PROFILE_POINTS]);
/* Point i (0 .. NR_PROFILE_POINTS - 1) of a profile arriving one value at a time (a control
 * ring carries one number per message); the last point installs it. Real-time safe. */
void nr_profile_stage(struct nr *r, unsigned i, float db);
/* Frequency of profile point i (Hz). */
float nr_profile_hz(unsigned i);
/* Process n samples (any n); in and out may not overlap. */
void nr_process(struct nr *r, const float *in, float *out, uint32_t n);

#endif
