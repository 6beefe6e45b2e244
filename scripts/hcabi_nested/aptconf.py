"""Which apt the cache asks: the system's for the host's own architecture, or
a private one for another (the arm64 kernel and busybox on an amd64 host).

The private apt reads the system's sources and keys (the same Debian
archive, the same signatures) but keeps its own package lists in a folder of
its own and takes the foreign architecture as its native one, so that
``apt-get download PACKAGE`` fetches that architecture's package without
``dpkg --add-architecture`` and without touching the system's apt state.
An architecture that the system's suites do not have (riscv64 is official
from Debian 13, trixie) gives its own source lines instead (Arch.apt_sources:
the same archive, signed by the keys in the system's debian-archive-keyring).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional, Sequence

from .debian import AptError, run_tool


@dataclasses.dataclass(frozen=True)
class AptView:
    opts: tuple[str, ...]  # before the apt-get/apt-cache command: ("-c", CONF) for a private apt
    private: bool
    lists: Optional[Path] = None  # a private apt's package lists

    def can_update(self) -> bool:
        """The system's lists need root; a private apt's are its own."""
        return self.private or os.geteuid() == 0

    def update(self) -> None:
        what = "apt-get update" + (" (private)" if self.private else "")
        run_tool(["apt-get", *self.opts, "update", "-qq"], what)
        # apt-get update only warns when the archive cannot be reached
        if self.lists is not None and not any(self.lists.glob("*_Packages*")):
            raise AptError(f"{what} fetched no package index (is Debian's archive reachable?)")


def host_debian_arch() -> str:
    return run_tool(["dpkg", "--print-architecture"], "dpkg --print-architecture").strip()


def private_apt_conf(debian_arch: str, root: Path, own_sources: bool = False) -> str:
    """apt.conf text of a private apt for ``debian_arch`` whose state is under ``root``;
    with ``own_sources`` it reads ``root``/sources.list instead of the system's sources."""

    def q(p: Path) -> str:
        return str(p).replace('"', "")

    sources = (
        f'Dir::Etc::SourceList "{q(root / "sources.list")}";\n'
        f'Dir::Etc::SourceParts "{q(root / "sources.list.d")}";\n'
        if own_sources
        else ""
    )
    return sources + (
        f'APT::Architecture "{debian_arch}";\n'
        f'APT::Architectures {{ "{debian_arch}"; }};\n'
        f'Dir::State::Lists "{q(root / "lists")}";\n'
        f'Dir::State::status "{q(root / "status")}";\n'
        f'Dir::Cache "{q(root / "cache")}";\n'
        'Acquire::Languages "none";\n'
        # downloads go into the launcher's own temporary folders, which apt's
        # unprivileged _apt user cannot write
        'APT::Sandbox::User "root";\n'
    )


def apt_for(
    debian_arch: str, workdir: Path, host_arch: Optional[str] = None, sources: Sequence[str] = ()
) -> AptView:
    """The system's apt when ``debian_arch`` is the host's and no ``sources`` are
    given, else a private one under ``workdir`` reading ``sources`` (one-line
    style) or the system's sources (made and updated here: its lists come from
    the archive)."""
    if debian_arch == (host_arch or host_debian_arch()) and not sources:
        return AptView((), False)
    root = workdir / f"apt-{debian_arch}"
    for d in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "status").touch()
    if sources:
        (root / "sources.list").write_text("".join(f"{line}\n" for line in sources))
    conf = root / "apt.conf"
    conf.write_text(private_apt_conf(debian_arch, root, bool(sources)))
    view = AptView(("-c", str(conf)), True, root / "lists")
    view.update()
    return view
