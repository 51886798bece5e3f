/* meterview.h: the terminal meter view of the JACK client (--meter-view).
 *
 * On a terminal (standard error is a tty and curses can drive it) a full-screen view:
 * a status line (rate, period, DSP load, xruns), the keys, a labelled dBFS scale for the
 * level bars and a dB scale for the gain-reduction bars, then per strip: a heading (input
 * in dBu, true peak, headroom now and held, clips), an input and an output bar (RMS solid,
 * peak lighter, held peak a mark) with their figures, one gain-reduction bar per dynamics
 * stage (taken from the chain's descriptors, so a new stage appears by itself) and any meter
 * field the view has no place for, by name. The last line shows the latest log message:
 * while the view runs everything written to standard error goes to it instead of scrolling
 * the screen, and is printed in full when the view ends. Keys: q quits, r resets held peaks
 * and clips, up/down (or PgUp/PgDn) scroll through strips that do not fit. Resizing redraws
 * at the new size; nothing wraps.
 *
 * Otherwise (a log file, a pipe, no usable terminal) the view appends a plain block once a
 * second, so logs stay readable. Control thread only. */
#ifndef CHANSTRIP_METERVIEW_H
#define CHANSTRIP_METERVIEW_H

#include <stdio.h>

#include "engine.h"

struct meterview;

/* Registers a meter reader with the engine and, on a terminal, takes it over (and standard
 * error with it) until meterview_stop(). NULL with errno set on failure. */
struct meterview *meterview_new(struct engine *e, FILE *f);
/* meterview_stop(), then frees. NULL is fine. */
void meterview_free(struct meterview *v);
/* Leave the full-screen view: the terminal and standard error are given back and the log
 * lines the view held are printed. Idempotent; NULL is fine. */
void meterview_stop(struct meterview *v);
/* Milliseconds between redraws: 100 on a terminal, 1000 otherwise. */
unsigned meterview_interval_ms(const struct meterview *v);
/* Handle pending keys, read the meters merged since the last draw and draw. status: one
 * line shown at the top (no newline). The caller polls the engine's meters beforehand. */
void meterview_draw(struct meterview *v, const char *status);
/* 1 once q was pressed in the view. */
int meterview_quit(const struct meterview *v);
/* Before a log line is printed: nothing left to do (the full-screen view takes standard
 * error's lines itself, the plain blocks are never redrawn); kept for the callers. */
void meterview_clear(struct meterview *v);

#endif
