"""Report formats: JUnit structure (what Jenkins and GitLab read), HTML
self-containment and escaping, a real PVH guest under plain QEMU."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import KEY_MAGIC, Suite, by_test, load, passing_steps, proto, run_cli

from hcabi_conform.html_report import render_html
from hcabi_conform.junit import render_junit


@pytest.fixture
def mixed_report(suite: Suite) -> dict:  # type: ignore[type-arg]
    """A run with a pass, a fail (with markup in its message), a skip, an
    error and a crash."""
    steps = passing_steps("time", suite.tests)
    for i, step in enumerate(steps):
        if step.get("line", "").startswith("test-end name=TIME.monotonic"):
            steps[i] = {"line": "test-end name=TIME.monotonic verdict=fail msg=<script>alert(1)</script> & \"quotes\""}
    suite.set_image("time", steps)
    exts = "BASE:1,TIME:1,SYSTEM:1"
    suite.set_image("tlb", [
        {"line": "hello image=tlb protocol=2 nonce={nonce}"},
        {"line": f"discovery present=1 spec={{spec}} impl=0x1 implver=0x10000 exts={exts}"},
        {"line": "test-begin name=TLB.flush reqs=TLB-001"},
        {"line": "test-end name=TLB.flush verdict=skip msg=not advertised"},
        {"line": "suite-end pass=0 fail=0 skip=1 error=0"},
        {"exit": 1},
    ])  # fmt: skip
    suite.set_image("x86", passing_steps("x86", suite.tests)[:4] + [{"exit": 6}])
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
            outcome = [c.tag for c in case if c.tag != "properties"]
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


def test_junit_survives_control_characters(mixed_report: dict) -> None:  # type: ignore[type-arg]
    mixed_report["results"][0]["message"] = "bell\x07 nul\x00 esc\x1b done"
    ET.fromstring(render_junit(mixed_report).split("\n", 1)[1])


def test_html_self_contained_and_escaped(mixed_report: dict, suite: Suite) -> None:  # type: ignore[type-arg]
    page = (suite.root / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page  # the guest's markup is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for needle in ('src="http', "href=\"http://", "<link", "@import", "url("):
        assert needle not in page
    assert 'href="https://example.org/spec.html#TIME-002"' in page
    assert "GET_MONOTONIC MUST count nanoseconds." in page
    assert "return the version &lt;exposed&gt;." in page  # manifest text escaped too
    assert "non-conformant" in page or "error" in page


def test_html_default_spec_link(mixed_report: dict) -> None:  # type: ignore[type-arg]
    assert 'href="../spec/hcabi-spec.html#BASE-001"' in render_html(mixed_report)


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
