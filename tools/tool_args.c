#include "tool_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_version.h"

/* Finds an option by exact name or (prefixes) by unique prefix.  Returns its
 * index, -1 if unknown, -2 if the prefix is ambiguous. */
static long find_opt(const tool_opt_t *opts, size_t nopts, const char *name, size_t len, bool prefixes) {
    long found = -1;
    int matches = 0;
    for (size_t i = 0; i < nopts; i++) {
        if (strncmp(opts[i].name, name, len) != 0)
            continue;
        if (opts[i].name[len] == '\0')
            return (long)i; /* exact match wins over prefixes */
        if (!prefixes)
            continue;
        found = (long)i;
        matches++;
    }
    if (matches > 1)
        return -2;
    return found;
}

static int add_seen(tool_args_t *a, size_t opt, const char *value) {
    tool_arg_seen_t *n = realloc(a->seen, (a->nseen + 1) * sizeof(*n));
    if (!n)
        return -1;
    a->seen = n;
    a->seen[a->nseen++] = (tool_arg_seen_t){opt, value};
    return 0;
}

static int repeated_single(const tool_args_t *a, char *err, size_t errlen);

static int parse(tool_args_t *a, const tool_opt_t *opts, size_t nopts, int argc, char **argv, bool argparse,
                 char *err, size_t errlen) {
    memset(a, 0, sizeof(*a));
    a->opts = opts;
    a->nopts = nopts;
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        if (strncmp(word, "--", 2) != 0 || word[2] == '\0') {
            snprintf(err, errlen, "Found non-option argument '%s'", word);
            return -1;
        }
        const char *name = word + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        long idx = find_opt(opts, nopts, name, name_len, argparse);
        if (idx == -1) {
            snprintf(err, errlen, "%.*s is not a recognized option", (int)name_len, name);
            return -1;
        }
        if (idx == -2) {
            snprintf(err, errlen, "Option %.*s is ambiguous", (int)name_len, name);
            return -1;
        }
        const tool_opt_t *o = &opts[idx];
        const char *value = NULL;
        switch (o->kind) {
        case TOOL_FLAG:
            if (eq) {
                snprintf(err, errlen, "Option %s does not take an argument", o->name);
                return -1;
            }
            break;
        case TOOL_ARG:
        case TOOL_LIST:
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                value = argv[++i];
            } else {
                snprintf(err, errlen, "Option %s requires an argument", o->name);
                return -1;
            }
            break;
        case TOOL_OPTIONAL_ARG:
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc && argv[i + 1][0] != '-')
                value = argv[++i];
            break;
        }
        if (add_seen(a, (size_t)idx, value) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    /* after the whole line, as jopt-simple reports a bad option before any valueOf */
    return argparse ? 0 : repeated_single(a, err, errlen);
}

int tool_args_parse(tool_args_t *a, const tool_opt_t *opts, size_t nopts, int argc, char **argv, char *err,
                    size_t errlen) {
    return parse(a, opts, nopts, argc, argv, false, err, errlen);
}

int tool_args_parse_abbrev(tool_args_t *a, const tool_opt_t *opts, size_t nopts, int argc, char **argv, char *err,
                           size_t errlen) {
    return parse(a, opts, nopts, argc, argv, true, err, errlen);
}

void tool_args_free(tool_args_t *a) {
    free(a->seen);
    a->seen = NULL;
    a->nseen = 0;
}

static long opt_index(const tool_args_t *a, const char *name) {
    for (size_t i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return (long)i;
    return -1;
}

size_t tool_args_count(const tool_args_t *a, const char *name) {
    long idx = opt_index(a, name);
    size_t n = 0;
    for (size_t i = 0; idx >= 0 && i < a->nseen; i++)
        if (a->seen[i].opt == (size_t)idx)
            n++;
    return n;
}

bool tool_args_has(const tool_args_t *a, const char *name) { return tool_args_count(a, name) > 0; }

bool tool_args_version(tool_args_t *a) {
    if (!tool_args_has(a, "version"))
        return false;
    printf("%s\n", fr_version());
    tool_args_free(a);
    return true;
}

/* jopt-simple's valueOf: an option that is not a list, given twice, is an error. */
static int repeated_single(const tool_args_t *a, char *err, size_t errlen) {
    for (size_t i = 0; i < a->nseen; i++) {
        const tool_opt_t *o = &a->opts[a->seen[i].opt];
        if (o->kind != TOOL_FLAG && o->kind != TOOL_LIST && tool_args_count(a, o->name) > 1) {
            snprintf(err, errlen, "Found multiple arguments for option %s, but you asked for only one", o->name);
            return -1;
        }
    }
    return 0;
}

const char *tool_args_value_at(const tool_args_t *a, const char *name, size_t n) {
    long idx = opt_index(a, name);
    for (size_t i = 0; idx >= 0 && i < a->nseen; i++)
        if (a->seen[i].opt == (size_t)idx && n-- == 0)
            return a->seen[i].value;
    return NULL;
}

const char *tool_args_value(const tool_args_t *a, const char *name) {
    size_t n = tool_args_count(a, name);
    return n ? tool_args_value_at(a, name, n - 1) : NULL;
}

int tool_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

char *tool_include_regex(const char *raw) {
    size_t n = strlen(raw);
    char *out = malloc(n + 5);
    if (!out)
        return NULL;
    const char *s = raw, *e = raw + n;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    char *p = out;
    *p++ = '^';
    *p++ = '(';
    char *body = p;
    for (; s < e; s++)
        if (*s != ' ')
            *p++ = *s == ',' ? '|' : *s;
    *p = '\0';
    size_t skip = strspn(body, "\"'");
    memmove(body, body + skip, strlen(body + skip) + 1);
    p = body + strlen(body);
    while (p > body && (p[-1] == '"' || p[-1] == '\''))
        p--;
    strcpy(p, ")$");
    return out;
}

/* ---- usage ---- */

enum { COL_WIDTH = 41, TEXT_WIDTH = 39 };

/*
 * Takes the next line of at most `width` columns from *text (breaking at a
 * space or a '\n' when it can), stores its start and length, and advances
 * *text past it.  Returns false when the text is used up.
 */
static bool next_line(const char **text, size_t width, const char **line, size_t *len) {
    const char *s = *text;
    if (!*s)
        return false;
    size_t n = 0, brk = 0;
    while (s[n] && s[n] != '\n' && n < width) {
        if (s[n] == ' ')
            brk = n;
        n++;
    }
    if (s[n] == '\0' || s[n] == '\n') {
        *line = s;
        *len = n;
        *text = s[n] ? s + n + 1 : s + n;
        return true;
    }
    if (brk == 0) /* one long word: cut it */
        brk = n;
    *line = s;
    *len = brk;
    s += brk;
    while (*s == ' ')
        s++;
    *text = s;
    return true;
}

static int cmp_opt_ptr(const void *x, const void *y) {
    const tool_opt_t *a = *(const tool_opt_t *const *)x, *b = *(const tool_opt_t *const *)y;
    return strcmp(a->name, b->name);
}

static void print_option(FILE *out, const tool_opt_t *o) {
    char left[256];
    if (o->kind == TOOL_FLAG)
        snprintf(left, sizeof(left), "--%s", o->name);
    else if (o->kind == TOOL_ARG || o->kind == TOOL_LIST)
        snprintf(left, sizeof(left), "--%s <%s>", o->name, o->arg_desc ? o->arg_desc : "String");
    else
        snprintf(left, sizeof(left), "--%s [%s]", o->name, o->arg_desc ? o->arg_desc : "String");

    const char *ltext = left, *rtext = o->help ? o->help : "";
    const char *l, *r;
    size_t llen, rlen;
    bool first = true;
    for (;;) {
        bool has_l = next_line(&ltext, first ? TEXT_WIDTH : TEXT_WIDTH - 2, &l, &llen);
        bool has_r = next_line(&rtext, first ? TEXT_WIDTH : TEXT_WIDTH - 2, &r, &rlen);
        if (!has_l && !has_r)
            break;
        int lpad = first ? 0 : 2, rpad = first ? 0 : 2;
        int lw = has_l ? lpad + (int)llen : 0;
        fprintf(out, "%*s%.*s", has_l ? lpad : 0, "", has_l ? (int)llen : 0, has_l ? l : "");
        if (has_r)
            fprintf(out, "%*s%*s%.*s", COL_WIDTH - lw, "", rpad, "", (int)rlen, r);
        fputc('\n', out);
        first = false;
    }
}

void tool_usage(FILE *out, const char *summary, const tool_opt_t *opts, size_t nopts) {
    if (summary)
        fprintf(out, "%s\n", summary);
    fprintf(out, "%-*s%s\n%-*s%s\n", COL_WIDTH, "Option", "Description", COL_WIDTH, "------",
            "-----------");
    const tool_opt_t **sorted = malloc(nopts * sizeof(*sorted));
    if (!sorted)
        return;
    for (size_t i = 0; i < nopts; i++)
        sorted[i] = &opts[i];
    qsort(sorted, nopts, sizeof(*sorted), cmp_opt_ptr);
    for (size_t i = 0; i < nopts; i++)
        print_option(out, sorted[i]);
    free(sorted);
}
