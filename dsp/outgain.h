/* outgain.h: the strip's output gain, the last stage of the chain.
 *
 * Its descriptor has no process_lanes: the strip applies the gain in the same pass as the
 * output meter (meter_output_gain), straight into the caller's buffer. */
#ifndef CHANSTRIP_OUTGAIN_H
#define CHANSTRIP_OUTGAIN_H

#include "smooth.h"
#include "stage.h"

struct outgain {
	struct smooth gain; /* linear */
};

extern const struct stage_desc out_stage;

#endif
