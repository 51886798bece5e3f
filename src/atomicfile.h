/* atomicfile.h: write a file so that readers see either the old one or the whole new one.
 *
 * The data go to a temporary file beside the destination ("<path>.tmp.XXXXXX", same folder
 * so the rename cannot cross file systems), which is flushed to disk (fsync) and renamed
 * over the destination only when everything was written; on any failure, or when the writer
 * gives up, the temporary file is removed and the destination is left as it was.
 *
 * Non-real-time: these call the file system. Every int function returns 0 or a negative
 * errno value; the caller names the file in its message. */
#ifndef CHANSTRIP_ATOMICFILE_H
#define CHANSTRIP_ATOMICFILE_H

#include <stdio.h>

struct atomicfile {
	char path[4096]; /* the destination */
	char tmp[4200];  /* the temporary file; "" when there is none (committed or abandoned) */
	int fd;          /* open on tmp, or -1; owned by f once atomicfile_stream() gave one */
	FILE *f;         /* NULL unless atomicfile_stream() was called */
};

/* Creates the temporary file for path (mode 0644). -ENAMETOOLONG when path does not fit,
 * else mkstemp()'s errno (-ENOENT for a missing folder, -EACCES, ...). */
int atomicfile_open(struct atomicfile *a, const char *path);

/* A stdio stream on the temporary file, for text; NULL with errno set on failure (the
 * atomicfile stays open: abandon it). Call at most once; the stream belongs to a: close it
 * only through atomicfile_commit() or atomicfile_abandon(). */
FILE *atomicfile_stream(struct atomicfile *a);

/* Flushes the stream (if any), fsyncs and closes the temporary file, leaving it in place
 * for atomicfile_commit(): a writer with several files syncs them all before renaming any,
 * so that a write error leaves none of them behind. On failure the temporary file is removed
 * and the errno of the step that failed is returned; *step, unless NULL, then says which
 * ("write" or "close"). */
int atomicfile_sync(struct atomicfile *a, const char **step);

/* atomicfile_sync() unless done, then renames the temporary file over the destination. On
 * failure the temporary file is removed and the errno of the step that failed is returned,
 * *step ("write", "close" or "rename into place") saying which. Either way the atomicfile is
 * finished. */
int atomicfile_commit(struct atomicfile *a, const char **step);

/* Closes and removes the temporary file; a no-op after commit or a previous abandon, and on
 * a struct that atomicfile_open() failed on. */
void atomicfile_abandon(struct atomicfile *a);

#endif
