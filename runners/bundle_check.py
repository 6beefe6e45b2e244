#!/usr/bin/env python3
"""bundle_check: end-to-end check of `hcabi-conform bundle` and `gate --bundle`
on a real run's report (CTest conform.vX.Y.bundle).

1. The bundle of the real report is ACCEPTED by `gate --bundle`.
2. Doctored copies are REJECTED (exit 3), each with a message that says what
   does not match. Each doctoring keeps every hash the bundle and the report
   carry consistent, so that it is the re-parse of the logs (not a checksum)
   that catches the deep ones:
   - a `check result=fail` line of a serial log turned into `result=pass`
     (the line's MAC no longer verifies with the boot's key);
   - a failed test of the report turned into a pass (raw and derived fields
     alike: the log gives another result);
   - a serial log swapped for another boot's log of the same image (a replay:
     the nonce does not match);
   - a member edited without fixing MANIFEST.json (a plain mismatch).

Usage: bundle_check.py --conform RUNNER --report REPORT --require X.Y
                       --build-dir DIR --work DIR
Exit 0 when everything behaves, 1 otherwise (each problem on its own line).
Standard library only.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable

Members = dict[str, bytes]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bundle(path: Path) -> Members:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def write_bundle(path: Path, members: Members, fix_manifest: bool = True) -> None:
    """Write members back; with fix_manifest, MANIFEST.json's hashes follow."""
    if fix_manifest:
        manifest = json.loads(members["MANIFEST.json"])
        for name, data in members.items():
            if name in manifest["members"]:
                manifest["members"][name] = {"sha256": sha(data), "size": len(data)}
        members["MANIFEST.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(members, key=lambda n: (n != "MANIFEST.json", n)):
                info = tarfile.TarInfo(name)
                info.size = len(members[name])
                tar.addfile(info, io.BytesIO(members[name]))
    path.write_bytes(buf.getvalue())


def set_log(members: Members, name: str, data: bytes) -> None:
    """Replace a log and make the report's evidence hash agree with it."""
    members[name] = data
    report = json.loads(members["report.json"])
    image, kind = name[len("logs/") :].rsplit(".", 1)
    for boot in report["boots"]:
        if boot["image"] == image:
            boot["evidence"][f"{kind}_sha256"] = sha(data)
    members["report.json"] = json.dumps(report, indent=2).encode()


def flip_check_line(members: Members) -> str:
    """A passing boot's first `check result=pass` line becomes a fail: the log
    then contradicts the report, and its MAC breaks."""
    for name in sorted(members):
        if name.endswith(".serial") and b" check result=pass " in members[name]:
            set_log(members, name, members[name].replace(b" check result=pass ", b" check result=fail ", 1))
            return name
    raise SystemExit("bundle_check: no passing check line in any serial log")


def fail_to_pass(members: Members) -> str:
    """The report's first passing test becomes a failure in every field."""
    report = json.loads(members["report.json"])
    res = next(r for r in report["results"] if r["status"] == "pass")
    res["status"] = res["raw_status"] = "fail"
    res["message"] = res["raw_message"] = "edited"
    members["report.json"] = json.dumps(report, indent=2).encode()
    return res["test"]


def replay_log(members: Members, other: Members) -> str:
    """A serial log replaced by the same image's log of another run."""
    name = next(n for n in sorted(members) if n.endswith(".serial") and n in other and other[n] != members[n])
    set_log(members, name, other[name])
    return name


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conform", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--other-report", required=True, help="a report of another run of the same suite (for the replay case)")
    p.add_argument("--require", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args(argv)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    def conform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, a.conform, *args], capture_output=True, text=True)

    def bundle(report: str, out: Path) -> Members:
        res = conform("bundle", "--report", report, "--out", str(out), "--build-dir", a.build_dir)
        if res.returncode != 0:
            raise SystemExit(f"bundle_check: bundle of {report} failed (exit {res.returncode}): {res.stderr.strip()}")
        return read_bundle(out)

    def gate(path: Path) -> subprocess.CompletedProcess[str]:
        return conform("gate", "--bundle", str(path), "--require", a.require, "--build-dir", a.build_dir)

    real = work / "real.tar.gz"
    members = bundle(a.report, real)
    other = bundle(a.other_report, work / "other.tar.gz")
    res = gate(real)
    if res.returncode != 0 or "ACCEPTED" not in res.stdout:
        problems.append(f"the real bundle was not accepted (exit {res.returncode}): {(res.stdout + res.stderr).strip()[:800]}")
    else:
        print(f"OK: {res.stdout.strip().splitlines()[0]}")

    cases: list[tuple[str, Callable[[Members], str], bool]] = [
        ("a serial log's check line edited", flip_check_line, True),
        ("a test's result edited in the report", fail_to_pass, True),
        ("a serial log replayed from another run", lambda m: replay_log(m, other), True),
        ("a member edited without its MANIFEST entry", lambda m: set_log(m, next(n for n in sorted(m) if n.endswith(".serial")), b"x") or "log", False),
    ]
    for what, doctor, fix in cases:
        copy = dict(members)
        where = doctor(copy)
        path = work / (what.replace(" ", "-").replace("'", "") + ".tar.gz")
        write_bundle(path, copy, fix_manifest=fix)
        res = gate(path)
        said = (res.stdout + res.stderr).strip()
        if res.returncode != 3 or "Traceback" in said or "REJECTED" not in said and "error" not in said:
            problems.append(f"{what} ({where}): expected REJECTED, exit 3; got exit {res.returncode}: {said[:800]}")
        else:
            reason = next((ln.strip() for ln in said.splitlines() if ln.strip().startswith("- ")), said.splitlines()[-1])
            print(f"OK: {what} ({where}) rejected: {reason[:300]}")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
