"""Interpreting one boot: verdict lines, crashes, timeouts, expected ends,
garbled lines, boots that never start."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from conftest import proto

from hcabi_conform.boot import interpret_boot
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

HEAD = [proto("hello image=time protocol=1"), proto("discovery present=1 spec=1.0 impl=0x1 implver=0x2 exts=BASE:1,TIME:1")]


def interpret(tmp_path: Path, lines: list[str], ending: Ending, image: ImageSpec = IMAGE, selected: Optional[list[TestSpec]] = None) -> tuple[BootRecord, dict[str, TestResult]]:
    serial = tmp_path / "boot.serial"
    serial.write_text("\n".join(lines) + "\n")
    sel = selected if selected is not None else [t for t in KNOWN.values() if t.image == image.name and t.since <= V10]
    record, results = interpret_boot(image, serial, ending, KNOWN, sel)
    return record, {r.test: r for r in results}


def ok_test(test: TestSpec) -> list[str]:
    return [
        proto(f"test-begin name={test.name} reqs={','.join(test.requirements)}"),
        *[proto(f"check result=pass req={r} msg=fine") for r in test.requirements],
        proto(f"test-end name={test.name} verdict=pass msg=fine"),
    ]


def problems(record: BootRecord, severity: str) -> list[str]:
    return [p.message for p in record.problems if p.severity == severity]


def test_all_pass(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, HEAD + ok_test(T1) + ok_test(T2) + [proto("suite-end pass=2 fail=0 skip=0 error=0")], EXIT0)
    assert {r.raw_status for r in res.values()} == {"pass"}
    assert record.discovery and record.discovery.spec == "1.0" and record.discovery.exts == {"BASE": 1, "TIME": 1}
    assert not problems(record, "error") and not problems(record, "warning")


def test_failed_check_is_pinned_to_its_requirement(tmp_path: Path) -> None:
    lines = HEAD + [
        proto("test-begin name=TIME.a reqs=TIME-001,TIME-002"),
        proto("check result=pass req=TIME-001 msg=monotonic"),
        proto("check result=fail req=TIME-002 msg=expected 1000 ns, got 1 ms"),
        proto("test-end name=TIME.a verdict=fail msg=unit wrong"),
    ] + ok_test(T2) + [proto("suite-end pass=1 fail=1 skip=0 error=0")]
    _, res = interpret(tmp_path, lines, EXIT0)
    a = res["TIME.a"]
    assert a.raw_status == "fail"
    assert a.failed_checks == [{"req": "TIME-002", "msg": "expected 1000 ns, got 1 ms"}]
    assert a.passed_reqs == ["TIME-001"]
    assert "unit wrong" in a.raw_message and "expected 1000 ns" in a.raw_message


def test_pass_verdict_with_failed_check_is_a_failure(tmp_path: Path) -> None:
    lines = HEAD + [
        proto("test-begin name=TIME.a reqs=TIME-001,TIME-002"),
        proto("check result=fail req=TIME-001 msg=bad"),
        proto("test-end name=TIME.a verdict=pass msg="),
    ]
    _, res = interpret(tmp_path, lines, EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "fail"


def test_crash_mid_test_loses_the_rest_of_the_boot(tmp_path: Path) -> None:
    lines = HEAD + [proto("test-begin name=TIME.a reqs=TIME-001,TIME-002"), "about to die"]
    record, res = interpret(tmp_path, lines, FAULT)
    assert res["TIME.a"].raw_status == "crash"
    assert "triple fault" in res["TIME.a"].raw_message and "about to die" in res["TIME.a"].raw_message
    assert res["TIME.b"].raw_status == "crash" and "not reached" in res["TIME.b"].raw_message
    assert not problems(record, "error")


def test_timeout_mid_test(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [proto("test-begin name=TIME.b reqs=TIME-003")], TIMEOUT)
    assert res["TIME.a"].raw_status == "pass"
    assert res["TIME.b"].raw_status == "timeout"


def test_no_hello_is_a_boot_error(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, ["garbage", "more garbage"], EXIT0)
    assert {r.raw_status for r in res.values()} == {"error"}
    assert any("no hello" in p for p in problems(record, "error"))


def test_garbled_hello_is_a_boot_error(tmp_path: Path) -> None:
    hello = proto("hello image=time protocol=1").replace("time", "tima")
    record, res = interpret(tmp_path, [hello] + HEAD[1:] + ok_test(T1), EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert record.garbled == 1


def test_wrong_image_is_a_boot_error(tmp_path: Path) -> None:
    record, res = interpret(tmp_path, [proto("hello image=base protocol=1")] + HEAD[1:] + ok_test(T1), EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert any("expected 'time'" in p for p in problems(record, "error"))


def test_vmm_host_error(tmp_path: Path) -> None:
    ending = classify_refvmm(4, tmp_path / "missing.stderr")
    record, res = interpret(tmp_path, [], ending)
    assert ending.kind == "host-error"
    assert {r.raw_status for r in res.values()} == {"error"}


def test_garbled_test_end_with_suite_end_is_error(tmp_path: Path) -> None:
    end = proto("test-end name=TIME.a verdict=pass msg=ok")
    lines = HEAD + [proto("test-begin name=TIME.a reqs=TIME-001,TIME-002"), end[:-1] + ("0" if end[-1] != "0" else "1")]
    lines += [proto("suite-end pass=1 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, EXIT0, selected=[T1])
    assert res["TIME.a"].raw_status == "error"
    assert record.garbled == 1
    assert any("garbled" in w for w in problems(record, "warning"))


def test_expected_reboot_seen(tmp_path: Path) -> None:
    lines = [proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), proto("expect event=reboot code=0")]
    _, res = interpret(tmp_path, lines, Ending("reboot", "reboot", status=10), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_expected_reboot_after_a_failed_check_fails(tmp_path: Path) -> None:
    """The VM ending as announced does not undo a check that failed before."""
    lines = [
        proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"),
        proto("check result=fail req=SYSTEM-001 msg=reserved bits accepted"), proto("expect event=reboot code=0"),
    ]  # fmt: skip
    _, res = interpret(tmp_path, lines, Ending("reboot", "reboot", status=10), image=REBOOT_IMAGE)
    r = res["SYSTEM.reboot"]
    assert r.raw_status == "fail" and "1 check(s) failed before" in r.raw_message and "reserved bits accepted" in r.raw_message
    assert r.failed_checks == [{"req": "SYSTEM-001", "msg": "reserved bits accepted"}]


def test_expected_reboot_but_vm_faulted(tmp_path: Path) -> None:
    lines = [proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), proto("expect event=reboot")]
    _, res = interpret(tmp_path, lines, FAULT, image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "crash"


def test_expected_shutdown_with_wrong_code(tmp_path: Path) -> None:
    lines = [proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), proto("expect event=shutdown code=7")]
    stderr = tmp_path / "e"
    stderr.write_text("hcabi-refvmm: shutdown code=3\n")
    _, res = interpret(tmp_path, lines, classify_refvmm(0, stderr), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "fail"
    assert "shutdown code=7" in res["SYSTEM.reboot"].raw_message


def test_shutdown_code_compared_as_u64(tmp_path: Path) -> None:
    lines = [proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), proto("expect event=crash code=-1")]
    stderr = tmp_path / "e"
    stderr.write_text("hcabi-refvmm: crash code=18446744073709551615\n")
    _, res = interpret(tmp_path, lines, classify_refvmm(12, stderr), image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_restart_satisfies_expected_reboot(tmp_path: Path) -> None:
    lines = [proto("hello image=system-reboot protocol=1"), HEAD[1], proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001"), proto("expect event=reboot")]
    lines += [proto("hello image=system-reboot protocol=1"), proto("test-begin name=SYSTEM.reboot reqs=SYSTEM-001")]
    _, res = interpret(tmp_path, lines, TIMEOUT, image=REBOOT_IMAGE)
    assert res["SYSTEM.reboot"].raw_status == "pass"


def test_unknown_test_and_stale_requirements_are_suite_errors(tmp_path: Path) -> None:
    lines = HEAD + [proto("test-begin name=TIME.zzz reqs=TIME-009"), proto("test-end name=TIME.zzz verdict=pass msg=")]
    lines += [proto("test-begin name=TIME.a reqs=TIME-001"), proto("test-end name=TIME.a verdict=pass msg=")]
    record, _ = interpret(tmp_path, lines, EXIT0, selected=[T1])
    errors = problems(record, "error")
    assert any("TIME.zzz" in e for e in errors)
    assert any("stale build" in e for e in errors)


def test_hcabi_absent(tmp_path: Path) -> None:
    lines = [proto("hello image=time protocol=1"), proto("discovery present=0 base=0x40000000 signature=TCGTCGTCGTCG"), proto("suite-end pass=0 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, EXIT0)
    assert record.discovery is not None and not record.discovery.present
    assert {r.raw_status for r in res.values()} == {"fail"}
    assert all("not present" in r.raw_message for r in res.values())


def test_test_newer_than_claimed_version_not_run(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [proto("suite-end pass=1 fail=0 skip=0 error=0")], EXIT0, selected=[T1, T3])
    assert res["TIME.new"].raw_status == "fail" and "claims HCABI 1.0" in res["TIME.new"].raw_message


def test_suite_end_without_a_selected_test_is_error(tmp_path: Path) -> None:
    _, res = interpret(tmp_path, HEAD + ok_test(T1) + [proto("suite-end pass=1 fail=0 skip=0 error=0")], EXIT0, selected=[T1, T2])
    assert res["TIME.b"].raw_status == "error"


def test_suite_end_count_mismatch_warns(tmp_path: Path) -> None:
    record, _ = interpret(tmp_path, HEAD + ok_test(T1) + [proto("suite-end pass=5 fail=0 skip=0 error=0")], EXIT0, selected=[T1])
    assert any("suite-end counts" in w for w in problems(record, "warning"))


def test_vmm_crash_after_suite_end_is_a_failure(tmp_path: Path) -> None:
    lines = HEAD + ok_test(T1) + ok_test(T2) + [proto("suite-end pass=2 fail=0 skip=0 error=0")]
    record, res = interpret(tmp_path, lines, Ending("signal", "the VMM was killed by SIGSEGV", status=-11))
    assert {r.raw_status for r in res.values()} == {"pass"}
    assert problems(record, "fail")


def test_missing_serial_file(tmp_path: Path) -> None:
    record, res = interpret_boot(IMAGE, tmp_path / "nope.serial", EXIT0, KNOWN, [T1])
    assert res[0].raw_status == "error"
    assert any("no serial log" in p.message for p in record.problems)


def test_refvmm_status_table(tmp_path: Path) -> None:
    err = tmp_path / "stderr"
    err.write_text("noise\nhcabi-refvmm: crash code=5\n")
    assert classify_refvmm(12, err).kind == "crash" and classify_refvmm(12, err).code == 5
    assert classify_refvmm(1, err).kind == "exit" and classify_refvmm(1, err).code == 0
    expected = {0: "shutdown", 2: "vmm-usage", 4: "host-error", 6: "fault", 8: "timeout", 10: "reboot", 14: "fault", -11: "signal"}
    assert {rc: classify_refvmm(rc, err).kind for rc in expected} == expected
