/* STUB (owned by the preamp issue): gain and polarity only, smoothed. */
#include "preamp.h"

#include <errno.h>

static float preamp_target(const struct preamp *p)
{
	float g = dsp_db_to_gain(p->gain_db);
	if (p->gain_db == 0.0f)
		g = 1.0f; /* exact, so neutral settings are bit-exact */
	return p->invert ? -g : g;
}

int preamp_init(struct preamp *p, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	p->fs = fs;
	p->gain_db = 0.0f;
	p->invert = 0;
	smooth_init(&p->gain, fs, SMOOTH_TAU_MS, 1.0f);
	return 0;
}

void preamp_reset(struct preamp *p) { smooth_jump(&p->gain); }

void preamp_set_gain_db(struct preamp *p, float db)
{
	p->gain_db = db;
	smooth_set(&p->gain, preamp_target(p));
}

void preamp_set_phase_invert(struct preamp *p, int invert)
{
	p->invert = invert != 0;
	smooth_set(&p->gain, preamp_target(p));
}

void preamp_set_hpf_hz(struct preamp *p, float hz) { (void)p, (void)hz; }
void preamp_set_model(struct preamp *p, int model) { (void)p, (void)model; }
void preamp_set_drive_db(struct preamp *p, float db) { (void)p, (void)db; }
void preamp_set_oversample(struct preamp *p, int factor) { (void)p, (void)factor; }
uint32_t preamp_latency_samples(const struct preamp *p) { (void)p; return 0; }

void preamp_process(struct preamp *p, const float *restrict in, float *restrict out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = in[i] * smooth_next(&p->gain);
}
