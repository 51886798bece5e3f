/* comp.h: feed-forward log-domain compressor (Giannoulis, Massberg and Reiss, JAES 2012).
 * STUB: the dynamics issue replaces the body; the API below is what strip.c calls. */
#ifndef CHANSTRIP_COMP_H
#define CHANSTRIP_COMP_H

#include <stdint.h>

#include "dsp.h"

enum comp_detector { COMP_DETECT_PEAK, COMP_DETECT_RMS };

struct comp {
	float fs;
	int enabled;
	float min_gain; /* lowest linear gain applied since the meter last reset it */
};

int comp_init(struct comp *c, float fs); /* 0 or -EINVAL */
void comp_reset(struct comp *c);
void comp_set_enable(struct comp *c, int on);
void comp_set_threshold_db(struct comp *c, float dbfs); /* -60..0 */
void comp_set_ratio(struct comp *c, float ratio);       /* 1..20 */
void comp_set_knee_db(struct comp *c, float db);        /* 0..24 */
void comp_set_attack_ms(struct comp *c, float ms);      /* 0.1..200 */
void comp_set_release_ms(struct comp *c, float ms);     /* 5..3000 */
void comp_set_makeup_db(struct comp *c, float db);      /* 0..40 */
void comp_set_mix_pct(struct comp *c, float pct);       /* 0..100 */
void comp_set_auto_makeup(struct comp *c, int on);
void comp_set_detector(struct comp *c, int detector);   /* enum comp_detector */
void comp_set_sc_hpf_hz(struct comp *c, float hz);      /* 0 = off, 20..500 */
void comp_process(struct comp *c, const float *restrict in, float *restrict out, uint32_t n);

#endif
