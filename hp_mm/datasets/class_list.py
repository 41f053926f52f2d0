"""Class lists of user datasets: a plain list of names, or CVAT's ``labelmap.txt``.

Two formats are read (:func:`load_class_list` tells them apart by content):

1. A plain class list, one class per line; the line order is the label index
   (the first class is label 0, usually the background). ``#`` starts a
   comment, blank lines are skipped. A line may declare the class's mirror
   image for the flip test and the flip augmentation::

       background
       hair
       l_sleeve <-> r_sleeve
       r_sleeve

   A line ``__ignore__`` (LabelMe's ``labels.txt`` convention) is not a class:
   it names regions to ignore (label 255) and takes no index.

2. CVAT's "Segmentation mask 1.1" ``labelmap.txt``, one ``name:r,g,b:parts:actions``
   line per class (``# label:color_rgb:parts:actions`` header), in label order::

       background:0,0,0::
       hair:255,0,0::

   The colours are the palette of the colour masks (``SegmentationClass/*.png``).

Left/right pairs not declared with ``<->`` are derived from the names: a class
``left<sep><rest>`` pairs with ``right<sep><rest>`` (case-insensitive, ``<sep>``
one of ``-``, ``_``, space), e.g. ``Left-arm`` / ``Right-arm`` (LIP),
``left-shoe`` / ``right-shoe`` (ATR).
"""
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.fileio import get_text

#: LabelMe's name for regions to leave out of the loss (it takes no class index).
IGNORE_NAME = '__ignore__'
#: The label written for ``__ignore__`` regions (mmseg's ``ignore_index``).
IGNORE_LABEL = 255
MIRROR_MARK = '<->'
_CVAT_LINE = re.compile(r'^(?P<name>[^:]+):\s*(?P<r>\d+)\s*,\s*(?P<g>\d+)\s*,\s*(?P<b>\d+)\s*'
                        r':(?P<rest>.*)$')
_SIDE = re.compile(r'^(?P<side>left|right)[-_ ](?P<rest>.+)$', re.IGNORECASE)


class ClassList(NamedTuple):
    """What a class file declares.

    Attributes:
        classes (tuple[str]): C class names; index = label.
        palette (list[tuple[int, int, int]] | None): RGB colour of each class
            (CVAT labelmaps), else None.
        flip_pairs (tuple[tuple[int, int]]): (left, right) label pairs, declared
            first, then derived from the names.
        has_ignore (bool): The list has an ``__ignore__`` line (label 255).
        is_labelmap (bool): The file is a CVAT labelmap (colour masks).
    """
    classes: Tuple[str, ...]
    palette: Optional[List[Tuple[int, int, int]]]
    flip_pairs: Tuple[Tuple[int, int], ...]
    has_ignore: bool
    is_labelmap: bool

    def label_of(self) -> Dict[str, int]:
        """Class name -> label, with ``__ignore__`` -> 255 when the list has it."""
        table = {name: i for i, name in enumerate(self.classes)}
        if self.has_ignore:
            table[IGNORE_NAME] = IGNORE_LABEL
        return table


def derive_flip_pairs(classes: Sequence[str]) -> List[Tuple[int, int]]:
    """(left, right) label pairs from ``left-X`` / ``right-X`` class names.

    Args:
        classes (Sequence[str]): Class names, index = label.

    Returns:
        list[tuple[int, int]]: One pair per ``X`` that has both sides, in the
        order of the left classes.

    Example:
        >>> derive_flip_pairs(['bg', 'Left-arm', 'Right-arm', 'left_shoe'])
        [(1, 2)]
    """
    sides: Dict[str, Dict[str, int]] = {}
    for i, name in enumerate(classes):
        m = _SIDE.match(name.strip())
        if m:
            sides.setdefault(m['rest'].lower(), {})[m['side'].lower()] = i
    return [(s['left'], s['right']) for s in sides.values() if len(s) == 2]


def _parse_cvat(lines: List[Tuple[int, str]], path: str) -> Tuple[list, list]:
    names, palette = [], []
    for lineno, line in lines:
        m = _CVAT_LINE.match(line)
        if m is None:
            raise ValueError(f'{path}:{lineno}: expected a CVAT labelmap line '
                             f'"name:r,g,b:parts:actions", got {line!r}')
        rgb = tuple(int(m[k]) for k in 'rgb')
        if max(rgb) > 255:
            raise ValueError(f'{path}:{lineno}: colour {rgb} of {m["name"]!r} is not 8-bit RGB')
        names.append(m['name'].strip())
        palette.append(rgb)
    seen: Dict[tuple, str] = {}
    for name, rgb in zip(names, palette):
        if rgb in seen:
            raise ValueError(f'{path}: classes {seen[rgb]!r} and {name!r} have the same colour '
                             f'{rgb}: a colour mask could not tell them apart')
        seen[rgb] = name
    return names, palette


def _parse_plain(lines: List[Tuple[int, str]], path: str) -> Tuple[list, list, bool]:
    names, declared, has_ignore = [], [], False
    for lineno, line in lines:
        name, _, mirror = (part.strip() for part in line.partition(MIRROR_MARK))
        if not name or (MIRROR_MARK in line and not mirror):
            raise ValueError(f'{path}:{lineno}: expected "name" or "name {MIRROR_MARK} mirror", '
                             f'got {line!r}')
        if name == IGNORE_NAME:
            if mirror:
                raise ValueError(f'{path}:{lineno}: {IGNORE_NAME} has no mirror class')
            has_ignore = True
            continue
        names.append(name)
        if mirror:
            declared.append((lineno, name, mirror))
    return names, declared, has_ignore


def parse_class_list(text: str, path: str = '<class list>') -> ClassList:
    """Parse the text of a class list or of a CVAT labelmap (see the module doc).

    Args:
        text (str): File content.
        path (str): Shown in error messages.

    Returns:
        ClassList: The classes, palette, flip pairs.

    Raises:
        ValueError: no class, a repeated name or colour, more than 255
            classes, a malformed line, or a mirror declaration naming an
            unknown class, the class itself, or a class already paired.
    """
    lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1)]
    lines = [(i, ln) for i, ln in lines if ln and not ln.startswith('#')]
    is_labelmap = any(_CVAT_LINE.match(ln) for _, ln in lines)
    if is_labelmap:
        names, palette = _parse_cvat(lines, path)
        declared, has_ignore = [], False
    else:
        names, declared, has_ignore = _parse_plain(lines, path)
        palette = None
    if not names:
        raise ValueError(f'{path}: no class names (one per line, the background first)')
    if len(names) > IGNORE_LABEL:
        raise ValueError(f'{path}: {len(names)} classes; at most {IGNORE_LABEL} fit 8-bit masks '
                         f'with {IGNORE_LABEL} kept for ignore')
    index: Dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index:
            raise ValueError(f'{path}: class {name!r} is listed twice (labels {index[name]} '
                             f'and {i})')
        index[name] = i
    pairs, paired = [], set()
    for lineno, name, mirror in declared:
        if mirror not in index:
            raise ValueError(f'{path}:{lineno}: mirror class {mirror!r} of {name!r} is not in '
                             'the list (it needs a line of its own)')
        pair = (index[name], index[mirror])
        if pair[0] == pair[1] or paired & set(pair):
            raise ValueError(f'{path}:{lineno}: {name!r} {MIRROR_MARK} {mirror!r}: a class is '
                             'its own mirror or already in another pair')
        pairs.append(pair)
        paired.update(pair)
    pairs += [p for p in derive_flip_pairs(names) if not paired & set(p)]
    return ClassList(tuple(names), palette, tuple(pairs), has_ignore, is_labelmap)


def load_class_list(path: str, backend_args: Optional[dict] = None) -> ClassList:
    """Read a class list or a CVAT ``labelmap.txt`` (see :func:`parse_class_list`).

    Raises:
        FileNotFoundError: the file does not exist (message names it).
    """
    try:
        text = get_text(path, backend_args=backend_args)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'class list not found: {path}') from e
    return parse_class_list(text, path)
