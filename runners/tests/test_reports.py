"""Report formats: JUnit structure (what Jenkins and GitLab read), merging
shard reports, a real PVH guest under plain QEMU. The HTML report's tests
are in test_html_report.py (on this file's mixed_report)."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import json

from conftest import KEY_MAGIC, Suite, by_test, load, one_line_error, passing_steps, proto, run_cli

from hcabi_conform.junit import render_junit
from integration_junit import validate_junit


@pytest.fixture
def mixed_report(suite: Suite) -> dict:  # type: ignore[type-arg]
    """A run with a pass, a fail (with markup in its message), a skip, an
    error and a crash."""
    exts = "BASE:1,TIME:1,SYSTEM:1"  # every boot advertises the same set: TLB is not provided
    steps = passing_steps("time", suite.tests, exts=exts)
    for i, step in enumerate(steps):
        if step.get("line", "").startswith("test-end name=TIME.monotonic"):
            steps[i] = {"line": "test-end name=TIME.monotonic verdict=fail msg=<script>alert(1)</script> & \"quotes\""}
    suite.set_image("time", steps)
    suite.set_image("tlb", [
        {"line": "hello image=tlb protocol=2 nonce={nonce}"},
        {"line": f"discovery present=1 spec={{spec}} impl=0x1 implver=0x10000 exts={exts}"},
        {"line": "test-begin name=TLB.flush reqs=TLB-001"},
        {"line": "test-end name=TLB.flush verdict=skip msg=not advertised"},
        {"line": "suite-end pass=0 fail=0 skip=1 error=0"},
        {"exit": 1},
    ])  # fmt: skip
    suite.set_image("x86", passing_steps("x86", suite.tests, exts=exts)[:4] + [{"exit": 6}])
    suite.set_image("system-reboot", passing_steps("system-reboot", suite.tests, exts=exts))
    suite.set_image("base", [{"line": "hello image=base protocol=2 nonce={nonce}"}, {"line": f"discovery present=1 spec={{spec}} impl=0x1 implver=0x10000 exts={exts}"},
                             {"line": "test-begin name=BASE.get_spec_version reqs=BASE-001"}, {"line": "test-end name=BASE.get_spec_version verdict=error msg=bad test"},
                             {"line": "test-begin name=BASE.probe_extension reqs=BASE-002"}, {"line": "test-end name=BASE.probe_extension verdict=pass msg="},
                             {"line": "suite-end pass=1 fail=0 skip=0 error=1"}, {"exit": 1}])  # fmt: skip
    path = suite.root / "r.json"
    res = run_cli(*suite.run_args("--profile", "core", "--json", str(path), "--junit", str(suite.root / "r.xml"), "--html", str(suite.root / "r.html"), "--spec-url", "https://example.org/spec.html"))
    assert res.rc == 4, res.out + res.err  # a test error makes the run an error
    return load(path)


def test_junit_structure(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    root = ET.parse(suite.root / "r.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["BASE", "SYSTEM", "TIME", "TLB", "X86"]
    total = 0
    for ts in suites:
        for attr in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname", "id", "package"):
            assert ts.get(attr) is not None, attr
        cases = ts.findall("testcase")
        assert int(ts.get("tests")) == len(cases)
        assert int(ts.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(ts.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        assert int(ts.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
        # schema order: properties, testcase*, system-out, system-err
        assert [c.tag for c in ts][0] == "properties" and [c.tag for c in ts][-2:] == ["system-out", "system-err"]
        for case in cases:
            assert case.get("classname") == f"hcabi.{ts.get('name')}" and case.get("name")
            outcome = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
            assert len(outcome) <= 1
        total += len(cases)
    assert int(root.get("tests")) == total == len(mixed_report["results"])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["TIME.monotonic"].find("failure").get("type") == "fail"
    assert "<script>" in cases["TIME.monotonic"].find("failure").get("message")
    assert cases["X86.vmcall"].find("failure").get("type") == "crash"
    assert cases["BASE.get_spec_version"].find("error") is not None
    assert cases["TLB.flush"].find("skipped") is not None
    reqs = [p.get("value") for p in cases["TIME.monotonic"].find("properties") if p.get("name") == "requirement"]
    assert reqs == ["TIME-001", "TIME-002"]


def test_junit_valid_with_excerpts_times_and_checks(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    """Well-formed, counts right (validate_junit, the check CTest runs on real
    runs), each testcase's own serial lines, its share of its boot's time,
    and a failure that names its failing checks with their requirements."""
    text = (suite.root / "r.xml").read_text()
    problems, _cases = validate_junit(text)
    assert not problems, problems
    root = ET.fromstring(text.split("\n", 1)[1])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    out = cases["TIME.monotonic"].find("system-out").text
    assert "@hcabi test-begin name=TIME.monotonic " in out and "@hcabi test-end name=TIME.monotonic verdict=fail" in out
    assert "TIME.timer_vector" not in out and "discovery" not in out  # its own lines, not the boot's whole log
    assert "@hcabi test-begin name=X86.vmcall" in cases["X86.vmcall"].find("system-out").text  # a crash keeps what it printed
    time_boot = next(b for b in mixed_report["boots"] if b["image"] == "time")
    share = time_boot["timing"]["total"] / 2  # two tests began in that boot
    for name in ("TIME.monotonic", "TIME.timer_vector"):
        assert float(cases[name].get("time")) == pytest.approx(share, abs=0.001)
        basis = [p.get("value") for p in cases[name].find("properties") if p.get("name") == "time_basis"]
        assert basis and basis[0].startswith("1/2 of boot time (")
    for ts in root.findall("testsuite"):
        assert float(ts.get("time")) == pytest.approx(sum(float(c.get("time")) for c in ts.findall("testcase")), abs=0.002)
    assert float(root.get("time")) == pytest.approx(sum(float(ts.get("time")) for ts in root.findall("testsuite")), abs=0.005)
    time_suite = next(ts for ts in root.findall("testsuite") if ts.get("name") == "TIME")
    assert f"boot time: {time_boot['timing']['total']:.3f} s (VMM start to exit)" in time_suite.find("system-out").text
    # the boot's own wall time, when the report has one, is the one shared out
    for boot in mixed_report["boots"]:
        boot["duration_s"] = 9.0
    again = ET.fromstring(render_junit(mixed_report).split("\n", 1)[1])
    assert {c.get("name"): c.get("time") for c in again.iter("testcase")}["TIME.timer_vector"] == "4.500"
    # a failing check names its requirement in the failure
    res = next(r for r in mixed_report["results"] if r["test"] == "TIME.monotonic")
    res["failed_checks"] = [{"req": "TIME-002", "msg": "went back by 5 ns"}]
    failure = ET.fromstring(render_junit(mixed_report).split("\n", 1)[1]).find(".//testcase[@name='TIME.monotonic']/failure")
    assert "failing checks:\n  [TIME-002] went back by 5 ns\nrequirements: TIME-001, TIME-002" in failure.text


def test_junit_survives_control_characters(mixed_report: dict) -> None:  # type: ignore[type-arg]
    mixed_report["results"][0]["message"] = "bell\x07 nul\x00 esc\x1b done"
    ET.fromstring(render_junit(mixed_report).split("\n", 1)[1])


def _pvh_guest(tmp: Path, lines: list[str], key: bytes) -> Path:
    """A real 32-bit PVH ELF that prints its command line (from the PVH start
    info), then fixed protocol lines (signed with `key` and no nonce: it
    cannot compute MACs), on COM1 and leaves through isa-debug-exit: enough
    to drive the qemu target for real. It carries `key` like an image."""
    msg = b"".join(proto(line, seq, key, "").encode() + b"\n" for seq, line in enumerate(lines))
    asm = f"""
.code32
.section .text
.globl _start
_start:
  mov $pre, %esi
  call puts
  mov 24(%ebx), %esi  /* start_info.cmdline_paddr */
  call puts
  mov $msg, %esi
  call puts
  mov $0xf4, %dx
  xor %eax, %eax
  out %eax, %dx
3: cli
  hlt
  jmp 3b
puts:
  mov $0x3f8, %dx
1: lodsb
  test %al, %al
  jz 2f
  out %al, %dx
  jmp 1b
2: ret
.section .data
pre: .asciz "cmdline="
msg: .byte 10,{",".join(str(b) for b in msg)},0
key: .byte {",".join(str(b) for b in KEY_MAGIC + key)}
.section .note.Xen, "a"
  .align 4
  .long 4, 4, 18
  .asciz "Xen"
  .long _start
"""
    (tmp / "g.S").write_text(asm)
    subprocess.run(["as", "--32", str(tmp / "g.S"), "-o", str(tmp / "g.o")], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x100000", str(tmp / "g.o"), "-o", str(tmp / "g.elf")], check=True)
    return tmp / "g.elf"


@pytest.mark.skipif(not (shutil.which("qemu-system-x86_64") and shutil.which("as") and shutil.which("ld")), reason="needs QEMU and binutils")
def test_qemu_target_real_guest_without_hcabi(suite: Suite, tmp_path: Path) -> None:
    """A fixed log cannot pass as evidence: the guest below prints lines it
    could not have bound to the boot (no nonce). QEMU hands it the nonce on
    its command line (-append) all the same."""
    elf = _pvh_guest(tmp_path, [
        "hello image=x86 protocol=2 nonce=-",
        "discovery present=0 base=0x40000000 signature=TCGTCGTCGTCG",
        "test-begin name=X86.vmcall reqs=X86-001",
        "test-end name=X86.vmcall verdict=skip msg=HCABI not present",
        "suite-end pass=0 fail=0 skip=1 error=0",
    ], suite.key)  # fmt: skip
    shutil.copy(elf, suite.images_dir / "hcabi-conf-x86.elf")
    res = run_cli("run", "--target", "qemu", "--qemu-accel", "tcg", "--filter", "X86.*", "--timeout", "60", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "q.json"))
    assert res.rc == 3, res.out + res.err
    rep = load(suite.root / "q.json")
    boot = rep["boots"][0]
    assert f"cmdline=hcabi.nonce={boot['evidence']['nonce']}\n" in (suite.out / "x86.serial").read_text(errors="replace")
    assert boot["ending"]["kind"] == "exit" and boot["ending"]["code"] == 0
    assert boot["evidence"]["verified"] is False and boot["discovery"] is None
    x86 = by_test(rep)["X86.vmcall"]
    assert x86["status"] == "fail" and "the image was given no nonce (hello says nonce=-)" in x86["message"]


# -- merge -----------------------------------------------------------------------------


@pytest.fixture
def shards(suite: Suite) -> list:  # type: ignore[type-arg]
    paths = []
    for i in (1, 2, 3):
        path = suite.root / f"shard{i}.json"
        assert run_cli(*suite.run_args("--shard", f"{i}/3", "--json", str(path))).rc == 0
        paths.append(path)
    return paths


def merge(suite: Suite, *args: object) -> object:
    return run_cli("merge", *map(str, args), "--manifest", str(suite.manifest))


def test_merge_refuses_incomplete_set_unless_allowed(suite: Suite, shards: list) -> None:  # type: ignore[type-arg]
    out = suite.root / "m.json"
    res = merge(suite, shards[0], shards[2], "--json", out)
    assert res.rc == 4 and "incomplete shard set: shard(s) 2/3 missing" in one_line_error(res)  # type: ignore[attr-defined]
    assert not out.exists()
    res = merge(suite, shards[0], shards[2], "--allow-partial", "--json", out)
    assert res.rc == 0 and "[partial run]" in res.out  # type: ignore[attr-defined]  # judged for what ran, and marked
    rep = load(out)
    assert rep["selection"]["partial"] is True
    gate = run_cli("gate", "--report", str(out), "--require", "1.1", *suite.common())
    assert gate.rc == 3 and "the report is partial" in gate.out


def test_merge_refuses_mislabelled_sets(suite: Suite, shards: list) -> None:  # type: ignore[type-arg]
    out = suite.root / "m.json"
    wrong_n = suite.root / "wrong-n.json"
    data = load(shards[1])
    data["selection"]["shards"] = [[2, 4]]
    wrong_n.write_text(json.dumps(data))
    res = merge(suite, shards[0], wrong_n, shards[2], "--json", out)
    assert res.rc == 4 and "the shards are of different splits" in one_line_error(res)  # type: ignore[attr-defined]
    dup_image = suite.root / "dup.json"
    data = load(shards[1])
    data["selection"]["images"].append("base")
    dup_image.write_text(json.dumps(data))
    res = merge(suite, shards[0], dup_image, shards[2], "--json", out)
    assert res.rc == 4 and "image(s) base appear in more than one report" in one_line_error(res)  # type: ignore[attr-defined]
    nonce = suite.root / "nonce.json"
    data = load(shards[1])
    for boot in data["boots"]:  # the other way round from the other shards, whichever they have
        boot["evidence"] = {} if boot.get("evidence", {}).get("nonce") else {"nonce": "ab" * 16}
    nonce.write_text(json.dumps(data))
    res = merge(suite, shards[0], nonce, shards[2], "--json", out)
    assert res.rc == 4 and "the shards bind their logs differently (nonce scheme" in one_line_error(res)  # type: ignore[attr-defined]


def test_merge_keeps_every_target_info(suite: Suite, shards: list) -> None:  # type: ignore[type-arg]
    """Fault-injection arguments of one shard must not vanish in the merge."""
    data = load(shards[2])
    data["target_info"]["vmm_args"] = ["--inject-fault=TIME.GET_WALLCLOCK:value:1"]
    shards[2].write_text(json.dumps(data))
    out = suite.root / "m.json"
    assert merge(suite, *shards, "--json", out).rc == 0  # type: ignore[attr-defined]
    info = load(out)["target_info"]
    assert "vmm_args" not in {k for k in info if k != "per_shard"}
    assert [s["target_info"].get("vmm_args") for s in info["per_shard"]] == [None, None, ["--inject-fault=TIME.GET_WALLCLOCK:value:1"]]
    assert info["name"] == "cmd"


@pytest.mark.parametrize("option", ["--json", "--junit", "--html"])
def test_merge_never_writes_over_an_input(suite: Suite, shards: list, option: str) -> None:  # type: ignore[type-arg]
    before = shards[0].read_bytes()
    extra = [] if option == "--json" else ["--json", suite.root / "m.json"]
    res = merge(suite, *shards, *extra, option, shards[0])
    assert res.rc == 2 and "is one of the reports being merged" in one_line_error(res)  # type: ignore[attr-defined]
    assert shards[0].read_bytes() == before


def test_provenance_recorded(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    """Runner version, suite version, source commit (null outside git), the
    manifests' hashes: enough to trace a report to the code that made it."""
    prov = mixed_report["provenance"]
    assert prov["runner_version"] == mixed_report["generator"]["version"]
    assert prov["tests_manifest_sha256"] == mixed_report["tests_manifest"]["sha256"]
    assert prov["requirements_manifest_sha256"] == mixed_report["manifest"]["sha256"]
    assert prov["source_commit"] is None or len(prov["source_commit"]) in (40, 64)
    assert f"source commit {prov['source_commit'] or 'unknown'}" in (suite.root / "r.html").read_text()


def test_source_commit_without_git(tmp_path: Path) -> None:
    from hcabi_conform import provenance

    assert provenance.source_commit(tmp_path) is None
    (tmp_path / ".git").mkdir()
    assert provenance.source_commit(tmp_path) is None  # not a repository: git fails, no exception
    assert provenance.suite_version(tmp_path) is None
