/* suggest.h: "did you mean ...?" for every transport: the closest of a set of names to a
 * mistyped one, so --set, presets, OSC and /preset/load all give the same help. */
#ifndef CHANSTRIP_SUGGEST_H
#define CHANSTRIP_SUGGEST_H

#include <stddef.h>

/* Case-insensitive optimal string alignment distance (Levenshtein plus swapped neighbours:
 * "treshold" -> "threshold" is 1, "podcats" -> "podcast" is 1). Strings over 63 characters
 * count as far from everything. */
unsigned suggest_distance(const char *a, const char *b);

struct suggest {
	const char *word;
	const char *best; /* closest candidate so far, NULL if none is close enough */
	unsigned best_d;
};

void suggest_init(struct suggest *s, const char *word);
/* Offer one candidate; candidates are kept only if close enough to be a plausible typo: at
 * most 1 edit for words up to 4 characters, 2 up to 8, 3 beyond. */
void suggest_offer(struct suggest *s, const char *cand);
/* The best candidate or NULL. */
const char *suggest_best(const struct suggest *s);

/* Closest of a NULL-terminated list, or NULL. */
const char *suggest_from_list(const char *word, const char *const *names);

#endif
