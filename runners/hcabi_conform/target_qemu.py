"""The `qemu` target: plain QEMU, which has no HCABI; the images must say so
and end. Also the probe that tells whether QEMU can really use KVM here (the
CLI's choice between -accel kvm and tcg).

Per architecture (--arch): x86-64 boots the PVH ELF images on q35 and
leaves through isa-debug-exit; arm64 boots the Image files on `virt` as a
Linux kernel (docs/arm64.md) and leaves by PSCI SYSTEM_OFF (QEMU exits 0);
riscv64 likewise on `virt` with the AIA's IMSICs, through QEMU's OpenSBI, and
leaves by SBI SRST (docs/riscv64.md)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path
from typing import Optional

from .errors import EnvError
from .model import Ending
from .procs import kill_group
from .protocol import file_tail_line
from .targets import BootJob, ProcessTarget, _signal_ending


def classify_qemu(rc: int, stderr: Path, debug_exit: bool = True) -> Ending:
    """QEMU: isa-debug-exit value v exits (v << 1) | 1 (x86-64 only,
    `debug_exit`); 0 is a power-off or, with -no-reboot, a reset -- QEMU
    cannot tell us which."""
    if rc < 0:
        return _signal_ending(rc, stderr)
    last = file_tail_line(str(stderr))
    if rc & 1 and debug_exit:
        note = f"; QEMU said: {last}" if last else ""
        return Ending("exit", f"the guest wrote {rc >> 1} to isa-debug-exit{note}", status=rc, code=rc >> 1)
    detail = "QEMU exited: the guest powered off or reset" if rc == 0 else f"QEMU exited with status {rc}"
    return Ending("exited", detail + (f" ({last})" if last else ""), status=rc, verifiable=False)




# Each architecture's QEMU: its binary and machine; only x86-64 has isa-debug-exit
QEMU_BINARIES = {"x86_64": "qemu-system-x86_64", "arm64": "qemu-system-aarch64", "riscv64": "qemu-system-riscv64"}
QEMU_MACHINES = {
    "x86_64": ["-machine", "q35", "-cpu", "max"],
    # the binding's GICv3 (ARM64-023), which also lets virt have more than 8 vCPUs (ipi-wide: 66)
    "arm64": ["-M", "virt,gic-version=3", "-cpu", "max"],
    # docs/riscv64.md: S-level IMSICs (the binding's interrupt vectors), QEMU's own OpenSBI
    "riscv64": ["-M", "virt,aia=aplic-imsic", "-cpu", "rv64", "-bios", "default"],
}
QEMU_MACHINE = QEMU_MACHINES["x86_64"]  # the KVM probe's (KVM is for the host's own architecture)


def _qemu_said(output: bytes) -> str:
    """The line of QEMU's output that explains a failure."""
    lines = [ln.replace("(qemu)", "").strip() for ln in output.decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else "no output")


def _qemu_how(rc: int) -> str:
    return f"killed by {signal.Signals(-rc).name}" if rc < 0 and -rc in signal.valid_signals() else f"exit status {rc}"


def qemu_kvm_probe(binary: str, image: Optional[Path] = None, timeout: float = 30.0, run_timeout: float = 15.0) -> tuple[bool, str]:
    """Can QEMU really run a VM with KVM here? /dev/kvm may open, answer the
    API and create VMs, yet refuse what QEMU sets up (seen under another
    hypervisor: "failed to set MSR 0x10a", then QEMU aborts before the guest
    runs), or start the VM and then fail to emulate an instruction the guest
    runs (seen on a PVM-style KVM: "KVM internal error. Suberror: 1" at an
    AVX instruction, after which QEMU sits paused until it is killed, so
    every boot would cost its whole timeout). So: start QEMU paused with KVM
    and the boots' machine and CPU and quit it on its monitor; then, when
    `image` is given, boot it with KVM and require that the guest runs to
    its end (its isa-debug-exit gives an odd exit status) within
    `run_timeout`. Both take about a second where KVM works."""
    argv = [binary, "-accel", "kvm", *QEMU_MACHINE, "-m", "16", "-display", "none", "-monitor", "stdio", "-serial", "none", "-S", "-no-reboot"]
    try:
        proc = subprocess.run(argv, input=b"quit\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        return False, f"{binary} -accel kvm did not start and quit within {timeout:g} s"
    except OSError as exc:
        return False, f"cannot start {binary}: {exc.strerror or exc}"
    if proc.returncode != 0:
        return False, f"{binary} -accel kvm fails here ({_qemu_how(proc.returncode)}: {_qemu_said(proc.stdout)})"
    if image is None:
        return True, f"{binary} runs with KVM"
    argv = [
        binary, "-accel", "kvm", *QEMU_MACHINE, "-m", "64", "-display", "none", "-monitor", "none",
        "-serial", "null", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", str(image),
    ]  # fmt: skip
    try:
        run = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return False, f"cannot start {binary}: {exc.strerror or exc}"
    try:
        _out, err = run.communicate(timeout=run_timeout)
    except subprocess.TimeoutExpired:
        kill_group(run.pid)
        _out, err = run.communicate()
        said = _qemu_said(err) if err.strip() else "no output"
        return False, f"{binary} -accel kvm did not run {image.name} to its end within {run_timeout:g} s ({said})"
    if run.returncode < 0 or not run.returncode & 1:
        return False, f"{binary} -accel kvm did not run {image.name} to its end ({_qemu_how(run.returncode)}: {_qemu_said(err)})"
    return True, f"{binary} runs {image.name} with KVM"


class Qemu(ProcessTarget):
    """Plain QEMU: no HCABI; a check that the images fail cleanly. `why`
    says why TCG was chosen, when it was chosen for the user."""

    name = "qemu"

    def __init__(self, binary: str, kvm: bool, why: str = "", arch: str = "x86_64") -> None:
        if arch not in QEMU_MACHINES:
            raise EnvError(f"--target qemu --arch {arch}: the runner has no QEMU machine for {arch} yet")
        self.binary = binary
        self.mode = "kvm" if kvm else "tcg"
        self.why = why
        self.arch = arch

    def preflight(self) -> None:
        if shutil.which(self.binary) is None:
            raise EnvError(f"QEMU binary {self.binary!r} not found")

    def describe(self) -> dict[str, object]:
        info = {**super().describe(), "vmm": self.binary}
        if self.why:
            info["why"] = self.why
        return info

    def command(self, job: BootJob) -> list[str]:
        if self.arch != "x86_64":  # docs/arm64.md, docs/riscv64.md: the Linux Image protocol on virt, the UART on stdio
            return [
                self.binary, "-accel", self.mode, *QEMU_MACHINES[self.arch],
                "-smp", str(job.image.vcpus), "-m", str(job.image.memory_mib),
                "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
                "-kernel", str(job.image_path), "-append", job.cmdline,
            ]  # fmt: skip
        return [
            self.binary, "-accel", self.mode, *QEMU_MACHINES["x86_64"],
            "-smp", str(job.image.vcpus), "-m", str(job.image.memory_mib),
            "-nographic", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", str(job.image_path),
            "-append", job.cmdline,
        ]  # fmt: skip

    def classify(self, rc: int, stderr: Path) -> Ending:
        return classify_qemu(rc, stderr, debug_exit=self.arch == "x86_64")
