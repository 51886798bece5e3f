/* gate.h: gate / downward expander with hysteresis and hold.
 * STUB: the dynamics issue replaces the body; the API below is what strip.c calls. */
#ifndef CHANSTRIP_GATE_H
#define CHANSTRIP_GATE_H

#include <stdint.h>

#include "dsp.h"

enum gate_mode { GATE_MODE_GATE, GATE_MODE_EXPANDER };

struct gate {
	float fs;
	int enabled;
	/* Lowest linear gain applied since the strip's meter last reset it (1.0 = none). */
	float min_gain;
};

int gate_init(struct gate *g, float fs); /* 0 or -EINVAL */
void gate_reset(struct gate *g);
void gate_set_enable(struct gate *g, int on);
void gate_set_threshold_db(struct gate *g, float dbfs);  /* -90..0 */
void gate_set_hysteresis_db(struct gate *g, float db);   /* 0..20 */
void gate_set_range_db(struct gate *g, float db);        /* 0..90 */
void gate_set_attack_ms(struct gate *g, float ms);       /* 0.01..100 */
void gate_set_hold_ms(struct gate *g, float ms);         /* 0..2000 */
void gate_set_release_ms(struct gate *g, float ms);      /* 1..4000 */
void gate_set_mode(struct gate *g, int mode);            /* enum gate_mode */
void gate_set_ratio(struct gate *g, float ratio);        /* 1..10, expander mode */
void gate_set_sc_hpf_hz(struct gate *g, float hz);       /* 0 = off, 20..2000 */
/* n <= DSP_MAX_CHUNK; in and out do not overlap. */
void gate_process(struct gate *g, const float *restrict in, float *restrict out, uint32_t n);

#endif
