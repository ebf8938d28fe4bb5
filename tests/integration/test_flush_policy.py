#!/usr/bin/env python3
"""The flush policy decides when an acknowledgement means "on disk": with
flush.messages=1 a produce is answered only after an fsync covering it
succeeded (a failing fsync turns the ack into KAFKA_STORAGE_ERROR), and
concurrent producers share fsyncs (group commit).  Without a flush policy,
acks do not wait for fsync, as in Kafka.  fsync is made to fail or counted by
an LD_PRELOAD shim (fsync_fault.c).

The page-cache release (freshet.page.cache.retain.bytes, partlog_cache.c)
writes back and drops all but each partition's newest bytes: checked with
fincore (util-linux) on the segment file, and a writeback error it meets must
fail the next flush, since the kernel reports such an error only once.

Appends reserve disk blocks ahead (fallocate); where the file system cannot
(the shim refuses fallocate), a segment asks once and appends go on."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawClient, answered, run_tests  # noqa: E402
from shim_broker import ShimBroker  # noqa: E402
import kafka_wire as kw  # noqa: E402

KAFKA_STORAGE_ERROR = 56
UNKNOWN_TOPIC_OR_PARTITION = 3


def produce(c, topic, partition, value=b"v"):
    """Stamped now: a slow run of the longer tests here reaches the first retention pass."""
    return kw.produce_now(c, topic, partition, value)


def test_flush_messages_1_acks_only_after_a_successful_fsync():
    with ShimBroker({"log.flush.interval.messages": "1"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("durable", 1))
        c.recv_frame()
        before = b.fsyncs()
        assert produce(c, "durable", 0)[2:] == (0, 0)
        assert b.fsyncs() > before, "acknowledged without any fsync"
        open(b.flag, "w").close()
        _, _, err, _ = produce(c, "durable", 0)
        assert err == KAFKA_STORAGE_ERROR, "acknowledged although the fsync failed (error %d)" % err
        os.unlink(b.flag)
        _, _, err, _ = produce(c, "durable", 0)
        assert err == 0, err
        c.close()


def test_an_idempotent_retry_is_answered_with_the_fsync_of_its_first_append():
    """flush.messages=1: an idempotent producer's retry of an append whose fsync
    is still running (every sync takes 300 ms here) is answered only once that
    fsync is back, as the first append is.  Kafka flushes under the log's lock,
    so its retry cannot find the batch before it is on disk.  Before, the retry
    was answered at once, acknowledging a record a power loss could take."""
    with ShimBroker({"log.flush.interval.messages": "1"}) as b:
        first, retry = RawClient(b.port), RawClient(b.port)
        first.request(19, 0, kw.create_topics_v0("durable", 1))
        first.recv_frame()
        batch = kw.idempotent_batches(first, "durable", lambda seq: b"v%d" % seq, 30000)
        first.request(0, 3, batch(0))
        assert kw.parse_produce_v3_response(first.recv_frame())[1][0][2:] == (0, 0)
        open(b.delay_flag, "w").close()
        first.request(0, 3, batch(1))
        time.sleep(0.05)  # the append is in and its fsync asleep
        started = time.time()
        retry.request(0, 3, batch(1))
        assert not answered(retry, 0.15), "the retry was answered before the fsync of its first append came back"
        assert kw.parse_produce_v3_response(retry.recv_frame())[1][0][2:] == (0, 1)
        assert time.time() - started >= 0.15
        assert kw.parse_produce_v3_response(first.recv_frame())[1][0][2:] == (0, 1)
        os.unlink(b.delay_flag)
        # with nothing being synced, a retry is answered at once
        retry.request(0, 3, batch(1))
        assert answered(retry, 2)
        assert kw.parse_produce_v3_response(retry.recv_frame())[1][0][2:] == (0, 1)
        first.close()
        retry.close()


def test_a_retry_the_flush_policy_does_not_hold_is_answered_at_once():
    """Kafka's default flush policy: a retry of a batch whose first append no
    fsync was asked for is answered at once, even while an fsync (here a
    roll's, 300 ms) runs that does not reach it.  Before, it waited for a
    flush nothing would start, until the request timed out."""
    with ShimBroker({"log.segment.bytes": "700"}) as b:
        first, retry = RawClient(b.port), RawClient(b.port)
        first.request(19, 0, kw.create_topics_v0("lazy", 1))
        first.recv_frame()
        batch = kw.idempotent_batches(first, "lazy", lambda seq: b"v" * 200, 10000)
        for seq in range(2):
            first.request(0, 3, batch(seq))
            assert kw.parse_produce_v3_response(first.recv_frame())[1][0][2:] == (0, seq)
        open(b.delay_flag, "w").close()
        for seq in (2, 3):  # 2 rolls, and the roll's fsync sleeps; 3 goes in after it
            first.request(0, 3, batch(seq))
            assert answered(first, 0.2), "batch %d waited for an fsync" % seq
            assert kw.parse_produce_v3_response(first.recv_frame())[1][0][2:] == (0, seq)
        retry.request(0, 3, batch(3))
        assert answered(retry, 0.2), "the retry waited for an fsync its first append was not held for"
        assert kw.parse_produce_v3_response(retry.recv_frame())[1][0][2:] == (0, 3)
        os.unlink(b.delay_flag)
        first.close()
        retry.close()


def test_a_failed_fsync_at_start_refuses_retries_of_what_recovery_found():
    """After a kill -9, what recovery finds past the recovery point is fsynced
    at start.  When that fsync fails, a retry of a batch recovery found is
    refused (KAFKA_STORAGE_ERROR), as after any failed flush, rather than
    acknowledged as a duplicate of records that may not be on disk."""
    with ShimBroker({}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("found", 1))
        c.recv_frame()
        batch = kw.idempotent_batches(c, "found", lambda seq: b"v%d" % seq, 5000)

        def send(seq):
            c.request(0, 3, batch(seq))
            return kw.parse_produce_v3_response(c.recv_frame())[1][0][2:]
        assert [send(seq) for seq in range(3)] == [(0, 0), (0, 1), (0, 2)]  # no fsync: default policy
        c.close()
        b.kill()
        open(b.flag, "w").close()
        b.start()
        assert "cannot fsync what recovery found" in b.log(), b.log()[-3000:]
        c = RawClient(b.port)
        assert send(2)[0] == KAFKA_STORAGE_ERROR
        os.unlink(b.flag)
        c.close()


def test_without_flush_policy_acks_do_not_wait_for_fsync():
    with ShimBroker({}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("cached", 1))
        c.recv_frame()
        open(b.flag, "w").close()  # fsync would fail: nobody asks for it
        for i in range(20):
            assert produce(c, "cached", 0)[2:] == (0, i)
        os.unlink(b.flag)
        c.close()


def test_group_commit_concurrent_producers_share_fsyncs():
    with ShimBroker({"log.flush.interval.messages": "1"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("group", 1))
        c.recv_frame()
        c.close()
        before = b.fsyncs()
        producers, per = 8, 40
        errors = []

        def run():
            pc = RawClient(b.port)
            try:
                for _ in range(per):
                    err = produce(pc, "group", 0)[2]
                    if err:
                        errors.append(err)
            finally:
                pc.close()
        threads = [threading.Thread(target=run) for _ in range(producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        syncs = b.fsyncs() - before
        assert 0 < syncs < producers * per, "%d fsyncs for %d acknowledged appends" % (syncs, producers * per)
        print("group commit: %d acknowledged appends, %d fsync calls" % (producers * per, syncs))


MiB = 1 << 20


def produce_mib(c, topic, mib):
    """mib MiB in 512 KiB records, one per request; every ack must be NONE."""
    value = b"x" * (512 << 10)
    for _ in range(mib * 2):
        err = produce(c, topic, 0, value)[2]
        assert err == 0, "produce failed with error %d" % err


def resident_bytes(path):
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def first_segment(b, topic):
    return os.path.join(b.data_dir, "kafka-logs", topic + "-0", "%020d.log" % 0)


def test_page_cache_release_drops_all_but_the_newest_bytes():
    # a 1 MiB budget: each partition keeps its newest 1 MiB (the floor), and
    # every further 1 MiB appended queues a release that writes back and drops
    # everything older (one release at a time, off the loop)
    with ShimBroker({"freshet.page.cache.retain.bytes": str(MiB)}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("trimmed", 1))
        c.recv_frame()
        produce_mib(c, "trimmed", 24)
        seg = first_segment(b, "trimmed")
        assert os.path.getsize(seg) >= 24 * MiB
        deadline = time.time() + 20
        while resident_bytes(seg) > 10 * MiB and time.time() < deadline:
            time.sleep(0.1)
        res = resident_bytes(seg)
        assert res <= 10 * MiB, "%d of %d bytes still cached" % (res, os.path.getsize(seg))
        # the dropped data reads back from disk, every byte as produced
        for off in (0, 20):
            c.request(1, 4, kw.fetch_v4("trimmed", [(0, off)], partition_max_bytes=MiB))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert err == 0 and hw == 48, (err, hw)
            assert kw.batch_offsets(recs)[0] == (off, 1)
            assert recs.count(b"x" * 4096) >= (512 << 10) // 4096 - 1
        c.close()
    with ShimBroker({"freshet.page.cache.retain.bytes": "-1"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("kernel", 1))
        c.recv_frame()
        produce_mib(c, "kernel", 24)
        time.sleep(1)
        seg = first_segment(b, "kernel")
        assert resident_bytes(seg) >= os.path.getsize(seg) - 64 * 1024, "released although retain is -1"
        c.close()


def test_page_cache_keeps_what_a_lagging_consumer_will_read():
    # Out of a 256 MiB budget a partition keeps only its newest 16 MiB while
    # nobody reads further back; once a fetch reads 40 MiB behind the end, it
    # keeps twice that, so the bytes that consumer has still to read stay;
    # when the consumer is gone, it shrinks back.  Lag windows of 5 s; the
    # consumer fetches between the appends, so its lag is always fresh.
    with ShimBroker({"freshet.page.cache.retain.bytes": str(256 * MiB),
                     "freshet.page.cache.lag.window.ms": "5000"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("lagging", 1))
        c.recv_frame()
        produce_mib(c, "lagging", 48)
        seg = first_segment(b, "lagging")
        deadline = time.time() + 20
        while resident_bytes(seg) > 24 * MiB and time.time() < deadline:
            time.sleep(0.1)
        res = resident_bytes(seg)
        assert res <= 24 * MiB, "no reader, yet %d bytes stay cached" % res
        # 96 records of 512 KiB: offset 16 is 40 MiB behind the end
        # the consumer reads on at offset 16 (40 MiB behind, then more) while 32 MiB arrive: a
        # lagging consumer that is still there.  (Fetching once and producing after it made the
        # check depend on the produce taking under one lag window; side by side under ASan it took
        # 6-7 s and the broker had rightly forgotten the reader.)
        for _ in range(32):
            c.request(1, 4, kw.fetch_v4("lagging", [(0, 16)], partition_max_bytes=MiB))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert err == 0 and hw >= 96 and kw.batch_offsets(recs)[0] == (16, 1), (err, hw)
            produce_mib(c, "lagging", 1)
        time.sleep(1)  # the releases that the appends queued have run
        res = resident_bytes(seg)
        assert res >= 44 * MiB, "only %d bytes cached for a consumer 40 MiB behind" % res
        # once that consumer reads no more, two lag windows later the
        # partition is back to its newest 16 MiB at its next release
        time.sleep(10.5)
        produce_mib(c, "lagging", 8)
        deadline = time.time() + 10
        while resident_bytes(seg) > 24 * MiB and time.time() < deadline:
            time.sleep(0.1)
        res = resident_bytes(seg)
        assert res <= 24 * MiB, "the reader left two lag windows ago, yet %d bytes stay cached" % res
        c.close()


def test_deleting_a_topic_while_its_fsyncs_and_releases_run():
    # Every sync sleeps 300 ms while the flag file exists: the topic is deleted
    # with fsyncs (flush.messages=1) and page-cache releases (1 MiB budget)
    # queued and running on its partition.  The broker must stay up, answer
    # every request, remove the partition once the syncs return, and give a
    # topic made again under the same name a new, empty log.
    with ShimBroker({"freshet.page.cache.retain.bytes": str(MiB), "log.flush.interval.messages": "1"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("doomed", 1))
        c.recv_frame()
        open(b.delay_flag, "w").close()
        value = b"d" * (512 << 10)
        # 3 MiB unacknowledged (fsyncs and releases queue up without parking
        # the connection), then two that wait for their fsync
        for acks in (0, 0, 0, 0, 0, 0, 1, 1):
            c.request(0, 3, kw.produce_v3("doomed", 0, kw.record_batch([(b"k", value)]), acks=acks, timeout=30000))
        time.sleep(0.5)
        syncs, writebacks = b.fsyncs(), b.writebacks()
        admin = RawClient(b.port)
        admin.request(20, 0, kw.delete_topics_v0(["doomed"]))
        assert kw.parse_delete_topics_v0_response(admin.recv_frame())[1] == [("doomed", 0)]
        admin.close()
        assert syncs > 0 and writebacks > 0, "nothing was in flight: %d fsyncs, %d writebacks" % (syncs, writebacks)
        os.unlink(b.delay_flag)
        for _ in range(2):  # answered now (not at the 30 s timeout): gone, or synced just before
            err = kw.parse_produce_v3_response(c.recv_frame())[1][0][2]
            assert err in (0, UNKNOWN_TOPIC_OR_PARTITION), err
        c.close()
        part = os.path.join(b.data_dir, "kafka-logs", "doomed-0")
        deadline = time.time() + 20
        while os.path.exists(part) and time.time() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(part), "the deleted partition is still on disk"
        c = RawClient(b.port)
        kw.create_topic(c, "doomed", 1)
        assert produce(c, "doomed", 0, b"again")[2:] == (0, 0)
        c.request(1, 4, kw.fetch_v4("doomed", [(0, 0)]))
        err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
        assert err == 0 and hw == 1 and b"again" in recs, (err, hw)
        c.close()


def test_a_failed_writeback_fails_the_next_flush():
    with ShimBroker({"freshet.page.cache.retain.bytes": "0", "log.flush.interval.messages": "1"}) as b:
        c = RawClient(b.port)
        c.request(19, 0, kw.create_topics_v0("wb", 1))
        c.recv_frame()
        produce_mib(c, "wb", 2)  # flushed and acknowledged: fine
        open(b.wb_flag, "w").close()
        value = b"y" * (512 << 10)
        errors = [produce(c, "wb", 0, value)[2] for _ in range(40)]  # 20 MiB: a release runs, and fails
        os.unlink(b.wb_flag)
        deadline = time.time() + 20
        while KAFKA_STORAGE_ERROR not in errors and time.time() < deadline:
            errors.append(produce(c, "wb", 0)[2])
            time.sleep(0.05)
        assert KAFKA_STORAGE_ERROR in errors, "acknowledged after a failed writeback: %s" % sorted(set(errors))
        # and it sticks: the data the writeback lost may be gone
        assert produce(c, "wb", 0)[2] == KAFKA_STORAGE_ERROR
        c.close()


def test_appends_go_on_where_blocks_cannot_be_reserved():
    with ShimBroker({}) as b:
        c = RawClient(b.port)
        kw.create_topic(c, "unreserved", 1)
        open(b.fallocate_flag, "w").close()
        produce_mib(c, "unreserved", 5)  # ten 512 KiB records
        # a segment reserves every few MiB, but asks no more once refused
        assert b.fallocates() == 1, "fallocate asked %d times" % b.fallocates()
        got = []
        while len(got) < 10:
            c.request(1, 4, kw.fetch_v4("unreserved", [(0, len(got))], partition_max_bytes=MiB))
            err, hw, recs = kw.parse_fetch_v4_response(c.recv_frame())[0]
            assert (err, hw) == (0, 10) and recs, (err, hw)
            got += kw.batch_offsets(recs)
        assert got == [(i, 1) for i in range(10)], got
        os.unlink(b.fallocate_flag)
        kw.create_topic(c, "reserved", 1)
        produce_mib(c, "reserved", 5)
        assert b.fallocates() > 2, "where it can, a segment reserves again and again"
        c.close()

if __name__ == "__main__":
    run_tests([
        test_page_cache_release_drops_all_but_the_newest_bytes,
        test_page_cache_keeps_what_a_lagging_consumer_will_read,
        test_deleting_a_topic_while_its_fsyncs_and_releases_run,
        test_a_failed_writeback_fails_the_next_flush,
        test_flush_messages_1_acks_only_after_a_successful_fsync,
        test_an_idempotent_retry_is_answered_with_the_fsync_of_its_first_append,
        test_a_retry_the_flush_policy_does_not_hold_is_answered_at_once,
        test_a_failed_fsync_at_start_refuses_retries_of_what_recovery_found,
        test_without_flush_policy_acks_do_not_wait_for_fsync,
        test_group_commit_concurrent_producers_share_fsyncs,
        test_appends_go_on_where_blocks_cannot_be_reserved,
    ])
