#include "preset.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "atomicfile.h"
#include "config.h"
#include "suggest.h"

void preset_free(struct preset *p)
{
	free(p->assign);
	free(p->src);
	free(p->profiles);
	free(p->midi);
	p->assign = NULL;
	p->src = NULL;
	p->n = 0;
	p->profiles = NULL;
	p->nprofiles = 0;
	p->midi = NULL;
	p->nmidi = 0;
}

/* "[N:]nr.profile DB ..." -> a profile: 1 if the line is one (0 if not, -1 with the reason
 * if it is one but malformed). */
static int preset_parse_profile(const char *s, struct preset_profile *out, char *why,
				size_t len)
{
	const char *key = s;
	char *end;
	out->strip = -1;
	if (*s >= '0' && *s <= '9') {
		long n = strtol(s, &end, 10);
		if (*end != ':')
			return 0;
		if (n < 1 || n > 256) {
			snprintf(why, len, "strip %ld out of range (1 .. 256)", n);
			return -1;
		}
		out->strip = (int)n - 1;
		key = end + 1;
	}
	if (strncmp(key, "nr.profile", 10) || (key[10] != ' ' && key[10] != '\t'))
		return 0;
	const char *v = key + 10;
	for (unsigned i = 0; i < NR_PROFILE_POINTS; i++) {
		double d = strtod(v, &end);
		if (end == v || !(d >= -200.0 && d <= 0.0)) {
			snprintf(why, len, "nr.profile: value %u %s (expected %u numbers -200 .. 0 dB)",
				 i + 1, end == v ? "missing" : "out of range", NR_PROFILE_POINTS);
			return -1;
		}
		out->db[i] = (float)d;
		v = end;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v) {
		snprintf(why, len, "nr.profile: more than %u values", NR_PROFILE_POINTS);
		return -1;
	}
	return 1;
}

static int preset_add_profile(struct preset *p, const struct preset_profile *pr)
{
	struct preset_profile *a = realloc(p->profiles, (p->nprofiles + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->profiles = a;
	p->profiles[p->nprofiles++] = *pr;
	return 0;
}

/* ---- the lines that are not "[N:]key value": reset and midi.map ---- */

static int preset_grow(struct preset *p, size_t *cap, size_t more);

/* "reset" or "N:reset": every parameter's default. 1 if s is such a line (0: not one,
 * -errno with the reason in why). */
static int preset_reset_line(const char *s, struct preset *p, size_t *cap, char *why,
			     size_t whylen)
{
	int strip = -1;
	const char *colon = strchr(s, ':');
	if (strcmp(colon ? colon + 1 : s, "reset"))
		return 0;
	if (colon) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end != colon || v < 1 || v > 256) {
			snprintf(why, whylen, "'%.20s': strip number 1..256 expected before ':reset'", s);
			return -EINVAL;
		}
		strip = (int)v - 1;
	}
	if (preset_grow(p, cap, P_COUNT) < 0) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (int k = 0; k < P_COUNT; k++)
		p->assign[p->n++] = (struct param_assign){strip, (enum param_id)k, param_table[k].def};
	return 1;
}

/* "midi.map PATH ch ctl [mode] [min max]". 1 if s is one, 0 if not, -errno + why. */
static int preset_midi_line(const char *s, struct preset *p, char *why, size_t whylen)
{
	struct midi_spec spec;
	if (strncmp(s, "midi.map", 8) || (s[8] != ' ' && s[8] != '\t'))
		return 0;
	if (midi_spec_parse(s + 9, &spec, why, whylen) < 0)
		return -EINVAL;
	if (p->nmidi >= 1024) {
		snprintf(why, whylen, "too many midi.map lines");
		return -EINVAL;
	}
	struct midi_spec *v = realloc(p->midi, (p->nmidi + 1) * sizeof(*v));
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	p->midi = v;
	p->midi[p->nmidi++] = spec;
	return 1;
}

int preset_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > PRESET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return 0;
	return 1;
}

/* Strip a '#' comment and surrounding white space (CRLF files included) in place. */
static char *preset_trim_line(char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *s = line, *e = line + strlen(line);
	while (isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Open a preset for reading, refusing what would stall the caller (the OSC thread loads
 * presets): anything but a regular file (a FIFO would block forever) and files over
 * PRESET_FILE_MAX. NULL with *rc = -errno and one line in err. */
static FILE *preset_open_read(const char *path, char *err, size_t errlen, int *rc)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	*rc = 0;
	if (fstat(fd, &st) < 0) {
		*rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		*rc = -EISDIR;
		snprintf(err, errlen, "%s: is a directory", path);
	} else if (!S_ISREG(st.st_mode)) {
		*rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
	} else if (st.st_size > PRESET_FILE_MAX) {
		*rc = -EFBIG;
		snprintf(err, errlen, "%s: too large (%lld bytes, at most %d)", path,
			 (long long)st.st_size, PRESET_FILE_MAX);
	}
	FILE *f = *rc ? NULL : fdopen(fd, "r");
	if (!f) {
		if (!*rc) {
			*rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		}
		close(fd);
	}
	return f;
}

/* A preset is a delta over the table's defaults: every parameter its lines do not set for
 * every strip goes back to its default first, so a load gives the same state whatever was
 * loaded before. The defaults go first, the file's lines after them (same order as the
 * file, so a later line still wins). */
static int preset_start_from_defaults(struct preset *p)
{
	unsigned char set_all[P_COUNT] = {0};
	size_t ndef = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->assign[i].strip < 0)
			set_all[p->assign[i].id] = 1;
	for (int k = 0; k < P_COUNT; k++)
		ndef += !set_all[k];
	struct param_assign *a = malloc((p->n + ndef) * sizeof(*a));
	struct param_src *src = malloc((p->n + ndef) * sizeof(*src));
	if (!a || !src) {
		free(a);
		free(src);
		return -ENOMEM;
	}
	size_t o = 0;
	for (int k = 0; k < P_COUNT; k++)
		if (!set_all[k]) {
			src[o] = (struct param_src){.preset = 1, .line = 0};
			a[o++] = (struct param_assign){.strip = -1, .id = (enum param_id)k,
						       .value = param_table[k].def};
		}
	for (size_t i = 0; i < p->n; i++, o++) {
		a[o] = p->assign[i];
		src[o] = p->src[i];
	}
	free(p->assign);
	free(p->src);
	p->assign = a;
	p->src = src;
	p->n = o;
	return 0;
}

/* Room for more assignments (and their sources) in p. 0 or -ENOMEM. */
static int preset_grow(struct preset *p, size_t *cap, size_t more)
{
	if (p->n + more <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < p->n + more)
		c *= 2;
	struct param_assign *a = realloc(p->assign, c * sizeof(*a));
	if (a)
		p->assign = a;
	struct param_src *src = a ? realloc(p->src, c * sizeof(*src)) : NULL;
	if (!src)
		return -ENOMEM;
	p->src = src;
	*cap = c;
	return 0;
}

int preset_load_file(const char *path, struct preset *out, char *err, size_t errlen)
{
	char why[256];
	char *line = NULL;
	size_t linecap = 0, cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = 0;
	struct preset p = {0};
	FILE *f = preset_open_read(path, err, errlen, &rc);
	size_t total = 0;

	if (!f)
		return rc;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		lineno++;
		total += (size_t)len;
		if (total > PRESET_FILE_MAX) { /* it grew while we read it */
			snprintf(err, errlen, "%s: too large (more than %d bytes)", path,
				 PRESET_FILE_MAX);
			rc = -EFBIG;
			break;
		}
		if ((size_t)len != strlen(line) || len > 1000) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 len > 1000 ? "line too long" : "not a text line (NUL byte)");
			rc = -EINVAL;
			break;
		}
		char *s = preset_trim_line(line);
		if (!*s)
			continue;
		size_t n0 = p.n;
		if ((rc = preset_reset_line(s, &p, &cap, why, sizeof(why))) == 0)
			rc = preset_midi_line(s, &p, why, sizeof(why));
		for (size_t k = n0; k < p.n; k++) /* a reset line's assignments */
			p.src[k] = (struct param_src){.preset = 1, .line = lineno};
		if (rc < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
		if (rc > 0) {
			rc = 0;
			continue;
		}
		if (preset_grow(&p, &cap, 1) < 0) {
			rc = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			break;
		}
		struct preset_profile pr;
		int isprof = preset_parse_profile(s, &pr, why, sizeof(why));
		if (isprof < 0 || (isprof > 0 && preset_add_profile(&p, &pr) < 0)) {
			rc = isprof < 0 ? -EINVAL : -ENOMEM;
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 isprof < 0 ? why : "out of memory");
			break;
		}
		if (isprof)
			continue;
		if ((rc = paramio_parse_assign(s, ' ', &p.assign[p.n], why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
		p.src[p.n++] = (struct param_src){.preset = 1, .line = lineno};
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	if (!rc && (rc = preset_start_from_defaults(&p)) < 0)
		snprintf(err, errlen, "%s: out of memory", path);
	free(line);
	fclose(f);
	if (rc < 0) {
		preset_free(&p);
		return rc;
	}
	*out = p;
	return 0;
}

int preset_user_dir(char *buf, size_t len)
{
	const char *v;
	int n;
	if ((v = getenv("CHANSTRIP_PRESET_HOME")) && *v)
		n = snprintf(buf, len, "%s", v);
	else if ((v = getenv("XDG_CONFIG_HOME")) && *v)
		n = snprintf(buf, len, "%s/chanstrip/presets", v);
	else if ((v = getenv("HOME")) && *v)
		n = snprintf(buf, len, "%s/.config/chanstrip/presets", v);
	else
		return -ENOENT;
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int preset_search_dirs(char dirs[][512], int max)
{
	int n = 0;
	if (n < max && preset_user_dir(dirs[n], 512) == 0)
		n++;
	if (n < max && is_dir(CHANSTRIP_PRESET_DIR))
		snprintf(dirs[n++], 512, "%s", CHANSTRIP_PRESET_DIR);
	/* an uninstalled build finds the presets it was built from */
	if (n < max && is_dir(CHANSTRIP_SOURCE_PRESET_DIR) &&
	    strcmp(CHANSTRIP_SOURCE_PRESET_DIR, CHANSTRIP_PRESET_DIR) != 0)
		snprintf(dirs[n++], 512, "%s", CHANSTRIP_SOURCE_PRESET_DIR);
	return n;
}

const char *preset_ref_name(const char *ref, int *shipped_only)
{
	size_t pl = strlen(PRESET_SHIPPED_PREFIX);
	*shipped_only = !strncmp(ref, PRESET_SHIPPED_PREFIX, pl);
	return *shipped_only ? ref + pl : ref;
}

int preset_ref_valid(const char *ref)
{
	int shipped;
	return preset_name_valid(preset_ref_name(ref, &shipped));
}

int preset_find_name(const char *ref, char *path, size_t len)
{
	char dirs[3][512], user[512];
	int shipped;
	const char *name = preset_ref_name(ref, &shipped);
	if (!preset_name_valid(name))
		return -EINVAL;
	int n = preset_search_dirs(dirs, 3);
	int have_user = preset_user_dir(user, sizeof(user)) == 0;
	for (int i = 0; i < n; i++) {
		if (shipped && have_user && !strcmp(dirs[i], user))
			continue;
		struct stat st;
		int w = snprintf(path, len, "%s/%s%s", dirs[i], name, PRESET_SUFFIX);
		if (w > 0 && (size_t)w < len && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

struct near_preset {
	struct suggest sg;
	char names[256][PRESET_NAME_MAX + 1];
	int n;
};

static void near_one(void *ctx, const char *name, const char *dir)
{
	struct near_preset *np = ctx;
	(void)dir;
	if (np->n == 256)
		return;
	snprintf(np->names[np->n], sizeof(np->names[np->n]), "%s", name);
	suggest_offer(&np->sg, np->names[np->n++]);
}

int preset_suggest_name(const char *ref, char *buf, size_t len)
{
	int shipped;
	struct near_preset *np = malloc(sizeof(*np));
	if (!np)
		return 0;
	suggest_init(&np->sg, preset_ref_name(ref, &shipped));
	np->n = 0;
	preset_list(near_one, np);
	const char *best = suggest_best(&np->sg);
	if (best)
		snprintf(buf, len, "%s%s", shipped ? PRESET_SHIPPED_PREFIX : "", best);
	free(np);
	return best != NULL;
}

int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen)
{
	char path[1024], near[PRESET_NAME_MAX + 16];
	if (preset_ref_valid(name_or_path)) {
		if (preset_find_name(name_or_path, path, sizeof(path)) == 0)
			return preset_load_file(path, out, err, errlen);
		/* a plain name that is also a file in the current folder */
		if (access(name_or_path, R_OK) != 0) {
			if (preset_suggest_name(name_or_path, near, sizeof(near)))
				snprintf(err, errlen, "preset '%s' not found (did you mean %s? see "
						      "/preset/list or the FILES section of "
						      "chanstrip(1))", name_or_path, near);
			else
				snprintf(err, errlen, "preset '%s' not found (see /preset/list or the "
						      "FILES section of chanstrip(1))", name_or_path);
			return -ENOENT;
		}
	}
	return preset_load_file(name_or_path, out, err, errlen);
}

int preset_mkdir_p(const char *dir)
{
	char buf[512];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void write_profiles(FILE *f, const struct preset_profile *prof, size_t nprof)
{
	for (size_t i = 0; i < nprof; i++) {
		if (prof[i].strip >= 0)
			fprintf(f, "%d:", prof[i].strip + 1);
		fputs("nr.profile", f);
		for (unsigned k = 0; k < NR_PROFILE_POINTS; k++)
			fprintf(f, " %.2f", prof[i].db[k]);
		fputc('\n', f);
	}
}

static void write_preset(FILE *f, const char *title, const float (*v)[P_COUNT],
			 unsigned nstrips, const struct preset_extras *x)
{
	char buf[64];
	fprintf(f, "# chanstrip: %s (%u strip%s), saved by chanstrip %s\n", title, nstrips,
		nstrips == 1 ? "" : "s", CHANSTRIP_VERSION);
	fputs("# one '[N:]key value' per line; see chanstrip(1), PRESETS\n", f);
	for (int p = 0; p < P_COUNT; p++) {
		int same = 1;
		for (unsigned s = 1; s < nstrips; s++)
			same &= v[s][p] == v[0][p];
		for (unsigned s = 0; s < (same ? 1 : nstrips); s++) {
			paramio_format_value((enum param_id)p, v[s][p], buf, sizeof(buf));
			if (same)
				fprintf(f, "%s %s\n", param_table[p].key, buf);
			else
				fprintf(f, "%u:%s %s\n", s + 1, param_table[p].key, buf);
		}
	}
	if (x) {
		write_profiles(f, x->prof, x->nprof);
		if (x->text)
			fputs(x->text, f);
	}
}

int preset_write_file(const char *path, const char *title, const float (*values)[P_COUNT],
		      unsigned nstrips, char *err, size_t errlen)
{
	return preset_write_file_ext(path, title, values, nstrips, NULL, err, errlen);
}

int preset_write_file_ext(const char *path, const char *title, const float (*values)[P_COUNT],
			  unsigned nstrips, const struct preset_extras *x, char *err,
			  size_t errlen)
{
	struct atomicfile a;
	FILE *f;
	int rc = atomicfile_open(&a, path);
	if (rc == -ENAMETOOLONG) {
		snprintf(err, errlen, "%s: path too long", path);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!(f = atomicfile_stream(&a))) {
		rc = -errno;
		atomicfile_abandon(&a);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	write_preset(f, title, values, nstrips, x);
	if ((rc = atomicfile_commit(&a, NULL)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

int preset_save(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		char *path, size_t pathlen, char *err, size_t errlen)
{
	return preset_save_ext(name, values, nstrips, NULL, path, pathlen, err, errlen);
}

int preset_save_ext(const char *name, const float (*values)[P_COUNT], unsigned nstrips,
		    const struct preset_extras *x, char *path, size_t pathlen, char *err,
		    size_t errlen)
{
	char dir[512];
	int rc;
	if (!preset_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a preset name (letters, digits, - and _)", name);
		return -EINVAL;
	}
	if ((rc = preset_user_dir(dir, sizeof(dir))) < 0) {
		snprintf(err, errlen, "no user preset folder (set HOME or XDG_CONFIG_HOME)");
		return rc;
	}
	if (preset_is_shipped(name)) {
		snprintf(err, errlen, "'%s' is a shipped preset: save under another name (a user "
				      "preset of that name would change what '%s' loads everywhere)",
			 name, name);
		return -EEXIST;
	}
	if ((rc = preset_mkdir_p(dir)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if (snprintf(path, pathlen, "%s/%s%s", dir, name, PRESET_SUFFIX) >= (int)pathlen) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	return preset_write_file_ext(path, name, values, nstrips, x, err, errlen);
}

int preset_list(void (*fn)(void *ctx, const char *name, const char *dir), void *ctx)
{
	char dirs[3][512];
	char seen[256][PRESET_NAME_MAX + 1];
	int nseen = 0;
	int n = preset_search_dirs(dirs, 3);
	for (int i = 0; i < n; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char name[PRESET_NAME_MAX + 1];
			size_t len = strlen(de->d_name), sl = strlen(PRESET_SUFFIX);
			if (len <= sl || len - sl > PRESET_NAME_MAX ||
			    strcmp(de->d_name + len - sl, PRESET_SUFFIX) != 0)
				continue;
			memcpy(name, de->d_name, len - sl);
			name[len - sl] = '\0';
			if (!preset_name_valid(name))
				continue;
			int dup = 0;
			for (int k = 0; k < nseen && !dup; k++)
				dup = strcmp(seen[k], name) == 0;
			if (dup || nseen == 256)
				continue;
			strcpy(seen[nseen++], name);
			fn(ctx, name, dirs[i]);
		}
		closedir(d);
	}
	return nseen;
}

int preset_is_shipped(const char *name)
{
	char ref[PRESET_NAME_MAX + 16], path[1024];
	if (!preset_name_valid(name))
		return 0;
	snprintf(ref, sizeof(ref), "%s%s", PRESET_SHIPPED_PREFIX, name);
	return preset_find_name(ref, path, sizeof(path)) == 0;
}

int preset_hides_shipped(const char *ref, const char *path, char *msg, size_t len)
{
	char user[512];
	size_t ul;
	if (!preset_name_valid(ref) || preset_user_dir(user, sizeof(user)) < 0)
		return 0;
	ul = strlen(user);
	if (strncmp(path, user, ul) != 0 || path[ul] != '/' || !preset_is_shipped(ref))
		return 0;
	snprintf(msg, len, "preset '%s' is your own (%s), which hides the shipped one; "
			   "%s%s loads that", ref, path, PRESET_SHIPPED_PREFIX, ref);
	return 1;
}

/* Drop preset lines for strips a run does not have, counting kept and dropped lines per
 * preset; *hi gets the highest strip dropped. Returns how many were dropped. */
static size_t fit_drop(struct param_assign *a, struct param_src *src, size_t *n,
		       unsigned nstrips, unsigned *kept, unsigned *dropped, unsigned nk,
		       unsigned *hi)
{
	size_t o = 0, gone = 0;
	for (size_t i = 0; i < *n; i++) {
		unsigned k = src[i].preset < nk ? src[i].preset : 0;
		if (src[i].line && a[i].strip >= (int)nstrips) {
			dropped[k]++;
			gone++;
			if ((unsigned)a[i].strip + 1 > *hi)
				*hi = (unsigned)a[i].strip + 1;
			continue;
		}
		kept[k] += src[i].line != 0;
		src[o] = src[i];
		a[o++] = a[i];
	}
	*n = o;
	return gone;
}

/* The message for what fit_drop did: an error if a preset lost every line, else a notice. */
static int fit_report(const unsigned *kept, const unsigned *dropped, const char *const *names,
		      unsigned nnames, unsigned hi, unsigned nstrips, char *msg, size_t len)
{
	const char *s_ = nstrips == 1 ? "" : "s";
	for (unsigned k = 1; k <= nnames; k++)
		if (dropped[k] && !kept[k]) {
			snprintf(msg, len, "preset '%s': every line names a strip this run does not "
					   "have (up to strip %u; this run has %u strip%s)",
				 names[k - 1], hi, nstrips, s_);
			return -ENODEV;
		}
	for (unsigned k = 1; k <= nnames; k++)
		if (dropped[k]) {
			snprintf(msg, len, "preset '%s': skipped %u line%s for strips this run does "
					   "not have (up to strip %u; this run has %u strip%s)",
				 names[k - 1], dropped[k], dropped[k] == 1 ? "" : "s", hi, nstrips,
				 s_);
			return 1;
		}
	return 0;
}

int preset_fit_strips(struct param_assign *a, struct param_src *src, size_t *n, unsigned nstrips,
		      const char *const *names, unsigned nnames, char *msg, size_t len)
{
	msg[0] = '\0';
	for (size_t i = 0; i < *n; i++)
		if (!src[i].preset && a[i].strip >= (int)nstrips) {
			snprintf(msg, len, "--set: strip %d does not exist (this run has %u strip%s)",
				 a[i].strip + 1, nstrips, nstrips == 1 ? "" : "s");
			return -ENODEV;
		}
	unsigned *kept = calloc(nnames + 1, sizeof(*kept));
	unsigned *dropped = calloc(nnames + 1, sizeof(*dropped));
	unsigned hi = 0;
	int rc = 0;
	if (!kept || !dropped) {
		snprintf(msg, len, "out of memory");
		rc = -ENOMEM;
	} else if (fit_drop(a, src, n, nstrips, kept, dropped, nnames + 1, &hi)) {
		rc = fit_report(kept, dropped, names, nnames, hi, nstrips, msg, len);
	}
	free(kept);
	free(dropped);
	return rc;
}
