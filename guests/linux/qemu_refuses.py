#!/usr/bin/env python3
"""CTest linux.module.qemu_refuses: hcabi.ko refuses to load without HCABI.

    qemu_refuses.py --root SRC --out DIR --cache DIR [--qemu PROGRAM] [--timeout S]

Boots the Debian kernel the nested launcher caches (scripts/hcabi_nested) in
plain QEMU (TCG, one vCPU: no KVM, no HCABI) with a busybox initramfs that
insmods hcabi.ko, built here against that kernel's headers as
check_module.py builds it. It passes when the module refuses with its one
clear pr_err line and -ENODEV (insmod: "No such device"), leaves no sysfs
directory and is not loaded. Modules are unsigned: the Debian kernel checks
signatures but does not enforce them (the kernel is only tainted).

Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (no headers for the cached
kernel, no QEMU, or the cache could not be filled).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The entry script sets the package roots once: the nested launcher's
# package (scripts/) and the runner's (runners/), which it imports.
sys.path[1:1] = [str(ROOT / "scripts"), str(ROOT / "runners")]

import check_module  # noqa: E402  (this folder: the module build)
from initramfs import INIT, TAG, busybox_initramfs  # noqa: E402  (this folder)
from hcabi_conform.errors import EnvError  # noqa: E402
from hcabi_nested.cache import ensure_cache  # noqa: E402

SKIP = check_module.SKIP
REFUSAL = ('hcabi: no HCABI hypervisor: no CPUID base 0x40000000-0x4000ff00 '
           'carries the "HCA1" signature')


def judge(log: str) -> list[str]:
    """What is wrong with the console log of the boot; nothing when it passed.
    The shared /init stops at the refused insmod (its FAIL line)."""
    lines = [ln.strip() for ln in log.replace("\r", "").splitlines() if TAG in ln]
    said = [ln[ln.index(TAG) + len(TAG):].strip() for ln in lines]
    if not any(s.startswith("after-insmod ") for s in said):
        return ["the guest's init did not get past insmod (no 'after-insmod' line): the boot failed or hung"]
    problems = []
    insmod = next((s for s in said if s.startswith("insmod rc=")), "")
    if not re.match(r"insmod rc=[1-9]\d* .*No such device", insmod):
        problems.append(f"insmod did not fail with ENODEV ('No such device'): {insmod!r}")
    if not any(s.startswith("dmesg ") and s.endswith(REFUSAL) for s in said):
        problems.append(f"no kernel message ending with {REFUSAL!r}")
    after = next(s for s in said if s.startswith("after-insmod "))
    for want in ("sysfs=absent", "module=absent"):
        if want not in after.split():
            problems.append(f"expected '{want}' after the refusal: {after!r}")
    if "FAIL insmod hcabi.ko" not in said:
        problems.append("the init did not stop at the refused insmod (no 'FAIL insmod hcabi.ko' line)")
    return problems


def run(args: argparse.Namespace) -> int:
    qemu = shutil.which(args.qemu)
    if not qemu:
        raise check_module.Skip(f"{args.qemu} is not installed (qemu-system-x86)")
    try:
        cache = ensure_cache(Path(args.cache))
    except EnvError as e:
        raise check_module.Skip(f"the nested launcher's kernel cache is unavailable: {e}") from None
    kdir = Path("/usr/src") / f"linux-headers-{cache.release}"
    if not (kdir / "Makefile").is_file():
        raise check_module.Skip(f"no headers for the cached kernel {cache.release}: "
                                f"install linux-headers-{cache.release}")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if check_module.check_build(Path(args.root).resolve(), out, kdir) != 0:
        return 1
    (out / "initramfs.cpio").write_bytes(busybox_initramfs(cache.busybox, out / "hcabi" / "hcabi.ko", INIT))
    log = out / "console.log"
    log.unlink(missing_ok=True)
    cmd = [qemu, "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "512",
           "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-kernel", str(cache.kernel), "-initrd", str(out / "initramfs.cpio"),
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-append", "console=ttyS0 loglevel=4 panic=-1 mitigations=off hcabitest.name=qemu hcabitest.code=0",
           "-serial", f"file:{log}"]
    print("+", " ".join(cmd), flush=True)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=args.timeout)
        qemu_said = proc.stdout.strip()
    except subprocess.TimeoutExpired:
        qemu_said = f"killed after {args.timeout} s"
    text = log.read_text(errors="replace") if log.exists() else ""
    problems = judge(text)
    if problems:
        print("".join(text.splitlines(keepends=True)[-40:]), end="")
        for p in problems:
            print(f"FAIL: {p}")
        if qemu_said:
            print(f"qemu: {qemu_said}")
        return 1
    print(f"PASS: without HCABI hcabi.ko refuses to load: {REFUSAL}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="the HCABI source tree")
    ap.add_argument("--out", required=True, help="a directory of this check's own")
    ap.add_argument("--cache", required=True, help="the nested launcher's cache (HCABI_NESTED_CACHE)")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--timeout", type=int, default=240, help="seconds the boot may take (default 240)")
    args = ap.parse_args(argv)
    if not (Path(args.root) / "abi.h").is_file():
        ap.error(f"--root {args.root}: no abi.h there")
    if args.timeout <= 0:
        ap.error(f"--timeout {args.timeout}: must be positive")
    return check_module.run_check("qemu_refuses.py", args.out, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
