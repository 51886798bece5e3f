/* Auto gain's decision (autogain.h) against its definition: pre.gain = target - peak within
 * pre.gain's range; beyond it the nearest end of the range and advice with the remainder;
 * converter clipping and silence leave the gain alone. */
#include <check.h>
#include <string.h>

#include "autogain.h"
#include "testutil.h"

START_TEST(decide_every_end_state)
{
	struct autogain_result r;
	autogain_decide(-40.0f, 0, -12.0f, 5.0f, &r);
	ck_assert_int_eq(r.state, AG_DONE);
	ck_assert_int_eq(r.set_gain, 1);
	ck_assert_float_eq_tol(r.gain_db, 28.0f, 1e-4f);
	/* -90 dBFS needs +78: the gain's +70 maximum, raise the interface by 8 */
	autogain_decide(-90.0f, 0, -12.0f, 5.0f, &r);
	ck_assert_int_eq(r.state, AG_TOO_QUIET);
	ck_assert_float_eq(r.gain_db, 70.0f);
	ck_assert_ptr_nonnull(strstr(r.advice, "raise the interface's gain by 8.0 dB"));
	/* a +15 dBFS float input needs -27: the -20 minimum, lower the interface by 7 */
	autogain_decide(15.0f, 0, -12.0f, 5.0f, &r);
	ck_assert_int_eq(r.state, AG_TOO_LOUD);
	ck_assert_float_eq(r.gain_db, -20.0f);
	ck_assert_ptr_nonnull(strstr(r.advice, "lower the interface's gain by 7.0 dB"));
	autogain_decide(0.0f, 3, -12.0f, 5.0f, &r);
	ck_assert_int_eq(r.state, AG_CLIPPED);
	ck_assert_int_eq(r.set_gain, 0);
	ck_assert_float_eq(r.gain_db, 5.0f);
	ck_assert_ptr_nonnull(strstr(r.advice, "by at least 15 dB"));
	autogain_decide(-150.0f, 0, -12.0f, 5.0f, &r);
	ck_assert_int_eq(r.state, AG_NO_SIGNAL);
	ck_assert_int_eq(r.set_gain, 0);
	ck_assert_str_eq(autogain_state_name(AG_NO_SIGNAL), "no_signal");
	ck_assert_str_eq(autogain_state_name(AG_CANCELLED), "cancelled");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("autogain");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, decide_every_end_state);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
