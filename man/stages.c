/* chanstrip-stages: the chain and the meter fields as the docs print them, from the stage
 * descriptors (built at build time, not installed).
 *
 *   chanstrip-stages chain-man | chain-markdown | meters-man | meters
 *
 * chain-*: "in -> <label> -> ... -> out" wrapped for the man page / README.md's indented
 * block; meters-man: the field names as .B lines; meters: one field name per line. */
#include <stdio.h>
#include <string.h>

#include "meter.h"
#include "strip.h"

#define WIDTH 92

/* text with every '-' as the man page's \- */
static void man_escape(char *out, size_t len, const char *in)
{
	size_t o = 0;
	for (; *in && o + 3 < len; in++) {
		if (*in == '-')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = '\0';
}

/* the chain's words joined by arrow, wrapped before an arrow at WIDTH; lines after the first
 * start with indent */
static void chain(int man)
{
	const char *arrow = man ? " \\(-> " : " -> ";
	const char *first = man ? "" : "    ", *indent = man ? "" : "       ";
	char line[1024], word[256];
	snprintf(line, sizeof(line), "%sin", first);
	for (unsigned i = 0; i <= strip_chain_len; i++) {
		const char *w = i < strip_chain_len ? strip_chain[i]->label : "out";
		if (man)
			man_escape(word, sizeof(word), w);
		else
			snprintf(word, sizeof(word), "%s", w);
		if (strlen(line) + strlen(arrow) + strlen(word) > WIDTH) {
			printf("%s\n", line);
			snprintf(line, sizeof(line), "%s%s%s", indent, arrow + 1, word);
		} else {
			size_t n = strlen(line);
			snprintf(line + n, sizeof(line) - n, "%s%s", arrow, word);
		}
	}
	printf("%s\n", line);
}

static void meters_man(void)
{
	char line[1024] = ".B";
	for (int i = 0; i < MF_COUNT; i++) {
		char word[64];
		snprintf(word, sizeof(word), "%s%s", meter_field_names[i], i + 1 < MF_COUNT ? "" : ".");
		if (strlen(line) + 1 + strlen(word) > WIDTH) {
			printf("%s\n", line);
			snprintf(line, sizeof(line), ".B %s", word);
		} else {
			size_t n = strlen(line);
			snprintf(line + n, sizeof(line) - n, " %s", word);
		}
	}
	printf("%s\n", line);
}

int main(int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";
	if (strcmp(what, "chain-man") == 0 || strcmp(what, "chain-markdown") == 0) {
		chain(strcmp(what, "chain-man") == 0);
	} else if (strcmp(what, "meters-man") == 0) {
		meters_man();
	} else if (strcmp(what, "meters") == 0) {
		for (int i = 0; i < MF_COUNT; i++)
			printf("%s\n", meter_field_names[i]);
	} else {
		fprintf(stderr, "usage: chanstrip-stages chain-man|chain-markdown|meters-man|meters\n");
		return 2;
	}
	return 0;
}
