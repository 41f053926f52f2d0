"""Video input and output of the Inferencers: frames read lazily, drawings written as a video."""
import mimetypes
import os.path as osp
from typing import Iterator, List, Optional

import cv2
import mmcv
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.m4v')


def is_video(path) -> bool:
    """Whether a path names a video file (by its MIME type or extension)."""
    if not isinstance(path, str) or osp.isdir(path):
        return False
    kind = mimetypes.guess_type(path)[0] or ''
    return kind.startswith('video/') or path.lower().endswith(VIDEO_EXTENSIONS)


class VideoFrames:
    """The frames of a video as input records, read one at a time.

    Iterating yields ``{'index': frame index, 'name': '<stem>_<frame:06d>',
    'path': None, 'img': frame (H, W, 3) BGR}``.

    Args:
        path (str): The video file.

    Raises:
        OSError: The video cannot be opened.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.reader = mmcv.VideoReader(path)
        if not self.reader.vcap.isOpened():
            raise OSError(f'{path}: cannot open the video')
        self.fps = float(self.reader.fps) if self.reader.fps and self.reader.fps > 0 else 25.0
        self.stem = osp.splitext(osp.basename(path))[0]

    def __iter__(self) -> Iterator[dict]:
        for i, frame in enumerate(self.reader):
            yield dict(index=i, name=f'{self.stem}_{i:06d}', path=None, img=frame)


class VideoSink:
    """Writes RGB drawings as the frames of an ``mp4v`` video (opened at the first frame).

    Frames of another size than the first are resized to it.

    Args:
        out_file (str): The video to write (its folder is created).
        fps (float): Frame rate.
    """

    def __init__(self, out_file: str, fps: float) -> None:
        self.out_file, self.fps = out_file, fps
        self.writer: Optional[cv2.VideoWriter] = None
        self.size = None
        self.frames = 0

    def write(self, drawings: List[np.ndarray]) -> None:
        """Append RGB drawings (H, W, 3) as frames."""
        for rgb in drawings:
            frame = mmcv.rgb2bgr(rgb)
            if self.writer is None:
                mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
                self.writer = cv2.VideoWriter(self.out_file, cv2.VideoWriter_fourcc(*'mp4v'),
                                              self.fps, (frame.shape[1], frame.shape[0]))
                if not self.writer.isOpened():
                    raise OSError(f'cannot write the video {self.out_file} (mp4v codec)')
                self.size = frame.shape[:2]
            if frame.shape[:2] != self.size:
                frame = mmcv.imresize(frame, self.size[::-1])
            self.writer.write(frame)
            self.frames += 1

    def close(self) -> None:
        """Finish the file."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None
            print_log(f'wrote {self.frames} frames to {self.out_file}', logger='current')
