/*
 * yaml_tree.h - a YAML document as a small tree of nodes, each knowing
 * the line and column it came from.
 *
 * This is the only interface to libyaml in crmsync (yaml_tree.c is the
 * only file including <yaml.h>).  Job files and schema files are parsed
 * into this tree first, then walked by job.c and schema.c, which can then
 * point at the exact spot of a mistake:
 *
 *     struct ydoc *doc = ydoc_parse_file("jobs/demo.yaml", ERR_CONFIG, err);
 *     const struct ynode *src = ynode_get(doc->root, "source");
 *     ... "%s:%d:%d: ...", doc->name, src->line, src->col ...
 *     ydoc_free(doc);
 *
 * Refused on purpose: duplicate mapping keys, non-scalar mapping keys,
 * anchors and aliases, more than one document in a stream.  Tags are
 * ignored.
 *
 * Ownership: a struct ydoc owns all its nodes and strings; ydoc_free()
 * releases them, and every node pointer dies with it.
 */
#ifndef CRMSYNC_YAML_TREE_H
#define CRMSYNC_YAML_TREE_H

#include <stddef.h>

#include "errors.h"

enum ynode_type { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode;

/* One `key: value` entry of a mapping; the key is always a scalar. */
struct ypair {
	struct ynode *key;
	struct ynode *value;
};

struct ynode {
	enum ynode_type type;
	int line;	/* 1-based */
	int col;	/* 1-based */
	/* scalar */
	char *str;	/* NUL-terminated (may contain NULs: see len) */
	size_t len;
	int plain;	/* 1: unquoted (so `~`, `null` and `` mean null) */
	/* sequence: items[0..n); mapping: pairs[0..n), in file order */
	size_t n;
	struct ynode **items;
	struct ypair *pairs;
};

struct ydoc {
	char *name;		/* as given, for messages */
	struct ynode *root;	/* NULL for an empty document */
};

/*
 * Parses `len` bytes at `buf` as one YAML document; `name` is used in
 * messages.  On failure returns NULL with class `cls` and a message
 * "name:line:col: <problem>" (libyaml's own wording for syntax errors).
 */
struct ydoc *ydoc_parse(const char *name, const char *buf, size_t len,
			enum err_class cls, struct err *err);

/*
 * Reads and parses the file at `path`.  A missing or unreadable file
 * fails with ERR_NOINPUT or ERR_IO; anything wrong inside it with `cls`.
 */
struct ydoc *ydoc_parse_file(const char *path, enum err_class cls,
			     struct err *err);

/* NULL is a no-op. */
void ydoc_free(struct ydoc *doc);

/* The value under `key` in mapping `map`, or NULL when `map` is NULL,
 * not a mapping, or has no such key.  This function can't fail. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/* 1 when `n` is NULL or a plain scalar spelled ``, `~`, `null`, `Null`
 * or `NULL` (YAML's null), else 0. */
int ynode_is_null(const struct ynode *n);

/* "a scalar", "a list" or "a mapping", for "expected X, got Y". */
const char *ynode_kind(const struct ynode *n);

#endif
