/* autogain.h: listen to a strip's input for a while, then set pre.gain so its peaks land on a
 * target (a beginner's "Auto Gain").
 *
 * The decision (autogain_decide) is pure: from the input's sample peak over the listening
 * window (dBFS, before the preamp) and whether the converter clipped, the new pre.gain is
 * target - peak, unless that falls outside what pre.gain can do (too_quiet: set to +70 dB,
 * raise the interface's gain by the rest; too_loud: set to -20 dB, lower it by the rest),
 * the input clipped (clipped: gain left alone, lower the interface's gain until the peaks
 * sit at the target, i.e. by at least -target dB) or there was nothing to hear
 * (no_signal: below -100 dBFS, about the noise of a 16-bit converter, gain left alone).
 *
 * The listener (autogain_new) is a control-side thread with its own engine meter reader: it
 * never touches the audio thread, which only meters as always. The gain is set with
 * engine_set(), an ordinary parameter change (feedback, dirty state, undoable by setting it
 * back). Status goes to a callback: "listening" about once a second, then the end state. */
#ifndef CHANSTRIP_AUTOGAIN_H
#define CHANSTRIP_AUTOGAIN_H

#include <stdint.h>

struct engine;

#define AUTOGAIN_SECONDS_DEF 10.0f
#define AUTOGAIN_SECONDS_MIN 1.0f
#define AUTOGAIN_SECONDS_MAX 120.0f
#define AUTOGAIN_TARGET_DEF (-12.0f)
#define AUTOGAIN_TARGET_MIN (-30.0f)
#define AUTOGAIN_TARGET_MAX 0.0f
#define AUTOGAIN_NO_SIGNAL_DBFS (-100.0f)

enum autogain_state {
	AG_LISTENING,
	AG_DONE,
	AG_TOO_QUIET,
	AG_TOO_LOUD,
	AG_CLIPPED,
	AG_NO_SIGNAL,
	AG_CANCELLED,
};

/* "listening", "done", "too_quiet", "too_loud", "clipped", "no_signal", "cancelled" */
const char *autogain_state_name(enum autogain_state st);

struct autogain_result {
	enum autogain_state state;
	int set_gain;     /* 1: set pre.gain to gain_db; 0: leave it */
	float gain_db;    /* the new pre.gain, or the current one */
	char advice[200]; /* one sentence for the user */
};

/* peak_dbfs: the input's largest sample peak while listening; clips: converter clip events
 * then; cur_gain_db: pre.gain now. */
void autogain_decide(float peak_dbfs, uint64_t clips, float target_dbfs, float cur_gain_db,
		     struct autogain_result *r);

/* Status: state name, seconds left (0 at the end), the gain (new or current), advice ("" while
 * listening). Called on the autogain thread or the caller's (cancel). */
typedef void (*autogain_status_fn)(void *ctx, unsigned strip, const char *state,
				   float seconds_left, float gain_db, const char *advice);

struct autogain;
/* NULL on error (errno set). Starts its thread. */
struct autogain *autogain_new(struct engine *e, autogain_status_fn fn, void *ctx);
void autogain_free(struct autogain *ag);
/* strip -1: all. seconds AUTOGAIN_SECONDS_MIN..MAX, target AUTOGAIN_TARGET_MIN..MAX. A strip
 * already listening starts again. 0, -EINVAL or -ENODEV. */
int autogain_start(struct autogain *ag, int strip, float seconds, float target_dbfs);
/* Stop listening; the gain stays as it was. 0, or -ESRCH when the strip was not listening. */
int autogain_cancel(struct autogain *ag, int strip);
/* 1 while any strip listens. */
int autogain_busy(struct autogain *ag);

#endif
