/* link.h: the stereo (and wider) link of dynamics stages.
 *
 * Strips with the same link.group (1..LINK_GROUPS) share their dynamics: for every linkable
 * stage (stage.h: gain_lanes, link_gr, apply_lanes), each member's gain control per sample is
 * pulled toward the group's strongest one by its own link.amount a (0..1):
 *
 *   v_j' = v_j + a_j * (max_m v_m - v_j)          (in dB: the gain domain)
 *
 * The detector choice is the maximum: the member that hears the most leads (the deepest
 * reduction of a compressor, de-esser or limiter; the most open gate), so a transient on one
 * side moves the whole image and nothing on either side gets past a stage that the other side
 * triggered. Each member's own detector keeps running on its own input; only the gain it
 * applies is shared. Pure: no state, no allocation. */
#ifndef CHANSTRIP_LINK_H
#define CHANSTRIP_LINK_H

#include <stdint.h>

#include "stage.h"

#define LINK_GROUPS 16 /* link.group 1..16; 0 = not linked */

/* One stage's gain controls of the k members of one group, combined in place over n samples
 * (n <= DSP_MAX_CHUNK): gr[j]->v[i] pulled toward the largest gr[m]->v[i] by a[j][i] (0..1;
 * exactly the largest at 1, unchanged at 0). A flat member counts as 0; it is written out
 * (and stops being flat) only when its values may change. mx: n floats of scratch. */
void link_combine(struct stage_gr *const *gr, const float *const *a, unsigned k, uint32_t n,
		  float *restrict mx);

#endif
