/* log.c: one diagnostic line per call (log.h). */
#include "log.h"

#include <stdio.h>

void log_vline(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one fprintf: stdio locks the stream for the whole line */
	fprintf(stderr, "chanstrip: %s%s\n", prefix, msg);
}

void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

int log_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
	return -1;
}
