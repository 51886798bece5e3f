/* jackclient.c: chanstrip's main job, a headless real-time JACK client.
 *
 * Threads:
 * - JACK's process thread runs on_process(): port buffers in, engine_process(), nothing else.
 *   No allocation, lock, print or system call (tests/rtcheck proves it with wrapped libc).
 * - JACK's notification thread runs the other callbacks. They only set atomics, except the
 *   sample-rate callback, which pauses the DSP (the process callback outputs silence
 *   meanwhile) and rebuilds the strips at the new rate.
 * - The main thread is the control thread: every CONTROL_TICK_MS it drains the meters,
 *   reports latency changes to JACK, logs xruns and rate/period changes, keeps a copy of the
 *   connections (for --reconnect) and draws the meter view. Signals arrive on a signalfd, so
 *   no work is ever done in a signal handler.
 * - The OSC server (osc.c) runs its own thread and talks to the engine only.
 *
 * Exit status (the man page's EXIT STATUS section repeats this):
 *   0  stopped by SIGINT, SIGTERM or SIGHUP
 *   1  could not start: no JACK server, unsupported sample rate, ports not registered, ...
 *   2  bad command line (main.c)
 *   3  the JACK server went away (shut down, crashed, or kicked the client out) and
 *      --reconnect was not given */
#include "jackclient.h"

#include "autogain.h"

#include <errno.h>
#include <jack/jack.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "engine.h"
#include "jack_rtcheck.h"
#include "log.h"
#include "midictl.h"
#include "meterview.h"
#include "monoclock.h"
#include "nsm.h"
#include "http.h"
#include "osc.h"

#define EXIT_START_FAILED 1
#define EXIT_SERVER_GONE 3

#define CONTROL_TICK_MS 20
#define RECONNECT_POLL_MS 500
/* A connection change is copied once it has been quiet this long, so the disconnections a
 * dying server may send just before its shutdown notice never overwrite the copy. */
#define CONN_SETTLE_MS 300
#define XRUN_LOG_INTERVAL_MS 1000
/* The sample-rate callback waits this long at most for the process callback to leave the
 * engine (one JACK period is at most ~170 ms at 8192 frames and 48 kHz). */
#define DSP_PAUSE_TIMEOUT_MS 500
/* From the stop signal to the exit: normally ~50 ms. A server busy with a dying client can
 * hold jack_deactivate()/jack_client_close() for seconds (seen with jackd 1.9.21); past this
 * the process exits without them (the server cleans up after a client whose socket closed),
 * so a stop never takes more than about a second. */
#define EXIT_WATCHDOG_MS 800

struct conn {
	unsigned strip;
	int output; /* 0: feeds in_N, 1: fed by out_N */
	char *other;
};

struct jc {
	const struct options *o;
	char server[256];
	struct engine e;
	int engine_ok;
	jack_client_t *client;
	char name[256]; /* the name JACK gave us (it may append -01 when taken) */
	jack_port_t **in, **out;
	const float **inbuf; /* scratch for the process callback, sized once */
	float **outbuf;
	int sigfd;
	struct osc *osc;
	struct http *http;
	struct autogain *ag; /* --autogain without OSC */
	struct meterview *mv;
	struct nsm *nsm;           /* session manager (NSM_URL), else NULL */
	struct midictl *midi;      /* JACK MIDI transport (--no-midi: NULL) */
	jack_port_t *midi_in, *midi_out;
	struct options nsm_o;      /* the options as the session amends them */

	/* crossing between the JACK threads and the control thread */
	atomic_int dsp_on; /* the process callback may run the engine */
	atomic_int in_dsp; /* the process callback is inside its dsp_on section */
	atomic_int active; /* the client is activated: the engine runs */
	atomic_int server_gone;
	char gone_reason[256];
	atomic_int ports_changed;   /* our connections changed */
	atomic_int ports_appeared;  /* some port was registered (pending and watched connections) */
	atomic_uint period;         /* last buffer size JACK announced */
	atomic_uint rate_failed;    /* sample rate the strips could not be rebuilt for */
	atomic_uint rate_changed;   /* new sample rate to log */

	/* control thread only */
	uint32_t latency_reported;
	unsigned xruns_logged;
	uint32_t period_logged;
	unsigned rate_failed_logged;
	double xrun_log_ms, conn_change_ms, view_ms;
	struct conn *conns; /* our connections, as last seen (restored by --reconnect) */
	size_t nconns;
	struct conn *pending; /* connections still to restore after a reconnect */
	size_t npending;
	/* strips whose --connect / --connect-out port has not appeared yet ([0] inputs,
	 * [1] outputs, 1 = still waiting); counts of those still waiting */
	uint8_t *watch[2];
	unsigned nwatch[2];
};

/* JACK's error callback has no context pointer: while this is set (opening, polling for a
 * server) libjack's own chatter is dropped and chanstrip prints one clear line instead. */
static atomic_int jack_quiet;

/* Other libjack errors wait here for the next control tick: when the server dies, libjack
 * first reports the broken socket ("Cannot read socket", "CheckRes error", ...) and only
 * then calls the shutdown callback, and those lines are dropped in favour of chanstrip's
 * one clear message. Anything else is printed ~20 ms late. */
#define JACK_ERR_SLOTS 8
static struct {
	pthread_mutex_t lock;
	char msg[JACK_ERR_SLOTS][200];
	unsigned n, dropped;
} jack_errs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void jc_log(struct jc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jc_log(struct jc *c, const char *fmt, ...)
{
	va_list ap;
	meterview_clear(c->mv);
	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

static void on_jack_error(const char *msg)
{
	if (atomic_load(&jack_quiet))
		return;
	/* libjack's own threads call this; never wait for the control thread */
	if (pthread_mutex_trylock(&jack_errs.lock) != 0) {
		fprintf(stderr, "chanstrip: jack: %s\n", msg);
		return;
	}
	if (jack_errs.n < JACK_ERR_SLOTS)
		snprintf(jack_errs.msg[jack_errs.n++], sizeof(jack_errs.msg[0]), "%s", msg);
	else
		jack_errs.dropped++;
	pthread_mutex_unlock(&jack_errs.lock);
}

/* Control thread: print the held libjack errors, or drop them once the server is gone. */
static void jack_errors_flush(struct jc *c)
{
	int gone = atomic_load(&c->server_gone);
	pthread_mutex_lock(&jack_errs.lock);
	for (unsigned i = 0; i < jack_errs.n && !gone; i++)
		jc_log(c, "jack: %s", jack_errs.msg[i]);
	if (jack_errs.dropped && !gone)
		jc_log(c, "jack: (%u more messages)", jack_errs.dropped);
	jack_errs.n = jack_errs.dropped = 0;
	pthread_mutex_unlock(&jack_errs.lock);
}

static void on_jack_info(const char *msg) { (void)msg; }

/* ---- JACK callbacks ------------------------------------------------------------------- */

/* REAL-TIME. */
static int on_process(jack_nframes_t n, void *arg)
{
	struct jc *c = arg;
	unsigned ns = engine_nstrips(&c->e);

	rtcheck_process_enter();
	for (unsigned i = 0; i < ns; i++) {
		c->inbuf[i] = jack_port_get_buffer(c->in[i], n);
		c->outbuf[i] = jack_port_get_buffer(c->out[i], n);
	}
	/* sequentially consistent pair with dsp_pause(): either it sees in_dsp, or we see
	 * dsp_on cleared */
	atomic_store(&c->in_dsp, 1);
	if (atomic_load(&c->dsp_on)) {
		engine_process(&c->e, c->inbuf, c->outbuf, n);
	} else {
		for (unsigned i = 0; i < ns; i++)
			memset(c->outbuf[i], 0, n * sizeof(float));
	}
	atomic_store_explicit(&c->in_dsp, 0, memory_order_release);
	if (c->midi)
		midictl_process(c->midi, c->midi_in ? jack_port_get_buffer(c->midi_in, n) : NULL,
				c->midi_out ? jack_port_get_buffer(c->midi_out, n) : NULL, n);
	rtcheck_process_leave();
	return 0;
}

/* Stop the process callback from touching the strips; it outputs silence until dsp_on is
 * set again. 0, or -ETIMEDOUT if the process thread seems stuck inside the engine. */
static int dsp_pause(struct jc *c)
{
	struct timespec tick = {0, 200000};
	atomic_store(&c->dsp_on, 0);
	for (int waited = 0; atomic_load(&c->in_dsp); waited++) {
		if (waited * 0.2 > DSP_PAUSE_TIMEOUT_MS)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* Rebuild the strips at fs, keeping every value. The engine must be stopped or paused. */
static int engine_rebuild(struct jc *c, float fs) { return engine_set_fs(&c->e, fs); }

/* Notification thread (JACK2 also calls it once from jack_set_sample_rate_callback). */
static int on_sample_rate(jack_nframes_t fs, void *arg)
{
	struct jc *c = arg;
	if ((float)fs == engine_fs(&c->e) && !atomic_load(&c->rate_failed))
		return 0;
	/* not active yet (or between a server's going and a reconnect): client_activate()
	 * rebuilds for the server's rate itself */
	int active = atomic_load(&c->active);
	if (dsp_pause(c) < 0)
		return 1;
	engine_stop(&c->e); /* a no-op but for queued values when it was not running */
	if (engine_rebuild(c, (float)fs) < 0) {
		atomic_store(&c->rate_failed, fs); /* silence until a rate we can run */
		return 0;
	}
	atomic_store(&c->rate_failed, 0);
	if (active) {
		atomic_store(&c->rate_changed, fs);
		engine_start(&c->e);
		atomic_store(&c->dsp_on, 1);
	}
	return 0;
}

/* engine_process() takes any block length and strip_process() cuts it into DSP_MAX_CHUNK
 * pieces with buffers inside the strips: nothing to reallocate, only to log. */
static int on_buffer_size(jack_nframes_t n, void *arg)
{
	struct jc *c = arg;
	atomic_store(&c->period, n);
	return 0;
}

/* Strip i delays in_i -> out_i by the engine's latency: add it to each pair's ranges. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
	struct jc *c = arg;
	uint32_t lat = engine_latency(&c->e);
	jack_latency_range_t r;
	for (unsigned i = 0; i < engine_nstrips(&c->e); i++) {
		if (mode == JackCaptureLatency) {
			jack_port_get_latency_range(c->in[i], mode, &r);
			r.min += lat;
			r.max += lat;
			jack_port_set_latency_range(c->out[i], mode, &r);
		} else {
			jack_port_get_latency_range(c->out[i], mode, &r);
			r.min += lat;
			r.max += lat;
			jack_port_set_latency_range(c->in[i], mode, &r);
		}
	}
}

static int on_xrun(void *arg)
{
	struct jc *c = arg;
	engine_count_xrun(&c->e);
	return 0;
}

/* Like a signal handler: copy the reason, set a flag, nothing else. */
static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	struct jc *c = arg;
	(void)code;
	size_t i = 0;
	for (; reason && reason[i] && i < sizeof(c->gone_reason) - 1; i++)
		c->gone_reason[i] = reason[i];
	c->gone_reason[i] = '\0';
	atomic_store(&c->dsp_on, 0);
	atomic_store(&c->server_gone, 1);
}

static void on_port_connect(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
	struct jc *c = arg;
	(void)a, (void)b, (void)connect;
	atomic_store(&c->ports_changed, 1);
}

static void on_port_registration(jack_port_id_t port, int reg, void *arg)
{
	struct jc *c = arg;
	(void)port;
	if (reg)
		atomic_store(&c->ports_appeared, 1);
}

/* ---- connections ------------------------------------------------------------------------ */

static void conns_free(struct conn *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].other);
	free(v);
}

static int conn_push(struct conn **v, size_t *n, unsigned strip, int output, const char *other)
{
	struct conn *p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*v = p;
	if (!(p[*n].other = strdup(other)))
		return -ENOMEM;
	p[*n].strip = strip;
	p[*n].output = output;
	(*n)++;
	return 0;
}

/* Copy our current connections (control thread, server alive). */
static void conns_snapshot(struct jc *c)
{
	struct conn *v = NULL;
	size_t n = 0;
	for (unsigned s = 0; s < engine_nstrips(&c->e); s++) {
		for (int dir = 0; dir < 2; dir++) {
			const char **list = jack_port_get_connections(dir ? c->out[s] : c->in[s]);
			for (size_t k = 0; list && list[k]; k++)
				if (conn_push(&v, &n, s, dir, list[k]) < 0) {
					jack_free(list);
					conns_free(v, n);
					return; /* keep the previous copy */
				}
			if (list)
				jack_free(list);
		}
	}
	conns_free(c->conns, c->nconns);
	c->conns = v;
	c->nconns = n;
}

/* 0 when connected (or already), -1 when the other port is not there (yet). */
static int conn_make(struct jc *c, const struct conn *k)
{
	jack_port_t *ours = k->output ? c->out[k->strip] : c->in[k->strip];
	const char *me = jack_port_name(ours);
	int rc = k->output ? jack_connect(c->client, me, k->other)
			   : jack_connect(c->client, k->other, me);
	return rc == 0 || rc == EEXIST ? 0 : -1;
}

/* Retry the connections a reconnect could not make yet (their ports may appear later, e.g.
 * when the DAW comes back). */
static void pending_retry(struct jc *c)
{
	size_t keep = 0;
	for (size_t i = 0; i < c->npending; i++) {
		if (conn_make(c, &c->pending[i]) == 0)
			free(c->pending[i].other);
		else
			c->pending[keep++] = c->pending[i];
	}
	c->npending = keep;
	if (!keep) {
		free(c->pending);
		c->pending = NULL;
	}
}

/* Ports matching pattern with the given flags, without our own. NULL-terminated, or NULL. */
static const char **ports_matching(struct jc *c, const char *pattern, unsigned long flags,
				   size_t *count)
{
	const char **list = jack_get_ports(c->client, pattern, JACK_DEFAULT_AUDIO_TYPE, flags);
	size_t own = strlen(c->name), keep = 0;
	for (size_t i = 0; list && list[i]; i++)
		if (!(strncmp(list[i], c->name, own) == 0 && list[i][own] == ':'))
			list[keep++] = list[i];
	if (list)
		list[keep] = NULL;
	*count = keep;
	return list;
}

/* Connect strip s (dir 0: in_N from port, 1: out_N to port), logging a failure. */
static int connect_strip(struct jc *c, unsigned s, int dir, const char *port)
{
	struct conn k = {s, dir, (char *)port};
	if (conn_make(c, &k) == 0)
		return 0;
	if (dir)
		jc_log(c, "warning: cannot connect out_%u to %s", s + 1, port);
	else
		jc_log(c, "warning: cannot connect %s to in_%u", port, s + 1);
	return -1;
}

/* Pair the ports matching a pattern with the strips in order (dir as connect_strip). At
 * start (watch NULL) every strip without a port yet goes on the watch list; later only
 * watched strips are connected, so a connection the user removed is not made again.
 * Returns how many strips were connected. */
static unsigned connect_pattern(struct jc *c, int dir, const char *pattern, unsigned long flags,
				int later)
{
	unsigned ns = c->e.nstrips, n = 0;
	size_t count;
	const char **list = ports_matching(c, pattern, flags, &count);
	for (unsigned s = 0; s < ns; s++) {
		if (later && !(c->watch[dir] && c->watch[dir][s]))
			continue;
		int ok = s < count && connect_strip(c, s, dir, list[s]) == 0;
		if (ok && later && dir)
			jc_log(c, "%s appeared: out_%u connected to it", list[s], s + 1);
		else if (ok && later)
			jc_log(c, "%s appeared: connected to in_%u", list[s], s + 1);
		n += ok;
		if (c->watch[dir] && ok && c->watch[dir][s]) {
			c->watch[dir][s] = 0;
			c->nwatch[dir]--;
		} else if (c->watch[dir] && !ok && !later && !c->watch[dir][s]) {
			c->watch[dir][s] = 1;
			c->nwatch[dir]++;
		}
	}
	if (list)
		jack_free(list);
	return n;
}

/* A port was registered: connect the watched strips whose port is there now. */
static void watch_retry(struct jc *c)
{
	const struct options *o = c->o;
	if (c->nwatch[0] && o->connect)
		connect_pattern(c, 0, o->connect, JackPortIsOutput, 1);
	if (c->nwatch[1] && o->connect_out)
		connect_pattern(c, 1, o->connect_out, JackPortIsInput, 1);
}

/* The start-up connections: --connect (or the physical capture ports) to in_1..in_N in order,
 * out_1..out_N to --connect-out. A --connect or --connect-out pattern keeps watching for the
 * ports of strips it could not connect yet (a DAW started later). Writes "inputs a/N,
 * outputs b/N" into summary. */
static void connect_initial(struct jc *c, char *summary, size_t len)
{
	const struct options *o = c->o;
	unsigned ns = engine_nstrips(&c->e), nin = 0, nout = 0;

	for (int dir = 0; dir < 2; dir++)
		if (!c->watch[dir] && (dir ? o->connect_out : o->connect))
			c->watch[dir] = calloc(ns, 1);
	if (!o->no_connect) {
		unsigned long flags = JackPortIsOutput | (o->connect ? 0 : JackPortIsPhysical);
		nin = connect_pattern(c, 0, o->connect, flags, 0);
		if (!o->connect && nin == 0)
			jc_log(c, "warning: no physical capture ports found, inputs left unconnected");
		else if (o->connect && nin < ns)
			jc_log(c, "--connect '%s' matches %u of %u strips' ports: the rest connect "
				  "when matching output ports appear",
			       o->connect, nin, ns);
	}
	if (o->connect_out) {
		nout = connect_pattern(c, 1, o->connect_out, JackPortIsInput, 0);
		if (nout < ns)
			jc_log(c, "--connect-out '%s' matches %u of %u strips' ports: the rest connect "
				  "when matching input ports appear",
			       o->connect_out, nout, ns);
	}
	snprintf(summary, len, "inputs %u/%u connected, outputs %u/%u", nin, ns, nout, ns);
}

/* ---- client life cycle -------------------------------------------------------------------- */

/* Open the client. quiet: polling for a server, say nothing on failure. 0 or -1. */
static int client_open(struct jc *c, int quiet)
{
	const struct options *o = c->o;
	jack_status_t status = 0;
	jack_options_t opts = JackNoStartServer | (o->server ? JackServerName : 0);

	atomic_store(&jack_quiet, 1);
	c->client = jack_client_open(o->name, opts, &status, o->server);
	atomic_store(&jack_quiet, 0);
	if (!c->client) {
		if (quiet)
			return -1;
		if (status & JackServerFailed)
			jc_log(c, "cannot connect to JACK server '%s': is it running? (start one, e.g. "
				  "'jackd -d alsa' or 'jackd -d dummy', or use --server NAME)",
			       c->server);
		else if (status & JackNameNotUnique)
			jc_log(c, "JACK client name '%s' is taken", o->name);
		else
			jc_log(c, "cannot open a JACK client on server '%s' (jack status 0x%x)",
			       c->server, (unsigned)status);
		return -1;
	}
	snprintf(c->name, sizeof(c->name), "%s", jack_get_client_name(c->client));
	return 0;
}

static void client_close(struct jc *c)
{
	if (!c->client)
		return;
	atomic_store(&jack_quiet, 1); /* a dead server makes libjack complain at length */
	jack_client_close(c->client);
	atomic_store(&jack_quiet, 0);
	c->client = NULL;
}

/* Ports and callbacks on a freshly opened client. 0 or -1 with the reason logged. */
static int client_setup(struct jc *c)
{
	unsigned ns = engine_nstrips(&c->e);
	char pn[32];

	for (unsigned s = 0; s < ns; s++) {
		snprintf(pn, sizeof(pn), "in_%u", s + 1);
		c->in[s] = jack_port_register(c->client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		snprintf(pn, sizeof(pn), "out_%u", s + 1);
		c->out[s] = jack_port_register(c->client, pn, JACK_DEFAULT_AUDIO_TYPE,
					       JackPortIsOutput, 0);
		if (!c->in[s] || !c->out[s]) {
			jc_log(c, "cannot register JACK ports in_%u/out_%u (the server's port limit? "
				  "jackd -p raises it)",
			       s + 1, s + 1);
			return -1;
		}
	}
	if (c->midi) {
		c->midi_in = jack_port_register(c->client, "midi_in", JACK_DEFAULT_MIDI_TYPE,
						JackPortIsInput, 0);
		c->midi_out = jack_port_register(c->client, "midi_out", JACK_DEFAULT_MIDI_TYPE,
						 JackPortIsOutput, 0);
		if (!c->midi_in || !c->midi_out) {
			jc_log(c, "cannot register JACK MIDI ports midi_in/midi_out");
			return -1;
		}
	}
	atomic_store(&c->server_gone, 0);
	atomic_store(&c->period, jack_get_buffer_size(c->client));
	if (jack_set_process_callback(c->client, on_process, c) ||
	    jack_set_sample_rate_callback(c->client, on_sample_rate, c) ||
	    jack_set_buffer_size_callback(c->client, on_buffer_size, c) ||
	    jack_set_latency_callback(c->client, on_latency, c) ||
	    jack_set_xrun_callback(c->client, on_xrun, c) ||
	    jack_set_port_connect_callback(c->client, on_port_connect, c) ||
	    jack_set_port_registration_callback(c->client, on_port_registration, c)) {
		jc_log(c, "cannot set the JACK callbacks");
		return -1;
	}
	jack_on_info_shutdown(c->client, on_shutdown, c);
	return 0;
}

/* Engine running, DSP on, client active. 0 or -1 with the reason logged. */
static int client_activate(struct jc *c)
{
	float fs = (float)jack_get_sample_rate(c->client);
	if (fs != engine_fs(&c->e) && engine_rebuild(c, fs) < 0) {
		jc_log(c, "the JACK server runs at %.0f Hz; chanstrip supports %.0f to %.0f Hz",
		       (double)fs, (double)DSP_FS_MIN, (double)DSP_FS_MAX);
		return -1;
	}
	engine_start(&c->e);
	atomic_store(&c->dsp_on, 1);
	atomic_store(&c->active, 1);
	if (jack_activate(c->client)) {
		atomic_store(&c->active, 0);
		atomic_store(&c->dsp_on, 0);
		engine_stop(&c->e);
		jc_log(c, "cannot activate the JACK client");
		return -1;
	}
	c->latency_reported = engine_latency(&c->e);
	c->period_logged = atomic_load(&c->period);
	return 0;
}

/* After the server is gone (or before closing): no more audio thread. */
static void engine_quiesce(struct jc *c)
{
	atomic_store(&c->active, 0);
	dsp_pause(c);
	engine_stop(&c->e); /* a no-op but for queued values when it was not running */
}

/* ---- control thread ----------------------------------------------------------------------- */

static void control_tick(struct jc *c)
{
	double t = monoclock_ms();
	unsigned v;

	engine_meters_poll(&c->e);
	jack_errors_flush(c);

	/* latency follows the values the audio thread applied (e.g. pre.oversample) */
	uint32_t lat = engine_latency(&c->e);
	if (lat != c->latency_reported) {
		c->latency_reported = lat;
		jack_recompute_total_latencies(c->client);
	}

	unsigned xr = engine_xruns(&c->e);
	if (xr != c->xruns_logged && t - c->xrun_log_ms >= XRUN_LOG_INTERVAL_MS) {
		jc_log(c, "xrun%s (%u since start)", xr - c->xruns_logged > 1 ? "s" : "", xr);
		c->xruns_logged = xr;
		c->xrun_log_ms = t;
	}

	if ((v = atomic_load(&c->period)) != c->period_logged) {
		jc_log(c, "JACK period is now %u frames", v);
		c->period_logged = v;
	}
	if ((v = atomic_exchange(&c->rate_changed, 0))) {
		jc_log(c, "JACK sample rate is now %u Hz: strips rebuilt, values kept", v);
		jack_recompute_total_latencies(c->client);
	}
	v = atomic_load(&c->rate_failed);
	if (v && v != c->rate_failed_logged)
		jc_log(c, "JACK sample rate %u Hz is not supported (%.0f to %.0f Hz): outputs are "
			  "silent",
		       v, (double)DSP_FS_MIN, (double)DSP_FS_MAX);
	c->rate_failed_logged = v;

	/* connections: copy them once they have settled */
	if (atomic_exchange(&c->ports_changed, 0))
		c->conn_change_ms = t;
	if (c->conn_change_ms && t - c->conn_change_ms >= CONN_SETTLE_MS &&
	    !atomic_load(&c->server_gone)) {
		c->conn_change_ms = 0;
		conns_snapshot(c);
	}
	if (atomic_exchange(&c->ports_appeared, 0)) {
		if (c->npending)
			pending_retry(c);
		if (c->nwatch[0] || c->nwatch[1])
			watch_retry(c);
	}

	if (c->mv && t - c->view_ms >= meterview_interval_ms(c->mv)) {
		char status[384];
		c->view_ms = t;
		snprintf(status, sizeof(status), "%s  %u Hz  period %u  DSP %4.1f %%  xruns %u",
			 c->name, jack_get_sample_rate(c->client), atomic_load(&c->period),
			 (double)jack_cpu_load(c->client), xr);
		meterview_draw(c->mv, status);
	}
}

/* Wait for a signal (return 1) or the next tick (0). */
static int wait_tick(struct jc *c, int ms)
{
	struct pollfd p = {.fd = c->sigfd, .events = POLLIN};
	nsm_poll(c->nsm);
	if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
		struct signalfd_siginfo si;
		if (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			meterview_clear(c->mv);
			fprintf(stderr, "chanstrip: %s: stopping\n", strsignal((int)si.ssi_signo));
			return 1;
		}
	}
	return 0;
}

/* The server went away with --reconnect: wait for it and come back with the same name,
 * ports, parameter values (the engine lives on) and connections. 0 when back, 1 on a
 * signal. */
static int reconnect(struct jc *c)
{
	struct conn *want = c->conns;
	size_t nwant = c->nconns;
	c->conns = NULL;
	c->nconns = 0;
	/* what an earlier reconnect could not restore yet is still wanted */
	for (size_t i = 0; i < c->npending; i++)
		conn_push(&want, &nwant, c->pending[i].strip, c->pending[i].output,
			  c->pending[i].other);
	conns_free(c->pending, c->npending);
	c->pending = NULL;
	c->npending = 0;

	for (;;) {
		if (wait_tick(c, RECONNECT_POLL_MS)) {
			conns_free(want, nwant);
			return 1;
		}
		if (client_open(c, 1) < 0)
			continue;
		if (client_setup(c) < 0 || client_activate(c) < 0) {
			client_close(c);
			continue; /* a server on its way up or down: try again */
		}
		break;
	}
	size_t ok = 0;
	for (size_t i = 0; i < nwant; i++) {
		if (conn_make(c, &want[i]) == 0)
			ok++;
		else
			conn_push(&c->pending, &c->npending, want[i].strip, want[i].output,
				  want[i].other);
	}
	conns_free(want, nwant);
	conns_snapshot(c);
	jc_log(c, "reconnected to JACK server '%s' as '%s' (%u Hz, period %u): %zu of %zu "
		  "connections restored%s",
	       c->server, c->name, jack_get_sample_rate(c->client), atomic_load(&c->period), ok,
	       nwant, c->npending ? ", the rest when their ports appear" : "");
	return 0;
}

static int block_signals(struct jc *c)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* blocked before any thread exists (JACK's, liblo's), so they inherit the mask and
	 * the signals only ever arrive on the signalfd */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	/* a dying server can close libjack's socket under a write */
	signal(SIGPIPE, SIG_IGN);
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return c->sigfd < 0 ? -1 : 0;
}

static atomic_int watchdog_rc;

static void *exit_watchdog(void *arg)
{
	(void)arg;
	struct timespec ts = {EXIT_WATCHDOG_MS / 1000, (EXIT_WATCHDOG_MS % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	static const char msg[] = "chanstrip: the JACK server did not answer the close request in "
				  "time; exiting without it\n";
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(atomic_load(&watchdog_rc));
}

/* Bound the time from here to the exit (see EXIT_WATCHDOG_MS). */
static void exit_watchdog_start(int rc)
{
	pthread_t t;
	pthread_attr_t a;
	atomic_store(&watchdog_rc, rc);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &a, exit_watchdog, NULL);
	pthread_attr_destroy(&a);
}

static void jc_cleanup(struct jc *c)
{
	meterview_stop(c->mv); /* the terminal back, and the log lines the view held */
	jack_errors_flush(c);
	if (c->client) {
		if (!atomic_load(&c->server_gone))
			jack_deactivate(c->client);
		engine_quiesce(c);
		client_close(c);
	}
	autogain_free(c->ag);
	if (c->osc)
		osc_stop(c->osc);
	http_stop(c->http);
	nsm_end(c->nsm);
	midictl_free(c->midi);
	meterview_free(c->mv);
	if (c->engine_ok)
		engine_free(&c->e);
	conns_free(c->conns, c->nconns);
	conns_free(c->pending, c->npending);
	free(c->watch[0]);
	free(c->watch[1]);
	free(c->in);
	free(c->out);
	free(c->inbuf);
	free(c->outbuf);
	if (c->sigfd >= 0)
		close(c->sigfd);
}

/* ---- start-up and the main loop ---------------------------------------------------------- */

/* Under a session manager: wait for its open before any JACK client exists; the session
 * names the client and may bring its own strips and values (c->o then points at them).
 * 0 to go on, 1 when a signal came first, -1 with the reason logged. */
static int session_begin(struct jc *c)
{
	char err[512];
	if (!nsm_wanted())
		return 0;
	int rc = nsm_begin(&c->nsm, c->sigfd, c->o, &c->nsm_o, err, sizeof(err));
	if (rc > 0) {
		wait_tick(c, 0); /* the pending signal: logged, consumed */
		return 1;
	}
	if (rc < 0) {
		jc_log(c, "%s", err);
		return -1;
	}
	c->o = &c->nsm_o;
	return 0;
}

/* The JACK client, waiting for a server with --reconnect. 0, 1 when a signal came while
 * waiting, -1 with the reason logged. */
static int client_first_open(struct jc *c)
{
	const struct options *o = c->o;
	if (strlen(o->name) >= (size_t)jack_client_name_size()) {
		jc_log(c, "--name: '%s' is too long for JACK (at most %d characters)", o->name,
		       jack_client_name_size() - 1);
		return -1;
	}
	if (client_open(c, o->reconnect) == 0)
		return 0;
	if (!o->reconnect)
		return -1;
	jc_log(c, "waiting for JACK server '%s' (--reconnect)", c->server);
	while (client_open(c, 1) < 0)
		if (wait_tick(c, RECONNECT_POLL_MS))
			return 1;
	return 0;
}

/* The strips at the server's rate with the command line's values, and the port arrays.
 * 0 or -1 with the reason logged. */
static int engine_setup(struct jc *c)
{
	const struct options *o = c->o;
	float fs = (float)jack_get_sample_rate(c->client);
	size_t bad = 0;
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX)) {
		jc_log(c, "the JACK server runs at %.0f Hz; chanstrip supports %.0f to %.0f Hz",
		       (double)fs, (double)DSP_FS_MIN, (double)DSP_FS_MAX);
		return -1;
	}
	int rc = engine_init(&c->e, o->channels, fs, o->arch);
	if (rc < 0) {
		jc_log(c, "cannot set up %u strips: %s", o->channels, strerror(-rc));
		return -1;
	}
	c->engine_ok = 1;
	if ((rc = engine_apply(&c->e, o->assign, o->nassign, &bad)) < 0) {
		if (rc == -ENODEV)
			jc_log(c, "--set/--preset: strip %d does not exist: --channels is %u",
			       o->assign[bad].strip + 1, o->channels);
		else
			jc_log(c, "--set/--preset: %s", strerror(-rc));
		return -1;
	}
	if ((rc = ctl_nr_profiles_apply(&c->e, o->profiles, o->nprofiles)) < 0) {
		jc_log(c, "--preset: nr.profile: %s", rc == -ENODEV ? "no such strip" : strerror(-rc));
		return -1;
	}
	c->in = calloc(o->channels, sizeof(*c->in));
	c->out = calloc(o->channels, sizeof(*c->out));
	c->inbuf = calloc(o->channels, sizeof(*c->inbuf));
	c->outbuf = calloc(o->channels, sizeof(*c->outbuf));
	if (!c->in || !c->out || !c->inbuf || !c->outbuf) {
		jc_log(c, "out of memory");
		return -1;
	}
	return 0;
}

/* The HTTP server (OSCQuery, WebSocket, page), failing like OSC: fatal for a port asked
 * for, a warning for the default. 0 or -1 with the reason logged. */
static int http_frontend_start(struct jc *c)
{
	const struct options *o = c->o;
	char err[512];
	struct http_config cfg = {.bind = o->http_bind, .port = o->http_port, .name = c->name,
				  .osc_bind = o->osc_bind, .osc_port = o->osc_port};
	if (!o->http_port)
		return 0;
	c->http = http_start(&c->e, &cfg, err, sizeof(err));
	if (!c->http && o->http_port_given) {
		jc_log(c, "%s", err);
		return -1;
	}
	if (!c->http)
		jc_log(c, "warning: HTTP is off (%s)", err);
	return 0;
}

/* The meter view, the HTTP and the OSC server. 0 or -1 with the reason logged. */
static int frontends_start(struct jc *c)
{
	const struct options *o = c->o;
	char err[512];
	if (o->meter_view && !(c->mv = meterview_new(&c->e, stderr))) {
		jc_log(c, "--meter-view: %s", strerror(errno));
		return -1;
	}
	if (http_frontend_start(c) < 0)
		return -1;
	if (o->midi && !(c->midi = midictl_new(&c->e, o->midi_maps, o->nmidi_maps, err,
					       sizeof(err)))) {
		jc_log(c, "%s", err);
		return -1;
	}
	if (c->midi && midictl_learn_each(c->midi, o->midi_learn, o->nmidi_learn, err,
					  sizeof(err)) < 0) {
		jc_log(c, "--midi-learn %s", err);
		return -1;
	}
	if (c->midi) {
		struct preset_ext x;
		midictl_preset_ext(c->midi, &x);
		nsm_set_preset_ext(c->nsm, &x);
	}
	if (!o->osc_port)
		return 0;
	c->osc = osc_start(&c->e, o->osc_bind, o->osc_port, err, sizeof(err));
	/* A port asked for explicitly (--osc-port) that cannot be bound is fatal: a user who
	 * scripted that port would otherwise control nothing. The default port only warns, so
	 * a second instance started without --osc-port still runs. */
	if (!c->osc && o->osc_port_given) {
		jc_log(c, "%s", err);
		return -1;
	}
	if (!c->osc)
		jc_log(c, "warning: OSC is off (%s); use --osc-port to choose another port", err);
	else
		osc_set_midi(c->osc, c->midi);
	return 0;
}

/* --autogain without OSC: the states go to the log */
static void jc_autogain_status(void *ctx, unsigned strip, const char *state, float left,
			       float gain_db, const char *advice)
{
	(void)left, (void)gain_db;
	if (strcmp(state, "listening") != 0)
		jc_log(ctx, "strip %u: auto gain %s: %s", strip + 1, state, advice);
}

/* --autogain: every strip listens from now on (the OSC server's auto gain when there is one,
 * so its subscribers hear the status). 0 or -1 with the reason logged. */
static int jc_autogain(struct jc *c)
{
	const struct options *o = c->o;
	struct autogain *ag;
	if (!o->autogain)
		return 0;
	ag = c->osc ? osc_autogain(c->osc) : (c->ag = autogain_new(&c->e, jc_autogain_status, c));
	if (!ag) {
		jc_log(c, "--autogain: %s", strerror(errno));
		return -1;
	}
	jc_log(c, "auto gain: listening for %.0f s, peaks to %.0f dBFS", (double)o->autogain_s,
	       (double)o->autogain_target_dbfs);
	return autogain_start(ag, -1, o->autogain_s, o->autogain_target_dbfs) < 0 ? -1 : 0;
}

/* Ports, callbacks, activation, the start-up connections and the one start-up line. 0 or
 * -1 with the reason logged. */
static int client_start(struct jc *c)
{
	const struct options *o = c->o;
	char summary[96];
	if (client_setup(c) < 0 || client_activate(c) < 0)
		return -1;
	/* page in and lock what the audio thread will touch; best effort (needs the memlock
	 * limit that JACK's realtime setup usually grants) */
	mlockall(MCL_CURRENT);
	connect_initial(c, summary, sizeof(summary));
	conns_snapshot(c);
	jc_log(c, "'%s' on JACK server '%s': %u Hz, period %u, %u channel%s, latency %u, simd %s, "
		  "osc %s, http %s; %s",
	       c->name, c->server, jack_get_sample_rate(c->client), atomic_load(&c->period),
	       o->channels, o->channels == 1 ? "" : "s", engine_latency(&c->e),
	       strip_simd_name(o->arch), c->osc ? osc_url(c->osc) : "off",
	       c->http ? http_url(c->http) : "off", summary);
	nsm_opened(c->nsm, &c->e);
	rtcheck_started(&c->e);
	return jc_autogain(c);
}

/* The server went away: exit (EXIT_SERVER_GONE), or with --reconnect wait for it (-1 when
 * back, 0 on a signal while waiting). */
static int handle_server_gone(struct jc *c)
{
	const char *sep = c->gone_reason[0] ? ": " : "";
	jack_errors_flush(c); /* drops libjack's broken-socket lines */
	engine_quiesce(c);
	client_close(c);
	if (!c->o->reconnect) {
		jc_log(c, "the JACK server '%s' went away%s%s; exiting (use --reconnect to wait for "
			  "it)",
		       c->server, sep, c->gone_reason);
		return EXIT_SERVER_GONE;
	}
	jc_log(c, "the JACK server '%s' went away%s%s; waiting for it (--reconnect)", c->server, sep,
	       c->gone_reason);
	return reconnect(c) ? 0 : -1;
}

/* The control loop, until a signal (0) or a server gone for good (EXIT_SERVER_GONE). */
static int control_loop(struct jc *c)
{
	for (;;) {
		if (wait_tick(c, CONTROL_TICK_MS))
			return 0;
		if (atomic_load(&c->server_gone)) {
			int rc = handle_server_gone(c);
			if (rc >= 0)
				return rc;
			continue;
		}
		control_tick(c);
		if (meterview_quit(c->mv)) {
			jc_log(c, "q pressed in the meter view: stopping");
			return 0;
		}
	}
}

/* Everything before the control loop. 0 to run, 1 to exit with 0 (a signal came first),
 * -1 to exit with EXIT_START_FAILED (the reason logged). */
static int jc_start(struct jc *c)
{
	int rc;
	if (block_signals(c) < 0) {
		jc_log(c, "cannot set up signal handling: %s", strerror(errno));
		return -1;
	}
	if ((rc = session_begin(c)) != 0 || (rc = client_first_open(c)) != 0)
		return rc;
	if (engine_setup(c) < 0 || frontends_start(c) < 0 || client_start(c) < 0)
		return -1;
	return 0;
}

int jackclient_run(const struct options *o)
{
	struct jc *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		fprintf(stderr, "chanstrip: out of memory\n");
		return EXIT_START_FAILED;
	}
	c->o = o;
	c->sigfd = -1;
	const char *srv = o->server ? o->server : getenv("JACK_DEFAULT_SERVER");
	snprintf(c->server, sizeof(c->server), "%s", srv && *srv ? srv : "default");
	jack_set_error_function(on_jack_error);
	jack_set_info_function(on_jack_info);

	int start = jc_start(c);
	if (start == 0) {
		rc = control_loop(c);
		exit_watchdog_start(rc);
		rtcheck_stopping();
	} else {
		rc = start > 0 ? 0 : EXIT_START_FAILED;
	}
	jc_cleanup(c);
	free(c);
	return rtcheck_exit_status(rc);
}
