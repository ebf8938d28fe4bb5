/*
 * Unit tests for consumer-groups' argument formats (tool_groups_parse):
 * Kafka's --to-datetime (Utils.getDateTime), Java's Duration.parse for
 * --by-duration, "topic:0,1,2" and the reset-plan CSV lines.
 *
 * The tools' sources are compiled into the freshet executable, not into a
 * library, so this test includes them directly.
 */
#include "tool_args.h"
#include "tool_groups_parse.h"
#include "fr_test.h"

static int64_t datetime(const char *s) {
    int64_t ms = 0;
    char err[256];
    FR_CHECK_EQ_INT(tool_parse_datetime(s, &ms, err, sizeof(err)), 0);
    return ms;
}

static const char *datetime_error(const char *s) {
    static char err[256];
    int64_t ms;
    err[0] = '\0';
    FR_CHECK_EQ_INT(tool_parse_datetime(s, &ms, err, sizeof(err)), -1);
    return err;
}

FR_TEST(datetime_is_utc_without_a_zone) {
    FR_CHECK_EQ_INT(datetime("2024-03-01T12:34:56.789"), 1709296496789LL);
    FR_CHECK_EQ_INT(datetime("2024-03-01T12:34:56.789Z"), 1709296496789LL);
    FR_CHECK_EQ_INT(datetime("2024-02-29T23:59:59.001"), 1709251199001LL);
    FR_CHECK_EQ_INT(datetime("1970-01-01T00:00:00.000"), 0);
    FR_CHECK_EQ_INT(datetime("1969-12-31T23:59:59.999"), -1);
}

FR_TEST(datetime_zones_and_short_fractions) {
    FR_CHECK_EQ_INT(datetime("2024-03-01T14:34:56.789+02:00"), 1709296496789LL);
    FR_CHECK_EQ_INT(datetime("2024-03-01T14:34:56.789+0200"), 1709296496789LL);
    FR_CHECK_EQ_INT(datetime("2024-03-01T14:34:56.789+02"), 1709296496789LL);
    FR_CHECK_EQ_INT(datetime("2024-03-01T07:04:56.789-05:30"), 1709296496789LL);
    /* SimpleDateFormat reads "SSS" as a number of milliseconds */
    FR_CHECK_EQ_INT(datetime("1970-01-01T00:00:00.5"), 5);
}

FR_TEST(datetime_errors) {
    FR_CHECK_EQ_STR(datetime_error("2024-03-01"),
                    "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
    FR_CHECK_EQ_STR(datetime_error("2024-03-01T"), "Error parsing timestamp. Time part after 'T' is null or empty");
    FR_CHECK_EQ_STR(datetime_error("2023-02-29T00:00:00.000"), "Unparseable date: \"2023-02-29T00:00:00.000\"");
    datetime_error("2024-03-01T12:34:56");      /* the milliseconds are required */
    datetime_error("2024-03-01T24:00:00.000");
    datetime_error("2024-13-01T00:00:00.000");
    datetime_error("2024-03-01T12:34:56.789+2");
    datetime_error("2024-03-01T12:34:56.789 ");
}

static int64_t duration(const char *s) {
    int64_t ms = 0;
    char err[256];
    FR_CHECK_EQ_INT(tool_parse_duration(s, &ms, err, sizeof(err)), 0);
    return ms;
}

FR_TEST(durations_as_java_parses_them) {
    FR_CHECK_EQ_INT(duration("PT1H"), 3600000);
    FR_CHECK_EQ_INT(duration("pt15m"), 900000);
    FR_CHECK_EQ_INT(duration("P2D"), 172800000);
    FR_CHECK_EQ_INT(duration("P1DT2H3M4.5S"), 93784500);
    FR_CHECK_EQ_INT(duration("PT0S"), 0);
    FR_CHECK_EQ_INT(duration("-PT1S"), -1000);
    FR_CHECK_EQ_INT(duration("PT-0.5S"), -500);
    FR_CHECK_EQ_INT(duration("PT1,25S"), 1250);
    FR_CHECK_EQ_INT(duration("P-1DT1H"), -82800000);
    const char *bad[] = {"", "P", "PT", "1H", "PT1", "PT1.5", "P1H", "PT1S2M", "PT1H ", "PT1.1234567891S"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms;
        char err[256] = "";
        FR_CHECK_EQ_INT(tool_parse_duration(bad[i], &ms, err, sizeof(err)), -1);
        FR_CHECK_EQ_STR(err, "Text cannot be parsed to a Duration");
    }
}

FR_TEST(topic_partitions) {
    int32_t parts[8];
    size_t n = 0, tlen = 0;
    char err[256];
    FR_CHECK_EQ_INT(tool_count_partitions("orders:0,1,2"), 3);
    FR_CHECK_EQ_INT(tool_count_partitions("orders"), 0);
    FR_CHECK_EQ_INT(tool_parse_topic_partitions("orders:0,1,12", &tlen, parts, 8, &n, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(tlen, 6);
    FR_CHECK_EQ_INT(n, 3);
    FR_CHECK_EQ_INT(parts[2], 12);
    FR_CHECK_EQ_INT(tool_parse_topic_partitions("orders:0,x", &tlen, parts, 8, &n, err, sizeof(err)), -1);
    FR_CHECK_EQ_STR(err, "Invalid partition 'x' specified in topic arg 'orders:0,x''");
    FR_CHECK_EQ_INT(tool_parse_topic_partitions("a:b:c", &tlen, parts, 8, &n, err, sizeof(err)), -1);
    FR_CHECK_EQ_STR(err, "Invalid topic arg 'a:b:c', expected topic name and partitions");
    FR_CHECK_EQ_INT(tool_parse_topic_partitions("orders:", &tlen, parts, 8, &n, err, sizeof(err)), -1);
    FR_CHECK_EQ_INT(tool_parse_topic_partitions("orders:1,2", &tlen, parts, 1, &n, err, sizeof(err)), -1);
}

FR_TEST(plan_lines) {
    char l1[] = "orders,3,42\n", l2[] = "shop,orders,0,7\r\n", l3[] = "orders,x,1", l4[] = "a,b";
    char *group, *topic, err[256];
    int32_t p;
    int64_t off;
    FR_CHECK_EQ_INT(tool_parse_plan_line(l1, &group, &topic, &p, &off, err, sizeof(err)), 0);
    FR_CHECK(group == NULL);
    FR_CHECK_EQ_STR(topic, "orders");
    FR_CHECK_EQ_INT(p, 3);
    FR_CHECK_EQ_INT(off, 42);
    FR_CHECK_EQ_INT(tool_parse_plan_line(l2, &group, &topic, &p, &off, err, sizeof(err)), 0);
    FR_CHECK_EQ_STR(group, "shop");
    FR_CHECK_EQ_STR(topic, "orders");
    FR_CHECK_EQ_INT(off, 7);
    FR_CHECK_EQ_INT(tool_parse_plan_line(l3, &group, &topic, &p, &off, err, sizeof(err)), -1);
    FR_CHECK_EQ_STR(err, "Invalid reset plan line 'orders,x,1': expected [group,]topic,partition,offset");
    FR_CHECK_EQ_INT(tool_parse_plan_line(l4, &group, &topic, &p, &off, err, sizeof(err)), -1);
}

int main(void) {
    FR_RUN(datetime_is_utc_without_a_zone);
    FR_RUN(datetime_zones_and_short_fractions);
    FR_RUN(datetime_errors);
    FR_RUN(durations_as_java_parses_them);
    FR_RUN(topic_partitions);
    FR_RUN(plan_lines);
    return fr_test_done();
}
