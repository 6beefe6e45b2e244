"""The `cmd` target: any VMM, from a --vmm-cmd template with placeholders,
and what its exit statuses mean (--vmm-exit)."""

from __future__ import annotations

import shlex
import shutil
import string
from pathlib import Path
from typing import Optional, Sequence

from .errors import EnvError, UsageError
from .model import Ending
from .protocol import file_tail_line
from .targets import BootJob, ProcessTarget, _signal_ending

TEMPLATE_FIELDS = ("image", "serial", "cmdline", "vcpus", "memory", "spec_version", "console", "console_input")
VMM_EVENTS = ("shutdown", "reboot", "crash")


def classify_generic(rc: int, stderr: Path, exits: Optional[dict[int, str]] = None) -> Ending:
    """A foreign VMM: its exit status has no agreed meaning, unless the user
    declared one (--vmm-exit EVENT=STATUS, `exits` = {status: event})."""
    if rc < 0:
        return _signal_ending(rc, stderr)
    last = file_tail_line(str(stderr))
    said = f" ({last})" if last else ""
    event = (exits or {}).get(rc)
    if event is not None:
        return Ending(event, f"the VMM exited with status {rc}, which --vmm-exit {event}={rc} declares a {event}{said}", status=rc)
    return Ending("exited", f"the VMM exited with status {rc}{said}", status=rc, verifiable=False)


def parse_vmm_exits(items: Sequence[str]) -> dict[int, str]:
    """--vmm-exit EVENT=STATUS (repeatable) -> {status: event}."""
    exits: dict[int, str] = {}
    for item in items:
        event, eq, status = item.partition("=")
        if not eq or event not in VMM_EVENTS or not status.isdigit() or not 0 <= int(status) <= 255:
            raise UsageError(f"--vmm-exit {item!r}: expected EVENT=STATUS, EVENT one of {', '.join(VMM_EVENTS)}, STATUS 0-255 (e.g. crash=12)")
        code = int(status)
        if exits.get(code, event) != event:
            raise UsageError(f"--vmm-exit: status {code} cannot mean both {exits[code]} and {event}")
        exits[code] = event
    return exits



def parse_template(template: str) -> list[str]:
    """Split a --vmm-cmd template into argv tokens and check its placeholders.
    Tokens are split first and filled in after, so a path with spaces stays
    one argument and no shell ever sees the values."""
    try:
        tokens = shlex.split(template)
    except ValueError as exc:
        raise UsageError(f"--vmm-cmd: cannot split the template: {exc}") from None
    if not tokens:
        raise UsageError("--vmm-cmd: empty template")
    used: set[str] = set()
    for token in tokens:
        try:
            parts = list(string.Formatter().parse(token))
        except ValueError as exc:
            raise UsageError(f"--vmm-cmd: bad template token {token!r}: {exc} (write a literal brace as {{{{ or }}}})") from None
        for _literal, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in TEMPLATE_FIELDS:
                raise UsageError(f"--vmm-cmd: unknown placeholder {{{name}}} (known: {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)})")
            if spec or conversion:
                raise UsageError(f"--vmm-cmd: placeholder {{{name}}} takes no format or conversion")
            used.add(name)
    if "image" not in used:
        raise UsageError("--vmm-cmd: the template must contain {image}")
    if "cmdline" not in used:
        raise UsageError(
            "--vmm-cmd: the template must contain {cmdline}, the guest command line (PVH start info) that hands "
            "each boot its fresh nonce (hcabi.nonce=...): without it the image's results cannot be tied to the boot"
        )
    return tokens


class Cmd(ProcessTarget):
    """Any VMM, from a template. Without {serial} the VMM's stdout is taken
    as the serial output. {console_input}: a file whose bytes CONSOLE.READ
    must return (without it the input tests skip); {console}: a file the VMM
    writes CONSOLE output to, when that is not the serial output. `exits` ({status: event}, --vmm-exit) says which of
    the VMM's exit statuses mean a shutdown, reboot or crash of the VM."""

    name, mode = "cmd", "cmd"

    def __init__(self, template: str, exits: Optional[dict[int, str]] = None) -> None:
        self.exits = dict(exits or {})
        self.template = template
        self.tokens = parse_template(template)
        self.serial_on_stdout = not any("{serial}" in t for t in self.tokens)
        self.pins_version = any("{spec_version}" in t for t in self.tokens)
        self.feeds_input = any("{console_input}" in t for t in self.tokens)
        self.console_apart = any("{console}" in t for t in self.tokens)

    def prepare(self, job: BootJob) -> None:
        super().prepare(job)
        job.console_out = job.serial.with_suffix(".console") if self.console_apart else None

    def preflight(self) -> None:
        exe = self.tokens[0]
        if "{" in exe:
            return
        if shutil.which(exe) is None:
            raise EnvError(f"--vmm-cmd: VMM {exe!r} not found or not executable")

    def describe(self) -> dict[str, object]:
        info = {**super().describe(), "template": self.template}
        if self.exits:
            info["vmm_exit"] = {event: status for status, event in sorted(self.exits.items())}
        return info

    def command(self, job: BootJob) -> list[str]:
        values = {
            "image": str(job.image_path),
            "serial": str(job.serial),
            "cmdline": job.cmdline,
            "vcpus": str(job.image.vcpus),
            "memory": str(job.image.memory_mib),
            "spec_version": str(job.spec_version) if job.spec_version else "",
            "console": str(job.console_out or ""),
            "console_input": str(job.console_input or ""),
        }
        return [token.format(**values) for token in self.tokens]

    def classify(self, rc: int, stderr: Path) -> Ending:
        return classify_generic(rc, stderr, self.exits)
