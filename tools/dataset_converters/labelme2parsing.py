"""Convert LabelMe annotations (polygon JSON) to index masks that CustomParsingDataset reads.

    python tools/dataset_converters/labelme2parsing.py IN_DIR OUT_DIR --classes FILE \
        [--img-suffix .jpg]

IN_DIR holds LabelMe ``*.json`` files (searched recursively), each naming its image
(``imagePath``, relative to the JSON file; else the embedded ``imageData``). FILE is a
class list, one name per line, background first (see ``hp_mm/datasets/class_list.py``;
``__ignore__`` regions become 255). Writes::

    OUT_DIR/images/<stem><img-suffix>   the image (copied; re-encoded if its format differs)
    OUT_DIR/masks/<stem>.png            8-bit class indices (0 where no shape lies)
    OUT_DIR/classes.txt                 the class list, left/right pairs written out

Shapes are filled in file order, later shapes on top (LabelMe draws them so):
``polygon`` (vertices rounded to the nearest pixel, boundary included), ``rectangle``,
``circle`` and ``mask``; lines and points have no area and are an error. A label not in
FILE is an error naming the file and the label. Bad files are skipped and listed at
the end, and the exit status is then 1.
"""
import argparse
import base64
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Tuple

import cv2
import numpy as np
from mmengine.utils import track_iter_progress

from hp_mm.datasets import ClassList, load_class_list
from hp_mm.datasets.class_list import IGNORE_NAME, MIRROR_MARK

FILLED_SHAPES = ('polygon', 'rectangle', 'circle', 'mask')
_MAGIC = {'.jpg': b'\xff\xd8\xff', '.png': b'\x89PNG\r\n\x1a\n'}


def parse_args():
    parser = argparse.ArgumentParser(description='LabelMe JSON -> images + index masks')
    parser.add_argument('in_dir', help='folder with the LabelMe .json files')
    parser.add_argument('out_dir', help='dataset root to write (images/, masks/, classes.txt)')
    parser.add_argument('--classes', required=True,
                        help='class list: one name per line, background first')
    parser.add_argument('--img-suffix', default='.jpg', choices=('.jpg', '.png'),
                        help='suffix of the written images (CustomParsingDataset img_suffix)')
    return parser.parse_args()


def _points(shape: dict, where: str, count: int = None) -> np.ndarray:
    pts = np.asarray(shape.get('points', []), dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or (count and len(pts) != count) or len(pts) == 0:
        want = f'{count} points' if count else 'points'
        raise ValueError(f'{where}: expected {want} [[x, y], ...], got {shape.get("points")!r}')
    return pts


def shape_mask(shape: dict, height: int, width: int, where: str) -> np.ndarray:
    """The pixels one LabelMe shape covers.

    Args:
        shape (dict): A ``shapes`` entry (``shape_type``, ``points``, ``mask``).
        height (int): Image height H.
        width (int): Image width W.
        where (str): ``'<file>: shape <i>'``, named in errors.

    Returns:
        np.ndarray: (H, W) bool.
    """
    kind = shape.get('shape_type') or 'polygon'
    canvas = np.zeros((height, width), np.uint8)
    if kind == 'polygon':
        pts = _points(shape, where)
        if len(pts) < 3:
            raise ValueError(f'{where}: a polygon needs at least 3 points, got {len(pts)}')
        cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1)
    elif kind == 'rectangle':
        (x1, y1), (x2, y2) = np.round(_points(shape, where, 2)).astype(np.int64)
        canvas[max(min(y1, y2), 0):max(y1, y2) + 1, max(min(x1, x2), 0):max(x1, x2) + 1] = 1
    elif kind == 'circle':
        (cx, cy), (px, py) = _points(shape, where, 2)
        radius = int(round(np.hypot(px - cx, py - cy)))
        cv2.circle(canvas, (int(round(cx)), int(round(cy))), radius, 1, thickness=-1)
    elif kind == 'mask':
        (x1, y1), _ = np.round(_points(shape, where, 2)).astype(np.int64)
        try:
            part = cv2.imdecode(np.frombuffer(base64.b64decode(shape['mask']), np.uint8),
                                cv2.IMREAD_GRAYSCALE)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f'{where}: a mask shape needs a base64 PNG in "mask" ({e})') from e
        if part is None:
            raise ValueError(f'{where}: "mask" is not a base64 PNG')
        h, w = part[:max(height - y1, 0), :max(width - x1, 0)].shape
        canvas[y1:y1 + h, x1:x1 + w] = part[:h, :w] > 0
    else:
        raise ValueError(f'{where}: shape_type {kind!r} has no area; expected one of '
                         f'{FILLED_SHAPES}')
    return canvas.astype(bool)


def read_image(ann: dict, json_path: str) -> Tuple[bytes, str]:
    """The image bytes of a LabelMe file and their source (path or ``imageData``)."""
    rel = ann.get('imagePath')
    if rel:
        path = osp.normpath(osp.join(osp.dirname(json_path), rel.replace('\\', '/')))
        if osp.isfile(path):
            with open(path, 'rb') as f:
                return f.read(), path
    if ann.get('imageData'):
        try:
            return base64.b64decode(ann['imageData']), 'imageData'
        except ValueError as e:
            raise ValueError(f'{json_path}: imageData is not base64 ({e})') from e
    raise FileNotFoundError(f'{json_path}: image {rel!r} not found next to it and no imageData')


def rasterize(ann: dict, height: int, width: int, label_of: Dict[str, int],
              json_path: str, classes_file: str) -> np.ndarray:
    """Fill the shapes of one LabelMe file, in file order (later shapes on top).

    Returns:
        np.ndarray: (H, W) uint8 labels; 0 where no shape lies.
    """
    mask = np.zeros((height, width), np.uint8)
    for i, shape in enumerate(ann.get('shapes') or []):
        label = str(shape.get('label', '')).strip()
        if label not in label_of:
            raise ValueError(f'{json_path}: shape {i} has label {label!r}, which is not in '
                             f'{classes_file}')
        mask[shape_mask(shape, height, width, f'{json_path}: shape {i} ({label!r})')] = \
            label_of[label]
    return mask


def convert_file(json_path: str, out_dir: str, label_of: Dict[str, int], classes_file: str,
                 img_suffix: str) -> str:
    """Convert one LabelMe file; return the stem written. Errors name the file."""
    try:
        with open(json_path, encoding='utf-8') as f:
            ann = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{json_path}: not a LabelMe JSON file ({e})') from e
    if not isinstance(ann, dict) or not isinstance(ann.get('shapes', []), list):
        raise ValueError(f'{json_path}: not a LabelMe JSON file (no "shapes" list)')
    data, source = read_image(ann, json_path)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'{json_path}: cannot decode its image ({source})')
    height, width = img.shape[:2]
    declared = (ann.get('imageHeight'), ann.get('imageWidth'))
    if None not in declared and tuple(declared) != (height, width):
        raise ValueError(f'{json_path}: imageHeight x imageWidth {declared[0]} x {declared[1]} '
                         f'but the image ({source}) is {height} x {width}')
    mask = rasterize(ann, height, width, label_of, json_path, classes_file)
    stem = osp.splitext(osp.basename(json_path))[0]
    img_out = osp.join(out_dir, 'images', stem + img_suffix)
    if data.startswith(_MAGIC[img_suffix]):
        with open(img_out, 'wb') as f:
            f.write(data)
    elif not cv2.imwrite(img_out, img):
        raise OSError(f'could not write {img_out}')
    if not cv2.imwrite(osp.join(out_dir, 'masks', stem + '.png'), mask):
        raise OSError(f'could not write {osp.join(out_dir, "masks", stem + ".png")}')
    return stem


def write_class_list(class_list: ClassList, path: str) -> None:
    """Write a plain class list (index masks), every left/right pair declared."""
    mirror = {left: class_list.classes[right] for left, right in class_list.flip_pairs}
    lines = [f'{name} {MIRROR_MARK} {mirror[i]}' if i in mirror else name
             for i, name in enumerate(class_list.classes)]
    if class_list.has_ignore:
        lines.append(IGNORE_NAME)
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def find_json(in_dir: str) -> List[str]:
    """The ``*.json`` files under ``in_dir``, sorted."""
    found = []
    for root, _, files in os.walk(in_dir):
        found += [osp.join(root, f) for f in files if f.lower().endswith('.json')]
    return sorted(found)


def main():
    args = parse_args()
    if not osp.isdir(args.in_dir):
        sys.exit(f'input folder not found: {args.in_dir}')
    class_list = load_class_list(args.classes)
    label_of = class_list.label_of()
    files = find_json(args.in_dir)
    if not files:
        sys.exit(f'no LabelMe .json file under {args.in_dir}')
    for sub in ('images', 'masks'):
        os.makedirs(osp.join(args.out_dir, sub), exist_ok=True)
    written: Dict[str, str] = {}
    failures: List[str] = []
    for path in track_iter_progress(files):
        stem = osp.splitext(osp.basename(path))[0]
        if stem in written:
            failures.append(f'{path}: same name as {written[stem]} (outputs are named by the '
                            'JSON file name)')
            continue
        try:
            written[convert_file(path, args.out_dir, label_of, args.classes,
                                 args.img_suffix)] = path
        except (OSError, ValueError) as e:
            failures.append(str(e))
    write_class_list(class_list, osp.join(args.out_dir, 'classes.txt'))
    print(f'\nwrote {len(written)} image/mask pairs and classes.txt to '
          f'{osp.abspath(args.out_dir)}')
    if failures:
        print(f'{len(failures)} of {len(files)} files were not converted:', file=sys.stderr)
        for msg in failures:
            print(f'  {msg}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
