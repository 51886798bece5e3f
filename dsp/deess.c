/* STUB (owned by the dynamics issue): passes audio through unchanged. */
#include "deess.h"

#include <errno.h>
#include <string.h>

int deess_init(struct deess *d, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	d->fs = fs;
	d->enabled = 0;
	d->min_gain = 1.0f;
	return 0;
}

void deess_reset(struct deess *d) { d->min_gain = 1.0f; }

void deess_set_enable(struct deess *d, int on) { (void)d, (void)on; }
void deess_set_freq_hz(struct deess *d, float hz) { (void)d, (void)hz; }
void deess_set_threshold_db(struct deess *d, float dbfs) { (void)d, (void)dbfs; }
void deess_set_range_db(struct deess *d, float db) { (void)d, (void)db; }
void deess_set_mode(struct deess *d, int mode) { (void)d, (void)mode; }
void deess_set_listen(struct deess *d, int on) { (void)d, (void)on; }
void deess_process(struct deess *d, const float *restrict in, float *restrict out, uint32_t n)
{
	(void)d;
	memcpy(out, in, n * sizeof(float));
}

