/*
 * producer_state.c — the per-partition producer table, the sequence and epoch
 * rules of idempotent appends, and the snapshot encoding.  See
 * producer_state.h.
 */
#include "producer_state.h"

#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "fr_err.h"

#define SNAPSHOT_MAGIC "FRPS"
#define SNAPSHOT_VERSION 1
#define SNAPSHOT_HEADER_SIZE 22     /* magic 4, version 2, crc 4, offset 8, count 4 */
#define SNAPSHOT_CRC_END 10         /* the CRC covers the bytes from here on */
#define SNAPSHOT_MIN_ENTRY 19       /* id 8, epoch 2, last timestamp 8, batch count 1 */

/* ---- the table: open addressing, linear probing ---- */

static size_t slot_of(int64_t id, size_t cap) {
    uint64_t x = (uint64_t)id; /* splitmix64's finalizer: ids are small and sequential */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)x & (cap - 1);
}

void fr_producer_state_init(fr_producer_state_t *ps) {
    memset(ps, 0, sizeof(*ps));
    ps->snapshots[0] = ps->snapshots[1] = -1;
    ps->last_expiry_ms = -1;
    ps->expiration_ms = FR_PRODUCER_EXPIRATION_MS;
    ps->expiration_check_ms = FR_PRODUCER_EXPIRATION_CHECK_MS;
}

void fr_producer_state_free(fr_producer_state_t *ps) {
    free(ps->slots);
    ps->slots = NULL;
    ps->cap = ps->count = 0;
}

void fr_producer_state_clear(fr_producer_state_t *ps) {
    for (size_t i = 0; i < ps->cap; i++)
        ps->slots[i].producer_id = FR_NO_PRODUCER_ID;
    ps->count = 0;
}

fr_producer_entry_t *fr_producer_state_find(const fr_producer_state_t *ps, int64_t id) {
    if (ps->cap == 0)
        return NULL;
    for (size_t i = slot_of(id, ps->cap);; i = (i + 1) & (ps->cap - 1)) {
        fr_producer_entry_t *e = &ps->slots[i];
        if (e->producer_id == id)
            return e;
        if (e->producer_id == FR_NO_PRODUCER_ID)
            return NULL;
    }
}

static int grow(fr_producer_state_t *ps) {
    size_t cap = ps->cap ? ps->cap * 2 : 8;
    fr_producer_entry_t *slots = malloc(cap * sizeof(*slots));
    if (!slots)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].producer_id = FR_NO_PRODUCER_ID;
    for (size_t i = 0; i < ps->cap; i++) {
        fr_producer_entry_t *e = &ps->slots[i];
        if (e->producer_id == FR_NO_PRODUCER_ID)
            continue;
        size_t j = slot_of(e->producer_id, cap);
        while (slots[j].producer_id != FR_NO_PRODUCER_ID)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
    }
    free(ps->slots);
    ps->slots = slots;
    ps->cap = cap;
    return 0;
}

/* A new, empty entry for id (which must not be present); NULL on ENOMEM. */
static fr_producer_entry_t *insert(fr_producer_state_t *ps, int64_t id, int16_t epoch) {
    if ((ps->count + 1) * 2 > ps->cap && grow(ps))
        return NULL;
    size_t i = slot_of(id, ps->cap);
    while (ps->slots[i].producer_id != FR_NO_PRODUCER_ID)
        i = (i + 1) & (ps->cap - 1);
    fr_producer_entry_t *e = &ps->slots[i];
    memset(e, 0, sizeof(*e));
    e->producer_id = id;
    e->epoch = epoch;
    ps->count++;
    return e;
}

/* Removes the entry at slot i, shifting later members of its probe run back. */
static void remove_at(fr_producer_state_t *ps, size_t i) {
    size_t mask = ps->cap - 1;
    ps->slots[i].producer_id = FR_NO_PRODUCER_ID;
    ps->count--;
    for (size_t j = (i + 1) & mask; ps->slots[j].producer_id != FR_NO_PRODUCER_ID; j = (j + 1) & mask) {
        size_t home = slot_of(ps->slots[j].producer_id, ps->cap);
        /* j's entry may move into the hole at i unless its home lies in (i, j] */
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        ps->slots[i] = ps->slots[j];
        ps->slots[j].producer_id = FR_NO_PRODUCER_ID;
        i = j;
    }
}

static void remove_id(fr_producer_state_t *ps, int64_t id) {
    fr_producer_entry_t *e = fr_producer_state_find(ps, id);
    if (e)
        remove_at(ps, (size_t)(e - ps->slots));
}

/* ---- batches of an entry: a ring of the last FR_PRODUCER_BATCHES_KEPT ---- */

const fr_producer_batch_t *fr_producer_entry_batch(const fr_producer_entry_t *e, int i) {
    return &e->batches[(e->head + e->nbatches - 1 - i) % FR_PRODUCER_BATCHES_KEPT];
}

static void push_batch(fr_producer_entry_t *e, const fr_producer_batch_t *b) {
    if (e->nbatches == FR_PRODUCER_BATCHES_KEPT) {
        e->batches[e->head] = *b;
        e->head = (uint8_t)((e->head + 1) % FR_PRODUCER_BATCHES_KEPT);
    } else {
        e->batches[(e->head + e->nbatches) % FR_PRODUCER_BATCHES_KEPT] = *b;
        e->nbatches++;
    }
}

static void reset_batches(fr_producer_entry_t *e, int16_t epoch) {
    e->epoch = epoch;
    e->nbatches = 0;
    e->head = 0;
}

int32_t fr_producer_last_seq(const fr_batch_header_t *h) {
    int64_t s = (int64_t)h->base_sequence + h->last_offset_delta;
    if (s > INT32_MAX)
        s -= (int64_t)INT32_MAX + 1;
    return (int32_t)s;
}

static int in_sequence(int32_t last_seq, int32_t next_seq) {
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

static fr_producer_batch_t batch_of(const fr_batch_header_t *h, int64_t first_offset) {
    return (fr_producer_batch_t){.first_seq = h->base_sequence,
                                 .last_seq = fr_producer_last_seq(h),
                                 .first_offset = first_offset,
                                 .last_offset = first_offset + h->last_offset_delta,
                                 .max_timestamp = h->max_timestamp};
}

/* ---- appends ---- */

void fr_producer_append_begin(fr_producer_append_t *a, fr_producer_state_t *ps, int64_t now_ms) {
    memset(a, 0, sizeof(*a));
    a->ps = ps;
    a->now_ms = now_ms;
    a->undo = a->inline_undo;
    a->undo_cap = sizeof(a->inline_undo) / sizeof(a->inline_undo[0]);
    if (++ps->stamp == 0) /* 0 is what a fresh entry holds: never use it as a stamp */
        ps->stamp = 1;
}

static int push_undo(fr_producer_append_t *a, int existed, const fr_producer_entry_t *e) {
    if (a->nundo == a->undo_cap) {
        size_t cap = a->undo_cap * 2;
        fr_producer_undo_t *u = malloc(cap * sizeof(*u));
        if (!u)
            return FR_ERR_NOMEM;
        memcpy(u, a->undo, a->nundo * sizeof(*u));
        if (a->undo != a->inline_undo)
            free(a->undo);
        a->undo = u;
        a->undo_cap = cap;
    }
    a->undo[a->nundo].existed = existed;
    a->undo[a->nundo].saved = *e;
    a->nundo++;
    return 0;
}

/* Is b one of e's last batches (same epoch assumed)?  Returns it or NULL. */
static const fr_producer_batch_t *find_duplicate(const fr_producer_entry_t *e, const fr_producer_batch_t *b) {
    for (int i = 0; i < e->nbatches; i++) {
        const fr_producer_batch_t *m = fr_producer_entry_batch(e, i);
        if (m->first_seq == b->first_seq && m->last_seq == b->last_seq)
            return m;
    }
    return NULL;
}

int fr_producer_append_batch(fr_producer_append_t *a, const fr_batch_header_t *h, int64_t first_offset) {
    fr_producer_state_t *ps = a->ps;
    fr_producer_batch_t b = batch_of(h, first_offset);
    fr_producer_entry_t *e = fr_producer_state_find(ps, h->producer_id);

    if (!e && h->producer_epoch < 0) {
        /* Kafka would start the producer at its "no epoch" (-1); snapshots and
         * recovery here keep only real epochs, so such a batch is refused.  A
         * known producer meets the epoch rule below (fenced), as in Kafka. */
        a->why = "batch with a producer id but a negative producer epoch";
        return FR_ERR_INVALID_RECORD;
    }
    if (!e) {
        /* Any sequence starts an unknown producer, as in Kafka since KIP-360:
         * its state may have expired or gone with the segments that held its
         * batches, and the producer carries on from where it was. */
        e = insert(ps, h->producer_id, h->producer_epoch);
        if (!e)
            return FR_ERR_NOMEM;
        e->undo_stamp = ps->stamp;
        /* the undo record is a copy of the new entry: abort only needs its id */
        if (push_undo(a, 0, e)) {
            remove_id(ps, h->producer_id);
            return FR_ERR_NOMEM;
        }
    } else {
        if (h->producer_epoch < e->epoch) {
            a->why = "producer epoch older than the producer's current epoch (fenced)";
            return FR_ERR_INVALID_PRODUCER_EPOCH;
        }
        if (h->producer_epoch == e->epoch) {
            const fr_producer_batch_t *dup = find_duplicate(e, &b);
            if (dup) {
                if (a->duplicates++ == 0)
                    a->first_dup = *dup;
                a->last_dup = *dup;
                return 0;
            }
            int ok = e->nbatches ? in_sequence(fr_producer_entry_batch(e, 0)->last_seq, b.first_seq)
                                 : b.first_seq == 0;
            if (!ok) {
                a->why = "sequence number does not follow the producer's last one";
                return FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
            }
        } else if (b.first_seq != 0) {
            a->why = "a new producer epoch must start at sequence number 0";
            return FR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        }
        if (e->undo_stamp != ps->stamp) {
            if (push_undo(a, 1, e))
                return FR_ERR_NOMEM;
            e->undo_stamp = ps->stamp;
        }
        if (h->producer_epoch != e->epoch)
            reset_batches(e, h->producer_epoch);
    }
    push_batch(e, &b);
    return 0;
}

int fr_producer_append_request(fr_producer_append_t *a, const uint8_t *buf, size_t len, int64_t first_offset) {
    fr_batch_iter_t it;
    fr_batch_header_t h;
    const uint8_t *batch;
    size_t blen;
    int rc = 0, batches = 0;

    int64_t since = a->now_ms - a->ps->last_expiry_ms;
    if (since >= a->ps->expiration_check_ms || since < 0)
        fr_producer_state_expire(a->ps, a->now_ms);
    fr_batch_iter_init(&it, buf, len);
    while (rc == 0 && fr_batch_iter_next(&it, &h, &batch, &blen)) {
        batches++;
        if (h.producer_id >= 0 && (rc = fr_producer_append_batch(a, &h, first_offset)) != 0)
            a->refused = h;
        first_offset += (int64_t)h.last_offset_delta + 1;
    }
    if (rc == 0 && a->duplicates == 0)
        return 0;
    if (rc == 0 && a->duplicates < batches) {
        a->refused = h;
        a->why = "the request mixes batches already in the log with new ones";
        rc = FR_ERR_INVALID_RECORD;
    }
    a->all_duplicates = rc == 0;
    fr_producer_append_abort(a); /* a duplicate changed nothing; an error undoes the rest */
    return rc;
}

static void end_append(fr_producer_append_t *a) {
    if (a->undo != a->inline_undo)
        free(a->undo);
    a->undo = a->inline_undo;
    a->nundo = 0;
}

void fr_producer_append_commit(fr_producer_append_t *a) { end_append(a); }

void fr_producer_append_abort(fr_producer_append_t *a) {
    for (size_t i = a->nundo; i-- > 0;) {
        fr_producer_undo_t *u = &a->undo[i];
        if (!u->existed) {
            remove_id(a->ps, u->saved.producer_id);
        } else {
            fr_producer_entry_t *e = fr_producer_state_find(a->ps, u->saved.producer_id);
            if (e)
                *e = u->saved;
        }
    }
    end_append(a);
}

/* ---- recovery and upkeep ---- */

int fr_producer_state_replay(fr_producer_state_t *ps, const fr_batch_header_t *h) {
    if (h->producer_id < 0 || h->producer_epoch < 0 || h->base_sequence < 0)
        return 0; /* not an idempotent batch (the log may predate the checks) */
    fr_producer_batch_t b = batch_of(h, h->base_offset);
    fr_producer_entry_t *e = fr_producer_state_find(ps, h->producer_id);
    if (!e && !(e = insert(ps, h->producer_id, h->producer_epoch)))
        return FR_ERR_NOMEM;
    if (e->nbatches && fr_producer_entry_batch(e, 0)->last_offset >= b.last_offset)
        return 0;
    if (h->producer_epoch != e->epoch)
        reset_batches(e, h->producer_epoch);
    push_batch(e, &b);
    return 0;
}

/* Kafka's lastTimestamp: the newest batch's max timestamp (-1 without a batch). */
static int64_t last_timestamp(const fr_producer_entry_t *e) {
    return e->nbatches ? fr_producer_entry_batch(e, 0)->max_timestamp : -1;
}

size_t fr_producer_state_expire(fr_producer_state_t *ps, int64_t now_ms) {
    size_t n = 0;
    ps->last_expiry_ms = now_ms;
    for (size_t i = 0; i < ps->cap;) {
        fr_producer_entry_t *e = &ps->slots[i];
        /* (the timestamps are the client's: one at or below 0 must not overflow the difference) */
        int64_t last = last_timestamp(e);
        if (e->producer_id != FR_NO_PRODUCER_ID && (last <= 0 || now_ms - last >= ps->expiration_ms)) {
            remove_at(ps, i); /* may shift a later entry into slot i: look at it again */
            n++;
            continue;
        }
        i++;
    }
    return n;
}

int64_t fr_producer_state_max_id(const fr_producer_state_t *ps) {
    int64_t max = -1;
    for (size_t i = 0; i < ps->cap; i++)
        if (ps->slots[i].producer_id > max)
            max = ps->slots[i].producer_id;
    return max;
}

/* ---- snapshot encoding ---- */

void fr_producer_state_encode(const fr_producer_state_t *ps, int64_t offset, fr_writer_t *w) {
    size_t start = w->len;
    fr_write_raw(w, SNAPSHOT_MAGIC, 4);
    fr_write_i16(w, SNAPSHOT_VERSION);
    fr_write_u32(w, 0); /* crc, patched below */
    fr_write_i64(w, offset);
    fr_write_i32(w, (int32_t)ps->count);
    for (size_t i = 0; i < ps->cap; i++) {
        const fr_producer_entry_t *e = &ps->slots[i];
        if (e->producer_id == FR_NO_PRODUCER_ID)
            continue;
        fr_write_i64(w, e->producer_id);
        fr_write_i16(w, e->epoch);
        fr_write_i64(w, last_timestamp(e));
        fr_write_i8(w, (int8_t)e->nbatches);
        for (int j = e->nbatches - 1; j >= 0; j--) {
            const fr_producer_batch_t *b = fr_producer_entry_batch(e, j);
            fr_write_i32(w, b->first_seq);
            fr_write_i32(w, b->last_seq);
            fr_write_i64(w, b->first_offset);
            fr_write_i64(w, b->last_offset);
            fr_write_i64(w, b->max_timestamp);
        }
    }
    if (!w->err) {
        uint8_t *p = w->buf + start;
        size_t len = w->len - start;
        fr_put_be32(p + 6, fr_crc32c(p + SNAPSHOT_CRC_END, len - SNAPSHOT_CRC_END));
    }
}

/* Reads one producer of a snapshot into ps.  NULL, or why it is corrupt. */
static const char *decode_entry(fr_producer_state_t *ps, fr_reader_t *r, int64_t offset, int *nomem) {
    int64_t id, newest_timestamp;
    int16_t epoch;
    int8_t n;
    fr_read_i64(r, &id);
    fr_read_i16(r, &epoch);
    fr_read_i64(r, &newest_timestamp); /* unused: the batches below give it again */
    fr_read_i8(r, &n);
    if (r->err)
        return "truncated producer entry";
    if (id < 0 || epoch < 0)
        return "negative producer id or epoch";
    if (n < 0 || n > FR_PRODUCER_BATCHES_KEPT)
        return "bad batch count";
    if (fr_producer_state_find(ps, id))
        return "producer id listed twice";
    fr_producer_entry_t *e = insert(ps, id, epoch);
    if (!e) {
        *nomem = 1;
        return "out of memory";
    }
    int64_t prev_last = -1;
    for (int i = 0; i < n; i++) {
        fr_producer_batch_t b;
        fr_read_i32(r, &b.first_seq);
        fr_read_i32(r, &b.last_seq);
        fr_read_i64(r, &b.first_offset);
        fr_read_i64(r, &b.last_offset);
        fr_read_i64(r, &b.max_timestamp);
        if (r->err)
            return "truncated batch metadata";
        if (b.first_seq < 0 || b.last_seq < 0 || b.first_offset <= prev_last ||
            b.last_offset < b.first_offset || b.last_offset >= offset)
            return "batch metadata out of range";
        prev_last = b.last_offset;
        push_batch(e, &b);
    }
    return NULL;
}

int fr_producer_state_decode(fr_producer_state_t *ps, const uint8_t *buf, size_t len, int64_t offset,
                             const char **why) {
    fr_reader_t r;
    int64_t snap_offset;
    int32_t count;
    int nomem = 0;

    fr_producer_state_clear(ps);
    *why = NULL;
    if (len < SNAPSHOT_HEADER_SIZE)
        *why = "shorter than a snapshot header";
    else if (memcmp(buf, SNAPSHOT_MAGIC, 4) != 0)
        *why = "bad magic";
    else if (fr_be16(buf + 4) != SNAPSHOT_VERSION)
        *why = "unknown version";
    else if (fr_be32(buf + 6) != fr_crc32c(buf + SNAPSHOT_CRC_END, len - SNAPSHOT_CRC_END))
        *why = "CRC mismatch";
    if (*why)
        return FR_ERR_CORRUPT;

    fr_reader_init(&r, buf + SNAPSHOT_CRC_END, len - SNAPSHOT_CRC_END);
    fr_read_i64(&r, &snap_offset);
    fr_read_i32(&r, &count);
    if (snap_offset != offset)
        *why = "offset does not match the file name";
    else if (count < 0 || (size_t)count > fr_reader_left(&r) / SNAPSHOT_MIN_ENTRY)
        *why = "bad producer count";
    for (int32_t i = 0; !*why && i < count; i++)
        *why = decode_entry(ps, &r, offset, &nomem);
    if (!*why && fr_reader_left(&r) != 0)
        *why = "bytes after the last producer";
    if (*why) {
        fr_producer_state_clear(ps);
        return nomem ? FR_ERR_NOMEM : FR_ERR_CORRUPT;
    }
    return 0;
}
