/* meterview.c: the --meter-view terminal view; see meterview.h.
 *
 * What the view shows comes from the chain and the meter table, not from a list of its own:
 * the gain-reduction rows are the chain's stages that have gr_take (their "<name>_gr_db"
 * field), and every meter field it does not place on a bar or in a heading is listed by name
 * under the strip. A stage or meter field added to dsp/ therefore appears here unedited.
 *
 * The full-screen view draws with curses on a duplicate of the terminal's descriptor, and
 * points descriptor 2 at a non-blocking pipe meanwhile: whatever any thread (or libjack)
 * writes to standard error lands in a ring of lines, the newest shown on the last line,
 * instead of scrolling the view away. The pipe never blocks a writer; the ring is replayed
 * on standard error when the view ends, so no message is lost from the log. */
#include "meterview.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strip.h"

/* The level bars span this many dB below full scale; the gain-reduction bars 0..MV_GR_DB. */
#define MV_FLOOR_DB (-60.0f)
#define MV_GR_DB 24.0f
/* Levels below this are shown as dashes rather than as the -150 dB floor. */
#define MV_SHOW_FLOOR_DB (-99.9f)
#define MV_NAME_W 8  /* the row label column: "  deess " */
#define MV_VAL_W 21  /* the figures right of a bar: three "%6s" and their spaces */
#define MV_BAR_MIN 10
#define MV_TOP_ROWS 5 /* status, keys, level scale, GR scale, column heading */
#define MV_LOG_LINES 64
#define MV_LOG_LEN 200

struct mv_log {
	char line[MV_LOG_LINES][MV_LOG_LEN];
	unsigned first, n;  /* ring: oldest, count */
	unsigned long lost; /* lines pushed out of the ring */
	char part[MV_LOG_LEN];
	size_t part_len;
};

struct meterview {
	struct engine *e;
	unsigned nstrips;
	FILE *f;
	int reader;
	int quit;
	unsigned first; /* first strip on screen (scrolling) */
	float (*fields)[MF_COUNT]; /* last values per strip, kept when nothing new arrived */
	float (*held)[MF_COUNT];   /* the highest value of each field since the last reset */
	float *held_headroom;
	int *seen;
	/* from the chain and the meter table */
	int gr_field[MF_COUNT], extra_field[MF_COUNT];
	const char *gr_name[MF_COUNT];
	unsigned ngr, nextra;
	/* full screen */
	SCREEN *scr;
	FILE *term_out, *term_in;
	int saved_err; /* descriptor 2 as it was, -1 when not redirected */
	int log_fd;    /* read end of the pipe descriptor 2 points at */
	struct mv_log log;
};

/* ---- what to show -------------------------------------------------------------------- */

static int field_index(const char *name)
{
	for (int j = 0; j < MF_COUNT; j++)
		if (!strcmp(meter_field_names[j], name))
			return j;
	return -1;
}

/* The fields placed on bars and headings; the rest are listed by name. */
static int field_shown(int j)
{
	static const int placed[] = {MF_IN_RMS_DBFS,       MF_IN_DBU,      MF_IN_DBV,
				     MF_IN_PEAK_DBFS,      MF_HEADROOM_DB, MF_CLIPS,
				     MF_IN_TRUE_PEAK_DBTP, MF_OUT_PEAK_DBFS, MF_OUT_RMS_DBFS};
	for (size_t i = 0; i < sizeof(placed) / sizeof(placed[0]); i++)
		if (placed[i] == j)
			return 1;
	return 0;
}

static void layout_from_chain(struct meterview *v)
{
	int is_gr[MF_COUNT] = {0};
	for (unsigned i = 0; i < strip_chain_len; i++) {
		char name[64];
		if (!strip_chain[i]->gr_take)
			continue;
		snprintf(name, sizeof(name), "%s_gr_db", strip_chain[i]->name);
		int j = field_index(name);
		if (j < 0)
			continue;
		is_gr[j] = 1;
		v->gr_field[v->ngr] = j;
		v->gr_name[v->ngr++] = strip_chain[i]->name;
	}
	for (int j = 0; j < MF_COUNT; j++)
		if (!is_gr[j] && !field_shown(j))
			v->extra_field[v->nextra++] = j;
}

static void held_reset(struct meterview *v)
{
	for (unsigned s = 0; s < v->nstrips; s++) {
		for (int j = 0; j < MF_COUNT; j++)
			v->held[s][j] = DSP_DB_FLOOR;
		for (unsigned k = 0; k < v->ngr; k++)
			v->held[s][v->gr_field[k]] = 0.0f;
	}
}

/* Take the meters merged since the last read; keep the highest of each. */
static void meters_read(struct meterview *v)
{
	for (unsigned s = 0; s < v->nstrips; s++) {
		struct meter_snapshot snap;
		struct meter_hold hold;
		if (engine_meter_read(v->e, v->reader, s, &snap, &hold) != 0)
			continue;
		engine_meter_fields(v->e, s, &snap, &hold, v->fields[s]);
		v->held_headroom[s] = meter_headroom_held_db(&hold);
		v->seen[s] = 1;
		for (int j = 0; j < MF_COUNT; j++)
			if (v->fields[s][j] > v->held[s][j])
				v->held[s][j] = v->fields[s][j];
	}
}

/* r: held peaks and gain reduction here, held true peak and clips in the engine, and what
 * the reader had merged before the key (it would bring the old peaks back). */
static void reset_held(struct meterview *v)
{
	struct meter_snapshot snap;
	struct meter_hold hold;
	engine_meter_reset_hold(v->e, -1);
	for (unsigned s = 0; s < v->nstrips; s++) {
		engine_meter_read(v->e, v->reader, s, &snap, &hold);
		v->held_headroom[s] = -DSP_DB_FLOOR;
		v->fields[s][MF_CLIPS] = 0.0f;
	}
	held_reset(v);
}

/* "%6.1f", or dashes for a level that is effectively silence */
static const char *fmt_db(char *buf, size_t len, float db)
{
	if (db <= MV_SHOW_FLOOR_DB)
		snprintf(buf, len, "%6s", "---");
	else
		snprintf(buf, len, "%6.1f", (double)db);
	return buf;
}

/* headroom of silence is the floor's 150 dB: dashes too */
static const char *fmt_hr(char *buf, size_t len, float db)
{
	if (db >= -MV_SHOW_FLOOR_DB)
		snprintf(buf, len, "%s", "---");
	else
		snprintf(buf, len, "%.1f", (double)db);
	return buf;
}

/* ---- standard error into a ring while the view runs ---------------------------------- */

static void log_push(struct mv_log *l, const char *s, size_t n)
{
	unsigned slot;
	if (l->n == MV_LOG_LINES) {
		slot = l->first;
		l->first = (l->first + 1) % MV_LOG_LINES;
		l->lost++;
	} else {
		slot = (l->first + l->n++) % MV_LOG_LINES;
	}
	n = n < MV_LOG_LEN - 1 ? n : MV_LOG_LEN - 1;
	memcpy(l->line[slot], s, n);
	l->line[slot][n] = '\0';
}

static void log_drain(struct meterview *v)
{
	struct mv_log *l = &v->log;
	char buf[1024];
	ssize_t got;
	if (v->log_fd < 0)
		return;
	while ((got = read(v->log_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				log_push(l, l->part, l->part_len);
				l->part_len = 0;
			} else if (l->part_len < MV_LOG_LEN - 1) {
				l->part[l->part_len++] = buf[i];
			}
		}
	}
}

static const char *log_last(const struct mv_log *l)
{
	return l->n ? l->line[(l->first + l->n - 1) % MV_LOG_LINES] : NULL;
}

/* Point descriptor 2 at a pipe; 0 or -1 (nothing changed). */
static int log_capture(struct meterview *v)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	v->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (v->saved_err < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		if (v->saved_err >= 0)
			close(v->saved_err);
		v->saved_err = -1;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	v->log_fd = p[0];
	return 0;
}

/* Give descriptor 2 back and print what the ring holds. */
static void log_release(struct meterview *v)
{
	struct mv_log *l = &v->log;
	if (v->saved_err < 0)
		return;
	fflush(stderr);
	log_drain(v);
	if (l->part_len)
		log_push(l, l->part, l->part_len);
	dup2(v->saved_err, STDERR_FILENO);
	close(v->saved_err);
	close(v->log_fd);
	v->saved_err = v->log_fd = -1;
	if (l->lost)
		fprintf(stderr, "chanstrip: (%lu earlier log lines of the meter view not kept)\n",
			l->lost);
	for (unsigned i = 0; i < l->n; i++)
		fprintf(stderr, "%s\n", l->line[(l->first + i) % MV_LOG_LINES]);
	l->n = 0;
}

/* ---- full screen ----------------------------------------------------------------------- */

enum { MV_C_OK = 1, MV_C_HOT, MV_C_OVER, MV_C_GR };

static int screen_start(struct meterview *v)
{
	int in_fd = isatty(STDIN_FILENO) ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
					 : open("/dev/tty", O_RDONLY | O_CLOEXEC);
	int out_fd = fcntl(fileno(v->f), F_DUPFD_CLOEXEC, 3);
	const char *term = getenv("TERM");
	if (!term || !*term || !strcmp(term, "dumb") || in_fd < 0 || out_fd < 0)
		goto fail;
	if ((v->term_in = fdopen(in_fd, "r")))
		in_fd = -1; /* the stream owns it now */
	if ((v->term_out = fdopen(out_fd, "w")))
		out_fd = -1;
	if (!v->term_in || !v->term_out)
		goto fail;
	if (!(v->scr = newterm(NULL, v->term_out, v->term_in)))
		goto fail;
	set_term(v->scr);
	cbreak(); /* not raw: ^C still stops chanstrip through its signal handling */
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(MV_C_OK, COLOR_GREEN, -1);
		init_pair(MV_C_HOT, COLOR_YELLOW, -1);
		init_pair(MV_C_OVER, COLOR_RED, -1);
		init_pair(MV_C_GR, COLOR_CYAN, -1);
	}
	if (log_capture(v) < 0) {
		endwin();
		goto fail;
	}
	return 0;
fail:
	if (v->scr)
		delscreen(v->scr);
	v->scr = NULL;
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (v->term_in)
		fclose(v->term_in);
	if (v->term_out)
		fclose(v->term_out);
	v->term_in = v->term_out = NULL;
	return -1;
}

void meterview_stop(struct meterview *v)
{
	if (!v || !v->scr)
		return;
	endwin();
	delscreen(v->scr);
	v->scr = NULL;
	fclose(v->term_out);
	fclose(v->term_in);
	v->term_in = v->term_out = NULL;
	log_release(v);
}

/* Width of the bars at the current terminal width. */
static int bar_width(void)
{
	int w = COLS - MV_NAME_W - 2 - MV_VAL_W;
	return w < MV_BAR_MIN ? MV_BAR_MIN : w;
}

/* Column of the bar cell for a value from lo (cell 0) to hi (the last cell), clamped. */
static int bar_pos(float x, float lo, float hi, int w)
{
	int p = (int)((x - lo) / (hi - lo) * (float)w + 0.5f);
	return p < 0 ? 0 : p > w ? w : p;
}

/* Text at (y, x), cut at the right edge: nothing ever wraps. */
static void put(int y, int x, const char *s)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	mvaddnstr(y, x, s, COLS - x);
}

/* Column of the label for a mark: centred on its bar position, inside the bar. */
static int label_x(float mark, float lo, float hi, int len)
{
	int w = bar_width(), x0 = MV_NAME_W + 1;
	int x = x0 + bar_pos(mark, lo, hi, w) - len / 2;
	x = x + len > x0 + w ? x0 + w - len : x;
	return x < x0 ? x0 : x;
}

/* A scale row: both end labels always, the ones between where they do not touch. */
static void scale_row(int y, const char *title, const float *marks, int nmarks, float lo,
		      float hi, const char *unit)
{
	char lab[16];
	int last_len = snprintf(lab, sizeof(lab), "%g", (double)marks[nmarks - 1]);
	int last_x = label_x(marks[nmarks - 1], lo, hi, last_len), next = 0;
	put(y, 0, title);
	put(y, last_x, lab);
	for (int i = 0; i < nmarks - 1; i++) {
		int len = snprintf(lab, sizeof(lab), "%g", (double)marks[i]);
		int x = label_x(marks[i], lo, hi, len);
		if (x < next || x + len + 1 > last_x)
			continue;
		put(y, x, lab);
		next = x + len + 1;
	}
	put(y, MV_NAME_W + bar_width() + 2, unit);
}

static void header(const char *status)
{
	static const float lv[] = {-60, -48, -36, -24, -18, -12, -6, -3, 0};
	static const float gr[] = {0, 3, 6, 9, 12, 18, 24};
	int w = bar_width();
	char h[160];
	attron(A_BOLD);
	put(0, 0, status);
	attroff(A_BOLD);
	put(1, 0, "keys: q quit  r reset held peaks and clips  up/down scroll");
	scale_row(2, "level", lv, sizeof(lv) / sizeof(lv[0]), MV_FLOOR_DB, 0.0f, "dBFS");
	scale_row(3, "GR", gr, sizeof(gr) / sizeof(gr[0]), 0.0f, MV_GR_DB, "dB");
	snprintf(h, sizeof(h), "%-*s%-*s %6s %6s %6s", MV_NAME_W + 1, "",
		 w + 1, "# RMS  : peak  | held peak", "RMS", "peak", "held");
	attron(A_UNDERLINE);
	put(4, 0, h);
	attroff(A_UNDERLINE);
}

static int level_color(float db)
{
	return db > -3.0f ? MV_C_OVER : db > -18.0f ? MV_C_HOT : MV_C_OK;
}

/* [###::::   |   ]: solid to the RMS, lighter to the peak, a mark at the held peak. */
static void level_bar(int y, const char *label, float rms, float peak, float held)
{
	int w = bar_width(), r = bar_pos(rms, MV_FLOOR_DB, 0.0f, w);
	int p = bar_pos(peak, MV_FLOOR_DB, 0.0f, w), h = bar_pos(held, MV_FLOOR_DB, 0.0f, w);
	char a[16], b[16], c[16], vals[64];
	put(y, 0, label);
	put(y, MV_NAME_W, "[");
	for (int i = 0; i < w; i++) {
		float db = MV_FLOOR_DB * (1.0f - (float)(i + 1) / (float)w);
		int ch = i < r ? '#' : i < p ? ':' : (held > MV_FLOOR_DB && i == h - 1) ? '|' : ' ';
		attrset(i < p || ch == '|' ? COLOR_PAIR(level_color(db)) : A_NORMAL);
		if (i < r)
			attron(A_BOLD);
		mvaddch(y, MV_NAME_W + 1 + i, (chtype)ch);
	}
	attrset(A_NORMAL);
	put(y, MV_NAME_W + 1 + w, "]");
	snprintf(vals, sizeof(vals), " %s %s %s", fmt_db(a, sizeof(a), rms),
		 fmt_db(b, sizeof(b), peak), fmt_db(c, sizeof(c), held));
	put(y, MV_NAME_W + 2 + w, vals);
}

/* Gain reduction k: filled to the reduction now, a mark at the most since the reset. */
static void gr_bar(int y, const char *name, float gr, float held)
{
	int w = bar_width(), g = bar_pos(gr, 0.0f, MV_GR_DB, w);
	int h = bar_pos(held, 0.0f, MV_GR_DB, w);
	char label[32], vals[64];
	snprintf(label, sizeof(label), "  %s", name);
	put(y, 0, label);
	put(y, MV_NAME_W, "[");
	attrset(COLOR_PAIR(MV_C_GR));
	for (int i = 0; i < w; i++)
		mvaddch(y, MV_NAME_W + 1 + i,
			(chtype)(i < g ? '<' : (held > 0.05f && i == h - 1) ? '|' : ' '));
	attrset(A_NORMAL);
	put(y, MV_NAME_W + 1 + w, "]");
	snprintf(vals, sizeof(vals), " %6.1f %6s %6.1f", (double)gr, "", (double)held);
	put(y, MV_NAME_W + 2 + w, vals);
}

/* Rows one strip takes: heading, in, out, a GR row per dynamics stage, the other fields. */
/* The other fields, "name value" each at a fixed width, packed into rows of the terminal's
 * width: each goes at column x of row y (relative), and the rows they take. */
#define MV_EXTRA_VAL_W 8 /* " %7.1f" */
static int extras_place(const struct meterview *v, unsigned i, int *y, int *x)
{
	int row = 0, col = 1, width = COLS > 20 ? COLS : 20;
	for (unsigned k = 0; k < v->nextra; k++) {
		int w = 1 + (int)strlen(meter_field_names[v->extra_field[k]]) + MV_EXTRA_VAL_W;
		if (col > 1 && col + w > width)
			row++, col = 1;
		if (k == i) {
			*y = row, *x = col;
			return row + 1;
		}
		col += w;
	}
	return v->nextra ? row + 1 : 0;
}

static int strip_rows(const struct meterview *v)
{
	int y = 0, x = 1;
	return 3 + (int)v->ngr + extras_place(v, v->nextra, &y, &x);
}

static void strip_heading(struct meterview *v, int y, unsigned s)
{
	const float *f = v->fields[s];
	char t[256], a[16], b[16], c[16], d[16];
	if (!v->seen[s]) {
		snprintf(t, sizeof(t), "strip %u  (no audio yet)", s + 1);
	} else {
		/* dBu is dBFS + calibration: judge silence on the dBFS value */
		float dbu = f[MF_IN_RMS_DBFS] <= MV_SHOW_FLOOR_DB ? DSP_DB_FLOOR : f[MF_IN_DBU];
		fmt_db(a, sizeof(a), dbu);
		snprintf(t, sizeof(t), "strip %u  %s dBu  TP %s dBTP  headroom %s/%s  clips %.0f",
			 s + 1, a + strspn(a, " "),
			 fmt_db(b, sizeof(b), f[MF_IN_TRUE_PEAK_DBTP]) + strspn(b, " "),
			 fmt_hr(c, sizeof(c), f[MF_HEADROOM_DB]),
			 fmt_hr(d, sizeof(d), v->held_headroom[s]), (double)f[MF_CLIPS]);
	}
	attron(A_BOLD);
	put(y, 0, t);
	attroff(A_BOLD);
}

/* The fields the view has no place for, by name: "name value" pairs, wrapped at the
 * terminal's width (extras_place). */
static void strip_extras(struct meterview *v, int y, unsigned s)
{
	for (unsigned i = 0; i < v->nextra; i++) {
		char t[96];
		int j = v->extra_field[i], dy = 0, x = 1;
		extras_place(v, i, &dy, &x);
		snprintf(t, sizeof(t), "%s %7.1f", meter_field_names[j], (double)v->fields[s][j]);
		put(y + dy, x, t);
	}
}

static void strip_draw(struct meterview *v, int y, unsigned s)
{
	const float *f = v->fields[s], *h = v->held[s];
	strip_heading(v, y++, s);
	level_bar(y++, "  in", f[MF_IN_RMS_DBFS], f[MF_IN_PEAK_DBFS], h[MF_IN_PEAK_DBFS]);
	level_bar(y++, "  out", f[MF_OUT_RMS_DBFS], f[MF_OUT_PEAK_DBFS], h[MF_OUT_PEAK_DBFS]);
	for (unsigned k = 0; k < v->ngr; k++)
		gr_bar(y++, v->gr_name[k], f[v->gr_field[k]], h[v->gr_field[k]]);
	if (v->nextra)
		strip_extras(v, y, s);
}

static void keys(struct meterview *v, unsigned fit)
{
	int ch;
	while ((ch = getch()) != ERR) {
		unsigned step = ch == KEY_NPAGE || ch == KEY_PPAGE ? fit : 1;
		if (ch == 'q' || ch == 'Q')
			v->quit = 1;
		else if (ch == 'r' || ch == 'R')
			reset_held(v);
		else if (ch == KEY_DOWN || ch == KEY_NPAGE)
			v->first += step;
		else if (ch == KEY_UP || ch == KEY_PPAGE)
			v->first = v->first > step ? v->first - step : 0;
		/* KEY_RESIZE: curses has the new size; the draw below uses it */
	}
	if (v->first + fit > v->nstrips)
		v->first = v->nstrips > fit ? v->nstrips - fit : 0;
}

static void screen_draw(struct meterview *v, const char *status)
{
	int rows = LINES - MV_TOP_ROWS - 2; /* the log line, and the "more" line */
	unsigned fit = rows > 0 ? (unsigned)(rows / strip_rows(v)) : 0;
	const char *last;
	fit = fit ? fit : 1;
	keys(v, fit);
	log_drain(v);
	erase();
	header(status);
	unsigned end = v->first + fit < v->nstrips ? v->first + fit : v->nstrips;
	for (unsigned s = v->first; s < end; s++)
		strip_draw(v, MV_TOP_ROWS + (int)(s - v->first) * strip_rows(v), s);
	if (v->first > 0 || end < v->nstrips) {
		char t[96];
		snprintf(t, sizeof(t), "strips %u-%u of %u (up/down for more)", v->first + 1, end,
			 v->nstrips);
		put(LINES - 2, 0, t);
	}
	if ((last = log_last(&v->log))) {
		attron(A_REVERSE);
		put(LINES - 1, 0, last);
		attroff(A_REVERSE);
	}
	refresh();
}

/* ---- plain blocks (not a terminal) ------------------------------------------------------ */

static void plain_draw(struct meterview *v, const char *status)
{
	char a[16], b[16], c[16], d[16]; /* one buffer per figure of a line */
	fprintf(v->f, "%s\n", status);
	for (unsigned s = 0; s < v->nstrips; s++) {
		const float *f = v->fields[s];
		if (!v->seen[s]) {
			fprintf(v->f, "strip %u: no audio yet\n", s + 1);
			continue;
		}
		fprintf(v->f, "strip %u: in rms %s peak %s held %s dBFS, headroom %s", s + 1,
			fmt_db(a, sizeof(a), f[MF_IN_RMS_DBFS]),
			fmt_db(b, sizeof(b), f[MF_IN_PEAK_DBFS]),
			fmt_db(c, sizeof(c), v->held[s][MF_IN_PEAK_DBFS]),
			fmt_hr(d, sizeof(d), f[MF_HEADROOM_DB]));
		for (unsigned k = 0; k < v->ngr; k++)
			fprintf(v->f, ", %s gr %.1f", v->gr_name[k], (double)f[v->gr_field[k]]);
		for (unsigned i = 0; i < v->nextra; i++)
			fprintf(v->f, ", %s %.1f", meter_field_names[v->extra_field[i]],
				(double)f[v->extra_field[i]]);
		fprintf(v->f, ", out peak %s, clips %.0f\n",
			fmt_db(a, sizeof(a), f[MF_OUT_PEAK_DBFS]), (double)f[MF_CLIPS]);
	}
	fputc('\n', v->f);
	fflush(v->f);
}

/* ---- the interface ---------------------------------------------------------------------- */

struct meterview *meterview_new(struct engine *e, FILE *f)
{
	struct meterview *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->e = e;
	v->f = f;
	v->nstrips = engine_nstrips(e);
	v->saved_err = v->log_fd = -1;
	v->fields = calloc(v->nstrips, sizeof(*v->fields));
	v->held = calloc(v->nstrips, sizeof(*v->held));
	v->held_headroom = calloc(v->nstrips, sizeof(*v->held_headroom));
	v->seen = calloc(v->nstrips, sizeof(*v->seen));
	if (!v->fields || !v->held || !v->held_headroom || !v->seen)
		goto fail;
	if ((v->reader = engine_meter_reader_add(e)) < 0) {
		errno = -v->reader;
		goto fail;
	}
	layout_from_chain(v);
	held_reset(v);
	if (isatty(fileno(f)))
		screen_start(v); /* else, or when curses cannot drive it: plain blocks */
	return v;
fail:
	meterview_free(v);
	return NULL;
}

void meterview_free(struct meterview *v)
{
	if (!v)
		return;
	meterview_stop(v);
	free(v->fields);
	free(v->held);
	free(v->held_headroom);
	free(v->seen);
	free(v);
}

unsigned meterview_interval_ms(const struct meterview *v) { return v->scr ? 100 : 1000; }

int meterview_quit(const struct meterview *v) { return v && v->quit; }

void meterview_clear(struct meterview *v) { (void)v; }

void meterview_draw(struct meterview *v, const char *status)
{
	meters_read(v);
	if (v->scr)
		screen_draw(v, status);
	else
		plain_draw(v, status);
}
