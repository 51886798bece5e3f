/* denormal.h: flush subnormals to zero in the calling (audio) thread.
 *
 * Subnormal arithmetic costs ~100x on x86; recursive filters decaying toward zero produce
 * them. FTZ/DAZ makes the FPU treat them as zero; modules still keep their feedback state
 * safe on their own, because a host may not call this. */
#ifndef CHANSTRIP_DENORMAL_H
#define CHANSTRIP_DENORMAL_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
static inline void dsp_denormals_flush(void) { _mm_setcsr(_mm_getcsr() | 0x8040u); /* FTZ | DAZ */ }
#elif defined(__aarch64__)
static inline void dsp_denormals_flush(void)
{
	unsigned long fpcr;
	__asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ __volatile__("msr fpcr, %0" ::"r"(fpcr | (1ul << 24))); /* FZ */
}
#else
static inline void dsp_denormals_flush(void) {}
#endif

#endif
