/* meter.h: per-strip level meters, cheap in the audio path.
 *
 * The audio path only accumulates linear values (peak maxima, mean squares, clip counts);
 * meter_take() hands a snapshot over at each meter period, and meter_fields() converts
 * snapshots to the dB fields of design.md outside the audio path.
 * STUB: the metering issue replaces the body (true peak, RMS integration, clips). */
#ifndef CHANSTRIP_METER_H
#define CHANSTRIP_METER_H

#include <stdint.h>

#include "dsp.h"

/* Linear values covering one meter period; maxima never lose a peak between two takes. */
struct meter_snapshot {
	float in_ms;       /* input mean square (300 ms integration) at the end of the period */
	float in_peak;     /* max |x| of the input during the period */
	float in_tp;       /* max true peak (BS.1770-4, 4x) of the input during the period */
	uint32_t clips;    /* clip events at the input during the period */
	float gate_gain;   /* lowest gain each dynamics stage applied during the period */
	float comp_gain;
	float deess_gain;
	float out_peak;    /* max |y| of the output during the period */
	float out_ms;      /* output mean square (300 ms integration) at the end of the period */
	uint32_t frames;   /* samples the period covered */
};

/* What outlives a single snapshot on the control side: held true peak and clip total. */
struct meter_hold {
	float tp_held;
	uint64_t clips_total;
};

enum meter_field {
	MF_IN_RMS_DBFS,
	MF_IN_DBU,
	MF_IN_DBV,
	MF_IN_PEAK_DBFS,
	MF_IN_TRUE_PEAK_DBTP,
	MF_HEADROOM_DB,
	MF_CLIPS,
	MF_GATE_GR_DB,
	MF_COMP_GR_DB,
	MF_DEESS_GR_DB,
	MF_OUT_PEAK_DBFS,
	MF_OUT_RMS_DBFS,
	MF_COUNT
};

/* design.md's field names, in order. */
extern const char *const meter_field_names[MF_COUNT];

struct meter {
	float fs;
	struct meter_snapshot acc;
};

int meter_init(struct meter *m, float fs); /* 0 or -EINVAL */
void meter_reset(struct meter *m);
/* n <= DSP_MAX_CHUNK. */
void meter_input(struct meter *m, const float *in, uint32_t n);
void meter_output(struct meter *m, const float *out, uint32_t n);
/* Copy the period's input/output values into snap and start a new period. The caller fills
 * the gain fields. */
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
