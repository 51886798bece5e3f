#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "autogain.h"
#include "denormal.h"
#include "control.h"
#include "engine.h"
#include "log.h"
#include "loudness.h"
#include "truepeak.h"

/* libsndfile opens a WAV whose data chunk runs past the end of the file and quietly shortens
 * it; its log says "data : N (should be M)". A cut-off recording must not pass for a whole
 * one, so that is an error here. Returns the promised frame count, or 0 if not truncated. */
static long long truncated_frames(SNDFILE *f, const SF_INFO *info)
{
	char log[8192];
	long long said, is;
	sf_command(f, SFC_GET_LOG_INFO, log, sizeof(log));
	const char *d = strstr(log, "\ndata : ");
	if (!d || sscanf(d, "\ndata : %lld (should be %lld)", &said, &is) != 2 || said <= is)
		return 0;
	/* bytes per frame from what libsndfile did read */
	long long bpf = info->frames > 0 ? is / info->frames : 0;
	return bpf > 0 ? said / bpf : said;
}

static int out_format_bits(const char *name)
{
	if (!strcmp(name, "pcm16"))
		return SF_FORMAT_PCM_16;
	if (!strcmp(name, "pcm24"))
		return SF_FORMAT_PCM_24;
	if (!strcmp(name, "pcm32"))
		return SF_FORMAT_PCM_32;
	return SF_FORMAT_FLOAT;
}

struct offline {
	const struct options *o;
	SNDFILE *in, *out;
	SF_INFO info;
	struct engine e;
	int engine_ok;
	struct atomicfile wav, csv;
	FILE *csvf;
	float *inter;        /* interleaved block */
	float **chin, **chout;
	const float **pin; /* chin/chout at the current offset, for strip_process_many() */
	float **pout;
	sf_count_t frames_in; /* read so far */
	uint64_t frames_done; /* processed so far (drives meter time) */
	uint64_t nonfinite;
	uint64_t out_clips; /* written samples at or above full scale */
	uint32_t meter_period, meter_left;
	struct meter_hold *hold;
	/* --loudness-target: what leaves the strips (or would), measured as one programme */
	int measure_only; /* the first pass: nothing is written */
	struct loudness_prog prog;
	struct loudness *prog_ch;
	struct truepeak *prog_tp;
	const float **prog_in;
};

static void csv_header(FILE *f)
{
	fputs("time_s,strip", f);
	for (int i = 0; i < MF_COUNT; i++)
		fprintf(f, ",%s", meter_field_names[i]);
	fputc('\n', f);
}

static void csv_rows(struct offline *x)
{
	struct meter_snapshot snap;
	float fields[MF_COUNT];
	double t = (double)x->frames_done / x->info.samplerate;
	for (int c = 0; c < x->info.channels; c++) {
		strip_meter_take(&x->e.strips[c], &snap);
		meter_hold_update(&x->hold[c], &snap);
		meter_fields(&snap, &x->hold[c], x->e.values[c][P_METER_CAL], fields);
		fprintf(x->csvf, "%.3f,%d", t, c + 1);
		for (int i = 0; i < MF_COUNT; i++)
			fprintf(x->csvf, i == MF_CLIPS ? ",%.0f" : ",%.2f", (double)fields[i]);
		fputc('\n', x->csvf);
	}
}

/* Run n frames of chin through the strips into chout, cutting at meter periods. */
static void process_frames(struct offline *x, uint32_t n, uint32_t off)
{
	while (n > 0) {
		uint32_t k = n < x->meter_left ? n : x->meter_left;
		for (int c = 0; c < x->info.channels; c++) {
			x->pin[c] = x->chin[c] + off;
			x->pout[c] = x->chout[c] + off;
		}
		strip_process_many(x->e.strips, (unsigned)x->info.channels, x->pin, x->pout, k);
		x->frames_done += k;
		x->meter_left -= k;
		if (x->meter_left == 0) {
			if (x->csvf)
				csv_rows(x);
			x->meter_left = x->meter_period;
		}
		off += k;
		n -= k;
	}
}

static int write_out(struct offline *x, uint32_t n, uint32_t skip)
{
	int ch = x->info.channels;
	if (skip >= n)
		return 0;
	if (x->prog_ch) {
		for (int c = 0; c < ch; c++)
			x->prog_in[c] = x->chout[c] + skip;
		loudness_prog_process(&x->prog, x->prog_in, n - skip);
	}
	if (x->measure_only)
		return 0;
	uint64_t clips = 0;
	for (uint32_t i = skip; i < n; i++)
		for (int c = 0; c < ch; c++) {
			float v = x->chout[c][i];
			x->inter[(size_t)(i - skip) * ch + c] = v;
			clips += fabsf(v) >= 1.0f;
		}
	x->out_clips += clips;
	sf_count_t w = sf_writef_float(x->out, x->inter, n - skip);
	return w == (sf_count_t)(n - skip) ? 0 : -EIO;
}

static int run(struct offline *x)
{
	const struct options *o = x->o;
	int ch = x->info.channels;
	uint32_t block = o->block;
	uint32_t latency = engine_latency(&x->e), skip = latency;
	sf_count_t got;

	/* the strips' latency is compensated: the first `latency` output frames are dropped and
	 * the same number of zeros flushed through at the end, so OUT lines up with IN */
	while ((got = sf_readf_float(x->in, x->inter, block)) > 0) {
		/* the strips make what is not audio silence, as under JACK (and meter it as
		 * clipped); it is only counted here, for the warning */
		for (sf_count_t i = 0; i < got; i++)
			for (int c = 0; c < ch; c++) {
				float v = x->inter[i * ch + c];
				x->nonfinite += (uint64_t)meter_not_audio(v);
				x->chin[c][i] = v;
			}
		x->frames_in += got;
		process_frames(x, (uint32_t)got, 0);
		uint32_t s = skip < got ? skip : (uint32_t)got;
		if (write_out(x, (uint32_t)got, s) < 0)
			return -EIO;
		skip -= s;
	}
	if (got < 0 || sf_error(x->in))
		return -EIO;
	for (uint32_t left = latency; left > 0;) {
		uint32_t k = left < block ? left : block;
		for (int c = 0; c < ch; c++)
			memset(x->chin[c], 0, k * sizeof(float));
		process_frames(x, k, 0);
		if (write_out(x, k, 0) < 0)
			return -EIO;
		left -= k;
	}
	/* a last partial meter period still gets its row */
	if (x->csvf && x->meter_left != x->meter_period)
		csv_rows(x);
	return 0;
}

static void loudness_report(struct offline *x, const char *when)
{
	printf("chanstrip: %s: %s: integrated %.2f LUFS, true peak %.2f dBTP, LRA %.1f LU\n",
	       x->o->out_path, when, loudness_prog_integrated(&x->prog),
	       loudness_prog_true_peak_db(&x->prog), loudness_prog_range(&x->prog));
}

static int prog_start(struct offline *x)
{
	int ch = x->info.channels;
	if (!x->prog_ch) {
		x->prog_ch = calloc(ch, sizeof(*x->prog_ch));
		x->prog_tp = calloc(ch, sizeof(*x->prog_tp));
		x->prog_in = calloc(ch, sizeof(*x->prog_in));
		if (!x->prog_ch || !x->prog_tp || !x->prog_in)
			return -ENOMEM;
	}
	return loudness_prog_init(&x->prog, (unsigned)ch, x->prog_ch, x->prog_tp,
				  (float)x->info.samplerate);
}

/* Rewind: the strips at out.gain base + g_db and the limiter on or as set, cleared, and the
 * input back at its start. 0, 1 (message printed) or a negative errno. */
static int loudness_restart(struct offline *x, const float *base, const float *lim, double g_db,
			    int lim_off)
{
	const struct param_def *d = &param_table[P_OUT_GAIN];
	if (sf_seek(x->in, 0, SEEK_SET) != 0)
		return -EIO;
	x->frames_in = 0;
	x->frames_done = 0;
	x->meter_left = x->meter_period;
	for (int c = 0; c < x->info.channels; c++) {
		float want = base[c] + (float)g_db;
		if (want > d->max || want < d->min) {
			fprintf(stderr, "chanstrip: %s: reaching %.1f LUFS needs out.gain %+.1f dB, "
					"outside %g .. %g dB\n", x->o->in_path,
				(double)x->o->loudness_target, (double)want, (double)d->min,
				(double)d->max);
			return 1;
		}
		engine_set(&x->e, c, P_OUT_GAIN, want);
		engine_set(&x->e, c, P_LIM_ENABLE, lim_off ? 0.0f : lim[c]);
		strip_reset(&x->e.strips[c]);
	}
	return prog_start(x) < 0 ? -ENOMEM : 0;
}

/* One measuring pass (nothing written): the programme's integrated loudness, or an error. */
static int loudness_measure(struct offline *x, double *lufs)
{
	FILE *csvf = x->csvf;
	x->csvf = NULL;
	x->measure_only = 1;
	int rc = run(x);
	x->measure_only = 0;
	x->csvf = csvf;
	*lufs = loudness_prog_integrated(&x->prog);
	return rc;
}

#define LOUD_TARGET_TOL_LU 0.2
#define LOUD_TARGET_PASSES 6

/* --loudness-target before the written pass: measure the whole file through the strips as
 * set but with the limiter off (the gain is judged on the level before it) and raise out.gain
 * by the difference. With the limiter on, taking peaks off lowers the loudness, so further
 * measuring passes through it (secant steps) refine the gain until the result is within
 * LOUD_TARGET_TOL_LU. The written pass (run()) then carries the gain before the limiter.
 * 0, 1 (message printed) or a negative errno. */
static int loudness_first_pass(struct offline *x)
{
	const struct options *o = x->o;
	int ch = x->info.channels, rc, any_lim = 0;
	float base[ENGINE_MAX_STRIPS], lim[ENGINE_MAX_STRIPS];
	double li, g, g_prev = 0.0, l_prev = 0.0;
	for (int c = 0; c < ch; c++) {
		base[c] = x->e.values[c][P_OUT_GAIN];
		lim[c] = x->e.values[c][P_LIM_ENABLE];
		any_lim |= lim[c] >= 0.5f;
	}
	if ((rc = loudness_restart(x, base, lim, 0.0, 1)) || (rc = loudness_measure(x, &li)))
		return rc;
	loudness_report(x, "before");
	if (li <= DSP_DB_FLOOR) {
		fprintf(stderr, "chanstrip: %s: no loudness to measure (silence below -70 LUFS): "
				"--loudness-target cannot set a gain\n", o->in_path);
		return 1;
	}
	g = o->loudness_target - li;
	/* the refining steps stay where out.gain can go on every strip (the first estimate is
	 * checked as it is: out of range there is out of range) */
	const struct param_def *d = &param_table[P_OUT_GAIN];
	double g_lo = -1e9, g_hi = 1e9;
	for (int c = 0; c < ch; c++) {
		g_lo = fmax(g_lo, d->min - base[c]);
		g_hi = fmin(g_hi, d->max - base[c]);
	}
	for (int pass = 0; any_lim && pass < LOUD_TARGET_PASSES; pass++) {
		double l;
		if ((rc = loudness_restart(x, base, lim, g, 0)) || (rc = loudness_measure(x, &l)))
			return rc;
		double err = o->loudness_target - l;
		if (fabs(err) <= LOUD_TARGET_TOL_LU)
			break;
		/* the limiter makes loudness grow slower than the gain: step along the secant */
		double slope = pass ? (l - l_prev) / (g - g_prev) : 1.0;
		slope = slope < 0.2 ? 0.2 : slope > 1.0 ? 1.0 : slope;
		g_prev = g, l_prev = l;
		double next = fmin(g_hi, fmax(g_lo, g + err / slope));
		if (next == g)
			break; /* at the end of out.gain's range: the best there is */
		g = next;
	}
	if ((rc = loudness_restart(x, base, lim, g, 0)))
		return rc;
	printf("chanstrip: %s: gain %+.2f dB (out.gain) for %.1f LUFS\n", o->out_path, g,
	       (double)o->loudness_target);
	return 0;
}

/* --autogain offline: the whole input's sample peak and converter clip events per channel
 * (runs of |x| >= METER_CLIP_LEVEL, as the input meter counts them), the same decision as
 * live, pre.gain set, one line per strip, and the input rewound. 0 or -EIO. */
static int autogain_offline(struct offline *x)
{
	const struct options *o = x->o;
	int ch = x->info.channels;
	float peak[ENGINE_MAX_STRIPS] = {0};
	uint64_t clips[ENGINE_MAX_STRIPS] = {0};
	int run[ENGINE_MAX_STRIPS] = {0};
	sf_count_t got;
	while ((got = sf_readf_float(x->in, x->inter, x->o->block)) > 0)
		for (sf_count_t i = 0; i < got; i++)
			for (int c = 0; c < ch; c++) {
				float a = fabsf(x->inter[i * ch + c]);
				int clip = !(a < METER_CLIP_LEVEL); /* NaN too */
				clips[c] += (uint64_t)(clip && !run[c]);
				run[c] = clip;
				if (!meter_not_audio(a))
					peak[c] = fmaxf(peak[c], a);
			}
	if (got < 0 || sf_seek(x->in, 0, SEEK_SET) != 0)
		return -EIO;
	for (int c = 0; c < ch; c++) {
		struct autogain_result r;
		autogain_decide(dsp_gain_to_db(peak[c]), clips[c], o->autogain_target_dbfs,
				x->e.values[c][P_PRE_GAIN], &r);
		if (r.set_gain)
			engine_set(&x->e, c, P_PRE_GAIN, r.gain_db);
		fprintf(stderr, "chanstrip: strip %d: auto gain %s: %s\n", c + 1,
			autogain_state_name(r.state), r.advice);
	}
	return 0;
}

static int alloc_buffers(struct offline *x)
{
	int ch = x->info.channels;
	x->inter = calloc((size_t)x->o->block * ch, sizeof(float));
	x->chin = calloc(ch, sizeof(float *));
	x->chout = calloc(ch, sizeof(float *));
	x->pin = calloc(ch, sizeof(*x->pin));
	x->pout = calloc(ch, sizeof(*x->pout));
	x->hold = calloc(ch, sizeof(*x->hold));
	if (!x->inter || !x->chin || !x->chout || !x->pin || !x->pout || !x->hold)
		return -ENOMEM;
	for (int c = 0; c < ch; c++) {
		x->chin[c] = calloc(x->o->block, sizeof(float));
		x->chout[c] = calloc(x->o->block, sizeof(float));
		if (!x->chin[c] || !x->chout[c])
			return -ENOMEM;
	}
	return 0;
}

static void offline_cleanup(struct offline *x)
{
	if (x->in)
		sf_close(x->in);
	if (x->out)
		sf_close(x->out);
	atomicfile_abandon(&x->wav);
	atomicfile_abandon(&x->csv);
	for (int c = 0; x->chin && c < x->info.channels; c++)
		free(x->chin[c]);
	for (int c = 0; x->chout && c < x->info.channels; c++)
		free(x->chout[c]);
	free(x->chin);
	free(x->chout);
	free(x->pin);
	free(x->pout);
	free(x->inter);
	free(x->hold);
	free(x->prog_ch);
	free(x->prog_tp);
	free(x->prog_in);
	if (x->engine_ok)
		engine_free(&x->e);
}


/* Open IN, a regular file only: a FIFO or a device could block the open or the reads for
 * ever, and a WAV header's length means nothing on a stream. The open does not block
 * (O_NONBLOCK), so nothing waits for a writer before the check. */
static int input_open_file(struct offline *x)
{
	const char *path = x->o->in_path;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return log_fail("%s: cannot read: %s", path, strerror(errno));
	const char *why = NULL;
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "is a directory, not a WAV file";
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file (a FIFO, device or socket): chanstrip reads WAV files only";
	if (why) {
		close(fd);
		return log_fail("%s: %s", path, why);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!(x->in = sf_open_fd(fd, SFM_READ, &x->info, SF_TRUE)))
		return log_fail("%s: not a readable audio file (%s)", path, sf_strerror(NULL));
	return 0;
}

/* Open IN and check what its header says. 0, or -1 with the one line printed. */
static int input_open(struct offline *x)
{
	const char *path = x->o->in_path;
	const SF_INFO *in = &x->info;
	if (input_open_file(x) < 0)
		return -1;
	long long promised = truncated_frames(x->in, in);
	if (promised)
		return log_fail("%s: truncated: the header promises %lld frames, the file holds "
				  "%lld",
				  path, promised, (long long)in->frames);
	if (in->frames <= 0)
		return log_fail("%s: no audio in the file (0 frames)", path);
	if (in->channels < 1 || in->channels > ENGINE_MAX_STRIPS)
		return log_fail("%s: %d channels; chanstrip runs 1 to %d strips", path,
				  in->channels, ENGINE_MAX_STRIPS);
	if (in->samplerate < DSP_FS_MIN || in->samplerate > DSP_FS_MAX)
		return log_fail("%s: sample rate %d Hz is not supported (%.0f to %.0f Hz)", path,
				  in->samplerate, (double)DSP_FS_MIN, (double)DSP_FS_MAX);
	return 0;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "chanstrip: " __VA_ARGS__);                                        \
		fputc('\n', stderr);                                                               \
		offline_cleanup(&x);                                                               \
		return 1;                                                                          \
	} while (0)

int offline_run(struct options *o)
{
	struct offline x;
	size_t bad = 0;
	int rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	dsp_denormals_flush();
	x.wav.fd = x.csv.fd = -1;
	if (input_open(&x) < 0) {
		offline_cleanup(&x);
		return 1;
	}
	if ((rc = engine_init(&x.e, (unsigned)x.info.channels, (float)x.info.samplerate,
			      o->arch)) < 0)
		FAIL("cannot set up %d strips: %s", x.info.channels, strerror(-rc));
	x.engine_ok = 1;
	char fit[512];
	if ((rc = options_fit_strips(o, (unsigned)x.info.channels, fit,
				     sizeof(fit))) < 0) {
		fprintf(stderr, "chanstrip: %s (%s)\n", fit, o->in_path);
		offline_cleanup(&x);
		return 2; /* a bad command line for this file, as documented */
	}
	if (rc > 0)
		fprintf(stderr, "chanstrip: %s (%s)\n", fit, o->in_path);
	if ((rc = engine_apply(&x.e, o->assign, o->nassign, &bad)) < 0) {
		if (rc == -ENODEV)
			FAIL("--set/--preset: strip %d does not exist: %s has %d channel%s",
			     o->assign[bad].strip + 1, o->in_path, x.info.channels,
			     x.info.channels == 1 ? "" : "s");
		FAIL("--set/--preset: %s", strerror(-rc));
	}
	if ((rc = ctl_nr_profiles_apply(&x.e, o->profiles, o->nprofiles)) < 0) {
		FAIL("--preset: nr.profile: %s", rc == -ENODEV ? "no such strip" : strerror(-rc));
	}
	if (alloc_buffers(&x) < 0)
		FAIL("out of memory");

	SF_INFO oi = {.samplerate = x.info.samplerate, .channels = x.info.channels,
		      .format = SF_FORMAT_WAV | out_format_bits(o->out_format)};
	if ((rc = atomicfile_open(&x.wav, o->out_path)) < 0)
		FAIL("%s: cannot create: %s", o->out_path, strerror(-rc));
	/* libsndfile leaves the descriptor open: atomicfile_commit() syncs and closes it */
	if (!(x.out = sf_open_fd(x.wav.fd, SFM_WRITE, &oi, SF_FALSE)))
		FAIL("%s: cannot write WAV: %s", o->out_path, sf_strerror(NULL));
	/* no PEAK chunk: it carries a timestamp, and the same input and settings must give the
	 * same file, byte for byte */
	sf_command(x.out, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	/* float output that overshoots full scale stays as it is; integer output is clipped */
	sf_command(x.out, SFC_SET_CLIPPING, NULL, SF_TRUE);
	if (o->meters_path) {
		if ((rc = atomicfile_open(&x.csv, o->meters_path)) < 0 ||
		    !(x.csvf = atomicfile_stream(&x.csv)))
			FAIL("%s: cannot create: %s", o->meters_path, strerror(rc < 0 ? -rc : errno));
		csv_header(x.csvf);
	}
	x.meter_period = (uint32_t)lround(x.info.samplerate * OFFLINE_METER_PERIOD_MS / 1000.0);
	x.meter_left = x.meter_period;

	if (o->autogain && autogain_offline(&x) < 0)
		FAIL("%s: read error in the auto gain pass", o->in_path);
	if (o->loudness_target_given && (rc = loudness_first_pass(&x)) != 0) {
		if (rc < 0)
			FAIL("%s: read error in the measuring pass", o->in_path);
		offline_cleanup(&x);
		return 1;
	}
	if ((rc = run(&x)) < 0) {
		if (sf_error(x.in))
			FAIL("%s: read error after %lld frames: %s", o->in_path, (long long)x.frames_in,
			     sf_strerror(x.in));
		FAIL("%s: write error: %s", o->out_path, sf_strerror(x.out));
	}
	if (x.frames_in < x.info.frames)
		FAIL("%s: truncated: the header promises %lld frames, only %lld could be read",
		     o->in_path, (long long)x.info.frames, (long long)x.frames_in);
	/* PCM cannot hold full scale or more: say so, and refuse unless told (float keeps
	 * every value and never fails; the out_clips meter counts either way) */
	int pcm = strcmp(o->out_format, "float") != 0;
	if (pcm && x.out_clips && !o->allow_clip)
		FAIL("%s: %llu samples at or above full scale would clip in %s (nothing written): "
		     "lower out.gain, set lim.enable=1, use --out-format float, or pass --allow-clip",
		     o->out_path, (unsigned long long)x.out_clips, o->out_format);
	if (sf_close(x.out) != 0) {
		x.out = NULL;
		FAIL("%s: write error on close", o->out_path);
	}
	x.out = NULL;
	/* both synced before either is renamed: a write error leaves neither behind */
	const char *step;
	if ((rc = atomicfile_sync(&x.wav, &step)) < 0)
		FAIL("%s: cannot %s: %s", o->out_path, step, strerror(-rc));
	if (o->meters_path && (rc = atomicfile_sync(&x.csv, &step)) < 0)
		FAIL("%s: cannot %s: %s", o->meters_path, step, strerror(-rc));
	x.csvf = NULL; /* closed by the sync */
	if ((rc = atomicfile_commit(&x.wav, &step)) < 0)
		FAIL("%s: cannot %s: %s", o->out_path, step, strerror(-rc));
	if (o->meters_path && (rc = atomicfile_commit(&x.csv, &step)) < 0)
		FAIL("%s: cannot %s: %s", o->meters_path, step, strerror(-rc));
	if (pcm && x.out_clips)
		fprintf(stderr, "chanstrip: %s: warning: %llu samples clipped at full scale in %s\n",
			o->out_path, (unsigned long long)x.out_clips, o->out_format);
	if (o->loudness_target_given) {
		loudness_report(&x, "after");
		double miss = loudness_prog_integrated(&x.prog) - o->loudness_target;
		if (fabs(miss) > 0.5)
			fprintf(stderr, "chanstrip: %s: warning: %.1f LU from the %.1f LUFS target "
					"(out.gain at the end of its range)\n",
				o->out_path, miss, (double)o->loudness_target);
	}
	if (x.nonfinite)
		fprintf(stderr,
			"chanstrip: %s: warning: %llu NaN/Inf samples replaced by silence "
			"(|x| >= 2^32 included)\n",
			o->in_path, (unsigned long long)x.nonfinite);
	offline_cleanup(&x);
	return 0;
}
