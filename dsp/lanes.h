/* lanes.h: how every multi-lane kernel groups its lanes.
 *
 * A kernel that runs several channels' recursions side by side (so their latency-bound
 * chains overlap in the CPU) is built for a few constant widths: its loops over lanes then
 * unroll and each lane's state stays in registers. A run-time count of lanes goes to it in
 * two steps, the same everywhere:
 *   - split into groups no wider than the kernel's widest build, as even as possible
 *     (dsp_lanes_group: 10 lanes at most 8 wide run as 5 + 5, not 8 + 2, so every group has
 *     about as many chains to overlap);
 *   - each group run at a width the kernel is built for (dsp_lanes_pad: one lane alone, else
 *     rounded up to whole vectors; the kernel pads the rest), called through DSP_LANES_CALL
 *     so the width is a compile-time constant inside.
 * Lanes never mix, so neither step changes a lane's bits. */
#ifndef CHANSTRIP_LANES_H
#define CHANSTRIP_LANES_H

#include "dsp.h"

/* Lanes the next group takes when left > 0 lanes remain, split into the fewest groups of at
 * most max_w lanes, as even as possible. Walking
 *     for (unsigned first = 0, nl; first < count; first += nl)
 *             nl = dsp_lanes_group(count - first, max_w), ...
 * gives the groups in order (each later group as large as or one larger than the first). */
static inline unsigned dsp_lanes_group(unsigned left, unsigned max_w)
{
	unsigned groups = (left + max_w - 1) / max_w;
	return left / groups;
}

/* The width a kernel built for one lane and for whole vectors of vec_w lanes runs n lanes
 * at: n itself for 0 or 1, else n rounded up to a multiple of vec_w (vec_w = 1: exactly n). */
static inline unsigned dsp_lanes_pad(unsigned n, unsigned vec_w)
{
	return n <= 1 ? n : (n + vec_w - 1) / vec_w * vec_w;
}

/* Widths a kernel is built for, as a mask for DSP_LANES_CALL: bit w for width w. */
#define DSP_LANES_W(w) (1u << (w))
#define DSP_LANES_W_ALL 0x1feu /* 1 .. 8 */
#define DSP_LANES_W_1_4_8 (DSP_LANES_W(1) | DSP_LANES_W(4) | DSP_LANES_W(8))
#define DSP_LANES_W_1_2_4 (DSP_LANES_W(1) | DSP_LANES_W(2) | DSP_LANES_W(4))
_Static_assert(DSP_LANES_MAX == 8, "DSP_LANES_CALL covers widths 1..8");

#define DSP_LANES_CASE_(W, widths, fn, ...)                                                 \
	case W:                                                                             \
		if ((widths) & DSP_LANES_W(W))                                              \
			fn(__VA_ARGS__, W);                                                 \
		break;

/* fn(args..., W) with the constant W equal to w, for w in 1..DSP_LANES_MAX and in the mask
 * widths (a constant: only those widths are compiled); nothing for any other w. */
#define DSP_LANES_CALL(w, widths, fn, ...)                                                  \
	do {                                                                                \
		switch (w) {                                                                \
			DSP_LANES_CASE_(1, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(2, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(3, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(4, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(5, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(6, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(7, widths, fn, __VA_ARGS__)                         \
			DSP_LANES_CASE_(8, widths, fn, __VA_ARGS__)                         \
		default:                                                                    \
			break;                                                              \
		}                                                                           \
	} while (0)

#endif
