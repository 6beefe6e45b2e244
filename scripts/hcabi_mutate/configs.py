"""hcabi_mutate.configs: the refvmm configurations a mutation run can boot
the images in, and how results of several configurations combine.

The default configuration (every extension, the newest version) never
reaches the code that only a pinned version or a withheld extension runs:
the registry's version gates, the absent-extension paths. The suite's other
CTests boot those configurations; a run with `--config` boots them too, with
its own baseline, coverage map and results file, and `--report` combines
the files: a mutant counts as killed if any configuration killed it.
It imports no other part of the tool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass(frozen=True)
class Config:
    name: str
    spec_version: Optional[str]  # refvmm --spec-version, as the runner passes it
    extra: tuple[str, ...]  # further refvmm arguments
    why: str


CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config("default", None, (), "every extension at the newest version, as the README's run"),
        Config("v1.0", "1.0", (), "refvmm pinned to 1.0, as conform.v1.0.run: the version gates"),
        Config("core", None, ("--extensions", "core"), "only the core profile's extensions, as the profile run: the absent paths"),
    )
}

# When configurations disagree, the strongest result stands for the mutant.
STRENGTH = ("stillborn", "identical", "not-reached", "survived", "killed-error", "killed")


def results_path(work: Path, config: Config) -> Path:
    """The default configuration keeps the name earlier runs used."""
    return work / ("results.json" if config.name == "default" else f"results-{config.name}.json")


def coverage_salt(boot_args: int, config: Config) -> str:
    """A coverage map is valid for one way of booting; the default's salt
    is unchanged so that maps cached before configurations existed stay valid."""
    salt = f"boot-args-{boot_args}"
    return salt if config.name == "default" else f"{salt}-config-{config.name}"


def combine(per_config: dict[str, dict]) -> dict:
    """One results object from several configurations' (name -> results).
    Each mutant keeps the entry of its strongest status, with `configs`
    naming every configuration's status for it."""
    merged: dict[str, dict] = {}
    for name in sorted(per_config):
        for mid, entry in per_config[name].get("mutants", {}).items():
            if not isinstance(entry, dict) or entry.get("status") not in STRENGTH:
                continue
            seen = dict(merged[mid]["configs"]) if mid in merged else {}
            seen[name] = entry["status"]
            if mid not in merged or STRENGTH.index(entry["status"]) > STRENGTH.index(merged[mid]["status"]):
                merged[mid] = dict(entry)
            merged[mid]["configs"] = seen
    return {"format": 1, "mutants": merged}
