"""Shared behaviour of the single-person parsing datasets (LIP, CIHP, ATR, PASCAL-Person-Part).

Every sample carries the metadata its transforms and metrics need, so nothing is
global state (QANet's ``FLIP_MAP`` class attribute is the anti-pattern):

- ``flip_pairs``: the (left, right) label pairs that a horizontal flip swaps;
- ``num_classes``: used by :class:`LoadParsingAnnotations` to reject bad labels;
- ``attributes``: the LIP challenge attributes (occlusion, full-body, upper-body,
  head-missed, back-view) when the dataset provides an attribute file.
"""
import json
import os.path as osp
from typing import List, Optional

from mmengine.fileio import exists, get_text

CHALLENGE_ATTRIBUTES = ('occlusion', 'full_body', 'upper_body', 'head_missed', 'back_view')


class HumanParsingDatasetMixin:
    """Mixin for mmseg ``BaseSegDataset`` subclasses: per-sample metadata and file checks.

    Args:
        attribute_file (str, optional): JSON file mapping an image id (file stem)
            to ``{attribute: bool}`` for :data:`CHALLENGE_ATTRIBUTES`; relative
            paths are joined with ``data_root``. hp_mm's sidecar for LIP's
            challenge breakdowns (paper Fig. 5). Defaults to None.
        check_files (bool): Whether to verify at load time that every image and
            label file exists (one ``stat`` each), so a missing file fails at
            start-up with its path, not hours into training. Defaults to True.
    """

    def __init__(self, *args, attribute_file: Optional[str] = None, check_files: bool = True,
                 **kwargs) -> None:
        self.attribute_file = attribute_file
        self.check_files = check_files
        super().__init__(*args, **kwargs)

    def _join_root(self, path: str) -> str:
        if self.data_root and not osp.isabs(path):
            return osp.join(self.data_root, path)
        return path

    def _load_attributes(self) -> Optional[dict]:
        if not self.attribute_file:
            return None
        path = self._join_root(self.attribute_file)
        if not exists(path, backend_args=self.backend_args):
            raise FileNotFoundError(f'attribute_file not found: {path}')
        try:
            table = json.loads(get_text(path, backend_args=self.backend_args))
        except json.JSONDecodeError as e:
            raise ValueError(f'attribute_file {path} is not valid JSON: {e}') from e
        if not isinstance(table, dict):
            raise ValueError(f'attribute_file {path}: expected a JSON object mapping '
                             f'image id -> {{attribute: bool}}, got {type(table).__name__}')
        return table

    def load_data_list(self) -> List[dict]:
        """Load mmseg's data list and add ``flip_pairs``, ``num_classes``, ``attributes``."""
        data_list = super().load_data_list()
        attributes = self._load_attributes()
        flip_pairs = [tuple(p) for p in self._metainfo.get('flip_pairs', ())]
        num_classes = len(self._metainfo['classes'])
        for info in data_list:
            if self.check_files:
                for key in ('img_path', 'seg_map_path'):
                    if key in info and not exists(info[key], backend_args=self.backend_args):
                        raise FileNotFoundError(
                            f'{type(self).__name__}: {key} {info[key]} does not exist '
                            f'(listed by {self.ann_file or self.data_prefix.get("img_path")})')
            info['flip_pairs'] = flip_pairs
            info['num_classes'] = num_classes
            if attributes is not None:
                stem = osp.splitext(osp.basename(info['img_path']))[0]
                if stem not in attributes:
                    raise KeyError(f'attribute_file {self.attribute_file} has no entry for '
                                   f'image id {stem!r}')
                info['attributes'] = {k: bool(v) for k, v in attributes[stem].items()}
        return data_list
