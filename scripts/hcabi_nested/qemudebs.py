"""QEMU from Debian packages, for an architecture whose system QEMU will not do
(Arch.qemu_debs): riscv64 needs ``-M virt,aia=aplic-imsic``, which locks the
nested kernel up under bookworm's QEMU 7.2, so it runs bookworm-backports'
QEMU 10.0 with the OpenSBI 1.5 firmware that QEMU expects.

The packages are fetched with the system's apt (they are the host's
architecture) and unpacked, never installed: the system's QEMU stays as it
is.  The emulator and the firmware are copied into the cache and run from
there; QEMU 10.0's libraries are those bookworm's QEMU 7.2 already uses, and
``--version`` is run here once so that a missing one is said when the cache
is filled, not at every boot.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Optional

from hcabi_conform.errors import EnvError

from .aptconf import apt_for, host_debian_arch
from .arch import Arch
from .debian import apt_download, deb_extract, deb_field, run_tool


def _safe(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]", "_", version)


def fetch_qemu(arch: Arch, tmp: Path, stage: Path) -> Optional[dict]:
    """Download and unpack ``arch.qemu_debs`` under ``tmp``, copy the emulator and
    the firmware into a folder of ``stage``; return the manifest's "qemu" entry
    (paths relative to the cache, as that folder will be moved there), or None
    when ``arch`` uses the system's QEMU."""
    if not arch.qemu_debs:
        return None
    apt = apt_for(host_debian_arch(), tmp)
    qtmp, qx = tmp / "qemu-debs", tmp / "qx"
    qtmp.mkdir()
    debs: dict[str, Path] = {}
    for i, pkg in enumerate(arch.qemu_debs):
        spec = f"{pkg}/{arch.qemu_suite}"
        try:
            debs[pkg] = apt_download(spec, qtmp, apt.opts)
        except EnvError:
            # a system whose lists predate the suite's current version: refresh once
            if i or not apt.can_update():
                raise
            apt.update()
            debs[pkg] = apt_download(spec, qtmp, apt.opts)
    versions = {pkg: deb_field(deb, "Version") for pkg, deb in debs.items()}
    for deb in debs.values():
        deb_extract(deb, qx)
    binary, bios = qx / "usr/bin" / arch.qemu_binary, qx / arch.bios_member
    if not binary.is_file():
        raise EnvError(f"{', '.join(arch.qemu_debs)} ({arch.qemu_suite}) hold no usr/bin/{arch.qemu_binary}")
    if arch.bios_member and not bios.is_file():
        raise EnvError(f"{', '.join(arch.qemu_debs)} ({arch.qemu_suite}) hold no {arch.bios_member}")
    said = run_tool([str(binary), "--version"], f"{arch.qemu_binary} from {arch.qemu_suite}, unpacked")
    rel = f"qemu-{_safe(versions[arch.qemu_debs[0]])}"
    (stage / rel).mkdir(parents=True)
    shutil.copyfile(binary, stage / rel / arch.qemu_binary)
    os.chmod(stage / rel / arch.qemu_binary, 0o755)
    entry = {
        "binary": f"{rel}/{arch.qemu_binary}",
        "bios": "",
        "packages": versions,
        "suite": arch.qemu_suite,
        "version": said.splitlines()[0] if said else "",
    }
    if arch.bios_member:
        shutil.copyfile(bios, stage / rel / bios.name)
        entry["bios"] = f"{rel}/{bios.name}"
    return entry
