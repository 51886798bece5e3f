/* cs-jplayrec: plays a WAV file into a JACK client's inputs and records its outputs,
 * sample-aligned, for chanstrip's integration tests and the demo script.
 *
 *   cs-jplayrec -t CLIENT -p PLAY.wav [-r REC.wav] [-c CHANNELS] [-e EXTRA_MS]
 *
 * Two JACK clients in this process: "csplay" (out_1..N -> CLIENT:in_1..N) and "csrec"
 * (CLIENT:out_1..N -> in_1..N). The graph orders them csplay -> CLIENT -> csrec within
 * every cycle, and the recorder files each cycle at the player's position in that cycle, so REC's sample k is CLIENT's response to PLAY's sample k (plus the
 * CLIENT's own latency). Both count the player's frames rather than JACK's frame time,
 * which jumps when the server resets it after an xrun. Channel i plays file channel i modulo the file's channels. REC is
 * 32-bit float, the file's length plus EXTRA_MS (default 200 ms) long.
 *
 * Exit status: 0 done, 1 failure (message on stderr), 2 usage, 3 the recorder missed
 * cycles (an overloaded machine: the server skipped clients; try again, or run jackd -S). */
#include <errno.h>
#include <jack/jack.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CH 256

struct pr {
	jack_client_t *pc, *rc;
	jack_port_t *pout[MAX_CH], *rin[MAX_CH];
	unsigned ch;
	float **play; /* [ch][play_frames] */
	size_t play_frames;
	float **rec; /* [ch][rec_frames] */
	size_t rec_frames;
	atomic_int go, started, play_done, rec_done, gone;
	atomic_size_t played; /* frames the player has output since it started */
	size_t rec_next;      /* where the recorder expects the next cycle */
	atomic_uint rec_gaps; /* cycles the recorder missed or saw twice */
};

static int play_process(jack_nframes_t n, void *arg)
{
	struct pr *p = arg;
	if (atomic_load(&p->go) && !atomic_load(&p->started))
		atomic_store_explicit(&p->started, 1, memory_order_release);
	int on = atomic_load(&p->started);
	size_t pos = atomic_load(&p->played);
	for (unsigned c = 0; c < p->ch; c++) {
		float *out = jack_port_get_buffer(p->pout[c], n);
		for (jack_nframes_t i = 0; i < n; i++)
			out[i] = on && pos + i < p->play_frames ? p->play[c][pos + i] : 0.0f;
	}
	if (on) {
		atomic_store_explicit(&p->played, pos + n, memory_order_release);
		if (pos + n >= p->play_frames)
			atomic_store(&p->play_done, 1);
	}
	return 0;
}

/* Runs after the target, which runs after the player, in the same cycle: the player's count
 * already includes this cycle. */
static int rec_process(jack_nframes_t n, void *arg)
{
	struct pr *p = arg;
	if (!p->rec || !atomic_load_explicit(&p->started, memory_order_acquire) ||
	    atomic_load(&p->rec_done))
		return 0;
	size_t played = atomic_load_explicit(&p->played, memory_order_acquire);
	if (played < n) /* the player has not run this cycle yet: cannot happen in order */
		return 0;
	size_t pos = played - n;
	if (pos != p->rec_next)
		atomic_fetch_add(&p->rec_gaps, 1);
	p->rec_next = pos + n;
	if (pos >= p->rec_frames) {
		atomic_store(&p->rec_done, 1);
		return 0;
	}
	size_t k = p->rec_frames - pos < n ? p->rec_frames - pos : n;
	for (unsigned c = 0; c < p->ch; c++) {
		const float *in = jack_port_get_buffer(p->rin[c], n);
		memcpy(p->rec[c] + pos, in, k * sizeof(float));
	}
	if (pos + k >= p->rec_frames)
		atomic_store(&p->rec_done, 1);
	return 0;
}

static void on_shutdown(void *arg)
{
	struct pr *p = arg;
	atomic_store(&p->gone, 1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: cs-jplayrec -t CLIENT -p PLAY.wav [-r REC.wav] [-c CHANNELS] "
			"[-e EXTRA_MS]\n");
}

static float **alloc_channels(unsigned ch, size_t frames)
{
	float **v = calloc(ch, sizeof(*v));
	for (unsigned c = 0; v && c < ch; c++)
		if (!(v[c] = calloc(frames ? frames : 1, sizeof(float))))
			return NULL;
	return v;
}

static void free_channels(float **v, unsigned ch)
{
	for (unsigned c = 0; v && c < ch; c++)
		free(v[c]);
	free(v);
}

int main(int argc, char **argv)
{
	const char *target = NULL, *play_path = NULL, *rec_path = NULL;
	unsigned ch = 0, extra_ms = 200;
	struct pr p;
	char a[512], b[512];
	int opt;

	memset(&p, 0, sizeof(p));
	while ((opt = getopt(argc, argv, "t:p:r:c:e:h")) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'p': play_path = optarg; break;
		case 'r': rec_path = optarg; break;
		case 'c': ch = (unsigned)atoi(optarg); break;
		case 'e': extra_ms = (unsigned)atoi(optarg); break;
		default: usage(); return 2;
		}
	}
	if (!target || !play_path || ch > MAX_CH) {
		usage();
		return 2;
	}

	SF_INFO info = {0};
	SNDFILE *sf = sf_open(play_path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "cs-jplayrec: %s: %s\n", play_path, sf_strerror(NULL));
		return 1;
	}
	if (!ch)
		ch = (unsigned)info.channels;
	p.ch = ch;
	p.play_frames = (size_t)info.frames;
	float *inter = malloc((size_t)info.frames * info.channels * sizeof(float));
	p.play = alloc_channels(ch, p.play_frames);
	if (!inter || !p.play ||
	    sf_readf_float(sf, inter, info.frames) != info.frames) {
		fprintf(stderr, "cs-jplayrec: %s: cannot read\n", play_path);
		return 1;
	}
	sf_close(sf);
	for (unsigned c = 0; c < ch; c++)
		for (size_t i = 0; i < p.play_frames; i++)
			p.play[c][i] = inter[i * info.channels + c % (unsigned)info.channels];
	free(inter);

	jack_status_t st;
	p.pc = jack_client_open("csplay", JackNoStartServer, &st);
	p.rc = rec_path ? jack_client_open("csrec", JackNoStartServer, &st) : NULL;
	if (!p.pc || (rec_path && !p.rc)) {
		fprintf(stderr, "cs-jplayrec: cannot connect to the JACK server (status 0x%x)\n",
			(unsigned)st);
		return 1;
	}
	unsigned fs = jack_get_sample_rate(p.pc);
	if ((int)fs != info.samplerate) {
		fprintf(stderr, "cs-jplayrec: %s is %d Hz, the JACK server runs at %u Hz\n",
			play_path, info.samplerate, fs);
		return 1;
	}
	if (rec_path) {
		p.rec_frames = p.play_frames + (size_t)fs * extra_ms / 1000;
		if (!(p.rec = alloc_channels(ch, p.rec_frames))) {
			fprintf(stderr, "cs-jplayrec: out of memory\n");
			return 1;
		}
	}
	for (unsigned c = 0; c < ch; c++) {
		snprintf(a, sizeof(a), "out_%u", c + 1);
		p.pout[c] = jack_port_register(p.pc, a, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
		if (p.rc) {
			snprintf(a, sizeof(a), "in_%u", c + 1);
			p.rin[c] = jack_port_register(p.rc, a, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput,
						      0);
		}
		if (!p.pout[c] || (p.rc && !p.rin[c])) {
			fprintf(stderr, "cs-jplayrec: cannot register ports\n");
			return 1;
		}
	}
	jack_set_process_callback(p.pc, play_process, &p);
	jack_on_shutdown(p.pc, on_shutdown, &p);
	if (p.rc) {
		jack_set_process_callback(p.rc, rec_process, &p);
		jack_on_shutdown(p.rc, on_shutdown, &p);
	}
	if (jack_activate(p.pc) || (p.rc && jack_activate(p.rc))) {
		fprintf(stderr, "cs-jplayrec: cannot activate\n");
		return 1;
	}
	for (unsigned c = 0; c < ch; c++) {
		snprintf(b, sizeof(b), "%s:in_%u", target, c + 1);
		if (jack_connect(p.pc, jack_port_name(p.pout[c]), b)) {
			fprintf(stderr, "cs-jplayrec: cannot connect %s -> %s\n",
				jack_port_name(p.pout[c]), b);
			return 1;
		}
		if (p.rc) {
			snprintf(b, sizeof(b), "%s:out_%u", target, c + 1);
			if (jack_connect(p.rc, b, jack_port_name(p.rin[c]))) {
				fprintf(stderr, "cs-jplayrec: cannot connect %s -> %s\n", b,
					jack_port_name(p.rin[c]));
				return 1;
			}
		}
	}
	sleep_ms(200); /* let the new graph order take effect */
	atomic_store(&p.go, 1);

	/* bounded: the file's length plus 10 s */
	long limit_ms = (long)((p.rec_frames ? p.rec_frames : p.play_frames) * 1000 / fs) + 10000;
	for (long t = 0; !(p.rc ? atomic_load(&p.rec_done) : atomic_load(&p.play_done)); t += 10) {
		if (atomic_load(&p.gone)) {
			fprintf(stderr, "cs-jplayrec: the JACK server went away\n");
			return 1;
		}
		if (t > limit_ms) {
			fprintf(stderr, "cs-jplayrec: timed out (is the JACK server running?)\n");
			return 1;
		}
		sleep_ms(10);
	}
	if (p.rc)
		jack_client_close(p.rc);
	jack_client_close(p.pc);
	free_channels(p.play, ch);
	if (atomic_load(&p.rec_gaps)) {
		fprintf(stderr, "cs-jplayrec: the recorder missed %u cycles of the player's\n",
			atomic_load(&p.rec_gaps));
		free_channels(p.rec, ch);
		return 3;
	}

	if (rec_path) {
		SF_INFO oi = {.samplerate = (int)fs, .channels = (int)ch,
			      .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
		SNDFILE *out = sf_open(rec_path, SFM_WRITE, &oi);
		float *w = malloc(p.rec_frames * ch * sizeof(float));
		if (!out || !w) {
			fprintf(stderr, "cs-jplayrec: %s: cannot write\n", rec_path);
			return 1;
		}
		for (size_t i = 0; i < p.rec_frames; i++)
			for (unsigned c = 0; c < ch; c++)
				w[i * ch + c] = p.rec[c][i];
		if (sf_writef_float(out, w, (sf_count_t)p.rec_frames) != (sf_count_t)p.rec_frames ||
		    sf_close(out)) {
			fprintf(stderr, "cs-jplayrec: %s: write error\n", rec_path);
			return 1;
		}
		free(w);
	}
	free_channels(p.rec, ch);
	return 0;
}
