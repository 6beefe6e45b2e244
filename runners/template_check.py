#!/usr/bin/env python3
"""template_check.py: the checks of the vendor guide's `--target cmd`
templates (runners/templates/, docs/vendor-guide.md; CTest conform.template.*).

Each subcommand reads a template file exactly as the guide uses it
(`--vmm-cmd "$(cat FILE)"`: the file's text without its final newline),
appends `--vmm-cmd TEMPLATE` to the `hcabi-conform run` command after `--`,
runs it and checks what it printed and reported; anything unexpected is
listed and the exit status is 1. Standard library only, like the runner.

  absent  -- CMD...  a template for a VMM without HCABI (plain QEMU): exit 3,
                     NON-CONFORMANT because HCABI is not present, every image
                     of the suite booted and its log verified as evidence of
                     that boot (so {cmdline} reached the guest), and no QEMU
                     monitor text anywhere: not in the report (results,
                     messages, boot endings), not in any boot's serial or
                     stderr log, and no monitor warning from the runner
  pitfall -- CMD...  a template with QEMU's -nographic beside -serial
                     file:{serial}: the monitor's text really lands in a log
                     the runner reads, the runner says so in exactly one line
                     naming that file and the fix (-monitor none), and the
                     verdict is unchanged (exit 3, HCABI not present)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from integration_common import Problems, finish, fresh, load, run

EXIT_NONCONFORMANT = 3
# What QEMU's human monitor prints: its banner and its prompt. Written apart
# from the runner's own pattern (hcabi_conform.monitor_noise), which the
# pitfall check tests.
MONITOR = re.compile(r"\(qemu\)|QEMU \d[\w.+~-]* monitor|type 'help' for more information")
WARNING = "QEMU monitor output"


def read_template(path: str) -> str:
    """The template as "$(cat FILE)" gives it."""
    text = Path(path).read_text(encoding="utf-8").rstrip("\n")
    if not text or "\n" in text:
        raise SystemExit(f"template_check.py: {path}: a template file holds exactly one line")
    return text


def check_absent_verdict(problems: Problems, rc: int, out: str, rep: dict[str, Any]) -> None:
    """NON-CONFORMANT (exit 3) because HCABI is not present, in the summary
    and in the report, with no environment or suite error."""
    problems.check(rc == EXIT_NONCONFORMANT, f"exit status {rc}, expected {EXIT_NONCONFORMANT} (non-conformant)")
    verdict = [ln for ln in out.splitlines() if ln.startswith("verdict: ")]
    problems.check(
        verdict and verdict[-1].startswith("verdict: NON-CONFORMANT") and "HCABI not present" in verdict[-1],
        f"the verdict line does not say NON-CONFORMANT and 'HCABI not present': {verdict}",
    )
    problems.check(rep.get("verdict") == "non-conformant", f"report verdict {rep.get('verdict')!r}")
    problems.check(rep.get("hcabi_present") is False, f"hcabi_present is {rep.get('hcabi_present')!r}, expected false")
    reasons = rep.get("reasons") or {}
    problems.check(not reasons.get("errors"), f"the run hit environment or suite errors: {(reasons.get('errors') or [''])[0]}")
    first = (reasons.get("failures") or [""])[0]
    problems.check(first.startswith("HCABI is not present"), f"the first failure is not 'HCABI is not present': {first!r}")


def run_template(a: argparse.Namespace, problems: Problems) -> tuple[str, str, Optional[dict[str, Any]]]:
    """Run the command with --vmm-cmd TEMPLATE and check the HCABI-absent
    verdict; returns the template, the output and the report (None if the
    run wrote none)."""
    template = read_template(a.template)
    fresh(a.report)
    rc, out = run([*a.cmd, "--json", a.report, "--vmm-cmd", template])
    if not problems.check(os.path.isfile(a.report), f"no JSON report {a.report}"):
        return template, out, None
    rep = load(a.report)
    check_absent_verdict(problems, rc, out, rep)
    return template, out, rep


def cmd_absent(a: argparse.Namespace) -> int:
    problems = Problems()
    template, out, rep = run_template(a, problems)
    if rep is None:
        return finish(problems, "")
    target = rep.get("target_info") or {}
    problems.check(rep.get("target") == "cmd" and target.get("template") == template, f"the report's target is {rep.get('target')!r} with template {target.get('template')!r}, expected cmd with {template!r}")
    problems.check(not (rep.get("selection") or {}).get("partial"), "the run is partial")
    boots = rep.get("boots") or []
    images = sorted(i["name"] for i in load(a.tests)["images"])
    problems.check(sorted(b.get("image") for b in boots) == images, f"booted {sorted(b.get('image') for b in boots)}, expected every image {images}")
    for boot in boots:
        name = boot.get("image")
        evidence = boot.get("evidence") or {}
        problems.check(boot.get("hello") and evidence.get("verified"), f"image {name}: no hello, or its log is not evidence of the boot (did {{cmdline}} reach the guest?): {boot.get('problems')}")
        problems.check((boot.get("discovery") or {}).get("present") is False, f"image {name}: discovery {boot.get('discovery')}")
        for log in ("serial", "stderr"):
            path = (boot.get("logs") or {}).get(log)
            if problems.check(path and os.path.isfile(path), f"image {name}: no {log} log {path!r}"):
                found = MONITOR.search(Path(path).read_text(encoding="utf-8", errors="replace"))
                problems.check(not found, f"image {name}: QEMU monitor text {found and found.group(0)!r} in its {log} log {path}")
    with open(a.report, encoding="utf-8") as fh:
        found = MONITOR.search(fh.read())
    problems.check(not found, f"QEMU monitor text {found and found.group(0)!r} in the report {a.report}")
    problems.check(WARNING not in out, "the runner warns of QEMU monitor output")
    return finish(problems, f"{a.template}: NON-CONFORMANT, HCABI not present, {len(boots)} boot(s) verified, no monitor text")


def cmd_pitfall(a: argparse.Namespace) -> int:
    problems = Problems()
    _template, out, rep = run_template(a, problems)
    if rep is None:
        return finish(problems, "")
    warnings = [ln for ln in out.splitlines() if WARNING in ln]
    if not problems.check(len(warnings) == 1, f"expected exactly one line saying {WARNING!r}, got {warnings}"):
        return finish(problems, "")
    line = warnings[0]
    problems.check(line.startswith("hcabi-conform: warning: ") and "-monitor none" in line and "-nographic" in line, f"the warning does not name the fix (-monitor none, not -nographic): {line}")
    named = re.search(r"\((/[^()]*\.(?:serial|stderr))\)", line)
    if problems.check(named, f"the warning names no log file: {line}"):
        path = named.group(1)
        text = Path(path).read_text(encoding="utf-8", errors="replace") if os.path.isfile(path) else ""
        problems.check(MONITOR.search(text), f"the pitfall is not real: {path} holds no QEMU monitor text")
    return finish(problems, f"{a.template}: the monitor text is real and named in one line: {line}")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="template_check.py")
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("absent", "pitfall"):
        p = sub.add_parser(name)
        p.add_argument("--template", required=True, help="the template file (one line)")
        p.add_argument("--report", required=True, help="the JSON report the run writes")
        if name == "absent":
            p.add_argument("--tests", required=True, help="the suite's tests manifest (every image must boot)")
        p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- hcabi-conform run ... (without --vmm-cmd and --json)")
    a = parser.parse_args(argv)
    a.cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not a.cmd:
        parser.error("give the hcabi-conform run command after --")
    cmds: dict[str, Callable[[argparse.Namespace], int]] = {"absent": cmd_absent, "pitfall": cmd_pitfall}
    return cmds[a.what](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
