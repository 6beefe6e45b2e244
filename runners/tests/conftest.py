"""Shared fixtures for the hcabi-conform tests.

Everything here is synthetic: a small requirements manifest, a small tests
manifest, and fake "images" that are JSON scripts a fake VMM (generated into
tmp_path) plays back onto the serial port. No real image, refvmm, launcher or
registry is needed, so these tests run before the other parts exist.

A fake image is its JSON script followed by the evidence key blob (the magic
and 32 key bytes), like a real image carries it; the fake VMM plays the image
faithfully: it reads the nonce from the guest command line it is given
(`--cmdline hcabi.nonce=...`) and writes protocol-2 lines (sequence number,
MAC keyed with SHA-256(key || nonce), CRC) -- written independently of the
runner's own encoder on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shlex
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

RUNNERS = Path(__file__).resolve().parents[1]
WRAPPER = RUNNERS / "hcabi-conform"
sys.path.insert(0, str(RUNNERS))


KEY_MAGIC = b"\x89HCABI-KEY\r\n\x1a\n\x00\x01"
TEST_KEY = bytes(range(32))
TEST_NONCE = "00112233445566778899aabbccddeeff"


def proto(body: str, seq: int, key: bytes = TEST_KEY, nonce: str = TEST_NONCE) -> str:
    """A valid protocol-2 line for `TYPE key=value ...` with sequence number
    `seq`: MAC = HMAC-SHA256(SHA-256(key || nonce), bytes before ' ~')[:8] in
    hex, CRC-32 (zlib) of the bytes before ' #'. Written independently of the
    runner's own encoder on purpose."""
    data = f"@hcabi {seq} {body}".encode("utf-8")
    k = hashlib.sha256(key + nonce.encode()).digest()
    data += b" ~" + hmac.new(k, data, hashlib.sha256).hexdigest()[:16].encode()
    return f"{data.decode()} #{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def protos(bodies: list[str], start: int = 0, key: bytes = TEST_KEY, nonce: str = TEST_NONCE) -> list[str]:
    """Consecutive lines numbered from `start`."""
    return [proto(b, start + i, key, nonce) for i, b in enumerate(bodies)]


REQUIREMENTS: dict[str, Any] = {
    "newest_version": "1.1",
    "versions": [
        {"version": "1.0", "date": "2026-01-01", "summary": "first"},
        {"version": "1.1", "date": "2026-06-01", "summary": "adds TIME-004"},
    ],
    "statuses": [{"name": "SUCCESS", "value": 0}],
    "extensions": [
        {"name": "BASE", "eid": 0, "since": "1.0", "functions": []},
        {"name": "TIME", "eid": 2, "since": "1.0", "functions": []},
        {"name": "TLB", "eid": 5, "since": "1.0", "functions": []},
        {"name": "SYSTEM", "eid": 9, "since": "1.0", "functions": []},
    ],
    "profiles": [
        {"name": "core", "since": "1.0", "extensions": {"1.0": ["BASE", "TIME", "SYSTEM"]}},
        {"name": "full", "since": "1.0", "extensions": {"1.0": ["BASE", "TIME", "TLB", "SYSTEM"]}},
    ],
    "requirements": [
        {"id": "BASE-001", "text": "GET_SPEC_VERSION MUST return the version <exposed>.", "area": "BASE", "function": "BASE.GET_SPEC_VERSION", "since": "1.0", "profiles_note": None},
        {"id": "BASE-002", "text": "PROBE_EXTENSION MUST return 0 for an absent extension.", "area": "BASE", "function": "BASE.PROBE_EXTENSION", "since": "1.0", "profiles_note": None},
        {"id": "TIME-001", "text": "GET_MONOTONIC MUST never go backwards.", "area": "TIME", "function": "TIME.GET_MONOTONIC", "since": "1.0", "profiles_note": None},
        {"id": "TIME-002", "text": "GET_MONOTONIC MUST count nanoseconds.", "area": "TIME", "function": "TIME.GET_MONOTONIC", "since": "1.0", "profiles_note": None},
        {"id": "TIME-004", "text": "SET_TIMER MUST accept a vector of 32 or more.", "area": "TIME", "function": "TIME.SET_TIMER", "since": "1.1", "profiles_note": None},
        {"id": "TLB-001", "text": "FLUSH MUST flush.", "area": "TLB", "function": "TLB.FLUSH", "since": "1.0", "profiles_note": None},
        {"id": "SYSTEM-001", "text": "REBOOT MUST reset the VM.", "area": "SYSTEM", "function": "SYSTEM.REBOOT", "since": "1.0", "profiles_note": None},
        {"id": "X86-001", "text": "VMCALL and VMMCALL MUST both work.", "area": "X86", "function": None, "since": "1.0", "profiles_note": None},
    ],
}

IMAGES = [
    {"name": "base", "file": "hcabi-conf-base.elf", "vcpus": 1, "memory_mib": 64, "ends": "exit"},
    {"name": "system-reboot", "file": "hcabi-conf-system-reboot.elf", "vcpus": 1, "memory_mib": 64, "ends": "reboot"},
    {"name": "time", "file": "hcabi-conf-time.elf", "vcpus": 2, "memory_mib": 64, "ends": "exit"},
    {"name": "tlb", "file": "hcabi-conf-tlb.elf", "vcpus": 2, "memory_mib": 64, "ends": "exit"},
    {"name": "x86", "file": "hcabi-conf-x86.elf", "vcpus": 1, "memory_mib": 64, "ends": "exit"},
]

TESTS = [
    {"name": "BASE.get_spec_version", "image": "base", "extension": "BASE", "requirements": ["BASE-001"], "since": "1.0"},
    {"name": "BASE.probe_extension", "image": "base", "extension": "BASE", "requirements": ["BASE-002"], "since": "1.0"},
    {"name": "SYSTEM.reboot", "image": "system-reboot", "extension": "SYSTEM", "requirements": ["SYSTEM-001"], "since": "1.0"},
    {"name": "TIME.monotonic", "image": "time", "extension": "TIME", "requirements": ["TIME-001", "TIME-002"], "since": "1.0"},
    {"name": "TIME.timer_vector", "image": "time", "extension": "TIME", "requirements": ["TIME-004"], "since": "1.1"},
    {"name": "TLB.flush", "image": "tlb", "extension": "TLB", "requirements": ["TLB-001"], "since": "1.0"},
    {"name": "X86.vmcall", "image": "x86", "extension": "X86", "requirements": ["X86-001"], "since": "1.0"},
]

ALL_EXTS = "BASE:1,TIME:1,TLB:1,SYSTEM:1"

FAKE_VMM = r'''
"""Fake VMM: plays back the JSON script that stands in for an image, as the
image would (protocol 2: the nonce from --cmdline, sequence numbers, MACs).
Understands refvmm's options and also `IMAGE [SERIAL]` positionals."""
import hashlib, hmac, json, os, signal, sys, time, zlib

MAGIC = b"\x89HCABI-KEY\r\n\x1a\n\x00\x01"
args = sys.argv[1:]
opts, pos, i = {}, [], 0
while i < len(args):
    if args[i] in ("--vcpus", "--memory", "--serial", "--timeout", "--spec-version", "--inject-fault", "--cmdline", "--serial-limit"):
        opts[args[i]] = args[i + 1]; i += 2
    elif args[i].startswith("--") and "=" in args[i]:
        opts[args[i].split("=", 1)[0]] = args[i].split("=", 1)[1]; i += 1
    elif args[i] == "--no-reboot":
        opts["--no-reboot"] = True; i += 1
    else:
        pos.append(args[i]); i += 1
image = pos[0]
serial = pos[1] if len(pos) > 1 else opts.get("--serial", "-")
with open(image + ".argv.json", "w") as f:
    json.dump(sys.argv[1:], f)
spec = opts.get("--spec-version") or os.environ.get("FAKE_SPEC", "1.1")
out = sys.stdout.buffer if serial == "-" else open(serial, "wb")
blob = open(image, "rb").read()
script = json.loads(blob[: blob.index(MAGIC)])
key = blob[blob.index(MAGIC) + len(MAGIC) :][:32]
nonce = ""
for word in opts.get("--cmdline", "").split(" "):
    if word.startswith("hcabi.nonce="):
        nonce = word[len("hcabi.nonce="):]
state = {"seq": 0, "last": b""}

def ver(s):
    return tuple(int(x) for x in s.split("."))

def encode(body, seq, k, crc=True):
    data = ("@hcabi %d %s" % (seq, body)).encode()
    data += b" ~" + hmac.new(k, data, hashlib.sha256).hexdigest()[:16].encode()
    return data + b" #" + (("%08x" % (zlib.crc32(data) & 0xffffffff)) if crc else "00000000").encode() + b"\n"

def line(body, step={}):
    body = body.replace("{nonce}", nonce or "-")
    k = hashlib.sha256((step.get("forge_key", "").encode() or key) + nonce.encode()).digest()
    state["seq"] += step.get("seq_skip", 0)
    data = encode(body, state["seq"], k, crc="badcrc" not in step)
    state["seq"] += 1
    state["last"] = data
    out.write(data)

def finish(status, msg):
    out.flush()
    if msg:
        sys.stderr.write(msg + "\n")
    sys.stderr.flush()
    os._exit(status)

for step in script["steps"]:
    if "min_spec" in step and ver(spec) < ver(step["min_spec"]):
        continue
    if "line" in step:
        line(step["line"].replace("{spec}", spec), step)
    elif "badcrc" in step:
        line(step["badcrc"], step)
    elif "repeat" in step:
        out.write(state["last"])
    elif "flood" in step:
        chunk = b"y" * 4095 + b"\n"
        while True:
            out.write(chunk)
    elif "console" in step:
        # a console data-path region (docs/internals.md): the stream derived
        # from K independently of the runner; "mode" breaks it like a VMM could
        c = step["console"]
        k = hashlib.sha256(key + nonce.encode()).digest()
        raw = b"".join(hmac.new(k, ("%s:%d" % (c["label"], b)).encode(), hashlib.sha256).digest() for b in range(c["len"] // 32 + 1))
        data = bytes(10 if i % 48 == 47 else b"abcdefghijklmnopqrstuvwxyz234567"[raw[i] % 32] for i in range(c["len"]))
        line("console-expect label=%s len=%d sha256=%s how=write req=%s" % (c["label"], c["len"], hashlib.sha256(data).hexdigest(), c["req"]))
        mode = c.get("mode", "ok")
        out.write({"ok": data, "reverse": data[::-1], "drop": b"", "truncate": data[: len(data) // 2], "extra": data + b"!"}[mode] + b"\n")
        line("console-end label=%s" % c["label"])
    elif "text" in step:
        out.write(step["text"].encode() + b"\n")
    elif "raw" in step:
        out.write(bytes.fromhex(step["raw"]))
    elif "big" in step:
        chunk = b"x" * 1023 + b"\n"
        for _ in range(step["big"] // 1024):
            out.write(chunk)
    elif "hang" in step:
        out.flush()
        with open(image + ".pid", "w") as f:
            f.write(str(os.getpid()))
        if "--timeout" in opts:
            time.sleep(float(opts["--timeout"]))
            finish(8, "hcabi-refvmm: timeout: --timeout %s s expired" % opts["--timeout"])
        time.sleep(3600)
    elif "signal" in step:
        out.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    elif "exit" in step:
        finish(step["exit"], step.get("stderr", ""))
    out.flush()
finish(0, "")
'''

FAKE_LAUNCHER = r'''
"""Fake scripts/hcabi-nested: runs each job of the JOBFILE on the host and
prints the launcher's progress lines as each job starts and ends. With
FAKE_LAUNCHER_WAIT=DIR it waits (at most 20 s) after each job for the runner
to have seen it (DIR/NAME.seen), and writes DIR/launcher.done as it exits.
FAKE_LAUNCHER_QUIET=1: no progress lines (a launcher that says nothing)."""
import argparse, json, os, shlex, subprocess, sys, time
p = argparse.ArgumentParser()
p.add_argument("--cache"); p.add_argument("--timeout"); p.add_argument("--job-timeout"); p.add_argument("--holder"); p.add_argument("--arch")
p.add_argument("--out", required=True); p.add_argument("jobfile")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "invocation.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "jobs": open(a.jobfile).read()}, f)
if os.environ.get("FAKE_LAUNCHER_FAIL"):
    print("hcabi-nested: error: KVM could not be brought up inside the nested VM", file=sys.stderr)
    sys.exit(4)
wait = os.environ.get("FAKE_LAUNCHER_WAIT")
say = (lambda *a, **k: None) if os.environ.get("FAKE_LAUNCHER_QUIET") else print
say("hcabi-nested: KVM is up inside after 0.1 s (vendor=fake)", flush=True)
for raw in open(a.jobfile):
    name, rest = raw.rstrip("\n").split("\t", 1)
    argv = shlex.split(rest)
    base = os.path.join(a.out, name)
    say("hcabi-nested: %s: started" % name, flush=True)
    start = time.monotonic()
    with open(base + ".serial", "wb") as so, open(base + ".stderr", "wb") as se:
        try:
            rc = subprocess.run(argv, stdout=so, stderr=se, timeout=float(a.job_timeout)).returncode
        except subprocess.TimeoutExpired:
            se.write(b"\nhcabi-nested: killed after 1 s (--job-timeout)\n")
            rc = None
    if rc is not None:
        with open(base + ".status", "w") as f:
            f.write("%d\n" % (128 - rc if rc < 0 else rc))
    took = time.monotonic() - start
    say("hcabi-nested: %s: status %d (%.1f s)%s" % (name, 10 if rc is None else 128 - rc if rc < 0 else rc, took, "" if rc is not None else " KILLED by --job-timeout"), flush=True)
    if wait:
        deadline = time.monotonic() + 20
        while not os.path.exists(os.path.join(wait, name + ".seen")) and time.monotonic() < deadline:
            time.sleep(0.02)
if wait:
    open(os.path.join(wait, "launcher.done"), "w").close()
'''


def passing_steps(image: str, tests: list[dict[str, Any]], exts: str = ALL_EXTS, end: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
    """Script of an image whose every test passes, ending via isa-debug-exit
    (refvmm status 1), or with `end`."""
    steps: list[dict[str, Any]] = [
        {"text": "PVH boot: hello from the guest runtime"},
        {"line": f"hello image={image} protocol=2 nonce={{nonce}}"},
        {"line": f"discovery present=1 base=0x40000000 signature=HCABIrefvmm0 spec={{spec}} impl=0x1 implver=0x10000 exts={exts}"},
    ]
    count = 0
    for test in tests:
        if test["image"] != image:
            continue
        count += 1
        cond = {"min_spec": test["since"]} if test["since"] != "1.0" else {}
        steps.append({"line": f"test-begin name={test['name']} reqs={','.join(test['requirements'])}", **cond})
        for rid in test["requirements"]:
            steps.append({"line": f"check result=pass req={rid} msg=ok", **cond})
        if test["name"] == "SYSTEM.reboot":
            steps.append({"line": "expect event=reboot code=0", **cond})
            steps.append({"exit": 10, "stderr": "hcabi-refvmm: reboot (--no-reboot)"})
            return steps
        steps.append({"line": f"test-end name={test['name']} verdict=pass msg=all good", **cond})
    steps.append({"line": f"suite-end pass={count} fail=0 skip=0 error=0"})
    steps.append(end or {"exit": 1, "stderr": "hcabi-refvmm: isa-debug-exit value 0"})
    return steps


def failing(steps: list[dict[str, Any]], test: str, req: str, check_msg: str, end_msg: str) -> list[dict[str, Any]]:
    """`steps` with the check of `req` failing (`check_msg`) and `test` ending
    `fail` (`end_msg`)."""
    out = list(steps)
    for i, step in enumerate(out):
        if step.get("line", "").startswith(f"check result=pass req={req}"):
            out[i] = {"line": f"check result=fail req={req} msg={check_msg}"}
        if step.get("line", "").startswith(f"test-end name={test} "):
            out[i] = {"line": f"test-end name={test} verdict=fail msg={end_msg}"}
    return out


def absent_steps(image: str) -> list[dict[str, Any]]:
    """Script of an image on a hypervisor without HCABI (plain QEMU)."""
    return [
        {"line": f"hello image={image} protocol=2 nonce={{nonce}}"},
        {"line": "discovery present=0 base=0x40000000 signature=TCGTCGTCGTCG"},
        {"line": "suite-end pass=0 fail=0 skip=0 error=0"},
        {"exit": 1},
    ]


def skipping_steps(image: str, test: str, reqs: str, exts: str, msg: str) -> list[dict[str, Any]]:
    """Script of an image whose one test skips, saying `msg`."""
    return [
        {"line": f"hello image={image} protocol=2 nonce={{nonce}}"},
        {"line": f"discovery present=1 spec={{spec}} impl=0x1 implver=0x10000 exts={exts}"},
        {"line": f"test-begin name={test} reqs={reqs}"},
        {"line": f"test-end name={test} verdict=skip msg={msg}"},
        {"line": "suite-end pass=0 fail=0 skip=1 error=0"},
        {"exit": 1},
    ]


def write_image(path: Path, steps: list[dict[str, Any]], key: bytes) -> None:
    """A fake image: its script, then the evidence key blob, as a real image carries it."""
    path.write_bytes(json.dumps({"steps": steps}).encode() + b"\n" + KEY_MAGIC + key)


@dataclass
class Suite:
    """A synthetic repository: manifests, fake images, fake VMM/launcher."""

    root: Path
    tests: list[dict[str, Any]] = field(default_factory=lambda: [dict(t) for t in TESTS])
    images: list[dict[str, Any]] = field(default_factory=lambda: [dict(i) for i in IMAGES])
    requirements: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(REQUIREMENTS)))

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def manifest(self) -> Path:
        return self.root / "requirements.json"

    @property
    def images_dir(self) -> Path:
        return self.build / "conformance" / "images"

    @property
    def fake_vmm(self) -> Path:
        return self.root / "fakevmm.py"

    @property
    def out(self) -> Path:
        return self.root / "out"

    key: bytes = field(default_factory=lambda: os.urandom(32))

    def write(self) -> "Suite":
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.manifest.write_text(json.dumps(self.requirements))
        (self.build / "conformance" / "tests.json").write_text(json.dumps({"images": self.images, "tests": self.tests}))
        self.fake_vmm.write_text(FAKE_VMM)
        for img in self.images:
            if not (self.images_dir / img["file"]).exists():
                self.set_image(img["name"], passing_steps(img["name"], self.tests))
        return self

    def set_image(self, name: str, steps: list[dict[str, Any]]) -> None:
        write_image(self.images_dir / next(i["file"] for i in self.images if i["name"] == name), steps, self.key)

    def install_refvmm(self) -> Path:
        """The fake VMM as build/reference-impl/refvmm/hcabi-refvmm."""
        path = self.build / "reference-impl" / "refvmm" / "hcabi-refvmm"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!{sys.executable}\n{FAKE_VMM}")
        path.chmod(0o755)
        return path

    def install_launcher(self) -> Path:
        path = self.root / "fake-hcabi-nested"
        path.write_text(f"#!{sys.executable}\n{FAKE_LAUNCHER}")
        path.chmod(0o755)
        return path

    def vmm_cmd(self, serial: bool = True) -> str:
        base = f"{shlex.quote(sys.executable)} {shlex.quote(str(self.fake_vmm))} --cmdline {{cmdline}} {{image}}"
        return base + (" {serial}" if serial else "")

    def common(self) -> list[str]:
        return ["--build-dir", str(self.build), "--manifest", str(self.manifest)]

    def run_args(self, *extra: str, serial: bool = True, vmm_exit: bool = True) -> list[str]:
        """`run --target cmd` with the fake VMM; it exits like refvmm, which
        `vmm_exit` declares (--vmm-exit)."""
        exits = ["--vmm-exit", "shutdown=0", "--vmm-exit", "reboot=10", "--vmm-exit", "crash=12"] if vmm_exit else []
        return ["run", "--target", "cmd", "--vmm-cmd", self.vmm_cmd(serial), *exits, *self.common(), "--out", str(self.out), *extra]


@pytest.fixture
def suite(tmp_path: Path) -> Suite:
    return Suite(tmp_path).write()


@dataclass
class Result:
    rc: int
    out: str
    err: str


def run_cli(*args: str, env: Optional[dict[str, str]] = None, timeout: float = 120) -> Result:
    """Run the real wrapper in a subprocess (exit status, no traceback)."""
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run([sys.executable, str(WRAPPER), *args], capture_output=True, text=True, env=full_env, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Result(proc.returncode, proc.stdout, proc.stderr)


def one_line_error(res: Result) -> str:
    """A user error must be exactly one line on stderr."""
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    assert lines[0].startswith("hcabi-conform: "), lines[0]
    return lines[0]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def by_test(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["test"]: r for r in report["results"]}
