#!/usr/bin/env python3
"""The flush policy decides when an acknowledgement means "on disk": with
flush.messages=1 a produce is answered only after an fsync covering it
succeeded (a failing fsync turns the ack into KAFKA_STORAGE_ERROR), and
concurrent producers share fsyncs (group commit).  Without a flush policy,
acks do not wait for fsync, as in Kafka.  fsync is made to fail or counted by
an LD_PRELOAD shim (fsync_fault.c)."""
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Broker, RawClient, run_tests  # noqa: E402
import kafka_wire as kw  # noqa: E402

KAFKA_STORAGE_ERROR = 56
SHIM = os.environ.get("FRESHET_FSYNC_SHIM")


class ShimBroker(Broker):
    def __init__(self, overrides):
        super().__init__(overrides=overrides)
        self.flag = os.path.join(self.data_dir, "fail-fsync")
        self.counter = os.path.join(self.data_dir, "fsync-count")

    def start(self, timeout=60):
        os.environ["LD_PRELOAD"] = SHIM
        os.environ["FR_FSYNC_FAIL_FLAG"] = self.flag
        os.environ["FR_FSYNC_COUNT_FILE"] = self.counter
        os.environ["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=1"
        try:
            return super().start(timeout)
        finally:
            for k in ("LD_PRELOAD", "FR_FSYNC_FAIL_FLAG", "FR_FSYNC_COUNT_FILE", "ASAN_OPTIONS"):
                os.environ.pop(k, None)

    def fsyncs(self):
        try:
            return os.path.getsize(self.counter)
        except OSError:
            return 0


def produce(c, topic, partition, value=b"v"):
    c.request(0, 3, kw.produce_v3(topic, partition, kw.record_batch([(b"k", value)]), acks=1, timeout=5000))
    return kw.parse_produce_v3_response(c.recv_frame())[1][0]


def test_flush_messages_1_acks_only_after_a_successful_fsync():
    assert SHIM and os.path.exists(SHIM), "the fsync shim was not built"
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


if __name__ == "__main__":
    run_tests([
        test_flush_messages_1_acks_only_after_a_successful_fsync,
        test_without_flush_policy_acks_do_not_wait_for_fsync,
        test_group_commit_concurrent_producers_share_fsyncs,
    ])
