/* The parameter table against design.md, value parsing and presets. */
#include <check.h>

#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paramio.h"
#include "params.h"
#include "preset.h"

/* design.md's table, copied by hand: the contract the code must keep. */
static const struct {
	const char *key, *unit;
	float min, max, def;
} design[] = {
	{"pre.gain", "dB", -20, 70, 0},
	{"pre.phase", "bool", 0, 1, 0},
	{"pre.hpf", "Hz", 20, 500, 0},
	{"pre.model", "enum", 0, 2, 0},
	{"pre.drive", "dB", 0, 36, 0},
	{"pre.oversample", "x", 1, 8, 1},
	{"gate.enable", "bool", 0, 1, 0},
	{"gate.threshold", "dBFS", -90, 0, -50},
	{"gate.hysteresis", "dB", 0, 20, 3},
	{"gate.range", "dB", 0, 90, 40},
	{"gate.attack", "ms", 0.01f, 100, 0.5f},
	{"gate.hold", "ms", 0, 2000, 50},
	{"gate.release", "ms", 1, 4000, 100},
	{"comp.enable", "bool", 0, 1, 0},
	{"comp.threshold", "dBFS", -60, 0, -18},
	{"comp.ratio", ":1", 1, 20, 4},
	{"comp.knee", "dB", 0, 24, 6},
	{"comp.attack", "ms", 0.1f, 200, 10},
	{"comp.release", "ms", 5, 3000, 100},
	{"comp.makeup", "dB", 0, 40, 0},
	{"comp.mix", "%", 0, 100, 100},
	{"deess.enable", "bool", 0, 1, 0},
	{"deess.freq", "Hz", 2000, 12000, 6000},
	{"deess.threshold", "dBFS", -60, 0, -30},
	{"deess.range", "dB", 0, 24, 12},
	{"deess.mode", "enum", 0, 1, 0},
	{"deess.listen", "bool", 0, 1, 0},
	{"out.gain", "dB", -60, 24, 0},
	{"meter.cal", "dBu", 0, 30, 18},
};

START_TEST(table_holds_every_design_key)
{
	for (size_t i = 0; i < sizeof(design) / sizeof(design[0]); i++) {
		int id = param_find(design[i].key);
		ck_assert_msg(id >= 0, "%s missing", design[i].key);
		const struct param_def *d = &param_table[id];
		ck_assert_str_eq(d->unit, design[i].unit);
		ck_assert_msg(d->def == design[i].def, "%s default", design[i].key);
		if (d->type != PT_ENUM)
			ck_assert_msg(d->min == design[i].min && d->max == design[i].max, "%s range",
				      design[i].key);
	}
	ck_assert_int_eq(param_enum_index(param_find("pre.model"), "clean"), 0);
	ck_assert_int_ge(param_enum_index(param_find("pre.model"), "tube"), 0);
	ck_assert_int_ge(param_enum_index(param_find("pre.model"), "transformer"), 0);
	ck_assert_int_eq(param_enum_index(param_find("deess.mode"), "split"), 0);
	ck_assert_int_eq(param_enum_index(param_find("deess.mode"), "wide"), 1);
}
END_TEST

START_TEST(table_is_consistent)
{
	for (int i = 0; i < P_COUNT; i++) {
		const struct param_def *d = &param_table[i];
		ck_assert_msg(d->key && strchr(d->key, '.'), "row %d has no module.param key", i);
		ck_assert_msg(!strchr(strchr(d->key, '.') + 1, '.'), "%s: one dot only", d->key);
		ck_assert_msg(d->unit && d->help && d->min <= d->max, "%s", d->key);
		ck_assert_msg(param_check((enum param_id)i, d->def) == 0, "%s: default invalid",
			      d->key);
		ck_assert_int_eq(param_find(d->key), i); /* keys are unique */
		if (d->type == PT_ENUM) {
			int n = 0;
			while (d->enum_names[n])
				n++;
			ck_assert_msg(d->max == (float)(n - 1), "%s: max != names-1", d->key);
		}
		/* norm mapping lands inside the range and round-trips at the ends */
		for (float n = 0.0f; n <= 1.0f; n += 0.125f) {
			float v = param_from_norm((enum param_id)i, n);
			ck_assert_msg(param_check((enum param_id)i, v) == 0, "%s: norm %g -> %g",
				      d->key, (double)n, (double)v);
		}
		if (d->type == PT_FLOAT && !(d->flags & PF_ZERO_IS_OFF)) {
			ck_assert(fabsf(param_from_norm((enum param_id)i, 0.0f) - d->min) < 1e-6f);
			ck_assert(fabsf(param_from_norm((enum param_id)i, 1.0f) - d->max) <
				  1e-5f * fmaxf(1.0f, fabsf(d->max)));
			float mid = param_from_norm((enum param_id)i, 0.5f);
			ck_assert(fabsf(param_to_norm((enum param_id)i, mid) - 0.5f) < 1e-4f);
		}
	}
}
END_TEST

START_TEST(check_rejects_bad_values)
{
	ck_assert_int_eq(param_check(P_PRE_GAIN, NAN), -EDOM);
	ck_assert_int_eq(param_check(P_PRE_GAIN, INFINITY), -EDOM);
	ck_assert_int_eq(param_check(P_PRE_GAIN, 70.5f), -ERANGE);
	ck_assert_int_eq(param_check(P_PRE_GAIN, -20.0f), 0);
	ck_assert_int_eq(param_check(P_PRE_HPF, 0.0f), 0);       /* off */
	ck_assert_int_eq(param_check(P_PRE_HPF, 10.0f), -ERANGE); /* between off and 20 Hz */
	ck_assert_int_eq(param_check(P_PRE_OVERSAMPLE, 3.0f), -EINVAL);
	ck_assert_int_eq(param_check(P_PRE_OVERSAMPLE, 8.0f), 0);
	ck_assert_int_eq(param_check(P_COMP_ENABLE, 0.5f), -EINVAL);
	ck_assert_int_eq(param_check(P_PRE_MODEL, 3.0f), -ERANGE);
	/* TouchOSC log taper: the middle of a 20..500 Hz fader is the geometric mean */
	ck_assert(fabsf(param_from_norm(P_PRE_HPF, 0.5f) - 100.0f) < 0.01f);
	ck_assert_float_eq(param_from_norm(P_PRE_HPF, 0.0f), 0.0f);
}
END_TEST

START_TEST(parse_assignments)
{
	struct param_assign a;
	char err[256];
	ck_assert_int_eq(paramio_parse_assign("comp.ratio=8", '=', &a, err, sizeof(err)), 0);
	ck_assert_int_eq(a.strip, -1);
	ck_assert_int_eq(a.id, P_COMP_RATIO);
	ck_assert_float_eq(a.value, 8.0f);
	ck_assert_int_eq(paramio_parse_assign("2:pre.model=tube", '=', &a, err, sizeof(err)), 0);
	ck_assert_int_eq(a.strip, 1);
	ck_assert_float_eq(a.value, (float)param_enum_index(P_PRE_MODEL, "tube"));
	ck_assert_int_eq(paramio_parse_assign("gate.enable on", ' ', &a, err, sizeof(err)), 0);
	ck_assert_float_eq(a.value, 1.0f);
	ck_assert_int_eq(paramio_parse_assign("deess.mode 1", ' ', &a, err, sizeof(err)), 0);
	ck_assert_float_eq(a.value, 1.0f);

	ck_assert_int_lt(paramio_parse_assign("comp.ratio=99", '=', &a, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "out of range") && strstr(err, "1 .. 20"), "%s", err);
	ck_assert_int_lt(paramio_parse_assign("comp.nope=1", '=', &a, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "unknown parameter 'comp.nope'"), "%s", err);
	ck_assert_int_lt(paramio_parse_assign("pre.model=valve", '=', &a, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "clean|tube|transformer"), "%s", err);
	ck_assert_int_lt(paramio_parse_assign("0:pre.gain=1", '=', &a, err, sizeof(err)), 0);
	ck_assert_int_lt(paramio_parse_assign("pre.gain=nan", '=', &a, err, sizeof(err)), 0);
	ck_assert_int_lt(paramio_parse_assign("pre.gain=1x", '=', &a, err, sizeof(err)), 0);
	ck_assert_int_lt(paramio_parse_assign("pre.gain", '=', &a, err, sizeof(err)), 0);
}
END_TEST

START_TEST(format_round_trips)
{
	char buf[64];
	const char *why;
	for (int i = 0; i < P_COUNT; i++) {
		for (float n = 0.0f; n <= 1.0f; n += 0.1f) {
			float v = param_from_norm((enum param_id)i, n), back;
			paramio_format_value((enum param_id)i, v, buf, sizeof(buf));
			ck_assert_int_eq(paramio_parse_value((enum param_id)i, buf, &back, &why), 0);
			ck_assert_msg(back == v, "%s: %s", param_table[i].key, buf);
		}
	}
}
END_TEST

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/chanstrip-preset-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(preset_file_parses_and_rejects_whole)
{
	struct preset p;
	char err[512];
	char *path = write_tmp("# vocal\n\ncomp.enable 1\n2:comp.ratio 3   # per strip\r\n"
			       "pre.model tube\n");
	ck_assert_int_eq(preset_load_file(path, &p, err, sizeof(err)), 0);
	/* the defaults of what it does not set on every strip come first, then its lines */
	size_t nd = P_COUNT - 2;
	ck_assert_uint_eq(p.n, nd + 3);
	ck_assert_int_eq(p.assign[nd + 1].strip, 1);
	ck_assert_float_eq(p.assign[nd + 1].value, 3.0f);
	ck_assert_uint_eq(p.src[nd + 1].line, 4);
	preset_free(&p);
	unlink(path);

	path = write_tmp("comp.enable 1\ncomp.ratio 3\ncomp.ratio 300\npre.gain 1\n");
	ck_assert_int_lt(preset_load_file(path, &p, err, sizeof(err)), 0);
	char want[128];
	snprintf(want, sizeof(want), "%s:3: comp.ratio: '300' is out of range", path);
	ck_assert_msg(strstr(err, want), "%s", err);
	ck_assert_ptr_null(p.assign == NULL ? NULL : p.assign); /* nothing handed out */
	unlink(path);

	path = write_tmp("comp.enable\n");
	ck_assert_int_lt(preset_load_file(path, &p, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, ":1: expected 'key value'"), "%s", err);
	unlink(path);
}
END_TEST

START_TEST(preset_names_stay_in_their_folders)
{
	char path[1024];
	ck_assert(preset_name_valid("vocal-dynamic_2"));
	ck_assert(!preset_name_valid(""));
	ck_assert(!preset_name_valid("../etc/passwd"));
	ck_assert(!preset_name_valid("a/b"));
	ck_assert(!preset_name_valid(".hidden"));
	ck_assert(!preset_name_valid("a b"));
	ck_assert_int_eq(preset_find_name("../../etc/passwd", path, sizeof(path)), -EINVAL);
	ck_assert_int_eq(preset_find_name("neutral", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "/neutral.preset"));
}
END_TEST

START_TEST(preset_save_is_atomic_and_loads_back)
{
	char dir[] = "/tmp/chanstrip-presets-XXXXXX", path[1024], err[256];
	float v[2][P_COUNT];
	struct preset p;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("CHANSTRIP_PRESET_HOME", dir, 1);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < P_COUNT; i++)
			v[s][i] = param_table[i].def;
	v[1][P_COMP_RATIO] = 2.5f;
	v[0][P_PRE_GAIN] = v[1][P_PRE_GAIN] = 33.3f;
	ck_assert_int_eq(preset_save("mine", (const float(*)[P_COUNT])v, 2, path, sizeof(path), err,
				     sizeof(err)), 0);
	ck_assert_int_eq(preset_load("mine", &p, err, sizeof(err)), 0);
	int seen_ratio = 0;
	for (size_t i = 0; i < p.n; i++) {
		if (p.assign[i].id == P_COMP_RATIO && p.assign[i].strip == 1) {
			ck_assert_float_eq(p.assign[i].value, 2.5f);
			seen_ratio = 1;
		}
		if (p.assign[i].id == P_PRE_GAIN) {
			ck_assert_int_eq(p.assign[i].strip, -1); /* same on every strip: once */
			ck_assert_float_eq(p.assign[i].value, 33.3f);
		}
	}
	ck_assert(seen_ratio);
	preset_free(&p);
	ck_assert_int_lt(preset_save("../x", (const float(*)[P_COUNT])v, 2, path, sizeof(path), err,
				     sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
	unsetenv("CHANSTRIP_PRESET_HOME");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("params");
	TCase *tc = tcase_create("params");
	tcase_add_test(tc, table_holds_every_design_key);
	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, check_rejects_bad_values);
	tcase_add_test(tc, parse_assignments);
	tcase_add_test(tc, format_round_trips);
	tcase_add_test(tc, preset_file_parses_and_rejects_whole);
	tcase_add_test(tc, preset_names_stay_in_their_folders);
	tcase_add_test(tc, preset_save_is_atomic_and_loads_back);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
