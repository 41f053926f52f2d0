"""Reading and checking label maps (index PNGs), shared by the datasets and the transforms."""
from typing import Optional

import mmcv
import numpy as np
from mmengine.fileio import get


def read_label_file(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an index PNG as (H, W) uint8; 3-channel files give their R channel.

    MHP-v2's person PNGs are 3-channel; the official reader
    (``Evaluation/Multi-Human-Parsing/v2/mhp_data.py``) takes channel 0 of
    the PIL (RGB) array. mmcv decodes to BGR, so that is index 2 here.

    Raises:
        FileNotFoundError: the file does not exist (message names it).
        OSError: the bytes are not a decodable image.
    """
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'label file not found: {path}') from e
    try:
        label = mmcv.imfrombytes(data, flag='unchanged', backend='cv2')
    except Exception as e:  # noqa: BLE001 (decoder errors have no common type)
        raise OSError(f'cannot decode label file {path}: expected an index PNG '
                      f'({type(e).__name__}: {e})') from e
    if label is None:
        raise OSError(f'cannot decode label file {path}: expected an index PNG')
    if label.ndim == 3:
        label = label[..., 2] if label.shape[2] >= 3 else label[..., 0]
    return label.astype(np.uint8, copy=False)


def check_label_map(seg: np.ndarray, path: str, img_shape=None, num_classes=None,
                ignore_index: int = 255) -> None:
    """Validate a label map (H, W) against the image shape and the class count."""
    if seg.ndim != 2:
        raise ValueError(f'label file {path}: expected a single-channel index PNG '
                         f'(pixel = class id), got an array of shape {seg.shape}')
    if img_shape is not None and tuple(seg.shape) != tuple(img_shape[:2]):
        raise ValueError(f'label file {path}: size {seg.shape[1]}x{seg.shape[0]} (WxH) does '
                         f'not match its image, {img_shape[1]}x{img_shape[0]}')
    if num_classes is not None:
        bad = (seg >= num_classes) & (seg != ignore_index)
        if bad.any():
            values = np.unique(seg[bad]).tolist()
            raise ValueError(f'label file {path}: values {values[:10]} are outside the '
                             f'{num_classes} classes [0, {num_classes - 1}] '
                             f'(and not ignore_index={ignore_index})')
