/* fuzz_preset.c: the preset parser. Each input is the text of a preset file, loaded with
 * preset_load_file (the parser reads files only, so the input goes to an anonymous memory
 * file named by its /proc/self/fd path); what parses is applied to a 4-strip engine with
 * no audio thread, and one DSP block must come out finite. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "preset.h"

#define FUZZ_PRESET_STRIPS 4

static struct engine eng;
static int mem_fd = -1;
static char mem_path[64];

static void fuzz_preset_init(void)
{
	if (engine_init(&eng, FUZZ_PRESET_STRIPS, 48000.0f, strip_simd_select(0)) < 0)
		fuzz_die("engine_init failed");
	if ((mem_fd = memfd_create("chanstrip-fuzz-preset", MFD_CLOEXEC)) < 0)
		fuzz_die("memfd_create failed");
	snprintf(mem_path, sizeof(mem_path), "/proc/self/fd/%d", mem_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct preset p = {0};
	char err[768];
	size_t bad;

	if (mem_fd < 0)
		fuzz_preset_init();
	if (ftruncate(mem_fd, 0) < 0 || pwrite(mem_fd, data, size, 0) != (ssize_t)size)
		fuzz_die("cannot write the memory file");
	fuzz_engine_defaults(&eng);
	if (preset_load_file(mem_path, &p, err, sizeof(err)) == 0) {
		/* a preset naming a strip the engine lacks is refused whole: fine, still a block */
		(void)engine_apply(&eng, p.assign, p.n, &bad);
		preset_free(&p);
	}
	fuzz_block_check(&eng, "preset");
	return 0;
}
