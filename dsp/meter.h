/* meter.h: per-strip level meters, cheap in the audio path.
 *
 * The audio path only accumulates linear values (peak maxima, mean squares, clip counts);
 * meter_take() hands a snapshot over at each meter period, and meter_fields() converts
 * snapshots to the dB fields of design.md outside the audio path.
 *
 * Definitions (the user documentation repeats them):
 * - RMS: the mean square is integrated by a one-pole filter with time constant
 *   METER_RMS_TAU_S = 0.3 s / ln(1 / (1 - 0.99^2)) = 76.6 ms, updated every METER_MS_DECIM
 *   samples with the mean of their squares. After a step the RMS (square root) reaches 99 %
 *   of its final value in 300 ms, the VU meter's integration time. Reported AES17-style:
 *   10*log10(2 * mean square), so a full-scale sine reads 0 dBFS.
 * - Sample peak: max |x| in the period. True peak: ITU-R BS.1770-4 Annex 2 (truepeak.h),
 *   never below the sample peak.
 * - Clip: a run of consecutive input samples with |x| >= METER_CLIP_LEVEL counts as one
 *   clip, however long it is. METER_CLIP_LEVEL = 32767/32768 (-0.00027 dBFS) is the positive
 *   rail of a 16-bit converter; a 24-bit converter's positive rail (1 - 2^-23) and every
 *   negative rail (-1.0) are above it, so a converter driven into its rails registers on
 *   either polarity. A run that spans two meter periods counts once, in the first.
 * - Invalid input: NaN, Inf and |x| >= 2^32 (+192.7 dBFS) count as clipped samples and as
 *   0 for every level, so one bad sample never poisons the meters. At the output they read
 *   0 too but are not counted.
 * - Output: true peak (the same BS.1770-4 Annex 2 measurement), and out_clips, the output
 *   samples at or above full scale (|y| >= 1.0: what a PCM file or converter cannot hold;
 *   every sample counts, not runs).
 * - Loudness (loudness.h): momentary, short-term, integrated since reset, LRA, of the
 *   output, with the strip as one channel of weight 1.0 (not dual mono).
 * Every result is independent of how the input is cut into calls.
 *
 * The kernels (baseline or AVX2 build, same bits) are the ones m->arch names (cpu.h). */
#ifndef CHANSTRIP_METER_H
#define CHANSTRIP_METER_H

#include <stdint.h>

#include "chain.h"
#include "dsp.h"
#include "loudness.h"
#include "truepeak.h"

/* The dynamics stages of the chain (chain.h's GR rows), in order: METER_GR_GATE, ... */
enum meter_gr {
#define X(name, NAME, type, gr) CHAIN_IF_##gr(METER_GR_##NAME,)
	CHAIN_STAGES(X)
#undef X
	METER_GR_COUNT
};

/* Input that is not audio: NaN, Inf and |x| >= 2^32 (+192.7 dBFS). The strip makes it
 * silence at its input; the meters count it as clipped and read it as 0. */
#define METER_BAD_LEVEL 0x1p32f
static inline int meter_not_audio(float x)
{
	return !(x < METER_BAD_LEVEL && x > -METER_BAD_LEVEL);
}

/* Linear values covering one meter period; maxima never lose a peak between two takes.
 * A true peak is complete 6 samples after the sample it follows, so one in the last 6
 * samples of a period may land in the next period's in_tp (its sample peak does not). */
struct meter_snapshot {
	float in_ms;       /* input mean square (300 ms integration) at the end of the period */
	float in_peak;     /* max |x| of the input during the period */
	float in_tp;       /* max true peak (BS.1770-4, 4x) of the input during the period */
	uint32_t clips;    /* clip events at the input during the period */
	float gr_gain[METER_GR_COUNT]; /* lowest gain each dynamics stage applied in the period */
	float out_peak;    /* max |y| of the output during the period */
	float out_ms;      /* output mean square (300 ms integration) at the end of the period */
	uint32_t frames;   /* samples the period covered */
	/* the output's true peak and full-scale samples, and its loudness at the end of the
	 * period (LUFS, LU: loudness.h) */
	float out_tp;
	uint32_t out_clips;
	float lufs_m, lufs_s, lufs_i, lra;
};

/* What outlives a single snapshot on the control side: held true peak and clip total. */
struct meter_hold {
	float tp_held;
	uint64_t clips_total;
	uint64_t out_clips_total;
};

enum meter_field {
	MF_IN_RMS_DBFS,
	MF_IN_DBU,
	MF_IN_DBV,
	MF_IN_PEAK_DBFS,
	MF_IN_TRUE_PEAK_DBTP,
	MF_HEADROOM_DB,
	MF_CLIPS,
	/* one per dynamics stage, in chain order: MF_GATE_GR_DB "gate_gr_db", ... */
#define X(name, NAME, type, gr) CHAIN_IF_##gr(MF_##NAME##_GR_DB,)
	CHAIN_STAGES(X)
#undef X
	MF_OUT_PEAK_DBFS,
	MF_OUT_RMS_DBFS,
	MF_OUT_TRUE_PEAK_DBTP,
	MF_OUT_CLIPS, /* held total, like clips */
	MF_LUFS_M,
	MF_LUFS_S,
	MF_LUFS_I,
	MF_LRA,
	MF_COUNT
};

/* The field names, in order: design.md's, with "<stage>_gr_db" for each dynamics stage. */
extern const char *const meter_field_names[MF_COUNT];

#define METER_RMS_TAU_S 0.07659f /* 0.3 / ln(1 / (1 - 0.99^2)) */
#define METER_MS_DECIM 16u        /* samples per mean-square update */
#define METER_CLIP_LEVEL (32767.0f / 32768.0f)

/* Decimated one-pole mean square: squares land in sq[] by absolute position, and every
 * METER_MS_DECIM samples their sum (always added in the same order) updates ms. */
struct meter_ms {
	float sq[METER_MS_DECIM];
	uint32_t pos;
	float ms;
};

struct dsp_arch;

struct meter {
	const struct dsp_arch *arch; /* kernels (cpu.h), set after _init; NULL: the references */
	float fs;
	float ms_coef; /* one-pole pole per update */
	float ms_gain; /* (1 - ms_coef) / METER_MS_DECIM */
	struct meter_ms in_ms, out_ms;
	struct truepeak tp;
	struct truepeak tp_out;
	struct loudness loud;
	uint32_t in_clipped; /* the last input sample was clipped (a run is in progress) */
	struct meter_snapshot acc;
};

/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX. 0 or -EINVAL. */
int meter_init(struct meter *m, float fs);
/* Clear integrators, true-peak history and the current period (held values live in
 * struct meter_hold on the control side). */
void meter_reset(struct meter *m);
/* Real-time safe; n <= DSP_MAX_CHUNK; any values, including NaN and Inf. meter_input returns 1
 * when in holds a value that is not audio (NaN, Inf, |x| >= 2^32), else 0. */
int meter_input(struct meter *m, const float *in, uint32_t n);
void meter_output(struct meter *m, const float *out, uint32_t n);
/* out[i] = x[i] * g and meter_output() of it, in one pass; g == 1 copies x bit for bit.
 * x may be out itself (same index), not a shifted part of it. */
void meter_output_gain(struct meter *m, const float *x, float g, float *out, uint32_t n);
/* The output's true peak, full-scale count and loudness: after meter_output() or
 * meter_output_gain() on the same samples. Real-time safe; n <= DSP_MAX_CHUNK. */
void meter_output_post(struct meter *m, const float *out, uint32_t n);
/* Restart the integrated loudness and the LRA (momentary and short-term keep running). */
void meter_loudness_reset(struct meter *m);
/* Copy the period's input/output values into snap and start a new period. The caller fills
 * gr_gain[] (the strip, from its stages). */
void meter_take(struct meter *m, struct meter_snapshot *snap);

/* Fold src into dst (maxima, sums, minima; the later mean squares win): used when the
 * control side reads several periods at once. */
void meter_snapshot_merge(struct meter_snapshot *dst, const struct meter_snapshot *src);

/* Fold a snapshot into the held values (held true peak, clip total): once per snapshot. */
void meter_hold_update(struct meter_hold *hold, const struct meter_snapshot *s);
void meter_hold_reset(struct meter_hold *hold);
/* dB fields in design.md's order from a snapshot and the held values. cal_dbu: dBu at
 * 0 dBFS. Every value is finite. headroom_db is from this snapshot's true peak; the held
 * headroom is meter_headroom_held_db(). clips is the held total. */
void meter_fields(const struct meter_snapshot *s, const struct meter_hold *hold, float cal_dbu,
		  float fields[MF_COUNT]);
float meter_headroom_held_db(const struct meter_hold *hold);

#endif
