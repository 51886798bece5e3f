/* control.h: the transport-neutral control layer. Everything a remote control does that does
 * not depend on how the bytes travel lives here; a transport (OSC, OSCQuery/WebSocket; JACK
 * MIDI next) only parses its wire format, calls these functions and renders what they
 * return. Error reasons are produced here, so every transport reports the same words.
 *
 * Adding a transport (files: its own src/<name>.c/.h, src/meson.build, main.c's wiring, its
 * tests, its documentation):
 *   1. ctl_new(engine) gives the transport its control handle (one engine listener each;
 *      several transports may also share one handle: every function here is thread-safe).
 *   2. Addresses: ctl_resolve("/strip/N/module/param[/norm]", patterns allowed) gives a
 *      selection; ctl_get()/ctl_set() act on it. A MIDI map resolves its paths once at start.
 *   3. Values arrive as struct ctl_arg (a number, a bool, a string, or "other" with the wire
 *      type's name for the error text). ctl_set() checks everything before anything changes.
 *   4. Change feedback: ctl_feed_new() gives a coalescing queue (one entry per strip and
 *      parameter, the latest value and the origin of the change that set it); the wake
 *      callback says "something is pending" and must only signal (it runs under the engine
 *      lock). Pass the transport's own id for the controller as `origin` to ctl_set(), and
 *      skip that controller when rendering a change whose origin matches (no echo of a
 *      fader move back to the fader that made it). CTL_ORIGIN_NONE: command line, presets
 *      loaded at start, session manager.
 *   5. Meters: a ctl_subs model holds subscribers (who, rate, expiry, confirmed or not, bytes
 *      in/out); each slot has its own meter tap, so readers never steal peaks from each other.
 *      ctl_meters_fold() drains the engine into every tap that wants meters; ctl_meters_take()
 *      gives one tap's fields per strip as the design's MF_* values.
 *   6. Discovery: ctl_param_info() has path, type, unit, range, default, taper, help, enum
 *      names and steps (an OSCQuery tree or a MIDI learn list is rendered from it); ctl_get()
 *      gives current values and ctl_norm()/ctl_from_norm() the 0..1 taper.
 *   7. Presets: ctl_preset_load/save/list with the same checks and messages everywhere.
 *
 * Threads: every function here may be called from any control thread (never the audio
 * thread). struct ctl_subs is the exception: it is a plain model, the transport serialises
 * access to it with its own lock. */
#ifndef CHANSTRIP_CONTROL_H
#define CHANSTRIP_CONTROL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <lo/lo.h>

#include "engine.h"
#include "preset.h"

#define CTL_REASON_MAX 300
#define CTL_PATH_MAX 96
#define CTL_ORIGIN_NONE 0

struct control;

/* One per engine. Registers an engine listener (removed again by ctl_free). NULL on error
 * with a message in err. */
struct control *ctl_new(struct engine *e, char *err, size_t errlen);
void ctl_free(struct control *c);
struct engine *ctl_engine(struct control *c);
unsigned ctl_nstrips(const struct control *c);

/* ---- addresses ------------------------------------------------------------------------ */

enum ctl_kind {
	CTL_PARAM,       /* /strip/N/module/param and .../norm */
	CTL_METER,       /* /strip/N/meter (meters are sent to subscribers only) */
	CTL_METER_RESET, /* /strip/N/meter/reset */
	CTL_METER_HOLD,  /* /strip/N/meter/hold */
	CTL_LOUDNESS_RESET, /* /strip/N/loudness/reset */
	CTL_AUTOGAIN,        /* /strip/N/autogain [seconds] [target_dbfs] */
	CTL_AUTOGAIN_CANCEL, /* /strip/N/autogain/cancel */
	CTL_NR_LEARN,    /* /strip/N/nr/learn [seconds] */
	CTL_AB_STORE,    /* /strip/N/ab/store A|B */
	CTL_AB_RECALL,   /* /strip/N/ab/recall A|B */
	CTL_AB_SWAP,     /* /strip/N/ab/swap */
	CTL_RESET,       /* /strip/N/reset */
};

struct ctl_sel {
	enum ctl_kind kind;
	uint8_t strip[ENGINE_MAX_STRIPS]; /* 1: selected */
	unsigned nsel;                     /* how many strips */
	uint8_t param[P_COUNT];            /* bit 0: plain value, bit 1: /norm */
	unsigned nparam;                   /* how many (plain and norm counted apart) */
};

/* Resolve a full address starting with "/strip/". The strip segment is a number 1..nstrips
 * or an OSC pattern; the rest a parameter (pattern allowed), its /norm, or a meter command.
 * 0, or -1 with the reason in why (CTL_REASON_MAX). */
int ctl_resolve(struct control *c, const char *path, struct ctl_sel *sel, char *why);
/* "/strip/N/module/param[/norm]" for strip 0-based. */
void ctl_param_path(const struct control *c, unsigned strip, enum param_id id, int norm,
		    char *buf, size_t n);
/* "module/param" (the table key with '/' for '.'). */
const char *ctl_relpath(const struct control *c, enum param_id id);

/* ---- values ---------------------------------------------------------------------------- */

enum ctl_arg_kind { CTL_ARG_NUMBER, CTL_ARG_BOOL, CTL_ARG_STRING, CTL_ARG_OTHER };

struct ctl_arg {
	enum ctl_arg_kind kind;
	double num;        /* NUMBER; BOOL: 0 or 1 (infinity is a NUMBER) */
	const char *str;   /* STRING */
	const char *wire;  /* the wire type's name for "wrong type: ..." (OTHER, and BOOL
			    * where a number 0..1 is expected) */
};

/* The value a set of parameter id (norm: via its 0..1 taper) takes from arg. 0, or -1 with
 * the reason, for example "out of range: 99 (expected -60 .. 0 dB)". */
int ctl_value(enum param_id id, int norm, const struct ctl_arg *arg, float *out, char *why);
/* Set every selected parameter on every selected strip, all or nothing. origin is passed to
 * every feed with the resulting changes. 0, or -1 with the reason. */
int ctl_set(struct control *c, const struct ctl_sel *sel, const struct ctl_arg *arg,
	    int origin, char *why);
/* Call fn for every selected value in address order (strip, parameter, plain then norm);
 * v is the value in force, or its 0..1 position when norm. 0 or -1 with the reason. */
typedef void (*ctl_value_fn)(void *ctx, unsigned strip, enum param_id id, int norm, float v);
int ctl_get(struct control *c, const struct ctl_sel *sel, ctl_value_fn fn, void *ctx, char *why);
/* Every value of every strip, plain and norm (what a new subscriber starts from). */
int ctl_get_everything(struct control *c, ctl_value_fn fn, void *ctx);
float ctl_norm(enum param_id id, float v);
/* The enum name of v (PT_ENUM parameters), else its number as text. */
void ctl_value_text(enum param_id id, float v, char *buf, size_t n);

/* Learn the noise suppressor's profile on every selected strip from the next seconds of
 * input (arg NULL: 2 s; else a number 0.1 .. 30). 0, or -1 with the reason. */
#define CTL_NR_LEARN_DEFAULT_S 2.0f
int ctl_nr_learn(struct control *c, const struct ctl_sel *sel, const struct ctl_arg *arg,
		 char *why);

/* ---- change feedback ------------------------------------------------------------------- */

struct ctl_feed;
struct ctl_change {
	unsigned strip;
	enum param_id id;
	float value;
	int origin;
};
/* wake(ctx) runs on whichever thread changed a value, under the engine lock and after the
 * feed's own lock is released: signal a condition variable, nothing more. */
struct ctl_feed *ctl_feed_new(struct control *c, void (*wake)(void *ctx), void *ctx);
void ctl_feed_free(struct ctl_feed *f);
/* Only an active feed collects changes (an OSC server with no subscriber collects none). */
void ctl_feed_set_active(struct ctl_feed *f, int on);
int ctl_feed_pending(struct ctl_feed *f);
/* Move up to max pending changes, oldest first (one per strip and parameter: the latest
 * value and origin). Returns how many. */
size_t ctl_feed_take(struct ctl_feed *f, struct ctl_change *out, size_t max);

/* ---- meters ---------------------------------------------------------------------------- */

struct ctl_meters;
/* ntaps independent readers over one engine meter reader. NULL on error. */
struct ctl_meters *ctl_meters_new(struct control *c, unsigned ntaps);
void ctl_meters_free(struct ctl_meters *m);
/* A disabled tap accumulates nothing; enabling starts it empty. */
void ctl_meters_tap_enable(struct ctl_meters *m, unsigned tap, int on);
/* Drain the engine into every enabled tap and the held values. */
void ctl_meters_fold(struct ctl_meters *m);
/* The tap's MF_COUNT fields per strip since its last take; have[strip] is 0 where no audio
 * ran since (nothing to say). fields: nstrips rows. */
void ctl_meters_take(struct ctl_meters *m, unsigned tap, float (*fields)[MF_COUNT],
		     uint8_t *have);
/* Held true peak (dB), held headroom (dB), clip count, as of the last fold. */
void ctl_meters_held(struct ctl_meters *m, unsigned strip, float *tp_db, float *headroom_db,
		     int32_t *clips);
/* Clear the held values of the selected strips. */
void ctl_meters_reset(struct control *c, const struct ctl_sel *sel);
/* Restart the integrated loudness and LRA of the selected strips. 0 or -EAGAIN (why says). */
int ctl_loudness_reset(struct control *c, const struct ctl_sel *sel, char *why);

/* ---- discovery and status -------------------------------------------------------------- */

struct ctl_param_info {
	char path[CTL_PATH_MAX]; /* "/strip/ * /module/param" without the spaces */
	const char *type;        /* "float", "bool", "enum", "steps" */
	const char *unit;
	float min, max, def;
	const char *taper; /* "log" or "linear": how /norm maps 0..1 */
	const char *help;
	const char *const *enum_names; /* NULL-terminated, PT_ENUM only */
	const float *steps;            /* PT_STEPS only */
	unsigned nsteps;
};
void ctl_param_info(const struct control *c, enum param_id id, struct ctl_param_info *out);

struct ctl_status {
	const char *version;
	unsigned nstrips;
	float fs;
	unsigned xruns;
	uint32_t latency; /* samples */
};
void ctl_status(struct control *c, struct ctl_status *out);

/* ---- presets --------------------------------------------------------------------------- */

/* Load a preset name (user folder, then installed; shipped:NAME only the installed one) and apply
 * it all or nothing, starting from the defaults; lines for strips this instance does not have are
 * skipped. path gets the file used. 0; 1 when lines were skipped or a user preset hides a shipped
 * one of the same name (the notice in why); -1 with the reason (with a "did you mean" for a
 * mistyped name). */
int ctl_preset_load(struct control *c, const char *name, int origin, char *path,
		    size_t pathlen, char *why);
int ctl_preset_save(struct control *c, const char *name, char *path, size_t pathlen,
		    char *why);
/* The noise profiles of the strips that have one (out: room for every strip), for a preset
 * or session file; and a loaded file's profiles applied to an engine (0 or -errno). */
size_t ctl_nr_profiles(struct engine *e, struct preset_profile *out);
int ctl_nr_profiles_apply(struct engine *e, const struct preset_profile *prof, size_t n);
/* Check a name from the wire (NAME or shipped:NAME): 0 or -1 with the reason. A save refuses
 * shipped:NAME and a shipped preset's name. */
int ctl_preset_name_check(const char *name, char *why);
/* The transport whose maps presets carry (MIDI): loads check and apply them, saves write
 * them. NULL: none. Set before other threads use the handle. */
void ctl_set_preset_ext(struct control *c, const struct preset_ext *x);

/* ---- compare and reset -----------------------------------------------------------------
 * Two slots (A, B) per strip, one set per engine (every control handle of it, OSC, MIDI or
 * a web page, sees the same), hold every parameter except meter.* (calibration, not
 * sound). Store copies the values in force; recall sets them like any change (the stages
 * glide to them); swap stores into the slot in use (the last stored or recalled, A at
 * first) and recalls the other one (an empty slot takes the current values first, so the
 * first swap changes nothing audible). Reset sets every parameter to its default. */
int ctl_ab_store(struct control *c, const struct ctl_sel *sel, int slot, char *why);
int ctl_ab_recall(struct control *c, const struct ctl_sel *sel, int slot, int origin,
		  char *why);
int ctl_ab_swap(struct control *c, const struct ctl_sel *sel, int origin, char *why);
int ctl_reset(struct control *c, const struct ctl_sel *sel, int origin, char *why);
/* "A"/"a" 0, "B"/"b" 1, else -1 with the reason. */
int ctl_ab_slot(const char *text, char *why);
int ctl_preset_list(void (*fn)(void *ctx, const char *name), void *ctx);

/* ---- subscriptions --------------------------------------------------------------------- */

#define CTL_SUB_KEY_MAX 32 /* a transport's address, compared byte for byte */
#define CTL_SUB_NAME_MAX 96

struct ctl_sub {
	int used;
	uint8_t key[CTL_SUB_KEY_MAX];
	size_t keylen;
	uint8_t host[CTL_SUB_KEY_MAX]; /* the requester's host */
	size_t hostlen;
	int exempt; /* not counted against the per-host cap (this machine's own user) */
	char name[CTL_SUB_NAME_MAX]; /* the address as the log and replies show it */
	float rate_hz;               /* 0: changes only, no meters */
	unsigned flags;              /* transport-defined (OSC: per-field meters) */
	int confirmed;               /* the subscriber asked itself, or echoed a nonce */
	double next_meter_s, expires_s;
	double heard_s; /* last packet from the requester's host */
};

struct ctl_subs {
	struct ctl_sub *sub;
	unsigned max, n;
	double timeout_s;
	unsigned per_host_max; /* subscriptions one requesting host may hold */
	double idle_s;         /* a requester silent this long may be evicted for a new one */
	struct ctl_meters *meters; /* tap k belongs to slot k */
};

int ctl_subs_init(struct ctl_subs *s, struct control *c, unsigned max, double timeout_s);
void ctl_subs_fini(struct ctl_subs *s);
int ctl_subs_find(const struct ctl_subs *s, const void *key, size_t keylen);
/* Add or renew want (key, host, name, rate, flags, confirmed). Returns the slot, -EUSERS
 * (the requesting host holds per_host_max already) or -ENOSPC (full, and no subscriber is
 * idle). When full, the subscriber whose requester has been silent longest (at least
 * idle_s, unconfirmed ones first) is evicted: *evicted gets a copy and *nevicted 1.
 * *renewed is 1 for an existing subscriber. */
int ctl_subs_add(struct ctl_subs *s, const struct ctl_sub *want, double now_s, int *renewed,
		 struct ctl_sub *evicted, int *nevicted);
/* A packet came from host: its subscriptions are not idle. */
void ctl_subs_heard(struct ctl_subs *s, const void *host, size_t hostlen, double now_s);
void ctl_subs_remove(struct ctl_subs *s, unsigned slot);
/* Remove every subscription expired at now_s; copies of them go to out (at most max; the
 * others are removed too). Returns how many were copied. */
unsigned ctl_subs_expire(struct ctl_subs *s, double now_s, struct ctl_sub *out, unsigned max);
/* The earliest meter or expiry time after now_s, at most now_s + 1. */
double ctl_subs_next_event(const struct ctl_subs *s, double now_s);
/* 1 if the slot's meters are due at now_s; advances its grid (restarted after a stall). */
int ctl_subs_meter_due(struct ctl_subs *s, unsigned slot, double now_s);

/* ---- peer confirmation ----------------------------------------------------------------
 * A transport that may be asked to send to an address other than the requester's (a reply
 * URL, a subscriber named by URL) must not become a reflector: such an address is only used
 * once it has proved it wants the traffic by echoing a nonce chanstrip sent it. This table
 * remembers the nonces, the confirmed addresses and one pending subscription per address. */

#define CTL_PEERS_MAX 32
#define CTL_PEER_CHALLENGE_S 5.0   /* at most one challenge per address this often */
#define CTL_PEER_CONFIRMED_S 600.0 /* a confirmation lasts this long after its last use */

struct ctl_peer {
	int used, confirmed;
	uint8_t key[CTL_SUB_KEY_MAX];
	size_t keylen;
	char nonce[20];
	double challenged_s, last_s;
	int pending;           /* a subscription waits for the confirmation */
	float pending_rate_hz; /* ... at this rate, with these flags */
	unsigned pending_flags;
};

struct ctl_peers {
	pthread_mutex_t lock;
	struct ctl_peer p[CTL_PEERS_MAX];
};

void ctl_peers_init(struct ctl_peers *t);
void ctl_peers_fini(struct ctl_peers *t);
/* 1 if key has confirmed (and the confirmation is refreshed), else 0. */
int ctl_peers_confirmed(struct ctl_peers *t, const void *key, size_t keylen, double now_s);
/* Record a challenge for key (and, with pending, a subscription to start on confirmation).
 * Returns 1 with the nonce to send when a challenge is due now, 0 when one was sent less
 * than CTL_PEER_CHALLENGE_S ago (send nothing). */
int ctl_peers_challenge(struct ctl_peers *t, const void *key, size_t keylen, double now_s,
			int pending, float rate_hz, unsigned flags, char nonce[20]);
/* key sent back nonce. 0 if it matches a challenge (key is confirmed from now on; *pending
 * and the rate and flags tell whether a subscription waits), -1 otherwise. */
int ctl_peers_confirm(struct ctl_peers *t, const void *key, size_t keylen, const char *nonce,
		      double now_s, int *pending, float *rate_hz, unsigned *flags);

/* ---- OSC encoding (liblo), shared by the OSC and WebSocket transports -------------------- */

/* An OSC argument of type t as a number: f, d, i, h; T/F and I (infinity) too. 0, or -1 for
 * any other type. */
int ctl_lo_number(char t, const lo_arg *a, double *out);
/* The name of a non-numeric OSC type for "wrong type: ..." ("string", "blob", ...). */
const char *ctl_lo_type_name(char t);
/* An OSC argument as the neutral value ctl_set() takes. */
struct ctl_arg ctl_lo_arg(char t, const lo_arg *a);
/* "/strip/N/mod/param f [s: enum name]" or ".../norm f" into path; the caller frees the
 * message (lo_message_free). NULL when out of memory. */
lo_message ctl_lo_value(const struct control *c, unsigned strip, enum param_id id, int norm,
			float v, char *path, size_t pathlen);
/* "/strip/N/meter" with the MF_COUNT fields (field < 0), or "/strip/N/meter/<name>" with
 * one field. strip 0-based. NULL when out of memory. */
lo_message ctl_lo_meter(unsigned strip, const float *fields, int field, char *path,
			size_t pathlen);

/* ---- what every transport's threads need ------------------------------------------------ */

/* A send thread's scratch: every change of a feed at once (nchg), one tap's meter fields. */
struct ctl_scratch {
	struct ctl_change *chg;
	size_t nchg;
	float (*fields)[MF_COUNT]; /* [nstrips] */
	uint8_t *have;             /* [nstrips] */
};
/* 0 or -ENOMEM (everything freed). */
int ctl_scratch_init(struct ctl_scratch *x, const struct control *c);
void ctl_scratch_fini(struct ctl_scratch *x);

/* Caller holds lock (the one guarding subs). If any subscriber's meters are due at t, drain
 * the engine into the taps (lock released meanwhile: a fold takes the engine's meter
 * locks) and return 1; else 0. Then ctl_subs_meter_due() tells whose. */
int ctl_subs_fold_due(struct ctl_subs *subs, pthread_mutex_t *lock, double t);

/* A condition variable on the monotonic clock (for ctl_wait_due). */
void ctl_cond_init(pthread_cond_t *cond);
/* A send thread's wait, lock held: returns 0 at once when feed has changes or a subscriber's
 * meters or expiry are due, else waits on cond until the next such time (or a signal) and
 * returns 1 (look again). */
int ctl_wait_due(pthread_cond_t *cond, pthread_mutex_t *lock, struct ctl_feed *feed,
		 const struct ctl_subs *subs);

/* A log for text from the network: one line of ASCII on stderr, "chanstrip: <who>: ...",
 * at most burst lines in a row and per_s after that (a flood of bad input cannot fill a
 * disk); how many were dropped is said on the next line that gets through. */
struct ctl_log {
	pthread_mutex_t lock;
	const char *who;
	double burst, per_s, tokens, last_s;
	unsigned long suppressed;
};
void ctl_log_init(struct ctl_log *l, const char *who, double burst, double per_s);
void ctl_log_fini(struct ctl_log *l);
void ctl_log(struct ctl_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
