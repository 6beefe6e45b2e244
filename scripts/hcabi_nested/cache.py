"""The download cache: the kernel, its modules and busybox (and for riscv64
QEMU and its firmware, see qemudebs), fetched once from Debian's archive with
apt, checked against manifest.json on every use.  Each architecture has its
own part of the cache, with its own manifest.json: x86-64 the cache folder
itself (as before there were two), the others ``arm64/``, ``riscv64/``."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

import hcabi_load as hl
from hcabi_conform.errors import EnvError

from . import PROG
from .aptconf import apt_for
from .arch import X86_64, Arch
from .debian import (BUSYBOX_PACKAGE, Candidate, apt_download, choose_kernel, deb_extract, deb_field,
                     decompress_module, find_kernel_candidates, module_order, norm_module_name, parse_kconfig, run_tool)
from .elf import elf_interpreter, elf_machine, modinfo
from .qemudebs import fetch_qemu

CACHE_FORMAT = 1

# What load_cache requires of manifest.json (hcabi_load.check_shape); _populate_cache writes it.
# "arch" is absent from a manifest written before there were two architectures: x86_64.
MANIFEST_SHAPE = {"format": int, "arch?": str,
                  "kernel": {"release": str, "vmlinuz": str, "modules_dir": str, "channel_modules": [str],
                             "kvm_modules": {str: [str]}, "package?": str},
                  "busybox": {"binary": str}, "qemu?": {"binary": str, "bios": str}, "sha256": {str: str}}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclasses.dataclass
class CacheInfo:
    root: Path
    manifest: dict

    @property
    def kernel(self) -> Path:
        return self.root / self.manifest["kernel"]["vmlinuz"]

    @property
    def busybox(self) -> Path:
        return self.root / self.manifest["busybox"]["binary"]

    def module_path(self, name: str) -> Path:
        return self.root / self.manifest["kernel"]["modules_dir"] / f"{name}.ko"

    @property
    def release(self) -> str:
        return self.manifest["kernel"]["release"]

    @property
    def qemu(self) -> Optional[Path]:
        """The cached QEMU (Arch.qemu_debs), None where the system's is used."""
        q = self.manifest.get("qemu")
        return self.root / q["binary"] if q else None

    @property
    def bios(self) -> Optional[Path]:
        q = self.manifest.get("qemu")
        return self.root / q["bios"] if q and q["bios"] else None


def _log(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def arch_root(cache: Path, arch: Arch = X86_64) -> Path:
    """The folder of ``arch``'s part of the cache ``cache``."""
    return cache / arch.cache_subdir if arch.cache_subdir else cache


def load_cache(cache: Path, arch: Arch = X86_64) -> Optional[CacheInfo]:
    """``arch``'s part of the cache if it is complete and intact; None when it has no
    manifest yet, one of another format, architecture or kernel, or a damaged file (then
    it is filled again).  EnvError, naming the file and the path in it, for a manifest
    that cannot be read or has the wrong shape: that is no interrupted download, so the
    launcher does not overwrite it."""
    return _load_root(arch_root(cache, arch), arch)


def _load_root(cache: Path, arch: Arch) -> Optional[CacheInfo]:
    mf = cache / "manifest.json"
    if not os.path.lexists(mf):
        return None
    fix = f" (delete the cache {cache} to download it again)"
    try:
        manifest = hl.expect(hl.read_json(mf), dict, str(mf), [])
        if manifest.get("format") != CACHE_FORMAT:
            return None
        hl.check_shape(manifest, MANIFEST_SHAPE, str(mf))
    except hl.InputError as exc:
        raise EnvError(f"{exc}{fix}") from None
    if manifest.get("arch", X86_64.name) != arch.name:
        return None
    if bool(arch.qemu_debs) != ("qemu" in manifest):  # its QEMU is part of the entry
        return None
    want = os.environ.get(arch.kernel_env)
    if want and manifest["kernel"].get("package") != want:
        return None
    try:
        for rel, digest in manifest["sha256"].items():
            if _sha256(cache / rel) != digest:
                return None
    except OSError:
        return None
    return CacheInfo(cache, manifest)


def ensure_cache(cache: Path, arch: Arch = X86_64) -> CacheInfo:
    """Return ``arch``'s cached kernel, modules and busybox, downloading them from
    Debian's archive with apt on first use.  Safe against concurrent runs."""
    info = load_cache(cache, arch)
    if info:
        return info
    cache = arch_root(cache, arch)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        lockfh = open(cache / ".lock", "w")
    except OSError as exc:
        why = "it is not a folder" if cache.exists() and not cache.is_dir() else exc.strerror
        raise EnvError(f"cannot create the cache {cache}: {why}") from None
    with lockfh:
        fcntl.flock(lockfh, fcntl.LOCK_EX)
        info = _load_root(cache, arch)  # another run may have filled it meanwhile
        if info:
            return info
        return _populate_cache(cache, arch)


def _populate_cache(cache: Path, arch: Arch) -> CacheInfo:
    """Fill ``cache`` (``arch``'s part of the cache)."""
    override = os.environ.get(arch.kernel_env)
    with tempfile.TemporaryDirectory(prefix="populate-", dir=cache) as tmps:
        tmp = Path(tmps)
        apt = apt_for(arch.debian_arch, tmp, sources=arch.apt_sources)
        if override:
            cand = Candidate(override, "", f"({arch.kernel_env})")
            from_backports = True
        else:
            cands = find_kernel_candidates(arch, apt.opts)
            if not any(c.suite in arch.kernel_suites for c in cands) and not apt.private and apt.can_update():
                _log(f"no 6.12 kernel in the {'/'.join(arch.kernel_suites)} index; running apt-get update")
                apt.update()
                cands = find_kernel_candidates(arch, apt.opts)
            cand, from_backports = choose_kernel(cands, arch)
        if not from_backports:
            _log(f"{'/'.join(arch.kernel_suites)} offers no 6.12 kernel; using {cand.package} {cand.version} from {cand.suite}")
        spec = f"{cand.package}={cand.version}" if cand.version else cand.package
        what = f" ({arch.debian_arch}, with a private apt configuration)" if apt.private else ""
        what += f", then {', '.join(arch.qemu_debs)} ({arch.qemu_suite})" if arch.qemu_debs else ""
        _log(f"downloading {spec} ({cand.suite}) and {BUSYBOX_PACKAGE}{what} into {cache}")
        try:
            kdeb = apt_download(spec, tmp, apt.opts)
        except EnvError:
            # a stale index names a version the archive no longer has: refresh once
            if override or apt.private or not apt.can_update():
                raise
            _log(f"downloading {spec} failed; running apt-get update and choosing again")
            apt.update()
            cand, _ = choose_kernel(find_kernel_candidates(arch, apt.opts), arch)
            spec = f"{cand.package}={cand.version}"
            kdeb = apt_download(spec, tmp, apt.opts)
        bdeb = apt_download(BUSYBOX_PACKAGE, tmp, apt.opts)
        kver, bver = deb_field(kdeb, "Version"), deb_field(bdeb, "Version")
        kx, bx = tmp / "kx", tmp / "bx"
        deb_extract(kdeb, kx)
        deb_extract(bdeb, bx)

        # the kernel
        vmlinuz = sorted(kx.glob(f"boot/{arch.kernel_file}-*"))
        configs = sorted(kx.glob("boot/config-*"))
        if len(vmlinuz) != 1 or len(configs) != 1:
            raise EnvError(f"{kdeb.name} does not hold exactly one boot/{arch.kernel_file}-* and boot/config-*")
        release = vmlinuz[0].name[len(arch.kernel_file) + 1 :]
        config = parse_kconfig(configs[0].read_text(errors="replace"))
        for sym in arch.required_builtin:
            if config.get(sym) != "y":
                raise EnvError(f"{cand.package} {kver} lacks {sym}=y; the nested launcher needs it")
        moddirs = [d for d in (kx / "lib/modules" / release, kx / "usr/lib/modules" / release) if d.is_dir()]
        if not moddirs:
            raise EnvError(f"{kdeb.name} holds no modules for {release}")
        index: dict[str, Path] = {}
        for p in moddirs[0].rglob("*.ko*"):
            if re.search(r"\.ko(\.xz|\.gz|\.zst)?$", p.name):
                index[norm_module_name(re.sub(r"\.ko(\.xz|\.gz|\.zst)?$", "", p.name))] = p

        def roots_for(features: Sequence[tuple[str, str]], what: str) -> list[str]:
            roots = []
            for sym, mod in features:
                v = config.get(sym)
                if v == "m":
                    roots.append(mod)
                elif v != "y":
                    raise EnvError(f"{cand.package} {kver} lacks {sym} ({what})")
            return roots

        channel_roots = roots_for(arch.channel_features, "results channel")
        kvm_roots = {vendor: roots_for(feats, f"KVM on {vendor}") for vendor, feats in arch.kvm_features.items()}
        depends: dict[str, list[str]] = {}
        blobs: dict[str, bytes] = {}
        todo = channel_roots + [m for r in kvm_roots.values() for m in r]
        while todo:
            m = todo.pop()
            if m in depends:
                continue
            if m not in index:
                raise EnvError(f"module {m} is not in {kdeb.name}")
            blob = decompress_module(index[m])
            try:
                info = modinfo(blob)
            except (ValueError, struct.error) as exc:
                raise EnvError(f"cannot read module {m}: {exc}") from None
            deps = [norm_module_name(d) for d in ",".join(info.get("depends", [])).split(",") if d]
            depends[m] = deps
            blobs[m] = blob
            todo.extend(deps)
        channel_order = module_order(channel_roots, depends)
        kvm_order = {
            vendor: [m for m in module_order(roots, depends) if m not in channel_order]
            for vendor, roots in kvm_roots.items()
        }

        # assemble the new cache entry next to the old one, then switch the manifest
        kdir_rel = f"kernel-{release}-{kver.replace(':', '_').replace('~', '_')}"
        bdir_rel = f"busybox-{bver.replace(':', '_').replace('~', '_')}"
        stage = tmp / "stage"
        (stage / kdir_rel / "modules").mkdir(parents=True)
        (stage / bdir_rel).mkdir(parents=True)
        shutil.copyfile(vmlinuz[0], stage / kdir_rel / "vmlinuz")
        shutil.copyfile(configs[0], stage / kdir_rel / "config")
        for m, blob in blobs.items():
            (stage / kdir_rel / "modules" / f"{m}.ko").write_bytes(blob)
        bb = bx / arch.busybox_member
        if not bb.is_file():
            raise EnvError(f"{bdeb.name} holds no {arch.busybox_member}")
        with open(bb, "rb") as fh:
            head = fh.read(1 << 20)
        if elf_interpreter(head) is not None:
            raise EnvError(f"{bdeb.name}'s busybox is not static")
        if elf_machine(head) != arch.elf_machine:
            raise EnvError(f"{bdeb.name}'s busybox is not an {arch.name} program")
        shutil.copyfile(bb, stage / bdir_rel / "busybox")
        qemu = fetch_qemu(arch, tmp, stage)
        qdir_rel = [qemu["binary"].split("/", 1)[0]] if qemu else []
        for rel in [kdir_rel, bdir_rel, *qdir_rel]:
            dest = cache / rel
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(stage / rel, dest)
        files = [f"{kdir_rel}/vmlinuz", f"{bdir_rel}/busybox"]
        files += [f"{kdir_rel}/modules/{m}.ko" for m in sorted(blobs)]
        files += [qemu[k] for k in ("binary", "bios") if qemu and qemu[k]]
        manifest = {
            "format": CACHE_FORMAT,
            "arch": arch.name,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "kernel": {
                "package": cand.package,
                "version": kver,
                "suite": cand.suite,
                "release": release,
                "deb_sha256": _sha256(kdeb),
                "vmlinuz": f"{kdir_rel}/vmlinuz",
                "config": f"{kdir_rel}/config",
                "modules_dir": f"{kdir_rel}/modules",
                "channel_modules": channel_order,
                "kvm_modules": kvm_order,
            },
            "busybox": {
                "package": BUSYBOX_PACKAGE,
                "version": bver,
                "deb_sha256": _sha256(bdeb),
                "binary": f"{bdir_rel}/busybox",
            },
            "sha256": {rel: _sha256(cache / rel) for rel in files},
        }
        if qemu:
            manifest["qemu"] = qemu
        tmpmf = cache / "manifest.json.tmp"
        tmpmf.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(tmpmf, cache / "manifest.json")
    with_qemu = f" and {qemu['version']}" if qemu else ""
    _log(f"cached kernel {release} ({cand.package} {kver}, {cand.suite}), busybox {bver}{with_qemu}")
    info2 = _load_root(cache, arch)
    if info2 is None:
        raise EnvError(f"the cache {cache} failed its own check right after it was written")
    return info2


