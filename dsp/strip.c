#include "strip.h"

#include "cpu.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

const struct dsp_arch *strip_simd_select(int force_c) { return dsp_arch_select(force_c); }

const char *strip_simd_name(const struct dsp_arch *arch) { return dsp_arch_or_c(arch)->name; }

int strip_init(struct strip *s, float fs, const struct dsp_arch *arch)
{
	int err;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->fs = fs;
	if ((err = preamp_init(&s->pre, fs)) || (err = gate_init(&s->gate, fs)) ||
	    (err = comp_init(&s->comp, fs)) || (err = deess_init(&s->deess, fs)) ||
	    (err = meter_init(&s->meter, fs)))
		return err;
	s->arch = arch;
	s->pre.arch = s->gate.arch = s->comp.arch = s->deess.arch = s->meter.arch = arch;
	smooth_init(&s->out_gain, fs, SMOOTH_TAU_MS, 1.0f);
	for (int i = 0; i < P_COUNT; i++)
		strip_set_param(s, (enum param_id)i, param_table[i].def);
	strip_reset(s);
	return 0;
}

void strip_reset(struct strip *s)
{
	preamp_reset(&s->pre);
	gate_reset(&s->gate);
	comp_reset(&s->comp);
	deess_reset(&s->deess);
	meter_reset(&s->meter);
	smooth_jump(&s->out_gain);
}

static float out_gain_linear(float db) { return db == 0.0f ? 1.0f : dsp_db_to_gain(db); }

void strip_set_param(struct strip *s, enum param_id id, float v)
{
	int b = v != 0.0f;
	int e = (int)v;
	s->values[id] = v;
	switch (id) {
	case P_PRE_GAIN: preamp_set_gain_db(&s->pre, v); break;
	case P_PRE_PHASE: preamp_set_phase_invert(&s->pre, b); break;
	case P_PRE_HPF: preamp_set_hpf_hz(&s->pre, v); break;
	case P_PRE_MODEL: preamp_set_model(&s->pre, e); break;
	case P_PRE_DRIVE: preamp_set_drive_db(&s->pre, v); break;
	case P_PRE_OVERSAMPLE: preamp_set_oversample(&s->pre, e); break;
	case P_GATE_ENABLE: gate_set_enable(&s->gate, b); break;
	case P_GATE_THRESHOLD: gate_set_threshold_db(&s->gate, v); break;
	case P_GATE_HYSTERESIS: gate_set_hysteresis_db(&s->gate, v); break;
	case P_GATE_RANGE: gate_set_range_db(&s->gate, v); break;
	case P_GATE_ATTACK: gate_set_attack_ms(&s->gate, v); break;
	case P_GATE_HOLD: gate_set_hold_ms(&s->gate, v); break;
	case P_GATE_RELEASE: gate_set_release_ms(&s->gate, v); break;
	case P_GATE_MODE: gate_set_mode(&s->gate, e); break;
	case P_GATE_RATIO: gate_set_ratio(&s->gate, v); break;
	case P_GATE_SC_HPF: gate_set_sc_hpf_hz(&s->gate, v); break;
	case P_COMP_ENABLE: comp_set_enable(&s->comp, b); break;
	case P_COMP_THRESHOLD: comp_set_threshold_db(&s->comp, v); break;
	case P_COMP_RATIO: comp_set_ratio(&s->comp, v); break;
	case P_COMP_KNEE: comp_set_knee_db(&s->comp, v); break;
	case P_COMP_ATTACK: comp_set_attack_ms(&s->comp, v); break;
	case P_COMP_RELEASE: comp_set_release_ms(&s->comp, v); break;
	case P_COMP_MAKEUP: comp_set_makeup_db(&s->comp, v); break;
	case P_COMP_MIX: comp_set_mix_pct(&s->comp, v); break;
	case P_COMP_AUTO_MAKEUP: comp_set_auto_makeup(&s->comp, b); break;
	case P_COMP_DETECTOR: comp_set_detector(&s->comp, e); break;
	case P_COMP_SC_HPF: comp_set_sc_hpf_hz(&s->comp, v); break;
	case P_DEESS_ENABLE: deess_set_enable(&s->deess, b); break;
	case P_DEESS_FREQ: deess_set_freq_hz(&s->deess, v); break;
	case P_DEESS_THRESHOLD: deess_set_threshold_db(&s->deess, v); break;
	case P_DEESS_RANGE: deess_set_range_db(&s->deess, v); break;
	case P_DEESS_MODE: deess_set_mode(&s->deess, e); break;
	case P_DEESS_LISTEN: deess_set_listen(&s->deess, b); break;
	case P_OUT_GAIN: smooth_set(&s->out_gain, out_gain_linear(v)); break;
	case P_METER_CAL: break; /* used on the control side only (meter_fields) */
	case P_COUNT: break;
	}
}

float strip_get_param(const struct strip *s, enum param_id id) { return s->values[id]; }

uint32_t strip_latency_samples(const struct strip *s) { return preamp_latency_samples(&s->pre); }

/* The strip's scratch buffer that x is not: each stage writes to the one its input is not
 * in, and never to the caller's buffers, so in may alias out. */
static float *strip_other_buf(struct strip *s, const float *x)
{
	return x == s->buf_a ? s->buf_b : s->buf_a;
}

enum strip_stage { STAGE_GATE, STAGE_COMP, STAGE_DEESS };

/* One dynamics stage over the lanes that have it on. The modules' own bypass test (their
 * *_process() copies in to out when it holds) is applied here instead, so an idle stage is
 * skipped without its copy; the busy lanes go through one *_process_lanes() call. */
static void strip_stage_lanes(struct strip *const *s, unsigned nl, const float **x,
			      enum strip_stage stage, uint32_t n)
{
	struct gate *g[DSP_LANES_MAX];
	struct comp *c[DSP_LANES_MAX];
	struct deess *d[DSP_LANES_MAX];
	const float *src[DSP_LANES_MAX];
	float *dst[DSP_LANES_MAX];
	unsigned lane[DSP_LANES_MAX], k = 0;
	for (unsigned l = 0; l < nl; l++) {
		g[k] = &s[l]->gate, c[k] = &s[l]->comp, d[k] = &s[l]->deess;
		int idle = stage == STAGE_GATE ? gate_idle(g[k])
			   : stage == STAGE_COMP ? comp_idle(c[k])
						 : deess_idle(d[k]);
		if (idle)
			continue;
		src[k] = x[l];
		dst[k] = strip_other_buf(s[l], x[l]);
		lane[k++] = l;
	}
	if (k == 0)
		return;
	if (stage == STAGE_GATE)
		gate_process_lanes(g, k, src, dst, n);
	else if (stage == STAGE_COMP)
		comp_process_lanes(c, k, src, dst, n);
	else
		deess_process_lanes(d, k, src, dst, n);
	for (unsigned j = 0; j < k; j++)
		x[lane[j]] = dst[j];
}

static void strip_chunk_lanes(struct strip *const *s, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	const float *x[DSP_LANES_MAX];
	float *dst[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++) {
		/* The meter sees the raw input, so NaN/Inf count as clips there, and says whether
		 * any sample is not audio. Only then is the input copied, with NaN/Inf made silence
		 * rather than poisoning every filter and detector downstream for good; otherwise the
		 * stages read in itself (they write only to buf_a and buf_b, so in may alias out). */
		x[l] = in[l];
		if (meter_input(&s[l]->meter, in[l], n)) {
			float *a = s[l]->buf_a;
			for (uint32_t i = 0; i < n; i++)
				a[i] = fabsf(in[l][i]) <= FLT_MAX ? in[l][i] : 0.0f;
			x[l] = a;
		}
		dst[l] = strip_other_buf(s[l], x[l]);
	}
	{
		struct preamp *p[DSP_LANES_MAX];
		for (unsigned l = 0; l < nl; l++)
			p[l] = &s[l]->pre;
		preamp_run_lanes(p, nl, x, dst, x, n);
	}
	strip_stage_lanes(s, nl, x, STAGE_GATE, n);
	strip_stage_lanes(s, nl, x, STAGE_COMP, n);
	strip_stage_lanes(s, nl, x, STAGE_DEESS, n);
	/* output gain and output meter in one pass, straight into out */
	for (unsigned l = 0; l < nl; l++) {
		struct strip *st = s[l];
		if (smooth_settled(&st->out_gain)) {
			meter_output_gain(&st->meter, x[l], st->out_gain.cur, out[l], n);
		} else {
			for (uint32_t i = 0; i < n; i++)
				out[l][i] = x[l][i] * smooth_next(&st->out_gain);
			meter_output(&st->meter, out[l], n);
		}
	}
}

void strip_process_lanes(struct strip *const *s, unsigned nl, const float *const *in,
			 float *const *out, uint32_t n)
{
	const float *pi[DSP_LANES_MAX];
	float *po[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++)
		pi[l] = in[l], po[l] = out[l];
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < DSP_MAX_CHUNK ? n - done : DSP_MAX_CHUNK;
		strip_chunk_lanes(s, nl, pi, po, k);
		for (unsigned l = 0; l < nl; l++)
			pi[l] += k, po[l] += k;
		done += k;
	}
}

void strip_process(struct strip *s, const float *in, float *out, uint32_t n)
{
	strip_process_lanes(&s, 1, &in, &out, n);
}

void strip_process_many(struct strip *s, unsigned count, const float *const *in,
			float *const *out, uint32_t n)
{
	/* Groups as even as possible (10 strips: 5 + 5, not 8 + 2): every group then has
	 * about as many independent recursions to overlap. */
	unsigned groups = (count + DSP_LANES_MAX - 1) / DSP_LANES_MAX;
	for (unsigned g = 0, first = 0; g < groups; g++) {
		unsigned nl = (count - first) / (groups - g);
		struct strip *ps[DSP_LANES_MAX];
		for (unsigned l = 0; l < nl; l++)
			ps[l] = &s[first + l];
		strip_process_lanes(ps, nl, in + first, out + first, n);
		first += nl;
	}
}

void strip_meter_take(struct strip *s, struct meter_snapshot *snap)
{
	meter_take(&s->meter, snap);
	snap->gate_gain = s->gate.min_gain;
	snap->comp_gain = s->comp.min_gain;
	snap->deess_gain = s->deess.min_gain;
	s->gate.min_gain = s->comp.min_gain = s->deess.min_gain = 1.0f;
}
