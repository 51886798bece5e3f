/* preamp.h: gain, polarity, low cut and saturation (the first stage of every strip).
 * STUB: the preamp issue replaces the body; the API below is what strip.c calls. */
#ifndef CHANSTRIP_PREAMP_H
#define CHANSTRIP_PREAMP_H

#include <stdint.h>

#include "dsp.h"
#include "smooth.h"

enum preamp_model { PREAMP_CLEAN, PREAMP_TUBE, PREAMP_TRANSFORMER, PREAMP_MODEL_COUNT };

struct preamp {
	float fs;
	struct smooth gain; /* linear, polarity folded in */
	float gain_db;
	int invert;
};

/* fs in Hz (DSP_FS_MIN..DSP_FS_MAX). Returns 0 or -EINVAL. */
int preamp_init(struct preamp *p, float fs);
void preamp_reset(struct preamp *p);
void preamp_set_gain_db(struct preamp *p, float db);       /* -20..70 */
void preamp_set_phase_invert(struct preamp *p, int invert); /* 0/1 */
void preamp_set_hpf_hz(struct preamp *p, float hz);         /* 0 = off, 20..500 */
void preamp_set_model(struct preamp *p, int model);         /* enum preamp_model */
void preamp_set_drive_db(struct preamp *p, float db);       /* 0..36 */
void preamp_set_oversample(struct preamp *p, int factor);   /* 1, 2, 4, 8 */
/* Whole-sample latency the preamp adds at its current settings (0 at oversample 1). */
uint32_t preamp_latency_samples(const struct preamp *p);
/* n <= DSP_MAX_CHUNK; in and out do not overlap. */
void preamp_process(struct preamp *p, const float *restrict in, float *restrict out, uint32_t n);

#endif
