/* preset.h: preset files: plain text, one "[N:]key value" per line, '#' comments. A preset is a
 * delta over the parameter table's defaults: loading one first puts every parameter its lines do
 * not set back to its default, so a load gives the same state whatever was loaded before. A file
 * with any bad line is rejected whole ("file:line: reason") and nothing of it is applied; lines
 * for strips a run does not have are skipped with one notice (preset_fit_strips). Names from OSC
 * are plain ([A-Za-z0-9_-]+, at most PRESET_NAME_MAX) and are looked up in the user folder, then
 * the installed one: they can never reach another path. */
#ifndef CHANSTRIP_PRESET_H
#define CHANSTRIP_PRESET_H

#include <stddef.h>

#include "nr.h"
#include "midi.h"
#include "params.h"
#include "paramio.h"

#define PRESET_NAME_MAX 64
#define PRESET_SUFFIX ".preset"
/* "shipped:NAME" names the installed preset even when a user preset of that name hides it */
#define PRESET_SHIPPED_PREFIX "shipped:"
/* Larger files are refused (one line: "file: too large"): a preset is a few kB, and a huge
 * file would stall the thread loading it (the OSC receive thread for /preset/load). */
#define PRESET_FILE_MAX (1024 * 1024)

/* A learned noise profile (nr.h): the line "[N:]nr.profile DB DB ..." with
 * NR_PROFILE_POINTS numbers, noise density in dB re full scale per Hz at nr_profile_hz(0..),
 * 20 Hz to 20 kHz log-spaced. strip -1: every strip. */
struct preset_profile {
	int strip;
	float db[NR_PROFILE_POINTS];
};

struct preset {
	struct param_assign *assign;
	struct param_src *src; /* [n]: preset 1, the file's line (0 for a default) */
	size_t n;
	struct preset_profile *profiles; /* nr.profile lines, in file order */
	size_t nprofiles;
	/* "midi.map PATH ch ctl [mode] [min max]" lines (checked for form only; a transport
	 * resolves the paths). "reset" and "N:reset" lines become assignments of every
	 * parameter's default (all strips, or strip N), so later lines start from defaults. */
	struct midi_spec *midi;
	size_t nmidi;
};

/* What a transport keeps in presets beside the values (the MIDI maps): check resolves
 * every map before anything is applied; apply replaces the maps (only called when the
 * preset has maps: a preset without any keeps the current ones); text gives the lines to
 * save ("midi.map ...\n" each). */
struct preset_ext {
	int (*check)(void *ctx, const struct midi_spec *s, size_t n, char *why, size_t whylen);
	void (*apply)(void *ctx, const struct midi_spec *s, size_t n);
	size_t (*text)(void *ctx, char *buf, size_t len);
	void *ctx;
};
/* Room for the maps' lines in a preset. */
#define PRESET_EXT_TEXT_MAX 32768

void preset_free(struct preset *p);

/* Parse a file: the defaults of every parameter its lines do not set for every strip, then
 * its lines (src[i]: preset 1 and the line). 0, or -errno with "path:line: reason" (or
 * "path: reason") in err. */
int preset_load_file(const char *path, struct preset *out, char *err, size_t errlen);

/* 1 if name is a plain preset name. */
int preset_name_valid(const char *name);

/* The user's preset folder: $CHANSTRIP_PRESET_HOME, else $XDG_CONFIG_HOME/chanstrip/presets,
 * else ~/.config/chanstrip/presets. */
int preset_user_dir(char *buf, size_t len);

/* The folders searched for names, in order (user, installed, and the source tree's presets/
 * when running uninstalled). Returns how many were written (at most max). */
int preset_search_dirs(char dirs[][512], int max);

/* A reference is a plain name or "shipped:" and a plain name; returns the name, and sets
 * *shipped_only for the latter. */
const char *preset_ref_name(const char *ref, int *shipped_only);
/* 1 if ref is a plain name or shipped:NAME. */
int preset_ref_valid(const char *ref);
/* 1 if name is one of the installed (shipped) presets. */
int preset_is_shipped(const char *name);

/* If ref is a plain name that found path in the user folder while a shipped preset of that
 * name exists: 1 and a one-line notice in msg (shipped:NAME reaches the hidden one). */
int preset_hides_shipped(const char *ref, const char *path, char *msg, size_t len);

/* Find a reference in the search folders (shipped:NAME skips the user folder): 0 and the
 * path, -EINVAL (not a reference) or -ENOENT. */
int preset_find_name(const char *name, char *path, size_t len);

/* The closest preset name to a mistyped reference, in buf (with the shipped: prefix if ref
 * had it). 1 if one is close enough, else 0. */
int preset_suggest_name(const char *ref, char *buf, size_t len);

/* --preset NAME|shipped:NAME|FILE: a reference is looked up; anything else is a file path. */
int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen);

/* Fit assignments to a run of nstrips strips, in place. Preset lines (src[i].line > 0) for strips
 * it does not have are dropped; names[k-1] names preset k for the messages. Returns 0; 1 with
 * one notice in msg when lines were dropped; -ENODEV with the error in msg when a --set
 * (preset 0) names a missing strip or every line of a preset was dropped. */
int preset_fit_strips(struct param_assign *a, struct param_src *src, size_t *n, unsigned nstrips,
		      const char *const *names, unsigned nnames, char *msg, size_t len);

/* Write values for nstrips strips as a preset named name in the user folder, atomically (temporary
 * file, fsync, rename). A shipped preset's name is refused (-EEXIST): a user preset of that name
 * would silently change what the name loads in every later run. Keys whose value is the same on
 * every strip are written once without a strip number. Returns 0 or -errno with a message in err;
 * path gets the file written. */
int preset_save(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		char *path, size_t pathlen, char *err, size_t errlen);

/* Write values as a preset file at an explicit path (session state), atomically: temporary
 * file beside it, fsync, rename. title goes in the header comment. 0 or -errno + err. */
int preset_write_file(const char *path, const char *title, const float (*values)[P_COUNT],
		      unsigned nstrips, char *err, size_t errlen);
/* What a preset or session file carries besides the values: the strips' noise profiles as
 * nr.profile lines (nprof of them; a profile's strip is 0-based, -1 for every strip) and a
 * transport's text lines (the MIDI maps, "midi.map ...\n" each; NULL: none). */
struct preset_extras {
	const struct preset_profile *prof;
	size_t nprof;
	const char *text;
};
/* preset_write_file / preset_save with those (x NULL: none). */
int preset_write_file_ext(const char *path, const char *title, const float (*values)[P_COUNT],
			  unsigned nstrips, const struct preset_extras *x, char *err,
			  size_t errlen);
int preset_save_ext(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		    const struct preset_extras *x, char *path, size_t pathlen, char *err,
		    size_t errlen);

/* mkdir -p dir (mode 0755). 0 or -errno. */
int preset_mkdir_p(const char *dir);

/* Call fn for every preset name found (user folder first; a name shadowed by the user
 * folder is listed once). Returns the count. */
int preset_list(void (*fn)(void *ctx, const char *name, const char *dir), void *ctx);

#endif
