#include "cpu.h"

#include <stddef.h>

/* Best first; the scalar reference always closes the table. */
static const struct dsp_simd_ops *const variants[] = {
#if defined(CHANSTRIP_HAVE_AVX2)
#define CHANSTRIP_X86_CHECKS 1
	&dsp_simd_ops_avx2,
#endif
#if defined(CHANSTRIP_HAVE_SSE2)
#define CHANSTRIP_X86_CHECKS 1
	&dsp_simd_ops_sse2,
#endif
#if defined(CHANSTRIP_HAVE_NEON)
	&dsp_simd_ops_neon,
#endif
	&dsp_simd_ops_c,
};

#define NVARIANTS ((int)(sizeof(variants) / sizeof(variants[0])))

static int cpu_has(const struct dsp_simd_ops *ops)
{
#if defined(CHANSTRIP_X86_CHECKS) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
#if defined(CHANSTRIP_HAVE_AVX2)
	/* checks the OS saves the ymm registers too (XGETBV), not only the CPUID bit */
	if (ops == &dsp_simd_ops_avx2)
		return __builtin_cpu_supports("avx2") != 0;
#endif
#if defined(CHANSTRIP_HAVE_SSE2)
	if (ops == &dsp_simd_ops_sse2)
		return __builtin_cpu_supports("sse2") != 0;
#endif
#endif
	(void)ops;
	return 1; /* the reference, and NEON (mandatory on AArch64) */
}

static const struct dsp_simd_ops *current = &dsp_simd_ops_c;

void dsp_simd_init(int force_c)
{
	current = &dsp_simd_ops_c;
	if (force_c)
		return;
	for (int i = 0; i < NVARIANTS; i++) {
		if (cpu_has(variants[i])) {
			current = variants[i];
			return;
		}
	}
}

const char *dsp_simd_name(void) { return current->name; }

const struct dsp_simd_ops *dsp_simd(void) { return current; }

int dsp_simd_is_avx2(void)
{
#if defined(CHANSTRIP_HAVE_AVX2)
	return current == &dsp_simd_ops_avx2;
#else
	return 0;
#endif
}

int dsp_simd_count(void)
{
	int k = 0;
	for (int i = 0; i < NVARIANTS; i++)
		k += cpu_has(variants[i]);
	return k;
}

const struct dsp_simd_ops *dsp_simd_variant(int i)
{
	for (int j = 0; j < NVARIANTS; j++) {
		if (cpu_has(variants[j]) && i-- == 0)
			return variants[j];
	}
	return NULL;
}
