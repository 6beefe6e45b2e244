"""What differs between the architectures the launcher boots, in one place:
the Debian packages (names, architecture, where busybox is in its package),
the kernel features the guest needs, the QEMU binary and its machine options,
the console, the results channel's transport and how the guest brings KVM up.
Everything else in the package is the same for every architecture.

The table is data and shell text only; it imports nothing of the package.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

DEFAULT_ARCH = "x86_64"

# The results channel: a virtio-serial port (results.PORT_NAME) on a
# virtio-serial controller given by the architecture's QEMU device name.
Features = tuple[tuple[str, str], ...]  # (config symbol, module that provides it when =m)


@dataclasses.dataclass(frozen=True)
class Arch:
    name: str  # the value of --arch
    debian_arch: str  # dpkg's name of the architecture
    elf_machine: int  # e_machine of the programs the guest runs (ELF spec)
    kernel_package_re: re.Pattern[str]  # the generic 6.12 flavour, signed or -unsigned
    kernel_hint: str  # the kernel packages, in words, for messages
    kernel_env: str  # names one kernel package explicitly
    busybox_member: str  # busybox's path inside busybox-static's .deb
    cache_subdir: str  # this architecture's part of --cache ("" is the cache itself)
    qemu_binary: str
    qemu_package: str  # the Debian package that has qemu_binary
    qemu_env: str  # names another QEMU binary
    machine_args: tuple[str, ...]  # QEMU's options before -smp: accelerator, machine, CPU
    append: str  # the kernel command line
    channel_controller: str  # QEMU device of the virtio-serial controller
    required_builtin: tuple[str, ...]  # config symbols that must be =y
    channel_features: Features  # the results channel
    kvm_features: dict[str, Features]  # KVM, per CPU vendor the guest may see
    kvm_shell: Callable[[dict[str, list[str]]], str]  # guest sh: set vendor and mods, or die


def _x86_kvm_shell(kvm_modules: dict[str, list[str]]) -> str:
    amd = " ".join(kvm_modules.get("amd", []))
    intel = " ".join(kvm_modules.get("intel", []))
    return f"""if grep -qw svm /proc/cpuinfo; then
    vendor=amd mods="{amd}"
elif grep -qw vmx /proc/cpuinfo; then
    vendor=intel mods="{intel}"
else
    die "the virtual CPU offers neither SVM nor VMX"
fi"""


def _arm64_kvm_shell(kvm_modules: dict[str, list[str]]) -> str:
    # KVM is built in (CONFIG_KVM=y): it initialises at boot if the kernel
    # was entered at EL2 (-M virt,virtualization=on), saying in which mode
    # ("VHE mode initialized successfully", or nVHE/hVHE), else it says
    # "HYP mode not available" and there is no /dev/kvm.
    mods = " ".join(kvm_modules.get("arm64", []))
    lines = ["mode=$(dmesg | grep -o -m1 '[A-Za-z]*VHE mode initialized' | cut -d' ' -f1)"]
    if not mods:  # built in: no mode line means no KVM
        lines.append("""[ -n "$mode" ] || die "KVM did not initialise at boot: $(dmesg | grep -m1 'kvm \\[' | oneline)\"""")
    lines.append(f'vendor="arm64 mode=${{mode:-unknown}}" mods="{mods}"')
    return "\n".join(lines)


X86_64 = Arch(
    name="x86_64",
    debian_arch="amd64",
    elf_machine=62,  # EM_X86_64
    # linux-image-6.12.N+deb12[.M]-amd64[-unsigned]: the generic amd64 flavour
    # only (not cloud, rt or dbg).  Both bookworm-backports and
    # bookworm-security name their 6.12 kernels like this.
    kernel_package_re=re.compile(r"^linux-image-6\.12\.\d+\+deb12(?:\.\d+)?-amd64(?:-unsigned)?$"),
    kernel_hint="linux-image-6.12.*-amd64",
    kernel_env="HCABI_NESTED_KERNEL_PACKAGE",
    busybox_member="bin/busybox",
    cache_subdir="",  # the layout from before there was a second architecture
    qemu_binary="qemu-system-x86_64",
    qemu_package="qemu-system-x86",
    qemu_env="HCABI_NESTED_QEMU",
    # One TCG thread for all vCPUs: multi-threaded TCG's emulation of nested
    # SVM races here (kernel text-patching int3 oopses, guest triple faults
    # near vCPU starts); single-threaded runs showed none at about the same
    # speed on these 2-core machines.
    machine_args=("-accel", "tcg,thread=single", "-cpu", "max"),
    append="console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off no_timer_check",
    channel_controller="virtio-serial-pci",
    required_builtin=("CONFIG_KVM_XEN", "CONFIG_BLK_DEV_INITRD", "CONFIG_DEVTMPFS", "CONFIG_SERIAL_8250_CONSOLE",
                      "CONFIG_TMPFS"),
    channel_features=(("CONFIG_VIRTIO_PCI", "virtio_pci"), ("CONFIG_VIRTIO_CONSOLE", "virtio_console")),
    kvm_features={
        "amd": (("CONFIG_KVM", "kvm"), ("CONFIG_KVM_AMD", "kvm_amd")),
        "intel": (("CONFIG_KVM", "kvm"), ("CONFIG_KVM_INTEL", "kvm_intel")),
    },
    kvm_shell=_x86_kvm_shell,
)  # fmt: skip

ARM64 = Arch(
    name="arm64",
    debian_arch="arm64",
    elf_machine=183,  # EM_AARCH64
    kernel_package_re=re.compile(r"^linux-image-6\.12\.\d+\+deb12(?:\.\d+)?-arm64(?:-unsigned)?$"),  # not -16k
    kernel_hint="linux-image-6.12.*-arm64",
    kernel_env="HCABI_NESTED_ARM64_KERNEL_PACKAGE",
    busybox_member="bin/busybox",
    cache_subdir="arm64",
    qemu_binary="qemu-system-aarch64",
    qemu_package="qemu-system-arm",
    qemu_env="HCABI_NESTED_ARM64_QEMU",
    # virtualization=on: the kernel is entered at EL2, so KVM can run (VHE
    # with -cpu max); GICv3, which KVM's in-kernel vGIC needs at EL2.
    # pauth-impdef=on: QEMU's own pointer-authentication hash instead of
    # QARMA, about a quarter less CPU.  Single-threaded TCG like x86-64:
    # the machine is shared, and one thread was measured stable.
    machine_args=("-M", "virt,virtualization=on,gic-version=3", "-cpu", "max,pauth-impdef=on",
                  "-accel", "tcg,thread=single"),
    # rodata=off skips a 4 s W+X check; cryptomgr.notests the crypto self-tests.
    append="console=ttyAMA0 quiet loglevel=3 panic=-1 rodata=off cryptomgr.notests",
    # virt has PCIe; Debian's arm64 kernel has VIRTIO_PCI and VIRTIO_CONSOLE
    # built in but VIRTIO_MMIO as a module, so PCI needs no insmod.
    channel_controller="virtio-serial-pci",
    required_builtin=("CONFIG_BLK_DEV_INITRD", "CONFIG_DEVTMPFS", "CONFIG_SERIAL_AMBA_PL011_CONSOLE", "CONFIG_TMPFS",
                      "CONFIG_ARM_GIC_V3"),
    channel_features=(("CONFIG_VIRTIO_PCI", "virtio_pci"), ("CONFIG_VIRTIO_CONSOLE", "virtio_console")),
    kvm_features={"arm64": (("CONFIG_KVM", "kvm"),)},
    kvm_shell=_arm64_kvm_shell,
)  # fmt: skip

ARCHES: dict[str, Arch] = {a.name: a for a in (X86_64, ARM64)}
