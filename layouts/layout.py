"""Record layouts as data: each `records/*.toml` file is one record type of `record-layouts.md`.

Code never hard-codes a column position; it asks a Layout. A broken layout file is the only
thing here that raises.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RECORDS_DIR = Path(__file__).parent / "records"
RECORD_WIDTH = 132
FIELD_TYPES = ("text", "number", "date", "signed")


class LayoutError(Exception):
    """A layout file contradicts itself; names the file and the field."""


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, inclusive, as printed on the layout sheets
    end: int
    type: str = "text"
    item: str | None = None

    @property
    def offset(self) -> int:
        return self.start - 1

    @property
    def width(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Layout:
    record: str
    title: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layout {self.record} has no field {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def width(self) -> int:
        return max(f.end for f in self.fields)


def _parse(path: Path) -> Layout:
    data = tomllib.loads(path.read_text())
    fields = []
    for i, raw in enumerate(data.get("field", []), start=1):
        try:
            f = Field(
                name=raw["name"],
                start=int(raw["start"]),
                end=int(raw["end"]),
                type=raw.get("type", "text"),
                item=raw.get("item"),
            )
        except KeyError as missing:
            raise LayoutError(f"{path.name}: field #{i} lacks {missing}") from None
        if f.type not in FIELD_TYPES:
            raise LayoutError(f"{path.name}: field {f.name}: unknown type {f.type!r}")
        if not 1 <= f.start <= f.end <= RECORD_WIDTH:
            raise LayoutError(
                f"{path.name}: field {f.name}: columns {f.start}-{f.end} out of 1-132")
        fields.append(f)
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise LayoutError(f"{path.name}: a field name is repeated")
    ordered = sorted(fields, key=lambda f: f.start)
    for a, b in itertools.pairwise(ordered):
        if b.start <= a.end:
            raise LayoutError(f"{path.name}: fields {a.name} and {b.name} overlap")
    return Layout(record=data["record"], title=data["title"], fields=tuple(fields))


@cache
def load(record: str) -> Layout:
    path = RECORDS_DIR / f"{record}.toml"
    if not path.exists():
        raise LayoutError(f"no layout file {path.name} in {RECORDS_DIR}")
    return _parse(path)


def all_layouts() -> list[Layout]:
    return [load(p.stem) for p in sorted(RECORDS_DIR.glob("*.toml"))]


def layout_table(layout: Layout) -> str:
    """The printed field/offset table of a layout, committed and golden-tested."""
    lines = [f"{layout.record}: {layout.title}", f"{'FIELD':<22}{'ITEM':>5}{'START':>7}{'END':>5}"
             f"{'LEN':>5}  TYPE"]
    for f in layout.fields:
        lines.append(f"{f.name:<22}{f.item or '':>5}{f.start:>7}{f.end:>5}{f.width:>5}  {f.type}")
    return "\n".join(lines) + "\n"
