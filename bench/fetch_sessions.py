#!/usr/bin/python3
"""What fetch sessions (KIP-227) save a consumer of many partitions.

One broker, one topic of --partitions partitions of which --active get a
record before each fetch (round-robin, one per fetch), and a raw Fetch v7
client polling it --rounds times with max_wait 0, in two modes run in
alternating blocks against the same broker:

  full         epoch -1: every fetch names every partition and gets every
               partition back (librdkafka's, kafkajs's and kafka-python's way);
  incremental  one full fetch with epoch 0, then epochs 1, 2, ...: each fetch
               names only the partitions whose offset moved (the Java
               consumer's way) and gets back only the ones that changed.

Printed per fetch, medians over the blocks: request and response bytes,
round-trip time, and the broker's CPU (from /proc).  Not part of the test
suite; a figure here is read against the other mode of the same run.

  bench/fetch_sessions.py [--bin build-perf/freshet] [--partitions 1000]
                          [--active 10] [--rounds 2000] [--blocks 3] [--only MODE]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_block(kw, client, producer, broker, topic, partitions, active, rounds, incremental, offsets):
    sent = received = 0
    sid, epoch, moved = 0, (0 if incremental else -1), set(range(partitions))
    cpu0, t0 = cpu_s(broker.proc.pid), time.perf_counter()
    for r in range(rounds):
        p = r % active
        kw.produce_now(producer, topic, p, b"v" * 100)
        named = sorted(moved) if incremental else range(partitions)
        body = kw.fetch_v7([(topic, [(q, offsets[q]) for q in named])], session_id=sid, epoch=epoch)
        client.request(1, 7, body)
        resp = client.recv_frame()
        sent += len(body) + 4 + 18
        received += len(resp) + 4
        err, got_sid, parts = kw.parse_fetch_v7_response(resp)
        assert err == 0, err
        moved = set()
        for _t, q, perr, _hw, _ls, recs in parts:
            assert perr == 0, (q, perr)
            batches = kw.batch_offsets(recs)
            if batches:
                offsets[q] = batches[-1][0] + batches[-1][1]
                moved.add(q)
        if incremental:
            if epoch == 0:
                assert got_sid != 0, "no fetch session"
                sid = got_sid
            epoch += 1
    wall = time.perf_counter() - t0
    cpu = cpu_s(broker.proc.pid) - cpu0
    if incremental:  # close the session, as a consumer does when it leaves
        client.request(1, 7, kw.fetch_v7([], session_id=sid, epoch=-1))
        client.recv_frame()
    return sent / rounds, received / rounds, wall / rounds * 1e6, cpu / rounds * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-perf", "freshet"))
    ap.add_argument("--partitions", type=int, default=1000)
    ap.add_argument("--active", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--only", choices=("full", "incremental"), help="run one mode (to profile it)")
    a = ap.parse_args()
    os.environ["FRESHET_BIN"] = os.path.abspath(a.bin)
    import harness  # reads FRESHET_BIN
    import kafka_wire as kw
    with harness.Broker() as b:
        client, producer = harness.RawClient(b.port, timeout=60), harness.RawClient(b.port, timeout=60)
        kw.create_topic(client, "many", a.partitions)
        offsets = [0] * a.partitions
        rows = {"full": [], "incremental": []}
        for _ in range(a.blocks):
            for mode in [a.only] if a.only else ("full", "incremental"):
                rows[mode].append(run_block(kw, client, producer, b, "many", a.partitions, a.active, a.rounds,
                                            mode == "incremental", offsets))
        client.close()
        producer.close()
    print("fetch sessions: %d partitions, %d active (one record before each fetch), %d fetches x %d blocks"
          % (a.partitions, a.active, a.rounds, a.blocks))
    print("%-12s %14s %15s %14s %16s" % ("mode", "request B", "response B", "round trip us", "broker CPU us"))
    med = {m: [statistics.median(col) for col in zip(*rows[m])] for m in rows if rows[m]}
    for m in med:
        print("%-12s %14.0f %15.0f %14.1f %16.1f" % (m, *med[m]))
    if len(med) < 2:
        return
    print("%-12s %14.3f %15.3f %14.3f %16.3f" % ("incr/full", *[i / f if f else 0 for i, f in
                                                               zip(med["incremental"], med["full"])]))


if __name__ == "__main__":
    main()
