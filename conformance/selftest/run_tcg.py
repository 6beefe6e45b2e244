#!/usr/bin/env python3
"""run_tcg: boot the guest images under plain QEMU (TCG, no HCABI).

Without HCABI every conformance image must still boot through PVH, print its
hello and `discovery present=0` lines, make no hypercall, print suite-end and
leave through isa-debug-exit (QEMU exit status 1), quickly. The smoke guests
must report "no signature" through their exit value. The runtime self-test
must end each of its tests with the verdict listed in SELFTEST_VERDICTS.
Every boot gets a fresh nonce on its command line (`-append`); every protocol
line's CRC-32, MAC (keyed with the image's evidence key and that nonce) and
sequence number are verified (protocol 2, docs/internals.md).

Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
import zlib
from pathlib import Path

# the self-test's verdicts: selftest.c (every architecture's; run_qemu_arm64.py and
# run_qemu_riscv64.py take these too), then arch/x86_64/selftest_x86.c
SHARED_SELFTEST_VERDICTS = {
    "SELF.printf": "pass",
    "SELF.crc32": "pass",
    "SELF.sha256": "pass",
    "SELF.setjmp": "pass",
    "SELF.unexpected_irq": "fail",
    "SELF.skip": "skip",
    "SELF.cited_check": "pass",
    "SELF.uncited_check": "error",
    "SELF.needs": "skip",
    "SELF.after_error": "pass",
}
SELFTEST_VERDICTS = {
    **SHARED_SELFTEST_VERDICTS,
    "SELF.expect_ud": "pass",
    "SELF.expect_gp_fixup": "pass",
    "SELF.paging": "pass",
    "SELF.user": "pass",
    "SELF.user_ud": "pass",
    "SELF.user_io_gp": "pass",
    "SELF.lapic_self_ipi": "pass",
    "SELF.replay_filter": "pass",
    "SELF.sse_avx": "pass",
    "SELF.unexpected_exception": "error",
}
BOOT_TIMEOUT = 60
KEY_MAGIC = b"\x89HCABI-KEY\r\n\x1a\n\x00\x01"


def line_key(image: Path, nonce: str) -> bytes:
    """K = SHA-256(the image's evidence key || nonce)."""
    data = image.read_bytes()
    at = data.find(KEY_MAGIC)
    if at < 0:
        raise SystemExit(f"{image}: no evidence key in the image")
    key = data[at + len(KEY_MAGIC) : at + len(KEY_MAGIC) + 32]
    return hashlib.sha256(key + nonce.encode()).digest()


def boot(qemu: str, image: Path, extra: list[str], nonce: str) -> tuple[int, str, float]:
    cmd = [
        qemu, "-accel", "tcg", "-cpu", "max", "-m", "64", "-display", "none",
        "-serial", "stdio", "-monitor", "none", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", str(image), "-append", f"hcabi.nonce={nonce}",
    ] + extra
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode("utf-8", "replace")
        return -1, out, time.monotonic() - start
    return p.returncode, p.stdout.decode("utf-8", "replace"), time.monotonic() - start


def protocol(out: str, k: bytes) -> tuple[list[tuple[str, dict, str]], list[str]]:
    """Parse `@hcabi SEQ ... ~MAC #CRC` lines; return (records, problems)."""
    recs, problems = [], []
    seq = 0
    for line in out.splitlines():
        pos = line.find("@hcabi ")
        if pos < 0:
            continue
        body = line[pos:].rstrip("\r\n")
        sep = body.rfind(" #")
        if sep < 0:
            problems.append(f"no CRC: {body!r}")
            continue
        want = f"{zlib.crc32(body[:sep].encode()) & 0xFFFFFFFF:08x}"
        if body[sep + 2:] != want:
            problems.append(f"bad CRC (want {want}): {body!r}")
            continue
        mark = body.rfind(" ~", 0, sep)
        mac = hmac.new(k, body[:mark].encode(), hashlib.sha256).hexdigest()[:16]
        if mark < 0 or body[mark + 2 : sep] != mac:
            problems.append(f"bad MAC (want {mac}): {body!r}")
            continue
        number, _, text = body[len("@hcabi ") : mark].partition(" ")
        if number != str(seq):
            problems.append(f"sequence {number}, want {seq}: {body!r}")
        seq = int(number) + 1 if number.isdigit() else seq + 1
        msg = ""
        if " msg=" in text:
            text, msg = text.split(" msg=", 1)
        kind, *fields = text.split(" ")
        recs.append((kind, dict(f.split("=", 1) for f in fields if "=" in f), msg))
    return recs, problems


def check_no_hcabi(name: str, rc: int, out: str, want_rc: int, image_name: str | None, k: bytes, nonce: str) -> list[str]:
    errs = []
    recs, problems = protocol(out, k)
    errs += problems
    if rc != want_rc:
        errs.append(f"QEMU exit status {rc}, want {want_rc}")
    kinds = [r[0] for r in recs]
    if image_name is not None:
        hello = [r for r in recs if r[0] == "hello"]
        if not hello or hello[0][1].get("image") != image_name or hello[0][1].get("protocol") != "2":
            errs.append(f"no hello line for image {image_name}")
        elif hello[0][1].get("nonce") != nonce:
            errs.append(f"hello carries nonce={hello[0][1].get('nonce')}, the boot was given {nonce} (-append)")
    disc = [r for r in recs if r[0] == "discovery"]
    if not disc or disc[0][1].get("present") != "0":
        errs.append("no `discovery present=0` line")
    if image_name is not None and image_name not in ("smoke", "smoke-smp"):
        if kinds[-1:] != ["suite-end"] or recs[-1][1] != {"pass": "0", "fail": "0", "skip": "0", "error": "0"}:
            errs.append("does not end with `suite-end pass=0 fail=0 skip=0 error=0`")
        if "test-begin" in kinds:
            errs.append("ran a test without HCABI")
    return errs


def check_selftest(rc: int, out: str, k: bytes) -> list[str]:
    errs = []
    recs, problems = protocol(out, k)
    errs += problems
    if rc != 1:
        errs.append(f"QEMU exit status {rc}, want 1")
    verdicts = {r[1]["name"]: (r[1]["verdict"], r[2]) for r in recs if r[0] == "test-end"}
    for name, want in SELFTEST_VERDICTS.items():
        got = verdicts.get(name)
        if got is None:
            errs.append(f"{name}: no test-end")
        elif got[0] != want:
            errs.append(f"{name}: verdict {got[0]} ({got[1]}), want {want}")
    for name in verdicts:
        if name not in SELFTEST_VERDICTS:
            errs.append(f"{name}: unknown self-test (add it to SELFTEST_VERDICTS)")
    ends = [r for r in recs if r[0] == "suite-end"]
    want_totals = {k: str(list(SELFTEST_VERDICTS.values()).count(k)) for k in ("pass", "fail", "skip", "error")}
    if not ends or ends[-1][1] != want_totals:
        errs.append(f"suite-end {ends[-1][1] if ends else None}, want {want_totals}")
    failed = [r for r in recs if r[0] == "check" and r[1].get("result") == "fail"]
    if [f[2] for f in failed if "unexpected interrupt" not in f[2]]:
        errs.append(f"failed checks: {[f[2] for f in failed]}")
    reqs = [r[1].get("req") for r in recs if r[0] == "check" and "requirement the test" in r[2]]
    if reqs != ["X86-005", "-"]:
        errs.append(f"checks naming a cited / an uncited requirement show req={reqs}, want X86-005 then -")
    uncited = [r for r in recs if r[0] == "test-end" and r[1]["name"] == "SELF.uncited_check"]
    if uncited and "check names X86-005, which the test does not cite (suite bug)" not in uncited[0][2]:
        errs.append(f"the uncited check's error does not say so: {uncited[0][2]!r}")
    needs = {r[1]["name"]: r[1].get("needs") for r in recs if r[0] == "test-end"}
    if needs.get("SELF.needs") != "TIME" or needs.get("SELF.skip") is not None:
        errs.append(f"test-end needs=: SELF.needs says {needs.get('SELF.needs')!r} (want 'TIME'), SELF.skip says {needs.get('SELF.skip')!r} (want none)")
    unexpected = [r for r in recs if r[0] == "test-end" and r[1]["name"] == "SELF.unexpected_exception"]
    if unexpected and "#UD" not in unexpected[0][2]:
        errs.append(f"the unexpected-exception report does not name #UD: {unexpected[0][2]!r}")
    return errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--images", type=Path, required=True)
    ap.add_argument("--selftest", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    manifest = json.loads(args.manifest.read_text())
    jobs = [(img["name"], args.images / img["file"], 1, img["name"], []) for img in manifest["images"]]
    jobs.append(("smoke", args.images / "hcabi-smoke.elf", (2 << 1) | 1, "smoke", []))
    jobs.append(("smoke-smp", args.images / "hcabi-smoke-smp.elf", (2 << 1) | 1, "smoke-smp", ["-smp", "2"]))
    failures = 0
    for name, path, want_rc, image_name, extra in jobs:
        nonce = secrets.token_hex(16)
        rc, out, secs = boot(args.qemu, path, extra, nonce)
        errs = check_no_hcabi(name, rc, out, want_rc, image_name, line_key(path, nonce), nonce)
        print(f"{'FAIL' if errs else 'ok  '} {name:<18} {secs:5.1f} s  exit {rc}")
        for e in errs:
            print(f"     {e}")
        if errs or args.verbose:
            print("     " + "\n     ".join(out.splitlines()[-15:]))
        failures += bool(errs)
    if args.selftest:
        for cpu in ("max", "qemu64"):
            nonce = secrets.token_hex(16)
            rc, out, secs = boot(args.qemu, args.selftest, ["-cpu", cpu], nonce)
            errs = check_selftest(rc, out, line_key(args.selftest, nonce))
            print(f"{'FAIL' if errs else 'ok  '} selftest -cpu {cpu:<11} {secs:5.1f} s  exit {rc}")
            for e in errs:
                print(f"     {e}")
            if errs or args.verbose:
                print("     " + "\n     ".join(out.splitlines()[-40:]))
            failures += bool(errs)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
