/* strip.h: one channel's chain
 *
 *   in -> preamp -> gate -> compressor -> de-esser -> output gain -> limiter -> out
 *
 * or, with strip.bypass, the input delayed by the same latency (a crossfade between the two),
 * (the stages of chain.h, in its order), with meters at the input, the gain reduction of each
 * dynamics stage, and the output. The strip knows its stages only through their descriptors
 * (stage.h): it applies the parameter table's defaults, dispatches each parameter to the stage
 * that owns it, and runs the chain chunk by chunk. strip_process() takes any block length and
 * cuts it into DSP_MAX_CHUNK pieces; every module smooths per sample, so the output never
 * depends on how the host cuts its blocks. */
#ifndef CHANSTRIP_STRIP_H
#define CHANSTRIP_STRIP_H

#include <stdint.h>

#include "chain.h"
#include "dsp.h"
#include "meter.h"
#include "params.h"
#include "smooth.h"
#include "stage.h"

/* The dry input the bypass crossfades to, kept for the strip's whole latency: a power of two
 * above the longest chain latency at DSP_FS_MAX plus a chunk. */
#define STRIP_DRY_LEN 8192u

/* Strips one linked pass spans (the engine's most). */
#define STRIP_LINK_MAX 256u

/* One state per stage of the chain, named by its row: s->st.gate, s->st.comp, ... */
struct strip_stages {
#define X(name, NAME, type, gr) struct type name;
	CHAIN_STAGES(X)
#undef X
};

struct strip {
	const struct dsp_arch *arch; /* the kernels every module runs (cpu.h) */
	float fs;
	float values[P_COUNT]; /* current parameter values, as set */
	struct strip_stages st;
	struct meter meter;
	/* strip.bypass: 0 = the chain, 1 = the input delayed by the chain's latency; the mix
	 * glides like any gain, and the chain keeps running so coming back does not click */
	struct smooth bypass;
	uint32_t dry_pos; /* where the next input sample goes in dry[] */
	/* link.group (0 = none) and link.amount (0..1, gliding), per sample for the chunk being
	 * linked (link.h) */
	int link_group;
	struct smooth link_amount;
	float link_a[DSP_MAX_CHUNK];
	float dry[STRIP_DRY_LEN];
	float buf_a[DSP_MAX_CHUNK];
	float buf_b[DSP_MAX_CHUNK];
};

/* The chain's stages in order, and their number. */
extern const struct stage_desc *const strip_chain[];
extern const unsigned strip_chain_len;
/* The state of stage i (0 .. strip_chain_len - 1) of strip s. */
void *strip_stage_state(struct strip *s, unsigned i);

/* The kernels to run: the best this CPU supports, or the scalar references when force_c (the
 * `--simd c` switch). Not real-time safe; choose once at start-up and hand the result to
 * every strip_init(). Every choice gives the same bits. */
const struct dsp_arch *strip_simd_select(int force_c);
/* Its name: "avx2", "sse2", "neon" or "c". */
const char *strip_simd_name(const struct dsp_arch *arch);

/* Every parameter at its default. fs in Hz, DSP_FS_MIN..DSP_FS_MAX; arch from
 * strip_simd_select() (NULL: the scalar references). 0 or -EINVAL. */
int strip_init(struct strip *s, float fs, const struct dsp_arch *arch);
/* Clear filter and detector state; parameters keep their values. */
void strip_reset(struct strip *s);
/* Real-time safe. value must already pass param_check(id, value). */
void strip_set_param(struct strip *s, enum param_id id, float value);
float strip_get_param(const struct strip *s, enum param_id id);
/* Latency in whole samples at the current settings (what a host should report). */
uint32_t strip_latency_samples(const struct strip *s);
/* Real-time safe; any n. in and out may be the same buffer. Input that is not audio (NaN,
 * Inf, |x| >= 2^32: meter_not_audio) is metered as clipped and made silence before the
 * first stage. */
void strip_process(struct strip *s, const float *in, float *out, uint32_t n);
/* strip_process() on nl strips (1..DSP_LANES_MAX) at once, bit for bit the same per strip,
 * with each module's serial recursions interleaved across the strips so they overlap in the
 * CPU: how many channels are cheaper than many single ones. The s[l] are distinct; out[l]
 * may be in[l] itself but no other lane's input. */
void strip_process_lanes(struct strip *const *s, unsigned nl, const float *const *in,
			 float *const *out, uint32_t n);
/* strip_process_lanes() over count consecutive strips (any count), in even groups of at most
 * DSP_LANES_MAX. in[c]/out[c] belong to s[c]. When any strip has a link.group, every chunk
 * runs stage by stage across all the strips instead, so that each link group's linkable
 * stages combine their gains (link.h) before any member applies its own; strips beyond the
 * first STRIP_LINK_MAX link only among each STRIP_LINK_MAX. Unlinked strips give the same
 * bits either way. */
void strip_process_many(struct strip *s, unsigned count, const float *const *in,
			float *const *out, uint32_t n);
/* Hand over the meter period just ended (real-time safe) and start a new one. */
void strip_meter_take(struct strip *s, struct meter_snapshot *snap);

#endif
