#include <stdio.h>
#include <string.h>

#include "config.h"
#include "paramio.h"

int main(int argc, char **argv)
{
	enum paramio_list_format fmt = LIST_TEXT;
	if (argc >= 2 && !strcmp(argv[1], "--list-params")) {
		if (argc >= 4 && !strcmp(argv[2], "--format") && paramio_list_format_parse(argv[3], &fmt))
			return 2;
		paramio_list(stdout, fmt);
		return 0;
	}
	printf("chanstrip %s\n", CHANSTRIP_VERSION);
	return 0;
}
