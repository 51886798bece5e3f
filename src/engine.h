/* engine.h: the strips of one chanstrip instance and everything that crosses between the
 * control threads (command line, OSC, session manager) and the audio thread.
 *
 * Control threads call engine_set() (validated, mutex-protected on the control side only);
 * values reach the audio thread through a jack_ringbuffer, and meter snapshots come back
 * through another. The audio thread (engine_process) never locks, allocates or prints. */
#ifndef CHANSTRIP_ENGINE_H
#define CHANSTRIP_ENGINE_H

#include <jack/ringbuffer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "meter.h"
#include "paramio.h"
#include "strip.h"

#define ENGINE_MAX_STRIPS 256
#define ENGINE_MAX_LISTENERS 8
#define ENGINE_MAX_METER_READERS 8
/* Audio thread hands meters over at least this often (Hz); readers merge as they like. */
#define ENGINE_METER_PUSH_HZ 200

/* Called on a control thread after every change, whatever its source, with the value now
 * in force, while the engine's (non-recursive) control mutex is held: it must not call any
 * engine_* function. Take what it needs from its arguments and return quickly. */
typedef void (*engine_change_fn)(void *ctx, unsigned strip, enum param_id id, float value);

struct engine_listener {
	engine_change_fn fn;
	void *ctx;
};

struct engine_meter_acc {
	struct meter_snapshot snap; /* merged since the reader's last read */
	int empty;
};

struct engine {
	unsigned nstrips;
	float fs;
	const struct dsp_arch *arch; /* the kernels every strip runs (strip_simd_select) */
	struct strip *strips; /* audio side: touched only by the audio thread while running */

	/* control side */
	pthread_mutex_t lock;
	float (*values)[P_COUNT]; /* what gets answer, what presets save */
	struct engine_listener listeners[ENGINE_MAX_LISTENERS];
	unsigned nlisteners;
	struct meter_hold *hold; /* per strip: held true peak, clip total */
	struct engine_meter_acc *readers[ENGINE_MAX_METER_READERS]; /* [reader][strip] */
	unsigned nreaders;
	atomic_int dirty; /* changed since the last engine_take_dirty() (session managers) */

	/* crossing */
	atomic_int running; /* 1 while an audio thread calls engine_process */
	jack_ringbuffer_t *ctl; /* control -> audio: struct engine_ctl_msg */
	jack_ringbuffer_t *met; /* audio -> control: struct engine_meter_msg */

	/* audio side */
	uint32_t meter_period; /* frames between meter pushes */
	uint32_t meter_frames;
	atomic_uint latency; /* samples, written by whoever applies values to the strips */
	atomic_uint xruns;   /* counted by the JACK client, reported in the log and over OSC */
};

/* nstrips 1..ENGINE_MAX_STRIPS, fs in Hz, arch from strip_simd_select() (NULL: the scalar
 * references). Every parameter at its default. 0 or -errno. */
int engine_init(struct engine *e, unsigned nstrips, float fs, const struct dsp_arch *arch);
void engine_free(struct engine *e);

/* Set a parameter on one strip (0-based) or all (strip = -1). The value is checked against
 * the table; nothing changes on error. Returns 0, -ERANGE/-EDOM/-EINVAL (bad value),
 * -ENODEV (no such strip), -EAGAIN (control ring full: retry). */
int engine_set(struct engine *e, int strip, enum param_id id, float value);
/* Apply a list all-or-nothing: every assignment is checked (strip numbers included) before
 * any is applied. On error, *bad is the index of the first bad one. While no audio thread
 * runs, the strips are then reset so the values hold from the first sample (no ramps). */
int engine_apply(struct engine *e, const struct param_assign *a, size_t n, size_t *bad);
float engine_get(struct engine *e, unsigned strip, enum param_id id);
/* Copy every strip's values (nstrips rows). */
void engine_get_all(struct engine *e, float (*out)[P_COUNT]);
int engine_add_listener(struct engine *e, engine_change_fn fn, void *ctx);
/* Drop a listener added with the same fn and ctx. When it returns, fn is not running and
 * will not be called again (it takes the lock the calls are made under). 0 or -ENOENT. */
int engine_remove_listener(struct engine *e, engine_change_fn fn, void *ctx);
int engine_take_dirty(struct engine *e);
void engine_mark_clean(struct engine *e);

/* Read-only accessors for transports and views, so none of them reads the fields above.
 * The strip count never changes after engine_init; fs only through engine_set_fs, under the
 * engine lock (engine_fs reads it under that lock); xruns are counted by the JACK client
 * (engine_count_xrun). */
unsigned engine_nstrips(const struct engine *e);
float engine_fs(struct engine *e);
unsigned engine_xruns(const struct engine *e);
void engine_count_xrun(struct engine *e); /* any thread, lock-free (JACK's xrun callback) */

/* Noise suppressor (nr.h), strip 0-based. Learn the noise profile from the next seconds
 * (0.1 .. 30) of input: 0, -ENODEV, -ERANGE, -EAGAIN (ring full). Install a profile (from a
 * preset or session): 0, -ENODEV, -EDOM, -EAGAIN. Get the profile in force: 1 (db filled),
 * 0 (none learned or set) or -ENODEV; a profile survives a sample-rate change. */
int engine_nr_learn(struct engine *e, unsigned strip, float seconds);
int engine_nr_profile_set(struct engine *e, unsigned strip, const float db[NR_PROFILE_POINTS]);
int engine_nr_profile_get(struct engine *e, unsigned strip, float db[NR_PROFILE_POINTS]);

/* Sample rate change: only while not running (-EBUSY otherwise). Rebuilds the strips,
 * keeps the values; takes the engine lock. */
int engine_set_fs(struct engine *e, float fs);
/* Largest latency (samples) over the strips at the settings the audio thread has applied;
 * a JACK client polls it and calls jack_recompute_total_latencies() when it changes. */
uint32_t engine_latency(struct engine *e);

/* Start/stop handing values to an audio thread. While stopped, engine_set applies directly. */
void engine_start(struct engine *e);
void engine_stop(struct engine *e); /* call after the audio thread has stopped */

/* AUDIO THREAD. Applies queued values, runs every strip, pushes meter snapshots. */
void engine_process(struct engine *e, const float *const *in, float *const *out, uint32_t n);

/* CONTROL SIDE meters. A reader gets everything merged since its own last read, so several
 * readers (OSC subscribers, terminal view) never steal peaks from each other. */
int engine_meter_reader_add(struct engine *e); /* reader id or -ENOSPC */
/* Drain the audio thread's snapshots into the readers and the held values. */
void engine_meters_poll(struct engine *e);
/* Merged snapshot since the reader's last read, plus the held values. -EAGAIN if no audio
 * has been metered since. */
int engine_meter_read(struct engine *e, int reader, unsigned strip, struct meter_snapshot *snap,
		      struct meter_hold *hold);
/* The design fields for a snapshot with this strip's calibration. */
void engine_meter_fields(struct engine *e, unsigned strip, const struct meter_snapshot *snap,
			 const struct meter_hold *hold, float fields[MF_COUNT]);
/* Clear held true peak and clip count (strip = -1: all). */
int engine_meter_reset_hold(struct engine *e, int strip);
/* Restart the integrated loudness and LRA of one strip (-1: all), in the audio thread, in
 * order with the parameter changes queued before it. 0, -ENODEV or -EAGAIN (queue full). */
int engine_loudness_reset(struct engine *e, int strip);

#endif
