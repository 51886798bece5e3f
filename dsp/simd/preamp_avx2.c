/* AVX2 build of the preamp's chunk and steady-lanes kernels: preamp.c compiled again with
 * -mavx2, keeping only its kernels (DSP_KERNELS_ONLY, cpu.h), exported with the suffix _avx2. */
#define DSP_KERNEL_UNIT_AVX2 1
/* helpers only the module's own (baseline) build calls */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "preamp.c"
