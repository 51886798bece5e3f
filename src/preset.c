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

void preset_free(struct preset *p)
{
	free(p->assign);
	free(p->midi);
	p->assign = NULL;
	p->n = 0;
	p->midi = NULL;
	p->nmidi = 0;
}

/* ---- the lines that are not "[N:]key value": reset and midi.map ---- */

static int preset_grow(struct preset *p, size_t *cap, size_t more)
{
	if (p->n + more <= *cap)
		return 0;
	size_t want = *cap ? *cap : 64;
	while (want < p->n + more)
		want *= 2;
	struct param_assign *a = realloc(p->assign, want * sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->assign = a;
	*cap = want;
	return 0;
}

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
		if ((rc = preset_reset_line(s, &p, &cap, why, sizeof(why))) == 0)
			rc = preset_midi_line(s, &p, why, sizeof(why));
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
		if ((rc = paramio_parse_assign(s, ' ', &p.assign[p.n], why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
		p.n++;
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
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

int preset_find_name(const char *name, char *path, size_t len)
{
	char dirs[3][512];
	if (!preset_name_valid(name))
		return -EINVAL;
	int n = preset_search_dirs(dirs, 3);
	for (int i = 0; i < n; i++) {
		struct stat st;
		int w = snprintf(path, len, "%s/%s%s", dirs[i], name, PRESET_SUFFIX);
		if (w > 0 && (size_t)w < len && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen)
{
	char path[1024];
	if (preset_name_valid(name_or_path)) {
		if (preset_find_name(name_or_path, path, sizeof(path)) == 0)
			return preset_load_file(path, out, err, errlen);
		/* a plain name that is also a file in the current folder */
		if (access(name_or_path, R_OK) != 0) {
			snprintf(err, errlen, "preset '%s' not found (see /preset/list or the FILES "
					      "section of chanstrip(1))", name_or_path);
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

static void write_preset(FILE *f, const char *title, const float (*v)[P_COUNT],
			 unsigned nstrips, const char *extra)
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
	if (extra)
		fputs(extra, f);
}

int preset_write_file(const char *path, const char *title, const float (*values)[P_COUNT],
		      unsigned nstrips, char *err, size_t errlen)
{
	return preset_write_file_ext(path, title, values, nstrips, NULL, err, errlen);
}

int preset_write_file_ext(const char *path, const char *title, const float (*values)[P_COUNT],
			  unsigned nstrips, const char *extra, char *err, size_t errlen)
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
	write_preset(f, title, values, nstrips, extra);
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
		    const char *extra, char *path, size_t pathlen, char *err, size_t errlen)
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
	if ((rc = preset_mkdir_p(dir)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if (snprintf(path, pathlen, "%s/%s%s", dir, name, PRESET_SUFFIX) >= (int)pathlen) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	return preset_write_file_ext(path, name, values, nstrips, extra, err, errlen);
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
