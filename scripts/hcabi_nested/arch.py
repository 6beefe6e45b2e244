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
    kernel_suites: tuple[str, ...] = ("bookworm-backports",)  # the kernel from these if they have one
    kernel_file: str = "vmlinuz"  # the package's boot/KERNEL_FILE-RELEASE that -kernel takes
    # A private apt's own source lines (one-line style); empty: the system's sources.
    apt_sources: tuple[str, ...] = ()
    # QEMU from Debian packages of the host's architecture, fetched into the cache
    # and run from there (never installed); empty: the system's qemu_binary.
    qemu_debs: tuple[str, ...] = ()
    qemu_suite: str = ""  # the suite those packages come from
    bios_member: str = ""  # -bios: this file of the unpacked qemu_debs ("": QEMU's default)


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

def _riscv64_kvm_shell(kvm_modules: dict[str, list[str]]) -> str:
    # KVM is a module (CONFIG_KVM=m): it loads only if the hart has the H
    # extension, which /proc/cpuinfo's isa line names as the single letter h
    # after rv64 (QEMU's rv64 CPU has it on by default).
    mods = " ".join(kvm_modules.get("riscv64", []))
    isa = "grep -m1 '^isa' /proc/cpuinfo"
    return (f"{isa} | grep -q '^isa[[:space:]]*:[[:space:]]*rv64[a-gi-z]*h' ||\n"
            f'    die "the virtual CPU lacks the H extension: $({isa} | oneline)"\n'
            f'vendor=riscv64 mods="{mods}"')


# Debian's archive for the private apt of riscv64 (Debian 13 is its first
# release), signed by the trixie keys of the system's debian-archive-keyring.
_TRIXIE_KEYS = "signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"

RISCV64 = Arch(
    name="riscv64",
    debian_arch="riscv64",
    elf_machine=243,  # EM_RISCV
    kernel_package_re=re.compile(r"^linux-image-6\.12\.\d+\+deb13(?:\.\d+)?-riscv64(?:-unsigned)?$"),
    kernel_hint="linux-image-6.12.*+deb13-riscv64",
    kernel_env="HCABI_NESTED_RISCV64_KERNEL_PACKAGE",
    busybox_member="usr/bin/busybox",  # trixie's busybox-static (bookworm's is at bin/busybox)
    cache_subdir="riscv64",
    qemu_binary="qemu-system-riscv64",
    qemu_package="qemu-system-riscv",  # QEMU 10.0 split it out of qemu-system-misc
    qemu_env="HCABI_NESTED_RISCV64_QEMU",
    # aia=aplic-imsic: the interrupt controller KVM's in-kernel AIA device
    # (and the binding's IMSIC vectors) needs; it locks the nested kernel up
    # on QEMU 7.2, so QEMU 10.0 from bookworm-backports (qemu_debs).  rv64
    # has the H extension.  Single-threaded TCG like the others.  aia-guests=7
    # (QEMU's most): guest interrupt files on each hart, so that KVM gives a
    # vCPU a real IMSIC file; its trap-and-emulate file (the only one without
    # them) keeps only bits 31:0 of eip0/eie0 in Linux 6.12 (a 32-bit lr/sc),
    # which loses identities 32..63 (docs/refvmm.md, "The riscv64 backend").
    machine_args=("-M", "virt,aia=aplic-imsic,aia-guests=7", "-cpu", "rv64", "-accel", "tcg,thread=single"),
    append="console=ttyS0 quiet loglevel=3 panic=-1 rodata=off",
    # virt has PCIe; Debian's riscv64 kernel has VIRTIO_PCI and VIRTIO_CONSOLE
    # built in but VIRTIO_MMIO (virtio-serial-device's transport) as a module.
    channel_controller="virtio-serial-pci",
    required_builtin=("CONFIG_BLK_DEV_INITRD", "CONFIG_DEVTMPFS", "CONFIG_SERIAL_8250_CONSOLE",
                      "CONFIG_SERIAL_OF_PLATFORM", "CONFIG_TMPFS", "CONFIG_RISCV_APLIC", "CONFIG_RISCV_IMSIC"),
    channel_features=(("CONFIG_VIRTIO_PCI", "virtio_pci"), ("CONFIG_VIRTIO_CONSOLE", "virtio_console")),
    kvm_features={"riscv64": (("CONFIG_KVM", "kvm"),)},
    kvm_shell=_riscv64_kvm_shell,
    kernel_suites=("trixie", "trixie-security"),
    kernel_file="vmlinux",  # an Image (with a PE header) despite the name; -kernel takes it
    apt_sources=(f"deb [{_TRIXIE_KEYS}] http://deb.debian.org/debian trixie main",
                 f"deb [{_TRIXIE_KEYS}] http://deb.debian.org/debian-security trixie-security main"),
    # the emulator and OpenSBI 1.5's fw_dynamic.bin (its qemu-system-riscv
    # links /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin to opensbi's file)
    qemu_debs=("qemu-system-riscv", "opensbi"),
    qemu_suite="bookworm-backports",
    bios_member="usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
)  # fmt: skip

ARCHES: dict[str, Arch] = {a.name: a for a in (X86_64, ARM64, RISCV64)}
