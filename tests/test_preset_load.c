/* Preset loads from the user's side: every load starts from the defaults (every ordered pair
 * of shipped presets, through the control layer's /preset/load path), lines for missing
 * strips, shipped names, and the "did you mean" help every transport shares. */
#include <check.h>

#include "testutil.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "engine.h"
#include "paramio.h"
#include "preset.h"
#include "suggest.h"

#define NSTRIPS 2
#define MAX_SHIPPED 64

static char home[128];

static void use_empty_home(void)
{
	snprintf(home, sizeof(home), "/tmp/chanstrip-presettest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("CHANSTRIP_PRESET_HOME", home, 1);
}

static void write_user_preset(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.preset", home, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

struct names {
	char name[MAX_SHIPPED][PRESET_NAME_MAX + 1];
	int n;
};

static void collect(void *ctx, const char *name)
{
	struct names *nm = ctx;
	if (nm->n < MAX_SHIPPED)
		snprintf(nm->name[nm->n++], sizeof(nm->name[0]), "%s", name);
}

static void load(struct control *c, const char *name)
{
	char path[1024], why[CTL_REASON_MAX];
	ck_assert_msg(ctl_preset_load(c, name, CTL_ORIGIN_NONE, path, sizeof(path), why) >= 0,
		      "%s: %s", name, why);
}

START_TEST(every_load_gives_the_same_state_whatever_came_before)
{
	static struct names nm;
	static float ref[MAX_SHIPPED][NSTRIPS][P_COUNT], got[NSTRIPS][P_COUNT];
	struct engine e;
	char err[256];
	use_empty_home();
	ck_assert_int_eq(engine_init(&e, NSTRIPS, 48000.0f, NULL), 0);
	struct control *c = ctl_new(&e, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	nm.n = 0;
	ctl_preset_list(collect, &nm);
	ck_assert_int_ge(nm.n, 9); /* the shipped presets */
	for (int b = 0; b < nm.n; b++) {
		struct engine fresh;
		ck_assert_int_eq(engine_init(&fresh, NSTRIPS, 48000.0f, NULL), 0);
		struct control *fc = ctl_new(&fresh, err, sizeof(err));
		load(fc, nm.name[b]);
		engine_get_all(&fresh, ref[b]);
		ctl_free(fc);
		engine_free(&fresh);
	}
	int pairs = 0;
	for (int a = 0; a < nm.n; a++)
		for (int b = 0; b < nm.n; b++, pairs++) {
			load(c, nm.name[a]);
			load(c, nm.name[b]);
			engine_get_all(&e, got);
			for (int s = 0; s < NSTRIPS; s++)
				for (int p = 0; p < P_COUNT; p++)
					ck_assert_msg(got[s][p] == ref[b][s][p],
						      "%s then %s: strip %d %s is %g, %s alone gives %g",
						      nm.name[a], nm.name[b], s + 1, param_table[p].key,
						      (double)got[s][p], nm.name[b],
						      (double)ref[b][s][p]);
		}
	ck_assert_int_eq(pairs, nm.n * nm.n);
	/* neutral is every default, as its header says */
	for (int b = 0; b < nm.n; b++)
		if (!strcmp(nm.name[b], "neutral"))
			for (int p = 0; p < P_COUNT; p++)
				ck_assert_msg(ref[b][0][p] == param_table[p].def, "neutral: %s",
					      param_table[p].key);
	ctl_free(c);
	engine_free(&e);
}
END_TEST

START_TEST(lines_for_missing_strips_are_skipped_with_one_notice)
{
	struct engine e;
	char err[256], path[1024], why[CTL_REASON_MAX];
	use_empty_home();
	write_user_preset("two", "comp.enable 1\n1:comp.ratio 3\n2:comp.ratio 5\n2:pre.gain 6\n");
	write_user_preset("only-two", "2:comp.ratio 5\n2:pre.gain 6\n");
	ck_assert_int_eq(engine_init(&e, 1, 48000.0f, NULL), 0);
	struct control *c = ctl_new(&e, err, sizeof(err));
	ck_assert_int_eq(ctl_preset_load(c, "two", CTL_ORIGIN_NONE, path, sizeof(path), why), 1);
	ck_assert_msg(strstr(why, "preset 'two': skipped 2 lines") && strstr(why, "has 1 strip)"),
		      "%s", why);
	ck_assert_float_eq(engine_get(&e, 0, P_COMP_RATIO), 3.0f);
	ck_assert_float_eq(engine_get(&e, 0, P_COMP_ENABLE), 1.0f);
	/* a preset with nothing for this instance still fails, and changes nothing */
	ck_assert_int_eq(ctl_preset_load(c, "only-two", CTL_ORIGIN_NONE, path, sizeof(path), why),
			 -1);
	ck_assert_msg(strstr(why, "every line names a strip"), "%s", why);
	ck_assert_float_eq(engine_get(&e, 0, P_COMP_RATIO), 3.0f);

	/* the command line's form: a --set for a missing strip is an error, not a skip */
	struct param_assign a[2] = {{.strip = 2, .id = P_COMP_RATIO, .value = 2}};
	struct param_src src[2] = {{0, 0}};
	size_t n = 1;
	const char *names[1] = {"x"};
	ck_assert_int_eq(preset_fit_strips(a, src, &n, 2, names, 1, why, sizeof(why)), -ENODEV);
	ck_assert_msg(strstr(why, "--set: strip 3 does not exist"), "%s", why);
	ctl_free(c);
	engine_free(&e);
}
END_TEST

START_TEST(shipped_names_are_kept)
{
	char path[1024], err[512];
	float v[1][P_COUNT];
	use_empty_home();
	for (int p = 0; p < P_COUNT; p++)
		v[0][p] = param_table[p].def;
	ck_assert(preset_is_shipped("podcast"));
	ck_assert(!preset_is_shipped("my-podcast"));
	ck_assert_int_eq(preset_save("podcast", (const float(*)[P_COUNT])v, 1, path, sizeof(path),
				     err, sizeof(err)),
			 -EEXIST);
	ck_assert_msg(strstr(err, "'podcast' is a shipped preset"), "%s", err);
	snprintf(path, sizeof(path), "%s/podcast.preset", home);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* a user preset of that name made by hand hides it; shipped:NAME still reaches it */
	write_user_preset("podcast", "comp.enable 1\n");
	ck_assert_int_eq(preset_find_name("podcast", path, sizeof(path)), 0);
	ck_assert(strncmp(path, home, strlen(home)) == 0);
	ck_assert_int_eq(preset_hides_shipped("podcast", path, err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "hides the shipped one; shipped:podcast loads that"), "%s", err);
	ck_assert_int_eq(preset_find_name("shipped:podcast", path, sizeof(path)), 0);
	ck_assert(strncmp(path, home, strlen(home)) != 0);
	ck_assert_int_eq(preset_hides_shipped("podcast", path, err, sizeof(err)), 0);
	ck_assert_int_eq(preset_find_name("shipped:../x", path, sizeof(path)), -EINVAL);
	ck_assert(!preset_name_valid("shipped:podcast")); /* never a name to save under */
}
END_TEST

START_TEST(typos_get_the_closest_name)
{
	char buf[128], why[CTL_REASON_MAX], err[256];
	float v;
	const char *r = NULL;
	ck_assert_uint_eq(suggest_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(suggest_distance("treshold", "threshold"), 1);
	ck_assert_uint_eq(suggest_distance("podcats", "podcast"), 1); /* a swap is one edit */
	ck_assert_uint_eq(suggest_distance("Tube", "tube"), 0);
	ck_assert_str_eq(paramio_suggest_key("comp.treshold"), "comp.threshold");
	ck_assert_str_eq(paramio_suggest_key("comp/treshold"), "comp.threshold");
	ck_assert_ptr_null(paramio_suggest_key("zzzzzzzz"));
	ck_assert_int_eq(paramio_parse_value(P_PRE_MODEL, "Tube", &v, &r), 0);
	ck_assert_float_eq(v, 1.0f);
	ck_assert_str_eq(paramio_suggest_enum(P_PRE_MODEL, "tueb"), "tube");
	struct param_assign a;
	ck_assert_int_lt(paramio_parse_assign("comp.treshold=-20", '=', &a, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "did you mean comp.threshold?"), "%s", buf);

	use_empty_home();
	ck_assert_int_eq(preset_suggest_name("podcats", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "podcast");
	ck_assert_int_eq(preset_suggest_name("shipped:neutrl", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "shipped:neutral");
	ck_assert_int_eq(preset_suggest_name("qqqqqqqqqq", buf, sizeof(buf)), 0);

	struct engine e;
	struct ctl_sel sel;
	ck_assert_int_eq(engine_init(&e, 1, 48000.0f, NULL), 0);
	struct control *c = ctl_new(&e, err, sizeof(err));
	ck_assert_int_lt(ctl_resolve(c, "/strip/1/comp", &sel, why), 0);
	ck_assert_msg(strstr(why, "/strip/1/comp is a module; its parameters: enable, threshold"),
		      "%s", why);
	ck_assert_int_lt(ctl_resolve(c, "/strip/1/comp/treshold", &sel, why), 0);
	ck_assert_msg(strstr(why, "did you mean /strip/1/comp/threshold?"), "%s", why);
	ck_assert_int_lt(ctl_resolve(c, "/strip/1/compx/nope", &sel, why), 0);
	ck_assert_msg(strstr(why, "unknown address (see /params)"), "%s", why);
	char path[1024];
	ck_assert_int_lt(ctl_preset_load(c, "podcats", CTL_ORIGIN_NONE, path, sizeof(path), why),
			 0);
	ck_assert_msg(strstr(why, "did you mean podcast?"), "%s", why);
	struct ctl_arg arg = {.kind = CTL_ARG_STRING, .str = "tueb"};
	ck_assert_int_lt(ctl_value(P_PRE_MODEL, 0, &arg, &v, why), 0);
	ck_assert_msg(strstr(why, "did you mean tube?"), "%s", why);
	ctl_free(c);
	engine_free(&e);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("preset-load");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_load_gives_the_same_state_whatever_came_before);
	tcase_add_test(tc, lines_for_missing_strips_are_skipped_with_one_notice);
	tcase_add_test(tc, shipped_names_are_kept);
	tcase_add_test(tc, typos_get_the_closest_name);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
