"""A labelled table of concept values and the caption template that turns a row into a prompt."""

from __future__ import annotations

import csv
import string
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from genlens.errors import GenlensError


def template_fields(template: str) -> list[str]:
    """The column names a caption template such as "a {color} {shape}" refers to, in order."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        raise GenlensError(f"caption template {template!r} is malformed: {e}") from None
    if any(not n for n in names):
        raise GenlensError(f"caption template {template!r} has an empty {{}} field; name a column in each")
    return list(dict.fromkeys(names))


@dataclass
class ConceptTable:
    """Rows of concept values (columns by name), one label per row, and a caption template.

    `words` optionally maps a column's values to the words the template shows (e.g. a position bin
    "top left" to "in the top left"); the columns keep the values the probes and metrics compare.
    """

    columns: dict[str, list[str]]
    labels: np.ndarray
    template: str
    words: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self):
        self.labels = np.asarray(self.labels)
        if len(self.labels) == 0:
            raise GenlensError("the concept table is empty: it needs at least two rows")
        missing = [f for f in template_fields(self.template) if f not in self.columns]
        if missing:
            raise GenlensError(
                f"caption template names column '{missing[0]}', which the table lacks "
                f"(columns: {', '.join(self.columns)})"
            )
        for name, values in self.columns.items():
            if len(values) != len(self.labels):
                raise GenlensError(f"column '{name}' has {len(values)} values for {len(self.labels)} labels")

    @property
    def concepts(self) -> list[str]:
        """The columns the template shows: the concepts that can be permuted."""
        return template_fields(self.template)

    def __len__(self) -> int:
        return len(self.labels)

    def check_permutable(self) -> None:
        """A clear error if a concept takes one value only (permuting it would change nothing)."""
        for c in self.concepts:
            if len(set(self.columns[c])) < 2:
                raise GenlensError(
                    f"concept '{c}' takes a single value ('{self.columns[c][0]}'); it cannot be permuted"
                )

    def row(self, i: int) -> dict[str, str]:
        return {c: v[i] for c, v in self.columns.items()}

    def rows(self) -> list:
        """What a generator is given beside each caption: here each row's concept values."""
        return [self.row(i) for i in range(len(self))]

    def captions(self) -> list[str]:
        """One caption per row."""
        shown = {c: [self.words.get(c, {}).get(v, v) for v in self.columns[c]] for c in self.concepts}
        return [self.template.format(**{c: shown[c][i] for c in self.concepts}) for i in range(len(self))]

    def permuted(self, concept: str, rng: np.random.Generator) -> ConceptTable:
        """The table with `concept`'s column shuffled across rows (labels and other columns kept)."""
        order = rng.permutation(len(self))
        columns = dict(self.columns)
        columns[concept] = [self.columns[concept][i] for i in order]
        return replace(self, columns=columns)

    @classmethod
    def from_csv(cls, path: Path, template: str, label_column: str = "label") -> ConceptTable:
        """A table from a CSV file with a header row; `label_column` holds the labels."""
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise GenlensError(f"cannot read concept table {path}: {e}") from None
        if not rows:
            raise GenlensError(f"the concept table {path} is empty: it needs at least two rows")
        for line, row in enumerate(rows, start=2):
            if None in row or None in row.values():
                got = len(row) - (None in row) + len(row.get(None) or []) - list(row.values()).count(None)
                raise GenlensError(f"{path}, line {line}: {got} fields where the header has {len(rows[0]) - (None in rows[0])}")
        if label_column not in rows[0]:
            raise GenlensError(f"{path} has no '{label_column}' column (columns: {', '.join(rows[0])})")
        columns = {c: [r[c] for r in rows] for c in rows[0] if c != label_column}
        return cls(columns, np.asarray([r[label_column] for r in rows]), template)
