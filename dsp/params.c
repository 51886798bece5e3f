#include "params.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const model_names[] = {"clean", "tube", "transformer", NULL};
static const char *const gate_mode_names[] = {"gate", "expander", NULL};
static const char *const detector_names[] = {"peak", "rms", NULL};
static const char *const deess_mode_names[] = {"split", "wide", NULL};
static const char *const nr_mode_names[] = {"adaptive", "learned", NULL};
static const float oversample_steps[] = {1, 2, 4, 8};
static const char *const hum_names[] = {"off", "50", "60", NULL};
static const float hum_harmonic_steps[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const float link_group_steps[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

const struct param_def param_table[P_COUNT] = {
	[P_PRE_GAIN] = {"pre.gain", "dB", -20, 70, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			"preamp gain (mic pres give 30-60 dB, ribbons ~70)"},
	[P_PRE_PHASE] = {"pre.phase", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "polarity invert"},
	[P_PRE_HPF] = {"pre.hpf", "Hz", 20, 500, 0, PT_FLOAT, TAPER_LOG, PF_ZERO_IS_OFF, NULL, NULL,
		       0, "low cut corner, 0 = off"},
	[P_PRE_MODEL] = {"pre.model", "enum", 0, 2, 0, PT_ENUM, TAPER_LINEAR, 0, model_names, NULL, 0,
			 "saturation curve"},
	[P_PRE_DRIVE] = {"pre.drive", "dB", 0, 36, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "how hard the signal hits the curve"},
	[P_PRE_OVERSAMPLE] = {"pre.oversample", "x", 1, 8, 1, PT_STEPS, TAPER_LINEAR, 0, NULL,
			      oversample_steps, 4,
			      "saturation oversampling: 1 = a curve at 2x on a short IIR (2 samples); 2/4/8 more"},
	[P_PRE_HUM] = {"pre.hum", "enum", 0, 2, 0, PT_ENUM, TAPER_LINEAR, 0, hum_names, NULL, 0,
		       "notch the mains hum at 50 or 60 Hz and its harmonics (before the curve)"},
	[P_PRE_HUM_HARMONICS] = {"pre.hum_harmonics", "count", 1, 10, 5, PT_STEPS, TAPER_LINEAR, 0,
				 NULL, hum_harmonic_steps, 10,
				 "how many harmonics are notched, the fundamental included"},
	[P_PRE_AIR] = {"pre.air", "dB", 0, 8, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
		       "air: a gentle transformer-style high lift (after the curve), 0 = off"},

	[P_NR_ENABLE] = {"nr.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "noise suppressor on (adds one frame of latency, at most 12 ms)"},
	[P_NR_AMOUNT] = {"nr.amount", "dB", 0, 30, 12, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "most reduction of the noise"},
	[P_NR_MODE] = {"nr.mode", "enum", 0, 1, 0, PT_ENUM, TAPER_LINEAR, 0, nr_mode_names, NULL, 0,
		       "adaptive: tracks the noise floor; learned: the profile from nr/learn "
		       "(until then adaptive)"},
	[P_NR_THRESHOLD] = {"nr.threshold", "dB", -10, 10, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL,
			    0, "noise estimate offset: higher removes more (and risks the voice)"},
	[P_NR_LISTEN] = {"nr.listen", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "output what is removed"},

	[P_GATE_ENABLE] = {"gate.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "gate/expander on"},
	[P_GATE_THRESHOLD] = {"gate.threshold", "dBFS", -90, 0, -50, PT_FLOAT, TAPER_LINEAR, 0, NULL,
			      NULL, 0, "opens above this"},
	[P_GATE_HYSTERESIS] = {"gate.hysteresis", "dB", 0, 20, 3, PT_FLOAT, TAPER_LINEAR, 0, NULL,
			       NULL, 0, "closes at threshold - hysteresis"},
	[P_GATE_RANGE] = {"gate.range", "dB", 0, 90, 40, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			  "attenuation when closed"},
	[P_GATE_ATTACK] = {"gate.attack", "ms", 0.01f, 100, 0.5f, PT_FLOAT, TAPER_LOG, 0, NULL, NULL,
			   0, "attack time constant (one pole in dB: 63 % of the way open in this time)"},
	[P_GATE_HOLD] = {"gate.hold", "ms", 0, 2000, 50, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "stays open this long after the level drops (15 ms at least)"},
	[P_GATE_RELEASE] = {"gate.release", "ms", 1, 4000, 100, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			    "release time constant (one pole in dB: 63 % of the way closed in this "
			    "time, 99 % in 4.6 times it)"},
	[P_GATE_MODE] = {"gate.mode", "enum", 0, 1, 0, PT_ENUM, TAPER_LINEAR, 0, gate_mode_names,
			 NULL, 0, "gate: full range when closed; expander: ratio below threshold"},
	[P_GATE_RATIO] = {"gate.ratio", ":1", 1, 10, 2, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			  "expander ratio below the threshold (expander mode)"},
	[P_GATE_SC_HPF] = {"gate.sc_hpf", "Hz", 20, 2000, 0, PT_FLOAT, TAPER_LOG, PF_ZERO_IS_OFF,
			   NULL, NULL, 0, "detector high-pass (ignore rumble), 0 = off"},

	[P_COMP_ENABLE] = {"comp.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "compressor on"},
	[P_COMP_THRESHOLD] = {"comp.threshold", "dBFS", -60, 0, -18, PT_FLOAT, TAPER_LINEAR, 0, NULL,
			      NULL, 0, "knee centre"},
	[P_COMP_RATIO] = {"comp.ratio", ":1", 1, 20, 4, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			  "compression ratio"},
	[P_COMP_KNEE] = {"comp.knee", "dB", 0, 24, 6, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "soft-knee width"},
	[P_COMP_ATTACK] = {"comp.attack", "ms", 0.1f, 200, 10, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			   "attack time constant"},
	[P_COMP_RELEASE] = {"comp.release", "ms", 5, 3000, 100, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			    "release time constant"},
	[P_COMP_MAKEUP] = {"comp.makeup", "dB", 0, 40, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "makeup gain"},
	[P_COMP_MIX] = {"comp.mix", "%", 0, 100, 100, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			"wet share (parallel compression)"},
	[P_COMP_AUTO_MAKEUP] = {"comp.auto_makeup", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL,
				NULL, 0, "add the static curve's gain reduction at 0 dBFS back"},
	[P_COMP_DETECTOR] = {"comp.detector", "enum", 0, 1, 0, PT_ENUM, TAPER_LINEAR, 0,
			     detector_names, NULL, 0, "level detector"},
	[P_COMP_SC_HPF] = {"comp.sc_hpf", "Hz", 20, 500, 0, PT_FLOAT, TAPER_LOG, PF_ZERO_IS_OFF,
			   NULL, NULL, 0, "detector high-pass, 0 = off"},

	[P_DEESS_ENABLE] = {"deess.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			    "de-esser on"},
	[P_DEESS_FREQ] = {"deess.freq", "Hz", 2000, 12000, 6000, PT_FLOAT, TAPER_LOG, 0, NULL, NULL,
			  0, "centre of the sibilance band the detector hears; glides"},
	[P_DEESS_THRESHOLD] = {"deess.threshold", "dBFS", -60, 0, -30, PT_FLOAT, TAPER_LINEAR, 0,
			       NULL, NULL, 0, "band level above which it reduces"},
	[P_DEESS_RANGE] = {"deess.range", "dB", 0, 24, 12, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "most reduction it may apply"},
	[P_DEESS_MODE] = {"deess.mode", "enum", 0, 1, 0, PT_ENUM, TAPER_LINEAR, 0, deess_mode_names,
			  NULL, 0, "split: only the band above 2/3 freq is reduced; wide: the whole signal"},
	[P_DEESS_LISTEN] = {"deess.listen", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			    "output the detector's band (peaks at freq)"},

	[P_EQ_ENABLE] = {"eq.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "EQ on"},
	[P_EQ_LOW_ENABLE] = {"eq.low_enable", "bool", 0, 1, 1, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL,
			     0, "low shelf in (off: flat, its settings kept for A/B)"},
	[P_EQ_LOW_GAIN] = {"eq.low_gain", "dB", -15, 15, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "low shelf gain"},
	[P_EQ_LOW_FREQ] = {"eq.low_freq", "Hz", 30, 500, 100, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			   "low shelf corner (half its gain in dB)"},
	[P_EQ_MID_ENABLE] = {"eq.mid_enable", "bool", 0, 1, 1, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL,
			     0, "bell in (off: flat, its settings kept for A/B)"},
	[P_EQ_MID_GAIN] = {"eq.mid_gain", "dB", -15, 15, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			   "bell gain"},
	[P_EQ_MID_FREQ] = {"eq.mid_freq", "Hz", 200, 8000, 1000, PT_FLOAT, TAPER_LOG, 0, NULL, NULL,
			   0, "bell centre"},
	[P_EQ_MID_Q] = {"eq.mid_q", "Q", 0.3f, 8, 1, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			"bell quality (higher: narrower)"},
	[P_EQ_HIGH_ENABLE] = {"eq.high_enable", "bool", 0, 1, 1, PT_BOOL, TAPER_LINEAR, 0, NULL,
			      NULL, 0, "high shelf in (off: flat, its settings kept for A/B)"},
	[P_EQ_HIGH_GAIN] = {"eq.high_gain", "dB", -15, 15, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL,
			    0, "high shelf gain"},
	[P_EQ_HIGH_FREQ] = {"eq.high_freq", "Hz", 1000, 16000, 8000, PT_FLOAT, TAPER_LOG, 0, NULL,
			    NULL, 0, "high shelf corner (half its gain in dB)"},

	[P_ENH_ENABLE] = {"enh.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			  "enhancer on"},
	[P_ENH_HF] = {"enh.hf", "%", 0, 100, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
		      "HF detail: lifts and adds harmonics above enh.hf_freq as far as the source lacks them"},
	[P_ENH_HF_FREQ] = {"enh.hf_freq", "Hz", 2000, 12000, 4000, PT_FLOAT, TAPER_LOG, 0, NULL, NULL,
			   0, "HF detail corner"},
	[P_ENH_LF] = {"enh.lf", "%", 0, 100, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
		      "LF detail: bass lift with a low-mid cut, less at high level"},
	[P_ENH_LF_FREQ] = {"enh.lf_freq", "Hz", 40, 200, 80, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			   "LF detail bass centre"},

	[P_OUT_GAIN] = {"out.gain", "dB", -60, 24, 0, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			"output gain"},

	[P_LIM_ENABLE] = {"lim.enable", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL, 0,
			  "true-peak limiter at the end of the strip (clip safe); adds 1.3 ms latency"},
	[P_LIM_CEILING] = {"lim.ceiling", "dBTP", -20, 0, -1, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL,
			   0, "the output's true peak never exceeds this"},
	[P_LIM_RELEASE] = {"lim.release", "ms", 1, 1000, 50, PT_FLOAT, TAPER_LOG, 0, NULL, NULL, 0,
			   "release time constant"},
	[P_METER_CAL] = {"meter.cal", "dBu", 0, 30, 18, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL, 0,
			 "dBu at 0 dBFS (EBU R68 = 18, SMPTE RP155 = 24)"},

	[P_STRIP_BYPASS] = {"strip.bypass", "bool", 0, 1, 0, PT_BOOL, TAPER_LINEAR, 0, NULL, NULL,
			    0, "1: the input, delayed by the strip's latency (crossfaded)"},

	[P_LINK_GROUP] = {"link.group", "group", 0, 16, 0, PT_STEPS, TAPER_LINEAR, 0, NULL,
			  link_group_steps, 17,
			  "strips in one group 1-16 share gate, compressor, de-esser, limiter; 0 = none"},
	[P_LINK_AMOUNT] = {"link.amount", "%", 0, 100, 100, PT_FLOAT, TAPER_LINEAR, 0, NULL, NULL,
			   0, "how far each gain moves toward the group's strongest (in dB)"},
};

int param_find(const char *key)
{
	for (int i = 0; i < P_COUNT; i++)
		if (strcmp(param_table[i].key, key) == 0)
			return i;
	return -1;
}

int param_enum_index(enum param_id id, const char *name)
{
	const struct param_def *d = &param_table[id];
	if (d->type != PT_ENUM)
		return -1;
	for (int i = 0; d->enum_names[i]; i++)
		if (strcmp(d->enum_names[i], name) == 0)
			return i;
	return -1;
}

int param_check(enum param_id id, float v)
{
	const struct param_def *d = &param_table[id];
	if (!isfinite(v))
		return -EDOM;
	switch (d->type) {
	case PT_BOOL:
	case PT_ENUM:
		if (v != floorf(v))
			return -EINVAL;
		break;
	case PT_STEPS:
		for (unsigned i = 0; i < d->nsteps; i++)
			if (v == d->steps[i])
				return 0;
		return (v < d->min || v > d->max) ? -ERANGE : -EINVAL;
	case PT_FLOAT:
		break;
	}
	if ((d->flags & PF_ZERO_IS_OFF) && v == 0.0f)
		return 0;
	if (v < d->min || v > d->max)
		return -ERANGE;
	return 0;
}

static float clamp01(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }

float param_from_norm(enum param_id id, float norm)
{
	const struct param_def *d = &param_table[id];
	float n = clamp01(isfinite(norm) ? norm : 0.0f);
	switch (d->type) {
	case PT_BOOL:
		return n >= 0.5f ? 1.0f : 0.0f;
	case PT_ENUM:
		return roundf(n * (d->max - d->min)) + d->min;
	case PT_STEPS:
		return d->steps[(unsigned)lroundf(n * (float)(d->nsteps - 1))];
	case PT_FLOAT:
		break;
	}
	if ((d->flags & PF_ZERO_IS_OFF) && n == 0.0f)
		return 0.0f;
	float v;
	if (d->taper == TAPER_LOG && d->min > 0.0f)
		v = d->min * powf(d->max / d->min, n);
	else
		v = d->min + n * (d->max - d->min);
	/* powf may land a hair outside the range at the ends */
	return v < d->min ? d->min : (v > d->max ? d->max : v);
}

float param_to_norm(enum param_id id, float v)
{
	const struct param_def *d = &param_table[id];
	switch (d->type) {
	case PT_BOOL:
		return v != 0.0f ? 1.0f : 0.0f;
	case PT_STEPS:
		for (unsigned i = 0; i < d->nsteps; i++)
			if (v <= d->steps[i])
				return d->nsteps > 1 ? (float)i / (float)(d->nsteps - 1) : 0.0f;
		return 1.0f;
	case PT_ENUM:
	case PT_FLOAT:
		break;
	}
	if ((d->flags & PF_ZERO_IS_OFF) && v < d->min)
		return 0.0f;
	if (d->max <= d->min)
		return 0.0f;
	if (d->type == PT_FLOAT && d->taper == TAPER_LOG && d->min > 0.0f)
		return clamp01(logf(v / d->min) / logf(d->max / d->min));
	return clamp01((v - d->min) / (d->max - d->min));
}
