#!/usr/bin/env python3
"""A Produce whose append re-compresses batches (the topic's compression.type
names another codec) or decompresses them (a compacted topic checks the keys
of compressed batches; any topic checks the records of compressed batches in
a codec slower than lz4, or in lz4 when they could decode to more than
8 MiB) runs that append on a worker thread (append_offload.c), so the
network loop serves everyone else meanwhile.  The LD_PRELOAD shim
(fsync_fault.c) counts zlib's deflate and inflate calls and lz4's
LZ4F_decompress calls on the loop and off it, and can hold the workers' zlib
ones: that shows where gzip and lz4 work runs, the loop answering others while it is held, one connection's
requests staying in order behind it, appends queued behind the running one,
and an append whose client goes away or whose topic is deleted meanwhile."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawClient, answered, api_versions, run_tests, wait_for  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402
from test_produce_policies import consume as consume_records, create, stored_batches  # noqa: E402

INVALID_RECORD = 87
KAFKA_STORAGE_ERROR = 56
UNKNOWN_SERVER_ERROR = -1
GZIP = 1
LZ4 = 3
_rng = random.Random(4)
# 24 records of 1000 random bytes: a batch of about 24 KB however it is
# compressed, past the size the broker re-compresses on its loop (16 KiB).
BIG = [(b"k%02d" % i, _rng.randbytes(1000)) for i in range(24)]
SMALL = [(b"s", b"x" * 100)]


def send(c, topic, records, acks=1, gzip=False):
    """A Produce v3 of one batch to partition 0; -> its correlation id."""
    return c.request(0, 3, kw.produce_v3(topic, 0, kw.record_batch(records, gzip=gzip), acks=acks))


def produced(c):
    """-> (correlation id, error, base offset) of the next Produce v3 response."""
    corr, [(_, _, err, base)] = kw.parse_produce_v3_response(c.recv_frame())
    return corr, err, base


def stored(b, topic):
    """(codec, records) of every batch in the topic's partition 0 segment files."""
    return [(codec, count) for codec, _, _, count in stored_batches(b, topic)]


def consume(b, topic, n):
    """-> [(key, value)] of partition 0's first n records, read with CRC checks."""
    return [(k, v) for _, k, v, _, _ in consume_records(b, topic, n)]


def held_on_a_worker(b, c, topic, batch):
    """Sends a Produce v8 of batch to partition 0 while the shim holds the workers' zlib
    calls, checks that its append reached a worker, that the loop serves others and that
    the append is not answered meanwhile, then lets it go.  -> its partition's response."""
    open(b.pool_zlib_flag, "w").close()
    pool = b.pool_zlib_calls()
    c.request(0, 8, kw.produce_v8(topic, 0, batch))
    wait_for(lambda: b.pool_zlib_calls() > pool, "the batch's inflate on a worker")
    assert 0 in api_versions(b.port)
    assert not answered(c, 0.3), "the held append was answered"
    os.unlink(b.pool_zlib_flag)
    assert answered(c, 10)
    [resp] = kw.parse_produce_v8_response(c.recv_frame())
    return resp


def test_a_recompressing_append_runs_off_the_loop_and_others_are_served_meanwhile():
    with ShimBroker({}) as b:
        create(b, "gz", {"compression.type": "gzip"})
        create(b, "plain")
        pool = b.pool_zlib_calls()
        open(b.pool_zlib_flag, "w").close()
        c = RawClient(b.port)
        big = send(c, "gz", BIG)
        wait_for(lambda: b.pool_zlib_calls() > pool, "the big batch's deflate on a worker")
        # the same connection's next request waits behind it, so its order holds
        after = send(c, "plain", SMALL)

        # the loop goes on: a small batch to the same topic is re-compressed on it, at once
        other = RawClient(b.port)
        main, pool = b.main_zlib_calls(), b.pool_zlib_calls()
        send(other, "gz", SMALL)
        assert produced(other)[1:] == (0, 0)
        assert b.main_zlib_calls() > main and b.pool_zlib_calls() == pool
        send(other, "plain", SMALL)
        assert produced(other)[1:] == (0, 0)
        assert 0 in api_versions(b.port)
        assert not answered(c, 0.3), "the held append was answered"

        os.unlink(b.pool_zlib_flag)
        assert answered(c, 10), "the append was not answered once its deflate went on"
        assert produced(c) == (big, 0, 1)
        assert produced(c) == (after, 0, 1)

        # acks=0: never answered, but the connection's next request still waits for it
        open(b.pool_zlib_flag, "w").close()
        pool = b.pool_zlib_calls()
        send(c, "gz", BIG, acks=0)
        wait_for(lambda: b.pool_zlib_calls() > pool, "the acks=0 batch's deflate on a worker")
        last = send(c, "gz", SMALL)
        assert not answered(c, 0.3), "a request overtook the held acks=0 append"
        os.unlink(b.pool_zlib_flag)
        assert answered(c, 10)
        assert produced(c) == (last, 0, 1 + 2 * len(BIG))

        assert stored(b, "gz") == [(GZIP, 1), (GZIP, len(BIG)), (GZIP, len(BIG)), (GZIP, 1)]
        want = SMALL + BIG + BIG + SMALL
        assert consume(b, "gz", len(want)) == want
        c.close()
        other.close()


def test_a_compacted_topic_checks_a_big_compressed_batch_off_the_loop():
    with ShimBroker({}) as b:
        create(b, "keyed", {"cleanup.policy": "compact"})
        c = RawClient(b.port)
        main = b.main_zlib_calls()
        # the last record has no key: refused, naming it, once the worker has looked
        (_, _, err, base, _, record_errors, message) = held_on_a_worker(
            b, c, "keyed", kw.record_batch(BIG + [(None, b"v")], gzip=True))
        assert (err, base) == (INVALID_RECORD, -1), (err, base)
        assert [i for i, _ in record_errors] == [len(BIG)], record_errors
        assert "without key" in message, message

        send(c, "keyed", BIG, gzip=True)
        assert produced(c)[1:] == (0, 0)
        assert b.main_zlib_calls() == main, "the loop inflated a big batch"
        assert stored(b, "keyed") == [(GZIP, len(BIG))]
        assert consume(b, "keyed", len(BIG)) == BIG
        c.close()


def test_any_topic_checks_the_records_of_a_big_compressed_batch_off_the_loop():
    with ShimBroker({}) as b:
        create(b, "plain")
        c = RawClient(b.port)
        main = b.main_zlib_calls()
        # the last record repeats the offset delta before it: refused once the worker has looked
        deltas = list(range(len(BIG) - 1)) + [len(BIG) - 2]
        (_, _, err, base, _, _, message) = held_on_a_worker(
            b, c, "plain", kw.record_batch(BIG, gzip=True, offset_deltas=deltas))
        assert (err, base) == (INVALID_RECORD, -1), (err, base)
        assert "offset delta" in message, message
        assert b.main_zlib_calls() == main, "the loop inflated a big batch"

        # a small batch is checked on the loop; the good ones are stored as sent
        send(c, "plain", SMALL, gzip=True)
        assert produced(c)[1:] == (0, 0)
        assert b.main_zlib_calls() > main, "the small batch was not inflated on the loop"
        main = b.main_zlib_calls()
        send(c, "plain", BIG, gzip=True)
        assert produced(c)[1:] == (0, 1)
        assert b.main_zlib_calls() == main, "the loop inflated a big batch"
        assert stored(b, "plain") == [(GZIP, 1), (GZIP, len(BIG))]
        assert consume(b, "plain", 1 + len(BIG)) == SMALL + BIG
        c.close()


def test_an_lz4_batch_that_expands_past_the_loops_share_is_checked_off_the_loop():
    """lz4 batches are checked on the loop, but not one whose block headers say it could
    decode to more than 8 MiB (FR_LZ4_CHECK_MAX_OUT): a megabyte expanding a hundredfold
    would hold every other client for tens of milliseconds."""
    with ShimBroker({}) as b:
        create(b, "plain")
        c = RawClient(b.port)
        main, pool = b.main_lz4_calls(), b.pool_lz4_calls()
        c.request(0, 3, kw.produce_v3("plain", 0, kw.record_batch(SMALL, lz4=True)))
        assert produced(c)[1:] == (0, 0)
        assert b.main_lz4_calls() > main, "the small lz4 batch was not checked on the loop"
        assert b.pool_lz4_calls() == pool
        main = b.main_lz4_calls()

        # 9 MiB of one byte is some 36 KB of lz4: checked on a worker, stored as sent
        bomb = [(b"z", bytes(9 << 20))]
        batch = kw.record_batch(bomb, lz4=True)
        assert len(batch) < 100000, len(batch)
        c.request(0, 3, kw.produce_v3("plain", 0, batch))
        assert produced(c)[1:] == (0, 1)
        assert b.pool_lz4_calls() > pool, "the expanding batch was not checked on a worker"
        assert b.main_lz4_calls() == main, "the loop decompressed the expanding batch"
        assert stored(b, "plain") == [(LZ4, 1), (LZ4, 1)]
        assert consume(b, "plain", 2) == SMALL + bomb

        # past the 64 MiB the broker decompresses at all: refused by the worker, the loop free
        pool = b.pool_lz4_calls()
        c.request(0, 3, kw.produce_v3("plain", 0, kw.record_batch([(b"z", bytes(65 << 20))], lz4=True)))
        assert produced(c)[1:] == (UNKNOWN_SERVER_ERROR, -1)  # what Kafka answers bytes its codec refuses
        assert b.pool_lz4_calls() > pool and b.main_lz4_calls() == main
        assert 0 in api_versions(b.port)
        assert stored(b, "plain") == [(LZ4, 1), (LZ4, 1)]
        c.close()


def test_an_idempotent_retry_on_another_connection_is_stored_once():
    with ShimBroker({}) as b:
        create(b, "gz", {"compression.type": "gzip"})
        c = RawClient(b.port)
        c.request(22, 0, kw.init_producer_id_v0())
        err, pid, epoch = kw.parse_init_producer_id_v0_response(c.recv_frame())
        assert err == 0, err
        batch = kw.record_batch(BIG, producer=(pid, epoch, 0))
        pool = b.pool_zlib_calls()
        open(b.pool_zlib_flag, "w").close()
        c.request(0, 3, kw.produce_v3("gz", 0, batch, acks=-1))
        wait_for(lambda: b.pool_zlib_calls() > pool, "the first attempt's deflate")
        # the client gives up on the connection and sends the batch again on a new one
        retry = RawClient(b.port)
        retry.request(0, 3, kw.produce_v3("gz", 0, batch, acks=-1))
        assert not answered(retry, 0.3), "the retry was answered while the first attempt was held"
        os.unlink(b.pool_zlib_flag)
        assert answered(c, 10) and answered(retry, 10)
        assert produced(c)[1:] == (0, 0)
        assert produced(retry)[1:] == (0, 0), "the retry was not answered as the first attempt's duplicate"
        assert stored(b, "gz") == [(GZIP, len(BIG))]
        c.close()
        retry.close()


def test_an_offloaded_append_is_acknowledged_after_its_fsync_where_the_flush_policy_asks():
    with ShimBroker({}) as b:
        create(b, "durable-gz", {"compression.type": "gzip", "flush.messages": "1"})
        c = RawClient(b.port)
        syncs = b.fsyncs()
        send(c, "durable-gz", BIG)
        assert produced(c)[1:] == (0, 0)
        assert b.fsyncs() > syncs, "acknowledged before any fsync"
        # a failing fsync turns the acknowledgement into an error, as for an append made on the loop
        open(b.flag, "w").close()
        send(c, "durable-gz", BIG)
        assert produced(c)[1] == KAFKA_STORAGE_ERROR, "acknowledged although its fsync failed"
        os.unlink(b.flag)
        c.close()


def test_appends_queue_and_survive_a_closed_connection_and_a_deleted_topic():
    with ShimBroker({}) as b:
        create(b, "gz", {"compression.type": "gzip"})
        create(b, "gz2", {"compression.type": "gzip"})
        pool = b.pool_zlib_calls()
        open(b.pool_zlib_flag, "w").close()
        first = RawClient(b.port)
        send(first, "gz", BIG)
        wait_for(lambda: b.pool_zlib_calls() > pool, "the first append's deflate")
        second = RawClient(b.port)
        send(second, "gz2", BIG)
        gone = RawClient(b.port)
        send(gone, "gz2", BIG + BIG)
        gone.close()  # its append is still queued: it is dropped, not made
        # the topic under the running append is deleted meanwhile
        c = RawClient(b.port)
        c.request(20, 0, kw.delete_topics_v0(["gz"]))
        assert kw.parse_delete_topics_v0_response(c.recv_frame())[1] == [("gz", 0)]
        assert not answered(second, 0.3), "the second append did not wait for the first"

        os.unlink(b.pool_zlib_flag)
        assert answered(first, 10) and answered(second, 10)
        # the first append went into the log it had, which its deletion then removed
        assert produced(first)[1:] == (0, 0)
        assert produced(second)[1:] == (0, 0)
        wait_for(lambda: not [n for n in os.listdir(b.log_dir) if n.endswith("-delete")],
                 "the deleted topic's directories to go")
        c.request(2, 1, kw.list_offsets_v1("gz2", [(0, -1)]))
        assert kw.parse_list_offsets_v1_response(c.recv_frame()) == {0: (0, -1, len(BIG))}

        # the broker goes on: the topic comes back under its name, empty, and takes appends
        create(b, "gz", {"compression.type": "gzip"})
        send(c, "gz", BIG)
        assert produced(c)[1:] == (0, 0)
        assert consume(b, "gz", len(BIG)) == BIG
        first.close()
        second.close()
        c.close()


if __name__ == "__main__":
    run_tests([
        test_a_recompressing_append_runs_off_the_loop_and_others_are_served_meanwhile,
        test_a_compacted_topic_checks_a_big_compressed_batch_off_the_loop,
        test_any_topic_checks_the_records_of_a_big_compressed_batch_off_the_loop,
        test_an_lz4_batch_that_expands_past_the_loops_share_is_checked_off_the_loop,
        test_an_idempotent_retry_on_another_connection_is_stored_once,
        test_an_offloaded_append_is_acknowledged_after_its_fsync_where_the_flush_policy_asks,
        test_appends_queue_and_survive_a_closed_connection_and_a_deleted_topic,
    ])
