"""Bundles: a report packed with its serial logs; `gate --bundle` re-parses
the logs and must find the report's results. Accepted as made; rejected after
editing a result, a log or the report, even when the attacker recomputes
MANIFEST.json; unsafe archives are refused without writing outside the
unpack directory."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import Suite, load, one_line_error, passing_steps, run_cli

from hcabi_conform.bundle import MANIFEST_NAME, _write_tar
from hcabi_conform.manifests import load_requirements
from hcabi_conform.report import count_statuses, load_report
from hcabi_conform.verdict import evaluate


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A passing run and its bundle; a run in which TLB.flush fails."""
    suite = Suite(tmp_path_factory.mktemp("bundle")).write()
    report = suite.root / "good.json"
    assert run_cli(*suite.run_args("--json", str(report))).rc == 0
    junit = suite.root / "good.xml"
    junit.write_text("<testsuites/>\n")
    bundle = suite.root / "good.tar.gz"
    res = run_cli("bundle", "--report", str(report), "--out", str(bundle), "--junit", str(junit), "--build-dir", str(suite.build))
    assert res.rc == 0, res.err
    return {"suite": suite, "report": report, "bundle": bundle, "junit": junit}


def gate_bundle(suite: Suite, bundle: Path, *extra: str) -> Any:
    return run_cli("gate", "--bundle", str(bundle), "--require", "1.1", *suite.common(), *extra)


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def rewrite(src: Path, dst: Path, edit: Callable[[dict[str, bytes]], None], fix_manifest: bool = True) -> Path:
    """Edit a bundle's members; with fix_manifest, recompute MANIFEST.json's
    sha256s as an attacker would."""
    files = members(src)
    edit(files)
    if fix_manifest:
        manifest = json.loads(files[MANIFEST_NAME])
        manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in files.items() if n != MANIFEST_NAME}
        files[MANIFEST_NAME] = json.dumps(manifest).encode()
    _write_tar(dst, files)
    return dst


def edit_report(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        data = json.loads(files["report.json"])
        change(data)
        files["report.json"] = json.dumps(data).encode()

    return edit


def test_bundle_accepted_and_deterministic(made: dict[str, Any], tmp_path: Path) -> None:
    suite = made["suite"]
    res = gate_bundle(suite, made["bundle"])
    assert res.rc == 0, res.out + res.err
    assert "ACCEPTED:" in res.out and "consistency only" not in res.out
    files = members(made["bundle"])
    assert list(files)[0] == MANIFEST_NAME
    assert {"report.json", "report.xml", "logs/tlb.serial", "logs/tlb.stderr"} <= set(files)
    manifest = json.loads(files[MANIFEST_NAME])
    assert manifest["members"]["logs/tlb.serial"]["sha256"] == hashlib.sha256(files["logs/tlb.serial"]).hexdigest()
    assert manifest["images"]["tlb"] == hashlib.sha256((suite.images_dir / "hcabi-conf-tlb.elf").read_bytes()).hexdigest()
    again = tmp_path / "again.tar.gz"
    assert run_cli("bundle", "--report", str(made["report"]), "--out", str(again), "--junit", str(made["junit"]), "--build-dir", str(suite.build)).rc == 0
    assert again.read_bytes() == made["bundle"].read_bytes()


def test_edited_member_without_manifest(made: dict[str, Any], tmp_path: Path) -> None:
    bad = rewrite(made["bundle"], tmp_path / "b.tar.gz", edit_report(lambda d: d.update(timestamp="x")), fix_manifest=False)
    res = gate_bundle(made["suite"], bad)
    assert res.rc == 4 and "member report.json has sha256" in one_line_error(res) and "it was edited" in res.err


def test_edited_result_rejected(made: dict[str, Any], tmp_path: Path) -> None:
    """A result edited in the report (and MANIFEST.json recomputed): the log says otherwise."""

    def change(d: dict[str, Any]) -> None:
        r = next(r for r in d["results"] if r["test"] == "TLB.flush")
        r["raw_message"] = r["message"] = "flushed 4096 pages"

    res = gate_bundle(made["suite"], rewrite(made["bundle"], tmp_path / "b.tar.gz", edit_report(change)))
    assert res.rc == 3, res.out + res.err
    assert "test TLB.flush: raw_message is 'flushed 4096 pages' in the report, but logs/tlb.serial gives 'all good'" in res.out


def test_edited_log_rejected(made: dict[str, Any], tmp_path: Path) -> None:
    def edit(files: dict[str, bytes]) -> None:
        files["logs/time.serial"] = b"".join(line for line in files["logs/time.serial"].splitlines(keepends=True) if b"TIME.timer_vector" not in line)

    res = gate_bundle(made["suite"], rewrite(made["bundle"], tmp_path / "b.tar.gz", edit))
    assert res.rc == 3, res.out + res.err
    assert "test TIME.timer_vector: raw_status is 'pass' in the report, but logs/time.serial gives" in res.out


def test_consistently_rewritten_report_passes_report_gate_but_not_bundle(tmp_path: Path) -> None:
    """The attack a report alone cannot stop: TLB.flush failed; the report is
    rewritten into a pass in its raw and derived fields alike, with the very
    code the runner uses. `gate --report` accepts it (and says it checked
    consistency only); the bundle with the real logs is rejected."""
    suite = Suite(tmp_path).write()
    steps = passing_steps("tlb", suite.tests)
    steps = [{"line": s["line"].replace("result=pass", "result=fail")} if "check result=pass" in s.get("line", "") else s for s in steps]
    suite.set_image("tlb", steps)
    real = tmp_path / "real.json"
    assert run_cli(*suite.run_args("--json", str(real))).rc == 3
    rep = load_report(real)
    tlb = next(r for r in rep.results if r.test == "TLB.flush")
    tlb.raw_status, tlb.raw_message, tlb.failed_checks, tlb.passed_reqs = "pass", "all good", [], ["TLB-001"]
    boots = rep.boots
    for b in boots:
        b.problems = [p for p in b.problems if "suite-end counts" not in p.message]
    ev = evaluate(load_requirements(suite.manifest), rep.suite, rep.tested, rep.profile, rep.results, boots, False)
    assert ev.verdict == "conformant", ev.reasons
    data = copy.deepcopy(rep.data)
    data.update(verdict=ev.verdict, reasons={"errors": ev.errors, "failures": ev.failures, "warnings": ev.warnings}, summary=count_statuses(ev.results),
                results=[r.to_dict() for r in ev.results], requirements=ev.requirements, boots=[b.to_dict() for b in boots])  # fmt: skip
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    res = run_cli("gate", "--report", str(forged), "--require", "1.1", *suite.common())
    assert res.rc == 0, res.out  # consistent in itself: only the logs can tell
    assert "consistency only" in res.out
    bundle = tmp_path / "forged.tar.gz"
    assert run_cli("bundle", "--report", str(forged), "--out", str(bundle), "--build-dir", str(suite.build)).rc == 0
    res = gate_bundle(suite, bundle)
    assert res.rc == 3
    assert "test TLB.flush: raw_status is 'pass' in the report, but logs/tlb.serial gives 'fail'" in res.out


def test_other_images_rejected(made: dict[str, Any], tmp_path: Path) -> None:
    suite = Suite(tmp_path).write()
    suite.set_image("tlb", passing_steps("tlb", suite.tests) + [{"text": "another build"}])
    res = run_cli("gate", "--bundle", str(made["bundle"]), "--require", "1.1", *suite.common())
    assert res.rc == 3
    assert "the bundle was made with other images than this suite build's: image tlb" in res.out


def test_evidence_mismatch(made: dict[str, Any], tmp_path: Path) -> None:
    """The report's per-boot evidence names the log it was made from."""

    def change(d: dict[str, Any]) -> None:
        next(b for b in d["boots"] if b["image"] == "base")["evidence"] = {"serial_sha256": "0" * 64}

    res = gate_bundle(made["suite"], rewrite(made["bundle"], tmp_path / "b.tar.gz", edit_report(change)))
    assert res.rc == 3
    assert "logs/base.serial is not the log the report was made from" in res.out
    # and `bundle` refuses to pack a log the evidence does not name
    report = tmp_path / "r.json"
    data = load(made["report"])
    change(data)
    report.write_text(json.dumps(data))
    res = run_cli("bundle", "--report", str(report), "--out", str(tmp_path / "x.tar.gz"))
    assert res.rc == 4 and "it is not the log the report was made from" in one_line_error(res)


def test_test_reported_twice_in_one_boot(tmp_path: Path) -> None:
    """fail, then pass again: boot.py keeps the last; the bundle gate sees both."""
    suite = Suite(tmp_path).write()
    steps = passing_steps("tlb", suite.tests)
    first = next(i for i, s in enumerate(steps) if s.get("line", "").startswith("test-begin name=TLB.flush"))
    end = next(i for i, s in enumerate(steps) if s.get("line", "").startswith("test-end name=TLB.flush"))
    failed = [{"line": s["line"].replace("verdict=pass", "verdict=fail")} if "verdict=" in s.get("line", "") else s for s in steps[first : end + 1]]
    suite.set_image("tlb", steps[:first] + failed + steps[first:])
    report, bundle = tmp_path / "r.json", tmp_path / "r.tar.gz"
    run_cli(*suite.run_args("--json", str(report)))
    assert run_cli("bundle", "--report", str(report), "--out", str(bundle), "--build-dir", str(suite.build)).rc == 0
    res = gate_bundle(suite, bundle)
    assert res.rc == 3
    assert "logs/tlb.serial: test TLB.flush is reported more than once in one boot" in res.out


def test_bundle_refuses_to_overwrite_an_input(made: dict[str, Any]) -> None:
    res = run_cli("bundle", "--report", str(made["report"]), "--out", str(made["report"]))
    assert res.rc == 4 and "refusing to overwrite it" in one_line_error(res)
    res = run_cli("bundle", "--report", str(made["report"]), "--out", str(made["junit"]), "--junit", str(made["junit"]))
    assert res.rc == 4 and "refusing to overwrite it" in one_line_error(res)
    assert json.loads(made["report"].read_text())["verdict"] == "conformant"


def _tar(path: Path, entries: list[tarfile.TarInfo], data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size if kind == tarfile.REGTYPE else 0, link
    return info


@pytest.mark.parametrize(
    "entries, needle",
    [
        ([_info("/etc/passwd")], "is not allowed"),
        ([_info("../escape")], "is not allowed"),
        ([_info("logs/../../escape")], "is not allowed"),
        ([_info("link", tarfile.SYMTYPE, link="/etc/passwd")], "is not a regular file"),
        ([_info("hard", tarfile.LNKTYPE, link="report.json")], "is not a regular file"),
        ([_info("logs", tarfile.DIRTYPE)], "is not a regular file"),
        ([_info("report.json"), _info("report.json")], "appears twice"),
        ([_info("report.json")], "no MANIFEST.json"),
    ],
)
def test_unsafe_bundles_refused(tmp_path: Path, made: dict[str, Any], entries: list[tarfile.TarInfo], needle: str) -> None:
    bad = _tar(tmp_path / "bad.tar.gz", entries)
    res = gate_bundle(made["suite"], bad)
    assert res.rc == 4, res.out + res.err
    assert needle in one_line_error(res)
    assert not (tmp_path.parent / "escape").exists()


def test_bundle_member_caps_and_garbage(tmp_path: Path, made: dict[str, Any]) -> None:
    suite = made["suite"]
    unlisted = rewrite(made["bundle"], tmp_path / "u.tar.gz", lambda f: f.update({"extra.txt": b"x"}), fix_manifest=False)
    res = gate_bundle(suite, unlisted)
    assert res.rc == 4 and "member extra.txt is not listed in MANIFEST.json" in one_line_error(res)
    garbage = tmp_path / "g.tar.gz"
    garbage.write_bytes(b"not a tarball at all")
    res = gate_bundle(suite, garbage)
    assert res.rc == 4 and "not a readable .tar.gz" in one_line_error(res)
    big = tmp_path / "big.tar.gz"
    info = _info("logs/base.serial", size=(64 << 20) + 1)
    with tarfile.open(big, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(b"\0" * info.size))
    res = gate_bundle(suite, big)
    assert res.rc == 4 and "too large" in one_line_error(res)
    res = gate_bundle(suite, tmp_path / "missing.tar.gz")
    assert res.rc == 4 and "not found" in one_line_error(res)


def test_image_in_evidence_must_be_this_builds(made: dict[str, Any], tmp_path: Path) -> None:
    """MANIFEST.json edited to this build's image hashes does not help when
    the report's own evidence names another image."""

    def change(d: dict[str, Any]) -> None:
        next(b for b in d["boots"] if b["image"] == "x86")["evidence"] = {"image_sha256": "f" * 64}

    res = gate_bundle(made["suite"], rewrite(made["bundle"], tmp_path / "b.tar.gz", edit_report(change)))
    assert res.rc == 3
    assert f"image x86 has sha256 {'f' * 64} in the report's evidence" in res.out
