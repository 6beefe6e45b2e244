"""The pieces the JUnit and HTML reports are made of, on hand-made inputs:
each test's serial excerpt and time share (testlogs), the requirement text's
AsciiDoc inline markup (adoc_inline), the core's requirement citations
(code_refs)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from conftest import protos

from hcabi_conform.adoc_inline import render_inline
from hcabi_conform.code_refs import refs_for, scan
from hcabi_conform.testlogs import HEAD_LINES, TAIL_LINES, TestLogs, boot_seconds


def _boot(tmp: Path, lines: list[str], **extra: Any) -> dict[str, Any]:
    serial = tmp / "time.serial"
    serial.write_text("\n".join(lines) + "\n")
    digest = hashlib.sha256(serial.read_bytes()).hexdigest()
    boot = {"image": "time", "logs": {"serial": str(serial)}, "evidence": {"serial_sha256": digest}, "timing": {"total": 3.0}}
    boot.update(extra)
    return boot


LOG = [
    "PVH boot: banner",
    *protos(["hello image=time protocol=2 nonce=-", "discovery present=1 exts=TIME:1",
             "test-begin name=TIME.a reqs=TIME-001", "check result=pass req=TIME-001 msg=ok"]),
    "note: a text line the test printed",
    *protos(["test-end name=TIME.a verdict=pass msg=1 check passed", "test-begin name=TIME.b reqs=TIME-002",
             "check result=fail req=TIME-002 msg=went back", "test-end name=TIME.b verdict=fail msg=1 of 1 checks failed",
             "suite-end pass=1 fail=1 skip=0 error=0"], start=4),
]  # fmt: skip


def test_excerpt_is_the_tests_own_lines(tmp_path: Path) -> None:
    logs = TestLogs({"boots": [_boot(tmp_path, LOG)]})
    a = logs.excerpt("time", "TIME.a")
    assert a.begun and a.lines == [
        "@hcabi test-begin name=TIME.a reqs=TIME-001",
        "@hcabi check result=pass req=TIME-001 msg=ok",
        "note: a text line the test printed",
        "@hcabi test-end name=TIME.a verdict=pass msg=1 check passed",
    ]
    b = logs.excerpt("time", "TIME.b").lines
    assert b[0].startswith("@hcabi test-begin name=TIME.b") and b[-1].startswith("@hcabi test-end name=TIME.b") and len(b) == 3
    assert not any("~" in line or "#" in line for line in a.lines + b)  # MAC and CRC are not shown


def test_excerpt_of_a_test_that_never_began(tmp_path: Path) -> None:
    logs = TestLogs({"boots": [_boot(tmp_path, LOG)]})
    c = logs.excerpt("time", "TIME.c")
    assert not c.begun and "TIME.c did not begin in this boot" in c.note
    assert c.lines[-1].startswith("@hcabi suite-end")
    assert logs.test_seconds("time", "TIME.c", ["TIME.a", "TIME.b", "TIME.c"]) == (0.0, "did not begin in boot time")


def test_excerpt_refuses_a_changed_or_missing_log(tmp_path: Path) -> None:
    boot = _boot(tmp_path, LOG)
    Path(boot["logs"]["serial"]).write_text("\n".join(LOG[:3]) + "\n")
    changed = TestLogs({"boots": [boot]}).excerpt("time", "TIME.a")
    assert not changed.lines and "changed since the run" in changed.note
    Path(boot["logs"]["serial"]).unlink()
    assert "is not here" in TestLogs({"boots": [boot]}).excerpt("time", "TIME.a").note
    assert "was not booted" in TestLogs({"boots": []}).excerpt("time", "TIME.a").note


def test_long_excerpt_keeps_head_tail_and_failing_checks(tmp_path: Path) -> None:
    bodies = ["hello image=time protocol=2 nonce=-", "test-begin name=TIME.long reqs=TIME-001"]
    bodies += [f"check result=pass req=TIME-001 msg=round {i}" for i in range(300)]
    bodies[150] = "check result=fail req=TIME-001 msg=round 148 went back"
    bodies += ["test-end name=TIME.long verdict=fail msg=1 of 300 checks failed"]
    ex = TestLogs({"boots": [_boot(tmp_path, protos(bodies))]}).excerpt("time", "TIME.long")
    assert "@hcabi check result=fail req=TIME-001 msg=round 148 went back" in ex.lines
    assert ex.lines[0].startswith("@hcabi test-begin") and ex.lines[-1].startswith("@hcabi test-end")
    assert ex.omitted == 302 - HEAD_LINES - TAIL_LINES - 1
    assert len(ex.lines) == HEAD_LINES + TAIL_LINES + 3  # two markers and the failing check


def test_time_share_and_its_basis(tmp_path: Path) -> None:
    boot = _boot(tmp_path, LOG)
    logs = TestLogs({"boots": [boot]})
    share, basis = logs.test_seconds("time", "TIME.a", ["TIME.a", "TIME.b"])
    assert share == pytest.approx(1.5) and "1/2 of boot time (3.000 s, VMM start to exit)" in basis
    assert boot_seconds(dict(boot, duration_s=8.25)) == (8.25, "VMM start to exit")  # the boot's own time wins
    in_batch = {"duration_s": 6.5, "timing": {"batch": 0, "batch_wall": 40.0, "job": 6.0}}
    assert boot_seconds(in_batch) == (6.5, "its job's time in the nested VM")
    nested = {"duration": 40.0, "timing": {"batch": 0, "batch_wall": 40.0, "job": 6.5}}
    assert boot_seconds(nested) == (6.5, "its job's time in the nested VM")
    assert boot_seconds({"duration": 40.0, "timing": {"batch": 0, "batch_wall": 40.0}})[0] is None  # the batch's time is no boot's
    assert boot_seconds({"duration": 2.5, "timing": {}}) == (2.5, "VMM start to exit")


@pytest.mark.parametrize(
    "text, html",
    [
        ("MUST return `INVALID_PARAM` if `a < b`.", "MUST return <code>INVALID_PARAM</code> if <code>a &lt; b</code>."),
        ("a *strong* and _em_ word", "a <strong>strong</strong> and <em>em</em> word"),
        ("npages * 4096 and first + k * period; HCABI_VECTOR_MIN", "npages * 4096 and first + k * period; HCABI_VECTOR_MIN"),
        ("see https://example.org/a[the site].", 'see <a href="https://example.org/a">the site</a>.'),
        ("at https://example.org/b, then", 'at <a href="https://example.org/b">https://example.org/b</a>, then'),
        ("see <<TIME-001>> and <<TIME-002,the other>>", 'see <a href="S#TIME-001">TIME-001</a> and <a href="S#TIME-002">the other</a>'),
        ("link:javascript:alert(1)[click] <script>&amp;", "click &lt;script&gt;&amp;amp;"),
        ("``a`b`` ends at 2^64", "<code>a`b</code> ends at 2^64"),
        ('*`code` in "strong"*', "<strong><code>code</code> in &quot;strong&quot;</strong>"),
    ],
)
def test_requirement_text_rendered(text: str, html: str) -> None:
    assert render_inline(text, lambda rid: f"S#{rid}") == html


def test_requirement_text_of_the_registry_has_no_raw_markup() -> None:
    """Every requirement text of the real registry renders without a
    backtick left (the markup it uses is all understood)."""
    import json

    manifest = Path(__file__).resolve().parents[2] / "spec" / "generated" / "requirements.json"
    reqs = json.loads(manifest.read_text())["requirements"]
    texts = [r["text"] for r in reqs] + [p["text"] for r in reqs for p in r.get("parts", [])]
    assert texts and all("`" not in render_inline(t) for t in texts)


def test_code_citations_scanned(tmp_path: Path) -> None:
    core = tmp_path / "reference-impl" / "core"
    core.mkdir(parents=True)
    (core / "ext_time.c").write_text("int a; /* TIME-010 */\n/* the timer, TIME-021..024; TIME-030.2 */\nint XTIME-001x;\n")
    (core / "notes.h").write_text("/* TIME-099 */\n")
    vmm = tmp_path / "reference-impl" / "refvmm" / "src"
    (vmm / "arch" / "x86_64").mkdir(parents=True)
    (vmm / "arch" / "x86_64" / "exits.c").write_text("\n/* RIP past the instruction (X86-006.2) */\n")
    refs = scan(core, tmp_path, vmm)
    assert refs is not None and sorted(refs) == ["TIME-010", "TIME-021", "TIME-022", "TIME-023", "TIME-024", "TIME-030.2", "X86-006.2"]
    assert [(r.path, r.line) for r in refs["X86-006.2"]] == [("reference-impl/refvmm/src/arch/x86_64/exits.c", 2)]
    assert [(r.path, r.line) for r in refs["TIME-023"]] == [("reference-impl/core/ext_time.c", 2)]
    assert [r.line for r in refs_for(refs, "TIME-010.1", "TIME-010")] == [1]  # a part is implemented where its whole is cited
    assert scan(tmp_path / "nowhere", tmp_path) is None


def test_time_of_a_boot_where_no_test_began(tmp_path: Path) -> None:
    """HCABI absent: no test began, yet the boot took its time; every test
    of the image shares it, so the JUnit totals still count it."""
    boot = _boot(tmp_path, protos(["hello image=time protocol=2 nonce=-", "discovery present=0", "suite-end pass=0 fail=0 skip=0 error=0"]))
    share, basis = TestLogs({"boots": [boot]}).test_seconds("time", "TIME.a", ["TIME.a", "TIME.b", "TIME.c"])
    assert share == pytest.approx(1.0) and basis.startswith("1/3 of boot time")
