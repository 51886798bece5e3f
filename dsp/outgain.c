#include "outgain.h"

#include <errno.h>

static int out_init(void *st, float fs)
{
	struct outgain *o = st;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	smooth_init(&o->gain, fs, SMOOTH_TAU_MS, 0.0f);
	return 0;
}

static void out_reset(void *st) { smooth_jump(&((struct outgain *)st)->gain); }

/* 0 dB is exactly 1.0f: neutral settings stay bit-exact */
static void out_set(void *st, unsigned idx, float db)
{
	struct outgain *o = st;
	if (P_OUT_GAIN + (int)idx == P_OUT_GAIN)
		smooth_set(&o->gain, db == 0.0f ? 1.0f : dsp_db_to_gain(db));
}

const struct stage_desc out_stage = {
	.name = "out", .label = "output gain", .first = P_OUT_GAIN, .last = P_OUT_GAIN,
	.init = out_init, .reset = out_reset, .set = out_set,
};
