#include "tool_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"

static char *prop_dup(const fr_props_t *props, const char *key, const char *dflt) {
    const char *v = props ? fr_props_get(props, key) : NULL;
    if (!v)
        v = dflt;
    return v ? strdup(v) : NULL;
}

static bool prop_flag(const fr_props_t *props, const char *key) {
    return props && tool_prop_bool(fr_props_get(props, key));
}

int tool_line_reader_init(tool_line_reader_t *r, const fr_props_t *props, char *err, size_t errlen) {
    memset(r, 0, sizeof(*r));
    r->parse_key = prop_flag(props, "parse.key");
    r->parse_headers = prop_flag(props, "parse.headers");
    r->ignore_error = prop_flag(props, "ignore.error");
    r->key_separator = prop_dup(props, "key.separator", "\t");
    r->headers_delimiter = prop_dup(props, "headers.delimiter", "\t");
    r->headers_separator = prop_dup(props, "headers.separator", ",");
    r->headers_key_separator = prop_dup(props, "headers.key.separator", ":");
    r->null_marker = prop_dup(props, "null.marker", NULL);
    if (!r->key_separator || !r->headers_delimiter || !r->headers_separator ||
        !r->headers_key_separator || (props && fr_props_get(props, "null.marker") && !r->null_marker)) {
        snprintf(err, errlen, "out of memory");
        tool_line_reader_free(r);
        return -1;
    }
    /* An empty separator would match everywhere; Kafka would loop or split per char. */
    const struct {
        const char *name, *value;
    } seps[] = {{"key.separator", r->key_separator},
                {"headers.delimiter", r->headers_delimiter},
                {"headers.separator", r->headers_separator},
                {"headers.key.separator", r->headers_key_separator}};
    for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
        if (seps[i].value[0] == '\0') {
            snprintf(err, errlen, "%s may not be empty", seps[i].name);
            tool_line_reader_free(r);
            return -1;
        }
        if (r->null_marker && strcmp(r->null_marker, seps[i].value) == 0) {
            snprintf(err, errlen, "null.marker and %s may not be equal", seps[i].name);
            tool_line_reader_free(r);
            return -1;
        }
    }
    const struct {
        const char *a_name, *a, *b_name, *b;
    } distinct[] = {
        {"headers.delimiter", r->headers_delimiter, "headers.separator", r->headers_separator},
        {"headers.delimiter", r->headers_delimiter, "headers.key.separator", r->headers_key_separator},
        {"headers.separator", r->headers_separator, "headers.key.separator", r->headers_key_separator},
    };
    for (size_t i = 0; i < sizeof(distinct) / sizeof(distinct[0]); i++) {
        if (strcmp(distinct[i].a, distinct[i].b) == 0) {
            snprintf(err, errlen, "%s and %s may not be equal", distinct[i].a_name, distinct[i].b_name);
            tool_line_reader_free(r);
            return -1;
        }
    }
    return 0;
}

void tool_line_reader_free(tool_line_reader_t *r) {
    free(r->key_separator);
    free(r->headers_delimiter);
    free(r->headers_separator);
    free(r->headers_key_separator);
    free(r->null_marker);
    memset(r, 0, sizeof(*r));
}

void tool_line_free(tool_line_t *l) {
    free(l->headers);
    memset(l, 0, sizeof(*l));
}

static bool is_null_marker(const tool_line_reader_t *r, const char *p, size_t len) {
    return r->null_marker && strlen(r->null_marker) == len && memcmp(r->null_marker, p, len) == 0;
}

static const char *find(const char *hay, size_t hay_len, const char *needle) {
    return memmem(hay, hay_len, needle, strlen(needle));
}

static int add_header(tool_line_t *out, const char *key, size_t key_len, const char *value,
                      size_t value_len) {
    if (FR_ARRAY_GROW(out->headers, out->header_cap, out->header_count + 1, 8))
        return -1;
    out->headers[out->header_count++] = (tool_header_t){key, key_len, value, value_len};
    return 0;
}

/* Splits the header text into pairs, as Kafka's splitHeaders() does. */
static int parse_headers(const tool_line_reader_t *r, const char *h, size_t len, long lineno,
                         tool_line_t *out, char *err, size_t errlen) {
    size_t sep_len = strlen(r->headers_separator), ksep_len = strlen(r->headers_key_separator);
    /* Java's String.split drops trailing empty pieces (but "" stays one empty piece). */
    size_t end = len;
    while (end >= sep_len && end > 0 && memcmp(h + end - sep_len, r->headers_separator, sep_len) == 0)
        end -= sep_len;
    if (end == 0 && len > 0)
        return 0; /* only separators: no pairs */
    const char *p = h, *stop = h + end;
    for (;;) {
        const char *next = find(p, (size_t)(stop - p), r->headers_separator);
        const char *pair_end = next ? next : stop;
        size_t pair_len = (size_t)(pair_end - p);
        const char *ks = find(p, pair_len, r->headers_key_separator);
        if (!ks) {
            if (!r->ignore_error) {
                snprintf(err, errlen, "No header key separator found in pair '%.*s' on line number %ld",
                         (int)pair_len, p, lineno);
                return -1;
            }
            if (add_header(out, p, pair_len, NULL, 0) != 0)
                goto nomem;
        } else {
            size_t klen = (size_t)(ks - p);
            const char *v = ks + ksep_len;
            size_t vlen = (size_t)(pair_end - v);
            if (is_null_marker(r, p, klen)) {
                snprintf(err, errlen,
                         "Header keys should not be equal to the null marker '%s' as they can't be null",
                         r->null_marker);
                return -1;
            }
            if (add_header(out, p, klen, is_null_marker(r, v, vlen) ? NULL : v, vlen) != 0)
                goto nomem;
        }
        if (!next)
            break;
        p = next + sep_len;
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int tool_line_parse(const tool_line_reader_t *r, const char *line, size_t len, long lineno,
                    tool_line_t *out, char *err, size_t errlen) {
    out->key = NULL;
    out->key_len = 0;
    out->header_count = 0;
    size_t pos = 0;

    if (r->parse_headers) {
        const char *d = find(line, len, r->headers_delimiter);
        if (d) {
            size_t hlen = (size_t)(d - line);
            if (!is_null_marker(r, line, hlen) &&
                parse_headers(r, line, hlen, lineno, out, err, errlen) != 0)
                return -1;
            pos = hlen + strlen(r->headers_delimiter);
        } else if (!r->ignore_error) {
            snprintf(err, errlen, "No headers delimiter found on line number %ld: '%.*s'", lineno,
                     (int)len, line);
            return -1;
        }
    }
    if (r->parse_key) {
        const char *s = find(line + pos, len - pos, r->key_separator);
        if (s) {
            size_t klen = (size_t)(s - (line + pos));
            if (!is_null_marker(r, line + pos, klen)) {
                out->key = line + pos;
                out->key_len = klen;
            }
            pos += klen + strlen(r->key_separator);
        } else if (!r->ignore_error) {
            snprintf(err, errlen, "No key separator found on line number %ld: '%.*s'", lineno,
                     (int)len, line);
            return -1;
        }
    }
    out->value_len = len - pos;
    out->value = is_null_marker(r, line + pos, out->value_len) ? NULL : line + pos;
    return 0;
}
