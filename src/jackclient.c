/* STUB: the JACK issue replaces this file. */
#include "jackclient.h"

#include <stdio.h>

int jackclient_run(const struct options *o)
{
	(void)o;
	fprintf(stderr, "chanstrip: JACK mode is not built yet\n");
	return 1;
}
