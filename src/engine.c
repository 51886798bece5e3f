#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "denormal.h"

struct engine_ctl_msg {
	uint32_t strip;
	uint32_t id;
	float value;
};

struct engine_meter_msg {
	uint32_t strip;
	struct meter_snapshot snap;
};

/* Room for a whole preset on every strip, several times over. */
#define CTL_RING_MSGS (P_COUNT * ENGINE_MAX_STRIPS * 4)
/* Room for ~1 s of snapshots if the control side stalls; the audio side keeps accumulating
 * (and so loses no peak) when it is full. */
#define MET_RING_SNAPS_PER_STRIP (ENGINE_METER_PUSH_HZ)

static void engine_update_latency(struct engine *e)
{
	uint32_t lat = 0;
	for (unsigned i = 0; i < e->nstrips; i++) {
		uint32_t l = strip_latency_samples(&e->strips[i]);
		lat = l > lat ? l : lat;
	}
	atomic_store_explicit(&e->latency, lat, memory_order_relaxed);
}

static int set_fs_locked(struct engine *e, float fs);

int engine_init(struct engine *e, unsigned nstrips, float fs, const struct dsp_arch *arch)
{
	int err = -ENOMEM;
	memset(e, 0, sizeof(*e));
	if (nstrips < 1 || nstrips > ENGINE_MAX_STRIPS)
		return -EINVAL;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	e->nstrips = nstrips;
	e->arch = arch;
	/* strips hold SIMD state: keep them cache-line aligned */
	if (posix_memalign((void **)&e->strips, 64, nstrips * sizeof(*e->strips)))
		goto fail;
	e->values = calloc(nstrips, sizeof(*e->values));
	e->hold = calloc(nstrips, sizeof(*e->hold));
	e->ctl = jack_ringbuffer_create(CTL_RING_MSGS * sizeof(struct engine_ctl_msg));
	e->met = jack_ringbuffer_create((size_t)MET_RING_SNAPS_PER_STRIP * nstrips *
					sizeof(struct engine_meter_msg));
	if (!e->values || !e->hold || !e->ctl || !e->met)
		goto fail;
	/* page the buffers in now, not in the audio thread */
	if (jack_ringbuffer_mlock(e->ctl) || jack_ringbuffer_mlock(e->met)) {
		/* not fatal: mlock needs privileges a desktop user may lack */
	}
	pthread_mutex_init(&e->lock, NULL);
	for (unsigned i = 0; i < nstrips; i++) {
		for (int p = 0; p < P_COUNT; p++)
			e->values[i][p] = param_table[p].def;
		meter_hold_reset(&e->hold[i]);
	}
	if ((err = set_fs_locked(e, fs)) < 0) /* nobody else sees e yet */
		goto fail;
	return 0;
fail:
	engine_free(e);
	return err;
}

void engine_free(struct engine *e)
{
	if (e->ctl)
		jack_ringbuffer_free(e->ctl);
	if (e->met)
		jack_ringbuffer_free(e->met);
	for (unsigned r = 0; r < e->nreaders; r++)
		free(e->readers[r]);
	free(e->strips);
	free(e->values);
	free(e->hold);
	if (e->nstrips)
		pthread_mutex_destroy(&e->lock);
	memset(e, 0, sizeof(*e));
}

static int set_fs_locked(struct engine *e, float fs)
{
	int err;
	if (atomic_load(&e->running))
		return -EBUSY;
	for (unsigned i = 0; i < e->nstrips; i++) {
		/* a learned noise profile is rate-independent (nr.h): it survives the rebuild */
		float prof[NR_PROFILE_POINTS];
		int has = e->fs > 0 && nr_profile_get(&e->strips[i].st.nr, prof);
		if ((err = strip_init(&e->strips[i], fs, e->arch)) < 0)
			return err;
		if (has)
			nr_profile_set(&e->strips[i].st.nr, prof);
		for (int p = 0; p < P_COUNT; p++)
			strip_set_param(&e->strips[i], (enum param_id)p, e->values[i][p]);
		strip_reset(&e->strips[i]); /* start at the values, no ramp from defaults */
	}
	e->fs = fs;
	e->meter_period = (uint32_t)(fs / ENGINE_METER_PUSH_HZ);
	e->meter_frames = 0;
	engine_update_latency(e);
	return 0;
}

/* Under the engine lock: a control thread (OSC, HTTP) may be applying a value directly to
 * the stopped strips while the JACK client rebuilds them for a new rate. */
int engine_set_fs(struct engine *e, float fs)
{
	pthread_mutex_lock(&e->lock);
	int rc = set_fs_locked(e, fs);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static void notify(struct engine *e, unsigned strip, enum param_id id, float v)
{
	for (unsigned l = 0; l < e->nlisteners; l++)
		e->listeners[l].fn(e->listeners[l].ctx, strip, id, v);
}

/* Caller holds the lock and has validated everything. */
static int set_locked(struct engine *e, unsigned strip, enum param_id id, float v)
{
	if (atomic_load(&e->running)) {
		struct engine_ctl_msg m = {strip, (uint32_t)id, v};
		if (jack_ringbuffer_write_space(e->ctl) < sizeof(m))
			return -EAGAIN;
		jack_ringbuffer_write(e->ctl, (const char *)&m, sizeof(m));
	} else {
		strip_set_param(&e->strips[strip], id, v);
		engine_update_latency(e);
	}
	e->values[strip][id] = v;
	atomic_store(&e->dirty, 1);
	return 0;
}

/* ---- noise suppressor commands ---------------------------------------------------------
 * Not parameters: a learn request and a profile travel on the same ring as values, with ids
 * past the table (ENGINE_CMD_*), so they keep their order with the values around them. */
enum {
	ENGINE_CMD_NR_LEARN = P_COUNT,
	ENGINE_CMD_NR_PROFILE, /* .. + NR_PROFILE_POINTS - 1: one point each */
	/* restart the strip's integrated loudness and LRA */
	ENGINE_CMD_LOUDNESS_RESET = ENGINE_CMD_NR_PROFILE + NR_PROFILE_POINTS,
};

static void engine_command(struct engine *e, const struct engine_ctl_msg *m)
{
	struct nr *r = &e->strips[m->strip].st.nr;
	if (m->id == ENGINE_CMD_LOUDNESS_RESET)
		meter_loudness_reset(&e->strips[m->strip].meter);
	else if (m->id == ENGINE_CMD_NR_LEARN)
		nr_learn_start(r, m->value);
	else if (m->id - ENGINE_CMD_NR_PROFILE < NR_PROFILE_POINTS)
		nr_profile_stage(r, m->id - ENGINE_CMD_NR_PROFILE, m->value);
}

static void engine_msg_apply(struct engine *e, const struct engine_ctl_msg *m)
{
	if (m->id >= P_COUNT)
		engine_command(e, m);
	else
		strip_set_param(&e->strips[m->strip], (enum param_id)m->id, m->value);
}

/* Queue (or, while no audio thread runs, apply) n command messages, all or none; dirty: they
 * change what a session saves. */
static int engine_command_send(struct engine *e, const struct engine_ctl_msg *m, size_t n,
			       int dirty)
{
	pthread_mutex_lock(&e->lock);
	if (atomic_load(&e->running)) {
		if (jack_ringbuffer_write_space(e->ctl) < n * sizeof(*m)) {
			pthread_mutex_unlock(&e->lock);
			return -EAGAIN;
		}
		jack_ringbuffer_write(e->ctl, (const char *)m, n * sizeof(*m));
	} else {
		for (size_t i = 0; i < n; i++)
			engine_command(e, &m[i]);
	}
	if (dirty)
		atomic_store(&e->dirty, 1);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_nr_learn(struct engine *e, unsigned strip, float seconds)
{
	if (strip >= e->nstrips)
		return -ENODEV;
	if (!(seconds >= 0.1f && seconds <= 30.0f))
		return -ERANGE;
	struct engine_ctl_msg m = {strip, ENGINE_CMD_NR_LEARN, seconds};
	return engine_command_send(e, &m, 1, 1);
}

int engine_nr_profile_set(struct engine *e, unsigned strip, const float db[NR_PROFILE_POINTS])
{
	struct engine_ctl_msg m[NR_PROFILE_POINTS];
	if (strip >= e->nstrips)
		return -ENODEV;
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++) {
		if (!isfinite(db[i]))
			return -EDOM;
		m[i] = (struct engine_ctl_msg){strip, ENGINE_CMD_NR_PROFILE + i, db[i]};
	}
	return engine_command_send(e, m, NR_PROFILE_POINTS, 1);
}

int engine_nr_profile_get(struct engine *e, unsigned strip, float db[NR_PROFILE_POINTS])
{
	if (strip >= e->nstrips)
		return -ENODEV;
	return nr_profile_get(&e->strips[strip].st.nr, db);
}

int engine_set(struct engine *e, int strip, enum param_id id, float v)
{
	int err;
	if ((unsigned)id >= P_COUNT)
		return -EINVAL;
	if (strip < -1 || strip >= (int)e->nstrips)
		return -ENODEV;
	if ((err = param_check(id, v)) < 0)
		return err;
	unsigned lo = strip < 0 ? 0 : (unsigned)strip, hi = strip < 0 ? e->nstrips : lo + 1;
	pthread_mutex_lock(&e->lock);
	if (atomic_load(&e->running) &&
	    jack_ringbuffer_write_space(e->ctl) < (hi - lo) * sizeof(struct engine_ctl_msg)) {
		pthread_mutex_unlock(&e->lock);
		return -EAGAIN;
	}
	for (unsigned s = lo; s < hi; s++)
		set_locked(e, s, id, v);
	for (unsigned s = lo; s < hi; s++)
		notify(e, s, id, v);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_apply(struct engine *e, const struct param_assign *a, size_t n, size_t *bad)
{
	size_t msgs = 0;
	int err;
	for (size_t i = 0; i < n; i++) {
		if (a[i].strip < -1 || a[i].strip >= (int)e->nstrips)
			err = -ENODEV;
		else if ((unsigned)a[i].id >= P_COUNT)
			err = -EINVAL;
		else
			err = param_check(a[i].id, a[i].value);
		if (err < 0) {
			if (bad)
				*bad = i;
			return err;
		}
		msgs += a[i].strip < 0 ? e->nstrips : 1;
	}
	pthread_mutex_lock(&e->lock);
	if (atomic_load(&e->running) &&
	    jack_ringbuffer_write_space(e->ctl) < msgs * sizeof(struct engine_ctl_msg)) {
		pthread_mutex_unlock(&e->lock);
		if (bad)
			*bad = 0;
		return -EAGAIN;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned lo = a[i].strip < 0 ? 0 : (unsigned)a[i].strip;
		unsigned hi = a[i].strip < 0 ? e->nstrips : lo + 1;
		for (unsigned s = lo; s < hi; s++) {
			set_locked(e, s, a[i].id, a[i].value);
			notify(e, s, a[i].id, a[i].value);
		}
	}
	/* With no audio running (start-up, offline), the values are in force from the first
	 * sample: no fade-in from the defaults, so a file's first second is processed like the
	 * rest and JACK and offline give the same result. */
	if (!atomic_load(&e->running)) {
		for (unsigned s = 0; s < e->nstrips; s++)
			strip_reset(&e->strips[s]);
		engine_update_latency(e); /* the reset switched pre.oversample now */
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

float engine_get(struct engine *e, unsigned strip, enum param_id id)
{
	pthread_mutex_lock(&e->lock);
	float v = e->values[strip][id];
	pthread_mutex_unlock(&e->lock);
	return v;
}

void engine_get_all(struct engine *e, float (*out)[P_COUNT])
{
	pthread_mutex_lock(&e->lock);
	memcpy(out, e->values, e->nstrips * sizeof(*e->values));
	pthread_mutex_unlock(&e->lock);
}

int engine_add_listener(struct engine *e, engine_change_fn fn, void *ctx)
{
	int rc = -ENOSPC;
	pthread_mutex_lock(&e->lock);
	if (e->nlisteners < ENGINE_MAX_LISTENERS) {
		e->listeners[e->nlisteners++] = (struct engine_listener){fn, ctx};
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_remove_listener(struct engine *e, engine_change_fn fn, void *ctx)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&e->lock);
	for (unsigned l = 0; l < e->nlisteners; l++) {
		if (e->listeners[l].fn != fn || e->listeners[l].ctx != ctx)
			continue;
		/* keep the order: listeners are called in the order they were added */
		memmove(&e->listeners[l], &e->listeners[l + 1],
			(e->nlisteners - l - 1) * sizeof(e->listeners[0]));
		e->nlisteners--;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

unsigned engine_nstrips(const struct engine *e) { return e->nstrips; }

float engine_fs(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	float fs = e->fs;
	pthread_mutex_unlock(&e->lock);
	return fs;
}

unsigned engine_xruns(const struct engine *e) { return atomic_load(&e->xruns); }
void engine_count_xrun(struct engine *e) { atomic_fetch_add(&e->xruns, 1); }

int engine_take_dirty(struct engine *e) { return atomic_exchange(&e->dirty, 0); }
void engine_mark_clean(struct engine *e) { atomic_store(&e->dirty, 0); }

uint32_t engine_latency(struct engine *e)
{
	return atomic_load_explicit(&e->latency, memory_order_relaxed);
}

void engine_start(struct engine *e)
{
	e->meter_frames = 0;
	atomic_store(&e->running, 1);
}

void engine_stop(struct engine *e)
{
	struct engine_ctl_msg m;
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->running, 0);
	/* values queued after the last cycle are applied here, so nothing set is lost */
	while (jack_ringbuffer_read(e->ctl, (char *)&m, sizeof(m)) == sizeof(m))
		engine_msg_apply(e, &m);
	engine_update_latency(e);
	pthread_mutex_unlock(&e->lock);
}

/* ---- audio thread ---------------------------------------------------------------------- */

static void engine_apply_queued(struct engine *e)
{
	struct engine_ctl_msg m;
	int any = 0;
	while (jack_ringbuffer_read_space(e->ctl) >= sizeof(m)) {
		jack_ringbuffer_read(e->ctl, (char *)&m, sizeof(m));
		engine_msg_apply(e, &m);
		any = 1;
	}
	if (any)
		engine_update_latency(e);
}

static void engine_push_meters(struct engine *e, uint32_t n)
{
	e->meter_frames += n;
	if (e->meter_frames < e->meter_period)
		return;
	/* all strips or none, so readers see one consistent period; if the ring is full the
	 * strips keep accumulating and the next push carries the maxima */
	if (jack_ringbuffer_write_space(e->met) < e->nstrips * sizeof(struct engine_meter_msg))
		return;
	for (unsigned i = 0; i < e->nstrips; i++) {
		struct engine_meter_msg m = {.strip = i};
		strip_meter_take(&e->strips[i], &m.snap);
		jack_ringbuffer_write(e->met, (const char *)&m, sizeof(m));
	}
	e->meter_frames = 0;
}

void engine_process(struct engine *e, const float *const *in, float *const *out, uint32_t n)
{
	dsp_denormals_flush();
	engine_apply_queued(e);
	/* channels in groups, their recursions interleaved (bit for bit strip_process()) */
	strip_process_many(e->strips, e->nstrips, in, out, n);
	/* the preamp switches pre.oversample (and so its latency) at a silent point of a duck
	 * some way into processing, not when the value arrives */
	engine_update_latency(e);
	engine_push_meters(e, n);
}

/* ---- control side meters ------------------------------------------------------------- */

int engine_meter_reader_add(struct engine *e)
{
	int id = -ENOSPC;
	pthread_mutex_lock(&e->lock);
	if (e->nreaders < ENGINE_MAX_METER_READERS) {
		struct engine_meter_acc *acc = calloc(e->nstrips, sizeof(*acc));
		if (!acc) {
			id = -ENOMEM;
		} else {
			for (unsigned s = 0; s < e->nstrips; s++)
				acc[s].empty = 1;
			id = (int)e->nreaders;
			e->readers[e->nreaders++] = acc;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return id;
}

static void meters_poll_locked(struct engine *e)
{
	struct engine_meter_msg m;
	while (jack_ringbuffer_read_space(e->met) >= sizeof(m)) {
		jack_ringbuffer_read(e->met, (char *)&m, sizeof(m));
		if (m.strip >= e->nstrips)
			continue;
		meter_hold_update(&e->hold[m.strip], &m.snap);
		for (unsigned r = 0; r < e->nreaders; r++) {
			struct engine_meter_acc *acc = &e->readers[r][m.strip];
			if (acc->empty)
				acc->snap = m.snap;
			else
				meter_snapshot_merge(&acc->snap, &m.snap);
			acc->empty = 0;
		}
	}
}

void engine_meters_poll(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	meters_poll_locked(e);
	pthread_mutex_unlock(&e->lock);
}

int engine_meter_read(struct engine *e, int reader, unsigned strip, struct meter_snapshot *snap,
		      struct meter_hold *hold)
{
	int rc = -EAGAIN;
	if (reader < 0 || (unsigned)reader >= e->nreaders || strip >= e->nstrips)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	struct engine_meter_acc *acc = &e->readers[reader][strip];
	if (!acc->empty) {
		*snap = acc->snap;
		acc->empty = 1;
		rc = 0;
	}
	*hold = e->hold[strip];
	pthread_mutex_unlock(&e->lock);
	return rc;
}

void engine_meter_fields(struct engine *e, unsigned strip, const struct meter_snapshot *snap,
			 const struct meter_hold *hold, float fields[MF_COUNT])
{
	meter_fields(snap, hold, engine_get(e, strip, P_METER_CAL), fields);
}

int engine_loudness_reset(struct engine *e, int strip)
{
	if (strip < -1 || strip >= (int)e->nstrips)
		return -ENODEV;
	unsigned lo = strip < 0 ? 0 : (unsigned)strip, hi = strip < 0 ? e->nstrips : lo + 1;
	struct engine_ctl_msg m[ENGINE_MAX_STRIPS];
	for (unsigned s = lo; s < hi; s++)
		m[s - lo] = (struct engine_ctl_msg){s, ENGINE_CMD_LOUDNESS_RESET, 0.0f};
	return engine_command_send(e, m, hi - lo, 0); /* a reading restarts: nothing to save */
}

int engine_meter_reset_hold(struct engine *e, int strip)
{
	if (strip < -1 || strip >= (int)e->nstrips)
		return -ENODEV;
	pthread_mutex_lock(&e->lock);
	/* what was metered before the reset is still in the ring: take it first, or the next
	 * poll would bring the old peak back */
	meters_poll_locked(e);
	for (unsigned s = 0; s < e->nstrips; s++)
		if (strip < 0 || (unsigned)strip == s)
			meter_hold_reset(&e->hold[s]);
	pthread_mutex_unlock(&e->lock);
	return 0;
}
