"""One line per method: does its answer agree with what the classifier is known to rely on?"""

from __future__ import annotations

from genlens.audit.inversion_part import is_kept


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


def inversion_verdict(layers: list[dict], relies_on: str) -> dict:
    """Judged at the deepest layer audited: do its inversions keep what the classifier relies on?"""
    deepest = layers[-1]
    share = deepest["retention"].get(relies_on)
    agrees = share is not None and is_kept(share, relies_on)
    line = (
        f"{deepest['layer']}'s inversions ({deepest['method']}) keep the {_name(relies_on)} in {share:.2f} "
        f"(chance {deepest['chance'][relies_on]:.2f}): {'agrees' if agrees else 'disagrees'}; they keep "
        f"{', '.join(_name(c) for c in deepest['kept']) or 'no concept'}."
        if share is not None
        else f"the probes do not read {_name(relies_on)}"
    )
    return {"answer": deepest["kept"], "agrees": agrees, "line": line}


def linking_verdict(result: dict, relies_on: str) -> dict:
    """Judged by the unit sweeps: the concept the most units are selective for."""
    from genlens.audit.linking_part import selective_by_probe_concept

    selective = selective_by_probe_concept(result["counts"])
    most = max(selective.values(), default=0)
    leaders = [c for c, n in selective.items() if n == most and n > 0]
    top = leaders[0] if len(leaders) == 1 else None
    agrees = top == relies_on
    changed = result["changed"]
    line = (
        f"{most} units are selective for the {_name(top)}, more than for any other concept" if top
        else "no single concept has the most selective units"
    ) + (
        f": {'agrees' if agrees else 'disagrees'} ({selective.get(relies_on, 0)} for the {_name(relies_on)}; "
        f"{result['counts']['superposed']} superposed, {result['counts']['silent']} silent). Counterfactuals across "
        f"every class pair change the {_name(relies_on)} in {changed.get(relies_on, 0):.2f} of sources."
    )
    return {"answer": top, "agrees": agrees, "line": line}
