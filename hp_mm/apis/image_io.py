"""Reading a user's images for inference: checked decoding and folder listing.

Decoders accept a cut-off download (cv2 greys out the missing rows and only
warns), so every file read for inference is checked first
(:func:`check_image_bytes`); :func:`read_image` then decodes it exactly as
mmcv's ``LoadImageFromFile`` does (cv2, colour, BGR).
"""
import os.path as osp
from typing import List

import mmcv
import numpy as np
from mmengine.fileio import get as read_bytes
from mmengine.fileio import list_dir_or_file

#: File suffixes taken as images when a folder is listed (compared lower-case).
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def list_images(path: str) -> List[str]:
    """An image file, or the images of a folder and its sub-folders, sorted.

    Args:
        path (str): An image file or a folder (hidden entries are skipped).

    Returns:
        list[str]: ``[path]`` for a file; else ``path/<relative path>`` of
        every file whose suffix is in :data:`IMG_EXTENSIONS`, sorted.

    Raises:
        FileNotFoundError: ``path`` is neither a file nor a folder, or the
            folder holds no image.
    """
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input {path} is neither an image file nor a folder')
    files = sorted(osp.join(path, rel) for rel in list_dir_or_file(
        path, list_dir=False, recursive=True) if rel.lower().endswith(IMG_EXTENSIONS))
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
    return files


def check_image_bytes(data: bytes, name: str) -> None:
    """Raise ``OSError`` for an empty file, or a JPEG or PNG that is cut short.

    A JPEG's last start-of-scan marker (``FF DA``) must be followed by an
    end-of-image marker (``FF D9``, which entropy-coded data cannot contain);
    a PNG must hold its ``IEND`` chunk. Bytes after the end are accepted.

    Args:
        data (bytes): The file's bytes.
        name (str): The file, for the message.
    """
    if not data:
        raise OSError(f'{name}: empty file')
    if data[:2] == b'\xff\xd8':
        sos = data.rfind(b'\xff\xda')
        if sos < 0 or data.rfind(b'\xff\xd9') < sos:
            raise OSError(f'{name}: truncated JPEG (no end-of-image marker after the last '
                          f'scan; {len(data)} bytes)')
    elif data[:8] == b'\x89PNG\r\n\x1a\n' and data.rfind(b'IEND') < 0:
        raise OSError(f'{name}: truncated PNG (no IEND chunk; {len(data)} bytes)')


def read_image(path: str) -> np.ndarray:
    """Read a colour image as mmcv's ``LoadImageFromFile`` does (cv2, BGR), checked.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR.

    Raises:
        FileNotFoundError: No such file.
        OSError: Truncated (:func:`check_image_bytes`) or undecodable.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    data = read_bytes(path)
    check_image_bytes(data, path)
    try:
        img = mmcv.imfrombytes(data, flag='color', backend='cv2')
    except Exception as e:  # noqa: BLE001 (decoders raise many types)
        raise OSError(f'{path}: cannot decode ({type(e).__name__}: {e})') from e
    if img is None or img.ndim != 3 or img.size == 0:
        raise OSError(f'{path}: cannot decode as an image (expected JPEG/PNG/BMP/...)')
    return img


def check_bgr_image(img, name: str) -> np.ndarray:
    """``img`` if it is a colour image array (H, W, 3), else a ``ValueError`` naming it."""
    if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3):
        raise ValueError(f'{name}: expected a BGR image array (H, W, 3), got '
                         f'{getattr(img, "shape", type(img).__name__)}')
    return img
