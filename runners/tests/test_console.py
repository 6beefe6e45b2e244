"""Console data paths (docs/internals.md, "Console data paths"): the runner
compares what reached the VMM's console with the regions the image announced,
and feeds every boot its key-derived console input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

from conftest import TEST_KEY, TEST_NONCE, proto

from hcabi_conform.boot import interpret_boot
from hcabi_conform.evidence import EvidenceContext, console_bytes, console_input, line_key
from hcabi_conform.manifests import ImageSpec, TestSpec
from hcabi_conform.model import Ending, TestResult
from hcabi_conform.target_cmd import Cmd
from hcabi_conform.targets import BootJob, RefDirect, refvmm_args
from hcabi_conform.verdict import requirement_contribution
from hcabi_conform.versions import Version

V10 = Version(1, 0)
IMAGE = ImageSpec("console", "hcabi-conf-console.elf", 1, 64, "exit")
OUT = TestSpec("CONSOLE.write_output", "console", "CONSOLE", ("CONSOLE-001", "CONSOLE-003"), V10)
KNOWN = {OUT.name: OUT}
EXIT0 = Ending("exit", "the guest wrote 0 to isa-debug-exit", status=1, code=0)
K = line_key(TEST_KEY, TEST_NONCE)
PAYLOAD = console_bytes(K, "out-write", 1000)


def expect_line(label: str, data: bytes, req: str = "CONSOLE-001", how: str = "write") -> str:
    return f"console-expect label={label} len={len(data)} sha256={hashlib.sha256(data).hexdigest()} how={how} req={req}"


def log(written: bytes, rejected_stray: bytes = b"", announced: bytes = PAYLOAD) -> bytes:
    """A boot of the console image: one WRITE region carrying `written` for
    the announced payload, then an empty `rejected` region carrying
    `rejected_stray`, each closed by the newline the guest writes via COM1."""
    bodies = [
        "hello image=console protocol=2 nonce=" + TEST_NONCE,
        "discovery present=1 base=0x40000000 signature=HCABIrefvmm0 spec=1.0 impl=0x1 implver=0x1 exts=BASE:1,CONSOLE:1",
        "test-begin name=CONSOLE.write_output reqs=CONSOLE-001,CONSOLE-003",
        expect_line("out-write", announced),
    ]
    lines = [proto(b, i) for i, b in enumerate(bodies)]
    out = "\n".join(lines).encode() + b"\n" + written + b"\n"
    seq = len(bodies)
    rest = [
        "console-end label=out-write",
        expect_line("out-rejected", b"", "CONSOLE-003", "rejected"),
    ]
    out += "\n".join(proto(b, seq + i) for i, b in enumerate(rest)).encode() + b"\n" + rejected_stray + b"\n"
    seq += len(rest)
    tail = [
        "console-end label=out-rejected",
        "check result=pass req=CONSOLE-001 msg=WRITE returned 1000",
        "check result=pass req=CONSOLE-003 msg=rejected",
        "test-end name=CONSOLE.write_output verdict=pass msg=",
        "suite-end pass=1 fail=0 skip=0 error=0",
    ]
    return out + "\n".join(proto(b, seq + i) for i, b in enumerate(tail)).encode() + b"\n"


def judge(tmp_path: Path, data: bytes, console: Optional[bytes] = None) -> tuple[TestResult, list[str]]:
    serial = tmp_path / "console.serial"
    serial.write_bytes(data)
    path = None
    if console is not None:
        path = tmp_path / "console.console"
        path.write_bytes(console)
    record, results = interpret_boot(IMAGE, serial, EXIT0, KNOWN, [OUT], EvidenceContext(TEST_NONCE, TEST_KEY), path)
    assert record.evidence["verified"] is True
    result = results[0]
    result.status = result.raw_status
    return result, [f"{p.severity}: {p.message}" for p in record.problems]


def test_stream_is_printable_line_structured_and_keyed() -> None:
    assert len(PAYLOAD) == 1000 and b"@" not in PAYLOAD
    assert all(PAYLOAD[i] == 10 for i in range(47, 1000, 48))
    assert all(PAYLOAD[i] in b"abcdefghijklmnopqrstuvwxyz234567" for i in range(1000) if i % 48 != 47)
    assert PAYLOAD != PAYLOAD[::-1]
    assert console_bytes(K, "out-write", 40) == PAYLOAD[:40]  # a prefix of the same stream
    assert console_bytes(line_key(TEST_KEY, "ff" * 16), "out-write", 1000) != PAYLOAD  # another boot
    assert console_bytes(K, "out-pieces", 1000) != PAYLOAD
    assert console_input(TEST_KEY, TEST_NONCE) == console_bytes(K, "console-input", 200)


def test_output_matching_passes(tmp_path: Path) -> None:
    result, problems = judge(tmp_path, log(PAYLOAD))
    assert result.raw_status == "pass" and not result.failed_checks, result.raw_message
    assert not [p for p in problems if not p.startswith("warning")]


def test_output_missing_fails_naming_the_requirement(tmp_path: Path) -> None:
    result, _ = judge(tmp_path, log(b""))
    assert result.raw_status == "fail"
    assert result.failed_checks[0]["req"] == "CONSOLE-001"
    assert "only 0 of 1000 bytes arrived" in result.failed_checks[0]["msg"]
    assert requirement_contribution(result, "CONSOLE-001", ["CONSOLE-001", "CONSOLE-003"]) == "fail"
    assert requirement_contribution(result, "CONSOLE-003", ["CONSOLE-001", "CONSOLE-003"]) == "pass"


def test_output_reversed_fails_at_byte_0(tmp_path: Path) -> None:
    result, _ = judge(tmp_path, log(PAYLOAD[::-1]))
    assert result.raw_status == "fail"
    msg = result.failed_checks[0]["msg"]
    assert "first differ at byte 0" in msg and repr(PAYLOAD[:5].decode())[:-1] in msg


def test_output_truncated_fails(tmp_path: Path) -> None:
    result, _ = judge(tmp_path, log(PAYLOAD[:700]))
    assert result.raw_status == "fail" and "only 700 of 1000 bytes arrived" in result.failed_checks[0]["msg"]


def test_output_extra_bytes_fail(tmp_path: Path) -> None:
    result, _ = judge(tmp_path, log(PAYLOAD + b"zz"))
    assert result.raw_status == "fail" and "then 2 extra byte(s)" in result.failed_checks[0]["msg"]


def test_output_changed_byte_is_located(tmp_path: Path) -> None:
    bad = PAYLOAD[:517] + (b"a" if PAYLOAD[517:518] != b"a" else b"b") + PAYLOAD[518:]
    result, _ = judge(tmp_path, log(bad))
    assert "first differ at byte 517" in result.failed_checks[0]["msg"]


def test_rejected_call_that_writes_fails_its_requirement(tmp_path: Path) -> None:
    result, _ = judge(tmp_path, log(PAYLOAD, rejected_stray=b"X"))
    assert result.raw_status == "fail"
    assert [c["req"] for c in result.failed_checks] == ["CONSOLE-003"]
    assert requirement_contribution(result, "CONSOLE-001", ["CONSOLE-001", "CONSOLE-003"]) == "pass"


def test_announcement_the_runner_cannot_derive_is_an_error(tmp_path: Path) -> None:
    # the image announces a sha256 other than the runner's stream: a build mismatch, not a VMM fault
    result, problems = judge(tmp_path, log(b"abc", announced=b"abc"))
    assert result.raw_status == "pass"
    assert any(p.startswith("error:") and "derive different bytes" in p for p in problems)


def test_console_file_mode(tmp_path: Path) -> None:
    # {console}: the serial log carries no payload; the console file does
    result, _ = judge(tmp_path, log(b""), console=b"other output\n" + PAYLOAD + b"more")
    assert result.raw_status == "pass", result.raw_message
    result, _ = judge(tmp_path, log(b""), console=PAYLOAD[::-1])
    assert result.raw_status == "fail" and "not found in console file" in result.failed_checks[0]["msg"]
    result, _ = judge(tmp_path, log(b""), console=PAYLOAD[:300])
    assert "at most its first 300 byte(s) appear" in result.failed_checks[0]["msg"]


def _job(tmp_path: Path) -> BootJob:
    job = BootJob(IMAGE, tmp_path / "img.elf", tmp_path / "console.serial", tmp_path / "console.stderr", 60.0, None)
    job.nonce, job.key = TEST_NONCE, TEST_KEY
    job.console_input = tmp_path / "console.console-in"
    return job


def test_cmd_placeholders(tmp_path: Path) -> None:
    job = _job(tmp_path)
    cmd = Cmd("vmm --in {console_input} --con {console} --cmdline {cmdline} {image}")
    cmd.prepare(job)
    argv = cmd.command(job)
    assert argv[argv.index("--in") + 1] == str(job.console_input)
    assert argv[argv.index("--con") + 1] == str(tmp_path / "console.console")
    assert argv[argv.index("--cmdline") + 1] == f"hcabi.nonce={TEST_NONCE} hcabi.console_input=200"
    plain = Cmd("vmm --cmdline {cmdline} {image}")
    job2 = _job(tmp_path)
    plain.prepare(job2)
    assert plain.command(job2)[2] == f"hcabi.nonce={TEST_NONCE}"  # no input: the input test skips
    assert job2.console_out is None and not job2.feed_input


def test_ref_passes_the_input_file(tmp_path: Path) -> None:
    job = _job(tmp_path)
    target = RefDirect(tmp_path / "hcabi-refvmm")
    target.prepare(job)
    args = refvmm_args(job)
    assert f"--console-input={job.console_input}" in args
    assert f"hcabi.nonce={TEST_NONCE} hcabi.console_input=200" in args


def test_each_boot_gets_its_input_file(suite) -> None:  # type: ignore[no-untyped-def]
    from conftest import load, run_cli

    template = suite.vmm_cmd() + " --console-input={console_input}"
    res = run_cli("run", "--target", "cmd", "--vmm-cmd", template, "--vmm-exit", "reboot=10", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    for boot in rep["boots"]:
        path = Path(boot["logs"]["console_input"])
        assert path == suite.out / f"{boot['image']}.console-in"
        assert path.read_bytes() == console_input(suite.key, boot["evidence"]["nonce"])
        assert f"--console-input={path}" in boot["command"]
        assert f"hcabi.console_input=200" in " ".join(boot["command"])


def _with_region(suite, mode: str) -> None:  # type: ignore[no-untyped-def]
    from conftest import passing_steps

    steps = passing_steps("base", suite.tests)
    at = next(i for i, s in enumerate(steps) if "test-begin name=BASE.get_spec_version" in s.get("line", ""))
    steps.insert(at + 1, {"console": {"label": "out-write", "len": 1000, "req": "BASE-001", "mode": mode}})
    suite.set_image("base", steps)


def test_fake_vmm_region_end_to_end(suite) -> None:  # type: ignore[no-untyped-def]
    from conftest import by_test, load, run_cli

    _with_region(suite, "ok")
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--json", str(suite.root / "ok.json")))
    assert res.rc == 0, res.out + res.err
    for mode, said in (("reverse", "first differ at byte 0"), ("drop", "only 0 of 1000"), ("truncate", "only 500 of 1000"), ("extra", "1 extra byte")):
        _with_region(suite, mode)
        res = run_cli(*suite.run_args("--filter", "BASE.*", "--json", str(suite.root / f"{mode}.json")))
        assert res.rc == 3, (mode, res.out + res.err)
        rep = load(suite.root / f"{mode}.json")
        test = by_test(rep)["BASE.get_spec_version"]
        assert test["status"] == "fail" and said in test["message"], (mode, test["message"])
        assert by_test(rep)["BASE.probe_extension"]["status"] == "pass"
        assert "BASE-001" in res.out and "BASE-002 [fail]" not in res.out
