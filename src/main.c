/* chanstrip: a headless JACK channel strip. main() only parses and dispatches. */
#include <stdio.h>

#include "config.h"
#include "jackclient.h"
#include "offline.h"
#include "options.h"
#include "strip.h"

int main(int argc, char **argv)
{
	struct options o;
	char err[1024];
	int rc;

	if (options_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "chanstrip: %s\n", err);
		options_free(&o);
		return 2;
	}
	if (o.notice[0])
		fprintf(stderr, "chanstrip: %s\n", o.notice);
	o.arch = strip_simd_select(o.force_c);
	switch (o.mode) {
	case MODE_HELP:
		options_usage(stdout);
		rc = 0;
		break;
	case MODE_VERSION:
		printf("chanstrip %s (simd %s)\n", CHANSTRIP_VERSION, strip_simd_name(o.arch));
		rc = 0;
		break;
	case MODE_LIST_PARAMS:
		paramio_list(stdout, o.list_format);
		rc = 0;
		break;
	case MODE_OFFLINE:
		rc = offline_run(&o);
		break;
	case MODE_JACK:
	default:
		rc = jackclient_run(&o);
		break;
	}
	options_free(&o);
	return rc;
}
