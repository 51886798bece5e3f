/* STUB (owned by the metering issue): sample peak and block mean square only. */
#include "meter.h"

#include <errno.h>
#include <math.h>
#include <string.h>

const char *const meter_field_names[MF_COUNT] = {
	"in_rms_dbfs", "in_dbu",	 "in_dbv",     "in_peak_dbfs",	 "in_true_peak_dbtp",
	"headroom_db", "clips",		 "gate_gr_db", "comp_gr_db",	 "deess_gr_db",
	"out_peak_dbfs", "out_rms_dbfs",
};

static void meter_clear_period(struct meter *m)
{
	memset(&m->acc, 0, sizeof(m->acc));
	m->acc.gate_gain = m->acc.comp_gain = m->acc.deess_gain = 1.0f;
}

int meter_init(struct meter *m, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	m->fs = fs;
	meter_clear_period(m);
	return 0;
}

void meter_reset(struct meter *m) { meter_clear_period(m); }

void meter_input(struct meter *m, const float *in, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(in[i]);
		if (a > m->acc.in_peak)
			m->acc.in_peak = a;
	}
	m->acc.in_tp = m->acc.in_peak;
	m->acc.frames += n;
}

void meter_output(struct meter *m, const float *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		float a = fabsf(out[i]);
		if (a > m->acc.out_peak)
			m->acc.out_peak = a;
	}
}

void meter_take(struct meter *m, struct meter_snapshot *snap)
{
	*snap = m->acc;
	meter_clear_period(m);
}

void meter_snapshot_merge(struct meter_snapshot *dst, const struct meter_snapshot *src)
{
	dst->in_ms = src->in_ms;
	dst->out_ms = src->out_ms;
	dst->in_peak = fmaxf(dst->in_peak, src->in_peak);
	dst->in_tp = fmaxf(dst->in_tp, src->in_tp);
	dst->out_peak = fmaxf(dst->out_peak, src->out_peak);
	dst->clips += src->clips;
	dst->gate_gain = fminf(dst->gate_gain, src->gate_gain);
	dst->comp_gain = fminf(dst->comp_gain, src->comp_gain);
	dst->deess_gain = fminf(dst->deess_gain, src->deess_gain);
	dst->frames += src->frames;
}

void meter_hold_reset(struct meter_hold *hold)
{
	hold->tp_held = 0.0f;
	hold->clips_total = 0;
}

void meter_hold_update(struct meter_hold *hold, const struct meter_snapshot *s)
{
	if (s->in_tp > hold->tp_held)
		hold->tp_held = s->in_tp;
	hold->clips_total += s->clips;
}

float meter_headroom_held_db(const struct meter_hold *hold) { return -dsp_gain_to_db(hold->tp_held); }

void meter_fields(const struct meter_snapshot *s, const struct meter_hold *hold, float cal_dbu,
		  float f[MF_COUNT])
{
	/* AES17: RMS + 3.01 dB so a full-scale sine reads 0 dBFS */
	f[MF_IN_RMS_DBFS] = dsp_power_to_db(2.0f * s->in_ms);
	f[MF_IN_DBU] = f[MF_IN_RMS_DBFS] + cal_dbu;
	f[MF_IN_DBV] = f[MF_IN_DBU] - 2.2185f;
	f[MF_IN_PEAK_DBFS] = dsp_gain_to_db(s->in_peak);
	f[MF_IN_TRUE_PEAK_DBTP] = dsp_gain_to_db(s->in_tp);
	f[MF_HEADROOM_DB] = -f[MF_IN_TRUE_PEAK_DBTP];
	f[MF_CLIPS] = (float)hold->clips_total;
	f[MF_GATE_GR_DB] = -dsp_gain_to_db(s->gate_gain);
	f[MF_COMP_GR_DB] = -dsp_gain_to_db(s->comp_gain);
	f[MF_DEESS_GR_DB] = -dsp_gain_to_db(s->deess_gain);
	f[MF_OUT_PEAK_DBFS] = dsp_gain_to_db(s->out_peak);
	f[MF_OUT_RMS_DBFS] = dsp_power_to_db(2.0f * s->out_ms);
}
