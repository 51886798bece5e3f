/* deess.h: split-band / wide-band de-esser.
 * STUB: the dynamics issue replaces the body; the API below is what strip.c calls. */
#ifndef CHANSTRIP_DEESS_H
#define CHANSTRIP_DEESS_H

#include <stdint.h>

#include "dsp.h"

enum deess_mode { DEESS_SPLIT, DEESS_WIDE };

struct deess {
	float fs;
	int enabled;
	float min_gain; /* lowest linear (band) gain applied since the meter last reset it */
};

int deess_init(struct deess *d, float fs); /* 0 or -EINVAL */
void deess_reset(struct deess *d);
void deess_set_enable(struct deess *d, int on);
void deess_set_freq_hz(struct deess *d, float hz);       /* 2000..12000 */
void deess_set_threshold_db(struct deess *d, float dbfs); /* -60..0 */
void deess_set_range_db(struct deess *d, float db);      /* 0..24 */
void deess_set_mode(struct deess *d, int mode);          /* enum deess_mode */
void deess_set_listen(struct deess *d, int on);
void deess_process(struct deess *d, const float *restrict in, float *restrict out, uint32_t n);

#endif
