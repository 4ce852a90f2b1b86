"""One line per method: does its answer agree with what the classifier is known to rely on?"""

from __future__ import annotations

from genlens.audit.inversion_part import lift


def _name(concept: str | None) -> str:
    return (concept or "none").replace("_", " ")


def truth_line(task: dict, relied: dict) -> str:
    """The ground truth in words: the label's concept, the shortcut, what the model relies on."""
    top = relied["ranking"][0]
    line = f"On the {task['task']} task the label is the {_name(task['label_concept'])}"
    line += f", and the {_name(task['shortcut'])} agrees with it (a shortcut)." if task["shortcut"] else "."
    line += f" Permuted in exact renders, the {_name(top['concept'])} costs the classifier most ({top['drop']:+.3f} {relied['metric']})"
    if top["concept"] == task["shortcut"]:
        line += ": it relies on the shortcut."
    elif top["concept"] == task["label_concept"]:
        line += ": it relies on the label's concept."
    else:
        line += "."
    return line


def depict_verdict(result: dict, relies_on: str) -> dict:
    top = result["importance"][0]
    agrees = top["concept"] == relies_on
    checks = "its checks pass" if result["checks"].get("passed") else "its own checks fail, so without ground truth it could not be trusted"
    line = (
        f"DEPICT ranks the {_name(top['concept'])} first ({top['drop']:+.3f} [{top['ci95'][0]:+.3f}, {top['ci95'][1]:+.3f}]): "
        f"{'agrees' if agrees else 'disagrees'} with the truth ({_name(relies_on)}); {checks}."
    )
    return {"answer": top["concept"], "agrees": agrees, "line": line}


#: The least lift over chance at which the deepest layer's inversions count as showing a concept.
SHOWN_LIFT = 0.25


def inversion_verdict(layers: list[dict], relies_on: str, candidates: list[str]) -> dict:
    """Judged at the deepest layer audited: of the concepts the label could be read from (the
    label's concept and the shortcut), the one its inversions keep best over chance; it must be
    what the classifier relies on, kept at a lift of at least SHOWN_LIFT."""
    deepest = layers[-1]
    lifts = {c: lift(deepest["retention"][c], c) for c in candidates if c in deepest["retention"]}
    if not lifts:
        return {"answer": None, "agrees": False, "line": f"the probes read none of {', '.join(map(_name, candidates))}"}
    top = max(lifts, key=lifts.get)
    agrees = top == relies_on and lifts[top] >= SHOWN_LIFT
    kept = ", ".join(f"the {_name(c)} in {deepest['retention'][c]:.2f} (chance {deepest['chance'][c]:.2f})" for c in lifts)
    line = (
        f"{deepest['layer']}'s inversions ({deepest['method']}) keep {kept}: the {_name(top)} survives best"
        f" (lift {lifts[top]:.2f}): {'agrees' if agrees else 'disagrees'}."
    )
    return {"answer": top, "agrees": agrees, "line": line}


def linking_verdict(result: dict, relies_on: str) -> dict:
    """Judged by the unit sweeps, weighted by the head: the concept whose selective units hold the
    largest share of the units' influence on the logits (a count of units would weigh a unit the
    head ignores like one it reads)."""
    from genlens.audit.linking_part import selective_by_probe_concept

    influence = result["influence"]
    most = max(influence.values(), default=0.0)
    leaders = [c for c, v in influence.items() if v == most and v > 0]
    top = leaders[0] if len(leaders) == 1 else None
    agrees = top == relies_on
    selective = selective_by_probe_concept(result["counts"])
    line = (
        f"the units selective for the {_name(top)} carry the largest share of the head's use of the units ({most:.3f})"
        if top else "no concept's units carry the head's use of the units"
    ) + (
        f": {'agrees' if agrees else 'disagrees'}. Units selective: "
        + ", ".join(f"{_name(c)} {n} ({influence.get(c, 0.0):.3f})" for c, n in selective.items() if n)
        + f"; {result['counts']['superposed']} superposed, {result['counts']['silent']} silent."
    )
    return {"answer": top, "agrees": agrees, "line": line}
