"""Protocol 2 end to end: only a boot that ran the image is evidence.

A "VMM" that prints lines itself (forged), replays a real log (`cat`), keeps
the nonce from the image, or drops or repeats a line must not pass; a VMM
that floods the serial port is stopped at --serial-limit within --timeout;
under --target cmd an announced end of the VM passes only when --vmm-exit
says what the VMM's exit status means.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import pytest
from conftest import Suite, by_test, load, passing_steps, run_cli

from hcabi_conform.errors import EnvError
from hcabi_conform.evidence import MAGIC, EvidenceContext, image_key, line_key, line_mac, new_nonce, sha256_file


def _boot(rep: dict, image: str) -> dict:  # type: ignore[type-arg]
    return next(b for b in rep["boots"] if b["image"] == image)


def test_evidence_helpers(tmp_path: Path) -> None:
    a, b = new_nonce(), new_nonce()
    assert a != b and len(a) == 32 and int(a, 16) >= 0
    image = tmp_path / "img"
    image.write_bytes(b"junk" + MAGIC + bytes(range(32)) + b"tail")
    assert image_key(image) == bytes(range(32))
    assert sha256_file(image) is not None and sha256_file(tmp_path / "absent") is None
    ctx = EvidenceContext(a, bytes(range(32)))
    assert ctx.verify(b"@hcabi 0 x", line_mac(line_key(bytes(range(32)), a), b"@hcabi 0 x"))
    assert not ctx.verify(b"@hcabi 0 x", line_mac(line_key(bytes(range(32)), b), b"@hcabi 0 x"))
    for data, why in ((b"no key here", "carries no evidence key"), (MAGIC + b"short", "carries no evidence key"), (MAGIC + bytes(32) + MAGIC + bytes(32), "more than one")):
        image.write_bytes(data)
        with pytest.raises(EnvError, match=why) as err:
            image_key(image)
        assert str(image) in str(err.value)


def test_image_without_key_is_exit_4(suite: Suite) -> None:
    (suite.images_dir / "hcabi-conf-tlb.elf").write_text(json.dumps({"steps": []}))
    res = run_cli(*suite.run_args())
    assert res.rc == 4 and "hcabi-conf-tlb.elf carries no evidence key" in res.err


def test_report_records_the_evidence_of_each_boot(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    nonces = set()
    for boot in rep["boots"]:
        ev = boot["evidence"]
        assert ev["verified"] is True and ev["lines"] >= 3 and ev["serial_capped"] is False
        assert ev["serial_limit"] == 16 << 20 and ev["serial_bytes"] == (suite.out / f"{boot['image']}.serial").stat().st_size
        assert ev["image_sha256"] == sha256_file(suite.images_dir / boot["file"])
        assert ev["serial_sha256"] == sha256_file(suite.out / f"{boot['image']}.serial") and ev["stderr_sha256"]
        assert f"hcabi.nonce={ev['nonce']}" in boot["command"]
        nonces.add(ev["nonce"])
    assert len(nonces) == len(rep["boots"])  # a fresh nonce per boot


def test_forged_log_fails(suite: Suite) -> None:
    """A script that prints a passing protocol-2 log, MACs made with a key
    other than the image's."""
    steps = [dict(s, forge_key="not the image's key") if "line" in s else s for s in passing_steps("time", suite.tests)]
    suite.set_image("time", steps)
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 3, res.out + res.err
    rep = load(suite.root / "r.json")
    for name in ("TIME.monotonic", "TIME.timer_vector"):
        r = by_test(rep)[name]
        assert r["status"] == "fail" and "line 2: MAC does not match this boot's key (forged or from another run)" in r["message"]
    assert by_test(rep)["BASE.get_spec_version"]["status"] == "pass"
    assert _boot(rep, "time")["evidence"]["verified"] is False


def test_replayed_log_fails(suite: Suite) -> None:
    """A real log of one run, fed to another run with `cat`."""
    first = run_cli(*suite.run_args("--filter", "BASE.*"))
    assert first.rc == 0, first.out + first.err
    saved = suite.root / "base.serial.saved"
    saved.write_bytes((suite.out / "base.serial").read_bytes())
    old_nonce = json.loads((suite.out / "report.json").read_text())["boots"][0]["evidence"]["nonce"]
    template = f"sh -c {shlex.quote('cat ' + shlex.quote(str(saved)))} {{image}} {{cmdline}}"
    res = run_cli("run", "--target", "cmd", "--vmm-cmd", template, "--filter", "BASE.*", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 3, res.out + res.err
    rep = load(suite.root / "r.json")
    new_nonce_ = rep["boots"][0]["evidence"]["nonce"]
    assert new_nonce_ != old_nonce
    for r in rep["results"]:
        assert r["status"] == "fail"
        assert f"replayed or forged serial log: hello carries nonce {old_nonce}, this boot was given {new_nonce_}" in r["message"]
    assert rep["verdict"] == "non-conformant"


def test_log_without_nonce_fails(suite: Suite) -> None:
    """A VMM that does not hand the image its command line."""
    template = f"{shlex.quote(sys.executable)} {shlex.quote(str(suite.fake_vmm))} --ignored={{cmdline}} {{image}} {{serial}}"
    res = run_cli("run", "--target", "cmd", "--vmm-cmd", template, "--filter", "BASE.*", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 3, res.out + res.err
    for r in load(suite.root / "r.json")["results"]:
        assert r["status"] == "fail" and "the image was given no nonce (hello says nonce=-)" in r["message"]


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda steps: steps.__setitem__(4, dict(steps[4], seq_skip=1)), "line 5: sequence 4 after 2 (a line is missing)"),
        (lambda steps: steps.insert(5, {"repeat": True}), "line 6: sequence 3 after 3 (a line is duplicated or out of order)"),
    ],
    ids=["gap", "duplicate"],
)
def test_sequence_gap_or_duplicate_fails(suite: Suite, edit: object, needle: str) -> None:
    steps = passing_steps("base", suite.tests)
    edit(steps)  # type: ignore[operator]
    suite.set_image("base", steps)
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--json", str(suite.root / "r.json")))
    assert res.rc == 3, res.out + res.err
    rep = load(suite.root / "r.json")
    assert {r["status"] for r in rep["results"]} == {"fail"}
    assert all(needle in r["message"] for r in rep["results"]), rep["results"][0]["message"]
    assert any(needle in f for f in rep["reasons"]["failures"])


def test_gap_explained_by_a_garbled_line_is_an_error(suite: Suite) -> None:
    steps = passing_steps("base", suite.tests)
    steps[4] = {"badcrc": steps[4]["line"]}
    suite.set_image("base", steps)
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--json", str(suite.root / "r.json")))
    assert res.rc == 4, res.out + res.err
    rep = load(suite.root / "r.json")
    assert {r["status"] for r in rep["results"]} == {"error"}
    assert "arrived garbled (a noisy serial line)" in rep["results"][0]["message"]


@pytest.mark.parametrize("kind", ["yes", "python"])
def test_flooding_vmm_is_stopped_at_the_cap(suite: Suite, kind: str) -> None:
    """`yes` as the VMM, and an image whose VMM writes forever after hello:
    both end within seconds of --timeout with the cap reported."""
    if kind == "yes":
        args = ["run", "--target", "cmd", "--vmm-cmd", "yes {image} {cmdline}", *suite.common(), "--out", str(suite.out)]
    else:
        suite.set_image("base", passing_steps("base", suite.tests)[:3] + [{"flood": True}])
        args = suite.run_args()
    limit = 2 << 20
    start = time.monotonic()
    res = run_cli(*args, "--filter", "BASE.*", "--timeout", "3", "--serial-limit", str(limit), "--json", str(suite.root / "r.json"), timeout=60)
    took = time.monotonic() - start
    assert took < 15, took
    assert res.rc in (3, 4), res.out + res.err
    rep = load(suite.root / "r.json")
    boot = rep["boots"][0]
    assert boot["evidence"]["serial_capped"] is True and boot["evidence"]["serial_limit"] == limit
    assert (suite.out / "base.serial").stat().st_size == limit
    assert boot["ending"]["kind"] == "flood" and f"more than {limit} bytes" in boot["ending"]["detail"]
    assert any("reached the cap" in p["message"] for p in boot["problems"])
    assert {r["status"] for r in rep["results"]} != {"pass"}


def test_vmm_exit_mapping_decides_expected_ends(suite: Suite) -> None:
    without = run_cli(*suite.run_args("--filter", "SYSTEM.*", "--json", str(suite.root / "a.json"), vmm_exit=False))
    assert without.rc == 3, without.out + without.err
    r = by_test(load(suite.root / "a.json"))["SYSTEM.reboot"]
    assert r["status"] == "fail" and "cannot tell how the VM ended" in r["message"] and "--vmm-exit reboot=STATUS" in r["message"]

    wrong = run_cli(*suite.run_args("--filter", "SYSTEM.*", "--vmm-exit", "crash=10", "--json", str(suite.root / "b.json"), vmm_exit=False))
    assert wrong.rc == 3, wrong.out + wrong.err
    r = by_test(load(suite.root / "b.json"))["SYSTEM.reboot"]
    assert r["status"] == "fail" and "declares a crash" in r["message"]

    right = run_cli(*suite.run_args("--filter", "SYSTEM.*", "--vmm-exit", "reboot=10", "--json", str(suite.root / "c.json"), vmm_exit=False))
    assert right.rc == 0, right.out + right.err
    rep = load(suite.root / "c.json")
    assert by_test(rep)["SYSTEM.reboot"]["status"] == "pass"
    assert rep["target_info"]["vmm_exit"] == {"reboot": 10}


def test_nested_jobs_carry_the_nonce_and_limit(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--filter", "BASE.*", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    boot = load(suite.root / "r.json")["boots"][0]
    jobs = json.loads((suite.out / "nested-0" / "invocation.json").read_text())["jobs"]
    assert f"--cmdline 'hcabi.nonce={boot['evidence']['nonce']} hcabi.console_input=200' --serial-limit {16 << 20}" in jobs
    assert f"--console-input={suite.out / 'base.console-in'}" in jobs
    assert boot["evidence"]["verified"] is True and f"hcabi.nonce={boot['evidence']['nonce']} hcabi.console_input=200" in boot["command"]
