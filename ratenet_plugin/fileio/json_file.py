"""JSON files of results and summaries (metrics, benchmark reports, the
analysis tools' outputs): strict JSON that any reader parses.

Python's ``json`` writes ``NaN`` and ``Infinity`` for non-finite floats,
which is not JSON (browsers' and Node's parsers, ``jq``, refuse the file); a
metric with nothing to measure (a garment never drawn) is NaN. Here they are
``null``; NumPy and torch scalars and arrays become numbers and lists, config
objects dicts, anything else its ``str``.
"""
import json
import math
import os
import os.path as osp
from typing import Any

from .text_file import write_text


def to_json_value(value: Any) -> Any:
    """``value`` as plain JSON values (see the module notes)."""
    if isinstance(value, dict) or hasattr(value, 'to_dict'):
        items = value.to_dict() if hasattr(value, 'to_dict') else value
        return {str(k): to_json_value(v) for k, v in items.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if hasattr(value, 'tolist'):  # NumPy and torch scalars and arrays
        return to_json_value(value.tolist())
    return str(value)


def write_json(path: str, doc: Any, indent: int = 2) -> None:
    """Write ``doc`` to ``path`` as strict JSON (UTF-8, the folder
    created)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    write_text(path,
               json.dumps(to_json_value(doc), indent=indent,
                          allow_nan=False) + '\n')
