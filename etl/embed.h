/*
 * embed.h - files compiled into the binary by the build
 * (scripts/embed.sh writes build/gen/schemas_embed.c from schemas/ and
 * build/gen/data_embed.c from data/, the tables of etl/norm.c).
 */
#ifndef CRMSYNC_EMBED_H
#define CRMSYNC_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *path;  /* "schemas/salesforce/Lead.yaml" */
	const char *data;  /* NUL-terminated contents */
	size_t len;
};

extern const struct embedded_file embedded_schemas[];
extern const size_t embedded_schemas_count;
/* data/NAME.csv and data/NAME.txt, e.g. "data/nicknames.csv" */
extern const struct embedded_file embedded_data[];
extern const size_t embedded_data_count;

#endif
