/* vec.h: the GCC/Clang generic vector types the DSP kernels share, with unaligned loads and
 * stores, a 4x4 transpose and integer max/min. Only moves, shuffles and selections live here:
 * they never change a bit, so every kernel keeps its own arithmetic (and its bit-exactness) to
 * itself.
 *
 * Generic vectors become SSE2 on x86-64, NEON on arm64 and scalar code elsewhere. The 8-lane
 * types are for the modules' AVX2 builds (cpu.h); the baseline build compiles code that uses
 * them but never runs it. */
#ifndef CHANSTRIP_VEC_H
#define CHANSTRIP_VEC_H

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef float dsp_v4f __attribute__((vector_size(16)));
typedef int32_t dsp_v4i __attribute__((vector_size(16)));
typedef float dsp_v8f __attribute__((vector_size(32)));
typedef int32_t dsp_v8i __attribute__((vector_size(32)));

/* Unaligned views of float and int32 arrays, allowed to alias them. Loads and stores through
 * these are single vector moves: a memcpy of a whole vector could go through the stack when
 * inlined into an AVX2-targeted function, the full-width load then waiting on two stores. */
typedef float dsp_v4f_u __attribute__((vector_size(16), aligned(4), may_alias));
typedef int32_t dsp_v4i_u __attribute__((vector_size(16), aligned(4), may_alias));
typedef float dsp_v8f_u __attribute__((vector_size(32), aligned(4), may_alias));

#define DSP_VEC_INLINE static inline __attribute__((always_inline))

/* Lanes picked from (a, b) concatenated, constant indices: Clang spells it
 * __builtin_shufflevector, GCC __builtin_shuffle with a mask vector. */
#if defined(__clang__)
#define DSP_SHUFFLE4(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#define DSP_SHUFFLE8(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define DSP_SHUFFLE4(a, b, ...) __builtin_shuffle((a), (b), (dsp_v4i){ __VA_ARGS__ })
#define DSP_SHUFFLE8(a, b, ...) __builtin_shuffle((a), (b), (dsp_v8i){ __VA_ARGS__ })
#endif

DSP_VEC_INLINE dsp_v4f dsp_load4f(const float *p) { return *(const dsp_v4f_u *)p; }
DSP_VEC_INLINE void dsp_store4f(float *p, dsp_v4f v) { *(dsp_v4f_u *)p = v; }
DSP_VEC_INLINE dsp_v4i dsp_load4i(const int32_t *p) { return *(const dsp_v4i_u *)p; }
DSP_VEC_INLINE void dsp_store4i(int32_t *p, dsp_v4i v) { *(dsp_v4i_u *)p = v; }

/* Elementwise int32 max and min, compare and select (SSE2 has no pmaxsd/pminsd). */
DSP_VEC_INLINE dsp_v4i dsp_max4i(dsp_v4i a, dsp_v4i b)
{
	dsp_v4i m = a > b;
	return (a & m) | (b & ~m);
}
DSP_VEC_INLINE dsp_v4i dsp_min4i(dsp_v4i a, dsp_v4i b)
{
	dsp_v4i m = a < b;
	return (a & m) | (b & ~m);
}

/* m ? a : b, lane by lane (m from a comparison: all ones or all zeros per lane). */
DSP_VEC_INLINE dsp_v4f dsp_select4f(dsp_v4i m, dsp_v4f a, dsp_v4f b)
{
	return (dsp_v4f)(((dsp_v4i)a & m) | ((dsp_v4i)b & ~m));
}

/* The 8-lane ones take pointers: a 32-byte vector passed or returned by value is an ABI
 * question in the baseline build (-Wpsabi), even always inlined. */
DSP_VEC_INLINE void dsp_load8f(dsp_v8f *v, const float *p) { *v = *(const dsp_v8f_u *)p; }
DSP_VEC_INLINE void dsp_store8f(float *p, const dsp_v8f *v) { *(dsp_v8f_u *)p = *v; }

/* Four rows of four become four columns (r[k][e] <-> r[e][k]). x86 gets the SSE2 unpack and
 * move-half sequence spelled out: GCC's generic shuffles can go through general registers
 * there. Elsewhere (NEON) the same eight shuffles, generic. */
DSP_VEC_INLINE void dsp_transpose4f(dsp_v4f *r0, dsp_v4f *r1, dsp_v4f *r2, dsp_v4f *r3)
{
#if defined(__SSE2__)
	__m128 a = (__m128)*r0, b = (__m128)*r1, c = (__m128)*r2, d = (__m128)*r3;
	_MM_TRANSPOSE4_PS(a, b, c, d);
	*r0 = (dsp_v4f)a, *r1 = (dsp_v4f)b, *r2 = (dsp_v4f)c, *r3 = (dsp_v4f)d;
#else
	dsp_v4f t0 = DSP_SHUFFLE4(*r0, *r1, 0, 4, 1, 5), t1 = DSP_SHUFFLE4(*r0, *r1, 2, 6, 3, 7);
	dsp_v4f t2 = DSP_SHUFFLE4(*r2, *r3, 0, 4, 1, 5), t3 = DSP_SHUFFLE4(*r2, *r3, 2, 6, 3, 7);
	*r0 = DSP_SHUFFLE4(t0, t2, 0, 1, 4, 5);
	*r1 = DSP_SHUFFLE4(t0, t2, 2, 3, 6, 7);
	*r2 = DSP_SHUFFLE4(t1, t3, 0, 1, 4, 5);
	*r3 = DSP_SHUFFLE4(t1, t3, 2, 3, 6, 7);
#endif
}

/* The same for int32 lanes: the float shuffles only move bits. */
DSP_VEC_INLINE void dsp_transpose4i(dsp_v4i *r0, dsp_v4i *r1, dsp_v4i *r2, dsp_v4i *r3)
{
	dsp_v4f a = (dsp_v4f)*r0, b = (dsp_v4f)*r1, c = (dsp_v4f)*r2, d = (dsp_v4f)*r3;
	dsp_transpose4f(&a, &b, &c, &d);
	*r0 = (dsp_v4i)a, *r1 = (dsp_v4i)b, *r2 = (dsp_v4i)c, *r3 = (dsp_v4i)d;
}

#endif
