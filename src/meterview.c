#include "meterview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_WIDTH 12
#define BAR_FLOOR_DB (-60.0f)
/* Levels below this are shown as dashes rather than as the -150 dB floor. */
#define SHOW_FLOOR_DB (-99.9f)

struct meterview {
	struct engine *e;
	FILE *f;
	int tty;
	int reader;
	unsigned drawn; /* lines on screen from the last draw (terminal only) */
	float (*fields)[MF_COUNT]; /* last values per strip, kept when nothing new arrived */
	float *held_headroom;
	int *seen;
};

struct meterview *meterview_new(struct engine *e, FILE *f)
{
	struct meterview *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->e = e;
	v->f = f;
	v->tty = isatty(fileno(f));
	v->fields = calloc(e->nstrips, sizeof(*v->fields));
	v->held_headroom = calloc(e->nstrips, sizeof(*v->held_headroom));
	v->seen = calloc(e->nstrips, sizeof(*v->seen));
	if (!v->fields || !v->held_headroom || !v->seen)
		goto fail;
	if ((v->reader = engine_meter_reader_add(e)) < 0) {
		errno = -v->reader;
		goto fail;
	}
	return v;
fail:
	meterview_free(v);
	return NULL;
}

void meterview_free(struct meterview *v)
{
	if (!v)
		return;
	free(v->fields);
	free(v->held_headroom);
	free(v->seen);
	free(v);
}

unsigned meterview_interval_ms(const struct meterview *v) { return v->tty ? 100 : 1000; }

void meterview_clear(struct meterview *v)
{
	if (!v || !v->tty || !v->drawn)
		return;
	/* up to the first line of the block, then clear to the end of the screen */
	fprintf(v->f, "\r\033[%uA\033[J", v->drawn);
	fflush(v->f);
	v->drawn = 0;
}

/* "%6.1f", or dashes for a level that is effectively silence */
static void fmt_db(char *buf, size_t len, float db)
{
	if (db <= SHOW_FLOOR_DB)
		snprintf(buf, len, "%6s", "---");
	else
		snprintf(buf, len, "%6.1f", (double)db);
}

/* headroom of silence is the floor's 150 dB: dashes too */
static void fmt_hr(char *buf, size_t len, float db)
{
	if (db >= -SHOW_FLOOR_DB)
		snprintf(buf, len, "%5s", "---");
	else
		snprintf(buf, len, "%5.1f", (double)db);
}

static void bar(char *buf, float db)
{
	int fill = (int)((db - BAR_FLOOR_DB) / -BAR_FLOOR_DB * BAR_WIDTH + 0.5f);
	fill = fill < 0 ? 0 : fill > BAR_WIDTH ? BAR_WIDTH : fill;
	for (int i = 0; i < BAR_WIDTH; i++)
		buf[i] = i < fill ? '#' : '.';
	buf[BAR_WIDTH] = '\0';
}

/* The column title of gain-reduction field k: its stage's name ("gate" of "gate_gr_db"). */
static const char *gr_name(char *buf, size_t len, int k)
{
	const char *f = meter_field_names[MF_CLIPS + 1 + k];
	const char *end = strstr(f, "_gr_db");
	snprintf(buf, len, "%.*s", end ? (int)(end - f) : (int)strlen(f), f);
	return buf;
}

static unsigned term_rows(struct meterview *v)
{
	struct winsize ws;
	if (v->tty && ioctl(fileno(v->f), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 3)
		return ws.ws_row;
	return 0; /* unknown: no limit */
}

void meterview_draw(struct meterview *v, const char *status)
{
	struct engine *e = v->e;
	unsigned n = e->nstrips, rows = term_rows(v), shown = n, lines = 0;

	for (unsigned s = 0; s < n; s++) {
		struct meter_snapshot snap;
		struct meter_hold hold;
		if (engine_meter_read(e, v->reader, s, &snap, &hold) == 0) {
			engine_meter_fields(e, s, &snap, &hold, v->fields[s]);
			v->held_headroom[s] = meter_headroom_held_db(&hold);
			v->seen[s] = 1;
		}
	}
	/* keep the block on screen: the status line, the header and the strips that fit */
	if (rows && shown + 3 > rows)
		shown = rows - 3;

	meterview_clear(v);
	fprintf(v->f, "%s\n", status);
	fprintf(v->f, "strip  in dBu  %-*s  pk dBFS  headroom/held  GR", BAR_WIDTH, "");
	for (int k = 0; k < METER_GR_COUNT; k++) {
		char name[32];
		fprintf(v->f, " %*s", k ? 5 : 4, gr_name(name, sizeof(name), k));
	}
	fputs("  out pk  clips  out TP oclip  LUFS M      S      I    LRA\n", v->f);
	lines += 2;
	for (unsigned s = 0; s < shown; s++) {
		const float *f = v->fields[s];
		char dbu[16], pk[16], out[16], hr[16], hr_held[16], b[BAR_WIDTH + 1];
		if (!v->seen[s]) {
			fprintf(v->f, "%5u  (no audio yet)\n", s + 1);
			lines++;
			continue;
		}
		/* dBu is dBFS + calibration: judge silence on the dBFS value */
		fmt_db(dbu, sizeof(dbu),
		       f[MF_IN_RMS_DBFS] <= SHOW_FLOOR_DB ? DSP_DB_FLOOR : f[MF_IN_DBU]);
		fmt_db(pk, sizeof(pk), f[MF_IN_PEAK_DBFS]);
		fmt_db(out, sizeof(out), f[MF_OUT_PEAK_DBFS]);
		bar(b, f[MF_IN_PEAK_DBFS]);
		fmt_hr(hr, sizeof(hr), f[MF_HEADROOM_DB]);
		fmt_hr(hr_held, sizeof(hr_held), v->held_headroom[s]);
		fprintf(v->f, "%5u  %s  %s   %s   %s/%s  ", s + 1, dbu, b, pk, hr, hr_held);
		for (int k = 0; k < METER_GR_COUNT; k++)
			fprintf(v->f, " %*.1f", k ? 5 : 6, (double)f[MF_CLIPS + 1 + k]);
		char otp[16], lm[16], ls[16], li[16];
		fmt_db(otp, sizeof(otp), f[MF_OUT_TRUE_PEAK_DBTP]);
		fmt_db(lm, sizeof(lm), f[MF_LUFS_M]);
		fmt_db(ls, sizeof(ls), f[MF_LUFS_S]);
		fmt_db(li, sizeof(li), f[MF_LUFS_I]);
		fprintf(v->f, "  %s  %5.0f  %s %5.0f  %s %s %s %5.1f\n", out, (double)f[MF_CLIPS],
			otp, (double)f[MF_OUT_CLIPS], lm, ls, li, (double)f[MF_LRA]);
		lines++;
	}
	if (shown < n) {
		fprintf(v->f, "  ... %u more strips (enlarge the terminal)\n", n - shown);
		lines++;
	}
	if (!v->tty)
		fputc('\n', v->f);
	fflush(v->f);
	v->drawn = v->tty ? lines : 0;
}
