"""Tests of the spec's rendering: the documents per version, the change marks, the
register table's field rows, requirement parts, tested-by lists and citations.

The model tests load the real registry and render views of it in memory; where a test
needs something the registry does not have (parts, a fourth version, a changed text),
it changes a private copy. The end-to-end tests run scripts/hcabi_specbuild.py with
asciidoctor into tmp_path, as the spec build does.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import hcabi_gen_adoc as gadoc  # noqa: E402
import hcabi_gen_history as ghist  # noqa: E402
import hcabi_registry as hr  # noqa: E402
import hcabi_specbuild as sb  # noqa: E402
import hcabi_speccheck as sc  # noqa: E402
from hcabi_spec_view import PARTS_FROM, View  # noqa: E402
from hcabi_spec_view import TestRef as Ref  # noqa: E402  (a name pytest would try to collect)
from hcabi_status_check import status_mentions  # noqa: E402

BUILD = REPO / "scripts" / "hcabi_specbuild.py"
ASCIIDOCTOR = shutil.which("asciidoctor")


@pytest.fixture(scope="module")
def reg() -> hr.Registry:
    return hr.load(hr.DEFAULT_REGISTRY)


def ext(reg: hr.Registry, name: str) -> hr.Extension:
    return next(e for e in reg.extensions if e.name == name)


def req(reg: hr.Registry, rid: str) -> hr.Requirement:
    return next(r for r in reg.requirements if r.id == rid)


def with_parts(reg: hr.Registry) -> hr.Registry:
    """A copy whose IPI-001 has two parts, the second citing the first."""
    reg = copy.deepcopy(reg)
    req(reg, "IPI-001").parts = [  # type: ignore[attr-defined]
        {"id": "IPI-001.1", "text": "SEND MUST return `INVALID_PARAM` if the vector is below 32."},
        {"id": "IPI-001.2", "text": "SEND MUST return `INVALID_PARAM` for a bad mask; see IPI-001.1."}]
    return reg


# ---------------------------------------------------------------------------
# which documents exist

def test_documents_come_from_the_registry_versions(reg: hr.Registry) -> None:
    more = copy.deepcopy(reg)
    more.versions.append({"version": "9.9", "date": "2030-01-01", "summary": "s", "changes": ["c"]})
    names = [n for n, _, _ in sb.documents(more)]
    newest = reg.newest_version
    assert names[-1] == f"hcabi-spec-{newest}-to-9.9"
    assert "hcabi-spec-9.9" in names and "hcabi-spec-1.0" in names and "hcabi-spec-1.0-to-1.1" in names
    assert len(names) == 2 * len(more.versions) - 1


# ---------------------------------------------------------------------------
# a document shows its version

def test_a_version_shows_only_what_it_has(reg: hr.Registry) -> None:
    old, new = View(reg, "1.0"), View(reg, "1.1")
    assert "TIME.SET_PERIODIC" not in [fn.qualname for fn in old.functions()]
    assert "TIME.SET_PERIODIC" in [fn.qualname for fn in new.functions()]
    assert "IPI-004" not in old.atomic_ids() and "IPI-004" in new.atomic_ids()
    time10 = gadoc.gen_extension_adoc(old, ext(reg, "TIME"))
    assert "SET_PERIODIC" not in time10 and "TIMER_MIN_PERIOD" not in time10
    assert "\n|2 |1.1" not in time10 and "\n|1 |1.0" in time10  # extension versions
    assert "SET_PERIODIC" in gadoc.gen_extension_adoc(new, ext(reg, "TIME"))


def test_argument_bit_fields_are_rows_with_the_reserved_runs(reg: hr.Registry) -> None:
    ipi10 = gadoc.gen_extension_adoc(View(reg, "1.0"), ext(reg, "IPI"))
    ipi11 = gadoc.gen_extension_adoc(View(reg, "1.1"), ext(reg, "IPI"))
    assert "\n|RDX[7:0] |`vector` |" in ipi10 and "\n|RDX[63:8] |reserved |" in ipi10
    assert "all_but_self" not in ipi10.split(".Requirements")[0]
    assert "\n|RDX[8] |`all_but_self` |" in ipi11 and "\n|RDX[63:9] |reserved |" in ipi11


def test_reserved_ranges() -> None:
    f = hr.ArgField
    assert gadoc.reserved_ranges([f("a", 7, 0, "1.0", ""), f("b", 8, 8, "1.1", "")]) == [(63, 9)]
    assert gadoc.reserved_ranges([f("a", 3, 0, "1.0", ""), f("b", 10, 8, "1.0", "")]) == [(63, 11), (7, 4)]
    assert gadoc.reserved_ranges([f("a", 63, 0, "1.0", "")]) == []


def test_no_repeated_rdx_boilerplate(reg: hr.Registry) -> None:
    view = View(reg, reg.newest_version)
    text = "".join(gadoc.gen_extension_adoc(view, e) for e in reg.extensions)
    assert "Otherwise 0" not in text and "On an error, 0" not in text
    assert text.count("|RDX (out) |value |0: the function returns no value.") >= 5


def test_requirement_ids_link_to_themselves_and_citations_link(reg: hr.Registry) -> None:
    view = View(reg, "1.0")
    block = gadoc.req_block(view, req(reg, "IPI-001"))
    assert block.startswith("[[IPI-001,IPI-001]]") and "*<<IPI-001,IPI-001>>*" in block
    linked = view.link_ids("see GEN-002, `GEN-003` and IPI-004.")
    assert linked == "see <<GEN-002,GEN-002>>, `GEN-003` and IPI-004."  # IPI-004 is not in 1.0: no dangling link


def test_half_open_ranges_are_escaped_but_closed_brackets_are_not(reg: hr.Registry) -> None:
    view = View(reg, "1.0")
    assert view.link_ids("`[gpa, gpa + n)` and RAX[63:32]") == "`{startsb}gpa, gpa + n)` and RAX[63:32]"
    assert view.link_ids("[a, [b]") == "{startsb}a, [b]"


# ---------------------------------------------------------------------------
# parts

def test_parts_are_shown_from_their_version_and_the_text_before(reg: hr.Registry) -> None:
    parted = with_parts(reg)
    if PARTS_FROM not in parted.version_names():
        pytest.skip(f"the registry has no version {PARTS_FROM}")
    before, after = View(parted, "1.1"), View(parted, PARTS_FROM)
    r = req(parted, "IPI-001")
    old = gadoc.req_block(before, r)
    assert r.text in old and "[[IPI-001.1" not in old
    assert before.link_ids("IPI-001.2") == "<<IPI-001,IPI-001.2>>"  # a part cited before: its parent
    new = gadoc.req_block(after, r)
    assert r.text not in new
    assert "[[IPI-001.1,IPI-001.1]]" in new and "[[IPI-001.2,IPI-001.2]]" in new
    assert "see <<IPI-001.1,IPI-001.1>>." in new
    assert after.atomic_ids().count("IPI-001.1") == 1 and "IPI-001" not in after.atomic_ids()


def test_change_marked_split_strikes_the_old_text(reg: hr.Registry) -> None:
    parted = with_parts(reg)
    if PARTS_FROM not in parted.version_names():
        pytest.skip(f"the registry has no version {PARTS_FROM}")
    prev = parted.version_names()[parted.version_names().index(PARTS_FROM) - 1]
    block = gadoc.req_block(View(parted, PARTS_FROM, prev=prev), req(parted, "IPI-001"))
    assert f"[.hcabi-removed]##{req(parted, 'IPI-001').text}##" in block
    assert block.count("[.requirement.hcabi-part.hcabi-added]") == 2  # both parts, as inserted


def test_attributes_say_what_the_prose_may_depend_on(reg: hr.Registry) -> None:
    parted = with_parts(reg)
    if PARTS_FROM not in parted.version_names():
        pytest.skip(f"the registry has no version {PARTS_FROM}")
    prev = parted.version_names()[parted.version_names().index(PARTS_FROM) - 1]
    old = ghist.gen_attributes(View(parted, prev), {prev})
    assert ":hcabi-status: Released" in old and ":hcabi-parts:" not in old
    assert f":hcabi-since-{prev.replace('.', '-')}:" in old
    assert f":hcabi-since-{PARTS_FROM.replace('.', '-')}:" not in old
    new = ghist.gen_attributes(View(parted, PARTS_FROM, prev=prev), {prev})
    assert ":hcabi-status: Draft" in new and "\n:hcabi-parts:\n" in new
    assert f":hcabi-diff-from: {prev}" in new and ":hcabi-parts-new:" in new
    bare = copy.deepcopy(reg)
    for r in bare.requirements:
        r.parts = []  # type: ignore[attr-defined]
    assert ":hcabi-parts" not in ghist.gen_attributes(View(bare, PARTS_FROM), set())  # no parts, no split


def test_changes_appendix_lists_rewordings_and_splits(reg: hr.Registry) -> None:
    parted = with_parts(reg)
    if PARTS_FROM not in parted.version_names():
        pytest.skip(f"the registry has no version {PARTS_FROM}")
    entry = next(v for v in parted.versions if v["version"] == PARTS_FROM)
    entry["editorial"] = ["IPI.SEND.arg.vector.field.all_but_self", "IPI-002"]
    text = ghist.gen_changes_since(parted)
    section = text[text.index(f"=== HCABI {PARTS_FROM} "):]
    section = section[:section.index("|===\n", section.index("|===") + 4)]
    parts_row = next(line for line in section.splitlines() if line.startswith("|Requirements stated as parts |"))
    assert "<<IPI-001,IPI-001>> (2 parts)" in parts_row
    assert ("|Texts reworded, meaning unchanged |<<fn-ipi-send,IPI.SEND>>: argument vector field "
            "all_but_self; <<IPI-002,IPI-002>> (text)") in section


# ---------------------------------------------------------------------------
# change marks

def test_change_marks_mark_what_the_newer_version_adds(reg: hr.Registry) -> None:
    diff = View(reg, "1.1", prev="1.0")
    time = gadoc.gen_extension_adoc(diff, ext(reg, "TIME"))
    section = time[time.index("[[fn-time-set-periodic]]"):]
    assert section.startswith("[[fn-time-set-periodic]]\n[.hcabi-added]\n=== TIME.SET_PERIODIC")
    assert "##RDI (in)##" not in section  # inside a new section, rows are not marked again
    ipi = gadoc.gen_extension_adoc(diff, ext(reg, "IPI"))
    assert "|[.hcabi-added]##RDX[8]## |[.hcabi-added]##`all_but_self`##" in ipi
    assert "[.hcabi-removed]##RDX[63:8]## [.hcabi-added]##RDX[63:9]##" in ipi
    assert "[[IPI-004,IPI-004]]\n[.requirement.hcabi-added]" in ipi
    assert "[[IPI-001,IPI-001]]\n[.requirement]\n" in ipi
    plain = gadoc.gen_extension_adoc(View(reg, "1.1"), ext(reg, "IPI"))
    assert "hcabi-added" not in plain and "hcabi-removed" not in plain


def test_a_changed_released_text_is_struck_then_inserted(reg: hr.Registry) -> None:
    old = copy.deepcopy(reg)
    send = next(fn for fn in ext(old, "IPI").functions if fn.name == "SEND")
    next(s for s in send.statuses if s.name == "INVALID_PARAM").when = "Old wording."
    ipi = gadoc.gen_extension_adoc(View(reg, "1.1", prev="1.0", old=old), ext(reg, "IPI"))
    row = next(line for line in ipi.splitlines() if line.startswith("|`INVALID_PARAM`"))
    assert row.startswith("|`INVALID_PARAM` |-3 |[.hcabi-removed]##Old wording.## [.hcabi-added]##")


# ---------------------------------------------------------------------------
# tested by

def test_tested_by_lists_the_tests_of_the_version(reg: hr.Registry) -> None:
    tests = {"IPI-001": [Ref("IPI.a", "1.0"), Ref("IPI.b", "1.1")], "IPI-002": []}
    r = req(reg, "IPI-001")
    b10 = gadoc.req_block(View(reg, "1.0", tested_by=tests), r)
    b11 = gadoc.req_block(View(reg, "1.1", tested_by=tests), r)
    assert "Tested by: `IPI.a`.##" in b10 and "IPI.b" not in b10
    assert "Tested by: `IPI.a`, `IPI.b`.##" in b11
    assert "no test cites it" in gadoc.req_block(View(reg, "1.0", tested_by=tests), req(reg, "IPI-002"))
    assert "Tested by" not in gadoc.req_block(View(reg, "1.0"), r)


def test_tested_by_of_a_whole_requirement_includes_its_parts(reg: hr.Registry) -> None:
    parted = with_parts(reg)
    tests = {"IPI-001.1": [Ref("IPI.part_one", "1.0")]}
    assert "`IPI.part_one`" in gadoc.req_block(View(parted, "1.0", tested_by=tests), req(parted, "IPI-001"))


def test_tested_by_reads_the_suite(reg: hr.Registry) -> None:
    found = sb.tested_by(reg, REPO)
    # IPI-001 or its parts, whichever the tests cite
    assert "IPI.send_bad_vector" in [t.name for rid, refs in found.items() if rid.split(".")[0] == "IPI-001"
                                     for t in refs]
    assert all(t.since in reg.version_names() for refs in found.values() for t in refs)


# ---------------------------------------------------------------------------
# the status-table check

def test_status_check_finds_a_missing_status_and_a_missing_case(reg: hr.Registry) -> None:
    assert status_mentions(reg) == []
    bad = copy.deepcopy(reg)
    send = next(fn for fn in ext(bad, "IPI").functions if fn.name == "SEND")
    next(s for s in send.statuses if s.name == "INVALID_PARAM").when = "The vector is below 32."
    send.requirements[0].text += " SEND MUST return `DENIED` when it likes."
    found = status_mentions(bad)
    assert any("IPI-001 of IPI.SEND names `DENIED`" in line for line in found)
    assert any("IPI-004 of IPI.SEND says when `INVALID_PARAM` is returned with `all_but_self`" in line
               for line in found)


def test_status_check_skips_a_status_that_is_not_returned(reg: hr.Registry) -> None:
    batch = next(fn for fn in ext(reg, "BATCH").functions if fn.name == "EXECUTE")
    assert "DENIED" not in [s.name for s in batch.statuses]
    assert any("status `DENIED`" in r.text for r in batch.requirements)  # an entry's status
    assert not [line for line in status_mentions(reg) if "BATCH" in line]
    entry = copy.deepcopy(reg)
    fn = next(fn for fn in ext(entry, "BATCH").functions if fn.name == "EXECUTE")
    fn.requirements[0].text += " An entry MUST get `DENIED` then; EXECUTE MUST return `DENIED` too."
    assert [line.split(": ", 1)[1] for line in status_mentions(entry)] == [
        f"requirement {fn.requirements[0].id} of BATCH.EXECUTE names `DENIED`, which the function's status "
        "table does not list: add a [[function.status]] row saying when"]


# ---------------------------------------------------------------------------
# the built documents

def run_build(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BUILD), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600, cwd=REPO)


@pytest.mark.skipif(ASCIIDOCTOR is None, reason="asciidoctor is not installed")
def test_build_writes_one_document_per_version_and_per_pair(tmp_path: Path, reg: hr.Registry) -> None:
    r = run_build(tmp_path)
    assert r.returncode == 0, r.stderr
    names = reg.version_names()
    for v in names:
        html = (tmp_path / f"hcabi-spec-{v}.html").read_text()
        assert ('id="fn-time-set-periodic"' in html) == (v != "1.0")
        assert "Tested by: <code>" in html and "©" not in html and "CC-BY-4.0" in html
        # a half-open range before an inline role stays text (not the role's attribute list)
        assert "<code>[gva, gva + npages * 4096)</code>" in html and 'class="gva"' not in html
        released = (REPO / "spec" / "registry" / "releases" / v).is_dir()
        assert re.search(r'id="revremark">' + ("Released" if released else "Draft"), html)
        assert "hcabi-added" not in html.split("<body", 1)[1].replace('class="hcabi-diff-note', "")
    for p, v in zip(names, names[1:]):
        diff = (tmp_path / f"hcabi-spec-{p}-to-{v}.html").read_text()
        assert 'class="sidebarblock hcabi-diff-note"' in diff and 'class="hcabi-added"' in diff
    assert (tmp_path / "hcabi-spec.html").read_text() == (tmp_path / f"hcabi-spec-{names[-1]}.html").read_text()
    assert "Finding the HCABI base, in C" in (tmp_path / "hcabi-spec.html").read_text()


@pytest.mark.skipif(ASCIIDOCTOR is None, reason="asciidoctor is not installed")
def test_build_fails_in_one_line_when_asciidoctor_fails(tmp_path: Path, reg: hr.Registry) -> None:
    r = run_build(tmp_path, "--asciidoctor", "false", "--no-tests")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == \
        f"hcabi_specbuild: hcabi-spec-{reg.version_names()[0]}.html: false failed (exit 1, messages above)"
    assert not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize("args, line", [
    (["--root", "/nonexistent"], "hcabi_specbuild: error: --root /nonexistent: no spec/hcabi-spec.adoc there (see --help)"),
    (["--out", "FILE"], "hcabi_specbuild: error: --out FILE: not a folder (see --help)"),
])
def test_build_usage_errors_are_one_line_exit_2(tmp_path: Path, args: list[str], line: str) -> None:
    (tmp_path / "f").write_text("")
    args = [a.replace("FILE", str(tmp_path / "f")) for a in args]
    r = subprocess.run([sys.executable, str(BUILD), "--out", str(tmp_path / "out"), *args],
                       capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (2, line.replace("FILE", str(tmp_path / "f")) + "\n")


def test_a_citation_of_a_newer_requirement_gets_a_hint(reg: hr.Registry) -> None:
    msgs = "asciidoctor: INFO: possible invalid reference: IPI-004\nasciidoctor: INFO: possible invalid reference: x\n"
    assert sb.newer_citations(msgs, reg, "1.0") == [
        "hcabi_specbuild: IPI-004 is a requirement of 1.1, which the 1.0 document does not have: put the "
        "prose that cites it between ifdef::hcabi-since-1-1[] and endif::[]"]
    assert sb.newer_citations(msgs, reg, "1.1") == []


def test_html_check_wants_the_parts_from_their_version(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('{"versions": [{"version": "1.1"}, {"version": "%s"}], "extensions": [], '
                        '"requirements": [{"id": "A-001", "parts": [{"id": "A-001.1", "text": "t"}]}]}'
                        % PARTS_FROM)
    html = tmp_path / "d.html"
    html.write_text('<p id="A-001">x</p>')
    assert sc.check_html(html, manifest) == [f'{html}: no element with id="A-001.1"']
    assert sc.check_html(html, manifest, "1.1") == []
