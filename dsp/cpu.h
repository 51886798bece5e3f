/* cpu.h: run-time choice of the SIMD kernel variant.
 *
 * dsp_simd_init() picks the best variant the CPU supports from a best-first table
 * (avx2, sse2 | neon, then the scalar reference "c"). Until it is called, and whenever
 * force_c is set, the scalar reference runs. All variants give bit-identical results (see
 * sat.h), so the choice changes speed only. */
#ifndef CHANSTRIP_CPU_H
#define CHANSTRIP_CPU_H

#include "sat.h"

/* Call once at start-up, before any audio thread runs; calling it again re-selects. */
void dsp_simd_init(int force_c);
/* "avx2", "sse2", "neon" or "c": the variant in use. */
const char *dsp_simd_name(void);
/* The kernels in use (never NULL). */
const struct dsp_simd_ops *dsp_simd(void);
/* Variants this CPU supports, best first, the scalar reference last: i = 0 .. count-1. */
int dsp_simd_count(void);
/* 1 when the AVX2 variant is in use: modules then run their kernels compiled for AVX2. */
int dsp_simd_is_avx2(void);

/* DSP_TARGET_AVX2 marks a function the compiler builds for AVX2 (no FMA: multiply and add stay
 * separate, so it gives the baseline build's bits), called only when dsp_simd_is_avx2(). The
 * always-inline kernels it calls are compiled into it for AVX2 too: elementwise passes then run
 * 8 floats wide instead of 4. Defined only where the build has the AVX2 variant. */
#if defined(CHANSTRIP_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
#define DSP_TARGET_AVX2 __attribute__((target("avx2")))
#endif

/* DSP_ISA_DISPATCH(name, (params), (args), kernel) defines `static void name(params)`, which
 * runs kernel(args), an always-inline function, built once for the baseline ISA and once for
 * AVX2 (where the build has it), and picks the one dsp_simd_is_avx2() says. */
#ifdef DSP_TARGET_AVX2
#define DSP_ISA_DISPATCH(name, params, args, kernel)                                          \
	static void name##_base params { kernel args; }                                       \
	DSP_TARGET_AVX2 static void name##_avx2 params { kernel args; }                       \
	static void name params                                                               \
	{                                                                                     \
		if (dsp_simd_is_avx2())                                                       \
			name##_avx2 args;                                                     \
		else                                                                          \
			name##_base args;                                                     \
	}
#else
#define DSP_ISA_DISPATCH(name, params, args, kernel)                                          \
	static void name params { kernel args; }
#endif
const struct dsp_simd_ops *dsp_simd_variant(int i);

#endif
