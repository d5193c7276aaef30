"""Reading and writing the PATN DeepFashion file formats.

Annotation CSV (``fasion-resize-annotation-{train,test}.csv``)::

    name:keypoints_y:keypoints_x
    fashionWOMENDressesid0000262902_3back.jpg: [28, 54, ...]: [87, 88, ...]

``:``-separated; each keypoint column is a list of 18 numbers in COCO-18 order
(see :mod:`.keypoints`), ``-1`` for a missing joint. Pairs CSV
(``fasion-resize-pairs-{train,test}.csv``): header ``from,to``, one pair a row.

Quirks of real files that the readers accept: spaces after ``:`` or none,
trailing commas or spaces on any line, a UTF-8 byte-order mark, CRLF line ends,
blank lines, quotes around fields, a header whose keypoint columns come in the
order ``keypoints_x:keypoints_y``, a pairs header with extra columns (such as a
pandas index). Anything else malformed raises :class:`PoseDataError` naming the
file and line.

Names: the PATN "flattened" name
(``fashionWOMENDressesid0000262902_3back.jpg``) is the canonical key. A
path-style name as in the raw In-shop lists
(``fashion/WOMEN/Dresses/id_00002629/02_3_back.jpg``, or starting with
``img/``) is flattened the way PATN's ``generate_fashion_datasets.py`` does
it; see :func:`flatten_name`.
"""
import re
from typing import Iterable, List, NamedTuple, Sequence, Tuple

import numpy as np

from .keypoints import NUM_KEYPOINTS

ANNOTATION_HEADER = 'name:keypoints_y:keypoints_x'
PAIRS_HEADER = 'from,to'
_IDENTITY_RE = re.compile(r'id_?(\d{8})')


class PoseDataError(ValueError):
    """A data file or image that cannot be used; the message names it."""


class AnnotationRow(NamedTuple):
    """One row of an annotation CSV.

    Attributes:
        name (str): The name as written in the file (stripped).
        keypoints (np.ndarray): ``(18, 2)`` float32 ``(x, y)`` exactly as in
            the file (``-1`` = missing; other values may lie outside the
            frame).
        line (int): 1-based line number in the file.
    """
    name: str
    keypoints: np.ndarray
    line: int


class PairRow(NamedTuple):
    """One row of a pairs CSV: source name, target name, 1-based line."""
    source: str
    target: str
    line: int


def flatten_name(name: str) -> str:
    """Return PATN's flattened form of an image name.

    A name without a path separator is returned stripped. A path-style name
    ``.../<GENDER>/<Category>/id_XXXXXXXX/NN_V_view.jpg`` becomes
    ``fashion<GENDER><Category>idXXXXXXXXNN_Vview.jpg``: the last four path
    components are joined, the underscore of the id is removed, and in the file
    name only the first underscore is kept. Whatever precedes the last four
    components (``fashion/``, ``img/``, ``img_highres/``, an absolute root) is
    replaced by ``fashion``.

    Raises:
        ValueError: For a path-style name with fewer than four components.
    """
    name = name.strip()
    parts = [p for p in re.split(r'[\\/]', name) if p]
    if len(parts) == 1:
        return parts[0]
    if len(parts) < 4:
        raise ValueError(
            f'path-style image name {name!r} needs the four components '
            '<GENDER>/<Category>/id_<8 digits>/<file>')
    gender, category, identity, filename = parts[-4:]
    head, *rest = filename.split('_')
    filename = head + ('_' + ''.join(rest) if rest else '')
    return 'fashion' + gender + category + identity.replace('_',
                                                            '') + filename


def identity_of(name: str) -> str:
    """Return the person/item identity (``'id00002629'``) in an image name.

    Accepts flattened and path-style names.

    Raises:
        ValueError: If the name contains no ``id`` followed by 8 digits.
    """
    match = _IDENTITY_RE.search(name)
    if match is None:
        raise ValueError(f'image name {name!r} contains no identity '
                         '(id followed by 8 digits)')
    return 'id' + match.group(1)


def _read_lines(path: str) -> List[Tuple[int, str]]:
    """Return ``(line number, text)`` of the non-blank lines of a text file,
    stripped of the byte-order mark, line ends, trailing commas and spaces."""
    with open(path, encoding='utf-8-sig') as f:
        lines = [(i, raw.rstrip('\r\n').rstrip(' \t,'))
                 for i, raw in enumerate(f, start=1)]
    return [(i, text) for i, text in lines if text.strip()]


def _unquote(field: str) -> str:
    return field.strip().strip('"\'').strip()


def _parse_number_list(field: str, path: str, line: int,
                       column: str) -> np.ndarray:
    text = _unquote(field)
    if text.startswith('['):
        text = text[1:]
    if text.endswith(']'):
        text = text[:-1]
    tokens = [t.strip() for t in text.split(',')]
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        raise PoseDataError(
            f'{path}, line {line}: column {column} must be a list of '
            f'numbers, got {field.strip()!r}') from None
    if len(values) != NUM_KEYPOINTS:
        raise PoseDataError(
            f'{path}, line {line}: column {column} has {len(values)} values, '
            f'expected {NUM_KEYPOINTS}')
    if not np.isfinite(values).all():
        raise PoseDataError(f'{path}, line {line}: column {column} has a '
                            f'non-finite value: {field.strip()!r}')
    return values


def read_annotation_csv(path: str) -> List[AnnotationRow]:
    """Read a PATN annotation CSV.

    Args:
        path (str): The file.

    Returns:
        list[AnnotationRow]: In file order. Keypoints are ``(x, y)``.

    Raises:
        PoseDataError: A malformed header or row (wrong number of fields or
            values, non-numbers), naming the file and line.
    """
    lines = _read_lines(path)
    y_col, x_col = 1, 2
    if lines and _unquote(lines[0][1].split(':')[0]).lower() == 'name':
        line, text = lines.pop(0)
        header = [_unquote(h).lower() for h in text.split(':')]
        if sorted(header) != ['keypoints_x', 'keypoints_y', 'name'] or \
                header[0] != 'name':
            raise PoseDataError(
                f'{path}, line {line}: unexpected header {text!r}; expected '
                f'{ANNOTATION_HEADER!r}')
        y_col, x_col = header.index('keypoints_y'), header.index('keypoints_x')
    rows = []
    for line, text in lines:
        fields = text.split(':')
        if len(fields) != 3:
            raise PoseDataError(
                f'{path}, line {line}: expected 3 ":"-separated fields '
                f'(name:keypoints_y:keypoints_x), got {len(fields)}')
        name = _unquote(fields[0])
        if not name:
            raise PoseDataError(f'{path}, line {line}: empty image name')
        ys = _parse_number_list(fields[y_col], path, line, 'keypoints_y')
        xs = _parse_number_list(fields[x_col], path, line, 'keypoints_x')
        keypoints = np.stack([xs, ys], axis=1).astype(np.float32)
        rows.append(AnnotationRow(name, keypoints, line))
    return rows


def read_pairs_csv(path: str) -> List[PairRow]:
    """Read a PATN pairs CSV (header ``from,to``; a file without a header is
    read as two columns).

    Raises:
        PoseDataError: A row with a wrong number of fields or an empty name,
            naming the file and line.
    """
    lines = _read_lines(path)
    src_col, tgt_col, has_header = 0, 1, False
    if lines:
        header = [_unquote(h).lower() for h in lines[0][1].split(',')]
        if 'from' in header and 'to' in header:
            src_col, tgt_col = header.index('from'), header.index('to')
            has_header = True
            lines.pop(0)
    expected = max(src_col, tgt_col) + 1
    rows = []
    for line, text in lines:
        fields = [_unquote(f) for f in text.split(',')]
        wanted = expected if has_header else 2
        if len(fields) < wanted or (not has_header and len(fields) != 2):
            raise PoseDataError(
                f'{path}, line {line}: expected {wanted} comma-separated '
                f'fields (from,to), got {len(fields)}: {text!r}')
        source, target = fields[src_col], fields[tgt_col]
        if not source or not target:
            raise PoseDataError(f'{path}, line {line}: empty image name in '
                                f'{text!r}')
        rows.append(PairRow(source, target, line))
    return rows


def _format_ints(values: np.ndarray) -> str:
    return '[' + ', '.join(str(int(v)) for v in values) + ']'


def write_annotation_csv(
        path: str, rows: Iterable[Tuple[str, np.ndarray]]) -> None:
    """Write a PATN annotation CSV.

    Args:
        path (str): Output file.
        rows: ``(name, keypoints)`` with keypoints ``(18, 2)`` ``(x, y)``;
            coordinates are rounded to integers and any negative coordinate is
            written as a missing joint (``-1`` in both columns).
    """
    with open(path, 'w') as f:
        f.write(ANNOTATION_HEADER + '\n')
        for name, keypoints in rows:
            keypoints = np.round(np.asarray(keypoints, dtype=np.float64))
            keypoints[(keypoints < 0).any(axis=1)] = -1
            f.write(f'{name}: {_format_ints(keypoints[:, 1])}: '
                    f'{_format_ints(keypoints[:, 0])}\n')


def write_pairs_csv(path: str, pairs: Iterable[Sequence[str]]) -> None:
    """Write a PATN pairs CSV (header ``from,to``)."""
    with open(path, 'w') as f:
        f.write(PAIRS_HEADER + '\n')
        for source, target in pairs:
            f.write(f'{source},{target}\n')


def patn_missing(keypoints: np.ndarray) -> np.ndarray:
    """Bool ``(18,)``: True for joints marked missing in a PATN file (``-1``
    in either coordinate). Other negative values are positions outside the
    frame, not markers."""
    return (np.asarray(keypoints) == -1).any(axis=-1)


def fit_keypoints_to_frame(keypoints: np.ndarray, frame: Sequence[int],
                           tolerance: float) -> Tuple[np.ndarray, int, int]:
    """Apply the dataset's policy for joints outside the keypoint frame.

    A joint with ``-1`` in either coordinate is missing (PATN's marker) and
    becomes ``(-1, -1)``. A joint at most ``tolerance`` pixels outside
    ``[0, W - 1] x [0, H - 1]`` is clipped onto the border; one farther out is
    marked missing.

    Args:
        keypoints (np.ndarray): ``(18, 2)`` ``(x, y)`` as read from a file.
        frame (Sequence[int]): ``(H, W)`` of the keypoint frame.
        tolerance (float): Pixels.

    Returns:
        tuple: ``(keypoints, num_clipped, num_outside)``: the new float32
        ``(18, 2)`` array and how many joints were clipped / marked missing.
    """
    height, width = frame
    keypoints = np.asarray(keypoints, dtype=np.float32).copy()
    missing = patn_missing(keypoints)
    high = np.array([width - 1, height - 1], dtype=np.float32)
    outside = ((keypoints < 0) | (keypoints > high)).any(axis=1) & ~missing
    far = ((keypoints < -tolerance) |
           (keypoints > high + tolerance)).any(axis=1) & ~missing
    keypoints = np.clip(keypoints, 0, high)
    keypoints[missing | far] = -1
    return keypoints, int((outside & ~far).sum()), int(far.sum())
