/* cs-osclat: how many JACK periods pass between an OSC set and the changed audio.
 *
 *   cs-osclat CLIENT OSC_PORT [TRIALS]
 *
 * Feeds a constant 0.5 into CLIENT:in_1 (client "osclat_play") and watches CLIENT:out_1
 * (client "osclat_rec"; two clients so the graph has no loop). Each trial notes the JACK
 * frame time, sends /strip/1/out/gain (alternately -20 and 0 dB) to 127.0.0.1:OSC_PORT and
 * waits for the first output sample that moves. Latency = that sample's frame time minus
 * the frame time at the send; printed in frames and periods (min, median, max).
 * The strip must be neutral apart from out.gain (a DC of 0.5 then passes unchanged).
 * Exit status: 0, 1 when a trial sees no change within 1 s, 2 usage/JACK error. */
#include <jack/jack.h>
#include <lo/lo.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IDLE, ARMED, SEEN };

static jack_client_t *play, *rec;
static jack_port_t *feed, *back;
static atomic_int state = IDLE;
static atomic_uint seen_frame;
static float base; /* written by the rec thread while IDLE */

static int play_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	float *o = jack_port_get_buffer(feed, n);
	for (jack_nframes_t i = 0; i < n; i++)
		o[i] = 0.5f;
	return 0;
}

static int rec_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	const float *in = jack_port_get_buffer(back, n);
	int st = atomic_load(&state);
	if (st == IDLE) {
		base = in[n - 1];
	} else if (st == ARMED) {
		for (jack_nframes_t i = 0; i < n; i++)
			if (fabsf(in[i] - base) > 1e-4f) {
				atomic_store(&seen_frame, jack_last_frame_time(rec) + i);
				atomic_store(&state, SEEN);
				break;
			}
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	char name[300];
	if (argc < 3) {
		fprintf(stderr, "usage: cs-osclat CLIENT OSC_PORT [TRIALS]\n");
		return 2;
	}
	int trials = argc > 3 ? atoi(argv[3]) : 20;
	if (trials < 1 || trials > 1000)
		trials = 20;
	play = jack_client_open("osclat_play", JackNoStartServer, NULL);
	rec = jack_client_open("osclat_rec", JackNoStartServer, NULL);
	if (!play || !rec) {
		fprintf(stderr, "cs-osclat: no JACK server\n");
		return 2;
	}
	feed = jack_port_register(play, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	back = jack_port_register(rec, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	jack_set_process_callback(play, play_process, NULL);
	jack_set_process_callback(rec, rec_process, NULL);
	if (!feed || !back || jack_activate(play) || jack_activate(rec)) {
		fprintf(stderr, "cs-osclat: cannot set up JACK clients\n");
		return 2;
	}
	snprintf(name, sizeof(name), "%s:in_1", argv[1]);
	if (jack_connect(play, jack_port_name(feed), name)) {
		fprintf(stderr, "cs-osclat: cannot connect to %s\n", name);
		return 2;
	}
	snprintf(name, sizeof(name), "%s:out_1", argv[1]);
	if (jack_connect(rec, name, jack_port_name(back))) {
		fprintf(stderr, "cs-osclat: cannot connect from %s\n", name);
		return 2;
	}
	unsigned period = jack_get_buffer_size(rec);
	lo_address to = lo_address_new("127.0.0.1", argv[2]);
	int *lat = calloc((size_t)trials, sizeof(int));
	int rc = 0;
	sleep_ms(500);
	for (int t = 0; t < trials; t++) {
		atomic_store(&state, IDLE);
		sleep_ms(300 + rand() % 50); /* let the last ramp settle; vary the phase */
		jack_nframes_t sent = jack_frame_time(rec);
		atomic_store(&state, ARMED);
		lo_send(to, "/strip/1/out/gain", "f", t % 2 ? 0.0f : -20.0f);
		for (int k = 0; k < 1000 && atomic_load(&state) != SEEN; k++)
			sleep_ms(1);
		if (atomic_load(&state) != SEEN) {
			fprintf(stderr, "cs-osclat: trial %d: no change within 1 s\n", t);
			rc = 1;
			break;
		}
		lat[t] = (int)(atomic_load(&seen_frame) - sent);
	}
	lo_send(to, "/strip/1/out/gain", "f", 0.0f);
	if (!rc) {
		qsort(lat, (size_t)trials, sizeof(int), cmp_int);
		int lo = lat[0], med = lat[trials / 2], hi = lat[trials - 1];
		printf("osc set -> audio: min %d, median %d, max %d frames = %.2f, %.2f, %.2f periods "
		       "of %u frames (%d trials)\n",
		       lo, med, hi, (double)lo / period, (double)med / period, (double)hi / period,
		       period, trials);
	}
	free(lat);
	lo_address_free(to);
	jack_client_close(rec);
	jack_client_close(play);
	return rc;
}
