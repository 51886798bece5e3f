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

#endif
