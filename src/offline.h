/* offline.h: the same strips on WAV files (libsndfile). */
#ifndef CHANSTRIP_OFFLINE_H
#define CHANSTRIP_OFFLINE_H

#include "options.h"

/* Meter rows in the CSV cover this many milliseconds each. */
#define OFFLINE_METER_PERIOD_MS 50

/* Process o->in_path into o->out_path (and o->meters_path). Output is written to a temporary
 * file beside it and renamed only on success. Returns 0, or non-zero after printing one
 * line on stderr. */
int offline_run(struct options *o);

#endif
