#!/usr/bin/env python3
"""The README quickstart, command for command: the `build/freshet ...` lines
of README.md run against a real broker (bootstrap address swapped for the
test's), and the consumer gets the produced lines back."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import FRESHET, Broker, run_tests  # noqa: E402

README = os.path.join(os.environ.get("FRESHET_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")), "README.md")


def quickstart_commands():
    text = open(README).read()
    section = text[text.index("## Quickstart"):]
    section = section[:section.index("\n## ", 3)]
    cmds, inputs = [], {}
    for line in section.splitlines():
        s = line.strip()
        if s.startswith("build/freshet "):
            cmds.append(s.split()[1:])
        elif s.startswith("> ") and cmds:
            inputs.setdefault(len(cmds) - 1, []).append(s[2:])
    return cmds, inputs


def test_readme_quickstart_gets_messages_back():
    cmds, inputs = quickstart_commands()
    kinds = [c[0] for c in cmds]
    assert kinds.count("topics") >= 2 and "console-producer" in kinds and "console-consumer" in kinds, kinds
    with Broker() as b:
        produced = []
        for i, args in enumerate(cmds):
            args = [b.bootstrap if a == "localhost:9092" else a for a in args]
            stdin = "\n".join(inputs.get(i, [])) + "\n" if args[0] == "console-producer" else None
            if args[0] == "console-producer":
                produced = inputs.get(i, [])
                assert produced, "the README shows no lines to produce"
            if args[0] == "console-consumer":
                args += ["--max-messages", str(len(produced)), "--timeout-ms", "20000"]
            r = subprocess.run([FRESHET] + args, input=stdin, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, (args, r.stdout, r.stderr)
            if args[0] == "topics" and "--create" in args:
                assert re.search(r"Created topic quickstart-events\.", r.stdout), r.stdout
            if args[0] == "topics" and "--describe" in args:
                assert "Partition: 2" in r.stdout and "Leader: 0" in r.stdout, r.stdout
            if args[0] == "console-consumer":
                assert sorted(r.stdout.splitlines()) == sorted(produced), (r.stdout, produced)
                assert "Processed a total of %d messages" % len(produced) in r.stderr, r.stderr


if __name__ == "__main__":
    run_tests([test_readme_quickstart_gets_messages_back])
