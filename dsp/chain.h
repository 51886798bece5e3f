/* chain.h: the strip's stages, in signal order. One row per stage:
 *
 *   X(name, NAME, type, GR)
 *
 * name: the stage's member of struct strip_stages and the prefix of its descriptor,
 *   name##_stage (a const struct stage_desc, stage.h), whose .name is the same word;
 * NAME: the same in capitals, for the meter field's enum (MF_<NAME>_GR_DB);
 * type: its state, struct type;
 * GR: GR for a dynamics stage (it has gr_take and a "<name>_gr_db" meter field, in chain
 *   order between "clips" and "out_peak_dbfs"), NOGR otherwise.
 *
 * The preamp reads the strip's input. The output gain ("out") has no process_lanes: the strip
 * runs it itself, fused with the output meter when every stage after it is idle; the stages
 * after it (the limiter) run on its result, and the output meter reads theirs. A new stage is
 * its #include here and its row. */
#ifndef CHANSTRIP_CHAIN_H
#define CHANSTRIP_CHAIN_H

#include "comp.h"
#include "deess.h"
#include "enh.h"
#include "eq.h"
#include "gate.h"
#include "limiter.h"
#include "nr.h"
#include "outgain.h"
#include "preamp.h"

#define CHAIN_STAGES(X)                    \
	X(pre, PRE, preamp, NOGR)          \
	X(nr, NR, nr, NOGR)                \
	X(gate, GATE, gate, GR)            \
	X(comp, COMP, comp, GR)            \
	X(deess, DEESS, deess, GR)         \
	X(eq, EQ, eq, NOGR)                \
	X(enh, ENH, enh, NOGR)             \
	X(out, OUT, outgain, NOGR)         \
	X(lim, LIM, limiter, GR)

/* CHAIN_IF_GR(...) / CHAIN_IF_NOGR(...): the arguments for a GR row, nothing otherwise, as
 * CHAIN_IF_##gr(...) inside an X. */
#define CHAIN_IF_GR(...) __VA_ARGS__
#define CHAIN_IF_NOGR(...)

#endif
