/* AVX2 build of the gate's kernels: gate.c compiled again with
 * -mavx2, keeping only its kernels (DSP_KERNELS_ONLY, cpu.h), exported with the suffix _avx2. */
#define DSP_KERNEL_UNIT_AVX2 1
/* helpers only the module's own (baseline) build calls */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "gate.c"
