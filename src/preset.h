/* preset.h: preset files: plain text, one "[N:]key value" per line, '#' comments.
 *
 * A file with any bad line is rejected whole ("file:line: reason") and nothing of it is
 * applied. Names from OSC are plain ([A-Za-z0-9_-]+, at most PRESET_NAME_MAX) and are looked
 * up in the user folder, then the installed one: they can never reach another path. */
#ifndef CHANSTRIP_PRESET_H
#define CHANSTRIP_PRESET_H

#include <stddef.h>

#include "midi.h"
#include "params.h"
#include "paramio.h"

#define PRESET_NAME_MAX 64
#define PRESET_SUFFIX ".preset"
/* Larger files are refused (one line: "file: too large"): a preset is a few kB, and a huge
 * file would stall the thread loading it (the OSC receive thread for /preset/load). */
#define PRESET_FILE_MAX (1024 * 1024)

struct preset {
	struct param_assign *assign;
	size_t n;
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

/* Parse a file. 0, or -errno with "path:line: reason" (or "path: reason") in err. */
int preset_load_file(const char *path, struct preset *out, char *err, size_t errlen);

/* 1 if name is a plain preset name. */
int preset_name_valid(const char *name);

/* The user's preset folder: $CHANSTRIP_PRESET_HOME, else $XDG_CONFIG_HOME/chanstrip/presets,
 * else ~/.config/chanstrip/presets. */
int preset_user_dir(char *buf, size_t len);

/* The folders searched for names, in order (user, installed, and the source tree's presets/
 * when running uninstalled). Returns how many were written (at most max). */
int preset_search_dirs(char dirs[][512], int max);

/* Find a plain name in the search folders: 0 and the path, -EINVAL (not a plain name) or
 * -ENOENT. */
int preset_find_name(const char *name, char *path, size_t len);

/* --preset NAME|FILE: a plain name is looked up; anything else is a file path. */
int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen);

/* Write values for nstrips strips as a preset named name in the user folder, atomically
 * (temporary file, fsync, rename). Keys whose value is the same on every strip are written
 * once without a strip number. Returns 0 or -errno with a message in err; path gets the
 * file written. */
int preset_save(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		char *path, size_t pathlen, char *err, size_t errlen);

/* Write values as a preset file at an explicit path (session state), atomically: temporary
 * file beside it, fsync, rename. title goes in the header comment. 0 or -errno + err. */
int preset_write_file(const char *path, const char *title, const float (*values)[P_COUNT],
		      unsigned nstrips, char *err, size_t errlen);
/* The same with extra lines (the MIDI maps; NULL: none) after the values. */
int preset_write_file_ext(const char *path, const char *title, const float (*values)[P_COUNT],
			  unsigned nstrips, const char *extra, char *err, size_t errlen);
int preset_save_ext(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		    const char *extra, char *path, size_t pathlen, char *err, size_t errlen);

/* mkdir -p dir (mode 0755). 0 or -errno. */
int preset_mkdir_p(const char *dir);

/* Call fn for every preset name found (user folder first; a name shadowed by the user
 * folder is listed once). Returns the count. */
int preset_list(void (*fn)(void *ctx, const char *name, const char *dir), void *ctx);

#endif
