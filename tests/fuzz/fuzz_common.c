/* fuzz_common.c: see fuzz_common.h. */
#include "fuzz_common.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_die(const char *fmt, ...)
{
	va_list ap;
	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fuzz_block_check(struct engine *e, const char *what)
{
	static float in_buf[ENGINE_MAX_STRIPS][FUZZ_BLOCK_FRAMES];
	static float out_buf[ENGINE_MAX_STRIPS][FUZZ_BLOCK_FRAMES];
	static const float *in[ENGINE_MAX_STRIPS];
	static float *out[ENGINE_MAX_STRIPS];
	static int ready;

	if (!ready) {
		for (unsigned c = 0; c < ENGINE_MAX_STRIPS; c++) {
			for (unsigned i = 0; i < FUZZ_BLOCK_FRAMES; i++)
				in_buf[c][i] = 0.5f * (float)sin(2.0 * M_PI * 997.0 * i / 48000.0);
			in[c] = in_buf[c];
			out[c] = out_buf[c];
		}
		ready = 1;
	}
	engine_process(e, in, out, FUZZ_BLOCK_FRAMES);
	for (unsigned c = 0; c < e->nstrips; c++)
		for (unsigned i = 0; i < FUZZ_BLOCK_FRAMES; i++)
			if (!isfinite(out_buf[c][i]))
				fuzz_die("%s: strip %u sample %u is %g after this input", what, c + 1,
					 i, (double)out_buf[c][i]);
}

void fuzz_engine_defaults(struct engine *e)
{
	static struct param_assign def[P_COUNT];
	size_t bad;
	/* only after an input that changed something: a reset costs more than most inputs */
	if (!engine_take_dirty(e))
		return;
	for (int p = 0; p < P_COUNT; p++)
		def[p] = (struct param_assign){-1, (enum param_id)p, param_table[p].def};
	if (engine_apply(e, def, P_COUNT, &bad) < 0)
		fuzz_die("cannot reset the engine to its defaults");
	engine_take_dirty(e);
}

static char tmpdir[64];

static void tmpdir_remove(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[512];
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

const char *fuzz_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/chanstrip-fuzz.XXXXXX");
		if (!mkdtemp(tmpdir))
			fuzz_die("mkdtemp failed");
		atexit(tmpdir_remove);
	}
	return tmpdir;
}
