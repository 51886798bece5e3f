/* log.h: the one way the program writes a diagnostic line: "chanstrip: <prefix><message>\n"
 * on stderr, in one write so lines from several threads do not interleave. Not for the audio
 * thread. */
#ifndef CHANSTRIP_LOG_H
#define CHANSTRIP_LOG_H

#include <stdarg.h>

void log_vline(const char *prefix, const char *fmt, va_list ap);
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_line, then -1: "return log_fail(...);" where a failure is reported and returned. */
int log_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
