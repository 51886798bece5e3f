/* STUB (owned by the dynamics issue): passes audio through unchanged. */
#include "gate.h"

#include <errno.h>
#include <string.h>

int gate_init(struct gate *g, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	g->fs = fs;
	g->enabled = 0;
	g->min_gain = 1.0f;
	return 0;
}

void gate_reset(struct gate *g) { g->min_gain = 1.0f; }

void gate_set_enable(struct gate *g, int on) { (void)g, (void)on; }
void gate_set_threshold_db(struct gate *g, float dbfs) { (void)g, (void)dbfs; }
void gate_set_hysteresis_db(struct gate *g, float db) { (void)g, (void)db; }
void gate_set_range_db(struct gate *g, float db) { (void)g, (void)db; }
void gate_set_attack_ms(struct gate *g, float ms) { (void)g, (void)ms; }
void gate_set_hold_ms(struct gate *g, float ms) { (void)g, (void)ms; }
void gate_set_release_ms(struct gate *g, float ms) { (void)g, (void)ms; }
void gate_set_mode(struct gate *g, int mode) { (void)g, (void)mode; }
void gate_set_ratio(struct gate *g, float ratio) { (void)g, (void)ratio; }
void gate_set_sc_hpf_hz(struct gate *g, float hz) { (void)g, (void)hz; }
void gate_process(struct gate *g, const float *restrict in, float *restrict out, uint32_t n)
{
	(void)g;
	memcpy(out, in, n * sizeof(float));
}

