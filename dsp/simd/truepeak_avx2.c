/* AVX2 build of the true-peak kernel: 8 outputs per vector, three-operand forms. The unit is
 * compiled with -mavx2 and without FMA, so it gives truepeak_max_c's bits. */
#include "truepeak.h"

#define TPK_NAME truepeak_max_avx2
#define TPK_BLOCK tp_block_avx2
#define TPK_MAX __builtin_ia32_maxps256 /* vmaxps: a > b ? a : b */
#define TPK_V dsp_v8f
#define TPK_VI dsp_v8i
#define TPK_W 8
#include "truepeak_kernel.h"
