/*
 * fr_props.h — Java .properties files, as Kafka users write them.
 *
 * Supports `key=value`, `key: value` and `key value`, `#`/`!` comments,
 * backslash line continuations and the \t \n \r \f \\ \uXXXX escapes.
 * A later duplicate key replaces the earlier one.  The fr_props_t owns copies
 * of every key and value; strings returned by fr_props_get() live until the
 * props are freed or the key is set again.
 */
#ifndef FR_PROPS_H
#define FR_PROPS_H

#include <stddef.h>

typedef struct fr_prop {
    char *key;
    char *value;
    int line;  /* source line, 0 when set programmatically */
} fr_prop_t;

typedef struct fr_props {
    fr_prop_t *items;
    size_t count, cap;
} fr_props_t;

void fr_props_init(fr_props_t *p);
void fr_props_free(fr_props_t *p);
/* Parses text; on error returns FR_ERR_CONFIG and writes a message to err. */
int fr_props_parse(fr_props_t *p, const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a file; a missing file is FR_ERR_NOT_FOUND with a message. */
int fr_props_load(fr_props_t *p, const char *path, char *err, size_t errlen);
/* Sets key to value (copies both).  Returns 0 or FR_ERR_NOMEM. */
int fr_props_set(fr_props_t *p, const char *key, const char *value);
/* Parses "key=value" (the --override / --property form) and sets it. */
int fr_props_set_kv(fr_props_t *p, const char *kv, char *err, size_t errlen);
/* Value for key, or NULL. */
const char *fr_props_get(const fr_props_t *p, const char *key);
/* Removes key.  Returns 1 when it was there, 0 when not. */
int fr_props_unset(fr_props_t *p, const char *key);

/*
 * Writes p to path as a .properties file, atomically: a temp file beside it,
 * fsync, rename over path, fsync of the directory.  Keys and values are
 * escaped so that fr_props_load reads back exactly the same strings; comment,
 * when not NULL, becomes a "#" first line.  Returns 0, or FR_ERR_IO with a
 * message in err (path is then untouched).
 */
int fr_props_store(const fr_props_t *p, const char *path, const char *comment, char *err, size_t errlen);

#endif
