#include "fr_props.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_array.h"
#include "fr_err.h"
#include "fr_fs.h"

void fr_props_init(fr_props_t *p) { memset(p, 0, sizeof(*p)); }

void fr_props_free(fr_props_t *p) {
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    memset(p, 0, sizeof(*p));
}

static int props_put(fr_props_t *p, char *key, char *value, int line) {
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->items[i].key, key) == 0) {
            free(p->items[i].key);
            free(p->items[i].value);
            p->items[i] = (fr_prop_t){key, value, line};
            return 0;
        }
    }
    if (FR_ARRAY_GROW(p->items, p->cap, p->count + 1, 16)) {
        free(key);
        free(value);
        return FR_ERR_NOMEM;
    }
    p->items[p->count++] = (fr_prop_t){key, value, line};
    return 0;
}

int fr_props_set(fr_props_t *p, const char *key, const char *value) {
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return FR_ERR_NOMEM;
    }
    return props_put(p, k, v, 0);
}

const char *fr_props_get(const fr_props_t *p, const char *key) {
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].key, key) == 0)
            return p->items[i].value;
    return NULL;
}

/* A growable string for unescaping one logical line. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf_t;

static int sb_putc(sbuf_t *b, char c) {
    if (FR_ARRAY_GROW(b->s, b->cap, b->len + 2, 64))
        return -1;
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
    return 0;
}

static int sb_put_utf8(sbuf_t *b, unsigned cp) {
    if (cp < 0x80)
        return sb_putc(b, (char)cp);
    if (cp < 0x800)
        return sb_putc(b, (char)(0xc0 | (cp >> 6))) || sb_putc(b, (char)(0x80 | (cp & 0x3f)));
    return sb_putc(b, (char)(0xe0 | (cp >> 12))) || sb_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f))) ||
           sb_putc(b, (char)(0x80 | (cp & 0x3f)));
}

static char *sb_take(sbuf_t *b) {
    if (!b->s)
        return strdup("");
    char *s = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\f'; }

/*
 * Parses one logical line starting at *pos.  The key ends at the first
 * unescaped '=', ':' or whitespace; escapes and continuations apply to both
 * key and value as in java.util.Properties.
 */
int fr_props_parse(fr_props_t *p, const char *text, size_t len, char *err, size_t errlen) {
    size_t i = 0;
    int line = 1;
    while (i < len) {
        /* skip leading whitespace and blank lines */
        while (i < len && (is_ws(text[i]) || text[i] == '\r' || text[i] == '\n')) {
            if (text[i] == '\n')
                line++;
            i++;
        }
        if (i >= len)
            break;
        int start_line = line;
        if (text[i] == '#' || text[i] == '!') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        sbuf_t key = {0}, val = {0};
        sbuf_t *cur = &key;
        int in_value = 0, value_started = 0, sep_seen = 0;
        while (i < len && text[i] != '\n' && text[i] != '\r') {
            char c = text[i];
            if (c == '\\') {
                if (i + 1 >= len) {
                    i++;
                    break;
                }
                char e = text[i + 1];
                if (e == '\n' || e == '\r') {
                    /* continuation: skip newline and the next line's leading ws */
                    i += 2;
                    if (e == '\r' && i < len && text[i] == '\n')
                        i++;
                    line++;
                    while (i < len && is_ws(text[i]))
                        i++;
                    continue;
                }
                i += 2;
                int rc = 0;
                switch (e) {
                case 't': rc = sb_putc(cur, '\t'); break;
                case 'n': rc = sb_putc(cur, '\n'); break;
                case 'r': rc = sb_putc(cur, '\r'); break;
                case 'f': rc = sb_putc(cur, '\f'); break;
                case 'u': {
                    unsigned cp = 0;
                    for (int k = 0; k < 4; k++, i++) {
                        char h = i < len ? text[i] : 0;
                        int d = (h >= '0' && h <= '9') ? h - '0'
                                : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                                : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
                        if (d < 0) {
                            snprintf(err, errlen, "line %d: malformed \\uXXXX escape", start_line);
                            free(key.s);
                            free(val.s);
                            return FR_ERR_CONFIG;
                        }
                        cp = cp * 16 + (unsigned)d;
                    }
                    rc = sb_put_utf8(cur, cp);
                    break;
                }
                default: rc = sb_putc(cur, e); break;
                }
                if (rc)
                    goto nomem;
                if (in_value)
                    value_started = 1;
                continue;
            }
            if (!in_value) {
                if (c == '=' || c == ':' || is_ws(c)) {
                    in_value = 1;
                    cur = &val;
                    if (c == '=' || c == ':')
                        sep_seen = 1;
                    i++;
                    continue;
                }
            } else if (!value_started) {
                /* whitespace around the separator, and one '='/':' after ws */
                if (is_ws(c)) {
                    i++;
                    continue;
                }
                if ((c == '=' || c == ':') && !sep_seen) {
                    sep_seen = 1;
                    i++;
                    continue;
                }
                value_started = 1;
            }
            if (sb_putc(cur, c))
                goto nomem;
            i++;
        }
        {
            char *k = sb_take(&key), *v = sb_take(&val);
            if (!k || !v) {
                free(k);
                free(v);
                goto nomem_taken;
            }
            if (props_put(p, k, v, start_line))
                goto nomem_taken;
        }
        continue;
    nomem:
        free(key.s);
        free(val.s);
    nomem_taken:
        snprintf(err, errlen, "out of memory");
        return FR_ERR_NOMEM;
    }
    return 0;
}

int fr_props_load(fr_props_t *p, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? FR_ERR_NOT_FOUND : FR_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096 && FR_ARRAY_GROW(buf, cap, len + 4096, 8192)) {
            free(buf);
            fclose(f);
            snprintf(err, errlen, "out of memory reading %s", path);
            return FR_ERR_NOMEM;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        free(buf);
        snprintf(err, errlen, "error reading %s", path);
        return FR_ERR_IO;
    }
    char perr[256] = "";
    int rc = fr_props_parse(p, buf ? buf : "", len, perr, sizeof(perr));
    free(buf);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, perr);
    return rc;
}

int fr_props_set_kv(fr_props_t *p, const char *kv, char *err, size_t errlen) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "expected key=value, got '%s'", kv);
        return FR_ERR_CONFIG;
    }
    char *k = strndup(kv, (size_t)(eq - kv));
    char *v = strdup(eq + 1);
    if (!k || !v) {
        free(k);
        free(v);
        snprintf(err, errlen, "out of memory");
        return FR_ERR_NOMEM;
    }
    return props_put(p, k, v, 0);
}

int fr_props_unset(fr_props_t *p, const char *key) {
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->items[i].key, key) == 0) {
            free(p->items[i].key);
            free(p->items[i].value);
            memmove(p->items + i, p->items + i + 1, (p->count - i - 1) * sizeof(*p->items));
            p->count--;
            return 1;
        }
    }
    return 0;
}

/* Appends s escaped as java.util.Properties.store does (is_key: also blanks and separators). */
static int sb_put_escaped(sbuf_t *b, const char *s, int is_key) {
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char u[8];
        switch (c) {
        case '\\': e = "\\\\"; break;
        case '\t': e = "\\t"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\f': e = "\\f"; break;
        case '=': case ':': case '#': case '!':
            if (is_key)
                e = c == '=' ? "\\=" : c == ':' ? "\\:" : c == '#' ? "\\#" : "\\!";
            break;
        case ' ':
            if (is_key || i == 0)
                e = "\\ ";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(u, sizeof(u), "\\u%04x", c);
                e = u;
            }
            break;
        }
        if (e) {
            for (; *e; e++)
                if (sb_putc(b, *e))
                    return -1;
        } else if (sb_putc(b, (char)c)) {
            return -1;
        }
    }
    return 0;
}

int fr_props_store(const fr_props_t *p, const char *path, const char *comment, char *err, size_t errlen) {
    sbuf_t b = {0};
    int rc = 0;
    if (comment)
        rc |= sb_putc(&b, '#') || sb_put_escaped(&b, comment, 0) || sb_putc(&b, '\n');
    for (size_t i = 0; i < p->count && !rc; i++)
        rc |= sb_put_escaped(&b, p->items[i].key, 1) || sb_putc(&b, '=') ||
              sb_put_escaped(&b, p->items[i].value, 0) || sb_putc(&b, '\n');
    if (rc) {
        free(b.s);
        snprintf(err, errlen, "out of memory writing %s", path);
        return FR_ERR_IO;
    }
    int failed = fr_file_replace(path, b.s ? b.s : "", b.len, FR_FS_SYNC_DIR);
    int saved = errno;
    free(b.s);
    if (failed) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
        return FR_ERR_IO;
    }
    return 0;
}
