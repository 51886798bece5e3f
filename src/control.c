/* control.c: the transport-neutral control layer (see control.h).
 *
 * Locks: the engine lock is outermost (the engine calls our listener under it); a feed's lock
 * and the meters' locks are taken inside it and never around an engine call, except fold_lock,
 * which is taken before the engine's meter calls and never inside another of ours. */
#include "control.h"

#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "monoclock.h"
#include "preset.h"
#include "suggest.h"

#define CTL_PATTERN_CHARS "*?[]{}"
#define CTL_MAX_FEEDS 8

struct ctl_feed {
	struct control *c;
	pthread_mutex_t lock;
	atomic_int active;
	void (*wake)(void *ctx);
	void *ctx;
	/* [nstrips * P_COUNT]: the latest value of each cell, who set it, whether it waits */
	struct feed_cell {
		float val;
		int origin;
		uint8_t pending;
	} *cell;
	uint32_t *list; /* indices of the pending cells, in order of first change */
	uint32_t n;
};

struct control {
	struct engine *e;
	unsigned nstrips;
	char relpath[P_COUNT][48]; /* "comp/threshold" */
	pthread_mutex_t feeds_lock; /* taken inside the engine lock (the listener) */
	struct ctl_feed *feeds[CTL_MAX_FEEDS];
	int listening;
	struct preset_ext ext; /* maps kept in presets (check NULL: none) */
	pthread_mutex_t ab_lock; /* ext */
	struct ctl_ab_shared *abs; /* the engine's A/B slots, shared by its control handles */
};

struct ctl_ab {
	float v[2][P_COUNT];
	uint8_t have[2];
	uint8_t cur; /* the slot in use */
};

/* A/B slots belong to the engine, not to one transport: every control handle of an engine
 * (OSC, MIDI, a web page) sees the same A and B. */
struct ctl_ab_shared {
	struct engine *e;
	unsigned refs;
	pthread_mutex_t lock;
	struct ctl_ab *ab; /* [nstrips] */
};

static pthread_mutex_t ab_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctl_ab_shared ab_reg[ENGINE_MAX_LISTENERS];

static struct ctl_ab_shared *ab_attach(struct engine *e, unsigned nstrips)
{
	struct ctl_ab_shared *r = NULL;
	pthread_mutex_lock(&ab_reg_lock);
	for (unsigned k = 0; k < ENGINE_MAX_LISTENERS && !r; k++)
		if (ab_reg[k].refs && ab_reg[k].e == e)
			r = &ab_reg[k];
	for (unsigned k = 0; k < ENGINE_MAX_LISTENERS && !r; k++)
		if (!ab_reg[k].refs && (ab_reg[k].ab = calloc(nstrips, sizeof(struct ctl_ab)))) {
			r = &ab_reg[k];
			r->e = e;
			pthread_mutex_init(&r->lock, NULL);
		}
	if (r)
		r->refs++;
	pthread_mutex_unlock(&ab_reg_lock);
	return r;
}

static void ab_detach(struct ctl_ab_shared *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&ab_reg_lock);
	if (--r->refs == 0) {
		free(r->ab);
		pthread_mutex_destroy(&r->lock);
		memset(r, 0, sizeof(*r));
	}
	pthread_mutex_unlock(&ab_reg_lock);
}

/* The origin of the change being made on this thread: the engine calls listeners on the
 * thread that called engine_apply, so this tags every change ctl_set causes without a
 * second lock, and changes made elsewhere (command line, session manager) stay untagged. */
static _Thread_local int ctl_cur_origin;

/* ---- core ------------------------------------------------------------------------------ */

static void ctl_on_change(void *ctx, unsigned strip, enum param_id id, float v)
{
	struct control *c = ctx;
	struct ctl_feed *woke[CTL_MAX_FEEDS];
	unsigned nwoke = 0;
	if (strip >= c->nstrips || (unsigned)id >= P_COUNT)
		return;
	uint32_t k = strip * P_COUNT + (uint32_t)id;
	pthread_mutex_lock(&c->feeds_lock);
	for (unsigned i = 0; i < CTL_MAX_FEEDS; i++) {
		struct ctl_feed *f = c->feeds[i];
		if (!f || !atomic_load(&f->active))
			continue;
		pthread_mutex_lock(&f->lock);
		f->cell[k].val = v;
		f->cell[k].origin = ctl_cur_origin;
		if (!f->cell[k].pending) {
			f->cell[k].pending = 1;
			f->list[f->n++] = k;
		}
		pthread_mutex_unlock(&f->lock);
		woke[nwoke++] = f;
	}
	for (unsigned i = 0; i < nwoke; i++)
		woke[i]->wake(woke[i]->ctx);
	pthread_mutex_unlock(&c->feeds_lock);
}

struct control *ctl_new(struct engine *e, char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->e = e;
	c->nstrips = engine_nstrips(e);
	pthread_mutex_init(&c->feeds_lock, NULL);
	pthread_mutex_init(&c->ab_lock, NULL);
	if (!(c->abs = ab_attach(e, c->nstrips))) {
		snprintf(err, errlen, "out of memory");
		ctl_free(c);
		return NULL;
	}
	for (int p = 0; p < P_COUNT; p++) {
		snprintf(c->relpath[p], sizeof(c->relpath[p]), "%s", param_table[p].key);
		for (char *ch = c->relpath[p]; *ch; ch++)
			if (*ch == '.')
				*ch = '/';
	}
	if (engine_add_listener(e, ctl_on_change, c) < 0) {
		snprintf(err, errlen, "no engine listener slot left");
		ctl_free(c);
		return NULL;
	}
	c->listening = 1;
	return c;
}

void ctl_free(struct control *c)
{
	if (!c)
		return;
	if (c->listening)
		engine_remove_listener(c->e, ctl_on_change, c);
	pthread_mutex_destroy(&c->feeds_lock);
	pthread_mutex_destroy(&c->ab_lock);
	ab_detach(c->abs);
	free(c);
}

struct engine *ctl_engine(struct control *c) { return c->e; }
unsigned ctl_nstrips(const struct control *c) { return c->nstrips; }
const char *ctl_relpath(const struct control *c, enum param_id id) { return c->relpath[id]; }

void ctl_param_path(const struct control *c, unsigned strip, enum param_id id, int norm,
		    char *buf, size_t n)
{
	snprintf(buf, n, "/strip/%u/%s%s", strip + 1, c->relpath[id], norm ? "/norm" : "");
}

/* ---- addresses ------------------------------------------------------------------------- */

static int has_pattern(const char *p) { return strpbrk(p, CTL_PATTERN_CHARS) != NULL; }

/* The strip segment: a number 1..nstrips or an OSC pattern. 0 or -1 with the reason. */
static int match_strips(struct control *c, const char *seg, struct ctl_sel *sel, char *why)
{
	memset(sel->strip, 0, sizeof(sel->strip));
	sel->nsel = 0;
	if (!has_pattern(seg)) {
		char *end;
		errno = 0;
		long v = strtol(seg, &end, 10);
		if (end == seg || *end || errno || v < 1 || v > (long)c->nstrips) {
			snprintf(why, CTL_REASON_MAX, "no strip '%.20s' (strips are 1..%u)", seg,
				 c->nstrips);
			return -1;
		}
		sel->strip[v - 1] = 1;
		sel->nsel = 1;
		return 0;
	}
	for (unsigned i = 0; i < c->nstrips; i++) {
		char num[16];
		snprintf(num, sizeof(num), "%u", i + 1);
		if (lo_pattern_match(num, seg)) {
			sel->strip[i] = 1;
			sel->nsel++;
		}
	}
	if (!sel->nsel) {
		snprintf(why, CTL_REASON_MAX, "no strip matches '%.20s' (strips are 1..%u)", seg,
			 c->nstrips);
		return -1;
	}
	return 0;
}

/* Which parameters rest names, plain (bit 0) or /norm (bit 1). */
static void match_params(struct control *c, const char *rest, struct ctl_sel *sel)
{
	int pat = has_pattern(rest);
	sel->nparam = 0;
	for (int p = 0; p < P_COUNT; p++) {
		char norm[64];
		sel->param[p] = 0;
		snprintf(norm, sizeof(norm), "%s/norm", c->relpath[p]);
		if (pat ? lo_pattern_match(c->relpath[p], rest) : !strcmp(c->relpath[p], rest))
			sel->param[p] |= 1;
		if (pat ? lo_pattern_match(norm, rest) : !strcmp(norm, rest))
			sel->param[p] |= 2;
		sel->nparam += (sel->param[p] & 1u) + ((sel->param[p] >> 1) & 1u);
	}
}

/* Why rest names no parameter, with help: a module's name alone lists its parameters, a
 * near miss gets "did you mean". */
static void unknown_param_reason(const struct control *c, const char *stripseg,
				 const char *rest, char *why)
{
	size_t ml = strcspn(rest, "/"), o = 0;
	int listed = 0;
	if (rest[ml] == '\0' || !strcmp(rest + ml, "/")) {
		o = (size_t)snprintf(why, CTL_REASON_MAX,
				     "unknown address: /strip/%.20s/%.*s is a module; its parameters:",
				     stripseg, (int)ml, rest);
		for (int p = 0; p < P_COUNT && o < CTL_REASON_MAX; p++)
			if (!strncmp(c->relpath[p], rest, ml) && c->relpath[p][ml] == '/') {
				o += (size_t)snprintf(why + o, CTL_REASON_MAX - o, "%s %s",
						      listed ? "," : "", c->relpath[p] + ml + 1);
				listed = 1;
			}
		if (listed)
			return;
	}
	const char *near = has_pattern(rest) ? NULL : paramio_suggest_key(rest);
	if (near) {
		char rel[48];
		snprintf(rel, sizeof(rel), "%s", near);
		for (char *ch = rel; *ch; ch++)
			if (*ch == '.')
				*ch = '/';
		snprintf(why, CTL_REASON_MAX, "unknown address (did you mean /strip/%.20s/%s? see "
					      "/params)", stripseg, rel);
	} else {
		snprintf(why, CTL_REASON_MAX, "unknown address (see /params)");
	}
}

int ctl_resolve(struct control *c, const char *path, struct ctl_sel *sel, char *why)
{
	const char *seg = path + 7; /* after "/strip/" */
	const char *slash = strchr(seg, '/');
	char stripseg[64];

	if (strncmp(path, "/strip/", 7) || !slash || slash == seg ||
	    (size_t)(slash - seg) >= sizeof(stripseg) || !slash[1]) {
		snprintf(why, CTL_REASON_MAX, "unknown address (expected /strip/N/module/param)");
		return -1;
	}
	memcpy(stripseg, seg, (size_t)(slash - seg));
	stripseg[slash - seg] = '\0';
	const char *rest = slash + 1;

	sel->nparam = 0;
	memset(sel->param, 0, sizeof(sel->param));
	static const struct {
		const char *rest;
		enum ctl_kind kind;
	} cmds[] = {{"ab/store", CTL_AB_STORE},
		    {"ab/recall", CTL_AB_RECALL},
		    {"ab/swap", CTL_AB_SWAP},
		    {"reset", CTL_RESET},
		    {"nr/learn", CTL_NR_LEARN},
		    {"loudness/reset", CTL_LOUDNESS_RESET},
		    {"autogain", CTL_AUTOGAIN},
		    {"autogain/cancel", CTL_AUTOGAIN_CANCEL}};
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(rest, cmds[k].rest)) {
			sel->kind = cmds[k].kind;
			return match_strips(c, stripseg, sel, why);
		}
	if (!strcmp(rest, "meter") || !strcmp(rest, "meter/reset") || !strcmp(rest, "meter/hold")) {
		sel->kind = !strcmp(rest, "meter")         ? CTL_METER
			    : !strcmp(rest, "meter/reset") ? CTL_METER_RESET
							   : CTL_METER_HOLD;
		return match_strips(c, stripseg, sel, why);
	}
	sel->kind = CTL_PARAM;
	match_params(c, rest, sel);
	if (!sel->nparam) {
		unknown_param_reason(c, stripseg, rest, why);
		return -1;
	}
	return match_strips(c, stripseg, sel, why);
}

int ctl_nr_learn(struct control *c, const struct ctl_sel *sel, const struct ctl_arg *arg,
		 char *why)
{
	float secs = CTL_NR_LEARN_DEFAULT_S;
	if (arg && arg->kind != CTL_ARG_NUMBER) {
		snprintf(why, CTL_REASON_MAX, "wrong type: %s (expected seconds 0.1 .. 30)",
			 arg->wire);
		return -1;
	}
	if (arg && !(arg->num >= 0.1 && arg->num <= 30.0)) {
		snprintf(why, CTL_REASON_MAX, "out of range: %g (expected seconds 0.1 .. 30)",
			 arg->num);
		return -1;
	}
	if (arg)
		secs = (float)arg->num;
	for (unsigned i = 0; i < c->nstrips; i++)
		if (sel->strip[i] && engine_nr_learn(c->e, i, secs) < 0) {
			snprintf(why, CTL_REASON_MAX, "busy (control queue full): try again");
			return -1;
		}
	return 0;
}

/* ---- values ---------------------------------------------------------------------------- */

static const char *check_reason(int err)
{
	switch (err) {
	case -EDOM: return "not a finite number";
	case -ERANGE: return "out of range";
	default: return "not an allowed value";
	}
}

static int ctl_value_norm(enum param_id id, const struct ctl_arg *a, float *out, char *why)
{
	if (a->kind != CTL_ARG_NUMBER) {
		snprintf(why, CTL_REASON_MAX, "wrong type: %s (expected a number 0..1)", a->wire);
		return -1;
	}
	if (!isfinite(a->num)) {
		snprintf(why, CTL_REASON_MAX, "not a finite number (expected 0..1)");
		return -1;
	}
	if (a->num < 0 || a->num > 1) {
		snprintf(why, CTL_REASON_MAX, "out of range: %g (expected 0..1)", a->num);
		return -1;
	}
	*out = param_from_norm(id, (float)a->num);
	return 0;
}

int ctl_value(enum param_id id, int norm, const struct ctl_arg *a, float *out, char *why)
{
	char range[128];
	int err;

	if (norm)
		return ctl_value_norm(id, a, out, why);
	paramio_format_range(id, range, sizeof(range));
	if (a->kind == CTL_ARG_STRING) {
		const char *r = "not an allowed value";
		if (paramio_parse_value(id, a->str, out, &r) < 0) {
			const char *near = paramio_suggest_enum(id, a->str);
			snprintf(why, CTL_REASON_MAX, "%s: '%.60s' (%s%s%sexpected %s)", r, a->str,
				 near ? "did you mean " : "", near ? near : "", near ? "? " : "",
				 range);
			return -1;
		}
		return 0;
	}
	if (a->kind == CTL_ARG_BOOL && param_table[id].type != PT_BOOL) {
		snprintf(why, CTL_REASON_MAX, "wrong type: %s (expected %s)",
			 a->num != 0 ? "true" : "false", range);
		return -1;
	}
	if (a->kind == CTL_ARG_OTHER) {
		snprintf(why, CTL_REASON_MAX, "wrong type: %s (expected %s)", a->wire, range);
		return -1;
	}
	float v = (float)a->num; /* a double beyond float range becomes Inf: "not a finite number" */
	if ((err = param_check(id, v)) < 0) {
		snprintf(why, CTL_REASON_MAX, "%s: %g (expected %s)", check_reason(err), a->num,
			 range);
		return -1;
	}
	*out = v;
	return 0;
}

static int apply_with_origin(struct control *c, const struct param_assign *a, size_t n,
			     size_t *bad, int origin)
{
	int saved = ctl_cur_origin;
	ctl_cur_origin = origin;
	int err = engine_apply(c->e, a, n, bad);
	ctl_cur_origin = saved;
	return err;
}

static int apply_reason(int err, char *why)
{
	if (err == -EAGAIN)
		snprintf(why, CTL_REASON_MAX, "busy (control queue full): retry");
	else if (err < 0)
		snprintf(why, CTL_REASON_MAX, "%s", check_reason(err));
	return err < 0 ? -1 : 0;
}

int ctl_set(struct control *c, const struct ctl_sel *sel, const struct ctl_arg *arg,
	    int origin, char *why)
{
	struct param_assign a[P_COUNT * 2];
	size_t na = 0;
	for (int p = 0; p < P_COUNT; p++)
		for (int norm = 0; norm < 2; norm++) {
			float v;
			if (!(sel->param[p] & (1 << norm)))
				continue;
			if (ctl_value((enum param_id)p, norm, arg, &v, why) < 0)
				return -1;
			a[na++] = (struct param_assign){-1, (enum param_id)p, v};
		}
	int every = sel->nsel == c->nstrips;
	size_t total = every ? na : na * (size_t)sel->nsel;
	struct param_assign *all = a;
	if (!every) {
		if (!(all = malloc(total * sizeof(*all)))) {
			snprintf(why, CTL_REASON_MAX, "out of memory");
			return -1;
		}
		size_t k = 0;
		for (unsigned i = 0; i < c->nstrips; i++)
			for (size_t j = 0; sel->strip[i] && j < na; j++) {
				all[k] = a[j];
				all[k++].strip = (int)i;
			}
	}
	size_t bad = 0;
	int err = apply_with_origin(c, all, total, &bad, origin);
	if (all != a)
		free(all);
	return apply_reason(err, why);
}

int ctl_get(struct control *c, const struct ctl_sel *sel, ctl_value_fn fn, void *ctx, char *why)
{
	float (*v)[P_COUNT] = malloc(c->nstrips * sizeof(*v));
	if (!v) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	engine_get_all(c->e, v);
	for (unsigned i = 0; i < c->nstrips; i++) {
		if (!sel->strip[i])
			continue;
		for (int p = 0; p < P_COUNT; p++) {
			if (sel->param[p] & 1)
				fn(ctx, i, (enum param_id)p, 0, v[i][p]);
			if (sel->param[p] & 2)
				fn(ctx, i, (enum param_id)p, 1, ctl_norm((enum param_id)p, v[i][p]));
		}
	}
	free(v);
	return 0;
}

int ctl_get_everything(struct control *c, ctl_value_fn fn, void *ctx)
{
	struct ctl_sel sel = {.kind = CTL_PARAM, .nsel = c->nstrips, .nparam = 2 * P_COUNT};
	char why[CTL_REASON_MAX];
	memset(sel.strip, 1, c->nstrips);
	memset(sel.param, 3, sizeof(sel.param));
	return ctl_get(c, &sel, fn, ctx, why);
}

float ctl_norm(enum param_id id, float v) { return param_to_norm(id, v); }

void ctl_value_text(enum param_id id, float v, char *buf, size_t n)
{
	paramio_format_value(id, v, buf, n);
}

/* ---- change feedback ------------------------------------------------------------------- */

struct ctl_feed *ctl_feed_new(struct control *c, void (*wake)(void *ctx), void *ctx)
{
	size_t ncell = (size_t)c->nstrips * P_COUNT;
	struct ctl_feed *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->c = c;
	f->wake = wake;
	f->ctx = ctx;
	pthread_mutex_init(&f->lock, NULL);
	f->cell = calloc(ncell, sizeof(*f->cell));
	f->list = calloc(ncell, sizeof(*f->list));
	int slot = -1;
	pthread_mutex_lock(&c->feeds_lock);
	for (int i = 0; i < CTL_MAX_FEEDS && slot < 0; i++)
		if (!c->feeds[i])
			slot = i;
	if (slot >= 0 && f->cell && f->list)
		c->feeds[slot] = f;
	else
		slot = -1;
	pthread_mutex_unlock(&c->feeds_lock);
	if (slot < 0) {
		f->c = NULL;
		ctl_feed_free(f);
		return NULL;
	}
	return f;
}

void ctl_feed_free(struct ctl_feed *f)
{
	if (!f)
		return;
	if (f->c) {
		pthread_mutex_lock(&f->c->feeds_lock);
		for (int i = 0; i < CTL_MAX_FEEDS; i++)
			if (f->c->feeds[i] == f)
				f->c->feeds[i] = NULL;
		pthread_mutex_unlock(&f->c->feeds_lock);
	}
	pthread_mutex_destroy(&f->lock);
	free(f->cell);
	free(f->list);
	free(f);
}

void ctl_feed_set_active(struct ctl_feed *f, int on) { atomic_store(&f->active, on); }

int ctl_feed_pending(struct ctl_feed *f)
{
	pthread_mutex_lock(&f->lock);
	int n = f->n != 0;
	pthread_mutex_unlock(&f->lock);
	return n;
}

size_t ctl_feed_take(struct ctl_feed *f, struct ctl_change *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&f->lock);
	for (; n < f->n && n < max; n++) {
		uint32_t k = f->list[n];
		out[n] = (struct ctl_change){k / P_COUNT, (enum param_id)(k % P_COUNT),
					     f->cell[k].val, f->cell[k].origin};
		f->cell[k].pending = 0;
	}
	memmove(f->list, f->list + n, (f->n - n) * sizeof(*f->list));
	f->n -= (uint32_t)n;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* ---- meters ---------------------------------------------------------------------------- */

struct ctl_meters {
	struct control *c;
	int reader;
	unsigned ntaps;
	pthread_mutex_t fold_lock; /* serialises folds (several threads fold) */
	struct meter_snapshot *fold_snap;
	struct meter_hold *fold_hold;
	uint8_t *fold_have;

	pthread_mutex_t lock; /* taps and hold */
	struct meter_hold *hold; /* [nstrips] as of the last fold */
	struct meter_snapshot **acc; /* [ntaps][nstrips] merged since the tap's last take */
	uint8_t **acc_full;
	uint8_t *enabled;
	/* [ntaps] enabled since the last fold: the engine's reader holds what was metered since
	 * that fold, possibly long before the subscription (a peak from a minute ago, gain
	 * reduction of a compressor since switched off), so the next fold keeps none of it
	 * for this tap and its first message describes one meter period only */
	uint8_t *fresh;
};

struct ctl_meters *ctl_meters_new(struct control *c, unsigned ntaps)
{
	struct ctl_meters *m = calloc(1, sizeof(*m));
	unsigned ns = c->nstrips;
	if (!m)
		return NULL;
	m->c = c;
	m->ntaps = ntaps;
	pthread_mutex_init(&m->fold_lock, NULL);
	pthread_mutex_init(&m->lock, NULL);
	m->fold_snap = calloc(ns, sizeof(*m->fold_snap));
	m->fold_hold = calloc(ns, sizeof(*m->fold_hold));
	m->fold_have = calloc(ns, 1);
	m->hold = calloc(ns, sizeof(*m->hold));
	m->acc = calloc(ntaps, sizeof(*m->acc));
	m->acc_full = calloc(ntaps, sizeof(*m->acc_full));
	m->enabled = calloc(ntaps, 1);
	m->fresh = calloc(ntaps, 1);
	int ok = m->fold_snap && m->fold_hold && m->fold_have && m->hold && m->acc &&
		 m->acc_full && m->enabled && m->fresh;
	for (unsigned k = 0; ok && k < ntaps; k++) {
		m->acc[k] = calloc(ns, sizeof(**m->acc));
		m->acc_full[k] = calloc(ns, 1);
		ok = m->acc[k] && m->acc_full[k];
	}
	if (!ok || (m->reader = engine_meter_reader_add(c->e)) < 0) {
		ctl_meters_free(m);
		return NULL;
	}
	return m;
}

void ctl_meters_free(struct ctl_meters *m)
{
	if (!m)
		return;
	for (unsigned k = 0; k < m->ntaps && m->acc && m->acc_full; k++) {
		free(m->acc[k]);
		free(m->acc_full[k]);
	}
	free(m->acc);
	free(m->acc_full);
	free(m->enabled);
	free(m->fresh);
	free(m->fold_snap);
	free(m->fold_hold);
	free(m->fold_have);
	free(m->hold);
	pthread_mutex_destroy(&m->fold_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void ctl_meters_tap_enable(struct ctl_meters *m, unsigned tap, int on)
{
	pthread_mutex_lock(&m->lock);
	if (on && !m->enabled[tap]) {
		memset(m->acc_full[tap], 0, m->c->nstrips);
		m->fresh[tap] = 1;
	}
	m->enabled[tap] = (uint8_t)(on != 0);
	pthread_mutex_unlock(&m->lock);
}

void ctl_meters_fold(struct ctl_meters *m)
{
	struct control *c = m->c;
	pthread_mutex_lock(&m->fold_lock);
	engine_meters_poll(c->e);
	for (unsigned i = 0; i < c->nstrips; i++)
		m->fold_have[i] = engine_meter_read(c->e, m->reader, i, &m->fold_snap[i],
						    &m->fold_hold[i]) == 0;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < c->nstrips; i++) {
		m->hold[i] = m->fold_hold[i];
		if (!m->fold_have[i])
			continue;
		for (unsigned k = 0; k < m->ntaps; k++) {
			if (!m->enabled[k] || m->fresh[k])
				continue;
			if (m->acc_full[k][i])
				meter_snapshot_merge(&m->acc[k][i], &m->fold_snap[i]);
			else
				m->acc[k][i] = m->fold_snap[i];
			m->acc_full[k][i] = 1;
		}
	}
	memset(m->fresh, 0, m->ntaps);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&m->fold_lock);
}

void ctl_meters_take(struct ctl_meters *m, unsigned tap, float (*fields)[MF_COUNT],
		     uint8_t *have)
{
	struct control *c = m->c;
	for (unsigned i = 0; i < c->nstrips; i++) {
		pthread_mutex_lock(&m->lock);
		struct meter_snapshot snap = m->acc[tap][i];
		struct meter_hold hold = m->hold[i];
		have[i] = m->acc_full[tap][i];
		m->acc_full[tap][i] = 0;
		pthread_mutex_unlock(&m->lock);
		if (have[i])
			engine_meter_fields(c->e, i, &snap, &hold, fields[i]);
	}
}

void ctl_meters_held(struct ctl_meters *m, unsigned strip, float *tp_db, float *headroom_db,
		     int32_t *clips)
{
	pthread_mutex_lock(&m->lock);
	struct meter_hold h = m->hold[strip];
	pthread_mutex_unlock(&m->lock);
	*tp_db = dsp_gain_to_db(h.tp_held);
	*headroom_db = meter_headroom_held_db(&h);
	*clips = h.clips_total > INT32_MAX ? INT32_MAX : (int32_t)h.clips_total;
}

void ctl_meters_reset(struct control *c, const struct ctl_sel *sel)
{
	for (unsigned i = 0; i < c->nstrips; i++)
		if (sel->strip[i])
			engine_meter_reset_hold(c->e, (int)i);
}

int ctl_loudness_reset(struct control *c, const struct ctl_sel *sel, char *why)
{
	for (unsigned i = 0; i < c->nstrips; i++)
		if (sel->strip[i] && engine_loudness_reset(c->e, (int)i) < 0) {
			snprintf(why, CTL_REASON_MAX, "busy: the audio thread's queue is full, "
						      "try again");
			return -EAGAIN;
		}
	return 0;
}

/* ---- discovery and status -------------------------------------------------------------- */

void ctl_param_info(const struct control *c, enum param_id id, struct ctl_param_info *out)
{
	static const char *const tnames[] = {"float", "bool", "enum", "steps"};
	const struct param_def *d = &param_table[id];
	snprintf(out->path, sizeof(out->path), "/strip/*/%s", c->relpath[id]);
	out->type = tnames[d->type];
	out->unit = d->unit;
	out->min = d->min;
	out->max = d->max;
	out->def = d->def;
	out->taper = d->taper == TAPER_LOG ? "log" : "linear";
	out->help = d->help;
	out->enum_names = d->type == PT_ENUM ? d->enum_names : NULL;
	out->steps = d->type == PT_STEPS ? d->steps : NULL;
	out->nsteps = d->type == PT_STEPS ? d->nsteps : 0;
}

void ctl_status(struct control *c, struct ctl_status *out)
{
	out->version = CHANSTRIP_VERSION;
	out->nstrips = c->nstrips;
	out->fs = engine_fs(c->e);
	out->xruns = engine_xruns(c->e);
	out->latency = engine_latency(c->e);
}

/* ---- presets --------------------------------------------------------------------------- */


int ctl_preset_name_check(const char *name, char *why)
{
	if (preset_ref_valid(name))
		return 0;
	snprintf(why, CTL_REASON_MAX,
		 "'%.80s' is not a preset name (letters, digits, - and _, at most %d)", name,
		 PRESET_NAME_MAX);
	return -1;
}

size_t ctl_nr_profiles(struct engine *e, struct preset_profile *out)
{
	size_t n = 0;
	for (unsigned i = 0; i < engine_nstrips(e); i++)
		if (engine_nr_profile_get(e, i, out[n].db) == 1)
			out[n++].strip = (int)i;
	return n;
}

int ctl_nr_profiles_apply(struct engine *e, const struct preset_profile *prof, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (prof[k].strip >= (int)engine_nstrips(e))
			continue; /* a strip this instance lacks: skipped, like its value lines */
		for (unsigned i = 0; i < engine_nstrips(e); i++)
			if (prof[k].strip < 0 || prof[k].strip == (int)i) {
				int rc = engine_nr_profile_set(e, i, prof[k].db);
				if (rc < 0)
					return rc;
			}
	}
	return 0;
}

static struct preset_ext ext_get(struct control *c);

/* Apply a loaded preset, fitted to this instance's strips. 0, 1 (applied, with the notice of
 * skipped lines in why) or -1 with the reason. */
static int ctl_preset_apply(struct control *c, const char *name, struct preset *p, int origin,
			    char *why)
{
	size_t bad = 0;
	int fit = preset_fit_strips(p->assign, p->src, &p->n, c->nstrips, &name, 1, why,
				    CTL_REASON_MAX);
	if (fit < 0)
		return -1;
	struct preset_ext x = ext_get(c);
	if (p->nmidi && x.check && x.check(x.ctx, p->midi, p->nmidi, why, CTL_REASON_MAX) < 0)
		return -1; /* a map that cannot be made: nothing applied */
	int rc = apply_with_origin(c, p->assign, p->n, &bad, origin);
	if (rc == 0)
		rc = ctl_nr_profiles_apply(c->e, p->profiles, p->nprofiles);
	if (rc == 0 && p->nmidi && x.apply)
		x.apply(x.ctx, p->midi, p->nmidi);
	if (rc == -EAGAIN)
		snprintf(why, CTL_REASON_MAX, "busy (control queue full): retry");
	else if (rc < 0)
		snprintf(why, CTL_REASON_MAX, "preset '%s': %s", name, check_reason(rc));
	return rc < 0 ? -1 : fit;
}

int ctl_preset_load(struct control *c, const char *name, int origin, char *path,
		    size_t pathlen, char *why)
{
	struct preset p = {0};
	if (ctl_preset_name_check(name, why) < 0)
		return -1;
	if (preset_find_name(name, path, pathlen) < 0) {
		char near[PRESET_NAME_MAX + 16];
		if (preset_suggest_name(name, near, sizeof(near)))
			snprintf(why, CTL_REASON_MAX, "no preset '%s' (did you mean %s? see "
						      "/preset/list)", name, near);
		else
			snprintf(why, CTL_REASON_MAX, "no preset '%s' (see /preset/list)", name);
		return -1;
	}
	if (preset_load_file(path, &p, why, CTL_REASON_MAX) < 0)
		return -1;
	int rc = ctl_preset_apply(c, name, &p, origin, why);
	preset_free(&p);
	char hides[CTL_REASON_MAX];
	if (rc >= 0 && preset_hides_shipped(name, path, hides, sizeof(hides))) {
		size_t o = rc ? strlen(why) : 0;
		snprintf(why + o, CTL_REASON_MAX - o, "%s%s", o ? "; " : "", hides);
		rc = 1;
	}
	return rc;
}

int ctl_preset_save(struct control *c, const char *name, char *path, size_t pathlen, char *why)
{
	if (ctl_preset_name_check(name, why) < 0)
		return -1;
	float (*v)[P_COUNT] = malloc(c->nstrips * sizeof(*v));
	if (!v) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	engine_get_all(c->e, v);
	struct preset_profile *prof = malloc(c->nstrips * sizeof(*prof));
	struct preset_ext x = ext_get(c);
	char *extra = x.text ? malloc(PRESET_EXT_TEXT_MAX) : NULL;
	if (!prof || (x.text && !extra)) {
		free(prof);
		free(extra);
		free(v);
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	if (extra)
		x.text(x.ctx, extra, PRESET_EXT_TEXT_MAX);
	struct preset_extras ex = {prof, ctl_nr_profiles(c->e, prof), extra};
	int rc = preset_save_ext(name, (const float(*)[P_COUNT])v, c->nstrips, &ex, path, pathlen,
				 why, CTL_REASON_MAX);
	free(prof);
	free(extra);
	free(v);
	return rc < 0 ? -1 : 0;
}

/* The ext is set once, while the transport's threads may already run: copied under a lock. */
void ctl_set_preset_ext(struct control *c, const struct preset_ext *x)
{
	pthread_mutex_lock(&c->ab_lock);
	if (x)
		c->ext = *x;
	else
		memset(&c->ext, 0, sizeof(c->ext));
	pthread_mutex_unlock(&c->ab_lock);
}

static struct preset_ext ext_get(struct control *c)
{
	pthread_mutex_lock(&c->ab_lock);
	struct preset_ext x = c->ext;
	pthread_mutex_unlock(&c->ab_lock);
	return x;
}

/* ---- compare and reset ------------------------------------------------------------------ */

int ctl_ab_slot(const char *text, char *why)
{
	if (!strcmp(text, "A") || !strcmp(text, "a"))
		return 0;
	if (!strcmp(text, "B") || !strcmp(text, "b"))
		return 1;
	snprintf(why, CTL_REASON_MAX, "'%.20s' is not a slot (expected A or B)", text);
	return -1;
}

/* A/B holds sound, not metering: meter.* rows are left alone. */
static int ab_param(int p) { return strncmp(param_table[p].key, "meter.", 6) != 0; }

int ctl_ab_store(struct control *c, const struct ctl_sel *sel, int slot, char *why)
{
	float (*v)[P_COUNT] = malloc(c->nstrips * sizeof(*v));
	if (!v) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	engine_get_all(c->e, v);
	pthread_mutex_lock(&c->abs->lock);
	for (unsigned i = 0; i < c->nstrips; i++)
		if (sel->strip[i]) {
			memcpy(c->abs->ab[i].v[slot], v[i], sizeof(v[i]));
			c->abs->ab[i].have[slot] = 1;
			c->abs->ab[i].cur = (uint8_t)slot;
		}
	pthread_mutex_unlock(&c->abs->lock);
	free(v);
	return 0;
}

/* Set strip i's parameters to vals (ab_param rows, or all when every) in one apply. */
static int set_strip_values(struct control *c, const struct ctl_sel *sel,
			    const float (*vals)[P_COUNT], int every, int origin, char *why)
{
	size_t n = 0, bad = 0;
	struct param_assign *a = malloc((size_t)c->nstrips * P_COUNT * sizeof(*a));
	if (!a) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < c->nstrips; i++)
		for (int p = 0; sel->strip[i] && p < P_COUNT; p++)
			if (every || ab_param(p))
				a[n++] = (struct param_assign){(int)i, (enum param_id)p, vals[i][p]};
	int err = apply_with_origin(c, a, n, &bad, origin);
	free(a);
	return apply_reason(err, why);
}

/* recall slot (swap: the other one, after storing the current values in the one in use) */
static int ab_recall(struct control *c, const struct ctl_sel *sel, int slot, int swap,
		     int origin, char *why)
{
	float (*v)[P_COUNT] = malloc(c->nstrips * sizeof(*v));
	if (!v) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	engine_get_all(c->e, v);
	pthread_mutex_lock(&c->abs->lock);
	for (unsigned i = 0; i < c->nstrips; i++) {
		struct ctl_ab *ab = &c->abs->ab[i];
		if (!sel->strip[i])
			continue;
		int want = swap ? !ab->cur : slot;
		if (swap) {
			memcpy(ab->v[ab->cur], v[i], sizeof(v[i]));
			ab->have[ab->cur] = 1;
			if (!ab->have[want])
				memcpy(ab->v[want], v[i], sizeof(v[i]));
			ab->have[want] = 1;
		} else if (!ab->have[want]) {
			pthread_mutex_unlock(&c->abs->lock);
			snprintf(why, CTL_REASON_MAX, "strip %u: slot %c is empty (store it first)",
				 i + 1, 'A' + want);
			free(v);
			return -1;
		}
		memcpy(v[i], ab->v[want], sizeof(v[i]));
		ab->cur = (uint8_t)want;
	}
	pthread_mutex_unlock(&c->abs->lock);
	int rc = set_strip_values(c, sel, (const float(*)[P_COUNT])v, 0, origin, why);
	free(v);
	return rc;
}

int ctl_ab_recall(struct control *c, const struct ctl_sel *sel, int slot, int origin,
		  char *why)
{
	return ab_recall(c, sel, slot, 0, origin, why);
}

int ctl_ab_swap(struct control *c, const struct ctl_sel *sel, int origin, char *why)
{
	return ab_recall(c, sel, 0, 1, origin, why);
}

int ctl_reset(struct control *c, const struct ctl_sel *sel, int origin, char *why)
{
	float (*v)[P_COUNT] = malloc(c->nstrips * sizeof(*v));
	if (!v) {
		snprintf(why, CTL_REASON_MAX, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < c->nstrips; i++)
		for (int p = 0; p < P_COUNT; p++)
			v[i][p] = param_table[p].def;
	int rc = set_strip_values(c, sel, (const float(*)[P_COUNT])v, 1, origin, why);
	free(v);
	return rc;
}

struct list_adapter {
	void (*fn)(void *ctx, const char *name);
	void *ctx;
};

static void list_one(void *ctx, const char *name, const char *dir)
{
	struct list_adapter *a = ctx;
	(void)dir;
	a->fn(a->ctx, name);
}

int ctl_preset_list(void (*fn)(void *ctx, const char *name), void *ctx)
{
	struct list_adapter a = {fn, ctx};
	return preset_list(list_one, &a);
}

/* ---- subscriptions --------------------------------------------------------------------- */

int ctl_subs_init(struct ctl_subs *s, struct control *c, unsigned max, double timeout_s)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->timeout_s = timeout_s;
	s->per_host_max = max / 4 ? max / 4 : 1;
	s->idle_s = 30.0;
	s->sub = calloc(max, sizeof(*s->sub));
	s->meters = ctl_meters_new(c, max);
	if (!s->sub || !s->meters) {
		ctl_subs_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void ctl_subs_fini(struct ctl_subs *s)
{
	ctl_meters_free(s->meters);
	free(s->sub);
	memset(s, 0, sizeof(*s));
}

int ctl_subs_find(const struct ctl_subs *s, const void *key, size_t keylen)
{
	for (unsigned k = 0; k < s->max; k++)
		if (s->sub[k].used && s->sub[k].keylen == keylen &&
		    !memcmp(s->sub[k].key, key, keylen))
			return (int)k;
	return -1;
}

static unsigned subs_of_host(const struct ctl_subs *s, const void *host, size_t hostlen)
{
	unsigned n = 0;
	for (unsigned k = 0; k < s->max; k++)
		n += s->sub[k].used && !s->sub[k].exempt && s->sub[k].hostlen == hostlen &&
		     !memcmp(s->sub[k].host, host, hostlen);
	return n;
}

/* The slot to give a new subscriber when all are taken: the one whose requester has been
 * silent longest, at least idle_s, unconfirmed before confirmed. -1: none. */
static int subs_victim(const struct ctl_subs *s, double now_s)
{
	int best = -1;
	for (unsigned k = 0; k < s->max; k++) {
		const struct ctl_sub *c = &s->sub[k];
		if (!c->used || now_s - c->heard_s < s->idle_s)
			continue;
		if (best < 0 || (s->sub[best].confirmed && !c->confirmed) ||
		    (s->sub[best].confirmed == c->confirmed && c->heard_s < s->sub[best].heard_s))
			best = (int)k;
	}
	return best;
}

int ctl_subs_add(struct ctl_subs *s, const struct ctl_sub *want, double now_s, int *renewed,
		 struct ctl_sub *evicted, int *nevicted)
{
	int slot = ctl_subs_find(s, want->key, want->keylen);
	*renewed = slot >= 0;
	*nevicted = 0;
	if (slot < 0 && !want->exempt &&
	    subs_of_host(s, want->host, want->hostlen) >= s->per_host_max)
		return -EUSERS;
	for (unsigned k = 0; k < s->max && slot < 0; k++)
		if (!s->sub[k].used)
			slot = (int)k;
	if (slot < 0 && (slot = subs_victim(s, now_s)) >= 0) {
		*evicted = s->sub[slot];
		*nevicted = 1;
		ctl_subs_remove(s, (unsigned)slot);
	}
	if (slot < 0 || want->keylen > CTL_SUB_KEY_MAX || want->hostlen > CTL_SUB_KEY_MAX)
		return -ENOSPC;
	struct ctl_sub *sub = &s->sub[slot];
	if (!*renewed) {
		*sub = *want;
		sub->used = 1;
		sub->next_meter_s = now_s;
		s->n++;
	} else {
		if (sub->rate_hz != want->rate_hz)
			sub->next_meter_s = now_s;
		sub->confirmed |= want->confirmed;
	}
	sub->rate_hz = want->rate_hz;
	sub->flags = want->flags;
	sub->heard_s = now_s;
	sub->expires_s = now_s + s->timeout_s;
	ctl_meters_tap_enable(s->meters, (unsigned)slot, want->rate_hz > 0);
	return slot;
}

void ctl_subs_heard(struct ctl_subs *s, const void *host, size_t hostlen, double now_s)
{
	for (unsigned k = 0; k < s->max; k++)
		if (s->sub[k].used && s->sub[k].hostlen == hostlen &&
		    !memcmp(s->sub[k].host, host, hostlen))
			s->sub[k].heard_s = now_s;
}

void ctl_subs_remove(struct ctl_subs *s, unsigned slot)
{
	if (!s->sub[slot].used)
		return;
	s->sub[slot].used = 0;
	s->n--;
	ctl_meters_tap_enable(s->meters, slot, 0);
}

unsigned ctl_subs_expire(struct ctl_subs *s, double now_s, struct ctl_sub *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned k = 0; k < s->max; k++) {
		if (!s->sub[k].used || s->sub[k].expires_s > now_s)
			continue;
		if (n < max)
			out[n++] = s->sub[k];
		ctl_subs_remove(s, k);
	}
	return n;
}

double ctl_subs_next_event(const struct ctl_subs *s, double now_s)
{
	double next = now_s + 1.0; /* expiry is checked at least once a second */
	for (unsigned k = 0; k < s->max; k++) {
		const struct ctl_sub *sub = &s->sub[k];
		if (sub->used && sub->rate_hz > 0 && sub->next_meter_s < next)
			next = sub->next_meter_s;
		if (sub->used && sub->expires_s < next)
			next = sub->expires_s;
	}
	return next;
}

int ctl_subs_meter_due(struct ctl_subs *s, unsigned slot, double now_s)
{
	struct ctl_sub *sub = &s->sub[slot];
	if (!sub->used || sub->rate_hz <= 0 || sub->next_meter_s > now_s)
		return 0;
	double period = 1.0 / sub->rate_hz;
	sub->next_meter_s += period;
	if (sub->next_meter_s <= now_s) /* fell behind (stall): restart the grid */
		sub->next_meter_s = now_s + period;
	return 1;
}

/* ---- peer confirmation ----------------------------------------------------------------- */

void ctl_peers_init(struct ctl_peers *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
}

void ctl_peers_fini(struct ctl_peers *t) { pthread_mutex_destroy(&t->lock); }

static struct ctl_peer *peer_find(struct ctl_peers *t, const void *key, size_t keylen)
{
	for (unsigned k = 0; k < CTL_PEERS_MAX; k++)
		if (t->p[k].used && t->p[k].keylen == keylen && !memcmp(t->p[k].key, key, keylen))
			return &t->p[k];
	return NULL;
}

int ctl_peers_confirmed(struct ctl_peers *t, const void *key, size_t keylen, double now_s)
{
	pthread_mutex_lock(&t->lock);
	struct ctl_peer *p = peer_find(t, key, keylen);
	int ok = p && p->confirmed && now_s - p->last_s < CTL_PEER_CONFIRMED_S;
	if (ok)
		p->last_s = now_s;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* A slot for a new address: a free one, else the least recently used unconfirmed one, else
 * the least recently used of all (a flood of challenges cannot grow the table). */
static struct ctl_peer *peer_slot(struct ctl_peers *t)
{
	struct ctl_peer *best = NULL;
	for (unsigned k = 0; k < CTL_PEERS_MAX; k++) {
		struct ctl_peer *p = &t->p[k];
		if (!p->used)
			return p;
		if (!best || (best->confirmed && !p->confirmed) ||
		    (best->confirmed == p->confirmed && p->last_s < best->last_s))
			best = p;
	}
	return best;
}

static void make_nonce(char nonce[20])
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
	}
	snprintf(nonce, 20, "%016llx", (unsigned long long)r);
}

int ctl_peers_challenge(struct ctl_peers *t, const void *key, size_t keylen, double now_s,
			int pending, float rate_hz, unsigned flags, char nonce[20])
{
	int due = 0;
	if (keylen > CTL_SUB_KEY_MAX)
		return 0;
	pthread_mutex_lock(&t->lock);
	struct ctl_peer *p = peer_find(t, key, keylen);
	if (!p) {
		p = peer_slot(t);
		memset(p, 0, sizeof(*p));
		p->used = 1;
		memcpy(p->key, key, keylen);
		p->keylen = keylen;
		p->challenged_s = -1e9;
	}
	p->confirmed = 0;
	p->last_s = now_s;
	if (pending) {
		p->pending = 1;
		p->pending_rate_hz = rate_hz;
		p->pending_flags = flags;
	}
	if (now_s - p->challenged_s >= CTL_PEER_CHALLENGE_S) {
		make_nonce(p->nonce);
		p->challenged_s = now_s;
		due = 1;
	}
	memcpy(nonce, p->nonce, 20);
	pthread_mutex_unlock(&t->lock);
	return due;
}

int ctl_peers_confirm(struct ctl_peers *t, const void *key, size_t keylen, const char *nonce,
		      double now_s, int *pending, float *rate_hz, unsigned *flags)
{
	int rc = -1;
	pthread_mutex_lock(&t->lock);
	struct ctl_peer *p = peer_find(t, key, keylen);
	if (p && p->nonce[0] && !strcmp(p->nonce, nonce)) {
		p->confirmed = 1;
		p->last_s = now_s;
		*pending = p->pending;
		*rate_hz = p->pending_rate_hz;
		*flags = p->pending_flags;
		p->pending = 0;
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* ---- OSC encoding shared by the OSC and WebSocket transports ----------------------------- */

int ctl_lo_number(char t, const lo_arg *a, double *out)
{
	float f;
	double d;
	int32_t i;
	int64_t h;
	/* through memcpy: liblo packs arguments at 4-byte offsets, so a double or an int64 is
	 * often misaligned */
	switch (t) {
	case LO_FLOAT: memcpy(&f, a, sizeof(f)); *out = f; return 0;
	case LO_DOUBLE: memcpy(&d, a, sizeof(d)); *out = d; return 0;
	case LO_INT32: memcpy(&i, a, sizeof(i)); *out = i; return 0;
	case LO_INT64: memcpy(&h, a, sizeof(h)); *out = (double)h; return 0;
	case LO_TRUE: *out = 1; return 0;
	case LO_FALSE: *out = 0; return 0;
	case LO_INFINITUM: *out = INFINITY; return 0;
	default: return -1;
	}
}

const char *ctl_lo_type_name(char t)
{
	switch (t) {
	case LO_STRING: return "string";
	case LO_SYMBOL: return "symbol";
	case LO_BLOB: return "blob";
	case LO_NIL: return "nil";
	case LO_CHAR: return "char";
	case LO_MIDI: return "MIDI";
	case LO_TIMETAG: return "timetag";
	default: return "unsupported";
	}
}

struct ctl_arg ctl_lo_arg(char t, const lo_arg *a)
{
	struct ctl_arg r = {.kind = CTL_ARG_OTHER, .wire = ctl_lo_type_name(t)};
	if (t == LO_STRING || t == LO_SYMBOL) {
		/* liblo's argument vector points into the packet, where a string needs no
		 * alignment */
		r.kind = CTL_ARG_STRING;
		r.str = (const char *)a;
	} else if (ctl_lo_number(t, a, &r.num) == 0) {
		r.kind = t == LO_TRUE || t == LO_FALSE ? CTL_ARG_BOOL : CTL_ARG_NUMBER;
	}
	return r;
}

lo_message ctl_lo_value(const struct control *c, unsigned strip, enum param_id id, int norm,
			float v, char *path, size_t pathlen)
{
	lo_message m = lo_message_new();
	if (!m)
		return NULL;
	lo_message_add_float(m, v);
	if (!norm && param_table[id].type == PT_ENUM) {
		char name[32];
		ctl_value_text(id, v, name, sizeof(name));
		lo_message_add_string(m, name);
	}
	ctl_param_path(c, strip, id, norm, path, pathlen);
	return m;
}

lo_message ctl_lo_meter(unsigned strip, const float *fields, int field, char *path,
			size_t pathlen)
{
	lo_message m = lo_message_new();
	if (!m)
		return NULL;
	if (field < 0) {
		for (int j = 0; j < MF_COUNT; j++)
			lo_message_add_float(m, fields[j]);
		snprintf(path, pathlen, "/strip/%u/meter", strip + 1);
	} else {
		lo_message_add_float(m, fields[field]);
		snprintf(path, pathlen, "/strip/%u/meter/%s", strip + 1, meter_field_names[field]);
	}
	return m;
}

/* ---- what every transport's threads need ------------------------------------------------ */

int ctl_scratch_init(struct ctl_scratch *x, const struct control *c)
{
	x->nchg = (size_t)c->nstrips * P_COUNT;
	x->chg = malloc(x->nchg * sizeof(*x->chg));
	x->fields = malloc(c->nstrips * sizeof(*x->fields));
	x->have = malloc(c->nstrips);
	if (x->chg && x->fields && x->have)
		return 0;
	ctl_scratch_fini(x);
	return -ENOMEM;
}

void ctl_scratch_fini(struct ctl_scratch *x)
{
	free(x->chg);
	free(x->fields);
	free(x->have);
	memset(x, 0, sizeof(*x));
}

int ctl_subs_fold_due(struct ctl_subs *subs, pthread_mutex_t *lock, double t)
{
	int due = 0;
	for (unsigned k = 0; k < subs->max; k++)
		due |= subs->sub[k].used && subs->sub[k].rate_hz > 0 &&
		       subs->sub[k].next_meter_s <= t;
	if (!due)
		return 0;
	pthread_mutex_unlock(lock);
	ctl_meters_fold(subs->meters);
	pthread_mutex_lock(lock);
	return 1;
}

void ctl_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

int ctl_wait_due(pthread_cond_t *cond, pthread_mutex_t *lock, struct ctl_feed *feed,
		 const struct ctl_subs *subs)
{
	double t = monoclock_s(), next = ctl_subs_next_event(subs, t);
	if (ctl_feed_pending(feed) || next <= t)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double wait = next - t;
	ts.tv_sec += (time_t)wait;
	ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, lock, &ts);
	return 1; /* woken by a change, a new subscriber or stop */
}

void ctl_log_init(struct ctl_log *l, const char *who, double burst, double per_s)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->who = who;
	l->burst = l->tokens = burst;
	l->per_s = per_s;
	l->last_s = monoclock_s();
}

void ctl_log_fini(struct ctl_log *l) { pthread_mutex_destroy(&l->lock); }

void ctl_log(struct ctl_log *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	double t = monoclock_s();
	pthread_mutex_lock(&l->lock);
	l->tokens = fmin(l->burst, l->tokens + (t - l->last_s) * l->per_s);
	l->last_s = t;
	if (l->tokens < 1.0) {
		l->suppressed++;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	l->tokens -= 1.0;
	unsigned long dropped = l->suppressed;
	l->suppressed = 0;
	pthread_mutex_unlock(&l->lock);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* text from the network may hold any bytes: keep the log one line of ASCII */
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	if (dropped)
		fprintf(stderr, "chanstrip: %s: %s (%lu earlier lines suppressed)\n", l->who, line,
			dropped);
	else
		fprintf(stderr, "chanstrip: %s: %s\n", l->who, line);
}
