#include "paramio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suggest.h"

static int parse_number(const char *text, float *out)
{
	char *end;
	errno = 0;
	double d = strtod(text, &end);
	if (end == text || errno == ERANGE)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*out = (float)d;
	return 0;
}

static const char *reason_for(int err)
{
	switch (err) {
	case -EDOM: return "not a finite number";
	case -ERANGE: return "out of range";
	default: return "not an allowed value";
	}
}

int paramio_parse_value(enum param_id id, const char *text, float *value, const char **why)
{
	const struct param_def *d = &param_table[id];
	float v;
	int err;

	if (d->type == PT_BOOL) {
		if (!strcasecmp(text, "true") || !strcasecmp(text, "on") || !strcasecmp(text, "yes")) {
			*value = 1.0f;
			return 0;
		}
		if (!strcasecmp(text, "false") || !strcasecmp(text, "off") || !strcasecmp(text, "no")) {
			*value = 0.0f;
			return 0;
		}
	}
	if (d->type == PT_ENUM) {
		/* names in any case: "Tube" is what a user reads in a menu */
		for (int i = 0; d->enum_names[i]; i++)
			if (!strcasecmp(d->enum_names[i], text)) {
				*value = (float)i;
				return 0;
			}
	}
	if (parse_number(text, &v) < 0) {
		*why = d->type == PT_ENUM   ? "an unknown name"
		       : d->type == PT_BOOL ? "not a boolean (0/1, true/false, on/off)"
					    : "not a number";
		return -EINVAL;
	}
	if ((err = param_check(id, v)) < 0) {
		*why = reason_for(err);
		return err;
	}
	*value = v;
	return 0;
}

int paramio_parse_assign(const char *text, char sep, struct param_assign *out, char *err,
			 size_t errlen)
{
	char buf[256];
	const char *why = NULL;
	char *key = buf, *val, *colon, *end;
	int rc;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "line too long");
		return -EINVAL;
	}
	strcpy(buf, text);
	out->strip = -1;
	colon = strchr(buf, ':');
	val = sep == ' ' ? strpbrk(buf, " \t") : strchr(buf, sep);
	if (colon && (!val || colon < val)) {
		long n = strtol(buf, &end, 10);
		if (end != colon || n < 1 || n > 4096) {
			snprintf(err, errlen, "bad strip number '%.*s' (1 or more)", (int)(colon - buf),
				 buf);
			return -EINVAL;
		}
		out->strip = (int)n - 1;
		key = colon + 1;
	}
	if (!val) {
		snprintf(err, errlen, "expected %s", sep == ' ' ? "'key value'" : "KEY=VALUE");
		return -EINVAL;
	}
	*val++ = '\0';
	while (isspace((unsigned char)*val))
		val++;
	for (end = val + strlen(val); end > val && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	int id = param_find(key);
	if (id < 0) {
		const char *near = paramio_suggest_key(key);
		if (near)
			snprintf(err, errlen, "unknown parameter '%s' (did you mean %s? see "
					      "--list-params)", key, near);
		else
			snprintf(err, errlen, "unknown parameter '%s' (see --list-params)", key);
		return -ENOENT;
	}
	out->id = (enum param_id)id;
	if ((rc = paramio_parse_value(out->id, val, &out->value, &why)) < 0) {
		char range[96];
		const char *near = paramio_suggest_enum(out->id, val);
		paramio_format_range(out->id, range, sizeof(range));
		if (near)
			snprintf(err, errlen, "%s: '%s' is %s (did you mean %s? expected %s)", key,
				 val, why, near, range);
		else
			snprintf(err, errlen, "%s: '%s' is %s (expected %s)", key, val, why, range);
		return rc;
	}
	return 0;
}

const char *paramio_suggest_key(const char *key)
{
	char dotted[64];
	struct suggest sg;
	snprintf(dotted, sizeof(dotted), "%s", key);
	for (char *c = dotted; *c; c++)
		if (*c == '/')
			*c = '.';
	suggest_init(&sg, dotted);
	for (int p = 0; p < P_COUNT; p++)
		suggest_offer(&sg, param_table[p].key);
	return suggest_best(&sg);
}

const char *paramio_suggest_enum(enum param_id id, const char *name)
{
	if (param_table[id].type != PT_ENUM)
		return NULL;
	return suggest_from_list(name, param_table[id].enum_names);
}

void paramio_format_value(enum param_id id, float v, char *buf, size_t len)
{
	const struct param_def *d = &param_table[id];
	if (d->type == PT_ENUM && v >= 0 && v <= d->max) {
		snprintf(buf, len, "%s", d->enum_names[(int)v]);
		return;
	}
	/* shortest form that reads back to the same float */
	for (int prec = 6; prec <= 9; prec++) {
		snprintf(buf, len, "%.*g", prec, (double)v);
		if (strtof(buf, NULL) == v)
			return;
	}
}

void paramio_format_range(enum param_id id, char *buf, size_t len)
{
	const struct param_def *d = &param_table[id];
	size_t o = 0;
	switch (d->type) {
	case PT_BOOL:
		snprintf(buf, len, "0|1");
		return;
	case PT_ENUM:
		buf[0] = '\0';
		for (int i = 0; d->enum_names[i] && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "", d->enum_names[i]);
		return;
	case PT_STEPS:
		buf[0] = '\0';
		for (unsigned i = 0; i < d->nsteps && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%g", i ? "|" : "", (double)d->steps[i]);
		return;
	case PT_FLOAT:
		snprintf(buf, len, "%g .. %g%s", (double)d->min, (double)d->max,
			 (d->flags & PF_ZERO_IS_OFF) ? " (0 = off)" : "");
		return;
	}
}

static const char *type_name(enum param_type t)
{
	static const char *const names[] = {"float", "bool", "enum", "steps"};
	return names[t];
}

int paramio_list_format_parse(const char *name, enum paramio_list_format *fmt)
{
	static const char *const names[] = {"text", "tsv", "man", "markdown"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*fmt = (enum paramio_list_format)i;
			return 0;
		}
	return -EINVAL;
}

/* groff needs '-' escaped and lines starting with '.' or '\'' protected */
static void man_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

void paramio_list(FILE *f, enum paramio_list_format fmt)
{
	char range[128], def[32];
	if (fmt == LIST_TEXT)
		fprintf(f, "%-18s %-5s %-26s %-8s %s\n", "key", "unit", "range", "default", "meaning");
	else if (fmt == LIST_TSV)
		fprintf(f, "key\tunit\tmin\tmax\tdefault\ttype\tvalues\ttaper\n");
	else if (fmt == LIST_MARKDOWN)
		fprintf(f, "| key | unit | range | default | meaning |\n|---|---|---|---|---|\n");
	for (int i = 0; i < P_COUNT; i++) {
		const struct param_def *d = &param_table[i];
		paramio_format_range((enum param_id)i, range, sizeof(range));
		paramio_format_value((enum param_id)i, d->def, def, sizeof(def));
		switch (fmt) {
		case LIST_TEXT:
			fprintf(f, "%-18s %-5s %-26s %-8s %s\n", d->key, d->unit, range, def, d->help);
			break;
		case LIST_TSV:
			fprintf(f, "%s\t%s\t%g\t%g\t%s\t%s\t%s\t%s\n", d->key, d->unit, (double)d->min,
				(double)d->max, def, type_name(d->type), range,
				d->taper == TAPER_LOG ? "log" : "linear");
			break;
		case LIST_MARKDOWN:
			fprintf(f, "| `%s` | %s | %s | %s | %s |\n", d->key, d->unit, range, def, d->help);
			break;
		case LIST_MAN:
			fputs(".TP\n.B ", f);
			man_escape(f, d->key);
			fputs("\n", f);
			man_escape(f, d->help);
			fputs(".\nUnit: ", f);
			man_escape(f, d->unit);
			fputs("; range: ", f);
			man_escape(f, range);
			fputs("; default: ", f);
			man_escape(f, def);
			fputs(".\n", f);
			break;
		}
	}
}
