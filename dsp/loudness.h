/* loudness.h: ITU-R BS.1770-4 loudness and EBU Tech 3342 loudness range, one channel.
 *
 * - K-weighting: the Recommendation's two filters (high shelf +4 dB above ~1.7 kHz, high-pass
 *   at 38 Hz), designed for any sample rate from their analog prototypes (bilinear transform
 *   with prewarping; at 48 kHz this gives the Recommendation's table to 1e-8), run per sample
 *   in double (two biquads), squared and summed into 100 ms blocks.
 * - Momentary: the mean square of the last 4 blocks (400 ms), short-term: of the last 30
 *   (3 s), both updated every 100 ms; L = -0.691 + 10 log10(mean square).
 * - Integrated (since reset): the 400 ms gating blocks every 100 ms (75 % overlap), gated at
 *   -70 LUFS and then at 10 LU below the loudness of the blocks above -70.
 * - LRA (Tech 3342): short-term values every 100 ms once 3 s have been seen, gated at
 *   -70 LUFS and 20 LU below their energy mean; LRA = 95th - 10th percentile.
 *   Both keep a histogram of 0.01 LU bins from -70 to +30 LUFS with each bin's count and
 *   energy sum: the gated means are exact, only which side of a gate a block within 0.01 LU
 *   of it lands on, and the percentiles, are quantised (0.05 LU bins read libebur128's
 *   integrated 0.08 LU low on speech; 0.01 LU bins agree to 0.001).
 *
 * Channel weighting: a strip is one channel and is measured with weight 1.0, as one front
 * channel (L, R or C) of BS.1770; a mono signal is not counted twice as dual mono would
 * (libebur128's EBUR128_DUAL_MONO reads 3 dB higher). A stereo pair's programme loudness is
 * the power sum of its two strips' mean squares (loudness_blocks_combine in the tests).
 *
 * Pure DSP; loudness_process() is real-time safe. */
#ifndef CHANSTRIP_LOUDNESS_H
#define CHANSTRIP_LOUDNESS_H

#include <stdint.h>

#include "dsp.h"

#define LOUD_M_BLOCKS 4
#define LOUD_S_BLOCKS 30
#define LOUD_HIST_MIN (-70.0)
#define LOUD_HIST_STEP 0.01
#define LOUD_HIST_BINS 10000 /* -70 .. +30 LUFS */
#define LOUD_HIST_TOP 8192   /* the largest power of two <= LOUD_HIST_BINS */
#define LOUD_ABS_GATE (-70.0)
#define LOUD_REL_GATE_I (-10.0)
#define LOUD_REL_GATE_LRA (-20.0)

/* Histogram of block loudness as two Fenwick trees (count and energy per bin), so adding a
 * block, a gated mean and a percentile each cost O(log bins): cheap enough to recompute every
 * 100 ms in the audio thread. Index 1..LOUD_HIST_BINS. */
struct loud_hist {
	uint32_t count[LOUD_HIST_BINS + 1];
	double energy[LOUD_HIST_BINS + 1];
	uint64_t total;
	double total_energy;
};

struct loudness {
	double sb[3], sa[2], hb[3], ha[2]; /* shelf and high-pass, a0 = 1 */
	double s1, s2, h1, h2;             /* transposed direct form II states */
	uint32_t block_len, block_pos;
	double block_acc;
	double blocks[LOUD_S_BLOCKS]; /* mean squares of the last 30 blocks, ring */
	uint32_t bidx;
	uint64_t nblocks;             /* blocks since the integrator was reset */
	struct loud_hist gate_i, gate_lra;
	/* latest values (LUFS, LU); DSP_DB_FLOOR when there is nothing to measure */
	float lufs_m, lufs_s, lufs_i, lra;
	uint32_t updates;             /* 100 ms steps completed, wraps */
};

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX. 0 or -EINVAL. */
int loudness_init(struct loudness *l, float fs);
/* Clear everything: filters, blocks, integrated, LRA. */
void loudness_reset(struct loudness *l);
/* Restart the integrated loudness and the LRA; momentary and short-term keep running. */
void loudness_reset_integrated(struct loudness *l);
/* Real-time safe; any n; finite x. */
void loudness_process(struct loudness *l, const float *x, uint32_t n);

/* -0.691 + 10 log10(ms), DSP_DB_FLOOR for silence */
double loudness_lufs(double mean_square);
/* Integrated loudness and LRA of a histogram pair, as loudness_process keeps them (also for
 * combining the histograms of several channels' gating blocks: see the tests). */
double loud_hist_integrated(const struct loud_hist *h, double rel_gate_lu);
double loud_hist_range(const struct loud_hist *h);
void loud_hist_add(struct loud_hist *h, double mean_square);

/* A programme of nch channels (weights 1.0) as BS.1770 combines them: their 100 ms block mean
 * squares add, then one gating. Also its true peak (BS.1770-4 Annex 2). The caller owns the
 * arrays (nch of each); not for the audio thread (it cuts at block edges per call). */
struct truepeak;
struct loudness_prog {
	unsigned nch;
	struct loudness *ch;
	struct truepeak *tp;
	double blocks[LOUD_S_BLOCKS];
	uint32_t bidx;
	uint64_t nblocks;
	struct loud_hist gi, glra;
	float tp_max;
};
/* ch and tp: nch elements each, caller-allocated. 0 or -EINVAL. */
int loudness_prog_init(struct loudness_prog *p, unsigned nch, struct loudness *ch,
		       struct truepeak *tp, float fs);
/* n frames of each channel x[c][0..n-1]. */
void loudness_prog_process(struct loudness_prog *p, const float *const *x, uint32_t n);
double loudness_prog_integrated(const struct loudness_prog *p);
double loudness_prog_range(const struct loudness_prog *p);
double loudness_prog_true_peak_db(const struct loudness_prog *p);

#endif
