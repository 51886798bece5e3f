/* jack_rtcheck.h: hooks for the real-time-safety test build (tests/rtcheck/).
 *
 * The normal program compiles them away. tests/rtcheck builds a second executable from the
 * same jackclient.c with -DCHANSTRIP_RTCHECK and links it with -Wl,--wrap=malloc,... : the
 * wrappers count calls made while rtcheck_process_enter() is in force (a thread-local flag
 * set around the whole process callback), rtcheck_started() drives parameter changes and
 * meter traffic from a control thread, and rtcheck_exit_status() turns any counted call into
 * a failing exit status. */
#ifndef CHANSTRIP_JACK_RTCHECK_H
#define CHANSTRIP_JACK_RTCHECK_H

#include "engine.h"

#ifdef CHANSTRIP_RTCHECK
void rtcheck_process_enter(void);
void rtcheck_process_leave(void);
void rtcheck_started(struct engine *e);
void rtcheck_stopping(void);
int rtcheck_exit_status(int rc);
#else
static inline void rtcheck_process_enter(void) {}
static inline void rtcheck_process_leave(void) {}
static inline void rtcheck_started(struct engine *e) { (void)e; }
static inline void rtcheck_stopping(void) {}
static inline int rtcheck_exit_status(int rc) { return rc; }
#endif

#endif
