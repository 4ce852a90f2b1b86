"""One card for a model trained in phases, each continuing from the previous one's weights."""

from __future__ import annotations

#: What each phase's entry under "phases" keeps of its own card.
PHASE_FACTS = ("name", "steps", "seconds", "final_loss", "settings", "loss")


def combined_card(cards: list[dict]) -> dict:
    """The last phase's card with steps and seconds added up over the phases, and each phase's card
    (a dict with its "name") summarised under "phases"."""
    card = {
        **cards[-1],
        "steps": sum(c["steps"] for c in cards),
        "seconds": round(sum(c["seconds"] for c in cards), 1),
        "phases": [{k: c[k] for k in PHASE_FACTS if k in c} for c in cards],
    }
    card.pop("name", None)
    return card
