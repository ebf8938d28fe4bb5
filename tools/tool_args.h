/*
 * tool_args.h — Kafka-style command-line options for the client tools.
 *
 * The Kafka tools parse their options with jopt-simple; this reproduces the
 * parts users rely on:
 *   --name value, --name=value      an option with a required argument
 *   --name                          a flag (or an option whose argument is optional)
 *   --bootstrap                     not an option: Kafka's tools (CommandDefaultOptions)
 *                                   parse without abbreviations; the argparse4j tools
 *                                   (producer-perf-test) take a unique prefix, through
 *                                   tool_args_parse_abbrev
 *   repeated options                a TOOL_LIST option keeps every value, in order
 *                                   (--property a=1 --property b=2: Kafka's valuesOf); any
 *                                   other option given twice is jopt-simple's valueOf error,
 *                                   "Found multiple arguments for option X, but you asked
 *                                   for only one"
 * A required argument is the next word unless that word starts with "--".
 * An optional argument is the next word only if it does not start with "-".
 * Words that are not options are an error (Kafka silently ignores them).
 *
 * Nothing here depends on librdkafka, so it is unit-tested on its own.
 * Ownership: values returned by tool_args_value*() point into argv (or into the
 * argv word after '=') and live as long as argv does.
 */
#ifndef FR_TOOL_ARGS_H
#define FR_TOOL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum tool_opt_kind {
    TOOL_FLAG,         /* --name */
    TOOL_ARG,          /* --name value, given once */
    TOOL_OPTIONAL_ARG, /* --name [value], given once */
    TOOL_LIST,         /* --name value, as often as wanted (read with tool_args_value_at) */
} tool_opt_kind_t;

typedef struct tool_opt {
    const char *name;     /* without the leading "--" */
    tool_opt_kind_t kind;
    const char *arg_desc; /* shown in the usage as <arg_desc>; NULL for flags */
    const char *help;     /* may contain '\n' for hard line breaks */
} tool_opt_t;

typedef struct tool_arg_seen {
    size_t opt;        /* index into the option table */
    const char *value; /* NULL for flags and for an optional argument left out */
} tool_arg_seen_t;

typedef struct tool_args {
    const tool_opt_t *opts;
    size_t nopts;
    tool_arg_seen_t *seen; /* every occurrence, in command-line order */
    size_t nseen;
} tool_args_t;

/*
 * Parses argv[1..argc-1] (argv[0] is the subcommand name) against opts.
 * Returns 0, or -1 with a jopt-simple-like message in err ("foo is not a
 * recognized option", "Option topic requires an argument").  Call
 * tool_args_free() in both cases.
 */
int tool_args_parse(tool_args_t *a, const tool_opt_t *opts, size_t nopts, int argc, char **argv,
                    char *err, size_t errlen);
/* The same with argparse4j's rules (producer-perf-test): a unique prefix of a
 * name stands for the name, and an option given twice keeps both values. */
int tool_args_parse_abbrev(tool_args_t *a, const tool_opt_t *opts, size_t nopts, int argc, char **argv,
                           char *err, size_t errlen);
void tool_args_free(tool_args_t *a);

/* True when the option (full name) was given at least once. */
bool tool_args_has(const tool_args_t *a, const char *name);

/* When --version was given: prints Freshet's version, frees a and returns true (the tool then
 * exits 0, as Kafka's print AppInfoParser's version before checking anything else). */
bool tool_args_version(tool_args_t *a);
/* How many times the option was given. */
size_t tool_args_count(const tool_args_t *a, const char *name);
/* The last value given for the option, or NULL (absent, a flag, or an optional argument left out). */
const char *tool_args_value(const tool_args_t *a, const char *name);
/* The i-th value given for the option (0-based, in order), or NULL. */
const char *tool_args_value_at(const tool_args_t *a, const char *name, size_t i);

/*
 * Prints the usage in jopt-simple's two-column layout:
 *   summary
 *   Option                                   Description
 *   ------                                   -----------
 *   --topic <String: topic>                  REQUIRED: The topic ...
 * Options are listed sorted by name, as jopt-simple does.
 */
void tool_usage(FILE *out, const char *summary, const tool_opt_t *opts, size_t nopts);

/*
 * Kafka's IncludeList topic filter (--topic of kafka-topics, --include of the
 * console consumer) as an anchored POSIX extended regex: the raw text is
 * trimmed, ',' becomes '|', spaces and leading/trailing quotes are dropped, and
 * the result must match the whole topic name.  Returns a malloc'd "^(...)$",
 * or NULL when out of memory.  (Java and POSIX regex syntax agree on the
 * usual topic patterns: literals, '.', '*', '+', '|', classes, groups.)
 */
char *tool_include_regex(const char *raw);

/* Strict decimal integer parsing: the whole string, within [min, max].  Returns 0 or -1. */
int tool_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
