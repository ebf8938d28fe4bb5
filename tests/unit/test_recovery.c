/*
 * Recovery: build a multi-segment log, then damage a copy of it in many ways
 * (torn tail of the active segment at many cut points, a flipped byte in it,
 * garbage after it, truncated / garbled / missing index files, a torn older
 * segment) and reopen.  Each time: no crash, the log end offset is that of
 * the last intact batch, every surviving offset reads back exactly the bytes
 * appended, nothing past the damage is served, ListOffsets agrees with a brute
 * force over the surviving batches, and appends continue at the recovered end.
 * What a crash leaves (recovery points, a clean shutdown): test_recovery_crash.c.
 */
#include "recovery_fixture.h"

/* ---- the damage ---- */

FR_TEST(intact_log_reopens) {
    restore();
    expect_t e = full();
    FR_CHECK(nsegs >= 8);
    FR_CHECK_EQ_INT(reopen_and_check(&e, -1, "intact"), 1);
}

FR_TEST(torn_active_segment_at_many_cuts) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    int64_t size;
    leo_if_active_keeps(INT64_MAX, &size);
    FR_CHECK(size > 1000);
    int bad = 0;
    srand(11);
    /* every batch boundary, one byte either side of it, and random cuts */
    for (size_t i = 0; i < nbatches; i++) {
        if (batches[i].segment != active_base())
            continue;
        for (int d = -1; d <= 1; d++) {
            int64_t cut = batches[i].position + d;
            if (cut < 0 || cut > size)
                continue;
            restore();
            truncate_file(path, cut);
            int64_t end;
            expect_t e = {leo_if_active_keeps(cut, &end), 0, 0};
            char what[64];
            snprintf(what, sizeof(what), "active cut at %lld", (long long)cut);
            bad += !reopen_and_check(&e, end, what);
        }
    }
    for (int k = 0; k < 25; k++) {
        int64_t cut = rand() % size;
        restore();
        truncate_file(path, cut);
        int64_t end;
        expect_t e = {leo_if_active_keeps(cut, &end), 0, 0};
        char what[64];
        snprintf(what, sizeof(what), "active cut at %lld", (long long)cut);
        bad += !reopen_and_check(&e, end, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

FR_TEST(flipped_byte_in_active_segment) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    const file_copy_t *orig = NULL;
    for (size_t i = 0; i < npristine; i++)
        if (strcmp(pristine[i].name + 20, ".log") == 0 && strtoll(pristine[i].name, NULL, 10) == active_base())
            orig = &pristine[i];
    FR_CHECK(orig != NULL);
    if (!orig)
        return;
    int bad = 0, trials = 0;
    srand(13);
    while (trials < 50) {
        int64_t at = rand() % (int64_t)orig->len;
        const tb_t *hit = NULL;
        for (size_t i = 0; i < nbatches; i++)
            if (batches[i].segment == active_base() && batches[i].position <= at &&
                at < batches[i].position + (int64_t)batches[i].len)
                hit = &batches[i];
        int64_t in_batch = at - hit->position;
        if (in_batch >= FR_BATCH_OFF_LEADER_EPOCH && in_batch < FR_BATCH_OFF_MAGIC)
            continue; /* the leader epoch is covered by no checksum, by Kafka's design */
        trials++;
        restore();
        uint8_t *copy = malloc(orig->len);
        memcpy(copy, orig->data, orig->len);
        copy[at] ^= (uint8_t)(1 + rand() % 255);
        spit(path, copy, orig->len);
        free(copy);
        expect_t e = {hit->base, 0, 0};
        char what[80];
        snprintf(what, sizeof(what), "flip at %lld (byte %lld of batch %lld)", (long long)at,
                 (long long)in_batch, (long long)hit->base);
        bad += !reopen_and_check(&e, hit->position, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

FR_TEST(garbage_after_active_segment) {
    char path[256];
    seg_path(path, sizeof(path), active_base(), ".log");
    int64_t size;
    leo_if_active_keeps(INT64_MAX, &size);
    static const size_t lens[] = {1, 11, 12, 17, 61, 4096};
    int bad = 0;
    for (int zero = 0; zero <= 1; zero++)
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            restore();
            uint8_t junk[4096];
            for (size_t i = 0; i < lens[k]; i++)
                junk[i] = zero ? 0 : (uint8_t)(i * 31 + 7);
            int fd = open(path, O_WRONLY | O_APPEND);
            if (write(fd, junk, lens[k]) != (ssize_t)lens[k])
                bad++;
            close(fd);
            expect_t e = full();
            bad += !reopen_and_check(&e, size, zero ? "zeros after the tail" : "junk after the tail");
        }
    FR_CHECK_EQ_INT(bad, 0);
}

static void damage_index(int64_t base, const char *suffix, int how, unsigned seed) {
    char path[256];
    seg_path(path, sizeof(path), base, suffix);
    int64_t size = file_size(path);
    srand(seed);
    switch (how) {
    case 0: /* truncated anywhere */
        truncate_file(path, size > 0 ? rand() % size : 0);
        break;
    case 1: /* garbled bytes */
        for (int i = 0; i < 1 + rand() % 4 && size > 0; i++) {
            int fd = open(path, O_WRONLY);
            uint8_t b = (uint8_t)rand();
            if (pwrite(fd, &b, 1, rand() % size) != 1)
                perror("pwrite");
            close(fd);
        }
        break;
    case 2: /* missing */
        unlink(path);
        break;
    case 3: { /* junk appended */
        int fd = open(path, O_WRONLY | O_APPEND);
        uint8_t junk[24];
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (uint8_t)rand();
        if (write(fd, junk, (size_t)(1 + rand() % 24)) < 0)
            perror("write");
        close(fd);
        break;
    }
    case 4: /* emptied */
        truncate_file(path, 0);
        break;
    case 5: /* cut to whole entries */
        truncate_file(path, size / 2 / (strcmp(suffix, ".index") == 0 ? 8 : 12) *
                                (strcmp(suffix, ".index") == 0 ? 8 : 12));
        break;
    }
}

FR_TEST(damaged_index_files) {
    static const char *const suffixes[] = {".index", ".timeindex"};
    int bad = 0;
    unsigned seed = 17;
    size_t older[3] = {0, (nsegs - 1) / 2, nsegs - 2}; /* first, middle, last older segment */
    for (size_t k = 0; k < 3; k++)
        for (int sfx = 0; sfx < 2; sfx++)
            for (int how = 0; how < 6; how++) {
                size_t s = older[k];
                restore();
                damage_index(seg_bases[s], suffixes[sfx], how, seed++);
                expect_t e = full();
                char what[96];
                snprintf(what, sizeof(what), "segment %lld %s damage %d", (long long)seg_bases[s],
                         suffixes[sfx], how);
                bad += !reopen_and_check(&e, -1, what);
            }
    /* every index of every older segment garbled at once */
    restore();
    for (size_t s = 0; s + 1 < nsegs; s++) {
        damage_index(seg_bases[s], ".index", 1, seed++);
        damage_index(seg_bases[s], ".timeindex", 1, seed++);
    }
    expect_t e = full();
    bad += !reopen_and_check(&e, -1, "all indexes garbled");
    /* the active segment's index files do not matter at all */
    restore();
    damage_index(active_base(), ".index", 1, seed++);
    damage_index(active_base(), ".timeindex", 0, seed++);
    bad += !reopen_and_check(&e, -1, "active indexes garbled");
    FR_CHECK_EQ_INT(bad, 0);
}

/* A torn older segment loses its tail; later segments stay, leaving a gap. */
FR_TEST(torn_older_segment_leaves_a_gap) {
    int bad = 0;
    for (size_t s = 1; s + 1 < nsegs; s += 3) {
        char path[256];
        seg_path(path, sizeof(path), seg_bases[s], ".log");
        int64_t size = file_size(path);
        int64_t cut = size / 2;
        restore();
        truncate_file(path, cut);
        /* the first batch of segment s that does not fit below the cut */
        int64_t lost = seg_bases[s + 1];
        for (size_t i = nbatches; i-- > 0;)
            if (batches[i].segment == seg_bases[s] && batches[i].position + (int64_t)batches[i].len > cut)
                lost = batches[i].base;
        expect_t e = full();
        e.gap_lo = lost;
        e.gap_hi = seg_bases[s + 1];
        char what[64];
        snprintf(what, sizeof(what), "older segment %lld cut at %lld", (long long)seg_bases[s], (long long)cut);
        bad += !reopen_and_check(&e, -1, what);
    }
    FR_CHECK_EQ_INT(bad, 0);
}

int main(void) {
    fixture_setup();
    FR_RUN(intact_log_reopens);
    FR_RUN(torn_active_segment_at_many_cuts);
    FR_RUN(flipped_byte_in_active_segment);
    FR_RUN(garbage_after_active_segment);
    FR_RUN(damaged_index_files);
    FR_RUN(torn_older_segment_leaves_a_gap);
    fixture_free();
    return fr_test_done();
}
