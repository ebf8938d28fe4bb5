"""bench_report.py: what bench/run makes of the runs it measured: medians,
ratios against peers and ceilings, the issue's targets, the text tables and
the gnuplot chart.  Imported by bench/run; nothing here runs a peer."""
import os
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data_disk  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def summarize(kind, runs):
    """Median of each figure over the repetitions."""
    if not runs:
        return None
    med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
    cpu = {}
    for key in ("server_cpu_s", "server_sys_s", "client_cpu_s"):
        if all(key in r for r in runs):
            cpu[key] = med(lambda r: r[key])
    return dict(summarize_figures(kind, runs, med), **cpu)


def summarize_figures(kind, runs, med):
    if kind in ("produce", "durable"):
        return {"records_per_sec": med(lambda r: r["records_per_sec"]), "mb_per_sec": med(lambda r: r["mb_per_sec"]),
                "latency_p50_ms": med(lambda r: r["latency_us"]["p50"]) / 1000,
                "latency_p99_ms": med(lambda r: r["latency_us"]["p99"]) / 1000}
    if kind == "consume":
        return {"records_per_sec": med(lambda r: r["fetch_msgs_per_sec"]),
                "mb_per_sec": med(lambda r: r["fetch_mb_per_sec"]),
                "total_mb_per_sec": med(lambda r: r["mb_per_sec"]),
                "messages": med(lambda r: r["messages"])}
    if kind in ("e2e", "pingpong"):
        return {"p50_ms": med(lambda r: r["latency_us"]["p50"]) / 1000,
                "p99_ms": med(lambda r: r["latency_us"]["p99"]) / 1000,
                "p999_ms": med(lambda r: r["latency_us"]["p999"]) / 1000,
                "achieved_rate": med(lambda r: r["achieved_rate"]),
                "received": med(lambda r: r["received"])}
    raise ValueError(kind)


def figure(row, peer):
    res = row["results"].get(peer)
    return res and res.get("median")


def add_ratios(rows, ceilings):
    loop = ceilings.get("loopback_mb_per_sec", {}).get("median")
    disk = ceilings.get("disk_seq_fdatasync_mb_per_sec", {}).get("median")
    for row in rows:
        row["ratios"] = {}
        f = figure(row, "freshet")
        if not f:
            continue
        key = "p99_ms" if row["kind"] in ("e2e", "pingpong") else "mb_per_sec"
        for peer in ("mock", "redis"):
            o = figure(row, peer)
            if o and o.get(key):
                row["ratios"]["freshet/" + peer] = f[key] / o[key]
        ceiling = disk if row["kind"] == "durable" else loop if row["kind"] in ("produce", "consume") else None
        if ceiling:
            row["ratios"]["freshet/ceiling"] = f["mb_per_sec"] / ceiling


def paired_ratios(row, a, b):
    """[lowest, highest] of peer a's MB/s over peer b's in each round: round k
    ran rep k of every peer back to back (bench/run, run_rows), so these show
    how far the median ratio moves with this machine's noise.  None unless
    every rep of both ran."""
    ra, rb = row["results"].get(a), row["results"].get(b)
    if not ra or not rb or ra.get("errors") or rb.get("errors") or len(ra["runs"]) != len(rb["runs"]) \
            or len(ra["runs"]) < 2:
        return None
    vals = [x["mb_per_sec"] / y["mb_per_sec"] for x, y in zip(ra["runs"], rb["runs"]) if y.get("mb_per_sec")]
    return [round(min(vals), 2), round(max(vals), 2)] if vals else None


def check_targets(rows, ceilings):
    """The issue's targets, each with the measured value and a verdict."""
    by_id = {r["id"]: r for r in rows}
    loop = ceilings.get("loopback_mb_per_sec", {}).get("median")
    direct = ceilings.get("disk_seq_direct_mb_per_sec", {}).get("median")
    out = []

    def add(name, value, ok, note="", rounds=None):
        out.append({"target": name, "value": value, "ok": ok, "note": note, "rounds": rounds})

    for r in rows:
        if r["kind"] == "produce":
            f, m = figure(r, "freshet"), figure(r, "mock")
            if f and m:
                # The mock keeps records in memory; past this disk's direct-write rate, no broker
                # acknowledging only what reached the device could follow it (bench/README).
                fast = direct and m["mb_per_sec"] > direct
                add("%s: freshet >= 1.0x mock" % r["label"], round(f["mb_per_sec"] / m["mb_per_sec"], 2),
                    f["mb_per_sec"] >= m["mb_per_sec"],
                    "the mock's %.0f MB/s is above the disk's O_DIRECT %.0f MB/s" % (m["mb_per_sec"], direct)
                    if fast else "", paired_ratios(r, "freshet", "mock"))
    for c in rows:
        p = by_id.get(c.get("source")) if c["kind"] == "consume" else None
        if p and figure(c, "freshet") and figure(p, "freshet"):
            ratio = figure(c, "freshet")["mb_per_sec"] / figure(p, "freshet")["mb_per_sec"]
            add("%s: >= 1.5x freshet's produce rate" % c["label"], round(ratio, 2), ratio >= 1.5)
    for c in rows:
        # Uncompressed only: with lz4 the figure counts the records' bytes, half again what
        # crossed the loopback (Kafka's random letters compress to about two thirds), so the
        # wire's ceiling does not bound it.
        if c["kind"] == "consume" and c["size"] == 1024 and by_id.get(c.get("source"), {}).get("compression") == "none" \
                and figure(c, "freshet") and loop:
            ratio = figure(c, "freshet")["mb_per_sec"] / loop
            name = "consume 1 KiB" if c["id"] == "consume-1k" else c["label"]
            add("%s: >= 70%% of loopback MB/s" % name, round(ratio, 3), ratio >= 0.7)
    p = by_id.get("produce-1k-acks1-p1-none")
    if p and figure(p, "freshet") and loop:
        ratio = figure(p, "freshet")["mb_per_sec"] / loop
        # What the same producer reaches against a peer that only keeps records in memory.
        m = figure(p, "mock")
        add("produce 1 KiB acks=1: >= 60% of loopback MB/s", round(ratio, 3), ratio >= 0.6,
            "the mock, with the same client, reaches %.3f" % (m["mb_per_sec"] / loop) if m else "")
    e = by_id.get("e2e-100k")
    if e and figure(e, "freshet"):
        f = figure(e, "freshet")
        add("e2e at 100k rec/s: p99 <= 3 ms", f["p99_ms"], f["p99_ms"] <= 3)
        add("e2e at 100k rec/s: p99.9 <= 10 ms", f["p999_ms"], f["p999_ms"] <= 10)
    for r in rows:
        f, o = figure(r, "freshet"), figure(r, "redis")
        if not f or not o:
            continue
        if r["kind"] in ("e2e",):
            add("%s: freshet p99 below redis" % r["label"], round(f["p99_ms"] / o["p99_ms"], 2),
                f["p99_ms"] <= o["p99_ms"])
        else:
            note = "both answer only after the fsync; freshet groups concurrent appends into one fsync (group commit)" if r["kind"] == "durable" else ""
            add("%s: freshet ahead of redis" % r["label"], round(f["mb_per_sec"] / o["mb_per_sec"], 2),
                f["mb_per_sec"] >= o["mb_per_sec"], note)
    return out


def render_table(table):
    """Rows of cells as aligned text: the first column left, the others right, a rule under the header."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(row)))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def fmt_tp(f):
    if not f:
        return "-"
    return "%s/s %s MB/s" % (human(f["records_per_sec"]), ("%.1f" % f["mb_per_sec"]))


def fmt_lat(f):
    if not f:
        return "-"
    return "%.2f/%.2f/%.2f" % (f["p50_ms"], f["p99_ms"], f["p999_ms"])


def human(n):
    if n >= 1e6:
        return "%.2fM" % (n / 1e6)
    if n >= 1e3:
        return "%.0fk" % (n / 1e3)
    return "%.0f" % n


def format_table(doc):
    lines = []
    c = doc["ceilings"]
    host = doc["host"]
    lines.append("Freshet bench (%s mode, median of %d), %s, %s" % (doc["mode"], doc["reps"], host["cpu"],
                                                                      doc["timestamp"]))
    if host.get("tcp_congestion_control"):
        lines.append("kernel %s, TCP congestion control %s" % (host["kernel"], host["tcp_congestion_control"]))
    ceil = []
    if "loopback_mb_per_sec" in c:
        ceil.append("loopback TCP %.0f MB/s" % c["loopback_mb_per_sec"]["median"])
    if "disk_seq_fdatasync_mb_per_sec" in c:
        ceil.append("disk seq+fdatasync %.0f MB/s" % c["disk_seq_fdatasync_mb_per_sec"]["median"])
    if "disk_seq_direct_mb_per_sec" in c:
        ceil.append("O_DIRECT %.0f MB/s" % c["disk_seq_direct_mb_per_sec"]["median"])
    if "disk_sync_writes_per_sec" in c:
        ceil.append("4 KiB dsync writes %.0f/s" % c["disk_sync_writes_per_sec"]["median"])
    floor = ["%s %.0f" % (name, c["ingest_" + key]["cpu_ms_per_gib"]["median"])
             for key, name in INGEST_FLOORS if "ingest_" + key in c]
    if floor:
        ceil.append("ingest floor, CPU ms/GiB: " + ", ".join(floor))
    lines.append("ceilings: " + (", ".join(ceil) or "none"))
    if "data_disk" in doc:
        lines.append("data dirs: " + data_disk.summary(doc["data_disk"]))
    # results written before the harness chose the clients' allocator ran them on glibc's
    lines.append("clients' allocator: %s" % doc.get("client_malloc", "glibc"))
    for k, v in doc["skipped"].items():
        lines.append("skipped %s: %s" % (k, v))
    lines.append("(MB = 2^20 bytes; throughput rows: records/s and MB/s, ratio on MB/s, higher is better;")
    lines.append(" latency rows: p50/p99/p99.9 ms, ratio on p99, lower is better)")
    hdr = ("row", "freshet", "mock", "F/mock", "redis", "F/redis", "F/ceiling")
    table = [hdr]
    for r in doc["rows"]:
        lat = r["kind"] in ("e2e", "pingpong")
        fmt = fmt_lat if lat else fmt_tp
        cells = [r["label"]]
        for peer, ratio in (("freshet", None), ("mock", "freshet/mock"), ("redis", "freshet/redis")):
            if peer not in r["peers"]:
                cells.append("n/a")
            elif peer in r.get("skipped", {}):
                cells.append("skipped")
            else:
                cells.append(fmt(figure(r, peer)))
            if ratio:
                v = r["ratios"].get(ratio)
                cells.append("%.2fx" % v if v is not None else "-")
        v = r["ratios"].get("freshet/ceiling")
        cells.append("%.0f%%" % (100 * v) if v is not None else "-")
        table.append(tuple(cells))
    lines.extend(render_table(table))
    lines.append("")
    lines.extend(format_cpu_table(doc))
    lines.extend(format_floor_table(doc))
    lines.append("")
    lines.append("targets (issue 4):")
    for t in doc["targets"]:
        rounds = t.get("rounds")
        lines.append("  [%s] %s: %s%s%s" % ("PASS" if t["ok"] else "MISS", t["target"], t["value"],
                                           ", rounds %.2f-%.2f" % tuple(rounds) if rounds else "",
                                           ("  (" + t["note"] + ")") if t["note"] else ""))
    return "\n".join(lines)


def format_cpu_table(doc):
    """Where the CPU went: the server process against the client processes.

    On a small machine the client and the server share the cores, so a row
    whose client is busy all the time is bounded by the client, whatever the
    server does; these figures show which side that was."""
    lines = ["CPU seconds per run (median) of the server process and of the client processes",
             "(a client busy all the run while the server idles means the row measures the client)"]
    table = [("CPU s: server / client", "freshet", "mock", "redis")]
    for r in doc["rows"]:
        cells = [r["label"]]
        for peer in ("freshet", "mock", "redis"):
            f = figure(r, peer) if peer in r["peers"] else None
            if f and "server_cpu_s" in f and "client_cpu_s" in f:
                cells.append("%.2f / %.2f" % (f["server_cpu_s"], f["client_cpu_s"]))
            else:
                cells.append("n/a" if peer not in r["peers"] else "-")
        table.append(tuple(cells))
    return lines + render_table(table)


INGEST_FLOORS = (("none", "recv+CRC"), ("cache", "+page cache"), ("direct", "+O_DIRECT"), ("splice", "+splice"))


def server_ms_per_gib(row, peer):
    f = figure(row, peer)
    if not f or f.get("server_cpu_s", 0) < 0.02:  # under two clock ticks: no figure to read
        return None
    return f["server_cpu_s"] * 1e3 / (row["records"] * row["size"] / float(1 << 30))


def format_floor_table(doc):
    """The produce rows' server CPU per GiB of records against the ingest floor
    (bench/ingest_floor.c): receiving, checking the CRC and writing the bytes into the
    page cache, with nothing else.  A broker whose CPU is near the floor has little left to
    take out short of not copying into the page cache; a peer below the floor skips work
    the floor does (the mock keeps the bytes in memory).  The CPU figures tick in 10 ms,
    so the short runs of quick mode read coarsely."""
    c = doc["ceilings"]
    if "ingest_cache" not in c:
        return []
    floor = c["ingest_cache"]["cpu_ms_per_gib"]["median"]
    table = [("server CPU ms per GiB", "freshet", "mock", "F/floor")]
    for r in doc["rows"]:
        if r["kind"] != "produce" or r.get("compression") != "none":
            continue
        f, m = server_ms_per_gib(r, "freshet"), server_ms_per_gib(r, "mock")
        table.append((r["label"], "%.0f" % f if f is not None else "-", "%.0f" % m if m is not None else "-",
                      "%.2f" % (f / floor) if f is not None else "-"))
    if len(table) == 1:
        return []
    lines = ["", "Server CPU per GiB of records, uncompressed produce rows, against the ingest floor with the",
             "page cache (%.0f ms/GiB: receive, check the CRC-32C, write; bench/ingest_floor.c)" % floor]
    return lines + render_table(table)


# ---------------------------------------------------------------- chart

def make_chart(doc, png, tmp):
    gp = shutil.which("gnuplot")
    if not gp:
        return None
    tp_rows = [r for r in doc["rows"] if r["kind"] in ("produce", "consume", "durable")]
    lat_rows = [r for r in doc["rows"] if r["kind"] in ("e2e", "pingpong")]
    peers = ("freshet", "mock", "redis")

    def val(r, p, key):
        f = figure(r, p)
        return "%.4f" % f[key] if f and f.get(key) else "-"

    tp = os.path.join(tmp, "tp.dat")
    with open(tp, "w") as fp:
        for r in tp_rows:
            fp.write('"%s" %s\n' % (r["label"].replace("produce ", "").replace("consume ", "consume "),
                                     " ".join(val(r, p, "mb_per_sec") for p in peers)))
    lat = os.path.join(tmp, "lat.dat")
    with open(lat, "w") as fp:
        for r in lat_rows:
            short = "ping-pong" if r["kind"] == "pingpong" else r["label"].replace("e2e 100 B at ", "")
            for q, key in (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms")):
                fp.write('"%s %s" %s\n' % (short, q, " ".join(val(r, p, key) for p in peers)))
    loop = doc["ceilings"].get("loopback_mb_per_sec", {}).get("median")
    if not tp_rows and not lat_rows:
        return None
    # one panel per kind of row present (a --rows run may have only one kind)
    series = ("using 2:xtic(1) title \"freshet\" lc rgb \"#1f77b4\", '' using 3 title \"librdkafka mock\" "
              "lc rgb \"#aaaaaa\", '' using 4 title \"redis streams\" lc rgb \"#d62728\"")
    panels = []
    if tp_rows:
        panels.append('set ylabel "MB/s (MiB/s)"\nset title "Throughput%s"\nplot \'%s\' %s'
                      % (" (ceiling: loopback TCP %.0f MB/s)" % loop if loop else "", tp, series))
    if lat_rows:
        panels.append('set logscale y\nset ylabel "ms (log)"\nset title "End-to-end latency (lower is better)"\n'
                      "plot '%s' %s" % (lat, series))
    script = """
set terminal pngcairo size 1400,900 font "Sans,10"
set output '%(png)s'
set datafile missing "-"
set multiplot layout %(n)d,1 title "Freshet vs peers (%(mode)s mode, median of %(reps)d, %(stamp)s, data dirs on %(fs)s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set grid ytics
set xtics rotate by -25 scale 0 font ",9"
%(panels)s
unset multiplot
""" % {"png": png, "mode": doc["mode"], "reps": doc["reps"], "stamp": doc["timestamp"], "n": len(panels),
       "fs": doc.get("data_disk", {}).get("fs", "?"),
       "panels": "\n".join(panels)}
    terminals = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True)
    if "pngcairo" not in terminals.stderr + terminals.stdout:
        script = script.replace("pngcairo", "png")
    sp = os.path.join(tmp, "chart.gp")
    with open(sp, "w") as fp:
        fp.write(script)
    r = subprocess.run([gp, sp], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or not os.path.exists(png):
        log("gnuplot failed: " + r.stderr[-1000:])
        return None
    return png
