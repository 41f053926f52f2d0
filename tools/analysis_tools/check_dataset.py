"""Check a config's datasets before training: read every image and mask once.

    python tools/analysis_tools/check_dataset.py CONFIG [--cfg-options k=v ...] \
        [--workers 2] [--max-listed 50] [--out report.json]

Reads the train, val and test datasets of CONFIG (the datasets inside ``ConcatDataset``
and other wrappers too; a sample shared by two splits is read once) and reports, with
the file names:

- missing pairs: a listed image that does not exist, an image without its mask, a mask
  whose image does not exist (masks in the datasets' mask folders);
- unreadable or truncated images and masks;
- masks whose size differs from their image's (EXIF orientation applied, as the
  loader does);
- mask values outside the classes (and not the ignore index), colours not in a CVAT
  palette, masks that are not single-channel index maps;
- empty masks (background and ignore only).

Then a class-frequency summary (share of the labelled pixels, images with the
class) per label set. The exit status is 1 when anything is wrong. Masks are read as
the training pipeline reads them: the dataset's ``label_map`` and
``reduce_zero_label`` applied, colour masks mapped through the palette the dataset
passes with each sample.
"""
import argparse
import io
import json
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.config import DictAction
from mmengine.fileio import exists, get, list_dir_or_file
from mmengine.registry import init_default_scope
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

from hp_mm.apis.model_init import load_config
from hp_mm.datasets import HumanParsingDatasetMixin, color_mask_to_labels
from hp_mm.registry import DATASETS
from hp_mm.utils import register_all_modules

#: problem kind -> heading of its section in the report
KINDS = {
    'missing_pair': 'missing pairs',
    'unreadable_image': 'unreadable images',
    'truncated_image': 'truncated images',
    'unreadable_mask': 'unreadable masks (or not an index / colour mask)',
    'truncated_mask': 'truncated masks',
    'size_mismatch': 'masks whose size differs from their image',
    'outside_classes': 'mask values outside the classes (not ignore) or colours not in the '
                       'palette',
    'empty_mask': 'empty masks (background / ignore only)',
}
#: the end of a complete file of each format
_END_MARKERS = {b'\xff\xd8': (b'\xff\xd9', ), b'\x89PNG': (b'IEND\xaeB`\x82', )}
_SPLITS = ('train', 'val', 'test')


def parse_args():
    parser = argparse.ArgumentParser(description='Check the datasets of a config')
    parser.add_argument('config', help='config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    parser.add_argument('--splits', nargs='+', default=list(_SPLITS), choices=_SPLITS,
                        help='dataloaders to check')
    parser.add_argument('--workers', type=int, default=2, help='reading processes')
    parser.add_argument('--ignore-index', type=int, default=255)
    parser.add_argument('--max-listed', type=int, default=50,
                        help='files listed per kind of problem (0: all)')
    parser.add_argument('--out', help='write the full report as JSON here')
    return parser.parse_args()


# ---------------------------------------------------------------------------- datasets
def leaf_dataset_cfgs(cfg: dict) -> List[dict]:
    """The datasets of a dataloader's dataset config, inside ConcatDataset and wrappers."""
    if cfg.get('datasets') is not None:
        return [leaf for sub in cfg['datasets'] for leaf in leaf_dataset_cfgs(sub)]
    if isinstance(cfg.get('dataset'), dict):
        return leaf_dataset_cfgs(cfg['dataset'])
    return [cfg]


def build_for_check(cfg: dict):
    """Build a dataset to list its samples: no pipeline, no file checks at start-up."""
    cfg = dict(cfg, pipeline=[], lazy_init=False)
    dataset_cls = DATASETS.get(cfg['type'])
    if isinstance(dataset_cls, type) and issubclass(dataset_cls, HumanParsingDatasetMixin):
        cfg['check_files'] = False  # this tool reports every missing file instead
    return DATASETS.build(cfg)


def sample_tasks(dataset, ignore_index: int) -> List[dict]:
    """One reading task per sample: its files and how its mask is read."""
    num_classes = len(dataset.metainfo.get('classes') or ())
    tasks = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        tasks.append(dict(
            img_path=info['img_path'], seg_map_path=info.get('seg_map_path'),
            color_palette=info.get('color_palette'), label_map=info.get('label_map'),
            reduce_zero_label=bool(info.get('reduce_zero_label')),
            num_classes=int(info.get('num_classes', num_classes)), ignore_index=ignore_index))
    return tasks


def orphan_masks(dataset, referenced: set) -> List[Tuple[str, str, str]]:
    """Masks in the dataset's mask folder whose image does not exist."""
    prefix = getattr(dataset, 'data_prefix', None) or {}
    seg_dir, img_dir = prefix.get('seg_map_path'), prefix.get('img_path')
    seg_suffix = getattr(dataset, 'seg_map_suffix', None)
    img_suffix = getattr(dataset, 'img_suffix', None)
    if not (seg_dir and img_dir and seg_suffix and img_suffix and osp.isdir(seg_dir)):
        return []
    problems = []
    for name in list_dir_or_file(seg_dir, list_dir=False, suffix=seg_suffix, recursive=True):
        path = osp.join(seg_dir, name)
        img = osp.join(img_dir, name[:-len(seg_suffix)] + img_suffix)
        if path not in referenced and not exists(img):
            problems.append(('missing_pair', path, f'mask without image (no {img})'))
    return problems


# ------------------------------------------------------------------------------ reading
def _open(data: bytes, path: str, what: str) -> Tuple[Optional[Image.Image], list]:
    """Decode image bytes fully; a failure is 'truncated' when the end marker is missing."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        return img, []
    except Exception as e:  # noqa: BLE001 (decoders raise many types)
        ends = next((v for k, v in _END_MARKERS.items() if data.startswith(k)), None)
        truncated = ends is not None and not data.rstrip(b'\0').endswith(ends)
        kind = f'truncated_{what}' if truncated else f'unreadable_{what}'
        return None, [(kind, path, f'{type(e).__name__}: {e}')]


def _oriented_size(img: Image.Image) -> Tuple[int, int]:
    """(H, W) after the EXIF rotation that OpenCV's decoder (mmcv's loader) applies."""
    w, h = img.size
    orientation = img.getexif().get(0x0112, 1) if hasattr(img, 'getexif') else 1
    return (w, h) if orientation in (5, 6, 7, 8) else (h, w)


def _read(path: str, img_path: str, detail: str) -> Tuple[Optional[bytes], list]:
    """The file's bytes, or a missing-pair problem reported on the image."""
    try:
        return get(path), []
    except FileNotFoundError:
        return None, [('missing_pair', img_path, detail)]


def _mask_labels(img: Image.Image, task: dict) -> Tuple[Optional[np.ndarray], list]:
    """The labels the training pipeline would see, or the problem that stops it."""
    path = task['seg_map_path']
    if task['color_palette'] is not None:
        try:
            return color_mask_to_labels(np.asarray(img.convert('RGB')), task['color_palette'],
                                        path), []
        except ValueError as e:  # colours not in the palette: values outside the classes
            return None, [('outside_classes', path, str(e).replace(f'colour mask {path}: ', ''))]
    labels = np.asarray(img)
    if labels.ndim == 3 and labels.shape[2] == 1:
        labels = labels[..., 0]
    if labels.ndim != 2:
        return None, [('unreadable_mask', path, f'{labels.shape[2]}-channel ({img.mode}) mask: '
                       'expected a single-channel index PNG (pixel = class)')]
    labels = labels.astype(np.int64)
    if task['reduce_zero_label']:
        labels = np.where(labels == 0, 255, labels - 1)
        labels[labels == 254] = 255
    if task['label_map']:
        mapped = labels.copy()
        for old, new in task['label_map'].items():
            mapped[labels == int(old)] = int(new)
        labels = mapped
    return labels, []


def check_sample(task: dict) -> dict:
    """Read one sample's image and mask; return its problems and class pixel counts."""
    data, problems = _read(task['img_path'], task['img_path'], 'image does not exist')
    img_size = None
    if data is not None:
        img, opened = _open(data, task['img_path'], 'image')
        problems += opened
        img_size = _oriented_size(img) if img is not None else None
    mask_path = task['seg_map_path']
    if mask_path is None:
        return dict(problems=problems, counts=None)
    data, missing = _read(mask_path, task['img_path'], f'image without mask (no {mask_path})')
    mask, opened = _open(data, mask_path, 'mask') if data is not None else (None, [])
    labels, unusable = _mask_labels(mask, task) if mask is not None else (None, [])
    problems += missing + opened + unusable
    if labels is None:
        return dict(problems=problems, counts=None)
    if img_size is not None and labels.shape != img_size:
        problems.append(('size_mismatch', mask_path,
                         f'mask {labels.shape[1]}x{labels.shape[0]} (WxH), image '
                         f'{img_size[1]}x{img_size[0]} ({task["img_path"]})'))
    n, ignore = task['num_classes'], task['ignore_index']
    flat = labels.ravel()
    bad = (flat < 0) | ((flat >= n) & (flat != ignore))
    if bad.any():
        values = np.unique(flat[bad])[:10].tolist()
        problems.append(('outside_classes', mask_path,
                         f'values {values} not in 0..{n - 1} nor {ignore}'))
    counts = np.bincount(flat[(flat >= 0) & (flat < n)], minlength=n)
    if not counts[1:].any():
        problems.append(('empty_mask', mask_path,
                         'no pixel of a class other than background (0)'))
    return dict(problems=problems, counts=counts)


# ------------------------------------------------------------------------------ report
def class_summary(classes, counts: np.ndarray, present: np.ndarray, masks: int) -> str:
    """A table: each class's share of the labelled pixels and the images that have it."""
    total = max(int(counts.sum()), 1)
    width = max(len(str(c)) for c in classes)
    lines = [f'  {"class":<{width}}  {"pixels":>8}  {"images":>13}']
    for c, name in enumerate(classes):
        share = f'{100 * counts[c] / total:.2f} %'
        images = f'{int(present[c])}/{masks}'
        flag = '   <- never present' if present[c] == 0 else ''
        lines.append(f'  {str(name):<{width}}  {share:>8}  {images:>13}{flag}')
    return '\n'.join(lines)


def format_problems(problems: List[Tuple[str, str, str]], max_listed: int) -> str:
    by_kind: Dict[str, list] = defaultdict(list)
    for kind, path, detail in problems:
        by_kind[kind].append((path, detail))
    out = []
    for kind, heading in KINDS.items():
        items = sorted(set(by_kind.get(kind, [])))
        if not items:
            continue
        out.append(f'{len(items)} {heading}:')
        shown = items if max_listed <= 0 else items[:max_listed]
        out += [f'  {path}: {detail}' for path, detail in shown]
        if len(shown) < len(items):
            out.append(f'  ... and {len(items) - len(shown)} more (--max-listed 0 lists all)')
    return '\n'.join(out)


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'hp_mm'))

    datasets, seen_cfgs = [], []
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            continue
        for leaf in leaf_dataset_cfgs(loader['dataset'].to_dict()
                                      if hasattr(loader['dataset'], 'to_dict')
                                      else dict(loader['dataset'])):
            key = json.dumps({k: v for k, v in leaf.items() if k != 'pipeline'}, sort_keys=True,
                             default=str)
            if key in seen_cfgs:
                continue
            seen_cfgs.append(key)
            try:
                datasets.append((split, build_for_check(leaf)))
            except (OSError, ValueError, KeyError, AssertionError) as e:
                sys.exit(f'cannot build the {split} dataset {leaf.get("type")}: '
                         f'{type(e).__name__}: {e}')
    if not datasets:
        sys.exit(f'{args.config}: no dataset in {args.splits} dataloaders')

    tasks, owner, seen = [], [], set()
    for d, (_, dataset) in enumerate(datasets):
        for task in sample_tasks(dataset, args.ignore_index):
            key = (task['img_path'], task['seg_map_path'])
            if key not in seen:
                seen.add(key)
                tasks.append(task)
                owner.append(d)
    print(f'checking {len(tasks)} samples of {len(datasets)} dataset(s) with '
          f'{args.workers} worker(s)')
    if args.workers > 1:
        results = track_parallel_progress(check_sample, tasks, nproc=args.workers)
    else:
        results = track_progress(check_sample, tasks)
    print()

    problems = [p for r in results for p in r['problems']]
    referenced = {t['seg_map_path'] for t in tasks if t['seg_map_path']}
    for _, dataset in datasets:
        problems += orphan_masks(dataset, referenced)
    problems = sorted(set(problems))

    summaries = {}
    for d, (split, dataset) in enumerate(datasets):
        classes = tuple(dataset.metainfo.get('classes') or ())
        mine = [r['counts'] for r, o in zip(results, owner) if o == d and r['counts'] is not None]
        if not classes or not mine:
            continue
        entry = summaries.setdefault(classes, dict(
            names=[], counts=np.zeros(len(classes), np.int64),
            present=np.zeros(len(classes), np.int64), masks=0))
        entry['names'].append(f'{split}: {type(dataset).__name__}')
        for c in mine:
            entry['counts'][:len(c)] += c[:len(classes)]
            entry['present'][:len(c)] += c[:len(classes)] > 0
            entry['masks'] += 1
    for classes, entry in summaries.items():
        print(f'class frequencies over {entry["masks"]} masks ({", ".join(entry["names"])}):')
        print(class_summary(classes, entry['counts'], entry['present'], entry['masks']))

    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(samples=len(tasks), problems=[dict(kind=k, file=p, detail=d)
                                                         for k, p, d in problems]), f, indent=1)
    if problems:
        print(format_problems(problems, args.max_listed))
        print(f'{len(problems)} problem(s) in {len(tasks)} samples')
        sys.exit(1)
    print(f'all {len(tasks)} samples are fine')


if __name__ == '__main__':
    main()
