/* STUB (owned by the dynamics issue): passes audio through unchanged. */
#include "comp.h"

#include <errno.h>
#include <string.h>

int comp_init(struct comp *c, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	c->fs = fs;
	c->enabled = 0;
	c->min_gain = 1.0f;
	return 0;
}

void comp_reset(struct comp *c) { c->min_gain = 1.0f; }

void comp_set_enable(struct comp *c, int on) { (void)c, (void)on; }
void comp_set_threshold_db(struct comp *c, float dbfs) { (void)c, (void)dbfs; }
void comp_set_ratio(struct comp *c, float ratio) { (void)c, (void)ratio; }
void comp_set_knee_db(struct comp *c, float db) { (void)c, (void)db; }
void comp_set_attack_ms(struct comp *c, float ms) { (void)c, (void)ms; }
void comp_set_release_ms(struct comp *c, float ms) { (void)c, (void)ms; }
void comp_set_makeup_db(struct comp *c, float db) { (void)c, (void)db; }
void comp_set_mix_pct(struct comp *c, float pct) { (void)c, (void)pct; }
void comp_set_auto_makeup(struct comp *c, int on) { (void)c, (void)on; }
void comp_set_detector(struct comp *c, int detector) { (void)c, (void)detector; }
void comp_set_sc_hpf_hz(struct comp *c, float hz) { (void)c, (void)hz; }
void comp_process(struct comp *c, const float *restrict in, float *restrict out, uint32_t n)
{
	(void)c;
	memcpy(out, in, n * sizeof(float));
}

