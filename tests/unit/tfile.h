/*
 * tfile.h -- test helpers shared by the suites of the file parsers (conf,
 * hints): a file with given text in its own temp dir, and the check that
 * an error reads "PATH:LINE: problem".
 */
#ifndef CAIRN_TESTS_UNIT_TFILE_H
#define CAIRN_TESTS_UNIT_TFILE_H

/* A file in its own temp dir under /tmp. */
struct tfile {
	char dir[64];
	char path[128];
};

/* Creates the dir and writes text to dir/name; fails the test on error. */
void tfile_write(struct tfile *f, const char *name, const char *text);

/* Removes the file and its dir. */
void tfile_remove(const struct tfile *f);

/* Fails the test unless err starts with "PATH:LINE: " and contains words. */
void tfile_assert_error(const char *err, const char *path, int line,
                        const char *words);

#endif /* CAIRN_TESTS_UNIT_TFILE_H */
