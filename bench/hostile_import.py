"""Benchmark: reading 1 GB files of garbage (`accord people import`'s reader) in bounded memory.

Each file is read in a fresh process, which reports its own peak RSS before and after the read;
the default size limit (ACCORD_MAX_IMPORT_BYTES) is raised past the file so the streaming reader,
not the limit, is what refuses it. Then once with the default limit, which refuses unread.

    .venv/bin/python bench/hostile_import.py [--megabytes 1024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import resource, sys, time
from pathlib import Path
from accord.cases.reader import read_people
from accord.errors import InvalidInput
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    read_people(Path(sys.argv[1]))
    outcome = "READ (should have been refused)"
except InvalidInput as exc:
    outcome = str(exc.problems[0])[-90:]
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{before // 1024} {after // 1024} {seconds:.2f} {outcome}")
"""

GARBAGE = {
    "no-newline.jsonl": b"\xe2\x82\xac" * 4096,
    "lines.jsonl": b'{"case_id": "x", "given_name": "' + b"y" * 900 + b'"}\n',
    "no-newline.csv": b'case_id,"' + b"x" * 4096,
    "lines.csv": b"case_id,given_name\n" + b"A1,x\n" * 800,
    "garbage.parquet": b"PAR1" + b"\x01" * 4092,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=1024)
    args = parser.parse_args()
    size = args.megabytes * 1024 * 1024
    with tempfile.TemporaryDirectory() as folder:
        for name, chunk in GARBAGE.items():
            path = Path(folder) / name
            with path.open("wb") as handle:
                for _ in range(size // len(chunk)):
                    handle.write(chunk)
            for limit in (str(2 * size), None):
                env = dict(os.environ)
                env.pop("ACCORD_MAX_IMPORT_BYTES", None)
                if limit:
                    env["ACCORD_MAX_IMPORT_BYTES"] = limit
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                before, after, seconds, outcome = done.stdout.split(" ", 3)
                print(
                    f"{name:18} {path.stat().st_size / 2**20:6.0f} MiB"
                    f" limit={'raised' if limit else 'default':7}"
                    f" read {float(seconds):6.2f}s (process {time.perf_counter() - started:5.2f}s)"
                    f" peak RSS {before:>4} -> {after:>4} MB  {outcome.strip()}"
                )
            path.unlink()


if __name__ == "__main__":
    main()
