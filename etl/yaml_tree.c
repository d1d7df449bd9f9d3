/*
 * yaml_tree.c - libyaml's event stream folded into a tree of ynodes.
 *
 * The only file including <yaml.h>.  libyaml reports problems through
 * parser.problem / problem_mark / context; they are translated here into
 * "name:line:col: problem" messages, 1-based, like a compiler's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "fsutil.h"
#include "xalloc.h"
#include "yaml_tree.h"

/* Deeper than any sane job or schema file; keeps recursion bounded. */
#define YAML_MAX_DEPTH 64

struct yparser {
	yaml_parser_t yp;
	const char *name;
	enum err_class cls;
	struct err *err;
};

static void node_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	free(n->str);
	for (i = 0; n->items && i < n->n; i++)
		node_free(n->items[i]);
	for (i = 0; n->pairs && i < n->n; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n);
}

/* Sets the error for a failed yaml_parser_parse(); returns -1. */
static int syntax_error(struct yparser *ps)
{
	yaml_parser_t *p = &ps->yp;
	const char *problem = p->problem ? p->problem : "invalid YAML";
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(ps->err, ERR_SOFTWARE,
			       "%s: out of memory while parsing", ps->name);
	if (p->error == YAML_READER_ERROR)
		return err_set(ps->err, ps->cls, "%s:%zu:%zu: %s (byte %zu)",
			       ps->name, p->mark.line + 1, p->mark.column + 1,
			       problem, p->problem_offset);
	if (p->context)
		return err_set(ps->err, ps->cls,
			       "%s:%zu:%zu: %s %s started at line %zu",
			       ps->name, m.line + 1, m.column + 1, problem,
			       p->context, p->context_mark.line + 1);
	return err_set(ps->err, ps->cls, "%s:%zu:%zu: %s", ps->name,
		       m.line + 1, m.column + 1, problem);
}

static int next_event(struct yparser *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->yp, ev))
		return syntax_error(ps);
	return 0;
}

static struct ynode *node_new(enum ynode_type type, const yaml_event_t *ev)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return n;
}

static int refuse(struct yparser *ps, const yaml_event_t *ev,
		  const char *what)
{
	return err_set(ps->err, ps->cls, "%s:%zu:%zu: %s are not supported",
		       ps->name, ev->start_mark.line + 1,
		       ev->start_mark.column + 1, what);
}

static int parse_node(struct yparser *ps, yaml_event_t *ev, int depth,
		      struct ynode **out);

/* Reads the entries of a sequence or mapping whose start event is `ev`. */
static int parse_children(struct yparser *ps, struct ynode *n, int depth)
{
	yaml_event_t ev, vev;
	yaml_event_type_t end = n->type == YNODE_MAPPING ?
		YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	size_t alloc = 0, i;
	struct ynode *child;

	for (;;) {
		if (next_event(ps, &ev))
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->type == YNODE_SEQUENCE) {
			child = NULL;
			if (parse_node(ps, &ev, depth + 1, &child)) {
				node_free(child);
				return -1;
			}
			XGROW(n->items, alloc, n->n + 1);
			n->items[n->n++] = child;
			continue;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			err_set(ps->err, ps->cls,
				"%s:%zu:%zu: mapping keys must be scalars",
				ps->name, ev.start_mark.line + 1,
				ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			return -1;
		}
		child = NULL;
		if (parse_node(ps, &ev, depth + 1, &child)) {
			node_free(child);
			return -1;
		}
		for (i = 0; i < n->n; i++) {
			const struct ynode *k = n->pairs[i].key;

			if (k->len == child->len &&
			    !memcmp(k->str, child->str, k->len)) {
				err_set(ps->err, ps->cls,
					"%s:%d:%d: duplicate key '%s' "
					"(first at line %d, column %d)",
					ps->name, child->line, child->col,
					child->str, k->line, k->col);
				node_free(child);
				return -1;
			}
		}
		XGROW(n->pairs, alloc, n->n + 1);
		n->pairs[n->n].key = child;
		n->pairs[n->n].value = NULL;
		n->n++;
		if (next_event(ps, &vev))
			return -1;
		if (parse_node(ps, &vev, depth + 1, &n->pairs[n->n - 1].value))
			return -1;
	}
}

/*
 * Builds the node that starts with event `ev` (consumed, even on failure)
 * into *out.  On failure *out may hold a partial node the caller frees.
 */
static int parse_node(struct yparser *ps, yaml_event_t *ev, int depth,
		      struct ynode **out)
{
	struct ynode *n = NULL;
	int ret = -1;

	if (depth > YAML_MAX_DEPTH) {
		err_set(ps->err, ps->cls, "%s:%zu:%zu: nested too deeply",
			ps->name, ev->start_mark.line + 1,
			ev->start_mark.column + 1);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		refuse(ps, ev, "aliases");
		goto out;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			refuse(ps, ev, "anchors");
			goto out;
		}
		n = node_new(YNODE_SCALAR, ev);
		n->len = ev->data.scalar.length;
		n->str = xstrndup((const char *)ev->data.scalar.value, n->len);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		*out = n;
		ret = 0;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor != NULL :
		    ev->data.mapping_start.anchor != NULL) {
			refuse(ps, ev, "anchors");
			goto out;
		}
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ?
			     YNODE_MAPPING : YNODE_SEQUENCE, ev);
		*out = n;
		ret = parse_children(ps, n, depth);
		break;
	default:
		err_set(ps->err, ps->cls, "%s:%zu:%zu: unexpected YAML event",
			ps->name, ev->start_mark.line + 1,
			ev->start_mark.column + 1);
		break;
	}
out:
	yaml_event_delete(ev);
	return ret;
}

struct ydoc *ydoc_parse(const char *name, const char *buf, size_t len,
			enum err_class cls, struct err *err)
{
	struct yparser ps;
	struct ydoc *doc = xcalloc(1, sizeof(*doc));
	yaml_event_t ev;
	int ok = 0;

	doc->name = xstrdup(name);
	ps.name = doc->name;
	ps.cls = cls;
	ps.err = err;
	if (!yaml_parser_initialize(&ps.yp)) {
		err_set(err, ERR_SOFTWARE, "%s: cannot initialise libyaml",
			name);
		free(doc->name);
		free(doc);
		return NULL;
	}
	yaml_parser_set_input_string(&ps.yp, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&ps.yp, YAML_UTF8_ENCODING);

	if (next_event(&ps, &ev))
		goto out;
	yaml_event_delete(&ev);		/* STREAM-START */
	if (next_event(&ps, &ev))
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		ok = 1;
		goto out;
	}
	yaml_event_delete(&ev);		/* DOCUMENT-START */
	if (next_event(&ps, &ev))
		goto out;
	if (parse_node(&ps, &ev, 0, &doc->root))
		goto out;
	if (next_event(&ps, &ev))
		goto out;
	yaml_event_delete(&ev);		/* DOCUMENT-END */
	if (next_event(&ps, &ev))
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		err_set(err, cls, "%s:%zu:%zu: only one YAML document "
			"is allowed", name, ev.start_mark.line + 1,
			ev.start_mark.column + 1);
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
	ok = 1;
out:
	yaml_parser_delete(&ps.yp);
	if (!ok) {
		ydoc_free(doc);
		return NULL;
	}
	return doc;
}

struct ydoc *ydoc_parse_file(const char *path, enum err_class cls,
			     struct err *err)
{
	char *data = NULL;
	size_t len = 0;
	struct ydoc *doc;

	if (fs_read_all(path, &data, &len, err))
		return NULL;
	doc = ydoc_parse(path, data, len, cls, err);
	free(data);
	return doc;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (!map || map->type != YNODE_MAPPING)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].value;
	return NULL;
}

int ynode_is_null(const struct ynode *n)
{
	if (!n)
		return 1;
	if (n->type != YNODE_SCALAR || !n->plain)
		return 0;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") ||
	       !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
	       !strcmp(n->str, "NULL");
}

const char *ynode_kind(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQUENCE:
		return "a list";
	case YNODE_MAPPING:
		return "a mapping";
	}
	return "?";
}
