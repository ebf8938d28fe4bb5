/*
 * Unit tests for the client tools' dependency-free pieces: option parsing
 * (tool_args), the console consumer's formatter (tool_format, Kafka's
 * DefaultMessageFormatter) and the console producer's line parser
 * (tool_reader, Kafka's LineMessageReader).
 *
 * The tools' sources are compiled into the freshet executable, not into a
 * library, so this test includes them directly.
 */
#include <stdlib.h>

#include "tool_args.h"
#include "tool_format.h"
#include "tool_reader.h"
#include "fr_props.h"
#include "fr_test.h"

/* ---- tool_args ---- */

static const tool_opt_t test_opts[] = {
    {"bootstrap-server", TOOL_ARG, "String: server", "The server."},
    {"topic", TOOL_ARG, "String: topic", "The topic."},
    {"property", TOOL_LIST, "String: prop", "A property."},
    {"producer-property", TOOL_LIST, "String: prop", "A producer property."},
    {"from-beginning", TOOL_FLAG, NULL, "From the start."},
    {"compression-codec", TOOL_OPTIONAL_ARG, "String: codec", "The codec."},
};
#define NTEST_OPTS (sizeof(test_opts) / sizeof(test_opts[0]))

static int parse(tool_args_t *a, char *err, size_t errlen, int argc, char **argv) {
    return tool_args_parse(a, test_opts, NTEST_OPTS, argc, argv, err, errlen);
}

FR_TEST(args_values_flags_and_repeats) {
    char *argv[] = {"cmd", "--bootstrap-server", "h:1", "--topic=t", "--from-beginning",
                    "--property", "a=1", "--property", "b=2"};
    tool_args_t a;
    char err[256];
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 9, argv), 0);
    FR_CHECK_EQ_STR(tool_args_value(&a, "bootstrap-server"), "h:1");
    FR_CHECK_EQ_STR(tool_args_value(&a, "topic"), "t");
    FR_CHECK(tool_args_has(&a, "from-beginning"));
    FR_CHECK(!tool_args_has(&a, "compression-codec"));
    FR_CHECK_EQ_INT(tool_args_count(&a, "property"), 2);
    FR_CHECK_EQ_STR(tool_args_value_at(&a, "property", 0), "a=1");
    FR_CHECK_EQ_STR(tool_args_value_at(&a, "property", 1), "b=2");
    FR_CHECK_EQ_STR(tool_args_value(&a, "property"), "b=2");
    FR_CHECK(tool_args_value_at(&a, "property", 2) == NULL);
    tool_args_free(&a);
    /* a flag given twice is no value asked for twice; an option that is not a list is */
    char *twice[] = {"cmd", "--from-beginning", "--from-beginning", "--topic", "t", "--topic", "u"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 5, twice), 0);
    tool_args_free(&a);
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 7, twice), -1);
    FR_CHECK_EQ_STR(err, "Found multiple arguments for option topic, but you asked for only one");
    tool_args_free(&a);
    /* the whole line is read first: an unknown option is reported before the repeat */
    char *both[] = {"cmd", "--topic", "t", "--topic", "u", "--bogus"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 6, both), -1);
    FR_CHECK_EQ_STR(err, "bogus is not a recognized option");
    tool_args_free(&a);
    /* argparse4j's rules (producer-perf-test): the last of two values wins */
    FR_CHECK_EQ_INT(tool_args_parse_abbrev(&a, test_opts, NTEST_OPTS, 7, twice, err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(tool_args_value(&a, "topic"), "u");
    tool_args_free(&a);
}

FR_TEST(args_unique_prefix_and_exact_match) {
    char *argv[] = {"cmd", "--bootstrap", "h:1", "--property", "x=y"};
    tool_args_t a;
    char err[256];
    /* Kafka's jopt-simple tools take no abbreviations (CommandDefaultOptions) */
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 5, argv), -1);
    FR_CHECK_EQ_STR(err, "bootstrap is not a recognized option");
    tool_args_free(&a);
    /* argparse4j's (producer-perf-test) take a unique prefix */
    FR_CHECK_EQ_INT(tool_args_parse_abbrev(&a, test_opts, NTEST_OPTS, 5, argv, err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(tool_args_value(&a, "bootstrap-server"), "h:1");
    /* "property" is exact even though "producer-property" does not share the prefix */
    FR_CHECK_EQ_STR(tool_args_value(&a, "property"), "x=y");
    tool_args_free(&a);

    char *amb[] = {"cmd", "--pro", "x"};
    FR_CHECK_EQ_INT(tool_args_parse_abbrev(&a, test_opts, NTEST_OPTS, 3, amb, err, sizeof(err)), -1);
    FR_CHECK_EQ_STR(err, "Option pro is ambiguous");
    tool_args_free(&a);
}

FR_TEST(args_errors_read_like_jopt_simple) {
    tool_args_t a;
    char err[256];
    char *unknown[] = {"cmd", "--bogus"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 2, unknown), -1);
    FR_CHECK_EQ_STR(err, "bogus is not a recognized option");
    tool_args_free(&a);

    char *missing[] = {"cmd", "--topic"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 2, missing), -1);
    FR_CHECK_EQ_STR(err, "Option topic requires an argument");
    tool_args_free(&a);

    char *next_is_option[] = {"cmd", "--topic", "--from-beginning"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 3, next_is_option), -1);
    FR_CHECK_EQ_STR(err, "Option topic requires an argument");
    tool_args_free(&a);

    char *flag_value[] = {"cmd", "--from-beginning=yes"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 2, flag_value), -1);
    FR_CHECK_EQ_STR(err, "Option from-beginning does not take an argument");
    tool_args_free(&a);

    char *stray[] = {"cmd", "stray"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 2, stray), -1);
    FR_CHECK_EQ_STR(err, "Found non-option argument 'stray'");
    tool_args_free(&a);
}

FR_TEST(args_optional_argument) {
    tool_args_t a;
    char err[256];
    char *bare[] = {"cmd", "--compression-codec", "--topic", "t"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 4, bare), 0);
    FR_CHECK(tool_args_has(&a, "compression-codec"));
    FR_CHECK(tool_args_value(&a, "compression-codec") == NULL);
    FR_CHECK_EQ_STR(tool_args_value(&a, "topic"), "t");
    tool_args_free(&a);

    char *last[] = {"cmd", "--compression-codec"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 2, last), 0);
    FR_CHECK(tool_args_has(&a, "compression-codec"));
    tool_args_free(&a);

    char *given[] = {"cmd", "--compression-codec", "lz4"};
    FR_CHECK_EQ_INT(parse(&a, err, sizeof(err), 3, given), 0);
    FR_CHECK_EQ_STR(tool_args_value(&a, "compression-codec"), "lz4");
    tool_args_free(&a);
}

FR_TEST(parse_i64_is_strict) {
    int64_t v;
    FR_CHECK_EQ_INT(tool_parse_i64("42", 0, 100, &v), 0);
    FR_CHECK_EQ_INT(v, 42);
    FR_CHECK_EQ_INT(tool_parse_i64("-3", -5, 5, &v), 0);
    FR_CHECK_EQ_INT(v, -3);
    FR_CHECK_EQ_INT(tool_parse_i64("", 0, 100, &v), -1);
    FR_CHECK_EQ_INT(tool_parse_i64("4x", 0, 100, &v), -1);
    FR_CHECK_EQ_INT(tool_parse_i64("101", 0, 100, &v), -1);
    FR_CHECK_EQ_INT(tool_parse_i64("99999999999999999999", 0, INT64_MAX, &v), -1);
}

FR_TEST(usage_has_jopt_simple_columns_sorted_by_name) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    tool_usage(out, "Summary.", test_opts, NTEST_OPTS);
    fclose(out);
    const char *expect = "Summary.\n"
                         "Option                                   Description\n"
                         "------                                   -----------\n"
                         "--bootstrap-server <String: server>      The server.\n"
                         "--compression-codec [String: codec]      The codec.\n";
    FR_CHECK(strncmp(buf, expect, strlen(expect)) == 0);
    FR_CHECK(strstr(buf, "--from-beginning                         From the start.\n") != NULL);
    free(buf);
}

FR_TEST(include_regex_is_kafkas_include_list) {
    struct {
        const char *raw, *regex;
    } cases[] = {
        {"orders", "^(orders)$"},
        {" a, b ", "^(a|b)$"},
        {"\"test\\.topic\"", "^(test\\.topic)$"},
        {"'x.*'", "^(x.*)$"},
        {"", "^()$"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *re = tool_include_regex(cases[i].raw);
        FR_CHECK_EQ_STR(re, cases[i].regex);
        free(re);
    }
}

/* ---- tool_format ---- */

/* Formats r with the given "k=v" properties and returns the malloc'd output. */
static char *format(const char *const *kvs, size_t n, const tool_record_t *r) {
    fr_props_t props;
    fr_props_init(&props);
    char err[128];
    for (size_t i = 0; i < n; i++)
        fr_props_set_kv(&props, kvs[i], err, sizeof(err));
    tool_formatter_t f;
    char *buf = NULL;
    size_t len = 0;
    if (tool_formatter_init(&f, &props) == 0) {
        FILE *out = open_memstream(&buf, &len);
        tool_formatter_write(&f, r, out);
        fclose(out);
        tool_formatter_free(&f);
    }
    fr_props_free(&props);
    return buf;
}

static const tool_header_t two_headers[] = {{"h1", 2, "v1", 2}, {"h2", 2, NULL, 0}};

static tool_record_t sample(void) {
    return (tool_record_t){.partition = 2,
                           .offset = 17,
                           .ts_type = TOOL_TS_CREATE_TIME,
                           .timestamp = 1700000000123,
                           .key = "k",
                           .key_len = 1,
                           .value = "hello",
                           .value_len = 5,
                           .headers = two_headers,
                           .header_count = 2};
}

FR_TEST(format_default_prints_value_only) {
    tool_record_t r = sample();
    char *s = format(NULL, 0, &r);
    FR_CHECK_EQ_STR(s, "hello\n");
    free(s);
}

FR_TEST(format_all_fields_in_kafka_order) {
    tool_record_t r = sample();
    const char *kv[] = {"print.timestamp=true", "print.key=true", "print.offset=true",
                        "print.partition=true", "print.headers=true"};
    char *s = format(kv, 5, &r);
    FR_CHECK_EQ_STR(s, "CreateTime:1700000000123\tPartition:2\tOffset:17\th1:v1,h2:null\tk\thello\n");
    free(s);
}

FR_TEST(format_separators_and_nulls) {
    tool_record_t r = sample();
    r.key = NULL;
    r.value = NULL;
    r.header_count = 0;
    r.ts_type = TOOL_TS_LOG_APPEND_TIME;
    const char *kv[] = {"print.timestamp=TRUE ", "print.key= true", "print.headers=true",
                        "key.separator= | ", "line.separator=;", "null.literal=NIL"};
    char *s = format(kv, 6, &r);
    FR_CHECK_EQ_STR(s, "LogAppendTime:1700000000123 | NO_HEADERS | NIL | NIL;");
    free(s);
}

FR_TEST(format_last_field_ends_the_line_when_value_hidden) {
    tool_record_t r = sample();
    r.ts_type = TOOL_TS_NONE;
    const char *kv[] = {"print.timestamp=true", "print.key=true", "print.value=false"};
    char *s = format(kv, 3, &r);
    FR_CHECK_EQ_STR(s, "NO_TIMESTAMP\tk\n");
    free(s);
    const char *kv2[] = {"print.key=yes", "headers.separator=|", "print.headers=true"};
    s = format(kv2, 3, &r);
    FR_CHECK_EQ_STR(s, "h1:v1|h2:null\thello\n");
    free(s);
}

FR_TEST(prop_bool_is_javas) {
    FR_CHECK(tool_prop_bool("true"));
    FR_CHECK(tool_prop_bool(" True\t"));
    FR_CHECK(!tool_prop_bool("1"));
    FR_CHECK(!tool_prop_bool("yes"));
    FR_CHECK(!tool_prop_bool(NULL));
}

/* ---- tool_reader ---- */

typedef struct reader_fixture {
    tool_line_reader_t r;
    tool_line_t line;
    char err[256];
} reader_fixture_t;

static int reader_init(reader_fixture_t *fx, const char *const *kvs, size_t n) {
    memset(fx, 0, sizeof(*fx));
    fr_props_t props;
    fr_props_init(&props);
    for (size_t i = 0; i < n; i++)
        fr_props_set_kv(&props, kvs[i], fx->err, sizeof(fx->err));
    int rc = tool_line_reader_init(&fx->r, &props, fx->err, sizeof(fx->err));
    fr_props_free(&props);
    return rc;
}

static void reader_done(reader_fixture_t *fx) {
    tool_line_reader_free(&fx->r);
    tool_line_free(&fx->line);
}

static int parse_line(reader_fixture_t *fx, const char *s, long lineno) {
    return tool_line_parse(&fx->r, s, strlen(s), lineno, &fx->line, fx->err, sizeof(fx->err));
}

#define CHECK_SLICE(p, len, expect)                                                   \
    do {                                                                              \
        FR_CHECK((p) != NULL);                                                        \
        if (p) {                                                                      \
            FR_CHECK_EQ_INT((len), strlen(expect));                                   \
            FR_CHECK(memcmp((p), (expect), strlen(expect)) == 0);                     \
        }                                                                             \
    } while (0)

FR_TEST(reader_plain_line_is_the_value) {
    reader_fixture_t fx;
    FR_CHECK_EQ_INT(reader_init(&fx, NULL, 0), 0);
    FR_CHECK_EQ_INT(parse_line(&fx, "a\tb", 1), 0);
    FR_CHECK(fx.line.key == NULL);
    CHECK_SLICE(fx.line.value, fx.line.value_len, "a\tb");
    FR_CHECK_EQ_INT(parse_line(&fx, "", 2), 0);
    FR_CHECK(fx.line.value != NULL);
    FR_CHECK_EQ_INT(fx.line.value_len, 0);
    reader_done(&fx);
}

FR_TEST(reader_key_and_separator) {
    reader_fixture_t fx;
    const char *kv[] = {"parse.key=true", "key.separator=::"};
    FR_CHECK_EQ_INT(reader_init(&fx, kv, 2), 0);
    FR_CHECK_EQ_INT(parse_line(&fx, "k1::v::1", 1), 0);
    CHECK_SLICE(fx.line.key, fx.line.key_len, "k1");
    CHECK_SLICE(fx.line.value, fx.line.value_len, "v::1");
    FR_CHECK_EQ_INT(parse_line(&fx, "::v", 2), 0);
    CHECK_SLICE(fx.line.key, fx.line.key_len, "");
    FR_CHECK_EQ_INT(parse_line(&fx, "novalue", 3), -1);
    FR_CHECK_EQ_STR(fx.err, "No key separator found on line number 3: 'novalue'");
    reader_done(&fx);

    const char *ign[] = {"parse.key=true", "ignore.error=true"};
    FR_CHECK_EQ_INT(reader_init(&fx, ign, 2), 0);
    FR_CHECK_EQ_INT(parse_line(&fx, "novalue", 1), 0);
    FR_CHECK(fx.line.key == NULL);
    CHECK_SLICE(fx.line.value, fx.line.value_len, "novalue");
    reader_done(&fx);
}

FR_TEST(reader_headers_key_value_and_null_marker) {
    reader_fixture_t fx;
    const char *kv[] = {"parse.key=true", "parse.headers=true", "null.marker=<null>"};
    FR_CHECK_EQ_INT(reader_init(&fx, kv, 3), 0);
    FR_CHECK_EQ_INT(parse_line(&fx, "h1:v1,h2:<null>,h3:\tkey\tvalue", 1), 0);
    FR_CHECK_EQ_INT(fx.line.header_count, 3);
    CHECK_SLICE(fx.line.headers[0].key, fx.line.headers[0].key_len, "h1");
    CHECK_SLICE((const char *)fx.line.headers[0].value, fx.line.headers[0].value_len, "v1");
    FR_CHECK(fx.line.headers[1].value == NULL);
    CHECK_SLICE((const char *)fx.line.headers[2].value, fx.line.headers[2].value_len, "");
    CHECK_SLICE(fx.line.key, fx.line.key_len, "key");
    CHECK_SLICE(fx.line.value, fx.line.value_len, "value");

    FR_CHECK_EQ_INT(parse_line(&fx, "<null>\t<null>\t<null>", 2), 0);
    FR_CHECK_EQ_INT(fx.line.header_count, 0);
    FR_CHECK(fx.line.key == NULL);
    FR_CHECK(fx.line.value == NULL);

    FR_CHECK_EQ_INT(parse_line(&fx, "h1:v1,,\tk\tv", 3), 0); /* trailing empty pairs dropped */
    FR_CHECK_EQ_INT(fx.line.header_count, 1);

    FR_CHECK_EQ_INT(parse_line(&fx, "h1\tk\tv", 4), -1);
    FR_CHECK_EQ_STR(fx.err, "No header key separator found in pair 'h1' on line number 4");
    FR_CHECK_EQ_INT(parse_line(&fx, "<null>:v\tk\tv", 5), -1);
    FR_CHECK_EQ_STR(fx.err, "Header keys should not be equal to the null marker '<null>' as they can't be null");
    FR_CHECK_EQ_INT(parse_line(&fx, "no delimiter", 6), -1);
    FR_CHECK_EQ_STR(fx.err, "No headers delimiter found on line number 6: 'no delimiter'");
    reader_done(&fx);
}

FR_TEST(reader_rejects_clashing_separators) {
    reader_fixture_t fx;
    const char *kv[] = {"null.marker=\t"};
    FR_CHECK_EQ_INT(reader_init(&fx, kv, 1), -1);
    FR_CHECK_EQ_STR(fx.err, "null.marker and key.separator may not be equal");
    const char *kv2[] = {"headers.separator=:"};
    FR_CHECK_EQ_INT(reader_init(&fx, kv2, 1), -1);
    FR_CHECK_EQ_STR(fx.err, "headers.separator and headers.key.separator may not be equal");
    const char *kv3[] = {"key.separator="};
    FR_CHECK_EQ_INT(reader_init(&fx, kv3, 1), -1);
    FR_CHECK_EQ_STR(fx.err, "key.separator may not be empty");
}

int main(void) {
    FR_RUN(args_values_flags_and_repeats);
    FR_RUN(args_unique_prefix_and_exact_match);
    FR_RUN(args_errors_read_like_jopt_simple);
    FR_RUN(args_optional_argument);
    FR_RUN(parse_i64_is_strict);
    FR_RUN(usage_has_jopt_simple_columns_sorted_by_name);
    FR_RUN(include_regex_is_kafkas_include_list);
    FR_RUN(format_default_prints_value_only);
    FR_RUN(format_all_fields_in_kafka_order);
    FR_RUN(format_separators_and_nulls);
    FR_RUN(format_last_field_ends_the_line_when_value_hidden);
    FR_RUN(prop_bool_is_javas);
    FR_RUN(reader_plain_line_is_the_value);
    FR_RUN(reader_key_and_separator);
    FR_RUN(reader_headers_key_value_and_null_marker);
    FR_RUN(reader_rejects_clashing_separators);
    return fr_test_done();
}
