/* Unit tests for the topic registry (topics.c, topic_files.c, topic_ids.c): its growth in steps,
 * what CreatePartitions relies on when it makes partitions off the loop, and lookups by id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_config.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "fr_test.h"
#include "topic_files.h"
#include "topics.h"

static char base[] = "/tmp/fr-topics-XXXXXX";
static fr_broker_config_t cfg;

static int dir_exists(const char *topic, int32_t index) {
    char dir[4200];
    fr_topic_partition_dir(&cfg, 0, topic, index, dir, sizeof(dir));
    return access(dir, F_OK) == 0;
}

static void discard(void *ctx, fr_partition_t *p, const char *dir) {
    (void)ctx;
    fr_partlog_delete_from(p->log, dir);
}

static fr_topic_t *topic_named(fr_topics_t *t, const char *name) { return fr_topics_find_cstr(t, name); }

FR_TEST(growths_queue_up_and_a_failed_one_leaves_no_hole) {
    fr_topics_t t;
    char err[512] = "";
    FR_CHECK_EQ_INT(fr_topics_open(&t, &cfg, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_topics_create(&t, fr_slice_from_cstr("g"), 2, NULL, 0, NULL, err, sizeof(err)), 0);
    fr_topic_t *topic = topic_named(&t, "g");
    FR_CHECK(topic != NULL);

    fr_topic_growth_t *g1 = NULL, *g2 = NULL, *g3 = NULL, *none = NULL;
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 4, 0, &g1, err, sizeof(err)), 0);
    FR_CHECK(g1 != NULL);
    /* the next request is checked against the count the first one asked for */
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 4, 0, &none, err, sizeof(err)), FR_ERR_INVALID_PARTITIONS);
    FR_CHECK_EQ_STR(err, "Topic already has 4 partition(s).");
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 3, 0, &none, err, sizeof(err)), FR_ERR_INVALID_PARTITIONS);
    FR_CHECK(none == NULL);
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 6, 0, &g2, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(topic->growths, 2);
    FR_CHECK_EQ_INT(topic->num_partitions, 2); /* nothing is visible before the end step */

    /* a growing topic is not deleted */
    FR_CHECK_EQ_INT(fr_topics_delete(&t, topic, discard, NULL), FR_ERR_REQUEST_TIMED_OUT);
    FR_CHECK(topic_named(&t, "g") == topic);

    /* the first growth's files are made, then it fails as a worker's error would make it */
    FR_CHECK_EQ_INT(fr_topic_growth_make(&cfg, g1, err, sizeof(err)), 0);
    FR_CHECK(dir_exists("g", 2) && dir_exists("g", 3));
    FR_CHECK_EQ_INT(fr_topics_grow_end(&t, g1, FR_ERR_KAFKA_STORAGE_ERROR, err, sizeof(err)),
                    FR_ERR_KAFKA_STORAGE_ERROR);
    FR_CHECK(!dir_exists("g", 2) && !dir_exists("g", 3));
    /* the second one is made fine but would leave partitions 2 and 3 missing: refused and removed */
    FR_CHECK_EQ_INT(fr_topic_growth_make(&cfg, g2, err, sizeof(err)), 0);
    FR_CHECK(dir_exists("g", 4) && dir_exists("g", 5));
    err[0] = '\0';
    FR_CHECK_EQ_INT(fr_topics_grow_end(&t, g2, 0, err, sizeof(err)), FR_ERR_KAFKA_STORAGE_ERROR);
    FR_CHECK(strstr(err, "earlier addition failed") != NULL);
    FR_CHECK(!dir_exists("g", 4) && !dir_exists("g", 5));
    FR_CHECK_EQ_INT(topic->num_partitions, 2);
    FR_CHECK_EQ_INT(topic->growths, 0);

    /* with none under way, requests are checked against the partitions there are */
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 10, 1, &none, err, sizeof(err)), 0); /* validate_only */
    FR_CHECK(none == NULL);
    FR_CHECK_EQ_INT(topic->growths, 0);
    FR_CHECK_EQ_INT(fr_topics_grow_begin(topic, 3, 0, &g3, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_topic_growth_make(&cfg, g3, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_topics_grow_end(&t, g3, 0, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(topic->num_partitions, 3);
    fr_partition_t *p2 = fr_topic_partition(topic, 2);
    FR_CHECK(p2 != NULL && p2->topic == topic && p2->index == 2 && p2->log != NULL);
    char dir[4200];
    uint8_t id[16];
    fr_topic_partition_dir(&cfg, 0, "g", 2, dir, sizeof(dir));
    FR_CHECK_EQ_INT(fr_topic_id_read(dir, id), 0);
    FR_CHECK(memcmp(id, topic->id, 16) == 0);
    uint8_t topic_id[16];
    memcpy(topic_id, topic->id, 16);
    fr_topics_close(&t);

    /* what a restart finds */
    FR_CHECK_EQ_INT(fr_topics_open(&t, &cfg, err, sizeof(err)), 0);
    topic = topic_named(&t, "g");
    FR_CHECK(topic != NULL);
    FR_CHECK_EQ_INT(topic->num_partitions, 3);
    FR_CHECK(memcmp(topic->id, topic_id, 16) == 0);
    FR_CHECK_EQ_INT(fr_topics_delete(&t, topic, discard, NULL), 0);
    FR_CHECK(topic_named(&t, "g") == NULL);
    fr_topics_close(&t);
}

FR_TEST(partition_metadata_gives_its_topic_id_or_none) {
    uint8_t id[16], want[16] = {0x62, 0x0e, 0xbd, 0x77, 0x6d, 0x0e, 0x4d, 0x1a,
                                0xb0, 0x69, 0xb1, 0xd3, 0x58, 0x14, 0xb2, 0x30};
    const char *ours = "version: 0\ntopic_id: Yg69d20OTRqwabHTWBSyMA\n";
    FR_CHECK_EQ_INT(fr_topic_id_parse(ours, strlen(ours), id), 0);
    FR_CHECK(memcmp(id, want, 16) == 0);
    char back[23];
    fr_uuid_to_string(id, back);
    FR_CHECK_EQ_STR(back, "Yg69d20OTRqwabHTWBSyMA");
    const char *crlf_no_end = "version: 0\r\ntopic_id: Yg69d20OTRqwabHTWBSyMA";
    FR_CHECK_EQ_INT(fr_topic_id_parse(crlf_no_end, strlen(crlf_no_end), id), 0);
    FR_CHECK(memcmp(id, want, 16) == 0);
    const char *bad[] = {
        "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n", /* Kafka's zero id */
        "version: 0\ntopic_id: Yg69d20OTRqwabHTWBSyM\n",  /* 21 characters */
        "version: 0\ntopic_id: Yg69d20OTRqwabHTWBSyMAA\n", /* 23 */
        "version: 0\ntopic_id: Yg69d20OTRqwabHTWBSy.A\n", /* not base64 */
        "version: 0\n",
        "topic_id: Yg69d20OTRqwabHTWBSyMA\ntopic_id: nope\n", /* the last line decides */
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        memset(id, 0x5a, 16);
        FR_CHECK_EQ_INT(fr_topic_id_parse(bad[i], strlen(bad[i]), id), -1);
        FR_CHECK(id[0] == 0x5a); /* untouched */
    }
    /* the length bounds the parse, not a terminating zero */
    FR_CHECK_EQ_INT(fr_topic_id_parse(ours, strlen(ours) - 3, id), -1);
}

/* Every topic is found by its id, through creations and deletions that come between lookups, and
 * after a restart; an id never made, and the zero id, find nothing. */
FR_TEST(topics_are_found_by_id) {
    fr_topics_t t;
    char err[512] = "", name[16];
    uint8_t ids[40][16];
    FR_CHECK_EQ_INT(fr_topics_open(&t, &cfg, err, sizeof(err)), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "id-%d", i);
        fr_topic_t *topic = NULL;
        FR_CHECK_EQ_INT(fr_topics_create(&t, fr_slice_from_cstr(name), 1, NULL, 0, &topic, err, sizeof(err)), 0);
        FR_CHECK(topic != NULL);
        if (!topic)
            return;
        memcpy(ids[i], topic->id, 16);
        FR_CHECK(fr_topics_find_id(&t, ids[i]) == topic); /* the table follows each creation */
    }
    for (int i = 0; i < 40; i += 3)
        FR_CHECK_EQ_INT(fr_topics_delete(&t, fr_topics_find_id(&t, ids[i]), discard, NULL), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "id-%d", i);
        FR_CHECK(fr_topics_find_id(&t, ids[i]) == (i % 3 ? topic_named(&t, name) : NULL));
    }
    uint8_t zero[16] = {0}, never[16];
    memcpy(never, ids[1], 16);
    never[15] ^= 1;
    FR_CHECK(fr_topics_find_id(&t, zero) == NULL);
    FR_CHECK(fr_topics_find_id(&t, never) == NULL);
    fr_topics_close(&t);

    FR_CHECK_EQ_INT(fr_topics_open(&t, &cfg, err, sizeof(err)), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "id-%d", i);
        fr_topic_t *topic = fr_topics_find_id(&t, ids[i]);
        FR_CHECK(topic == (i % 3 ? topic_named(&t, name) : NULL) && (i % 3 == 0 || topic != NULL));
        if (topic)
            FR_CHECK_EQ_INT(fr_topics_delete(&t, topic, discard, NULL), 0);
    }
    FR_CHECK_EQ_INT((int)t.count, 0);
    FR_CHECK(fr_topics_find_id(&t, ids[1]) == NULL);
    fr_topics_close(&t);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    FR_CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

FR_TEST(a_topic_build_file_is_followed_only_with_a_real_id) {
    char path[4200], err[512];
    fr_topic_intent_t in;
    snprintf(path, sizeof(path), "%s/.topic-build", base);
    write_file(path, "topic=b\ntopic.id=Yg69d20OTRqwabHTWBSyMA\npartitions.from=0\npartitions.to=3\n");
    FR_CHECK_EQ_INT(fr_topic_intent_load(&cfg, 0, &in, err, sizeof(err)), 1);
    FR_CHECK_EQ_STR(in.topic, "b");
    FR_CHECK_EQ_INT(in.to, 3);
    /* Kafka's zero id would be written into the partitions it makes */
    write_file(path, "topic=b\ntopic.id=AAAAAAAAAAAAAAAAAAAAAA\npartitions.from=0\npartitions.to=3\n");
    FR_CHECK_EQ_INT(fr_topic_intent_load(&cfg, 0, &in, err, sizeof(err)), -1);
    FR_CHECK(strstr(err, "not a topic build") != NULL);
    /* nor with a partition bound that is not a number */
    write_file(path, "topic=b\ntopic.id=Yg69d20OTRqwabHTWBSyMA\npartitions.from=\npartitions.to=3\n");
    FR_CHECK_EQ_INT(fr_topic_intent_load(&cfg, 0, &in, err, sizeof(err)), -1);
    write_file(path, "topic=b\ntopic.id=Yg69d20OTRqwabHTWBSyMA\npartitions.from=0\npartitions.to=4294967299\n");
    FR_CHECK_EQ_INT(fr_topic_intent_load(&cfg, 0, &in, err, sizeof(err)), -1);
    FR_CHECK_EQ_INT(fr_topic_intent_clear(&cfg, 0, err, sizeof(err)), 0);
    FR_CHECK_EQ_INT(fr_topic_intent_load(&cfg, 0, &in, err, sizeof(err)), 0);
}

int main(void) {
    fr_logging_set_level(FR_LOG_WARN);
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    fr_props_t props;
    fr_props_init(&props);
    char err[256];
    fr_broker_config_defaults(&cfg);
    if (fr_props_set(&props, "log.dirs", base) || fr_broker_config_load(&cfg, &props, err, sizeof(err))) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    fr_props_free(&props);
    FR_RUN(growths_queue_up_and_a_failed_one_leaves_no_hole);
    FR_RUN(partition_metadata_gives_its_topic_id_or_none);
    FR_RUN(a_topic_build_file_is_followed_only_with_a_real_id);
    FR_RUN(topics_are_found_by_id);
    fr_broker_config_free(&cfg);
    fr_rmtree(base);
    return fr_test_done();
}
