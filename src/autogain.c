#include "autogain.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "monoclock.h"

static const char *const ag_names[] = {"listening", "done",      "too_quiet", "too_loud",
				       "clipped",   "no_signal", "cancelled"};

const char *autogain_state_name(enum autogain_state st) { return ag_names[st]; }

void autogain_decide(float peak_dbfs, uint64_t clips, float target_dbfs, float cur_gain_db,
		     struct autogain_result *r)
{
	const struct param_def *d = &param_table[P_PRE_GAIN];
	float need = target_dbfs - peak_dbfs;
	memset(r, 0, sizeof(*r));
	r->gain_db = cur_gain_db;
	if (clips > 0) {
		/* the converter's rails hide how loud it really was: at least the whole way from
		 * full scale to the target */
		r->state = AG_CLIPPED;
		snprintf(r->advice, sizeof(r->advice),
			 "the input clipped at the converter (%llu times): lower the interface's "
			 "gain by at least %.0f dB and listen again",
			 (unsigned long long)clips, (double)(ceilf(-target_dbfs) + 3.0f));
	} else if (!(peak_dbfs > AUTOGAIN_NO_SIGNAL_DBFS)) {
		r->state = AG_NO_SIGNAL;
		snprintf(r->advice, sizeof(r->advice),
			 "no signal (peaks below %.0f dBFS): check the cable, the input and the "
			 "interface's gain", (double)AUTOGAIN_NO_SIGNAL_DBFS);
	} else if (need > d->max) {
		r->state = AG_TOO_QUIET, r->set_gain = 1, r->gain_db = d->max;
		snprintf(r->advice, sizeof(r->advice),
			 "too quiet: pre.gain is at its %.0f dB maximum; raise the interface's gain "
			 "by %.1f dB", (double)d->max, (double)(need - d->max));
	} else if (need < d->min) {
		r->state = AG_TOO_LOUD, r->set_gain = 1, r->gain_db = d->min;
		snprintf(r->advice, sizeof(r->advice),
			 "too loud: pre.gain is at its %.0f dB minimum; lower the interface's gain "
			 "by %.1f dB", (double)d->min, (double)(d->min - need));
	} else {
		r->state = AG_DONE, r->set_gain = 1;
		r->gain_db = roundf(need * 10.0f) / 10.0f;
		snprintf(r->advice, sizeof(r->advice), "pre.gain set to %+.1f dB for peaks at %.0f "
			 "dBFS", (double)r->gain_db, (double)target_dbfs);
	}
}

#define AG_SETTLE_S 0.05

struct ag_job {
	int active;
	float seconds, target;
	double started_s, last_status_s;
	float peak;      /* linear, max |x| of the input since the start */
	int fresh;       /* 1 until the first meter read after the start has been dropped */
	uint64_t clips;
};

struct autogain {
	struct engine *e;
	autogain_status_fn fn;
	void *ctx;
	int reader;
	pthread_t thread;
	pthread_mutex_t lock; /* the jobs; never held while calling the engine or fn */
	atomic_int stop;
	unsigned nstrips;
	struct ag_job *job;
};

/* One strip's meters since the last look; finish the job when its time is up. */
static void ag_tick_strip(struct autogain *ag, unsigned s, double t)
{
	struct meter_snapshot snap;
	struct meter_hold hold;
	int got = engine_meter_read(ag->e, ag->reader, s, &snap, &hold) == 0;
	pthread_mutex_lock(&ag->lock);
	struct ag_job j = ag->job[s];
	if (!j.active) {
		pthread_mutex_unlock(&ag->lock);
		return;
	}
	/* the audio thread's first snapshot after the start may cover audio from before it
	 * (its period was under way), and on a loaded machine it may be read late: the first
	 * read is dropped whenever it comes, and so is all of the first AG_SETTLE_S */
	if (got && j.fresh)
		j.fresh = 0;
	else if (got && t - j.started_s >= AG_SETTLE_S) {
		j.peak = fmaxf(j.peak, snap.in_peak);
		j.clips += snap.clips;
	}
	double left = j.seconds - (t - j.started_s);
	int end = left <= 0.0, say = t - j.last_status_s >= 1.0;
	if (say)
		j.last_status_s = t;
	j.active = !end;
	ag->job[s] = j;
	pthread_mutex_unlock(&ag->lock);
	float cur = engine_get(ag->e, s, P_PRE_GAIN);
	if (!end) {
		if (say && ag->fn)
			ag->fn(ag->ctx, s, "listening", (float)left, cur, "");
		return;
	}
	struct autogain_result r;
	autogain_decide(dsp_gain_to_db(j.peak), j.clips, j.target, cur, &r);
	if (r.set_gain && engine_set(ag->e, (int)s, P_PRE_GAIN, r.gain_db) < 0)
		snprintf(r.advice, sizeof(r.advice), "could not set pre.gain (busy): try again");
	if (ag->fn)
		ag->fn(ag->ctx, s, autogain_state_name(r.state), 0.0f, r.gain_db, r.advice);
}

static void *ag_main(void *arg)
{
	struct autogain *ag = arg;
	const struct timespec tick = {0, 50 * 1000 * 1000};
	while (!atomic_load(&ag->stop)) {
		nanosleep(&tick, NULL);
		if (!autogain_busy(ag))
			continue;
		engine_meters_poll(ag->e);
		double t = monoclock_s();
		for (unsigned s = 0; s < ag->nstrips; s++)
			ag_tick_strip(ag, s, t);
	}
	return NULL;
}

struct autogain *autogain_new(struct engine *e, autogain_status_fn fn, void *ctx)
{
	struct autogain *ag = calloc(1, sizeof(*ag));
	if (!ag)
		return NULL;
	ag->e = e, ag->fn = fn, ag->ctx = ctx;
	ag->nstrips = engine_nstrips(e);
	ag->job = calloc(ag->nstrips, sizeof(*ag->job));
	if (!ag->job || (ag->reader = engine_meter_reader_add(e)) < 0) {
		errno = ag->job ? -ag->reader : ENOMEM;
		free(ag->job);
		free(ag);
		return NULL;
	}
	pthread_mutex_init(&ag->lock, NULL);
	if (pthread_create(&ag->thread, NULL, ag_main, ag) != 0) {
		pthread_mutex_destroy(&ag->lock);
		free(ag->job);
		free(ag);
		errno = EAGAIN;
		return NULL;
	}
	return ag;
}

void autogain_free(struct autogain *ag)
{
	if (!ag)
		return;
	atomic_store(&ag->stop, 1);
	pthread_join(ag->thread, NULL);
	pthread_mutex_destroy(&ag->lock);
	free(ag->job);
	free(ag);
}

int autogain_start(struct autogain *ag, int strip, float seconds, float target)
{
	if (!(seconds >= AUTOGAIN_SECONDS_MIN && seconds <= AUTOGAIN_SECONDS_MAX) ||
	    !(target >= AUTOGAIN_TARGET_MIN && target <= AUTOGAIN_TARGET_MAX))
		return -EINVAL;
	if (strip < -1 || strip >= (int)ag->nstrips)
		return -ENODEV;
	/* what was metered before the start is not part of the take */
	engine_meters_poll(ag->e);
	double t = monoclock_s();
	for (unsigned s = 0; s < ag->nstrips; s++) {
		struct meter_snapshot snap;
		struct meter_hold hold;
		if (strip >= 0 && (unsigned)strip != s)
			continue;
		(void)engine_meter_read(ag->e, ag->reader, s, &snap, &hold);
		pthread_mutex_lock(&ag->lock);
		ag->job[s] = (struct ag_job){.active = 1, .seconds = seconds, .target = target,
					     .started_s = t, .last_status_s = t, .fresh = 1};
		pthread_mutex_unlock(&ag->lock);
		if (ag->fn)
			ag->fn(ag->ctx, s, "listening", seconds, engine_get(ag->e, s, P_PRE_GAIN),
			       "");
	}
	return 0;
}

int autogain_cancel(struct autogain *ag, int strip)
{
	int any = 0;
	for (unsigned s = 0; s < ag->nstrips; s++) {
		if (strip >= 0 && (unsigned)strip != s)
			continue;
		pthread_mutex_lock(&ag->lock);
		int was = ag->job[s].active;
		ag->job[s].active = 0;
		pthread_mutex_unlock(&ag->lock);
		if (was && ag->fn)
			ag->fn(ag->ctx, s, "cancelled", 0.0f, engine_get(ag->e, s, P_PRE_GAIN),
			       "cancelled: pre.gain left as it was");
		any |= was;
	}
	return any ? 0 : -ESRCH;
}

int autogain_busy(struct autogain *ag)
{
	int busy = 0;
	pthread_mutex_lock(&ag->lock);
	for (unsigned s = 0; s < ag->nstrips && !busy; s++)
		busy = ag->job[s].active;
	pthread_mutex_unlock(&ag->lock);
	return busy;
}
