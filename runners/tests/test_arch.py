"""--arch: the architecture picks its suite (BUILD/conformance-arm64), its
QEMU command, its refvmm and the nested launcher's --arch, the requirements
the verdict and the gate judge; reports name it, and `gate --arch` refuses a
report of another architecture. Fake VMMs, QEMU and launcher: nothing boots."""

from __future__ import annotations

import json
import shlex
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FAKE_VMM, Suite, absent_steps, by_test, load, one_line_error, passing_steps, run_cli, write_image

from hcabi_conform import cli, layout
from hcabi_conform.imagearch import image_arch
from hcabi_conform.manifests import ImageSpec
from hcabi_conform.model import Discovery
from hcabi_conform.target_qemu import Qemu
from hcabi_conform.targets import BootJob
from hcabi_conform.verdict import absence_reason

ARM64_TEST = {"name": "ARM64.hvc", "image": "arm64", "extension": "ARM64", "requirements": ["ARM64-001"], "since": "1.0"}
ARM64_IMAGE = {"name": "arm64", "file": "hcabi-conf-arm64.bin", "vcpus": 1, "memory_mib": 64, "ends": "exit"}
SAID = "discovery: HVC DISCOVER returned x0=0xffffffffffffffff x1=0x0 x2=0x0 x3=0x0: no HCABI"


class Arm64Suite:
    """The synthetic suite with an arm64 binding (ARM64-001, which replaces nothing;
    X86-001 applies on x86-64 only) and an arm64 build of the suite in
    BUILD/conformance-arm64: every test but X86.vmcall, plus ARM64.hvc."""

    def __init__(self, root: Path) -> None:
        self.x86 = Suite(root)
        reqs = self.x86.requirements
        reqs["architectures"] = {"x86_64": ["X86"], "arm64": ["ARM64"], "riscv64": ["RV64"]}
        reqs["requirements"].append({"id": "ARM64-001", "text": "HVC #0 MUST reach the hypervisor.", "area": "ARM64", "function": None, "since": "1.0"})
        self.x86.write()
        self.tests = [t for t in self.x86.tests if t["extension"] != "X86"] + [ARM64_TEST]
        self.images = [i for i in self.x86.images if i["name"] != "x86"] + [ARM64_IMAGE]
        self.images_dir.mkdir(parents=True)
        (self.dir / "conformance" / "tests.json").write_text(json.dumps({"images": self.images, "tests": self.tests}))
        for img in self.images:
            self.set_image(img["name"], passing_steps(img["name"], self.tests))

    @property
    def dir(self) -> Path:
        return self.x86.build / "conformance-arm64"

    @property
    def images_dir(self) -> Path:
        return self.dir / "conformance" / "images"

    def set_image(self, name: str, steps: list[dict[str, Any]]) -> None:
        write_image(self.images_dir / next(i["file"] for i in self.images if i["name"] == name), steps, self.x86.key)

    def run_args(self, *extra: str) -> list[str]:
        return [*self.x86.run_args(*extra), "--arch", "arm64"]


@pytest.fixture
def arm(tmp_path: Path) -> Arm64Suite:
    return Arm64Suite(tmp_path)


def _elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(11) + struct.pack("<H", machine) + bytes(44)


@pytest.mark.parametrize(
    "head, arch",
    [
        (_elf(62), "x86_64"),
        (_elf(183), "arm64"),
        (_elf(243), "riscv64"),
        (bytes(56) + b"ARM\x64" + bytes(4), "arm64"),  # the Linux arm64 Image header's magic
        (bytes(48) + b"RISCV\0\0\0" + b"RSC\x05" + bytes(4), "riscv64"),
        (_elf(40), None),  # 32-bit Arm: not an architecture of the suite
        (b'{"steps": []}', None),
    ],
)
def test_image_arch_reads_the_header(tmp_path: Path, head: bytes, arch: str | None) -> None:
    path = tmp_path / "image"
    path.write_bytes(head)
    assert image_arch(path) == arch
    assert image_arch(tmp_path / "missing") is None


def test_each_architecture_lists_its_own_suite(arm: Arm64Suite) -> None:
    x86 = json.loads(run_cli("list", "--json", *arm.x86.common()).out)
    a64 = json.loads(run_cli("list", "--json", "--arch", "arm64", *arm.x86.common()).out)
    assert "X86.vmcall" in {t["name"] for t in x86["tests"]} and "ARM64.hvc" not in {t["name"] for t in x86["tests"]}
    assert "ARM64.hvc" in {t["name"] for t in a64["tests"]} and "X86.vmcall" not in {t["name"] for t in a64["tests"]}
    # a --build-dir that is the arm64 build itself (docs/arm64.md's command) is that suite too
    direct = json.loads(run_cli("list", "--json", "--arch", "arm64", "--build-dir", str(arm.dir), "--manifest", str(arm.x86.manifest)).out)
    assert direct == a64


def test_coverage_lists_a_citation_of_another_binding(arm: Arm64Suite) -> None:
    """An arm64 test citing the x86-64 binding's requirement (as the value-zero rule's
    tests once cited X86-005 everywhere) credits it in arm64 reports: listed."""
    assert "foreign" not in run_cli("coverage", "--arch", "arm64", *arm.x86.common()).out
    arm.tests[-1] = {**ARM64_TEST, "requirements": ["ARM64-001", "X86-001"]}
    (arm.dir / "conformance" / "tests.json").write_text(json.dumps({"images": arm.images, "tests": arm.tests}))
    res = run_cli("coverage", "--arch", "arm64", *arm.x86.common())
    assert res.rc == 0, res.out
    assert ("foreign (listed, not a gap): test ARM64.hvc cites X86-001, a requirement of the x86_64 binding, "
            "which does not apply on arm64") in res.out
    data = json.loads(run_cli("coverage", "--arch", "arm64", "--json", *arm.x86.common()).out)
    assert data["foreign"] == [{"test": "ARM64.hvc", "requirement": "X86-001", "arch": "x86_64"}]


def test_an_x86_build_is_not_taken_for_arm64(tmp_path: Path) -> None:
    """No BUILD/conformance-arm64: the x86-64 images are refused, in one line, exit 4."""
    suite = Suite(tmp_path).write()
    (suite.images_dir / "hcabi-conf-base.elf").write_bytes(_elf(62))
    res = run_cli("list", "--arch", "arm64", *suite.common())
    assert res.rc == 4
    assert one_line_error(res) == (
        f"hcabi-conform: error: --arch arm64: {suite.images_dir} holds x86_64 images, not arm64 ones ({suite.build / 'conformance-arm64'} is not built)"
    )
    res = run_cli("run", "--arch", "arm64", "--target", "qemu", *suite.common())
    assert res.rc == 4 and "holds x86_64 images, not arm64 ones" in one_line_error(res)


def test_an_x86_build_is_not_taken_for_riscv64(tmp_path: Path) -> None:
    """No BUILD/conformance-riscv64: the x86-64 images are refused as riscv64
    ones, in one line, exit 4, whatever the command."""
    suite = Suite(tmp_path).write()
    (suite.images_dir / "hcabi-conf-base.elf").write_bytes(_elf(62))
    for command in (["list"], ["run", "--target", "qemu"], ["coverage"]):
        res = run_cli(*command, "--arch", "riscv64", *suite.common())
        assert res.rc == 4, res.out + res.err
        assert one_line_error(res) == (
            f"hcabi-conform: error: --arch riscv64: {suite.images_dir} holds x86_64 images, not riscv64 ones ({suite.build / 'conformance-riscv64'} is not built)"
        )


def _job(tmp_path: Path, arch_file: str = "hcabi-conf-base.bin") -> BootJob:
    image = ImageSpec("base", arch_file, 2, 64, "exit")
    return BootJob(image, tmp_path / arch_file, tmp_path / "base.serial", tmp_path / "base.stderr", 30.0, None, nonce="ab" * 16)


def test_qemu_argv_per_architecture(tmp_path: Path) -> None:
    """arm64: docs/arm64.md's command (virt, PL011 on stdio, no isa-debug-exit);
    riscv64: docs/riscv64.md's (virt with the S-level IMSICs, QEMU's OpenSBI);
    x86-64: unchanged (q35, isa-debug-exit)."""
    job = _job(tmp_path)
    nonce = "hcabi.nonce=" + "ab" * 16
    assert Qemu("qemu-system-aarch64", False, arch="arm64").command(job) == [
        "qemu-system-aarch64", "-accel", "tcg", "-M", "virt,gic-version=3", "-cpu", "max", "-smp", "2", "-m", "64",
        "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", str(job.image_path), "-append", nonce,
    ]  # fmt: skip
    assert Qemu("qemu-system-riscv64", False, arch="riscv64").command(job) == [
        "qemu-system-riscv64", "-accel", "tcg", "-M", "virt,aia=aplic-imsic", "-cpu", "rv64", "-bios", "default",
        "-smp", "2", "-m", "64", "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-kernel", str(job.image_path), "-append", nonce,
    ]  # fmt: skip
    assert Qemu("qemu-system-x86_64", False).command(job) == [
        "qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "64",
        "-nographic", "-monitor", "none", "-serial", "stdio", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", str(job.image_path), "-append", nonce,
    ]  # fmt: skip
    # arm64 has no isa-debug-exit: an odd status is not a guest's exit code
    stderr = tmp_path / "err"
    stderr.write_text("")
    assert Qemu("q", False, arch="arm64").classify(1, stderr).kind == "exited"
    assert Qemu("q", False).classify(1, stderr).kind == "exit"
    assert Qemu("q", False, arch="arm64").classify(0, stderr).kind == "exited"
    assert Qemu("q", False, arch="riscv64").classify(1, stderr).kind == "exited"  # SBI SRST, no debug exit


def _target(arm: Arm64Suite, monkeypatch: pytest.MonkeyPatch, *words: str) -> Any:
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    args = cli.build_parser().parse_args(["run", *words, *arm.x86.common()])
    return cli.make_target(args, cli._paths(args), arm.x86.out)


def test_qemu_target_picks_the_architecture_s_qemu(arm: Arm64Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(arm, monkeypatch, "--target", "qemu", "--arch", "arm64")
    assert (target.binary, target.mode, target.arch) == ("qemu-system-aarch64", "tcg", "arm64")
    assert target.why == "KVM here runs x86_64 guests, not arm64 ones"
    assert _target(arm, monkeypatch, "--target", "qemu", "--qemu-accel", "tcg").binary == "qemu-system-x86_64"
    with pytest.raises(cli.HcabiError, match="--qemu-accel kvm: KVM here runs x86_64 guests, not arm64 ones"):
        _target(arm, monkeypatch, "--target", "qemu", "--arch", "arm64", "--qemu-accel", "kvm")
    with pytest.raises(cli.HcabiError, match="--ref-mode direct: KVM here runs x86_64 guests"):
        _target(arm, monkeypatch, "--arch", "arm64", "--ref-mode", "direct")


FAKE_QEMU = """
import json, os, sys
a = sys.argv[1:]
with open(os.environ["FAKE_QEMU_ARGV"], "a") as f:
    f.write(json.dumps(a) + "\\n")
os.execv(sys.executable, [sys.executable, {vmm!r}, "--cmdline", a[a.index("-append") + 1], a[a.index("-kernel") + 1]])
"""


def test_qemu_target_on_arm64_says_hcabi_is_absent(arm: Arm64Suite) -> None:
    """Plain QEMU for arm64: exit 3, the arm64 binding's absence (what the
    image said DISCOVER answered), every log verified, the report's arch."""
    for img in arm.images:
        hello, *rest = absent_steps(img["name"])[:-1]  # the runtime prints its discovery's answer after hello
        arm.set_image(img["name"], [hello, {"text": SAID}, *rest, {"exit": 0}])
    qemu = arm.x86.root / "qemu-system-aarch64"
    qemu.write_text(f"#!{sys.executable}\n" + FAKE_QEMU.format(vmm=str(arm.x86.fake_vmm)))
    qemu.chmod(0o755)
    argv_log = arm.x86.root / "qemu-argv"
    report = arm.x86.root / "r.json"
    res = run_cli("run", "--target", "qemu", "--arch", "arm64", "--qemu", str(qemu), *arm.x86.common(), "--json", str(report), env={"FAKE_QEMU_ARGV": str(argv_log)})
    assert res.rc == 3, res.out + res.err
    assert "verdict: NON-CONFORMANT (HCABI 1.1, profile full, architecture arm64): HCABI not present on this target" in res.out
    rep = load(report)
    assert rep["arch"] == "arm64" and rep["hcabi_present"] is False
    assert rep["reasons"]["failures"][0] == (
        "HCABI is not present: HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID (0xC6004800) did not return x0 = 0 and x1 = 'HCA1' (ARM64-017)"
        f" (the image said: {SAID})"
    )
    assert all(b["evidence"]["verified"] for b in rep["boots"]) and len(rep["boots"]) == len(arm.images)
    assert "X86-001" not in rep["requirements"] and rep["requirements"]["ARM64-001"]["status"] == "fail"
    argvs = [json.loads(line) for line in argv_log.read_text().splitlines()]
    assert all(a[:5] == ["-accel", "tcg", "-M", "virt,gic-version=3", "-cpu"] and "isa-debug-exit,iobase=0xf4,iosize=0x04" not in " ".join(a) for a in argvs)
    # the default logs directory is the architecture's own
    assert (arm.x86.build / "conform-out-arm64" / "base.serial").is_file()


def test_ref_target_without_refvmm_arm64_is_one_line(arm: Arm64Suite) -> None:
    arm.x86.install_refvmm()  # the x86-64 one is there; it does not stand in for arm64
    res = run_cli("run", "--arch", "arm64", "--ref-mode", "nested", "--launcher", str(arm.x86.install_launcher()), *arm.x86.common())
    assert res.rc == 4
    want = f"hcabi-conform: error: --target ref --arch arm64: there is no hcabi-refvmm for arm64 at {arm.x86.build / 'refvmm-arm64' / 'hcabi-refvmm'} (refvmm arm64 is not built)"
    assert one_line_error(res) == want


def test_ref_target_on_arm64_runs_refvmm_arm64_through_the_launcher(arm: Arm64Suite) -> None:
    """refvmm arm64 (layout.REFVMM_PATHS) nested through `hcabi-nested --arch arm64`,
    without the x86-64 holder; the report is arm64's and CONFORMANT."""
    refvmm = arm.x86.build / layout.REFVMM_PATHS["arm64"]
    refvmm.parent.mkdir(parents=True)
    refvmm.write_text(f"#!{sys.executable}\n{FAKE_VMM}")
    refvmm.chmod(0o755)
    probe = arm.x86.build / "scripts" / "hcabi-nested-probe"
    probe.parent.mkdir(parents=True)
    probe.write_bytes(_elf(62))
    report = arm.x86.root / "r.json"
    res = run_cli("run", "--arch", "arm64", "--launcher", str(arm.x86.install_launcher()), *arm.x86.common(), "--out", str(arm.x86.out), "--json", str(report))
    assert res.rc == 0, res.out + res.err
    inv = json.loads((arm.x86.out / "nested-0" / "invocation.json").read_text())
    assert inv["argv"][:2] == ["--arch", "arm64"] and not any(a.startswith("--holder") for a in inv["argv"])
    assert all(shlex.split(job.split("\t")[1])[0] == str(refvmm) for job in inv["jobs"].splitlines())
    rep = load(report)
    assert rep["arch"] == "arm64" and rep["target_info"]["mode"] == "nested" and rep["verdict"] == "conformant"
    assert by_test(rep)["ARM64.hvc"]["status"] == "pass"


def test_an_x86_run_passes_no_arch_to_the_launcher(suite: Suite) -> None:
    suite.install_refvmm()
    res = run_cli("run", "--ref-mode", "nested", "--launcher", str(suite.install_launcher()), *suite.common(), "--out", str(suite.out))
    assert res.rc == 0, res.out + res.err
    assert "--arch" not in json.loads((suite.out / "nested-0" / "invocation.json").read_text())["argv"]


@pytest.fixture
def reports(arm: Arm64Suite) -> dict[str, Path]:
    """A CONFORMANT run on each architecture (the fake VMM, --target cmd)."""
    out = {}
    for arch in ("x86_64", "arm64"):
        path = arm.x86.root / f"{arch}.json"
        res = run_cli(*arm.x86.run_args("--json", str(path), "--arch", arch))
        assert res.rc == 0, res.out + res.err
        out[arch] = path
    return out


def _gate(arm: Arm64Suite, report: Path, *extra: str) -> Any:
    return run_cli("gate", "--report", str(report), "--require", "1.1", *arm.x86.common(), *extra)


def test_gate_accepts_each_architecture_s_report_for_it(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    res = _gate(arm, reports["arm64"], "--arch", "arm64")
    assert res.rc == 0, res.out + res.err
    assert "proves conformance to HCABI 1.1, profile full, architecture arm64" in res.out
    res = _gate(arm, reports["x86_64"])
    assert res.rc == 0 and "proves conformance to HCABI 1.1, profile full, architecture x86_64" in res.out, res.out + res.err


def test_gate_rejects_a_report_of_another_architecture(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    """An x86-64 report offered as arm64 (and the reverse) is rejected with that one reason."""
    for report, arch, other in ((reports["x86_64"], "arm64", "x86_64"), (reports["arm64"], "x86_64", "arm64")):
        res = _gate(arm, report, "--arch", arch)
        assert res.rc == 3, res.out + res.err
        assert res.out.splitlines()[1:] == [f"  - the report is of architecture {other}, not {arch} (--arch {arch}): it proves nothing about {arch}"]


def test_a_report_without_arch_is_x86_64(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    """Reports from before the field: x86-64, the only architecture then."""
    data = load(reports["x86_64"])
    del data["arch"]
    old = arm.x86.root / "old.json"
    old.write_text(json.dumps(data))
    assert _gate(arm, old).rc == 0
    res = _gate(arm, old, "--arch", "arm64")
    assert res.rc == 3 and "the report is of architecture x86_64, not arm64" in res.out


def test_the_arch_field_is_checked(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    data = load(reports["arm64"])
    data["arch"] = "sparc"
    bad = arm.x86.root / "bad.json"
    bad.write_text(json.dumps(data))
    res = _gate(arm, bad, "--arch", "arm64")
    assert res.rc == 4
    assert one_line_error(res) == f"hcabi-conform: error: {bad} is a malformed report: $.arch: expected one of x86_64/arm64/riscv64, got 'sparc'"


def test_an_arm64_report_edited_to_x86_64_is_inconsistent(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    """Relabelling an arm64 report as x86-64 does not make it an x86-64 proof: judged
    with the x86-64 requirements, its table lacks X86-001 and lists ARM64-001."""
    data = load(reports["arm64"])
    data["arch"] = "x86_64"
    moved = arm.x86.root / "moved.json"
    moved.write_text(json.dumps(data))
    res = _gate(arm, moved)
    assert res.rc == 3
    assert "  - the report cites requirement ARM64-001, which does not apply on x86_64" in res.out.splitlines(), res.out
    assert "  - the report is inconsistent: requirement X86-001 of its tested version has no row in its requirements table" in res.out.splitlines()


def test_merge_refuses_shards_of_different_architectures(arm: Arm64Suite) -> None:
    paths = []
    for i, arch in ((1, "x86_64"), (2, "arm64")):
        path = arm.x86.root / f"shard{i}.json"
        run_cli(*arm.x86.run_args("--shard", f"{i}/2", "--json", str(path), "--arch", arch))
        paths.append(str(path))
    res = run_cli("merge", *paths, "--json", str(arm.x86.root / "m.json"), "--manifest", str(arm.x86.manifest))
    assert res.rc == 4 and "cannot merge reports with different architectures" in one_line_error(res)


def test_every_report_format_names_the_architecture(arm: Arm64Suite) -> None:
    root = arm.x86.root
    res = run_cli(*arm.run_args("--json", str(root / "r.json"), "--junit", str(root / "r.xml"), "--html", str(root / "r.html"), "--tap", str(root / "r.tap")))
    assert res.rc == 0, res.out + res.err
    assert res.out.startswith("HCABI conformance: architecture arm64, target cmd (cmd), profile full, tested version 1.1")
    assert "verdict: CONFORMANT (HCABI 1.1, profile full, architecture arm64)" in res.out
    assert '<property name="arch" value="arm64" />' in (root / "r.xml").read_text()
    tap = (root / "r.tap").read_text().splitlines()
    assert tap[2] == "# HCABI 1.1, profile full, architecture arm64, target cmd"
    assert tap[-1] == "# verdict: conformant (HCABI 1.1, profile full, architecture arm64)"
    html = (root / "r.html").read_text()
    assert "HCABI 1.1, profile full, architecture arm64, target cmd</p>" in html
    assert "<dt>Architecture</dt><dd>arm64</dd>" in html


def test_absence_is_explained_per_binding() -> None:
    disc = Discovery(present=False, said=SAID)
    assert absence_reason("x86_64", Discovery(present=False)) == "HCABI is not present: CPUID leaf 0x40000001 does not report 'HCA1' (hypervisor signature 'none')"
    assert absence_reason("arm64", disc).endswith(f"(ARM64-017) (the image said: {SAID})")
    assert absence_reason("arm64", Discovery(present=False)).endswith("(ARM64-017)")
    assert "RV64-015" in absence_reason("riscv64", Discovery(present=False))


def test_layout_per_architecture(tmp_path: Path) -> None:
    """One definition of each place: the arm64 suite inside BUILD, refvmm arm64's path."""
    here = layout.checkout(tmp_path)
    build = tmp_path / "build"
    assert here.refvmm_for(build, "arm64") == build / "refvmm-arm64" / "hcabi-refvmm"
    assert here.refvmm_for(build) == build / "reference-impl" / "refvmm" / "hcabi-refvmm"
    assert here.suite_for(build, "riscv64") == build  # not built, like arm64 below
    (build / "conformance-riscv64" / "conformance").mkdir(parents=True)
    assert here.suite_for(build, "riscv64") == build / "conformance-riscv64"
    assert here.suite_for(build, "arm64") == build  # not built: the build directory itself (then checked by its images)
    (build / "conformance-arm64" / "conformance").mkdir(parents=True)
    assert here.suite_for(build, "arm64") == build / "conformance-arm64"
    assert here.suite_for(build, "x86_64") == build


def test_installed_layout_names_the_arm64_suite(tmp_path: Path) -> None:
    pkg = tmp_path / "share" / "hcabi" / "runner" / "hcabi_conform"
    pkg.mkdir(parents=True)
    path = pkg / "installed-layout.json"
    common = {"data_dir": "../../../../lib/hcabi", "refvmm": "../../../../bin/hcabi-refvmm", "spec_dir": "../../../doc/hcabi/spec", "suite_version": "1.0"}
    path.write_text(json.dumps({**common, "suites": {"arm64": "../../../../lib/hcabi/conformance-arm64"}}))
    got = layout.from_file(path)
    assert got.suite_for(got.build, "arm64") == (tmp_path / "lib" / "hcabi" / "conformance-arm64").resolve()
    path.write_text(json.dumps({**common, "suites": {"arm64": 3}}))
    with pytest.raises(cli.HcabiError, match=r"\$.suites: expected an object"):
        layout.from_file(path)


def test_completion_offers_arch_and_the_architecture_s_images(arm: Arm64Suite) -> None:
    for command in ("run", "list", "coverage", "gate"):
        res = run_cli("--complete", "3", "hcabi-conform", command, "--arch", "")
        assert set(res.out.split()) == {"x86_64", "arm64", "riscv64"}, (command, res.out)
    line = ["hcabi-conform", "run", *arm.x86.common(), "--arch", "arm64", "--image", ""]
    assert "arm64" in run_cli("--complete", str(len(line) - 1), *line).out.split()
    line[line.index("--arch"):line.index("--arch") + 2] = []
    assert "x86" in run_cli("--complete", str(len(line) - 1), *line).out.split()


def test_a_bundle_is_replayed_with_its_architecture_s_images(arm: Arm64Suite, reports: dict[str, Path]) -> None:
    """bundle + gate --bundle --arch arm64: the logs are re-parsed against the arm64
    images (their keys verify the logs); as x86_64 the bundle is refused for its architecture."""
    bundle = arm.x86.root / "a64.tar.gz"
    res = run_cli("bundle", "--report", str(reports["arm64"]), "--out", str(bundle), "--build-dir", str(arm.x86.build))
    assert res.rc == 0 and "warning" not in res.err, res.out + res.err
    res = run_cli("gate", "--bundle", str(bundle), "--require", "1.1", "--arch", "arm64", *arm.x86.common())
    assert res.rc == 0 and "ACCEPTED: " in res.out and "architecture arm64" in res.out, res.out + res.err
    res = run_cli("gate", "--bundle", str(bundle), "--require", "1.1", *arm.x86.common())
    assert res.rc == 3 and "the report is of architecture arm64, not x86_64" in res.out, res.out + res.err


def test_each_architecture_has_its_own_nested_holder(tmp_path: Path) -> None:
    """The launcher's holder is the architecture's own probe (`PROBE --hold`):
    x86-64's and riscv64's in BUILD/scripts; arm64 has none, so an x86-64
    probe never holds an arm64 or riscv64 boot."""
    paths = {arch: cli.Paths(tmp_path, tmp_path / "m.json", arch) for arch in ("x86_64", "arm64", "riscv64")}
    assert paths["x86_64"].nested_probe == tmp_path / "scripts" / "hcabi-nested-probe"
    assert paths["riscv64"].nested_probe == tmp_path / "scripts" / "hcabi-nested-probe-riscv64"
    assert paths["arm64"].nested_probe is None
