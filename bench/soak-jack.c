/* cs-soak-jack: the audio side of bench/soak.sh. A JACK client that feeds a sine into every
 * input of CLIENT and watches every output of it for as long as asked, then prints one line:
 *   cycles=N xruns=N frames=N nonfinite=N peak=X
 * xruns are the server's (every client is told of each one); nonfinite counts output samples
 * that are NaN or infinite; peak is the largest finite |sample| seen.
 *
 *   cs-soak-jack -t CLIENT -c CHANNELS -d SECONDS    feed and watch CLIENT
 *   cs-soak-jack -d SECONDS                          idle: count the server's xruns only
 *
 * The server is $JACK_DEFAULT_SERVER. Exit status: 0 done, 1 failure, 2 usage. */
#include <jack/jack.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SOAK_MAX_CH 256
/* -12 dBFS, a different frequency per channel so no two strips see the same signal */
#define SOAK_LEVEL 0.25f
#define SOAK_BASE_HZ 220.0

struct soak {
	jack_client_t *client;
	jack_port_t *out[SOAK_MAX_CH], *in[SOAK_MAX_CH];
	unsigned ch;
	double phase[SOAK_MAX_CH], step[SOAK_MAX_CH]; /* radians, radians per frame */
	atomic_ulong cycles, frames, nonfinite;
	atomic_uint xruns, gone;
	float peak; /* audio thread only until it stops */
};

static int soak_process(jack_nframes_t n, void *arg)
{
	struct soak *s = arg;
	unsigned long bad = 0;
	float peak = s->peak;
	for (unsigned c = 0; c < s->ch; c++) {
		float *o = jack_port_get_buffer(s->out[c], n);
		const float *in = jack_port_get_buffer(s->in[c], n);
		double ph = s->phase[c];
		for (jack_nframes_t i = 0; i < n; i++) {
			o[i] = SOAK_LEVEL * (float)sin(ph);
			ph += s->step[c];
			if (!isfinite(in[i]))
				bad++;
			else if (fabsf(in[i]) > peak)
				peak = fabsf(in[i]);
		}
		s->phase[c] = fmod(ph, 2.0 * M_PI);
	}
	s->peak = peak;
	atomic_fetch_add(&s->nonfinite, bad);
	atomic_fetch_add(&s->frames, n);
	atomic_fetch_add(&s->cycles, 1);
	return 0;
}

static int soak_xrun(void *arg)
{
	struct soak *s = arg;
	atomic_fetch_add(&s->xruns, 1);
	return 0;
}

static void soak_shutdown(void *arg)
{
	struct soak *s = arg;
	atomic_store(&s->gone, 1);
}

static int soak_ports(struct soak *s, const char *target)
{
	char name[64], peer[320];
	for (unsigned c = 0; c < s->ch; c++) {
		snprintf(name, sizeof(name), "out_%u", c + 1);
		s->out[c] = jack_port_register(s->client, name, JACK_DEFAULT_AUDIO_TYPE,
					       JackPortIsOutput, 0);
		snprintf(name, sizeof(name), "in_%u", c + 1);
		s->in[c] = jack_port_register(s->client, name, JACK_DEFAULT_AUDIO_TYPE,
					      JackPortIsInput, 0);
		if (!s->out[c] || !s->in[c])
			return -1;
		s->step[c] = 2.0 * M_PI * SOAK_BASE_HZ * (1.0 + 0.25 * c) /
			     jack_get_sample_rate(s->client);
	}
	if (jack_set_process_callback(s->client, soak_process, s))
		return -1;
	if (jack_activate(s->client))
		return -1;
	for (unsigned c = 0; c < s->ch; c++) {
		snprintf(peer, sizeof(peer), "%s:in_%u", target, c + 1);
		if (jack_connect(s->client, jack_port_name(s->out[c]), peer))
			return -1;
		snprintf(peer, sizeof(peer), "%s:out_%u", target, c + 1);
		if (jack_connect(s->client, peer, jack_port_name(s->in[c])))
			return -1;
	}
	return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

int main(int argc, char **argv)
{
	static struct soak s;
	const char *target = NULL;
	double seconds = 0;
	int opt;
	jack_status_t st;

	while ((opt = getopt(argc, argv, "t:c:d:")) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'c': s.ch = (unsigned)atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: cs-soak-jack [-t CLIENT -c CHANNELS] -d SECONDS\n");
			return 2;
		}
	}
	if (!(seconds > 0) || s.ch > SOAK_MAX_CH || (target && !s.ch)) {
		fprintf(stderr, "usage: cs-soak-jack [-t CLIENT -c CHANNELS] -d SECONDS\n");
		return 2;
	}
	if (!(s.client = jack_client_open(target ? "cssoak" : "cssoak-idle", JackNoStartServer,
					  &st))) {
		fprintf(stderr, "cs-soak-jack: cannot connect to the JACK server (0x%x)\n",
			(unsigned)st);
		return 1;
	}
	jack_set_xrun_callback(s.client, soak_xrun, &s);
	jack_on_shutdown(s.client, soak_shutdown, &s);
	if (target ? soak_ports(&s, target) < 0 : jack_activate(s.client) != 0) {
		fprintf(stderr, "cs-soak-jack: cannot set up the ports to %s\n", target);
		jack_client_close(s.client);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct timespec tick = {0, 100 * 1000 * 1000};
	for (double t = 0; t < seconds && !stop && !atomic_load(&s.gone); t += 0.1)
		nanosleep(&tick, NULL);
	int gone = atomic_load(&s.gone);
	if (!gone)
		jack_client_close(s.client);
	printf("cycles=%lu xruns=%u frames=%lu nonfinite=%lu peak=%.4g\n", atomic_load(&s.cycles),
	       atomic_load(&s.xruns), atomic_load(&s.frames), atomic_load(&s.nonfinite),
	       (double)s.peak);
	if (gone) {
		fprintf(stderr, "cs-soak-jack: the JACK server went away\n");
		return 1;
	}
	return 0;
}
