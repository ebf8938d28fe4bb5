#!/usr/bin/env python3
"""bench/streams --smoke: the streams benchmark's harness end to end (build
of bench/streams_bench.c against the build tree's libraries, broker start,
loads, every topology, table and JSON), at a few thousand records.  Checks
the shape of the output, never the speed.

Uses the build tree of FRESHET_BIN (no separate optimized build): the
libraries are found next to it, as bench/streams --build-dir expects."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, run_tests  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_streams_bench_smoke():
    build_dir = os.path.dirname(os.path.abspath(FRESHET))
    if not os.path.exists(os.path.join(build_dir, "streams", "libfreshet_streams.a")):
        print("SKIP: no freshet_streams library next to %s" % FRESHET)
        return
    with tempfile.TemporaryDirectory(prefix="freshet-bench-streams-smoke-") as tmp:
        out = os.path.join(tmp, "streams.json")
        # The sanitizer build's libraries need the sanitizer runtime at link time.
        env = dict(os.environ)
        if subprocess.run(["nm", os.path.join(build_dir, "common", "libfreshet_common.a")], capture_output=True,
                          text=True).stdout.count("__asan_") > 0:
            env["CFLAGS_EXTRA"] = "-fsanitize=address,undefined"
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "streams"), "--smoke", "--no-build",
                            "--build-dir", build_dir, "--freshet", FRESHET, "--out", out, "--data-dir", tmp],
                           capture_output=True, text=True, timeout=600, env=env)
        assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-5000:])
        res = json.load(open(out))
        kinds = [row["kind"] for row in res["rows"]]
        assert kinds[:4] == ["pipe", "pipe-defaults", "stateless", "wordcount"], kinds
        for row in res["rows"]:
            assert row["records_per_sec"] > 0 and len(row["runs"]) == 1, row
            assert row["runs"][0]["records"] == row["records"], row
        wc = [row for row in res["rows"] if row["kind"] == "wordcount"][0]
        assert wc["runs"][0]["end_records"] == wc["records"], wc
        # every page view meets its user: the older table rows are taken first
        join = [row for row in res["rows"] if row["kind"] == "join"][0]
        assert join["runs"][0]["end_records"] == join["records"], join
        assert "records/s" in r.stdout and "wordcount" in r.stdout, r.stdout


if __name__ == "__main__":
    run_tests([test_streams_bench_smoke])
