/* cpu.c: the kernel tables, best first, and the CPU check that picks one. */
#include "cpu.h"

#include "sat.h"

#include <stddef.h>

/* The modules' kernels of one build, as table entries. */
#define DSP_MODULE_KERNELS(isa)                                                                 \
	.truepeak_max = truepeak_max_##isa, .preamp_run_1 = preamp_run_1_##isa,                 \
	.preamp_steady_n = preamp_steady_n_##isa, .gate_run_1 = gate_run_1_##isa,               \
	.gate_run_n = gate_run_n_##isa, .comp_run_1 = comp_run_1_##isa,                         \
	.comp_run_n = comp_run_n_##isa, .deess_run_1 = deess_run_1_##isa,                       \
	.deess_run_n = deess_run_n_##isa, .meter_input = meter_input_##isa,                     \
	.meter_output = meter_output_##isa, .meter_output_gain = meter_output_gain_##isa,        \
	DSP_LINK_KERNELS(isa)

/* The stereo link's halves of the dynamics kernels of one build. */
#define DSP_LINK_KERNELS(isa)                                                                   \
	.comp_gain_n = comp_gain_n_##isa, .comp_apply_n = comp_apply_n_##isa,                   \
	.gate_gain_n = gate_gain_n_##isa, .gate_apply_n = gate_apply_n_##isa,                   \
	.deess_gain_n = deess_gain_n_##isa, .deess_apply_n = deess_apply_n_##isa

#define DSP_SAT_KERNELS(isa)                                                                    \
	.mul_const = sat_mul_const_##isa, .mul = sat_mul_##isa, .sat_adaa = sat_adaa_##isa

/* One table: its name, the CPU flags it needs, and the builds its saturation and module
 * kernels come from. */
#define DSP_ARCH(isa, flags, sat_isa, module_isa)                                              \
	{                                                                                       \
		.name = #isa, .cpu_flags = (flags), DSP_SAT_KERNELS(sat_isa),                   \
		DSP_MODULE_KERNELS(module_isa),                                                 \
	}

const struct dsp_arch dsp_arch_c = DSP_ARCH(c, 0, c, c);

/* SSE2 and NEON have saturation kernels of their own; the modules' baseline build already
 * runs on them (generic vectors are SSE2 on x86-64, NEON on arm64). NEON (with
 * vsqrtq/vdivq) is part of every AArch64 CPU: no flag, no run-time check. */
#if defined(CHANSTRIP_HAVE_AVX2)
static const struct dsp_arch dsp_arch_avx2 = DSP_ARCH(avx2, DSP_CPU_AVX2, avx2, avx2);
#endif
#if defined(CHANSTRIP_HAVE_SSE2)
static const struct dsp_arch dsp_arch_sse2 = DSP_ARCH(sse2, DSP_CPU_SSE2, sse2, c);
#endif
#if defined(CHANSTRIP_HAVE_NEON)
static const struct dsp_arch dsp_arch_neon = DSP_ARCH(neon, 0, neon, c);
#endif

/* Best first; the references always close the table. */
static const struct dsp_arch *const dsp_archs[] = {
#if defined(CHANSTRIP_HAVE_AVX2)
	&dsp_arch_avx2,
#endif
#if defined(CHANSTRIP_HAVE_SSE2)
	&dsp_arch_sse2,
#endif
#if defined(CHANSTRIP_HAVE_NEON)
	&dsp_arch_neon,
#endif
	&dsp_arch_c,
};

#define DSP_NARCHS ((int)(sizeof(dsp_archs) / sizeof(dsp_archs[0])))

uint32_t dsp_cpu_flags(void)
{
	uint32_t f = 0;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse2"))
		f |= DSP_CPU_SSE2;
	/* checks the OS saves the ymm registers too (XGETBV), not only the CPUID bit */
	if (__builtin_cpu_supports("avx2"))
		f |= DSP_CPU_AVX2;
#endif
	return f;
}

static int dsp_arch_runs(const struct dsp_arch *a, uint32_t flags)
{
	return (a->cpu_flags & flags) == a->cpu_flags;
}

const struct dsp_arch *dsp_arch_select(int force_c)
{
	return force_c ? &dsp_arch_c : dsp_arch_variant(0);
}

int dsp_arch_count(void)
{
	uint32_t flags = dsp_cpu_flags();
	int k = 0;
	for (int i = 0; i < DSP_NARCHS; i++)
		k += dsp_arch_runs(dsp_archs[i], flags);
	return k;
}

const struct dsp_arch *dsp_arch_variant(int i)
{
	uint32_t flags = dsp_cpu_flags();
	for (int j = 0; j < DSP_NARCHS; j++) {
		if (dsp_arch_runs(dsp_archs[j], flags) && i-- == 0)
			return dsp_archs[j];
	}
	return NULL;
}
