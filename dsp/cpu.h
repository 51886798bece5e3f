/* cpu.h: the one SIMD dispatch mechanism: named kernels, one table of them per instruction
 * set, chosen once at start-up and held by each strip and module.
 *
 * Every kernel has a scalar or generic-vector reference with the suffix _c, always built,
 * and twins with the suffixes _sse2, _avx2, _neon, each in its own unit compiled for that
 * instruction set only (simd/, one static library per ISA with its own -m flags). The twins
 * give the reference's bits (no FMA, same operation order; tests/test_simd.c holds every one
 * the CPU supports to it), so the choice changes speed only.
 *
 * The modules' whole lane kernels (preamp, gate, compressor, de-esser, meter) are built twice
 * from the module's own source: once in the module's unit (the _c build) and once by
 * simd/<module>_avx2.c, which defines DSP_KERNEL_UNIT_AVX2 and includes the module's .c
 * (DSP_KERNELS_ONLY then leaves out everything but the kernels). In that build elementwise
 * passes run 8 floats wide and the code under #ifdef DSP_TARGET_AVX2 exists. So whatever in
 * a module's .c is not kernel code (init, setters, entry points, public tables) sits under
 * #ifndef DSP_KERNELS_ONLY, or the AVX2 build would define it a second time.
 *
 * A new kernel: its field in struct dsp_arch (and DSP_DECLARE_MODULE_KERNELS or sat.h), its
 * _c build beside the code that calls it and its twins under simd/ (meson.build there), its
 * entries in cpu.c's tables, and a case in tests/test_simd.c's loop.
 *
 * The caller picks a table once with dsp_arch_select() and hands it to strip_init(), which
 * hands it to the modules (their `arch` field); a module whose arch is NULL (as after its
 * _init) runs the references, and a lanes call runs its first lane's table. */
#ifndef CHANSTRIP_CPU_H
#define CHANSTRIP_CPU_H

#include <stdint.h>

struct sat_curve;
struct preamp;
struct gate;
struct comp;
struct deess;
struct meter;

/* The kernels of one module build, declared for one suffix. All buffers may be unaligned;
 * lengths are 0..DSP_MAX_CHUNK for the module kernels, any for the saturation kernels. */
#define DSP_DECLARE_MODULE_KERNELS(isa)                                                         \
	void preamp_run_1_##isa(struct preamp *p, const float *in, float *out, uint32_t n);     \
	void preamp_steady_n_##isa(struct preamp *const *p, unsigned nl, const float *const *in, \
				   float *const *out, uint32_t n);                               \
	void gate_run_1_##isa(struct gate *g, const float *in, float *out, uint32_t n);         \
	void gate_run_n_##isa(struct gate *const *g, unsigned nl, const float *const *in,       \
			      float *const *out, uint32_t n);                                   \
	void comp_run_1_##isa(struct comp *c, const float *in, float *out, uint32_t n);         \
	void comp_run_n_##isa(struct comp *const *c, unsigned nl, const float *const *in,       \
			      float *const *out, uint32_t n);                                   \
	void deess_run_1_##isa(struct deess *d, const float *in, float *out, uint32_t n);       \
	void deess_run_n_##isa(struct deess *const *d, unsigned nl, const float *const *in,     \
			       float *const *out, uint32_t n);                                  \
	int meter_input_##isa(struct meter *m, const float *in, uint32_t n);                    \
	void meter_output_##isa(struct meter *m, const float *out, uint32_t n);                 \
	void meter_output_gain_##isa(struct meter *m, const float *x, float g, float *out,      \
				     uint32_t n);                                               \
	float truepeak_max_##isa(const float *cur, uint32_t n);                                  \
	DSP_DECLARE_LINK_KERNELS(isa)

/* The two halves of the linkable modules' kernels (stage.h: gain_lanes, apply_lanes), for
 * 1..DSP_LANES_MAX lanes. */
#define DSP_DECLARE_LINK_KERNELS(isa)                                                           \
	void comp_gain_n_##isa(struct comp *const *c, unsigned nl, const float *const *in,      \
			       uint32_t n);                                                     \
	void comp_apply_n_##isa(struct comp *const *c, unsigned nl, const float *const *in,     \
				float *const *out, uint32_t n);                                 \
	void gate_gain_n_##isa(struct gate *const *g, unsigned nl, const float *const *in,      \
			       uint32_t n);                                                     \
	void gate_apply_n_##isa(struct gate *const *g, unsigned nl, const float *const *in,     \
				float *const *out, uint32_t n);                                 \
	void deess_gain_n_##isa(struct deess *const *d, unsigned nl, const float *const *in,    \
				uint32_t n);                                                    \
	void deess_apply_n_##isa(struct deess *const *d, unsigned nl, const float *const *in,   \
				 float *const *out, uint32_t n);

DSP_DECLARE_MODULE_KERNELS(c)
#if defined(CHANSTRIP_HAVE_AVX2)
DSP_DECLARE_MODULE_KERNELS(avx2)
#endif

/* CPU features a table needs (dsp_cpu_flags()). */
#define DSP_CPU_SSE2 (1u << 0)
#define DSP_CPU_AVX2 (1u << 1)

/* One instruction set's kernels. */
struct dsp_arch {
	const char *name;   /* "avx2", "sse2", "neon" or "c" */
	uint32_t cpu_flags; /* DSP_CPU_*: what the CPU must have to run it */

	/* sat.h: out[i] = in[i] * g */
	void (*mul_const)(float *restrict out, const float *restrict in, float g, uint32_t n);
	/* sat.h: out[i] = a[i] * b[i] */
	void (*mul)(float *restrict out, const float *restrict a, const float *restrict b,
		    uint32_t n);
	/* sat.h: y[i] = ADAA f at x[i] = u[i] * drive, with x[-1] = x_prev (already driven) */
	void (*sat_adaa)(float *restrict y, const float *restrict u, float drive, float x_prev,
			 const struct sat_curve *c, uint32_t n);
	/* truepeak.c: 2 x the largest |y| of the four phases over the n outputs whose newest
	 * taps are cur[0..n-1] (cur[-11..-1] is history; reads up to cur[n + 7]) */
	float (*truepeak_max)(const float *cur, uint32_t n);

	/* the modules' chunk kernels, one lane (_1) and 2..DSP_LANES_MAX lanes (_n) */
	void (*preamp_run_1)(struct preamp *p, const float *in, float *out, uint32_t n);
	void (*preamp_steady_n)(struct preamp *const *p, unsigned nl, const float *const *in,
				float *const *out, uint32_t n);
	void (*gate_run_1)(struct gate *g, const float *in, float *out, uint32_t n);
	void (*gate_run_n)(struct gate *const *g, unsigned nl, const float *const *in,
			   float *const *out, uint32_t n);
	void (*comp_run_1)(struct comp *c, const float *in, float *out, uint32_t n);
	void (*comp_run_n)(struct comp *const *c, unsigned nl, const float *const *in,
			   float *const *out, uint32_t n);
	void (*deess_run_1)(struct deess *d, const float *in, float *out, uint32_t n);
	void (*deess_run_n)(struct deess *const *d, unsigned nl, const float *const *in,
			    float *const *out, uint32_t n);
	int (*meter_input)(struct meter *m, const float *in, uint32_t n);
	void (*meter_output)(struct meter *m, const float *out, uint32_t n);
	void (*meter_output_gain)(struct meter *m, const float *x, float g, float *out,
				  uint32_t n);
	/* the stereo link's halves of the dynamics kernels, 1..DSP_LANES_MAX lanes */
	void (*comp_gain_n)(struct comp *const *c, unsigned nl, const float *const *in,
			    uint32_t n);
	void (*comp_apply_n)(struct comp *const *c, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n);
	void (*gate_gain_n)(struct gate *const *g, unsigned nl, const float *const *in,
			    uint32_t n);
	void (*gate_apply_n)(struct gate *const *g, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n);
	void (*deess_gain_n)(struct deess *const *d, unsigned nl, const float *const *in,
			     uint32_t n);
	void (*deess_apply_n)(struct deess *const *d, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n);
};

/* The references: scalar saturation, the modules' baseline build. */
extern const struct dsp_arch dsp_arch_c;

/* The best table this CPU runs (best first: avx2, sse2 | neon, then c), or the references
 * when force_c (the `--simd c` switch). Not real-time safe; call once at start-up. */
const struct dsp_arch *dsp_arch_select(int force_c);
/* Tables this CPU runs, best first, the references last: i = 0 .. count-1 (for tests). */
int dsp_arch_count(void);
const struct dsp_arch *dsp_arch_variant(int i);
/* DSP_CPU_* bits of this CPU. */
uint32_t dsp_cpu_flags(void);

/* What a module runs: its table, or the references when it has none. */
static inline const struct dsp_arch *dsp_arch_or_c(const struct dsp_arch *a)
{
	return a ? a : &dsp_arch_c;
}

/* A module's public entry points over its two named kernels: mod_process() runs one lane,
 * mod_process_lanes() hands one lane to the one-lane kernel (whose loops unroll for one) and
 * more to the lanes kernel, with the first lane's table. */
#define DSP_DEFINE_MODULE_ENTRIES(mod)                                                           \
	void mod##_process(struct mod *m, const float *restrict in, float *restrict out,        \
			   uint32_t n)                                                          \
	{                                                                                        \
		dsp_arch_or_c(m->arch)->mod##_run_1(m, in, out, n);                              \
	}                                                                                        \
	void mod##_process_lanes(struct mod *const *m, unsigned nl, const float *const *in,     \
				 float *const *out, uint32_t n)                                 \
	{                                                                                        \
		const struct dsp_arch *a_ = dsp_arch_or_c(m[0]->arch);                           \
		if (nl == 1)                                                                     \
			a_->mod##_run_1(m[0], in[0], out[0], n);                                 \
		else                                                                             \
			a_->mod##_run_n(m, nl, in, out, n);                                      \
	}

/* A linkable module's two halves over its named kernels, with the first lane's table. */
#define DSP_DEFINE_LINK_ENTRIES(mod)                                                             \
	void mod##_gain_lanes(struct mod *const *m, unsigned nl, const float *const *in,        \
			      uint32_t n)                                                       \
	{                                                                                        \
		dsp_arch_or_c(m[0]->arch)->mod##_gain_n(m, nl, in, n);                           \
	}                                                                                        \
	void mod##_apply_lanes(struct mod *const *m, unsigned nl, const float *const *in,       \
			       float *const *out, uint32_t n)                                   \
	{                                                                                        \
		dsp_arch_or_c(m[0]->arch)->mod##_apply_n(m, nl, in, out, n);                     \
	}

/* Which build of a module's kernels this unit is. DSP_KERNEL(name) is the kernel's exported
 * name for it, DSP_ISA a constant for paths the AVX2 build can take and the baseline one
 * cannot (wider vectors, AVX2 intrinsics). */
enum dsp_isa { DSP_ISA_BASE, DSP_ISA_AVX2 };
#if defined(DSP_KERNEL_UNIT_AVX2)
#define DSP_KERNELS_ONLY 1
#define DSP_KERNEL(name) name##_avx2
#define DSP_ISA DSP_ISA_AVX2
/* Marks code for the AVX2 build only; empty, as the whole unit is compiled with -mavx2
 * (without FMA: multiply and add stay separate, so it gives the baseline build's bits). */
#define DSP_TARGET_AVX2
#else
#define DSP_KERNEL(name) name##_c
#define DSP_ISA DSP_ISA_BASE
#endif

#endif
