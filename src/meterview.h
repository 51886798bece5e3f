/* meterview.h: the terminal meter view of the JACK client (--meter-view).
 *
 * One compact line per strip: input RMS in dBu with a peak bar, input sample peak (dBFS),
 * true-peak headroom now and held (dB below 0 dBTP), gain reduction of gate, compressor and
 * de-esser (dB, positive), output peak (dBFS) and the clip count, under a status line with
 * rate, period, DSP load and xruns.
 *
 * On a terminal the block redraws in place ~10 times a second (ANSI cursor movement). When
 * the stream is not a terminal (a log file, a pipe) the view appends a plain block once a
 * second instead, so logs stay readable. Control thread only. */
#ifndef CHANSTRIP_METERVIEW_H
#define CHANSTRIP_METERVIEW_H

#include <stdio.h>

#include "engine.h"

struct meterview;

/* Registers a meter reader with the engine. NULL with errno set on failure. */
struct meterview *meterview_new(struct engine *e, FILE *f);
void meterview_free(struct meterview *v);
/* Milliseconds between redraws: 100 on a terminal, 1000 otherwise. */
unsigned meterview_interval_ms(const struct meterview *v);
/* Read the meters merged since the last draw and draw the block. status: one line shown
 * above the strips (no newline). The caller polls the engine's meters beforehand. */
void meterview_draw(struct meterview *v, const char *status);
/* Erase the block (terminal only) so a log line can be printed; the next draw redraws it. */
void meterview_clear(struct meterview *v);

#endif
