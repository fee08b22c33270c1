"""A stand-in for `polars` on the GPU machine, which has no polars and cannot install it (no network).

ultralytics' trainer imports polars for one thing while training: reading results.csv back into a dict
of columns when it saves a checkpoint (`read_csv(...).to_dict(as_series=False)`). This does that with the
csv module. Used only by models/device/train.sh; the app never sees it.
"""

from __future__ import annotations

import csv
import io
from typing import Any


class _Frame:
    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self._columns = columns

    def to_dict(self, as_series: bool = True) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self._columns.items()}


def _value(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def read_csv(source: bytes | str, **_: Any) -> _Frame:
    text = source.decode() if isinstance(source, bytes) else open(source).read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return _Frame({})
    header = [h.strip() for h in rows[0]]
    columns: dict[str, list[Any]] = {h: [] for h in header}
    for row in rows[1:]:
        for h, v in zip(header, row, strict=False):
            columns[h].append(_value(v.strip()))
    return _Frame(columns)
