/* nsm.h: session management (NSM, New Session Manager API 1.1) when NSM_URL is set.
 *
 * The life cycle, driven by jackclient.c:
 *   nsm_begin()   announce, wait for /nsm/client/open (before any JACK client exists), load
 *                 the session's state; the JACK client is then named after the client id
 *   nsm_opened()  the JACK client is up: reply to the open, start reporting dirty/clean
 *   nsm_poll()    from the control loop: answer /nsm/client/save, report dirty/clean
 *   nsm_end()     on the way out (answers a pending open with /error if the start failed)
 * Quitting is SIGTERM, which jackclient.c already turns into a clean exit.
 *
 * The NSM socket is a UDP socket of its own (not the control OSC port), polled from the
 * control thread only: nothing here runs on, or waits for, the audio thread.
 *
 * Session state: "<path>.chanstrip" beside the other clients' files, in preset format (see
 * preset.h) with every parameter of every strip, and a first line
 *   # chanstrip: chanstrip-session strips=N (N strips), saved by chanstrip VERSION
 * that carries the strip count. When that file exists it replaces --channels, --preset and
 * --set, and chanstrip makes no JACK connections of its own (--connect, --connect-out and the
 * default physical inputs are skipped: the session's patchbay, e.g. jackpatch, restores
 * them); a new session (no file yet) starts from the command line. */
#ifndef CHANSTRIP_NSM_H
#define CHANSTRIP_NSM_H

#include <stddef.h>

#include "engine.h"
#include "options.h"
#include "preset.h"

/* Suffix appended to the path NSM gives (its "native file extension" strategy). */
#define NSM_STATE_SUFFIX ".chanstrip"
/* The title written to the state file; its first line reads "... strips=N ...". */
#define NSM_STATE_TITLE "chanstrip-session"
/* Dirty/clean is checked this often (ms) and reported only when it changes. */
#define NSM_DIRTY_POLL_MS 100

struct nsm;

/* 1 when NSM_URL is set (and not empty). */
int nsm_wanted(void);

/* Announce to $NSM_URL and wait for /nsm/client/open. While waiting, sigfd is polled too.
 * Returns:
 *   0  session open: *np is the session, *out is *in with name = the client id and, when the
 *      session has a state file, channels and assign taken from it (owned by *np, valid
 *      until nsm_end) and no connections. An invalid NSM_URL only warns (the NSM API
 *      says to run unmanaged): then *np is NULL and *out = *in.
 *   1  a signal is pending on sigfd (left unread for the caller)
 *  <0  the session manager refused the announce, or no socket: message in err. */
int nsm_begin(struct nsm **np, int sigfd, const struct options *in, struct options *out,
	      char *err, size_t errlen);

/* The JACK client runs on e: reply "ok" to the open; from now on saves and dirty reports
 * use e. The engine's dirty flag is taken here: the loaded state is clean. */
void nsm_opened(struct nsm *n, struct engine *e);

/* Control thread, never blocks: handle what the session manager sent, and every
 * NSM_DIRTY_POLL_MS send /nsm/client/is_dirty or is_clean when the state changed. n may be
 * NULL. */
void nsm_poll(struct nsm *n);

/* The transport whose maps the session state carries (MIDI); before nsm_opened. n may be
 * NULL. */
void nsm_set_preset_ext(struct nsm *n, const struct preset_ext *x);

/* Before the engine is freed. If the open was never answered (the JACK client could not
 * start), answers it with /error. Frees n (NULL is fine). */
void nsm_end(struct nsm *n);

#endif
