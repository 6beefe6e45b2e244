"""`hcabi-conform run` end to end, with fake VMMs: --target cmd with a fake
VMM; --target ref with a fake refvmm (direct) and a fake nested launcher."""

from __future__ import annotations

import json
import shlex
import shutil
import time
from pathlib import Path

import pytest
from conftest import Suite, absent_steps, by_test, failing, load, one_line_error, passing_steps, run_cli, skipping_steps

from hcabi_conform.protocol import MAX_LINE


def test_pass_everything(suite: Suite) -> None:
    report_path = suite.root / "r.json"
    res = run_cli(*suite.run_args("--json", str(report_path), "--jobs", "2"))
    assert res.rc == 0, res.out + res.err
    assert "verdict: CONFORMANT" in res.out
    assert res.err.count("hcabi-conform: [") == 5  # one progress line per boot
    rep = load(report_path)
    for key in ("spec_version", "tested_version", "profile", "implementation", "target", "verdict", "results", "requirements", "format_version", "timestamp", "host", "manifest"):
        assert key in rep
    assert rep["spec_version"] == "1.1" and rep["tested_version"] == "1.1" and rep["profile"] == "full"
    assert rep["implementation"] == {"id": "0x1", "version": "0x10000", "signature": "HCABIrefvmm0"}
    assert rep["manifest"]["sha256"] and rep["target"] == "cmd"
    assert {r["status"] for r in rep["results"]} == {"pass"}
    assert rep["requirements"]["TIME-001"] == {**rep["requirements"]["TIME-001"], "status": "pass", "tests": ["TIME.monotonic"]}
    for r in rep["results"]:
        assert set(r) >= {"test", "requirements", "status", "message"}
    # every boot's log is kept under --out
    for img in ("base", "time", "tlb", "x86", "system-reboot"):
        assert (suite.out / f"{img}.serial").stat().st_size > 0
    assert (suite.out / "report.json").exists()


def test_serial_on_stdout_without_serial_placeholder(suite: Suite) -> None:
    res = run_cli(*suite.run_args(serial=False))
    assert res.rc == 0, res.out + res.err


def test_failed_check(suite: Suite) -> None:
    suite.set_image("time", failing(passing_steps("time", suite.tests), "TIME.monotonic", "TIME-002", "expected ns, got ms", "wrong unit"))
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 3, res.out + res.err
    assert "TIME-002" in res.out and "GET_MONOTONIC MUST count nanoseconds." in res.out
    rep = load(suite.root / "r.json")
    assert rep["verdict"] == "non-conformant"
    assert by_test(rep)["TIME.monotonic"]["status"] == "fail"
    assert rep["requirements"]["TIME-001"]["status"] == "pass"
    assert rep["requirements"]["TIME-002"]["status"] == "fail"


def test_crash_mid_test_loses_only_that_boot(suite: Suite) -> None:
    suite.set_image("time", passing_steps("time", suite.tests)[:4] + [{"text": "last words"}, {"exit": 6, "stderr": "hcabi-refvmm: triple fault"}])
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 3, res.out + res.err
    rep = by_test(load(suite.root / "r.json"))
    assert rep["TIME.monotonic"]["status"] == "crash"
    assert "last words" in rep["TIME.monotonic"]["message"]
    assert rep["TIME.timer_vector"]["status"] == "crash"
    assert rep["BASE.get_spec_version"]["status"] == "pass"
    assert rep["X86.vmcall"]["status"] == "pass"


def test_hang_times_out_and_run_goes_on(suite: Suite) -> None:
    suite.set_image("tlb", passing_steps("tlb", suite.tests)[:4] + [{"hang": True}])
    start = time.monotonic()
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json"), "--timeout", "2"))
    assert time.monotonic() - start < 30
    assert res.rc == 3, res.out + res.err
    rep = by_test(load(suite.root / "r.json"))
    assert rep["TLB.flush"]["status"] == "timeout"
    assert rep["TIME.monotonic"]["status"] == "pass"


def test_vmm_exits_at_once(suite: Suite) -> None:
    suite.set_image("base", [{"exit": 1, "stderr": "vmm: cannot boot"}])
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")))
    assert res.rc == 4, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["verdict"] == "error"
    assert by_test(rep)["BASE.get_spec_version"]["status"] == "error"
    assert "no hello" in by_test(rep)["BASE.get_spec_version"]["message"]


def test_garbage_output(suite: Suite) -> None:
    suite.set_image("x86", [{"raw": "00ff13370a" * 200}, {"badcrc": "hello image=x86 protocol=2 nonce={nonce}"}, {"text": "\x1b[31mred"}, {"exit": 0}])
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json"), "--junit", str(suite.root / "r.xml"), "--html", str(suite.root / "r.html")))
    assert res.rc == 4, res.out + res.err
    rep = load(suite.root / "r.json")
    assert by_test(rep)["X86.vmcall"]["status"] == "error"
    boot = next(b for b in rep["boots"] if b["image"] == "x86")
    assert boot["garbled"] == 1
    import xml.etree.ElementTree as ET

    ET.parse(suite.root / "r.xml")  # still well-formed


def test_enormous_output_before_hello(suite: Suite) -> None:
    steps = [{"big": 12 * 1024 * 1024}, {"text": "z" * (MAX_LINE * 3)}] + passing_steps("base", suite.tests)
    suite.set_image("base", steps)
    res = run_cli(*suite.run_args("--filter", "BASE.*", "--json", str(suite.root / "r.json")))
    assert res.rc == 0, res.out + res.err
    assert {r["status"] for r in load(suite.root / "r.json")["results"]} == {"pass"}


def test_hcabi_absent(suite: Suite) -> None:
    for img in suite.images:
        suite.set_image(img["name"], absent_steps(img["name"]))
    res = run_cli(*suite.run_args())
    assert res.rc == 3, res.out + res.err
    assert "HCABI is not present" in res.out


def test_required_extension_not_advertised(suite: Suite) -> None:
    exts = "BASE:1,TIME:1,SYSTEM:1"
    for img in suite.images:
        suite.set_image(img["name"], passing_steps(img["name"], suite.tests, exts=exts))
    suite.set_image("tlb", skipping_steps("tlb", "TLB.flush", "TLB-001", exts, "TLB not advertised"))
    full = run_cli(*suite.run_args("--json", str(suite.root / "full.json")))
    assert full.rc == 3 and "required extension TLB not advertised" in full.out
    core = run_cli(*suite.run_args("--profile", "core", "--json", str(suite.root / "core.json")))
    assert core.rc == 0, core.out
    assert by_test(load(suite.root / "core.json"))["TLB.flush"]["status"] == "skip"


def test_spec_version_pins_and_selects(suite: Suite) -> None:
    template = suite.vmm_cmd() + " --spec-version {spec_version}"
    res = run_cli(
        "run", "--target", "cmd", "--vmm-cmd", template, "--vmm-exit", "reboot=10", *suite.common(), "--out", str(suite.out),
        "--spec-version", "1.0", "--json", str(suite.root / "r.json"),
    )  # fmt: skip
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["tested_version"] == "1.0" and rep["spec_version"] == "1.0"
    assert "TIME.timer_vector" not in by_test(rep)
    assert "TIME-004" not in rep["requirements"]
    argv = json.loads((suite.images_dir / "hcabi-conf-base.elf.argv.json").read_text())
    assert argv[-2:] == ["--spec-version", "1.0"]


def test_tested_version_follows_the_claim(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--json", str(suite.root / "r.json")), env={"FAKE_SPEC": "1.0"})
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["tested_version"] == "1.0" and "TIME.timer_vector" not in by_test(rep)


def test_asking_for_newer_version_than_claimed(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--spec-version", "1.1", "--json", str(suite.root / "r.json")), env={"FAKE_SPEC": "1.0"})
    assert res.rc == 3, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["tested_version"] == "1.1" and rep["spec_version"] == "1.0"
    assert "older than the tested version 1.1" in res.out


def test_filter(suite: Suite) -> None:
    res = run_cli(*suite.run_args("--filter", "TIME.*", "--json", str(suite.root / "r.json")))
    assert res.rc == 0
    rep = load(suite.root / "r.json")
    assert set(by_test(rep)) == {"TIME.monotonic", "TIME.timer_vector"}
    assert rep["selection"]["partial"] is True


def test_shards_and_merge(suite: Suite) -> None:
    paths = []
    for i in (1, 2, 3):
        path = suite.root / f"shard{i}.json"
        res = run_cli(*suite.run_args("--shard", f"{i}/3", "--json", str(path)))
        assert res.rc == 0, res.out + res.err
        paths.append(path)
    images = [load(p)["selection"]["images"] for p in paths]
    assert sorted(sum(images, [])) == ["base", "system-reboot", "time", "tlb", "x86"]
    assert images[0] == ["base", "tlb"]  # deterministic: name order, round robin
    merged = suite.root / "merged.json"
    res = run_cli("merge", *map(str, paths), "--json", str(merged), "--junit", str(suite.root / "m.xml"), "--manifest", str(suite.manifest))
    assert res.rc == 0, res.out + res.err
    rep = load(merged)
    assert rep["selection"]["partial"] is False and rep["verdict"] == "conformant"
    assert len(rep["results"]) == 7
    gate = run_cli("gate", "--report", str(merged), "--require", "1.1", *suite.common())
    assert gate.rc == 0, gate.out
    # two shards of three: still partial, and the gate says so
    part = suite.root / "part.json"
    run_cli("merge", str(paths[0]), str(paths[1]), "--allow-partial", "--json", str(part), "--manifest", str(suite.manifest))
    gate = run_cli("gate", "--report", str(part), "--require", "1.1", *suite.common())
    assert gate.rc == 3 and "partial" in gate.out


def test_merge_rejects_mismatch(suite: Suite) -> None:
    a, b = suite.root / "a.json", suite.root / "b.json"
    run_cli(*suite.run_args("--shard", "1/2", "--json", str(a)))
    run_cli(*suite.run_args("--shard", "2/2", "--profile", "core", "--json", str(b)))
    res = run_cli("merge", str(a), str(b), "--json", str(suite.root / "m.json"), "--manifest", str(suite.manifest))
    assert res.rc == 4
    assert "different profiles" in one_line_error(res)
    res = run_cli("merge", str(a), str(a), "--json", str(suite.root / "m.json"), "--manifest", str(suite.manifest))
    assert res.rc == 4 and "twice" in one_line_error(res)


# -- target ref ----------------------------------------------------------------


def test_ref_direct_with_fake_refvmm(suite: Suite) -> None:
    suite.install_refvmm()
    res = run_cli("run", "--ref-mode", "direct", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["target"] == "ref" and rep["target_info"]["mode"] == "direct"
    reboot = by_test(rep)["SYSTEM.reboot"]
    assert reboot["status"] == "pass" and "as expected" in reboot["message"]
    argv = json.loads((suite.images_dir / "hcabi-conf-time.elf.argv.json").read_text())
    nonce = next(b for b in rep["boots"] if b["image"] == "time")["evidence"]["nonce"]
    assert argv == [
        "--vcpus", "2", "--memory", "64M", "--serial", "-", "--timeout", "60", "--no-reboot",
        "--cmdline", f"hcabi.nonce={nonce} hcabi.console_input=200", "--serial-limit", str(16 << 20),
        f"--console-input={suite.out / 'time.console-in'}", str(suite.images_dir / "hcabi-conf-time.elf"),
    ]  # fmt: skip


def test_ref_direct_refvmm_timeout_and_wrong_end(suite: Suite) -> None:
    suite.install_refvmm()
    suite.set_image("tlb", passing_steps("tlb", suite.tests)[:4] + [{"hang": True}])
    reboot = passing_steps("system-reboot", suite.tests)
    reboot[-1] = {"exit": 12, "stderr": "hcabi-refvmm: crash code=0"}  # crashed instead of rebooting
    suite.set_image("system-reboot", reboot)
    res = run_cli("run", "--ref-mode", "direct", "--timeout", "1", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 3, res.out + res.err
    rep = by_test(load(suite.root / "r.json"))
    assert rep["TLB.flush"]["status"] == "timeout"
    assert rep["SYSTEM.reboot"]["status"] == "fail" and "expected the VM to end by reboot" in rep["SYSTEM.reboot"]["message"]


def test_ref_nested_with_fake_launcher(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--spec-version", "1.0", "--jobs", "2", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["target_info"]["mode"] == "nested" and rep["tested_version"] == "1.0"
    inv = json.loads((suite.out / "nested-0" / "invocation.json").read_text())
    assert "--job-timeout" in inv["argv"] and "--out" in inv["argv"]
    first = inv["jobs"].splitlines()[0]
    name, args = first.split("\t")
    assert name == "base"
    assert args.split()[0].endswith("hcabi-refvmm") and "--spec-version 1.0" in args and "--timeout 300" in args
    assert (suite.out / "base.serial").exists() and (suite.out / "base.status").exists()


def test_ref_nested_passes_the_holder(suite: Suite) -> None:
    """With BUILD/scripts/hcabi-nested-probe built, every nested batch runs
    with it as the launcher's holder (--holder 'PROBE --hold')."""
    suite.install_refvmm()
    launcher = suite.install_launcher()
    probe = suite.build / "scripts" / "hcabi-nested-probe"
    probe.parent.mkdir(parents=True)
    probe.write_bytes(b"\x7fELF static probe")
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--jobs", "2", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    for batch in ("nested-0", "nested-1"):
        argv = json.loads((suite.out / batch / "invocation.json").read_text())["argv"]
        holder = [a for a in argv if a.startswith("--holder")]
        assert holder == ["--holder=" + shlex.join([str(probe), "--hold"])], argv
        assert argv.index(holder[0]) < len(argv) - 1  # an option, before JOBFILE
    assert load(suite.root / "r.json")["target_info"]["holder"] == shlex.join([str(probe), "--hold"])


def test_ref_nested_without_probe_passes_no_holder(suite: Suite) -> None:
    """No probe in the build: no --holder (the launcher's own default applies)."""
    suite.install_refvmm()
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    argv = json.loads((suite.out / "nested-0" / "invocation.json").read_text())["argv"]
    assert not any(a.startswith("--holder") for a in argv)
    assert "holder" not in load(suite.root / "r.json")["target_info"]


def test_ref_nested_launcher_failure_is_error(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.install_launcher()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), *suite.common(), "--out", str(suite.out), env={"FAKE_LAUNCHER_FAIL": "1"})
    assert res.rc == 4, res.out + res.err
    assert "KVM could not be brought up" in res.out


def test_ref_nested_job_killed_is_timeout(suite: Suite) -> None:
    suite.install_refvmm()
    launcher = suite.install_launcher()
    # A refvmm that ignores its own --timeout: the launcher's --job-timeout kills it.
    steps = passing_steps("tlb", suite.tests)[:4] + [{"text": "stuck"}, {"raw": ""}]
    steps.append({"hang": True})
    suite.set_image("tlb", steps)
    refvmm = suite.build / "reference-impl" / "refvmm" / "hcabi-refvmm"
    refvmm.write_text(refvmm.read_text().replace('if "--timeout" in opts:', "if False:"))
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--filter", "TLB.*", "--timeout", "1", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 3, res.out + res.err
    assert by_test(load(suite.root / "r.json"))["TLB.flush"]["status"] == "timeout"


FAULTS = ["--inject-fault=BASE.GET_IMPL_ID:clobber:r11", "--inject-fault", "TIME.GET_WALLCLOCK:value:0x8000000000000000"]


def test_ref_direct_passes_refvmm_args(suite: Suite) -> None:
    """--refvmm-arg (repeatable) reaches every refvmm after the runner's own
    options and before IMAGE (refvmm stops at its first operand), and the
    report records it."""
    suite.install_refvmm()
    extra = [f"--refvmm-arg={a}" for a in FAULTS]
    res = run_cli("run", "--ref-mode", "direct", *extra, "--filter", "TIME.*", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 0, res.out + res.err
    assert "--refvmm-arg" in res.err  # the note says the VMM runs with extra arguments
    argv = json.loads((suite.images_dir / "hcabi-conf-time.elf.argv.json").read_text())
    assert argv[-4:] == FAULTS + [str(suite.images_dir / "hcabi-conf-time.elf")], argv
    assert argv[:2] == ["--vcpus", "2"]
    assert load(suite.root / "r.json")["target_info"]["vmm_args"] == FAULTS


def test_ref_nested_passes_refvmm_args_and_cache(suite: Suite) -> None:
    """Nested: the extra arguments are in every job line, before IMAGE; and
    $HCABI_NESTED_CACHE, when set, is the launcher's --cache (CMake sets it
    from -DHCABI_NESTED_CACHE), else BUILD/nested-cache."""
    suite.install_refvmm()
    launcher = suite.install_launcher()
    extra = [f"--refvmm-arg={a}" for a in FAULTS]
    cache = suite.root / "shared-cache"
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), *extra, *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"), env={"HCABI_NESTED_CACHE": str(cache)})
    assert res.rc == 0, res.out + res.err
    inv = json.loads((suite.out / "nested-0" / "invocation.json").read_text())
    assert inv["argv"][inv["argv"].index("--cache") + 1] == str(cache)
    for line in inv["jobs"].splitlines():
        name, args = line.split("\t")
        words = shlex.split(args)
        assert words[-4:-1] == FAULTS and words[-1].endswith(".elf"), words
    assert load(suite.root / "r.json")["target_info"]["vmm_args"] == FAULTS
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(launcher), "--filter", "TLB.*", *suite.common(), "--out", str(suite.out), env={"HCABI_NESTED_CACHE": ""})
    assert res.rc == 0, res.out + res.err
    inv = json.loads((suite.out / "nested-0" / "invocation.json").read_text())
    assert inv["argv"][inv["argv"].index("--cache") + 1] == str(suite.build / "nested-cache")


def test_refvmm_arg_only_for_ref(suite: Suite) -> None:
    res = run_cli("run", "--target", "qemu", "--refvmm-arg=--inject-fault=BASE.GET_IMPL_ID:value:1", *suite.common())
    assert res.rc == 2 and "--refvmm-arg is only for --target ref" in one_line_error(res)


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="QEMU not installed")
def test_qemu_target_with_unbootable_image_is_error(suite: Suite) -> None:
    res = run_cli("run", "--target", "qemu", "--filter", "X86.*", "--timeout", "30", *suite.common(), "--out", str(suite.out), "--json", str(suite.root / "r.json"))
    assert res.rc == 4, res.out + res.err
    rep = load(suite.root / "r.json")
    assert rep["target"] == "qemu" and by_test(rep)["X86.vmcall"]["status"] == "error"
    assert "-kernel" in rep["boots"][0]["command"] and "isa-debug-exit,iobase=0xf4,iosize=0x04" in rep["boots"][0]["command"]


FAKE_QEMU = """import sys
if "kvm" in sys.argv and "-S" in sys.argv:  # the KVM probe
    sys.stdin.read()
    if {broken}:
        print("(qemu) qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69", flush=True)
        import os, signal
        os.kill(os.getpid(), signal.SIGABRT)
    sys.exit(0)
if "kvm" in sys.argv and {stuck}:  # KVM starts the VM, then cannot emulate what the guest runs
    print("KVM internal error. Suberror: 1", file=sys.stderr, flush=True)
    import time
    time.sleep(60)
sys.exit(1)
"""


@pytest.mark.parametrize("broken", [True, False])
def test_qemu_accel_auto_probes_qemu_on_kvm(suite: Suite, monkeypatch: pytest.MonkeyPatch, broken: bool) -> None:
    """--qemu-accel auto picks KVM only when /dev/kvm is usable *and* QEMU
    really runs a VM on it: a /dev/kvm that opens but on which QEMU aborts
    (nested under another hypervisor) means TCG, and the report says why."""
    import argparse
    import sys as _sys

    from hcabi_conform import cli, cli_run
    from hcabi_conform.target_qemu import qemu_kvm_probe
    from hcabi_conform.targets import KvmProbe

    qemu = suite.root / "fake-qemu"
    qemu.write_text(f"#!{_sys.executable}\n" + FAKE_QEMU.format(broken=broken, stuck=False))
    qemu.chmod(0o755)
    ok, why = qemu_kvm_probe(str(qemu))
    assert ok is not broken, why
    ok, why = qemu_kvm_probe(str(qemu), suite.images_dir / "hcabi-conf-base.elf")
    assert ok is not broken, why
    if broken:
        assert "killed by SIGABRT" in why and "failed to set MSR 0x10a" in why and "(qemu)" not in why
    monkeypatch.setattr(cli_run, "kvm_probe", lambda: KvmProbe(True, False, "usable"))
    args = cli.build_parser().parse_args(["run", "--target", "qemu", "--qemu", str(qemu)])
    target = cli.make_target(args, cli._paths(argparse.Namespace(build_dir=str(suite.build), manifest=None)), suite.out)
    assert target.mode == ("tcg" if broken else "kvm")
    assert ("why" in target.describe()) is broken
    monkeypatch.setattr(cli_run, "kvm_probe", lambda: KvmProbe(False, False, "cannot open /dev/kvm: No such file"))
    target = cli.make_target(args, cli._paths(argparse.Namespace(build_dir=str(suite.build), manifest=None)), suite.out)
    assert target.mode == "tcg" and target.describe()["why"] == "cannot open /dev/kvm: No such file"
    forced = cli.build_parser().parse_args(["run", "--target", "qemu", "--qemu", str(qemu), "--qemu-accel", "kvm"])
    assert cli.make_target(forced, cli._paths(argparse.Namespace(build_dir=str(suite.build), manifest=None)), suite.out).mode == "kvm"


def test_qemu_kvm_probe_boots_an_image(suite: Suite) -> None:
    """A KVM on which QEMU starts but cannot run the guest (it stops at an
    internal error and sits paused) is not usable: the probe boots a real
    image and gives up after its short timeout, naming QEMU's error, instead
    of letting every boot wait for its whole timeout."""
    import sys as _sys
    import time as _time

    from hcabi_conform.target_qemu import qemu_kvm_probe

    qemu = suite.root / "stuck-qemu"
    qemu.write_text(f"#!{_sys.executable}\n" + FAKE_QEMU.format(broken=False, stuck=True))
    qemu.chmod(0o755)
    ok, why = qemu_kvm_probe(str(qemu))
    assert ok, why  # the paused start alone cannot see it
    start = _time.monotonic()
    ok, why = qemu_kvm_probe(str(qemu), suite.images_dir / "hcabi-conf-base.elf", run_timeout=2)
    assert not ok and _time.monotonic() - start < 20
    assert "did not run hcabi-conf-base.elf to its end within 2 s" in why and "KVM internal error" in why, why


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_interrupt_kills_hung_vmms(suite: Suite, signum: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    from conftest import WRAPPER

    suite.set_image("tlb", passing_steps("tlb", suite.tests)[:4] + [{"hang": True}])
    pid_file = suite.images_dir / "hcabi-conf-tlb.elf.pid"
    proc = subprocess.Popen([sys.executable, str(WRAPPER), *suite.run_args("--filter", "TLB.*")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    vmm = int(pid_file.read_text())
    proc.send_signal(getattr(signal, signum))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    for _ in range(100):
        try:
            os.kill(vmm, 0)
            state = Path(f"/proc/{vmm}/status").read_text()
            if "zombie" in state:
                break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the hung VMM {vmm} survived the runner")
