/* params.h: the parameter table, chanstrip's single source of truth.
 *
 * Every parameter a user can touch is one row here: --set, --list-params, preset files, range
 * checks, the man page's parameter section and OSC paths are all generated from this table.
 * Adding a row (plus its case in strip_set_param) is all it takes for a new parameter to
 * appear everywhere. Values are carried as float: bools as 0/1, enums as their index. */
#ifndef CHANSTRIP_PARAMS_H
#define CHANSTRIP_PARAMS_H

enum param_id {
	/* preamp */
	P_PRE_GAIN,
	P_PRE_PHASE,
	P_PRE_HPF,
	P_PRE_MODEL,
	P_PRE_DRIVE,
	P_PRE_OVERSAMPLE,
	P_PRE_HUM,
	P_PRE_HUM_HARMONICS,
	P_PRE_AIR,
	/* noise suppressor */
	P_NR_ENABLE,
	P_NR_AMOUNT,
	P_NR_MODE,
	P_NR_THRESHOLD,
	P_NR_LISTEN,
	/* gate / expander */
	P_GATE_ENABLE,
	P_GATE_THRESHOLD,
	P_GATE_HYSTERESIS,
	P_GATE_RANGE,
	P_GATE_ATTACK,
	P_GATE_HOLD,
	P_GATE_RELEASE,
	P_GATE_MODE,
	P_GATE_RATIO,
	P_GATE_SC_HPF,
	/* compressor */
	P_COMP_ENABLE,
	P_COMP_THRESHOLD,
	P_COMP_RATIO,
	P_COMP_KNEE,
	P_COMP_ATTACK,
	P_COMP_RELEASE,
	P_COMP_MAKEUP,
	P_COMP_MIX,
	P_COMP_AUTO_MAKEUP,
	P_COMP_DETECTOR,
	P_COMP_SC_HPF,
	/* de-esser */
	P_DEESS_ENABLE,
	P_DEESS_FREQ,
	P_DEESS_THRESHOLD,
	P_DEESS_RANGE,
	P_DEESS_MODE,
	P_DEESS_LISTEN,
	/* EQ */
	P_EQ_ENABLE,
	P_EQ_LOW_ENABLE,
	P_EQ_LOW_GAIN,
	P_EQ_LOW_FREQ,
	P_EQ_MID_ENABLE,
	P_EQ_MID_GAIN,
	P_EQ_MID_FREQ,
	P_EQ_MID_Q,
	P_EQ_HIGH_ENABLE,
	P_EQ_HIGH_GAIN,
	P_EQ_HIGH_FREQ,
	/* enhancer */
	P_ENH_ENABLE,
	P_ENH_HF,
	P_ENH_HF_FREQ,
	P_ENH_LF,
	P_ENH_LF_FREQ,
	/* output and metering */
	P_OUT_GAIN,

	P_LIM_ENABLE,
	P_LIM_CEILING,
	P_LIM_RELEASE,

	P_METER_CAL,
	/* the whole strip */
	P_STRIP_BYPASS,
	/* stereo link (the strip's, not a stage's) */
	P_LINK_GROUP,
	P_LINK_AMOUNT,
	P_COUNT
};

enum param_type {
	PT_FLOAT, /* continuous value in [min, max] */
	PT_BOOL,  /* 0 or 1 */
	PT_ENUM,  /* index into enum_names */
	PT_STEPS, /* one of the values in steps[] */
};

/* How a TouchOSC fader (0..1) maps onto the range. */
enum param_taper {
	TAPER_LINEAR,
	TAPER_LOG, /* geometric between min and max: Hz, ms, ratios */
};

/* Flag: 0 is also accepted (meaning "off") although it lies below min. */
#define PF_ZERO_IS_OFF 1u

struct param_def {
	const char *key;  /* "module.param": preset key, --set key; OSC path /strip/N/module/param */
	const char *unit; /* "dB", "Hz", "ms", "dBFS", "bool", "enum", ... never in the key */
	float min, max, def;
	enum param_type type;
	enum param_taper taper;
	unsigned flags;
	const char *const *enum_names; /* PT_ENUM: NULL-terminated */
	const float *steps;            /* PT_STEPS: allowed values, ascending */
	unsigned nsteps;
	const char *help; /* one line for --list-params and the man page */
};

extern const struct param_def param_table[P_COUNT];

/* Index of key ("comp.ratio"), or -1. */
int param_find(const char *key);

/* 0 if value is allowed for the parameter, -EDOM for NaN/Inf, -ERANGE outside the range,
 * -EINVAL for a non-integer bool/enum or a value not among the steps. */
int param_check(enum param_id id, float value);

/* Index of an enum name for id (exact match), or -1. */
int param_enum_index(enum param_id id, const char *name);

/* TouchOSC mapping through the taper: norm in [0,1] <-> value. Results are valid values
 * (enums and steps snap to the nearest allowed one; PF_ZERO_IS_OFF maps norm 0 to 0). */
float param_from_norm(enum param_id id, float norm);
float param_to_norm(enum param_id id, float value);

#endif
