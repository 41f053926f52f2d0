"""Person re-ID datasets in their real on-disk layouts (Market-1501, DukeMTMC-reID,
CUHK03-NP, Occluded-DukeMTMC).

Every sample (``data_info``) carries:

- ``img_path``;
- ``pid``: the identity in the file name (0 = Market-1501 distractor, kept in the
  gallery as a negative; -1 = junk box, dropped at load as torchreid does);
- ``camid``: the camera, 0-based (``c1`` -> 0);
- ``label``: contiguous identity label 0..P-1 (sorted pids) in the train split, -1 in
  the test splits;
- ``split``: ``'train'``, ``'query'`` or ``'gallery'``;
- ``sample_idx``: set by mmengine's ``BaseDataset.get_data_info``;
- ``part_mask_path`` when ``part_mask_prefix`` is given (e.g. MiniHumans' ground-truth
  LIP part masks ``hp_mm_part_masks/<folder>/<stem>.png``).

``split='test'`` is the query set followed by the gallery set in ONE dataset, so one
``test_dataloader`` and :class:`hp_mm.evaluation.ReIDMetric` (which tells them apart
by ``split``) work with ``tools/test.py`` unchanged.
"""
import os
import os.path as osp
import re
from typing import List, Optional

from mmengine.dataset import BaseDataset

from hp_mm.registry import DATASETS

SPLITS = ('train', 'query', 'gallery', 'test')


class BaseReIDDataset(BaseDataset):
    """Images in ``bounding_box_train`` / ``query`` / ``bounding_box_test`` whose file
    names carry the pid and the camera.

    Subclasses set ``NAME_PATTERN`` (a regex with groups ``pid`` and ``cam`` that must
    match the whole file stem), ``NAME_EXAMPLE``, ``IMG_SUFFIX`` and ``NUM_CAMERAS``.

    Args:
        split (str): ``'train'``, ``'query'``, ``'gallery'`` or ``'test'`` (query then
            gallery).
        data_root (str): Dataset root (the folder holding the three split folders).
        data_prefix (dict): Folder of each split under ``data_root``: keys ``train``,
            ``query``, ``gallery``.
        part_mask_prefix (str, optional): Folder (under ``data_root``) with one
            ``<split folder>/<stem>.png`` part mask per image; adds ``part_mask_path``.
        drop_junk (bool): Drop pid -1 images. Default True (torchreid).
        **kwargs: ``mmengine.dataset.BaseDataset`` arguments (``pipeline``,
            ``test_mode``, ``indices``, ``serialize_data``, ``lazy_init``, ...).
    """
    NAME_PATTERN = re.compile(r'(?P<pid>-1|\d+)_c(?P<cam>\d+).*')
    NAME_EXAMPLE = '0001_c1_...'
    IMG_SUFFIX = '.jpg'
    NUM_CAMERAS = 6
    METAINFO = dict(dataset_name='re-ID')

    def __init__(self, split: str = 'train', data_root: str = '',
                 data_prefix: Optional[dict] = None, part_mask_prefix: Optional[str] = None,
                 drop_junk: bool = True, **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of {SPLITS}, '
                             f'got {split!r}')
        self.split = split
        self.part_mask_prefix = part_mask_prefix
        self.drop_junk = drop_junk
        prefix = dict(train='bounding_box_train', query='query', gallery='bounding_box_test')
        prefix.update(data_prefix or {})
        kwargs.setdefault('test_mode', split != 'train')
        super().__init__(data_root=data_root, data_prefix=prefix, **kwargs)

    def _join_root(self, path: str) -> str:
        return path if osp.isabs(path) or not self.data_root else osp.join(self.data_root, path)

    def parse_name(self, path: str):
        """``(pid, camid 0-based)`` from a file name; raises naming the file."""
        stem = osp.splitext(osp.basename(path))[0]
        m = self.NAME_PATTERN.fullmatch(stem)
        if m is None:
            raise ValueError(f'{type(self).__name__}: file name {path!r} is not like '
                             f'{self.NAME_EXAMPLE!r} (pattern {self.NAME_PATTERN.pattern!r})')
        pid, cam = int(m.group('pid')), int(m.group('cam'))
        if not 1 <= cam <= self.NUM_CAMERAS:
            raise ValueError(f'{type(self).__name__}: camera {cam} out of range '
                             f'1..{self.NUM_CAMERAS} in file name {path!r}')
        if pid < -1:
            raise ValueError(f'{type(self).__name__}: pid {pid} < -1 in file name {path!r}')
        return pid, cam - 1

    def _scan(self, split: str) -> List[dict]:
        img_dir = self.data_prefix[split]  # BaseDataset has joined data_root already
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{type(self).__name__}: {split} folder {img_dir!r} not '
                                    f'found (data_root={self.data_root!r})')
        names = sorted(n for n in os.listdir(img_dir) if n.endswith(self.IMG_SUFFIX))
        if not names:
            raise FileNotFoundError(f'{type(self).__name__}: no *{self.IMG_SUFFIX} images in '
                                    f'{img_dir!r}')
        infos = []
        for name in names:
            path = osp.join(img_dir, name)
            pid, camid = self.parse_name(path)
            if pid == -1 and self.drop_junk:
                continue
            info = dict(img_path=path, pid=pid, camid=camid, label=-1, split=split)
            if self.part_mask_prefix is not None:
                info['part_mask_path'] = osp.join(
                    self._join_root(self.part_mask_prefix), osp.basename(img_dir.rstrip('/')),
                    osp.splitext(name)[0] + '.png')
            infos.append(info)
        return infos

    def load_data_list(self) -> List[dict]:
        """Scan the split folder(s); relabel the train pids to 0..P-1 (sorted)."""
        if self.split == 'train':
            infos = self._scan('train')
            pids = sorted({d['pid'] for d in infos})
            label_of = {p: i for i, p in enumerate(pids)}
            for d in infos:
                d['label'] = label_of[d['pid']]
        elif self.split == 'test':
            infos = self._scan('query') + self._scan('gallery')
        else:
            infos = self._scan(self.split)
        self._metainfo.update(
            split=self.split,
            num_identities=len({d['pid'] for d in infos}),
            num_cameras=self.NUM_CAMERAS,
            num_query=sum(d['split'] == 'query' for d in infos),
            num_gallery=sum(d['split'] == 'gallery' for d in infos))
        return infos

    def get_pids(self) -> List[int]:
        """The ``pid`` of every sample, in index order (no image is read)."""
        return [self.get_data_info(i)['pid'] for i in range(len(self))]


@DATASETS.register_module()
class Market1501Dataset(BaseReIDDataset):
    """Market-1501 (Zheng et al., ICCV 2015).

    Layout (``data_root='data/market1501/Market-1501-v15.09.15'``)::

        bounding_box_train/0002_c1s1_000451_03.jpg   12,936 images, 751 ids
        query/                                        3,368 images, 750 ids
        bounding_box_test/                           19,732 images (15,913 without
                                                     the pid -1 junk; pid 0000 =
                                                     distractors, kept)

    ``0002_c1s1_000451_03``: pid 0002, camera 1 (1-6), sequence 1, frame 000451, 3rd
    detection box in the frame.
    """
    NAME_PATTERN = re.compile(r'(?P<pid>-1|\d+)_c(?P<cam>\d)s(?P<seq>\d+)_(?P<frame>\d+)'
                              r'_(?P<box>\d+)')
    NAME_EXAMPLE = '0002_c1s1_000451_03'
    IMG_SUFFIX = '.jpg'
    NUM_CAMERAS = 6
    METAINFO = dict(dataset_name='Market-1501')


@DATASETS.register_module()
class DukeMTMCReIDDataset(BaseReIDDataset):
    """DukeMTMC-reID (Zheng et al., ICCV 2017; layumi/DukeMTMC-reID_evaluation).

    Layout (``data_root='data/dukemtmc-reid/DukeMTMC-reID'``)::

        bounding_box_train/0005_c2_f0046985.jpg   16,522 images, 702 ids
        query/                                     2,228 images, 702 ids
        bounding_box_test/                        17,661 images (+408 distractor ids)

    ``0005_c2_f0046985``: pid 0005, camera 2 (1-8), frame 0046985.
    """
    NAME_PATTERN = re.compile(r'(?P<pid>-1|\d+)_c(?P<cam>\d)_f(?P<frame>\d+)')
    NAME_EXAMPLE = '0005_c2_f0046985'
    IMG_SUFFIX = '.jpg'
    NUM_CAMERAS = 8
    METAINFO = dict(dataset_name='DukeMTMC-reID')


@DATASETS.register_module()
class OccludedDukeDataset(DukeMTMCReIDDataset):
    """Occluded-DukeMTMC (Miao et al., ICCV 2019; lightas/Occluded-DukeMTMC-Dataset):
    DukeMTMC-reID's folders and names, re-split so that queries are occluded.

    Layout (``data_root='data/Occluded_Duke'``): ``bounding_box_train`` (15,618),
    ``query`` (2,210), ``bounding_box_test`` (17,661).
    """
    METAINFO = dict(dataset_name='Occluded-DukeMTMC')


@DATASETS.register_module()
class CUHK03NPDataset(BaseReIDDataset):
    """CUHK03 under the new protocol (CUHK03-NP, Zhong et al., CVPR 2017;
    zhunzhong07/person-re-ranking ``CUHK03-NP``), labeled or detected boxes, PNG.

    Layout (``data_root='data/cuhk03-np'``, the one ISP reads)::

        {labeled,detected}/bounding_box_train/0001_c1_1.png   7,368 / 7,365 images, 767 ids
        {labeled,detected}/query/                              1,400 images, 700 ids
        {labeled,detected}/bounding_box_test/                  5,328 / 5,332 images

    Two cameras (``c1``, ``c2``); the name is ``<pid>_c<camera>_<index>``.

    Args:
        subset (str): ``'labeled'`` or ``'detected'``; prefixes the split folders.
    """
    NAME_PATTERN = re.compile(r'(?P<pid>-1|\d+)_c(?P<cam>\d)_(?P<index>\d+)')
    NAME_EXAMPLE = '0001_c1_1'
    IMG_SUFFIX = '.png'
    NUM_CAMERAS = 2
    METAINFO = dict(dataset_name='CUHK03-NP')

    def __init__(self, subset: str = 'labeled', data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        if subset not in ('labeled', 'detected'):
            raise ValueError(f"CUHK03NPDataset: subset must be 'labeled' or 'detected', "
                             f'got {subset!r}')
        self.subset = subset
        prefix = {k: f'{subset}/{v}' for k, v in dict(
            train='bounding_box_train', query='query', gallery='bounding_box_test').items()}
        prefix.update(data_prefix or {})
        super().__init__(data_prefix=prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        infos = super().load_data_list()
        self._metainfo['subset'] = self.subset
        return infos
