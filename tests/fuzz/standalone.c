/*
 * standalone.c -- feeds files to a fuzz target's LLVMFuzzerTestOneInput
 * without libFuzzer, so every build replays the seed corpus under the
 * normal compiler and sanitizers.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		goto out;
	/* one spare byte so an empty file still gets a valid pointer */
	if ((buf = malloc((size_t)len + 1)) == NULL)
		goto out;
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	fclose(fp);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, failed = 0;

	for (i = 1; i < argc; i++)
		if (replay_file(argv[i]) != 0)
			failed++;
	printf("%d inputs replayed, %d unreadable\n", argc - 1, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
