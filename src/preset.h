/* preset.h: preset files: plain text, one "[N:]key value" per line, '#' comments.
 *
 * A file with any bad line is rejected whole ("file:line: reason") and nothing of it is
 * applied. Names from OSC are plain ([A-Za-z0-9_-]+, at most PRESET_NAME_MAX) and are looked
 * up in the user folder, then the installed one: they can never reach another path. */
#ifndef CHANSTRIP_PRESET_H
#define CHANSTRIP_PRESET_H

#include <stddef.h>

#include "nr.h"
#include "params.h"
#include "paramio.h"

#define PRESET_NAME_MAX 64
#define PRESET_SUFFIX ".preset"
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
	size_t n;
	struct preset_profile *profiles; /* nr.profile lines, in file order */
	size_t nprofiles;
};

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

/* preset_save / preset_write_file with the strips' noise profiles as nr.profile lines
 * (nprof of them; a profile's strip is 0-based, -1 for every strip). */
int preset_save_profiles(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
			 const struct preset_profile *prof, size_t nprof, char *path,
			 size_t pathlen, char *err, size_t errlen);
int preset_write_file_profiles(const char *path, const char *title,
			       const float (*values)[P_COUNT], unsigned nstrips,
			       const struct preset_profile *prof, size_t nprof, char *err,
			       size_t errlen);

/* mkdir -p dir (mode 0755). 0 or -errno. */
int preset_mkdir_p(const char *dir);

/* Call fn for every preset name found (user folder first; a name shadowed by the user
 * folder is listed once). Returns the count. */
int preset_list(void (*fn)(void *ctx, const char *name, const char *dir), void *ctx);

#endif
