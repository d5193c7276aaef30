"""The configs under configs/, told apart from the old names kept as
aliases (one comment line and ``_base_ = './<new name>.py'``)."""
import re
from pathlib import Path
from typing import List, Optional

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
_ALIAS = re.compile(r"#[^\n]*\n_base_ = '\./([\w.-]+\.py)'\n")


def alias_target(path: Path) -> Optional[Path]:
    """The config an alias names, or None if ``path`` is no alias."""
    match = _ALIAS.fullmatch(path.read_text())
    return path.parent / match.group(1) if match else None


def config_files() -> List[Path]:
    """Every config file outside ``_base_`` folders, aliases included."""
    return sorted(
        p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)
