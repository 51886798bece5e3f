/* stage.h: the interface every signal stage of the strip implements.
 *
 * A stage is a module (its own .h/.c pair: a state struct and its functions) plus one
 * descriptor that tells the strip how to drive it. The strip holds one state per stage and
 * walks the chain (chain.h: an ordered list of stages) for everything: init, reset, parameter
 * changes, latency, audio and gain-reduction meters. The callbacks take the stage's state as
 * void *; they are called once per chunk (or per parameter change), never per sample.
 *
 * Parameters: a stage owns the contiguous run first..last of the parameter table (params.h),
 * whose keys all start with "<name>.". The strip applies the table's defaults through set()
 * after init(), then calls reset(): a module's init() sets up state only, it never holds a
 * second copy of the defaults. */
#ifndef CHANSTRIP_STAGE_H
#define CHANSTRIP_STAGE_H

#include <stdint.h>

#include "dsp.h"
#include "params.h"

/* A linkable dynamics stage's gain control for one chunk, between its two halves (gain_lanes,
 * apply_lanes): one value per sample in v[0..n), the module's own buffer. The values are dB or
 * any positive multiple of dB, oriented so that the member of a link group with the largest
 * value is the one whose detector hears the most (the compressor, de-esser and limiter give
 * their gain reduction, the gate its gain): link.c pulls every member toward the group's
 * largest value, which is the same in any such scale. flat = 1: v was not written and stands
 * for a chunk of 0 (no reduction); a caller that needs the values writes the zeros and clears
 * flat. */
struct stage_gr {
	float *v;
	int flat;
};

struct stage_desc {
	/* Key prefix of its parameters ("gate" for gate.*) and, for a dynamics stage, of its
	 * meter field ("gate_gr_db"). */
	const char *name;
	/* What it is, for the chain diagram of the man page and README ("gate/expander"). */
	const char *label;
	enum param_id first, last; /* its rows of the parameter table, inclusive */

	/* fs in Hz, DSP_FS_MIN..DSP_FS_MAX: 0 or a negative errno. Not real-time. Leaves the
	 * parameters unset (the caller applies the table's defaults, then reset()). */
	int (*init)(void *st, float fs);
	/* Clear audio state and finish every glide; parameters keep their values. */
	void (*reset)(void *st);
	/* Parameter first + idx; value has passed param_check(). Real-time safe. */
	void (*set)(void *st, unsigned idx, float value);

	/* nl (1..DSP_LANES_MAX) distinct states, one chunk (n <= DSP_MAX_CHUNK) each: lane l
	 * reads in[l] and leaves its output in out[l], or, when it is an exact copy, may leave
	 * out[l] alone; res[l] gets the buffer that holds the output (in[l] or out[l]). in[l]
	 * and out[l] never overlap. NULL: the strip runs the stage itself (the output gain). */
	void (*process_lanes)(void *const *st, unsigned nl, const float *const *in,
			      float *const *out, const float **res, uint32_t n);
	/* 1 when process_lanes would copy in to out exactly (off, fade finished), so the strip
	 * skips the lane. NULL: never idle. */
	int (*idle)(const void *st);
	/* Whole samples of delay at the current settings. NULL: none. */
	uint32_t (*latency)(const void *st);
	/* Dynamics stages: the lowest linear gain applied since the previous call (1.0 = no
	 * reduction), and start a new period. Real-time safe. NULL for the others; chain.h's
	 * GR column must agree (the meter fields are counted at compile time). */
	float (*gr_take)(void *st);

	/* Linkable dynamics stages (link.group): process_lanes cut in two around the gain, so a
	 * link group's gains can be combined before any member applies its own. gain_lanes runs
	 * the sidechain and detector of nl lanes over in[l] (state advanced) and leaves each
	 * lane's gain control in its link_gr(); apply_lanes then applies it (makeup, mix,
	 * crossfade), with the same in[l], and sets out[l]/res[l] as process_lanes does.
	 * gain_lanes then apply_lanes with the values untouched gives process_lanes' bits. All
	 * three NULL for a stage that does not link. Real-time safe. */
	void (*gain_lanes)(void *const *st, unsigned nl, const float *const *in, uint32_t n);
	struct stage_gr *(*link_gr)(void *st);
	void (*apply_lanes)(void *const *st, unsigned nl, const float *const *in,
			    float *const *out, const float **res, uint32_t n);
};

/* The process_lanes of a module whose lanes kernel is fn(struct type *const *, nl, in, out, n)
 * and always writes out: STAGE_LANES_ADAPTER(gate_stage_lanes, gate, gate_process_lanes). */
#define STAGE_LANES_ADAPTER(name, type, fn)                                                \
	static void name(void *const *st, unsigned nl, const float *const *in,             \
			 float *const *out, const float **res, uint32_t n)                 \
	{                                                                                  \
		struct type *lanes[DSP_LANES_MAX];                                         \
		for (unsigned l = 0; l < nl; l++)                                          \
			lanes[l] = st[l], res[l] = out[l];                                 \
		fn(lanes, nl, in, out, n);                                                 \
	}

/* The gain_lanes and apply_lanes of a module whose typed lanes kernels are
 * gain(struct type *const *, nl, in, n) and apply(struct type *const *, nl, in, out, n), and
 * whose struct type holds its struct stage_gr as link_gr: name_gain, name_apply, name_gr. */
#define STAGE_LINK_ADAPTERS(name, type, gain, apply)                                       \
	static void name##_gain(void *const *st, unsigned nl, const float *const *in,      \
				uint32_t n)                                                \
	{                                                                                  \
		struct type *lanes[DSP_LANES_MAX];                                         \
		for (unsigned l = 0; l < nl; l++)                                          \
			lanes[l] = st[l];                                                  \
		gain(lanes, nl, in, n);                                                    \
	}                                                                                  \
	static void name##_apply(void *const *st, unsigned nl, const float *const *in,     \
				 float *const *out, const float **res, uint32_t n)         \
	{                                                                                  \
		struct type *lanes[DSP_LANES_MAX];                                         \
		for (unsigned l = 0; l < nl; l++)                                          \
			lanes[l] = st[l], res[l] = out[l];                                 \
		apply(lanes, nl, in, out, n);                                              \
	}                                                                                  \
	static struct stage_gr *name##_gr(void *st) { return &((struct type *)st)->link_gr; }

/* The process_lanes of a module that runs one lane at a time, fn(struct type *, in, out, n),
 * always writing out: STAGE_EACH_LANE_ADAPTER(eq_stage_lanes, eq, eq_process). */
#define STAGE_EACH_LANE_ADAPTER(name, type, fn)                                            \
	static void name(void *const *st, unsigned nl, const float *const *in,             \
			 float *const *out, const float **res, uint32_t n)                 \
	{                                                                                  \
		for (unsigned l = 0; l < nl; l++) {                                        \
			fn((struct type *)st[l], in[l], out[l], n);                        \
			res[l] = out[l];                                                   \
		}                                                                          \
	}

/* gr_take for a module that keeps its lowest gain in *min_gain: hand it over, restart. */
static inline float stage_take_gain(float *min_gain)
{
	float g = *min_gain;
	*min_gain = 1.0f;
	return g;
}

/* The one-line init/reset/idle adapters of a module `mod` (mod_init, mod_reset, mod_idle):
 * mod_stage_init, mod_stage_reset, mod_stage_idle for its descriptor. */
#define STAGE_ADAPTERS(mod)                                                                \
	static int mod##_stage_init(void *st, float fs) { return mod##_init(st, fs); }     \
	static void mod##_stage_reset(void *st) { mod##_reset(st); }                       \
	static int mod##_stage_idle(const void *st) { return mod##_idle(st); }

/* The same and gr_take, for a dynamics module (struct mod with a min_gain field). */
#define STAGE_DYNAMICS_ADAPTERS(mod)                                                       \
	STAGE_ADAPTERS(mod)                                                                \
	static float mod##_stage_gr_take(void *st)                                         \
	{                                                                                  \
		return stage_take_gain(&((struct mod *)st)->min_gain);                     \
	}

/* Apply the parameter table's defaults to a freshly initialised state and reset it: what
 * the strip does for each stage (and what a unit test of one module calls after its init). */
int stage_init_defaults(const struct stage_desc *d, void *st, float fs);

#endif
