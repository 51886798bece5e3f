/* The OSC server, end to end over real UDP: a liblo client on one side, src/osc.c on the
 * other, the engine behind it (not running: engine_set applies directly; or driven by a
 * fake audio thread that calls engine_process at the real-time pace of a JACK period). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "osc.h"
#include "oscclient.h"
#include "oscfuzz.h"
#include "preset.h"
#include "testutil.h"

#define FS 48000.0f
#define PERIOD 64u
#define NSTRIPS 2

static struct engine eng;
static struct osc *srv;
static struct oc *cli;
static char preset_home[256];

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(engine_init(&eng, NSTRIPS, FS, NULL), 0);
	srv = osc_start(&eng, "127.0.0.1", 0, err, sizeof(err));
	ck_assert_msg(srv != NULL, "osc_start: %s", err);
	ck_assert(strncmp(osc_url(srv), "osc.udp://127.0.0.1:", 20) == 0);
	cli = oc_new(osc_url(srv));
	ck_assert_ptr_nonnull(cli);
}

static void teardown(void)
{
	oc_free(cli);
	osc_stop(srv);
	engine_free(&eng);
}

/* ---- a fake JACK: engine_process every PERIOD frames, on time ------------------------- */

struct fake_audio {
	pthread_t th;
	atomic_int stop;
	atomic_int bad; /* an output sample was not finite */
	atomic_ulong cycles;
	double amp, freq; /* freq 0: a constant amp */
	/* latency probe: armed with a cycle count, the first cycle whose strip-1 output moves
	 * away from the last steady value is stored in seen */
	atomic_int armed;
	atomic_ulong seen;
	float steady;
};
static struct fake_audio fa;

static void *fake_audio_main(void *arg)
{
	struct fake_audio *a = arg;
	static float in[NSTRIPS][PERIOD], out[NSTRIPS][PERIOD];
	const float *ins[NSTRIPS];
	float *outs[NSTRIPS];
	struct timespec next;
	uint64_t pos = 0;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int s = 0; s < NSTRIPS; s++)
		ins[s] = in[s], outs[s] = out[s];
	while (!atomic_load(&a->stop)) {
		for (unsigned i = 0; i < PERIOD; i++)
			for (int s = 0; s < NSTRIPS; s++)
				in[s][i] = a->freq == 0.0 ? (float)a->amp
							  : (float)(a->amp * sin(2.0 * M_PI * a->freq *
										 (double)(pos + i) / FS));
		pos += PERIOD;
		engine_process(&eng, ins, outs, PERIOD);
		for (int s = 0; s < NSTRIPS; s++)
			for (unsigned i = 0; i < PERIOD; i++)
				if (!isfinite(out[s][i]))
					atomic_store(&a->bad, 1);
		if (!atomic_load(&a->armed)) {
			a->steady = out[0][PERIOD - 1];
		} else if (!atomic_load(&a->seen)) {
			for (unsigned i = 0; i < PERIOD; i++)
				if (fabsf(out[0][i] - a->steady) > 1e-4f) {
					atomic_store(&a->seen, atomic_load(&a->cycles));
					break;
				}
		}
		atomic_fetch_add(&a->cycles, 1);
		next.tv_nsec += (long)(1e9 * PERIOD / FS);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

static void fake_audio_start(double amp, double freq)
{
	memset(&fa, 0, sizeof(fa));
	fa.amp = amp;
	fa.freq = freq;
	engine_start(&eng);
	ck_assert_int_eq(pthread_create(&fa.th, NULL, fake_audio_main, &fa), 0);
}

static void fake_audio_stop(void)
{
	atomic_store(&fa.stop, 1);
	pthread_join(fa.th, NULL);
	engine_stop(&eng);
}

/* ---- helpers ------------------------------------------------------------------------ */

#define SEND(...) lo_send_from(cli->to, cli->srv, LO_TT_IMMEDIATE, __VA_ARGS__)

static float get_value(const char *path)
{
	SEND(path, "");
	const struct oc_msg *m = oc_wait(cli, path, 2000);
	ck_assert_msg(m != NULL, "no reply to get %s", path);
	ck_assert_msg(m->argc >= 1 && m->types[0] == 'f', "%s: reply types %s", path, m->types);
	return m->f[0];
}

/* The /error that must come back for the last message: its PATH and a reason that
 * contains want. */
static void expect_error(const char *path, const char *want)
{
	const struct oc_msg *m = oc_wait(cli, "/error", 2000);
	ck_assert_msg(m != NULL, "no /error for %s", path);
	ck_assert_str_eq(m->types, "ss");
	ck_assert_str_eq(m->s[0], path);
	ck_assert_msg(strstr(m->s[1], want) != NULL, "%s: reason '%s' lacks '%s'", path, m->s[1],
		      want);
}

static float (*snapshot(void))[P_COUNT]
{
	float (*v)[P_COUNT] = malloc(NSTRIPS * sizeof(*v));
	engine_get_all(&eng, v);
	return v;
}

static void assert_unchanged(float (*before)[P_COUNT])
{
	float (*now)[P_COUNT] = snapshot();
	ck_assert_msg(memcmp(before, now, NSTRIPS * sizeof(*now)) == 0, "state changed");
	free(now);
}

/* ---- tests -------------------------------------------------------------------------- */

START_TEST(ping_pong)
{
	SEND("/ping", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/pong", 2000));
	/* the reply leaves from the port the client sent to */
	ck_assert_int_eq(lo_server_get_port(cli->srv) > 0, 1);
}
END_TEST

START_TEST(set_get_every_type)
{
	SEND("/strip/1/comp/threshold", "f", -20.0f);
	ck_assert_float_eq(get_value("/strip/1/comp/threshold"), -20.0f);
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_THRESHOLD), -20.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_COMP_THRESHOLD), -18.0f);

	SEND("/strip/2/comp/ratio", "i", 8);
	ck_assert_float_eq(get_value("/strip/2/comp/ratio"), 8.0f);
	SEND("/strip/2/comp/ratio", "d", 2.5);
	ck_assert_float_eq(get_value("/strip/2/comp/ratio"), 2.5f);
	SEND("/strip/1/out/gain", "h", (int64_t)-6);
	ck_assert_float_eq(get_value("/strip/1/out/gain"), -6.0f);
	SEND("/strip/1/out/gain", "s", "-7.5");
	ck_assert_float_eq(get_value("/strip/1/out/gain"), -7.5f);

	/* bools: 0/1 int or float, T/F, true/false strings */
	SEND("/strip/1/comp/enable", "T");
	ck_assert_float_eq(get_value("/strip/1/comp/enable"), 1.0f);
	SEND("/strip/1/comp/enable", "F");
	ck_assert_float_eq(get_value("/strip/1/comp/enable"), 0.0f);
	SEND("/strip/1/comp/enable", "i", 1);
	ck_assert_float_eq(get_value("/strip/1/comp/enable"), 1.0f);
	SEND("/strip/1/comp/enable", "s", "false");
	ck_assert_float_eq(get_value("/strip/1/comp/enable"), 0.0f);
	SEND("/strip/1/pre/phase", "f", 1.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/phase"), 1.0f);

	/* enums: name or index; the reply carries the index and the name */
	SEND("/strip/1/pre/model", "s", "tube");
	SEND("/strip/1/pre/model", "");
	const struct oc_msg *m = oc_wait(cli, "/strip/1/pre/model", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->types, "fs");
	ck_assert_float_eq(m->f[0], 1.0f);
	ck_assert_str_eq(m->s[1], "tube");
	SEND("/strip/1/pre/model", "i", 2);
	ck_assert_float_eq(get_value("/strip/1/pre/model"), 2.0f);
	SEND("/strip/2/deess/mode", "s", "wide");
	ck_assert_float_eq(get_value("/strip/2/deess/mode"), 1.0f);

	/* steps and 0-is-off */
	SEND("/strip/1/pre/oversample", "i", 4);
	ck_assert_float_eq(get_value("/strip/1/pre/oversample"), 4.0f);
	SEND("/strip/1/pre/hpf", "f", 80.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/hpf"), 80.0f);
	SEND("/strip/1/pre/hpf", "i", 0);
	ck_assert_float_eq(get_value("/strip/1/pre/hpf"), 0.0f);
}
END_TEST

/* Every row of the table answers at its path: a new parameter needs no OSC code. */
START_TEST(every_parameter_has_an_address)
{
	for (int p = 0; p < P_COUNT; p++) {
		char path[96];
		snprintf(path, sizeof(path), "/strip/2/%s", param_table[p].key);
		*strchr(path + 9, '.') = '/';
		ck_assert_float_eq(get_value(path), param_table[p].def);
		/* set the max (steps: the last step), read it back */
		float v = param_table[p].type == PT_STEPS ? param_table[p].steps[param_table[p].nsteps - 1]
							  : param_table[p].max;
		SEND(path, "f", v);
		ck_assert_float_eq(get_value(path), v);
		ck_assert_float_eq(engine_get(&eng, 1, (enum param_id)p), v);
	}
}
END_TEST

START_TEST(get_with_reply_url)
{
	struct oc *b = oc_new(osc_url(srv));
	ck_assert_ptr_nonnull(b);
	SEND("/strip/2/comp/knee", "f", 12.0f);
	SEND("/strip/2/comp/knee", "s", b->url);
	const struct oc_msg *m = oc_wait(b, "/strip/2/comp/knee", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[0], 12.0f);
	oc_pump(cli, 100);
	ck_assert_int_eq(oc_count(cli, "/strip/2/comp/knee"), 0); /* not to the sender */
	/* /ping and /params honour it too */
	SEND("/ping", "s", b->url);
	ck_assert_ptr_nonnull(oc_wait(b, "/pong", 2000));
	/* localhost is accepted, other names are not looked up */
	char url[64];
	snprintf(url, sizeof(url), "osc.udp://localhost:%d/", lo_server_get_port(b->srv));
	SEND("/ping", "s", url);
	ck_assert_ptr_nonnull(oc_wait(b, "/pong", 2000));
	SEND("/ping", "s", "osc.udp://no.such.host.invalid:9/");
	expect_error("/ping", "numeric");
	SEND("/ping", "s", "osc.tcp://127.0.0.1:9/");
	expect_error("/ping", "URL");
	oc_free(b);
}
END_TEST

START_TEST(patterns)
{
	SEND("/strip/*/comp/threshold", "f", -30.0f);
	ck_assert_int_eq(oc_sync(cli), 0);
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_THRESHOLD), -30.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_COMP_THRESHOLD), -30.0f);
	SEND("/strip/{2}/out/gain", "f", -3.0f);
	SEND("/strip/[1-2]/gate/enable", "i", 1);
	ck_assert_int_eq(oc_sync(cli), 0);
	ck_assert_float_eq(engine_get(&eng, 0, P_OUT_GAIN), 0.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_OUT_GAIN), -3.0f);
	ck_assert_float_eq(engine_get(&eng, 0, P_GATE_ENABLE), 1.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_GATE_ENABLE), 1.0f);
	/* a pattern get answers once per match */
	SEND("/strip/?/comp/threshold", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/strip/1/comp/threshold", 2000));
	ck_assert_ptr_nonnull(oc_wait(cli, "/strip/2/comp/threshold", 2000));
	/* patterns on the parameter part too: every comp parameter of strip 1 */
	SEND("/strip/1/comp/*", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/strip/1/comp/ratio", 2000));
	ck_assert_ptr_nonnull(oc_wait(cli, "/strip/1/comp/ratio/norm", 2000));
	/* all or nothing: one bad value in a pattern set changes nothing */
	float (*before)[P_COUNT] = snapshot();
	SEND("/strip/*/comp/{threshold,ratio}", "f", -10.0f); /* ratio -10 is out of range */
	expect_error("/strip/*/comp/{threshold,ratio}", "out of range");
	assert_unchanged(before);
	free(before);
	SEND("/strip/[3-9]/comp/ratio", "f", 2.0f);
	expect_error("/strip/[3-9]/comp/ratio", "no strip matches");
}
END_TEST

START_TEST(norm_taper)
{
	SEND("/strip/1/pre/hpf/norm", "f", 0.5f);
	ck_assert_int_eq(oc_sync(cli), 0);
	float v = engine_get(&eng, 0, P_PRE_HPF);
	ck_assert_float_eq(v, param_from_norm(P_PRE_HPF, 0.5f));
	ck_assert(v > 20.0f && v < 500.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/hpf/norm"), param_to_norm(P_PRE_HPF, v));
	/* log taper for ms: 0.5 is the geometric mean of the range */
	SEND("/strip/1/comp/attack/norm", "d", 0.5);
	ck_assert_int_eq(oc_sync(cli), 0);
	ck_assert_float_eq_tol(engine_get(&eng, 0, P_COMP_ATTACK), sqrtf(0.1f * 200.0f), 0.01f);
	/* linear taper: out.gain -60..24 */
	SEND("/strip/2/out/gain/norm", "f", 0.25f);
	ck_assert_int_eq(oc_sync(cli), 0);
	ck_assert_float_eq_tol(engine_get(&eng, 1, P_OUT_GAIN), -39.0f, 1e-4f);
	/* enums and bools snap */
	SEND("/strip/1/pre/model/norm", "f", 1.0f);
	SEND("/strip/1/comp/enable/norm", "f", 0.7f);
	ck_assert_int_eq(oc_sync(cli), 0);
	ck_assert_float_eq(engine_get(&eng, 0, P_PRE_MODEL), 2.0f);
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_ENABLE), 1.0f);
	float (*before)[P_COUNT] = snapshot();
	SEND("/strip/1/out/gain/norm", "f", 1.5f);
	expect_error("/strip/1/out/gain/norm", "out of range");
	SEND("/strip/1/out/gain/norm", "f", (float)NAN);
	expect_error("/strip/1/out/gain/norm", "finite");
	assert_unchanged(before);
	free(before);
}
END_TEST

/* A set over OSC changes the audio: out.gain -6 dB on a 1 kHz sine. */
START_TEST(set_changes_audio)
{
	enum { N = 48000 };
	static float in[N], out[N];
	const float *ins[NSTRIPS] = {in, in};
	float *outs[NSTRIPS] = {out, out + N / 2};
	SEND("/strip/1/out/gain", "f", -6.0f);
	ck_assert_int_eq(oc_sync(cli), 0);
	tu_sine(in, N, 0.25, 1000.0, FS, 0.0);
	/* strip 2 writes into the second half of out and is not looked at; both strips run
	 * N/2 samples twice so the gain ramp has settled in the second run */
	static float scratch[N / 2];
	outs[1] = scratch;
	engine_process(&eng, ins, outs, N / 2);
	engine_process(&eng, ins, outs, N / 2);
	double g = tu_db(tu_rms(out, N / 2) / tu_rms(in, N / 2));
	ck_assert_msg(fabs(g - -6.0) < 0.01, "gain %.3f dB, want -6", g);
}
END_TEST

static int cmp_ulong(const void *x, const void *y)
{
	unsigned long a = *(const unsigned long *)x, b = *(const unsigned long *)y;
	return a < b ? -1 : a > b;
}

/* From an OSC set to the first changed output sample, in audio periods (64 frames, the
 * fake audio thread stands in for JACK): the change lands in the first period that starts
 * after the message arrived. */
START_TEST(set_to_audio_latency)
{
	enum { TRIALS = 20 };
	unsigned long lat[TRIALS];
	fake_audio_start(0.5, 0.0);
	oc_pump(cli, 100);
	for (int k = 0; k < TRIALS; k++) {
		atomic_store(&fa.armed, 0);
		atomic_store(&fa.seen, 0);
		oc_pump(cli, 150); /* the previous ramp settles */
		unsigned long sent = atomic_load(&fa.cycles);
		atomic_store(&fa.armed, 1);
		SEND("/strip/1/out/gain", "f", k % 2 ? 0.0f : -20.0f);
		for (int w = 0; w < 2000 && !atomic_load(&fa.seen); w++)
			oc_pump(cli, 1);
		ck_assert_msg(atomic_load(&fa.seen) != 0, "trial %d: no change in 2 s", k);
		lat[k] = atomic_load(&fa.seen) - sent;
	}
	fake_audio_stop();
	qsort(lat, TRIALS, sizeof(lat[0]), cmp_ulong);
	fprintf(stderr, "osc set -> audio (in-process, %u-frame periods): min %lu, median %lu, "
			"max %lu (0 = the first period processed after the send)\n",
		PERIOD, lat[0], lat[TRIALS / 2], lat[TRIALS - 1]);
	ck_assert_uint_le(lat[TRIALS / 2], 2);
	ck_assert_uint_le(lat[TRIALS - 1], 20); /* a loaded machine may hold a thread back */
}
END_TEST

START_TEST(errors_change_nothing)
{
	struct {
		const char *path, *types, *want;
		union {
			float f;
			double d;
			int32_t i;
			const char *s;
		} v;
	} cases[] = {
		{"/nope", "", "unknown address", {0}},
		{"/strip/1/comp/nope", "f", "unknown address", {.f = 1}},
		{"/strip/1/comp", "f", "unknown address", {.f = 1}},
		{"/strip/", "", "unknown address", {0}},
		{"/strip/3/comp/ratio", "f", "no strip", {.f = 2}},
		{"/strip/0/comp/ratio", "f", "no strip", {.f = 2}},
		{"/strip/x/comp/ratio", "f", "no strip", {.f = 2}},
		{"/strip/1/comp/ratio", "f", "out of range", {.f = 99}},
		{"/strip/1/comp/ratio", "f", "out of range", {.f = 0.5f}},
		{"/strip/1/comp/ratio", "f", "finite", {.f = NAN}},
		{"/strip/1/comp/ratio", "f", "finite", {.f = INFINITY}},
		{"/strip/1/comp/ratio", "d", "finite", {.d = 1e300}},
		{"/strip/1/comp/ratio", "d", "finite", {.d = -INFINITY}},
		{"/strip/1/comp/ratio", "s", "not a number", {.s = "abc"}},
		{"/strip/1/comp/ratio", "T", "wrong type", {0}},
		{"/strip/1/comp/ratio", "N", "wrong type", {0}},
		{"/strip/1/comp/ratio", "I", "finite", {0}},
		{"/strip/1/comp/enable", "f", "not an allowed value", {.f = 0.5f}},
		{"/strip/1/comp/enable", "i", "out of range", {.i = 2}},
		{"/strip/1/comp/enable", "s", "not", {.s = "maybe"}},
		{"/strip/1/pre/model", "s", "unknown name", {.s = "valve"}},
		{"/strip/1/pre/model", "i", "out of range", {.i = 7}},
		{"/strip/1/pre/oversample", "i", "not an allowed value", {.i = 3}},
		{"/strip/1/pre/hpf", "f", "out of range", {.f = 10}},
		{"/strip/1/gate/threshold", "f", "out of range", {.f = 1}},
		{"/strip/1/meter", "", "subscribe", {0}},
		{"/strip/1/meter/reset", "f", "no arguments", {.f = 1}},
		{"/ping", "i", "no arguments", {.i = 1}},
		{"/subscribe", "f", "meter rate", {.f = -1}},
		{"/subscribe", "f", "meter rate", {.f = NAN}},
		{"/subscribe", "s", "bad URL", {.s = "osc.udp://127.0.0.1:0/"}},
		{"/unsubscribe", "", "not subscribed", {0}},
		{"/preset/load", "", "one preset name", {0}},
		{"/preset/load", "i", "one preset name", {.i = 1}},
		{"/preset/nope", "", "unknown address", {0}},
		{"/strip/1/comp", "", "/strip/1/comp is a module; its parameters: enable, ", {0}},
		{"/strip/1/comp/treshold", "f", "did you mean /strip/1/comp/threshold?", {.f = 1}},
		{"/strip/1/pre/model", "s", "did you mean tube?", {.s = "tueb"}},
		{"/preset/load", "s", "did you mean podcast?", {.s = "podcats"}},
		{"/preset/save", "s", "'podcast' is a shipped preset", {.s = "podcast"}},
	};
	float (*before)[P_COUNT] = snapshot();
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *t = cases[k].types;
		if (!*t || *t == 'T' || *t == 'N' || *t == 'I')
			SEND(cases[k].path, t);
		else if (*t == 'f')
			SEND(cases[k].path, t, cases[k].v.f);
		else if (*t == 'd')
			SEND(cases[k].path, t, cases[k].v.d);
		else if (*t == 'i')
			SEND(cases[k].path, t, cases[k].v.i);
		else
			SEND(cases[k].path, t, cases[k].v.s);
		expect_error(cases[k].path, cases[k].want);
	}
	/* wrong count, a blob */
	SEND("/strip/1/comp/ratio", "ff", 2.0f, 3.0f);
	expect_error("/strip/1/comp/ratio", "expected one value");
	lo_blob b = lo_blob_new(4, "abcd");
	SEND("/strip/1/comp/ratio", "b", b);
	expect_error("/strip/1/comp/ratio", "wrong type: blob");
	lo_blob_free(b);
	/* a malformed packet (no type tag string) still gets an answer */
	ck_assert_int_eq(oc_sync(cli), 0);
	assert_unchanged(before);
	free(before);
	oc_pump(cli, 50);
	ck_assert_int_eq(oc_count(cli, "/error"), 0); /* exactly one /error per bad message */
}
END_TEST

/* The log gets one line per error, but a flood is cut down to a trickle. */
START_TEST(error_log_is_rate_limited)
{
	char path[] = "/tmp/chanstrip-osc-log-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	double t0 = oc_now();
	for (int k = 0; k < 2000; k++) {
		SEND("/strip/1/comp/ratio", "f", 1000.0f);
		if (k % 64 == 0)
			oc_clear(cli);
	}
	ck_assert_int_eq(oc_sync(cli), 0);
	double dt = oc_now() - t0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	char line[1024];
	int lines = 0;
	while (fgets(line, sizeof(line), f))
		lines += strstr(line, "chanstrip: osc:") != NULL;
	fclose(f);
	close(fd);
	unlink(path);
	ck_assert_int_ge(lines, 1);
	ck_assert_msg(lines <= OSC_LOG_BURST + OSC_LOG_PER_S * dt + 2, "%d log lines in %.2f s",
		      lines, dt);
}
END_TEST

START_TEST(feedback_to_subscribers)
{
	struct oc *a = oc_new(osc_url(srv)), *b = cli;
	ck_assert_ptr_nonnull(a);
	/* A subscribes without meters */
	lo_send_from(a->to, a->srv, LO_TT_IMMEDIATE, "/subscribe", "f", 0.0f);
	const struct oc_msg *m = oc_wait(a, "/subscribed", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], a->url);
	ck_assert_float_eq(m->f[1], 0.0f);
	ck_assert_float_eq(m->f[2], (float)OSC_SUBSCRIBE_TIMEOUT_S);
	/* a new subscriber gets the current state of everything, both addresses */
	ck_assert_ptr_nonnull(oc_wait(a, "/strip/2/meter/cal", 2000));
	ck_assert_ptr_nonnull(oc_wait(a, "/strip/2/meter/cal/norm", 2000));
	oc_pump(a, 100);
	oc_clear(a);

	/* B sets: A hears both addresses */
	SEND("/strip/2/comp/ratio", "f", 8.0f);
	m = oc_wait(a, "/strip/2/comp/ratio", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[0], 8.0f);
	m = oc_wait(a, "/strip/2/comp/ratio/norm", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[0], param_to_norm(P_COMP_RATIO, 8.0f));
	/* a pattern set from B: one change per strip */
	SEND("/strip/*/deess/mode", "s", "wide");
	m = oc_wait(a, "/strip/1/deess/mode", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[1], "wide");
	ck_assert_ptr_nonnull(oc_wait(a, "/strip/2/deess/mode", 2000));
	/* a change from another source (command line, session, preset) */
	ck_assert_int_eq(engine_set(&eng, 0, P_OUT_GAIN, -12.0f), 0);
	m = oc_wait(a, "/strip/1/out/gain", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[0], -12.0f);
	ck_assert_ptr_nonnull(oc_wait(a, "/strip/1/out/gain/norm", 2000));
	/* the sender is no subscriber: it hears nothing */
	oc_pump(b, 100);
	ck_assert_int_eq(oc_count(b, "/strip/2/comp/ratio"), 0);
	/* renewing keeps one subscription */
	lo_send_from(a->to, a->srv, LO_TT_IMMEDIATE, "/subscribe", "f", 0.0f);
	ck_assert_ptr_nonnull(oc_wait(a, "/subscribed", 2000));
	SEND("/status", "");
	m = oc_wait(cli, "/status", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->types, "sifiii");
	ck_assert_int_eq(m->i[5], 1);
	/* unsubscribe: nothing more */
	lo_send_from(a->to, a->srv, LO_TT_IMMEDIATE, "/unsubscribe", "");
	ck_assert_ptr_nonnull(oc_wait(a, "/unsubscribed", 2000));
	oc_clear(a);
	SEND("/strip/2/comp/ratio", "f", 3.0f);
	ck_assert_int_eq(oc_sync(cli), 0);
	oc_pump(a, 200);
	ck_assert_int_eq(oc_count(a, "/strip/2/comp/ratio"), 0);
	oc_free(a);
}
END_TEST

/* B subscribes A by URL (what a script does for a TouchOSC tablet) */
/* /subscribe/port PORT: the sender's host at another port, for a surface (TouchOSC) that sends
 * from one port and listens on another and can send a number but not a URL. */
START_TEST(subscribe_by_port)
{
	struct oc *b = oc_new(osc_url(srv));
	int port = atoi(strrchr(b->url, ':') + 1);
	SEND("/subscribe/port", "f", (float)port); /* a TouchOSC push sends its value as a float */
	const struct oc_msg *m = oc_wait(b, "/subscribed", 2000);
	ck_assert_msg(m != NULL, "the port named got no /subscribed");
	ck_assert_str_eq(m->s[0], b->url);
	ck_assert_float_eq(m->f[1], (float)OSC_METER_RATE_DEFAULT);
	oc_pump(b, 200);
	oc_clear(b);
	SEND("/strip/1/comp/knee", "f", 9.0f);
	ck_assert_ptr_nonnull(oc_wait(b, "/strip/1/comp/knee", 2000)); /* feedback arrives there */
	SEND("/subscribe/port", "ii", port, 0); /* renewed with no meters */
	m = oc_wait(b, "/subscribed", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[1], 0.0f);
	static const char *const bad[] = {"i0", "i65536", "f1.5", "s9000", "", "T"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		oc_clear(cli);
		switch (bad[k][0]) {
		case 'i': SEND("/subscribe/port", "i", atoi(bad[k] + 1)); break;
		case 'f': SEND("/subscribe/port", "f", (float)atof(bad[k] + 1)); break;
		case 's': SEND("/subscribe/port", "s", bad[k] + 1); break;
		case 'T': SEND("/subscribe/port", "T"); break;
		default: SEND("/subscribe/port", ""); break;
		}
		m = oc_wait(cli, "/error", 2000);
		ck_assert_msg(m != NULL, "no /error for /subscribe/port %s", bad[k]);
		ck_assert_ptr_nonnull(strstr(m->s[1], "PORT"));
	}
	SEND("/unsubscribe", "s", b->url);
	ck_assert_ptr_nonnull(oc_wait(b, "/unsubscribed", 2000));
	oc_free(b);
}
END_TEST

START_TEST(subscribe_by_url_and_cap)
{
	struct oc *a = oc_new(osc_url(srv));
	ck_assert_ptr_nonnull(a);
	SEND("/subscribe", "sf", a->url, 0.0f);
	ck_assert_ptr_nonnull(oc_wait(a, "/subscribed", 2000));
	oc_pump(a, 100);
	oc_clear(a);
	SEND("/strip/1/gate/range", "f", 60.0f);
	ck_assert_ptr_nonnull(oc_wait(a, "/strip/1/gate/range", 2000));
	/* fill up to the cap with made-up ports, then one more is refused */
	for (int k = 1; k < OSC_MAX_SUBSCRIBERS; k++) {
		char url[64];
		snprintf(url, sizeof(url), "osc.udp://127.0.0.1:%d/", 40000 + k);
		SEND("/subscribe", "sf", url, 0.0f);
	}
	ck_assert_int_eq(oc_sync(cli), 0);
	SEND("/subscribe", "s", "osc.udp://127.0.0.1:39999/");
	expect_error("/subscribe", "too many subscribers");
	SEND("/unsubscribe", "s", a->url);
	ck_assert_ptr_nonnull(oc_wait(a, "/unsubscribed", 2000));
	SEND("/subscribe", "s", "osc.udp://127.0.0.1:39999/");
	ck_assert_int_eq(oc_sync(cli), 0);
	oc_pump(cli, 50);
	ck_assert_int_eq(oc_count(cli, "/error"), 0);
	oc_free(a);
}
END_TEST

START_TEST(subscription_expires)
{
	osc_set_subscribe_timeout(srv, 0.5);
	SEND("/subscribe", "f", 0.0f);
	ck_assert_ptr_nonnull(oc_wait(cli, "/subscribed", 2000));
	const struct oc_msg *m = oc_wait(cli, "/unsubscribed", 3000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[1], "expired");
	oc_clear(cli);
	ck_assert_int_eq(engine_set(&eng, 0, P_OUT_GAIN, -1.0f), 0);
	oc_pump(cli, 200);
	ck_assert_int_eq(oc_count(cli, "/strip/1/out/gain"), 0);
}
END_TEST

/* Count meter messages for strip 1 over secs seconds. */
static int count_meters(struct oc *c, double secs, float last[MF_COUNT])
{
	oc_pump(c, 300); /* let the first messages (and the state dump) pass */
	oc_clear(c);
	oc_pump(c, (int)(secs * 1000));
	int n = 0;
	for (int k = 0; k < c->n; k++)
		if (!strcmp(c->q[k].path, "/strip/1/meter")) {
			char want[MF_COUNT + 1];
			memset(want, 'f', MF_COUNT);
			want[MF_COUNT] = '\0';
			ck_assert_str_eq(c->q[k].types, want);
			for (int j = 0; j < MF_COUNT; j++) {
				ck_assert_msg(isfinite(c->q[k].f[j]), "field %d not finite", j);
				last[j] = c->q[k].f[j];
			}
			n++;
		}
	return n;
}

/* The end state of strip 1's auto gain (its last status message), or NULL after ms. */
static const struct oc_msg *autogain_end(int ms)
{
	for (int waited = 0; waited < ms; waited += 100) {
		oc_pump(cli, 100);
		for (int k = cli->n - 1; k >= 0; k--)
			if (!strcmp(cli->q[k].path, "/strip/1/autogain/status") &&
			    strcmp(cli->q[k].s[0], "listening") != 0)
				return &cli->q[k];
	}
	return NULL;
}

/* Auto gain over OSC: a -40 dBFS sine, 1.5 s of listening, lands pre.gain at +28 dB (peaks at
 * -12 dBFS), with status messages while listening, the ordinary parameter feedback and the
 * output peaks within 1 dB of the target afterwards; silence ends no_signal and a converter
 * at its rails ends clipped, both with the gain unchanged; cancel leaves the gain alone. */
START_TEST(autogain_over_osc)
{
	float f[MF_COUNT];
	SEND("/subscribe", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/subscribed", 2000));
	fake_audio_start(0.01, 997.0);
	oc_pump(cli, 200);
	oc_clear(cli);
	SEND("/strip/1/autogain", "ff", 1.5f, -12.0f);
	const struct oc_msg *m = autogain_end(4000);
	ck_assert_msg(m != NULL, "no end state");
	ck_assert_str_eq(m->types, "sffs");
	fprintf(stderr, "autogain: %s %.2f dB: %s\n", m->s[0], m->f[2], m->s[3]);
	ck_assert_str_eq(m->s[0], "done");
	ck_assert_float_eq_tol(m->f[2], 28.0f, 0.15f);
	ck_assert_int_ge(oc_count(cli, "/strip/1/autogain/status"), 2); /* listening, done */
	ck_assert_ptr_nonnull(oc_wait(cli, "/strip/1/pre/gain", 1000));
	ck_assert_float_eq_tol(engine_get(&eng, 0, P_PRE_GAIN), 28.0f, 0.15f);
	ck_assert_float_eq(engine_get(&eng, 1, P_PRE_GAIN), 0.0f); /* strip 2 was not asked */
	ck_assert_int_gt(count_meters(cli, 0.6, f), 0);
	ck_assert_msg(fabsf(f[MF_OUT_PEAK_DBFS] + 12.0f) <= 1.0f, "out peak %.2f dBFS",
		      (double)f[MF_OUT_PEAK_DBFS]);
	/* cancel: the gain stays */
	oc_clear(cli);
	SEND("/strip/1/autogain", "f", 5.0f);
	oc_pump(cli, 300);
	SEND("/strip/1/autogain/cancel", "");
	m = autogain_end(2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], "cancelled");
	ck_assert_float_eq_tol(engine_get(&eng, 0, P_PRE_GAIN), 28.0f, 0.15f);
	SEND("/strip/1/autogain/cancel", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/error", 1000)); /* not listening */
	SEND("/strip/1/autogain", "ff", 10.0f, 3.0f);    /* target above 0 dBFS */
	ck_assert_ptr_nonnull(oc_wait(cli, "/error", 1000));
	fake_audio_stop();
	/* silence */
	fake_audio_start(0.0, 0.0);
	oc_clear(cli);
	SEND("/strip/1/autogain", "f", 1.0f);
	m = autogain_end(3000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], "no_signal");
	ck_assert_float_eq_tol(engine_get(&eng, 0, P_PRE_GAIN), 28.0f, 0.15f);
	fake_audio_stop();
	/* a converter at its rails */
	fake_audio_start(1.0, 997.0);
	oc_clear(cli);
	SEND("/strip/1/autogain", "f", 1.0f);
	m = autogain_end(3000);
	ck_assert_ptr_nonnull(m);
	fprintf(stderr, "autogain: %s: %s\n", m->s[0], m->s[3]);
	ck_assert_str_eq(m->s[0], "clipped");
	ck_assert_ptr_nonnull(strstr(m->s[3], "lower the interface's gain by at least 15 dB"));
	ck_assert_float_eq_tol(engine_get(&eng, 0, P_PRE_GAIN), 28.0f, 0.15f);
	fake_audio_stop();
}
END_TEST

START_TEST(meter_subscription)
{
	float f[MF_COUNT];
	/* 0 dBu alignment tone: a sine of peak 10^(-18/20) with meter.cal 18 */
	fake_audio_start(pow(10.0, -18.0 / 20.0), 997.0);
	oc_pump(cli, 500); /* RMS integration (300 ms) settles */

	SEND("/subscribe/fields", "f", 25.0f); /* with the per-field messages (TouchOSC) */
	int n = count_meters(cli, 2.0, f);
	fprintf(stderr, "meter rate: %d messages in 2 s at 25 Hz requested\n", n);
	ck_assert_msg(n >= 40 && n <= 60, "%d meter messages in 2 s, want 50 +-20%%", n);
	ck_assert_msg(fabsf(f[MF_IN_DBU]) < 0.05f, "in_dbu %.3f for a 0 dBu tone", f[MF_IN_DBU]);
	ck_assert_float_eq_tol(f[MF_IN_RMS_DBFS], -18.0f, 0.05f);
	ck_assert_float_eq_tol(f[MF_IN_DBV], -2.2185f, 0.05f);
	ck_assert_float_eq_tol(f[MF_IN_PEAK_DBFS], -18.0f, 0.05f);
	ck_assert_float_eq_tol(f[MF_IN_TRUE_PEAK_DBTP], -18.0f, 0.05f);
	ck_assert_float_eq_tol(f[MF_HEADROOM_DB], 18.0f, 0.05f);
	ck_assert_float_eq(f[MF_CLIPS], 0.0f);
	ck_assert_float_eq(f[MF_COMP_GR_DB], 0.0f);
	ck_assert_float_eq_tol(f[MF_OUT_PEAK_DBFS], -18.0f, 0.05f);
	ck_assert_float_eq_tol(f[MF_OUT_RMS_DBFS], -18.0f, 0.05f);
	/* a sine of RMS -21.01 dBFS; K-weighting adds 0.69 dB at 997 Hz, BS.1770 takes 0.691 */
	ck_assert_float_eq_tol(f[MF_LUFS_M], -21.01f, 0.05f);
	ck_assert_float_eq_tol(f[MF_LUFS_I], -21.01f, 0.05f);
	ck_assert_float_eq_tol(f[MF_OUT_TRUE_PEAK_DBTP], -18.0f, 0.05f);
	ck_assert_float_eq(f[MF_OUT_CLIPS], 0.0f);
	/* /strip/N/loudness/reset restarts the integrated value (nothing to gate for 400 ms)
	 * and leaves the momentary one running */
	SEND("/strip/1/loudness/reset", "");
	oc_clear(cli);
	oc_pump(cli, 300);
	int restarted = 0;
	for (int k = 0; k < cli->n; k++)
		if (!strcmp(cli->q[k].path, "/strip/1/meter") &&
		    cli->q[k].f[MF_LUFS_I] <= DSP_DB_FLOOR &&
		    fabsf(cli->q[k].f[MF_LUFS_M] + 21.01f) < 0.05f)
			restarted = 1;
	ck_assert_msg(restarted, "no meter message with lufs_i restarted after the reset");
	ck_assert_int_eq(oc_count(cli, "/error"), 0);

	/* every field also arrives alone on /strip/N/meter/<field> (asked for: TouchOSC) */
	for (int j = 0; j < MF_COUNT; j++) {
		char path[64];
		snprintf(path, sizeof(path), "/strip/1/meter/%s", meter_field_names[j]);
		const struct oc_msg *fm = oc_wait(cli, path, 2000);
		ck_assert_msg(fm != NULL, "no %s", path);
		ck_assert_str_eq(fm->types, "f");
		ck_assert_msg(isfinite(fm->f[0]), "%s not finite", path);
	}
	const struct oc_msg *dbu = oc_wait(cli, "/strip/1/meter/in_dbu", 2000);
	ck_assert_ptr_nonnull(dbu);
	ck_assert_msg(fabsf(dbu->f[0]) < 0.05f, "in_dbu alone %.3f", dbu->f[0]);

	/* the default rate, and the cap */
	SEND("/subscribe", "");
	n = count_meters(cli, 2.0, f);
	fprintf(stderr, "meter rate: %d messages in 2 s at the default %d Hz\n", n,
		OSC_METER_RATE_DEFAULT);
	ck_assert_msg(n >= 32 && n <= 48, "%d meter messages in 2 s, want 40 +-20%%", n);
	/* a plain /subscribe gets the 12-value message only: 1 packet per strip, not 13 */
	oc_clear(cli);
	oc_pump(cli, 500);
	ck_assert_int_ge(oc_count(cli, "/strip/1/meter"), 5);
	for (int j = 0; j < MF_COUNT; j++) {
		char path[64];
		snprintf(path, sizeof(path), "/strip/1/meter/%s", meter_field_names[j]);
		ck_assert_msg(oc_count(cli, path) == 0, "%s sent to a plain subscriber", path);
	}
	SEND("/subscribe", "i", 1000);
	const struct oc_msg *m = oc_wait(cli, "/subscribed", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[1], (float)OSC_METER_RATE_MAX);
	n = count_meters(cli, 2.0, f);
	fprintf(stderr, "meter rate: %d messages in 2 s at 1000 Hz requested (cap %d)\n", n,
		OSC_METER_RATE_MAX);
	ck_assert_msg(n >= 80 && n <= 120, "%d meter messages in 2 s, want 100 +-20%%", n);

	/* hold and reset */
	SEND("/strip/1/meter/hold", "");
	m = oc_wait(cli, "/strip/1/meter/hold", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->types, "ffi");
	ck_assert_float_eq_tol(m->f[0], -18.0f, 0.05f);
	ck_assert_float_eq_tol(m->f[1], 18.0f, 0.05f);
	ck_assert_int_eq(m->i[2], 0);
	fake_audio_stop();
	SEND("/strip/*/meter/reset", "");
	SEND("/strip/1/meter/hold", "");
	m = oc_wait(cli, "/strip/1/meter/hold", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_float_eq(m->f[0], DSP_DB_FLOOR);
	ck_assert_int_eq(atomic_load(&fa.bad), 0);
}
END_TEST

/* Two subscribers at different rates each get their own count, and both see a peak. */
START_TEST(meter_two_rates)
{
	struct oc *a = oc_new(osc_url(srv));
	ck_assert_ptr_nonnull(a);
	fake_audio_start(0.1, 1000.0);
	lo_send_from(a->to, a->srv, LO_TT_IMMEDIATE, "/subscribe", "i", 10);
	SEND("/subscribe", "i", 40);
	oc_pump(a, 300);
	oc_pump(cli, 300);
	oc_clear(a);
	oc_clear(cli);
	/* receive on both sockets for 2 s */
	for (double end = oc_now() + 2.0; oc_now() < end;) {
		lo_server_recv_noblock(a->srv, 1);
		lo_server_recv_noblock(cli->srv, 1);
	}
	fake_audio_stop();
	int na = oc_count(a, "/strip/1/meter"), nb = oc_count(cli, "/strip/1/meter");
	fprintf(stderr, "meter rates over 2 s: %d at 40 Hz, %d at 10 Hz\n", nb, na);
	ck_assert_msg(nb >= 64 && nb <= 96, "%d at 40 Hz over 2 s", nb);
	ck_assert_msg(na >= 16 && na <= 24, "%d at 10 Hz over 2 s", na);
	oc_free(a);
}
END_TEST

START_TEST(params_discovery)
{
	SEND("/params", "");
	const struct oc_msg *end = oc_wait(cli, "/params/end", 2000);
	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(end->i[0], P_COUNT);
	ck_assert_int_eq(end->i[1], NSTRIPS);
	ck_assert_int_eq(oc_count(cli, "/param"), P_COUNT);
	int seen_model = 0;
	for (int k = 0; k < cli->n; k++) {
		const struct oc_msg *m = &cli->q[k];
		if (strcmp(m->path, "/param"))
			continue;
		ck_assert(strncmp(m->types, "sssfffss", 8) == 0);
		ck_assert(strncmp(m->s[0], "/strip/*/", 9) == 0);
		if (!strcmp(m->s[0], "/strip/*/pre/model")) {
			seen_model = 1;
			ck_assert_str_eq(m->s[1], "enum");
			ck_assert_int_eq(m->argc, 11);
			ck_assert_str_eq(m->s[8], "clean");
			ck_assert_str_eq(m->s[9], "tube");
			ck_assert_str_eq(m->s[10], "transformer");
		}
		if (!strcmp(m->s[0], "/strip/*/comp/threshold")) {
			ck_assert_str_eq(m->s[2], "dBFS");
			ck_assert_float_eq(m->f[3], -60.0f);
			ck_assert_float_eq(m->f[4], 0.0f);
			ck_assert_float_eq(m->f[5], -18.0f);
		}
		if (!strcmp(m->s[0], "/strip/*/pre/oversample"))
			ck_assert_str_eq(m->types, "sssfffssffff");
	}
	ck_assert(seen_model);
}
END_TEST

START_TEST(presets)
{
	SEND("/strip/1/comp/ratio", "f", 6.0f);
	SEND("/strip/2/out/gain", "f", -9.0f);
	SEND("/preset/save", "s", "osc_test-1");
	const struct oc_msg *m = oc_wait(cli, "/preset/saved", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], "osc_test-1");
	char path[512];
	snprintf(path, sizeof(path), "%s/osc_test-1.preset", preset_home);
	ck_assert_int_eq(access(path, R_OK), 0);

	SEND("/preset/list", "");
	m = oc_wait(cli, "/preset/list", 2000);
	ck_assert_ptr_nonnull(m);
	int found = 0;
	for (int k = 0; k < m->argc; k++)
		found |= !strcmp(m->s[k], "osc_test-1");
	ck_assert(found);

	struct oc *a = oc_new(osc_url(srv));
	lo_send_from(a->to, a->srv, LO_TT_IMMEDIATE, "/subscribe", "f", 0.0f);
	ck_assert_ptr_nonnull(oc_wait(a, "/subscribed", 2000));
	oc_pump(a, 200);
	oc_clear(a);
	SEND("/strip/1/comp/ratio", "f", 2.0f);
	SEND("/strip/2/out/gain", "f", 0.0f);
	SEND("/preset/load", "s", "osc_test-1");
	ck_assert_ptr_nonnull(oc_wait(cli, "/preset/loaded", 2000));
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_RATIO), 6.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_OUT_GAIN), -9.0f);
	/* a preset load is a change from another source: subscribers hear it */
	oc_pump(a, 200);
	int heard = 0;
	for (int k = 0; k < a->n; k++)
		if (!strcmp(a->q[k].path, "/strip/2/out/gain") && a->q[k].f[0] == -9.0f)
			heard = 1;
	ck_assert(heard);
	oc_free(a);

	/* names that could reach another path are refused; nothing changes, nothing written */
	static const char *const bad[] = {"../x", "..", "/etc/passwd", "", "a/b", "a.b",
					  "x\\y", "osc_test-1 ", "../../tmp/evil",
					  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	float (*before)[P_COUNT] = snapshot();
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		SEND("/preset/load", "s", bad[k]);
		expect_error("/preset/load", "not a preset name");
		SEND("/preset/save", "s", bad[k]);
		expect_error("/preset/save", "not a preset name");
	}
	SEND("/preset/load", "s", "no_such_preset");
	expect_error("/preset/load", "no preset");
	assert_unchanged(before);
	free(before);
	ck_assert_int_ne(access("/tmp/evil.preset", F_OK), 0);
}
END_TEST

/* What the TouchOSC layout's choice buttons send: a float, the enum's index or the step. */
START_TEST(choice_buttons_send_floats)
{
	SEND("/strip/1/pre/model", "f", 1.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/model"), 1.0f);
	SEND("/strip/1/pre/oversample", "f", 4.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/oversample"), 4.0f);
	SEND("/strip/1/pre/model", "f", 0.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/model"), 0.0f);
	SEND("/strip/1/pre/oversample", "f", 1.0f);
	ck_assert_float_eq(get_value("/strip/1/pre/oversample"), 1.0f);
}
END_TEST

/* /preset/load/NAME: what a button that can only send a number (TouchOSC's preset page)
 * uses. 1 loads, 0 (a release) does nothing; the name is checked like any other. */
START_TEST(preset_load_by_address)
{
	SEND("/strip/1/comp/ratio", "f", 7.0f);
	SEND("/preset/save", "s", "osc_test-2");
	ck_assert_ptr_nonnull(oc_wait(cli, "/preset/saved", 2000));
	SEND("/strip/1/comp/ratio", "f", 2.0f);
	ck_assert_float_eq(get_value("/strip/1/comp/ratio"), 2.0f);
	SEND("/preset/load/osc_test-2", "f", 0.0f);
	ck_assert_float_eq(get_value("/strip/1/comp/ratio"), 2.0f);
	SEND("/preset/load/osc_test-2", "f", 1.0f);
	const struct oc_msg *m = oc_wait(cli, "/preset/loaded", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], "osc_test-2");
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_RATIO), 7.0f);
	SEND("/strip/1/comp/ratio", "f", 2.0f);
	SEND("/preset/load/osc_test-2", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/preset/loaded", 2000));
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_RATIO), 7.0f);
	SEND("/preset/load/..", "f", 1.0f);
	expect_error("/preset/load/..", "not a preset name");
	SEND("/preset/load/osc_test-2", "s", "x");
	expect_error("/preset/load/osc_test-2", "expected no argument or one number");
	SEND("/preset/loadx", "s", "osc_test-2");
	expect_error("/preset/loadx", "unknown address");
}
END_TEST

/* /strip/N/nr/learn: bad arguments are refused; learning on running audio leaves strip 1 a
 * profile (strip 2, not asked, none); /preset/save writes it as a 1:nr.profile line and
 * /preset/load puts it back. */
START_TEST(nr_learn_and_preset)
{
	SEND("/strip/1/nr/learn", "f", 99.0f);
	expect_error("/strip/1/nr/learn", "out of range");
	SEND("/strip/1/nr/learn", "s", "x");
	expect_error("/strip/1/nr/learn", "wrong type");
	SEND("/strip/1/nr/learn", "ff", 1.0f, 2.0f);
	expect_error("/strip/1/nr/learn", "expected seconds or nothing");

	float db[NR_PROFILE_POINTS], back[NR_PROFILE_POINTS];
	SEND("/strip/1/nr/enable", "i", 1);
	fake_audio_start(0.01, 1000.0);
	SEND("/strip/1/nr/learn", "f", 0.2f);
	for (int k = 0; k < 100 && engine_nr_profile_get(&eng, 0, db) != 1; k++)
		usleep(20000);
	fake_audio_stop();
	ck_assert_int_eq(engine_nr_profile_get(&eng, 0, db), 1);
	ck_assert_int_eq(engine_nr_profile_get(&eng, 1, back), 0);

	SEND("/preset/save", "s", "osc_nr");
	ck_assert_ptr_nonnull(oc_wait(cli, "/preset/saved", 2000));
	char path[512], line[2048];
	int found = 0;
	snprintf(path, sizeof(path), "%s/osc_nr.preset", preset_home);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		found += !strncmp(line, "1:nr.profile ", 13);
	fclose(f);
	ck_assert_int_eq(found, 1);

	float flat[NR_PROFILE_POINTS];
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++)
		flat[i] = -150.0f;
	ck_assert_int_eq(engine_nr_profile_set(&eng, 0, flat), 0);
	SEND("/preset/load", "s", "osc_nr");
	ck_assert_ptr_nonnull(oc_wait(cli, "/preset/loaded", 2000));
	ck_assert_int_eq(engine_nr_profile_get(&eng, 0, back), 1);
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++)
		ck_assert_msg(fabsf(back[i] - db[i]) <= 0.005f, "point %u: %g, saved %g", i, back[i],
			      db[i]);
}
END_TEST

START_TEST(bundles)
{
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message m1 = lo_message_new(), m2 = lo_message_new(), m3 = lo_message_new();
	lo_message_add_float(m1, 3.0f);
	lo_message_add_float(m2, -4.0f);
	lo_message_add_float(m3, 1000.0f);
	lo_bundle_add_message(b, "/strip/1/comp/ratio", m1);
	lo_bundle_add_message(b, "/strip/2/out/gain", m2);
	lo_bundle_add_message(b, "/strip/1/out/gain", m3);
	lo_send_bundle_from(cli->to, cli->srv, b);
	lo_bundle_free_messages(b);
	expect_error("/strip/1/out/gain", "out of range");
	ck_assert_float_eq(engine_get(&eng, 0, P_COMP_RATIO), 3.0f);
	ck_assert_float_eq(engine_get(&eng, 1, P_OUT_GAIN), -4.0f);
}
END_TEST

START_TEST(status_and_xruns)
{
	atomic_store(&eng.xruns, 3);
	SEND("/xruns", "");
	const struct oc_msg *m = oc_wait(cli, "/xruns", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->i[0], 3);
	SEND("/status", "");
	m = oc_wait(cli, "/status", 2000);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->s[0], CHANSTRIP_VERSION);
	ck_assert_int_eq(m->i[1], NSTRIPS);
	ck_assert_float_eq(m->f[2], FS);
	ck_assert_int_eq(m->i[3], 3);
}
END_TEST

/* 10,000 random messages while audio runs: the server answers afterwards, the output
 * stayed finite, every value in force is a valid one. */
START_TEST(fuzz_10000)
{
	fake_audio_start(0.5, 440.0);
	ck_assert_int_eq(oscfuzz_run(osc_url(srv), 10000, 12345), 0);
	unsigned nerr, nrep = oscfuzz_replies(&nerr);
	fprintf(stderr, "fuzz: 10000 messages, %u replies, %u of them /error\n", nrep, nerr);
	/* most random messages are wrong: the server must have answered thousands */
	ck_assert_uint_gt(nerr, 5000);
	unsigned long cycles = atomic_load(&fa.cycles);
	oc_pump(cli, 100);
	ck_assert(atomic_load(&fa.cycles) > cycles); /* audio still running */
	fake_audio_stop();
	ck_assert_int_eq(atomic_load(&fa.bad), 0);
	float (*v)[P_COUNT] = snapshot();
	for (int s = 0; s < NSTRIPS; s++)
		for (int p = 0; p < P_COUNT; p++)
			ck_assert_int_eq(param_check((enum param_id)p, v[s][p]), 0);
	free(v);
	ck_assert_int_eq(oc_sync(cli), 0);
}
END_TEST

/* Bound to 127.0.0.1 (the default), nothing sent to another address of this machine
 * arrives. */
START_TEST(default_bind_is_loopback)
{
	char err[256];
	struct ifaddrs *ifs, *i;
	char ip[64] = "";
	/* the default (NULL bind) is loopback */
	struct osc *d = osc_start(&eng, NULL, 0, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert(strncmp(osc_url(d), "osc.udp://127.0.0.1:", 20) == 0);
	const char *port = strrchr(osc_url(d), ':') + 1;
	ck_assert_int_eq(getifaddrs(&ifs), 0);
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct sockaddr_in *sin = (struct sockaddr_in *)i->ifa_addr;
		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		break;
	}
	freeifaddrs(ifs);
	if (!*ip) {
		fprintf(stderr, "default_bind_is_loopback: no non-loopback IPv4 address, skipped\n");
		osc_stop(d);
		return;
	}
	char pstr[16];
	snprintf(pstr, sizeof(pstr), "%.*s", (int)strcspn(port, "/"), port);
	lo_address far = lo_address_new(ip, pstr);
	lo_send_from(far, cli->srv, LO_TT_IMMEDIATE, "/ping", "");
	oc_pump(cli, 300);
	ck_assert_int_eq(oc_count(cli, "/pong"), 0);
	lo_address_free(far);
	lo_address near = lo_address_new("127.0.0.1", pstr);
	lo_send_from(near, cli->srv, LO_TT_IMMEDIATE, "/ping", "");
	ck_assert_ptr_nonnull(oc_wait(cli, "/pong", 2000));
	lo_address_free(near);
	fprintf(stderr, "default_bind_is_loopback: /ping to %s:%s unanswered, to 127.0.0.1 "
			"answered\n", ip, pstr);
	osc_stop(d);
}
END_TEST

START_TEST(start_errors)
{
	char err[256];
	ck_assert_ptr_null(osc_start(&eng, "not an address", 0, err, sizeof(err)));
	ck_assert(strstr(err, "--osc-bind") != NULL);
	/* the port is taken */
	const char *p = strrchr(osc_url(srv), ':') + 1;
	ck_assert_ptr_null(osc_start(&eng, "127.0.0.1", atoi(p), err, sizeof(err)));
	ck_assert(strstr(err, "cannot listen") != NULL);
	ck_assert_ptr_null(osc_start(&eng, "127.0.0.1", 70000, err, sizeof(err)));
}
END_TEST

static Suite *osc_suite(void)
{
	Suite *s = suite_create("osc");
	TCase *tc = tcase_create("server");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ping_pong);
	tcase_add_test(tc, set_get_every_type);
	tcase_add_test(tc, every_parameter_has_an_address);
	tcase_add_test(tc, get_with_reply_url);
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, norm_taper);
	tcase_add_test(tc, set_changes_audio);
	tcase_add_test(tc, set_to_audio_latency);
	tcase_add_test(tc, errors_change_nothing);
	tcase_add_test(tc, error_log_is_rate_limited);
	tcase_add_test(tc, feedback_to_subscribers);
	tcase_add_test(tc, subscribe_by_port);
	tcase_add_test(tc, subscribe_by_url_and_cap);
	tcase_add_test(tc, subscription_expires);
	tcase_add_test(tc, meter_subscription);
	tcase_add_test(tc, autogain_over_osc);
	tcase_add_test(tc, meter_two_rates);
	tcase_add_test(tc, params_discovery);
	tcase_add_test(tc, presets);
	tcase_add_test(tc, preset_load_by_address);
	tcase_add_test(tc, choice_buttons_send_floats);
	tcase_add_test(tc, nr_learn_and_preset);
	tcase_add_test(tc, bundles);
	tcase_add_test(tc, status_and_xruns);
	tcase_add_test(tc, default_bind_is_loopback);
	tcase_add_test(tc, start_errors);
	suite_add_tcase(s, tc);
	/* its own case, so CK_RUN_CASE=fuzz runs it alone */
	TCase *tf = tcase_create("fuzz");
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 120);
	tcase_add_test(tf, fuzz_10000);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	snprintf(preset_home, sizeof(preset_home), "/tmp/chanstrip-osc-presets-XXXXXX");
	if (!mkdtemp(preset_home))
		return 1;
	setenv("CHANSTRIP_PRESET_HOME", preset_home, 1);
	SRunner *sr = srunner_create(osc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", preset_home);
	(void)!system(cmd);
	return failed ? 1 : 0;
}
