#!/usr/bin/env python3
"""bench/run in quick mode with tiny workloads (--smoke): every peer starts,
every row gets a figure, the table, the JSON and the chart are well-formed,
and every peer process is stopped.  Redis and iperf3 rows may be skipped only
when those programs are not installed.  No assertion looks at a speed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, run_tests  # noqa: E402

SOURCE = os.environ.get("FRESHET_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BENCH = os.path.join(SOURCE, "bench", "run")
MOCK = os.path.join(os.path.dirname(FRESHET), "tests", "integration", "mock_cluster")

PEER_COLUMNS = ("freshet", "mock", "F/mock", "redis", "F/redis", "F/ceiling")


def redis_available():
    return bool(shutil.which("redis-server")) and os.path.exists("/usr/include/hiredis/hiredis.h")


def test_quick_smoke_run():
    out = tempfile.mkdtemp(prefix="freshet-bench-smoke-")
    try:
        r = subprocess.run([sys.executable, BENCH, "--quick", "--smoke", "--no-install", "--no-build",
                            "--freshet", FRESHET, "--mock-cluster", MOCK, "--out", out],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (r.returncode, r.stdout[-5000:], r.stderr[-5000:])
        check_json(out, r)
        check_table(r.stdout)
        check_chart(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_rounds_pair_each_repetition():
    """A produce-vs-mock target's "rounds": the lowest and highest ratio of the
    repetitions run side by side, only when every repetition of both ran."""
    sys.path.insert(0, os.path.join(SOURCE, "bench"))
    import bench_report

    def row(f, m, errors=()):
        runs = lambda v: [{"mb_per_sec": x} for x in v]  # noqa: E731
        return {"results": {"freshet": {"runs": runs(f), "errors": list(errors)},
                            "mock": {"runs": runs(m), "errors": []}}}
    assert bench_report.paired_ratios(row([90, 120, 100], [100, 100, 125]), "freshet", "mock") == [0.8, 1.2]
    assert bench_report.paired_ratios(row([90, 120], [100, 100, 125]), "freshet", "mock") is None
    assert bench_report.paired_ratios(row([90, 120], [100, 100], ["timeout"]), "freshet", "mock") is None
    assert bench_report.paired_ratios(row([90], [100]), "freshet", "mock") is None


def check_json(out, r):
    stamped = [f for f in os.listdir(out) if re.match(r"^\d{8}-\d{6}\.json$", f)]
    assert len(stamped) == 1 and os.path.exists(os.path.join(out, "latest.json")), os.listdir(out)
    doc = json.load(open(os.path.join(out, stamped[0])))
    assert doc["mode"] == "smoke" and doc["reps"] >= 1, doc["mode"]
    assert doc["peers"]["freshet"]["exit_code"] == 0, (doc["peers"], r.stderr[-3000:])
    # Skipped only when not installed.
    if redis_available():
        assert "redis" not in doc["skipped"], doc["skipped"]
    else:
        assert "redis" in doc["skipped"], doc["skipped"]
    if shutil.which("iperf3"):
        assert doc["ceilings"]["loopback_mb_per_sec"]["median"] > 0, doc["ceilings"]
    else:
        assert "loopback" in doc["skipped"], doc["skipped"]
    assert doc["ceilings"]["disk_seq_fdatasync_mb_per_sec"]["median"] > 0, doc["ceilings"]
    # O_DIRECT: measured, or skipped with dd's reason (a file system without it)
    assert doc["ceilings"].get("disk_seq_direct_mb_per_sec", {}).get("median", 0) > 0 or \
        doc["skipped"].get("disk_direct", "").startswith("dd oflag=direct failed"), (doc["ceilings"], doc["skipped"])
    # the ingest floor: each way of keeping the bytes measured, with a rate and a CPU cost
    for write in ("none", "cache", "direct", "splice"):
        c = doc["ceilings"].get("ingest_" + write)
        if write in ("direct", "splice") and c is None:  # a file system without O_DIRECT or fallocate
            assert doc["skipped"]["ingest_" + write].startswith("ingest_floor --write %s failed" % write), \
                doc["skipped"]
            continue
        assert c and c["median"] > 0 and len(c["values"]) == doc["reps"], (write, c, doc["skipped"])
        assert c["cpu_ms_per_gib"]["median"] > 0, (write, c)
    assert "ingest floor, CPU ms/GiB: recv+CRC " in r.stdout, r.stdout[:2000]
    assert doc["client_malloc"] == "jemalloc", doc.get("client_malloc")
    assert "clients' allocator: jemalloc" in r.stdout, r.stdout[:2000]
    # the file system the data dirs were on, as findmnt sees the temp dir
    disk = doc["data_disk"]
    want_fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", tempfile.gettempdir()], capture_output=True,
                             text=True).stdout.strip()
    assert disk["fs"] == want_fs and disk["path"].startswith(disk["mount"]), (disk, want_fs)
    assert "data dirs: %s on %s" % (disk["fs"], disk["device"]) in r.stdout, r.stdout[:2000]
    # the congestion control every loopback figure ran under, as the kernel reports it
    with open("/proc/sys/net/ipv4/tcp_congestion_control") as f:
        cc = f.read().strip()
    assert doc["host"]["tcp_congestion_control"] == cc, doc["host"]
    assert "TCP congestion control %s" % cc in r.stdout, r.stdout[:2000]
    kinds = {row["kind"] for row in doc["rows"]}
    assert kinds == {"produce", "consume", "pingpong", "e2e", "durable"}, kinds
    labels = [row["label"] for row in doc["rows"]]
    for want in ("produce 100 B acks=1 1p none", "produce 1 KiB acks=1 1p none", "produce 100 B acks=all 1p none",
                 "produce 100 B acks=1 8p none", "produce 100 B acks=1 1p lz4", "consume 1 KiB 1p",
                 "e2e 100 B at 10k rec/s", "e2e 100 B at 100k rec/s",
                 # the other acks=1 rows' data is read back too: several partitions, lz4 batches
                 "consume 100 B 8p none", "consume 100 B 1p lz4"):
        assert want in labels, labels
    # every consume row is judged against the produce row that wrote its data
    judged = {t["target"] for t in doc["targets"]}
    for row in doc["rows"]:
        if row["kind"] == "consume":
            src = [r for r in doc["rows"] if r["id"] == row["source"]]
            assert src and src[0]["kind"] == "produce" and src[0]["size"] == row["size"], (row["id"], src)
            assert "%s: >= 1.5x freshet's produce rate" % row["label"] in judged, (row["label"], judged)
    cpu_seen = 0  # clock ticks are 10 ms: a tiny row may show 0, the whole run may not
    for row in doc["rows"]:
        for peer in row["peers"]:
            if peer in doc["skipped"]:
                assert peer in row["skipped"], row
                continue
            res = row["results"][peer]
            assert not res["errors"], (row["id"], peer, res["errors"])
            assert len(res["runs"]) == doc["reps"], (row["id"], peer)
            med = res["median"]
            if row["kind"] in ("produce", "durable", "consume"):
                assert med["records_per_sec"] > 0 and med["mb_per_sec"] > 0, (row["id"], peer, med)
            else:
                assert 0 <= med["p50_ms"] <= med["p99_ms"] <= med["p999_ms"], (row["id"], peer, med)
                assert med["received"] == row["records"], (row["id"], peer, med)
            if row["kind"] in ("produce", "durable"):
                assert all(run["records"] == row["records"] for run in res["runs"]), (row["id"], peer)
            if row["kind"] == "consume" and peer == "freshet":
                assert all(run["messages"] == row["records"] for run in res["runs"]), (row["id"], res["runs"])
            assert med["server_cpu_s"] >= 0 and med["client_cpu_s"] >= 0, (row["id"], peer, med)
            for run in res["runs"]:  # the kernel's share of the server's CPU is a part of it
                assert 0 <= run["server_sys_s"] <= run["server_cpu_s"], (row["id"], peer, run)
            if peer == "freshet":
                cpu_seen += med["server_cpu_s"] + med["client_cpu_s"]
        if "mock" in row["peers"] and "freshet" in row["results"]:
            assert row["ratios"]["freshet/mock"] > 0, row["ratios"]
    assert cpu_seen > 0, "no CPU time recorded for freshet or its clients"
    for t in doc["targets"]:
        assert isinstance(t["ok"], bool) and t["target"], t
        assert t["rounds"] is None, t  # one repetition: no spread to give


def check_table(stdout):
    lines = stdout.splitlines()
    assert lines[0].startswith("Freshet bench (smoke mode, median of "), stdout
    header = [l for l in lines if l.startswith("row ")]
    assert len(header) == 1, stdout
    assert header[0].split()[1:] == list(PEER_COLUMNS), header
    i = lines.index(header[0])
    assert set(lines[i + 1].replace(" ", "")) == {"-"}, lines[i + 1]
    body = lines[i + 2:lines.index("", i)]
    assert len(body) >= 12, body
    tp = re.compile(r"\d+(?:\.\d+)?[kM]?/s \d+\.\d MB/s")
    lat = re.compile(r"\d+\.\d\d/\d+\.\d\d/\d+\.\d\d")
    for line in body:
        fig = lat if line.startswith("e2e") else tp
        assert fig.search(line), line
        assert re.search(r" (\d+\.\d\dx|-) ", line) and re.search(r" (\d+%|-)$", line), line
    # Where the CPU went: server / client seconds for every row that ran on freshet.
    cpu = [l for l in lines if l.startswith("CPU s: server / client ")]
    assert len(cpu) == 1 and cpu[0].split()[-3:] == ["freshet", "mock", "redis"], cpu
    j = lines.index(cpu[0])
    cpu_body = lines[j + 2:lines.index("", j)]
    assert len(cpu_body) == len(body), (cpu_body, body)
    for line in cpu_body:
        assert re.search(r"\d+\.\d\d / \d+\.\d\d", line), line
    targets = lines[lines.index("targets (issue 4):") + 1:]
    assert any(re.match(r"^  \[(PASS|MISS)\] ", l) for l in targets), targets
    assert any(l.startswith("results: ") for l in lines), stdout


def test_clients_run_on_the_chosen_allocator():
    """Every client bench/run starts gets its environment from client_env: the
    allocator has to be mapped in the client process, and only when asked."""
    sys.path.insert(0, os.path.join(SOURCE, "bench"))
    import client_allocator

    def maps(allocator):
        env = client_allocator.client_env(allocator)
        return subprocess.run(["cat", "/proc/self/maps"], env=env, capture_output=True, text=True,
                              check=True).stdout

    assert "libjemalloc.so.2" in maps("jemalloc")
    assert "libjemalloc.so.2" not in maps("glibc")
    # 8-partition responses need 8 MiB buffers: jemalloc must not give them back at once
    assert client_allocator.client_env("jemalloc").get("MALLOC_CONF") == "oversize_threshold:0"
    assert client_allocator.client_env("glibc").get("MALLOC_CONF") == os.environ.get("MALLOC_CONF")


def check_chart(out):
    if not shutil.which("gnuplot"):
        return
    pngs = [f for f in os.listdir(out) if f.endswith(".png")]
    assert "latest.png" in pngs and len(pngs) == 2, pngs
    with open(os.path.join(out, "latest.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


if __name__ == "__main__":
    run_tests([test_rounds_pair_each_repetition, test_clients_run_on_the_chosen_allocator, test_quick_smoke_run])
