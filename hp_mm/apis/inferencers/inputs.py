"""The inputs of the Inferencers as records: files, folders, arrays, lists, a video.

A record is ``{'index': position, 'name': output name, 'path': file or None,
'img': BGR array or None (read later)}``.
"""
import os.path as osp
from typing import List, Sequence, Union

import numpy as np

from ..image_io import list_images
from .video import VideoFrames, is_video

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]


def is_single_input(inputs: InputsType) -> bool:
    """One image given alone (a path to a file that is not a video, or an array)."""
    return isinstance(inputs, np.ndarray) or (
        isinstance(inputs, str) and not osp.isdir(inputs) and not is_video(inputs))


def input_records(inputs: InputsType) -> Union[List[dict], VideoFrames]:
    """The records of ``inputs`` (see the module doc), or a video's frames.

    Names: the file stem; for a folder the path under it without suffix, ``_``
    for separators; ``'<index:08d>'`` for an array; ``'<video stem>_<frame:06d>'``.

    Raises:
        FileNotFoundError: A path that is neither a file nor a folder, or a
            folder without images.
        TypeError: An input that is neither a path nor an array.
    """
    if isinstance(inputs, np.ndarray):
        return [dict(index=0, name=f'{0:08d}', path=None, img=inputs)]
    if isinstance(inputs, str):
        if osp.isdir(inputs):
            return [dict(index=i, path=f, img=None,
                         name=osp.splitext(osp.relpath(f, inputs))[0].replace(osp.sep, '_'))
                    for i, f in enumerate(list_images(inputs))]
        if is_video(inputs):
            return VideoFrames(inputs)
        if not osp.exists(inputs):
            raise FileNotFoundError(f'input {inputs} is neither a file nor a folder')
        return [dict(index=0, name=osp.splitext(osp.basename(inputs))[0], path=inputs, img=None)]
    if isinstance(inputs, (list, tuple)):
        records = []
        for i, x in enumerate(inputs):
            if isinstance(x, np.ndarray):
                records.append(dict(index=i, name=f'{i:08d}', path=None, img=x))
            elif isinstance(x, str):
                records.append(dict(index=i, name=osp.splitext(osp.basename(x))[0], path=x,
                                    img=None))
            else:
                raise TypeError(f'input {i} must be an image path or a BGR array, got '
                                f'{type(x).__name__}')
        return records
    raise TypeError(f'inputs must be a path, a BGR array or a list of them, got '
                    f'{type(inputs).__name__}')
