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
const struct dsp_simd_ops *dsp_simd_variant(int i);
/* 1 when the AVX2 variant is in use: modules then run their kernels compiled for AVX2. */
int dsp_simd_is_avx2(void);

/* DSP_TARGET_AVX2 marks a function the compiler builds for AVX2 (no FMA: multiply and add stay
 * separate, so it gives the baseline build's bits), called only when dsp_simd_is_avx2(). The
 * always-inline kernels it calls are compiled into it for AVX2 too: elementwise passes then run
 * 8 floats wide instead of 4. Defined only where the build has the AVX2 variant. */
#if defined(CHANSTRIP_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
#define DSP_TARGET_AVX2 __attribute__((target("avx2")))
#endif

/* Which build of a kernel is running, handed to the kernel as a constant (see below), so that
 * its AVX2 build can take paths the baseline one cannot (wider vectors, AVX2 intrinsics). */
enum dsp_isa { DSP_ISA_BASE, DSP_ISA_AVX2 };

#define DSP_UNPAREN(...) __VA_ARGS__

/* DSP_ISA_DISPATCH(name, (params), (args), kernel) defines `static void name(params)`, which
 * runs kernel(args, isa), kernel being an always-inline function whose last parameter is an
 * enum dsp_isa: built once for the baseline ISA (isa = DSP_ISA_BASE) and, where the build has
 * AVX2, once for AVX2 (isa = DSP_ISA_AVX2), the one dsp_simd_is_avx2() says running.
 * DSP_ISA_DISPATCH_RET(type, name, ...) is the same for a kernel that returns a value. */
#ifdef DSP_TARGET_AVX2
#define DSP_ISA_VARIANTS_(type, RETURN, name, params, args, kernel)                            \
	static type name##_base params { RETURN kernel(DSP_UNPAREN args, DSP_ISA_BASE); }      \
	DSP_TARGET_AVX2 static type name##_avx2 params                                          \
	{                                                                                      \
		RETURN kernel(DSP_UNPAREN args, DSP_ISA_AVX2);                                 \
	}                                                                                      \
	static type name params                                                                \
	{                                                                                      \
		if (dsp_simd_is_avx2()) {                                                      \
			RETURN name##_avx2 args;                                               \
		} else {                                                                       \
			RETURN name##_base args;                                               \
		}                                                                              \
	}
#else
#define DSP_ISA_VARIANTS_(type, RETURN, name, params, args, kernel)                            \
	static type name params { RETURN kernel(DSP_UNPAREN args, DSP_ISA_BASE); }
#endif
#define DSP_ISA_DISPATCH(name, params, args, kernel)                                           \
	DSP_ISA_VARIANTS_(void, , name, params, args, kernel)
#define DSP_ISA_DISPATCH_RET(type, name, params, args, kernel)                                 \
	DSP_ISA_VARIANTS_(type, return, name, params, args, kernel)

#endif
