"""Interpreting one boot: verdict lines, crashes, timeouts, expected ends,
garbled lines, boots that never start."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from conftest import TEST_KEY, TEST_NONCE, proto

from hcabi_conform.boot import interpret_boot
from hcabi_conform.evidence import EvidenceContext
from hcabi_conform.manifests import ImageSpec, TestSpec
from hcabi_conform.model import BootRecord, Ending, TestResult
from hcabi_conform.targets import classify_refvmm
from hcabi_conform.versions import Version

V10 = Version(1, 0)
IMAGE = ImageSpec("time", "hcabi-conf-time.elf", 2, 64, "exit")
REBOOT_IMAGE = ImageSpec("system-reboot", "hcabi-conf-system-reboot.elf", 1, 64, "reboot")
T1 = TestSpec("TIME.a", "time", "TIME", ("TIME-001", "TIME-002"), V10)
T2 = TestSpec("TIME.b", "time", "TIME", ("TIME-003",), V10)
T3 = TestSpec("TIME.new", "time", "TIME", ("TIME-004",), Version(1, 1))
RB = TestSpec("SYSTEM.reboot", "system-reboot", "SYSTEM", ("SYSTEM-001",), V10)
KNOWN = {t.name: t for t in (T1, T2, T3, RB)}
EXIT0 = Ending("exit", "the guest wrote 0 to isa-debug-exit", status=1, code=0)
FAULT = Ending("fault", "hcabi-refvmm: triple fault", status=6)
TIMEOUT = Ending("timeout", "the boot timed out after 5 s")

class P(str):
    """A protocol line's body; `interpret` numbers the lines (0, 1, ...; a
    second hello starts again at 0) and signs them with this boot's key."""


class G(P):
    """A line that arrives garbled (its CRC does not match)."""


def hello(image: str, nonce: str = TEST_NONCE) -> P:
    return P(f"hello image={image} protocol=2 nonce={nonce}")


CTX = EvidenceContext(TEST_NONCE, TEST_KEY)


def render(lines: list[str], key: bytes = TEST_KEY, nonce: str = TEST_NONCE) -> list[str]:
    """Number and sign the P lines; other strings are free text."""
    out, seq, hellos = [], 0, 0
    for line in lines:
        if not isinstance(line, P):
            out.append(line)
            continue
        if line.startswith("hello "):
            hellos += 1
            seq = 0 if hellos > 1 else seq
        text = proto(str(line), seq, key, nonce)
        seq += 1
        if isinstance(line, G):
            text = text[:-1] + ("0" if text[-1] != "0" else "1")
        out.append(text)
    return out


HEAD = [hello("time"), P("discovery present=1 spec=1.0 impl=0x1 implver=0x2 exts=BASE:1,TIME:1")]


def interpret(tmp_path: Path, lines: list[str], ending: Ending, image: ImageSpec = IMAGE, selected: Optional[list[TestSpec]] = None) -> tuple[BootRecord, dict[str, TestResult]]:
    serial = tmp_path / "boot.serial"
    serial.write_text("\n".join(render(lines)) + "\n")
    sel = selected if selected is not None else [t for t in KNOWN.values() if t.image == image.name and t.since <= V10]
    record, results = interpret_boot(image, serial, ending, KNOWN, sel, CTX)
    return record, {r.test: r for r in results}


def ok_test(test: TestSpec) -> list[str]:
    return [
        P(f"test-begin name={test.name} reqs={','.join(test.requirements)}"),
        *[P(f"check result=pass req={r} msg=fine") for r in test.requirements],
        P(f"test-end name={test.name} verdict=pass msg=fine"),
    ]


def problems(record: BootRecord, severity: str) -> list[str]:
    return [p.message for p in record.problems if p.severity == severity]


def test_all_pass(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, HEAD + ok_test(T1) + ok_test(T2) + [P("suite-end pass=2 fail=0 skip=0 error=0")], EXIT0)
    assert {r.raw_status for r in res.values()} == {"pass"}
    assert record.discovery and record.discovery.spec == "1.0" and record.discovery.exts == {"BASE": 1, "TIME": 1}
    assert not problems(record, "error") and not problems(record, "warning")


def test_failed_check_is_pinned_to_its_requirement(tmp_path: Path) -> None:
    lines = HEAD + [
        P("test-begin name=TIME.a reqs=TIME-001,TIME-002"),
        P("check result=pass req=TIME-001 msg=monotonic"),
        P("check result=fail req=TIME-002 msg=expected 1000 ns, got 1 ms"),
        P("test-end name=TIME.a verdict=fail msg=unit wrong"),
    ] + ok_test(T2) + [P("suite-end pass=1 fail=1 skip=0 error=0")]
    _, res = interpret(tmp_path, lines, EXIT0)
    a = res["TIME.a"]
    assert a.raw_status == "fail"
    assert a.failed_checks == [{"req": "TIME-002", "msg": "expected 1000 ns, got 1 ms"}]
    assert a.passed_reqs == ["TIME-001"]
    assert "unit wrong" in a.raw_message and "expected 1000 ns" in a.raw_message


def test_pass_verdict_with_failed_check_is_a_failure(tmp_path: Path) -> None:
    lines = HEAD + [
        P("test-begin name=TIME.a reqs=TIME-001,TIME-002"),
        P("check result=fail req=TIME-001 msg=bad"),
        P("test-end name=TIME.a verdict=pass msg="),
    ]
    _, res = interpret(tmp_path, lines, EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "fail"


def test_crash_mid_test_loses_the_rest_of_the_boot(tmp_path: Path) -> None:
    lines = HEAD + [P("test-begin name=TIME.a reqs=TIME-001,TIME-002"), "about to die"]
    record, res = interpret(tmp_path, lines, FAULT)
    assert res["TIME.a"].raw_status == "crash"
    assert "triple fault" in res["TIME.a"].raw_message and "about to die" in res["TIME.a"].raw_message
    assert res["TIME.b"].raw_status == "crash" and "not reached" in res["TIME.b"].raw_message
    assert not problems(record, "error")


def test_timeout_mid_test(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [P("test-begin name=TIME.b reqs=TIME-003")], TIMEOUT)
    assert res["TIME.a"].raw_status == "pass"
    assert res["TIME.b"].raw_status == "timeout"


def test_no_hello_is_a_boot_error(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, ["garbage", "more garbage"], EXIT0)
    assert {r.raw_status for r in res.values()} == {"error"}
    assert any("no hello" in p for p in problems(record, "error"))


def test_garbled_hello_is_a_boot_error(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, [G(hello("time"))] + HEAD[1:] + ok_test(T1), EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert record.garbled == 1


def test_wrong_image_is_a_boot_error(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, [hello("base")] + HEAD[1:] + ok_test(T1), EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert any("expected 'time'" in p for p in problems(record, "error"))


def test_vmm_host_error(tmp_path: Path) -> None:
    ending = classify_refvmm(4, tmp_path / "missing.stderr")
    record, res = interpret(tmp_path, [], ending)
    assert ending.kind == "host-error"
    assert {r.raw_status for r in res.values()} == {"error"}


def test_garbled_test_end_with_suite_end_is_error(tmp_path: Path) -> None:
    lines = HEAD + [P("test-begin name=TIME.a reqs=TIME-001,TIME-002"), G("test-end name=TIME.a verdict=pass msg=ok")]
    lines += [P("suite-end pass=1 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert record.garbled == 1
    # the garbled line explains the gap in the sequence: line noise, not a forgery
    assert any("arrived garbled" in e for e in problems(record, "error")) and not problems(record, "fail")
    assert record.evidence["verified"] is False


def test_expected_reboot_seen(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=reboot code=0")]
    _, res = interpret(tmp_path, lines, Ending("reboot", "reboot", status=10), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_expected_reboot_after_a_failed_check_fails(tmp_path: Path) -> None:
    """The VM ending as announced does not undo a check that failed before."""
    lines = [
        hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"),
        P("check result=fail req=SYSTEM-001 msg=reserved bits accepted"), P("expect event=reboot code=0"),
    ]  # fmt: skip
    _, res = interpret(tmp_path, lines, Ending("reboot", "reboot", status=10), image=REBOOT_IMAGE)
    r = res["SYSTEM.reboot"]
    assert r.raw_status == "fail" and "1 check(s) failed before" in r.raw_message and "reserved bits accepted" in r.raw_message
    assert r.failed_checks == [{"req": "SYSTEM-001", "msg": "reserved bits accepted"}]


def test_expected_reboot_but_vm_faulted(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=reboot")]
    _, res = interpret(tmp_path, lines, FAULT, image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "crash"


def test_expected_shutdown_with_wrong_code(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=shutdown code=7")]
    stderr = tmp_path / "e"
    stderr.write_text("hcabi-refvmm: shutdown code=3\n")
    _, res = interpret(tmp_path, lines, classify_refvmm(0, stderr), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "fail"
    assert "shutdown code=7" in res["SYSTEM.reboot"].raw_message


def test_shutdown_code_compared_as_u64(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=crash code=-1")]
    stderr = tmp_path / "e"
    stderr.write_text("hcabi-refvmm: crash code=18446744073709551615\n")
    _, res = interpret(tmp_path, lines, classify_refvmm(12, stderr), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_restart_satisfies_expected_reboot(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=reboot")]
    lines += [hello("system-reboot"), P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001")]
    _, res = interpret(tmp_path, lines, TIMEOUT, image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_unknown_test_and_stale_requirements_are_suite_errors(tmp_path: Path) -> None:
    lines = HEAD + [P("test-begin name=TIME.zzz reqs=TIME-009"), P("test-end name=TIME.zzz verdict=pass msg=")]
    lines += [P("test-begin name=TIME.a reqs=TIME-001"), P("test-end name=TIME.a verdict=pass msg=")]
    record, _ = interpret(tmp_path, lines, EXIT0, selected=[T1])
    errors = problems(record, "error")
    assert any("TIME.zzz" in e for e in errors)
    assert any("stale build" in e for e in errors)


def test_hcabi_absent(tmp_path: Path) -> None:
    lines = [hello("time"), P("discovery present=0 base=0x40000000 signature=TCGTCGTCGTCG"), P("suite-end pass=0 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, EXIT0)
    assert record.discovery is not None and not record.discovery.present
    assert {r.raw_status for r in res.values()} == {"fail"}
    assert all("not present" in r.raw_message for r in res.values())


def test_test_newer_than_claimed_version_not_run(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [P("suite-end pass=1 fail=0 skip=0 error=0")], EXIT0, selected=[T1, T3])
    assert res["TIME.new"].raw_status == "fail" and "claims HCABI 1.0" in res["TIME.new"].raw_message


def test_suite_end_without_a_selected_test_is_error(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [P("suite-end pass=1 fail=0 skip=0 error=0")], EXIT0, selected=[T1, T2])
    assert res["TIME.b"].raw_status == "error"


def test_suite_end_count_mismatch_warns(tmp_path: Path) -> None:
    record, _ = interpret(tmp_path, HEAD + ok_test(T1) + [P("suite-end pass=5 fail=0 skip=0 error=0")], EXIT0, selected=[T1])
    assert any("suite-end counts" in w for w in problems(record, "warning"))


def test_vmm_crash_after_suite_end_is_a_failure(tmp_path: Path) -> None:
    lines = HEAD + ok_test(T1) + ok_test(T2) + [P("suite-end pass=2 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, Ending("signal", "the VMM was killed by SIGSEGV", status=-11))
    assert {r.raw_status for r in res.values()} == {"pass"}
    assert problems(record, "fail")


def test_missing_serial_file(tmp_path: Path) -> None:
    record, res = interpret_boot(IMAGE, tmp_path / "nope.serial", EXIT0, KNOWN, [T1], CTX)
    assert res[0].raw_status == "error"
    assert any("no serial log" in p.message for p in record.problems)


def test_refvmm_status_table(tmp_path: Path) -> None:
    err = tmp_path / "stderr"
    err.write_text("noise\nhcabi-refvmm: crash code=5\n")
    assert classify_refvmm(12, err).kind == "crash" and classify_refvmm(12, err).code == 5
    assert classify_refvmm(1, err).kind == "exit" and classify_refvmm(1, err).code == 0
    expected = {0: "shutdown", 2: "vmm-usage", 4: "host-error", 6: "fault", 8: "timeout", 10: "reboot", 14: "fault", -11: "signal"}
    assert {rc: classify_refvmm(rc, err).kind for rc in expected} == expected


# -- protocol 2: is the log evidence of this boot? ---------------------------------


def interpret_raw(tmp_path: Path, text: list[str], selected: list[TestSpec] = [T1], ending: Ending = EXIT0) -> tuple[BootRecord, dict[str, TestResult]]:
    serial = tmp_path / "raw.serial"
    serial.write_text("\n".join(text) + "\n")
    record, results = interpret_boot(IMAGE, serial, ending, KNOWN, selected, CTX)
    return record, {r.test: r for r in results}


GOOD = HEAD + ok_test(T1) + [P("suite-end pass=1 fail=0 skip=0 error=0")]


def test_verified_boot_records_its_evidence(tmp_path: Path) -> None:
    record, res = interpret_raw(tmp_path, render(GOOD))
    assert res["TIME.a"].raw_status == "pass"
    ev = record.evidence
    assert ev["verified"] is True and ev["lines"] == len(GOOD) and ev["nonce"] == TEST_NONCE
    assert ev["serial_capped"] is False and ev["serial_bytes"] == (tmp_path / "raw.serial").stat().st_size
    assert BootRecord.from_dict(record.to_dict()) == record


def test_forged_log_with_another_key_fails_every_test(tmp_path: Path) -> None:
    record, res = interpret_raw(tmp_path, render(GOOD, key=b"\x01" * 32), selected=[T1, T2])
    assert {r.raw_status for r in res.values()} == {"fail"}
    assert "line 1: MAC does not match this boot's key (forged or from another run)" in res["TIME.b"].raw_message
    assert problems(record, "fail") and record.discovery is None and record.evidence["verified"] is False


def test_replayed_log_fails_on_the_nonce(tmp_path: Path) -> None:
    other = "ffeeddccbbaa99887766554433221100"
    lines = [hello("time", other)] + GOOD[1:]
    record, res = interpret_raw(tmp_path, render(lines, nonce=other))
    assert res["TIME.a"].raw_status == "fail"
    want = f"replayed or forged serial log: hello carries nonce {other}, this boot was given {TEST_NONCE}"
    assert want in res["TIME.a"].raw_message and want in problems(record, "fail")


def test_log_without_a_nonce_fails(tmp_path: Path) -> None:
    lines = [P("hello image=time protocol=2 nonce=-")] + GOOD[1:]
    record, res = interpret_raw(tmp_path, render(lines, nonce=""))
    assert res["TIME.a"].raw_status == "fail" and "given no nonce" in res["TIME.a"].raw_message


def test_a_missing_line_fails(tmp_path: Path) -> None:
    text = render(GOOD)
    del text[3]  # the check line: a log edited to drop a line
    record, res = interpret_raw(tmp_path, text)
    assert res["TIME.a"].raw_status == "fail"
    assert "line 4: sequence 4 after 2 (a line is missing)" in res["TIME.a"].raw_message


def test_a_duplicated_line_fails(tmp_path: Path) -> None:
    text = render(GOOD)
    text.insert(4, text[3])
    _, res = interpret_raw(tmp_path, text)
    assert res["TIME.a"].raw_status == "fail" and "sequence 3 after 3 (a line is duplicated or out of order)" in res["TIME.a"].raw_message


def test_reordered_lines_fail(tmp_path: Path) -> None:
    text = render(GOOD)
    text[3], text[4] = text[4], text[3]
    _, res = interpret_raw(tmp_path, text)
    assert res["TIME.a"].raw_status == "fail" and "a line is missing" in res["TIME.a"].raw_message


def test_a_garbled_last_line_is_only_a_warning(tmp_path: Path) -> None:
    """A VM that died mid-line leaves a garbled last line and no gap."""
    text = render(HEAD + ok_test(T1) + [P("test-begin name=TIME.b reqs=TIME-003")])
    text[-1] = text[-1][:30]
    record, res = interpret_raw(tmp_path, text, selected=[T1, T2], ending=FAULT)
    assert res["TIME.a"].raw_status == "pass" and res["TIME.b"].raw_status == "crash"
    assert record.evidence["verified"] is True and any("garbled" in w for w in problems(record, "warning"))


def test_protocol_1_image_is_a_boot_error(tmp_path: Path) -> None:
    import zlib

    data = b"@hcabi hello image=time protocol=1"
    record, res = interpret_raw(tmp_path, [f"{data.decode()} #{zlib.crc32(data):08x}"])
    assert res["TIME.a"].raw_status == "error"
    assert any("protocol-1 line" in e for e in problems(record, "error"))


def test_skip_carries_what_it_needed(tmp_path: Path) -> None:
    lines = HEAD + [P("test-begin name=TIME.a reqs=TIME-001,TIME-002"), P("test-end name=TIME.a verdict=skip needs=TIME,VCPU msg=extension TIME not advertised")]
    _, res = interpret(tmp_path, lines, EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "skip" and res["TIME.a"].needs == ["TIME", "VCPU"]
    assert TestResult.from_dict(res["TIME.a"].to_dict()).needs == ["TIME", "VCPU"]


def test_serial_beyond_the_limit_is_not_read(tmp_path: Path) -> None:
    serial = tmp_path / "big.serial"
    serial.write_bytes(("\n".join(render(HEAD)) + "\n").encode() + b"y" * 100_000 + b"\n" + "\n".join(render(ok_test(T1))).encode())
    limit = len(serial.read_bytes()) - 5000
    record, results = interpret_boot(IMAGE, serial, EXIT0, KNOWN, [T1], EvidenceContext(TEST_NONCE, TEST_KEY, limit))
    assert record.evidence["serial_capped"] is True and record.evidence["serial_bytes"] == limit
    assert any("reached the cap" in p for p in problems(record, "fail"))
    assert results[0].raw_status != "pass"  # its lines lie past the cap


def test_unverifiable_end_does_not_satisfy_expect(tmp_path: Path) -> None:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P("expect event=crash code=3")]
    ending = Ending("exited", "the VMM exited with status 0", status=0, verifiable=False)
    _, res = interpret(tmp_path, lines, ending, image=REBOOT_IMAGE)
    r = res["SYSTEM.reboot"]
    assert r.raw_status == "fail" and "cannot tell how the VM ended" in r.raw_message and "--vmm-exit crash=12" in r.raw_message


def test_test_reported_twice_in_one_boot(tmp_path: Path) -> None:
    """A log that says fail and then pass for one test must not end as pass:
    the boot gets an error naming the test, and the worse result stays."""
    lines = HEAD + [
        P("test-begin name=TIME.a reqs=TIME-001,TIME-002"),
        P("check result=fail req=TIME-001 msg=bad"),
        P("test-end name=TIME.a verdict=fail msg=1 of 1 checks failed"),
    ] + ok_test(T1) + ok_test(T2) + [P("suite-end pass=2 fail=1 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, EXIT0)
    assert res["TIME.a"].raw_status == "fail"
    assert any("test TIME.a is reported a second time in one boot (first result: fail)" in m for m in problems(record, "error"))


# -- the expect line's requirements: the ending and the code are checks ------------


def _expect_end(tmp_path: Path, expect: str, status: int, stderr_text: str) -> Any:
    lines = [hello("system-reboot"), HEAD[1], P("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), P(expect)]
    stderr = tmp_path / "e"
    stderr.write_text(stderr_text)
    _, res = interpret(tmp_path, lines, classify_refvmm(status, stderr), image=REBOOT_IMAGE)
    return res["SYSTEM.reboot"]


def test_expected_end_credits_its_requirements(tmp_path: Path) -> None:
    r = _expect_end(tmp_path, "expect event=shutdown req=SYSTEM-001.3,SYSTEM-001.4 code=0xa5 code_req=SYSTEM-001.5", 0, "hcabi-refvmm: shutdown code=165\n")
    assert r.raw_status == "pass"
    assert set(r.passed_reqs) == {"SYSTEM-001.3", "SYSTEM-001.4", "SYSTEM-001.5"}


def test_wrong_code_fails_only_the_code_requirement(tmp_path: Path) -> None:
    r = _expect_end(tmp_path, "expect event=shutdown req=SYSTEM-001.3,SYSTEM-001.4 code=0xa5 code_req=SYSTEM-001.5", 0, "hcabi-refvmm: shutdown code=3\n")
    assert r.raw_status == "fail"
    assert [c["req"] for c in r.failed_checks] == ["SYSTEM-001.5"]
    assert "with code 0x3, not 0xa5" in r.failed_checks[0]["msg"]
    assert set(r.passed_reqs) == {"SYSTEM-001.3", "SYSTEM-001.4"}


def test_wrong_ending_fails_the_ending_requirements(tmp_path: Path) -> None:
    r = _expect_end(tmp_path, "expect event=shutdown req=SYSTEM-001.3,SYSTEM-001.4 code=0xa5 code_req=SYSTEM-001.5", 12, "hcabi-refvmm: crash code=165\n")
    assert r.raw_status == "fail"
    assert [c["req"] for c in r.failed_checks] == ["SYSTEM-001.3", "SYSTEM-001.4"]
    assert "the VM was to end by shutdown; the VMM reported crash code=0xa5" in r.failed_checks[0]["msg"]
    assert "SYSTEM-001.5" not in r.passed_reqs
