#include "tool_format.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool tool_prop_bool(const char *value) {
    if (!value)
        return false;
    while (isspace((unsigned char)*value))
        value++;
    size_t n = strlen(value);
    while (n > 0 && isspace((unsigned char)value[n - 1]))
        n--;
    return n == 4 && strncasecmp(value, "true", 4) == 0;
}

static bool prop_bool(const fr_props_t *props, const char *key, bool dflt) {
    const char *v = props ? fr_props_get(props, key) : NULL;
    return v ? tool_prop_bool(v) : dflt;
}

static char *prop_str(const fr_props_t *props, const char *key, const char *dflt) {
    const char *v = props ? fr_props_get(props, key) : NULL;
    return strdup(v ? v : dflt);
}

int tool_formatter_init(tool_formatter_t *f, const fr_props_t *props) {
    memset(f, 0, sizeof(*f));
    f->print_timestamp = prop_bool(props, "print.timestamp", false);
    f->print_partition = prop_bool(props, "print.partition", false);
    f->print_offset = prop_bool(props, "print.offset", false);
    f->print_headers = prop_bool(props, "print.headers", false);
    f->print_key = prop_bool(props, "print.key", false);
    f->print_value = prop_bool(props, "print.value", true);
    f->key_separator = prop_str(props, "key.separator", "\t");
    f->line_separator = prop_str(props, "line.separator", "\n");
    f->headers_separator = prop_str(props, "headers.separator", ",");
    f->null_literal = prop_str(props, "null.literal", "null");
    if (!f->key_separator || !f->line_separator || !f->headers_separator || !f->null_literal) {
        tool_formatter_free(f);
        return -1;
    }
    return 0;
}

void tool_formatter_free(tool_formatter_t *f) {
    free(f->key_separator);
    free(f->line_separator);
    free(f->headers_separator);
    free(f->null_literal);
    memset(f, 0, sizeof(*f));
}

static void put_str(FILE *out, const char *s) { fputs(s, out); }

static void put_bytes_or_null(const tool_formatter_t *f, FILE *out, const void *p, size_t len) {
    if (p)
        fwrite(p, 1, len, out);
    else
        put_str(out, f->null_literal);
}

/* After a field: the column separator if another field follows, else the line end. */
static void put_sep(const tool_formatter_t *f, FILE *out, bool more) {
    put_str(out, more ? f->key_separator : f->line_separator);
}

int tool_formatter_write(const tool_formatter_t *f, const tool_record_t *r, FILE *out) {
    if (f->print_timestamp) {
        if (r->ts_type == TOOL_TS_CREATE_TIME)
            fprintf(out, "CreateTime:%" PRId64, r->timestamp);
        else if (r->ts_type == TOOL_TS_LOG_APPEND_TIME)
            fprintf(out, "LogAppendTime:%" PRId64, r->timestamp);
        else
            put_str(out, "NO_TIMESTAMP");
        put_sep(f, out, f->print_partition || f->print_offset || f->print_headers || f->print_key ||
                            f->print_value);
    }
    if (f->print_partition) {
        fprintf(out, "Partition:%" PRId32, r->partition);
        put_sep(f, out, f->print_offset || f->print_headers || f->print_key || f->print_value);
    }
    if (f->print_offset) {
        fprintf(out, "Offset:%" PRId64, r->offset);
        put_sep(f, out, f->print_headers || f->print_key || f->print_value);
    }
    if (f->print_headers) {
        if (r->header_count == 0)
            put_str(out, "NO_HEADERS");
        for (size_t i = 0; i < r->header_count; i++) {
            const tool_header_t *h = &r->headers[i];
            fwrite(h->key, 1, h->key_len, out);
            fputc(':', out);
            put_bytes_or_null(f, out, h->value, h->value_len);
            if (i + 1 < r->header_count)
                put_str(out, f->headers_separator);
        }
        put_sep(f, out, f->print_key || f->print_value);
    }
    if (f->print_key) {
        put_bytes_or_null(f, out, r->key, r->key_len);
        put_sep(f, out, f->print_value);
    }
    if (f->print_value) {
        put_bytes_or_null(f, out, r->value, r->value_len);
        put_str(out, f->line_separator);
    }
    return ferror(out) ? -1 : 0;
}
