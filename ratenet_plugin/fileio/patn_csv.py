"""The PATN DeepFashion CSVs: annotation rows and pairs, read and written here.

Annotation CSV (``fasion-resize-annotation-{train,test}.csv``)::

    name:keypoints_y:keypoints_x
    fashionWOMENDressesid0000262902_3back.jpg: [28, 54, ...]: [87, 88, ...]

``:``-separated; each keypoint column is a list of 18 numbers in COCO-18 order
(see :mod:`ratenet_plugin.datasets.keypoints`), ``-1`` for a missing joint.
Pairs CSV (``fasion-resize-pairs-{train,test}.csv``): header ``from,to``, one
pair a row; a file without the header is read as two columns.

Files are UTF-8 (see :mod:`.text_file`). Quirks of real files that the
readers accept: spaces after ``:`` or none, trailing commas or spaces on any
line, a UTF-8 byte-order mark, CRLF line ends, blank lines, quotes around
fields, a header whose keypoint columns come in the order
``keypoints_x:keypoints_y``, a pairs header with extra columns (such as a
pandas index). Anything else malformed raises :class:`PoseDataError` naming
the file and line.

Names: the PATN "flattened" name
(``fashionWOMENDressesid0000262902_3back.jpg``) is the canonical key. A
path-style name as in the raw In-shop lists
(``fashion/WOMEN/Dresses/id_00002629/02_3_back.jpg``, or starting with
``img/``) is flattened the way PATN's ``generate_fashion_datasets.py`` does
it; see :func:`flatten_name`.

Coordinates: ``-1`` in either coordinate marks a missing joint; any other
value is a position, possibly outside the frame. :func:`read_annotations` is
the one reading of an annotation file into usable keypoints (flattened names,
:func:`fit_keypoints_to_frame`), shared by the dataset and the inferencer, so
a row gives the same keypoints in training, testing and inference.
"""
import re
from typing import (Dict, Iterable, List, NamedTuple, Optional, Sequence,
                    Tuple)

import numpy as np

from ratenet_plugin.datasets.keypoints import NUM_KEYPOINTS
from .errors import UserInputError
from .text_file import read_text, write_text

ANNOTATION_HEADER = 'name:keypoints_y:keypoints_x'
PAIRS_HEADER = 'from,to'
#: Pixels a joint may lie outside the keypoint frame and still be clipped
#: onto it (the dataset's and the inferencer's default).
OUTSIDE_TOLERANCE = 10.0
_IDENTITY_RE = re.compile(r'id_?(\d{8})')


class PoseDataError(UserInputError):
    """A pose data file, row or pair that cannot be used; names it."""


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
    lines = [(i, raw.rstrip('\r').rstrip(' \t,'))
             for i, raw in enumerate(read_text(path).split('\n'), start=1)]
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


def format_annotation_row(name: str, keypoints: np.ndarray) -> str:
    """One annotation line ``name: [y0, ..., y17]: [x0, ..., x17]``.

    Args:
        name (str): Image name; must not contain ``:``.
        keypoints (np.ndarray): ``(18, 2)`` ``(x, y)``. Coordinates are
            rounded to integers and a joint with any negative coordinate is
            written as missing (``-1`` in both columns).

    Raises:
        PoseDataError: A name with ``:`` or keypoints of another shape.
    """
    if ':' in name or '\n' in name:
        raise PoseDataError(
            f'image name {name!r} contains ":" or a line break, which the '
            'PATN annotation format cannot hold; rename the image')
    keypoints = np.round(np.asarray(keypoints, dtype=np.float64))
    if keypoints.shape != (NUM_KEYPOINTS, 2):
        raise PoseDataError(f'{name}: expected ({NUM_KEYPOINTS}, 2) '
                            f'keypoints, got shape {keypoints.shape}')
    keypoints[(keypoints < 0).any(axis=1)] = -1
    return (f'{name}: {_format_ints(keypoints[:, 1])}: '
            f'{_format_ints(keypoints[:, 0])}')


class AnnotationCsvWriter:
    """Writes an annotation CSV row by row (header first).

    Use as a context manager; each :meth:`write` adds one line formatted by
    :func:`format_annotation_row`, so rows written before an error stay in
    the file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, 'w', encoding='utf-8', newline='\n')
        self._file.write(ANNOTATION_HEADER + '\n')

    def write(self, name: str, keypoints: np.ndarray) -> None:
        """Add the row of image ``name``."""
        self._file.write(format_annotation_row(name, keypoints) + '\n')
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> 'AnnotationCsvWriter':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def write_annotation_csv(
        path: str, rows: Iterable[Tuple[str, np.ndarray]]) -> None:
    """Write a PATN annotation CSV.

    Args:
        path (str): Output file.
        rows: ``(name, keypoints)`` pairs, see :func:`format_annotation_row`.
    """
    with AnnotationCsvWriter(path) as writer:
        for name, keypoints in rows:
            writer.write(name, keypoints)


def write_pairs_csv(path: str, pairs: Iterable[Sequence[str]]) -> None:
    """Write a PATN pairs CSV (header ``from,to``).

    Raises:
        PoseDataError: A name containing ``,`` or a line break.
    """
    lines = [PAIRS_HEADER]
    for source, target in pairs:
        for name in (source, target):
            if ',' in name or '\n' in name:
                raise PoseDataError(
                    f'image name {name!r} contains "," or a line break, '
                    'which the pairs CSV cannot hold; rename the image')
        lines.append(f'{source},{target}')
    write_text(path, '\n'.join(lines) + '\n')


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


class AnnotationIndex(NamedTuple):
    """An annotation CSV as the dataset and the inferencer use it.

    Attributes:
        rows (dict[str, AnnotationRow]): By flattened name; keypoints fitted
            to the frame (:func:`fit_keypoints_to_frame`).
        clipped (int): Joints clipped onto the frame.
        outside (int): Joints too far outside, marked missing.
    """
    rows: Dict[str, AnnotationRow]
    clipped: int
    outside: int

    def keypoints_of(self, name: str, path: str,
                     where: Optional[str] = None) -> np.ndarray:
        """The keypoints of image ``name`` (flattened or path-style) of the
        annotation CSV ``path``; a malformed name's error starts with
        ``where`` (default ``path``).

        Raises:
            PoseDataError: No row for ``name``, or a malformed name.
        """
        key = flatten_name_at(name, where or path)
        if key not in self.rows:
            raise PoseDataError(
                f'{path}: no annotation row for image {name!r}')
        return self.rows[key].keypoints


def flatten_name_at(name: str, where: str) -> str:
    """:func:`flatten_name`, a bad name raising :class:`PoseDataError`
    prefixed with ``where`` (file and line)."""
    try:
        return flatten_name(name)
    except ValueError as error:
        raise PoseDataError(f'{where}: {error}') from None


def read_annotations(path: str,
                     frame: Sequence[int],
                     outside_tolerance: float = OUTSIDE_TOLERANCE
                     ) -> AnnotationIndex:
    """Read an annotation CSV into usable keypoints by flattened name.

    Args:
        path (str): The annotation CSV.
        frame (Sequence[int]): ``(H, W)`` of the images it annotates.
        outside_tolerance (float): See :func:`fit_keypoints_to_frame`.

    Raises:
        PoseDataError: A malformed row (see :func:`read_annotation_csv`), a
            bad path-style name, or an image annotated twice (also once
            flattened and once path-style), naming the file and lines.
    """
    rows: Dict[str, AnnotationRow] = {}
    clipped, outside = 0, 0
    for row in read_annotation_csv(path):
        where = f'{path}, line {row.line}'
        key = flatten_name_at(row.name, where)
        if key in rows:
            raise PoseDataError(
                f'{where}: image {row.name!r} is annotated again (first '
                f'on line {rows[key].line})')
        keypoints, num_clipped, num_outside = fit_keypoints_to_frame(
            row.keypoints, frame, outside_tolerance)
        clipped += num_clipped
        outside += num_outside
        rows[key] = row._replace(keypoints=keypoints)
    return AnnotationIndex(rows, clipped, outside)


def read_annotation_keypoints(path: str,
                              name: str,
                              frame: Sequence[int],
                              outside_tolerance: float = OUTSIDE_TOLERANCE
                              ) -> np.ndarray:
    """The keypoints of image ``name`` exactly as the dataset reads them.

    Args:
        path (str): The annotation CSV.
        name (str): Image name, flattened or path-style.
        frame (Sequence[int]): ``(H, W)`` of the annotated images.
        outside_tolerance (float): See :func:`fit_keypoints_to_frame`.

    Returns:
        np.ndarray: float32 ``(18, 2)`` ``(x, y)``, ``-1`` missing.

    Raises:
        PoseDataError: No row for ``name``, or a malformed file.
    """
    return read_annotations(path, frame,
                            outside_tolerance).keypoints_of(name, path)
