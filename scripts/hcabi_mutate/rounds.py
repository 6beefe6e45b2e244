"""Stop at the first kill, in batches (docs/mutation.md, "Running").

Each mutant has its images in boot order (cover.choose). A batch gives every
active mutant its next image(s), the mutants with the fewest boots first, so
that the first batches boot every mutant's most specific image and later ones
boot the next image only for the survivors. A mutant is finished when a boot
kills it (a strong kill: fail, crash, timeout or an unverified boot) or when
all its images have booted; a `killed-error` boot goes on to the next image,
which may still give a strong kill.

When fewer mutants are active than a batch holds, each gets several images
in the same batch (the launcher's boot costs more than a refvmm boot), giving
up a little of the early stop to keep batches full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Pending:
    owner: str  # mutant ID
    images: list[str]  # still to boot, in order
    boots: dict[str, dict] = field(default_factory=dict)  # image -> judged boot
    order: int = 0  # position in the run, ties go to the earlier mutant


def next_batch(active: list[Pending], limit: int) -> list[tuple[str, list[str]]]:
    """(owner, images) for one launcher invocation of at most `limit` boots
    (at least one boot whatever `limit`)."""
    waiting = sorted((p for p in active if p.images), key=lambda p: (len(p.boots), p.order))
    if not waiting:
        return []
    per = max(1, limit // len(waiting))
    out: list[tuple[str, list[str]]] = []
    used = 0
    for p in waiting:
        room = limit - used
        if room <= 0:
            break
        take = p.images[: min(per, room)]
        out.append((p.owner, take))
        used += len(take)
    return out


def settle(p: Pending, judged: dict[str, dict], verdict: Callable[[dict[str, dict]], dict]) -> dict | None:
    """Record a batch's boots of `p`; its final verdict when it is finished
    (killed, or nothing left to boot), else None (it stays active)."""
    for image, boot in judged.items():
        p.boots[image] = boot
        if image in p.images:
            p.images.remove(image)
    v = verdict(p.boots)
    if v["status"] == "killed" or not p.images:
        return v
    return None
