/* fuzz_common.h: what every fuzz harness shares: one DSP block after each input, with the
 * output checked, and the parameter reset that makes each input start from the same state.
 *
 * Each harness defines LLVMFuzzerTestOneInput. Built with clang -fsanitize=fuzzer it is a
 * libFuzzer target (meson -Dfuzz=true); built with replay_main.c (any compiler) it replays
 * files and folders given on the command line: the corpus and the regression inputs. */
#ifndef CHANSTRIP_FUZZ_COMMON_H
#define CHANSTRIP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Frames of the DSP block run after each input: a short JACK period, so a block costs little
 * next to the handler under test. */
#define FUZZ_BLOCK_FRAMES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one block of a -6 dBFS 997 Hz sine through every strip of e (engine_process) and
 * abort() with a message if any output sample is not finite: a crash is what both libFuzzer
 * and the replay driver report. */
void fuzz_block_check(struct engine *e, const char *what);

/* Every parameter of every strip back to its default (engine_apply: while no audio thread
 * runs, the strips are reset too) if anything changed since the last call, so each input
 * starts from the same values. */
void fuzz_engine_defaults(struct engine *e);

/* A private folder for files the code under test writes (presets saved over OSC, session
 * state). Made once, removed with its files at exit. */
const char *fuzz_tmpdir(void);

/* abort() with a message: an unexpected failure of the harness itself. */
void fuzz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
