/* replay_main.c: run a fuzz harness over files without libFuzzer (any compiler): every file
 * named, and every file in every folder named (sorted, so runs are repeatable). The suite
 * replays the seed corpus and the regression inputs this way on every build. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *b = realloc(buf, cap *= 2);
			if (!b)
				free(buf);
			buf = b;
		}
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *de) { return de->d_name[0] != '.'; }

/* Number of inputs replayed, or -1. */
static int replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) < 0 ? -1 : 1;
	struct dirent **list;
	int n = scandir(path, &list, not_hidden, by_name), done = 0;
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name);
		if (done >= 0)
			done = replay_file(file) < 0 ? -1 : done + 1;
		free(list[i]);
	}
	free(list);
	return done;
}

int main(int argc, char **argv)
{
	int total = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		printf("%s: %d input%s replayed\n", argv[i], n, n == 1 ? "" : "s");
		total += n;
	}
	if (!total) {
		fprintf(stderr, "nothing to replay\n");
		return 1;
	}
	return 0;
}
