/* paramio.h: text <-> parameter values, all driven by the parameter table. */
#ifndef CHANSTRIP_PARAMIO_H
#define CHANSTRIP_PARAMIO_H

#include <stddef.h>
#include <stdio.h>

#include "params.h"

/* One assignment, as from --set, a preset line or OSC. strip: 0-based, or -1 for every strip. */
struct param_assign {
	int strip;
	enum param_id id;
	float value;
};

/* Where an assignment came from, kept beside it (a parallel array) for messages and for
 * fitting a preset to the strips a run has: preset is the 1-based number of the preset load
 * it belongs to (0: --set), line its line in the file (0: a default the load starts from). */
struct param_src {
	unsigned preset, line;
};

/* Parse a value for id: numbers; bools as 0/1/true/false/on/off; enums by name (any case)
 * or index. Returns 0 or a negative errno; *why gets a short reason on failure. */
int paramio_parse_value(enum param_id id, const char *text, float *value, const char **why);

/* Parse "[N:]key=value" (sep '=') or "[N:]key value" (sep ' ', preset lines). N is 1-based in
 * the text. Returns 0, or a negative errno with a message in err. */
int paramio_parse_assign(const char *text, char sep, struct param_assign *out, char *err,
			 size_t errlen);

/* The closest parameter key to a mistyped one ("comp.treshold" or "comp/treshold"), or NULL
 * if none is close. */
const char *paramio_suggest_key(const char *key);

/* The closest enum name of id to a mistyped one, or NULL. */
const char *paramio_suggest_enum(enum param_id id, const char *name);

/* The value as text: enum name, 0/1 for bools, shortest %g that round-trips for numbers. */
void paramio_format_value(enum param_id id, float value, char *buf, size_t len);

/* "20 .. 500 (0 = off)", "clean|tube|transformer", "1|2|4|8", "0|1" */
void paramio_format_range(enum param_id id, char *buf, size_t len);

enum paramio_list_format { LIST_TEXT, LIST_TSV, LIST_MAN, LIST_MARKDOWN };
/* Write the table (--list-params). Returns 0 or -EINVAL for an unknown format name. */
int paramio_list_format_parse(const char *name, enum paramio_list_format *fmt);
void paramio_list(FILE *f, enum paramio_list_format fmt);

#endif
