#include "suggest.h"

#include <ctype.h>
#include <string.h>

#define SUGGEST_LEN_MAX 64

unsigned suggest_distance(const char *a, const char *b)
{
	/* three rows of the optimal string alignment table (row i-2 for transpositions) */
	unsigned r0[SUGGEST_LEN_MAX + 1], r1[SUGGEST_LEN_MAX + 1], r2[SUGGEST_LEN_MAX + 1];
	unsigned *pp = r0, *p = r1, *c = r2;
	size_t la = strlen(a), lb = strlen(b);
	if (la >= SUGGEST_LEN_MAX || lb >= SUGGEST_LEN_MAX)
		return SUGGEST_LEN_MAX;
	for (size_t j = 0; j <= lb; j++)
		p[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		c[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			unsigned cost = ca != cb;
			unsigned v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
		}
		unsigned *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb];
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_d = 0;
}

static unsigned suggest_limit(size_t len) { return len <= 4 ? 1 : len <= 8 ? 2 : 3; }

void suggest_offer(struct suggest *s, const char *cand)
{
	unsigned d = suggest_distance(s->word, cand);
	size_t len = strlen(cand) > strlen(s->word) ? strlen(cand) : strlen(s->word);
	if (d == 0 && strcmp(s->word, cand) == 0)
		return; /* the word itself is no suggestion */
	if (d > suggest_limit(len))
		return;
	if (!s->best || d < s->best_d) {
		s->best = cand;
		s->best_d = d;
	}
}

const char *suggest_best(const struct suggest *s) { return s->best; }

const char *suggest_from_list(const char *word, const char *const *names)
{
	struct suggest s;
	suggest_init(&s, word);
	for (size_t i = 0; names && names[i]; i++)
		suggest_offer(&s, names[i]);
	return suggest_best(&s);
}
