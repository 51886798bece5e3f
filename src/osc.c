/* STUB: the OSC issue replaces this file. */
#include "osc.h"

#include <stdio.h>

struct osc *osc_start(struct engine *e, const char *bind, int port, char *err, size_t errlen)
{
	(void)e, (void)bind, (void)port;
	snprintf(err, errlen, "OSC is not built yet");
	return NULL;
}

const char *osc_url(const struct osc *s) { (void)s; return ""; }
void osc_stop(struct osc *s) { (void)s; }
