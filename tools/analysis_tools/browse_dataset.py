"""Draw what the model is trained on: the training pipeline's output, after augmentation.

    python tools/analysis_tools/browse_dataset.py CONFIG [--output-dir DIR] [--not-show] \
        [--show-interval 2] [--max-samples 20] [--phase train] [--cfg-options k=v ...]

Each sample of the ``{phase}_dataloader`` dataset goes through its pipeline (so crops,
flips with left/right swaps, rotations are those of training) and is drawn by
:class:`hp_mm.visualization.ParsingLocalVisualizer` with the legend of the classes
present:

- parsing datasets (LIP, ATR, CustomParsingDataset, ...): the image and ``gt_sem_seg``;
- instance datasets in person mode (QANet): each person crop and its parsing;
- re-ID datasets: the crop, its part mask (``gt_part_seg`` / ``gt_pseudo_seg``) when the
  pipeline loads one, and its identity and camera written on it.

Two-view samples (C2L) show their first view. Drawings are saved as
``<output-dir>/<index>_<image name>.png``.
"""
import argparse
import os
import os.path as osp

import mmcv
import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmseg.structures import SegDataSample

from hp_mm.apis.model_init import load_config
from hp_mm.registry import DATASETS, VISUALIZERS
from hp_mm.utils import register_all_modules

#: label maps drawn when a sample has no ``gt_sem_seg`` (re-ID part masks)
PART_FIELDS = ('gt_part_seg', 'gt_pseudo_seg')


def parse_args():
    parser = argparse.ArgumentParser(description='Draw the training pipeline output')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', default=None, help='where the drawings are saved')
    parser.add_argument('--not-show', action='store_true', help='do not open a window')
    parser.add_argument('--show-interval', type=float, default=2, help='seconds per sample')
    parser.add_argument('--max-samples', type=int, default=None,
                        help='draw the first N samples (default: all)')
    parser.add_argument('--phase', default='train', choices=('train', 'val', 'test'),
                        help='whose dataloader to draw')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args()


def drawable_sample(data_sample) -> SegDataSample:
    """A sample whose ``gt_sem_seg`` is what to draw: the parsing, else a part mask."""
    if 'gt_sem_seg' in data_sample:
        return data_sample
    out = SegDataSample(metainfo=data_sample.metainfo)
    for field in PART_FIELDS:
        if field in data_sample:
            seg = data_sample.get(field)
            out.gt_sem_seg = seg if seg.data.shape[0] == 1 else type(seg)(data=seg.data[:1])
            break
    return out


def caption(metainfo: dict) -> str:
    """Identity / camera of a re-ID sample ('' for others)."""
    parts = [f'{k} {metainfo[k]}' for k in ('pid', 'camid') if k in metainfo]
    return ' '.join(parts)


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'hp_mm'))
    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader or not loader.get('dataset'):
        raise SystemExit(f'{args.config}: no {args.phase}_dataloader.dataset')
    dataset = DATASETS.build(loader.dataset)
    meta = dataset.metainfo
    visualizer = VISUALIZERS.build(dict(type='ParsingLocalVisualizer', name='browse_dataset',
                                        classes=meta.get('classes'),
                                        palette=meta.get('palette')))
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    total = len(dataset) if args.max_samples is None else min(args.max_samples, len(dataset))
    progress = ProgressBar(total)
    for i in range(total):
        item = dataset[i]
        inputs = item['inputs'][:3]  # (3, H, W) BGR as loaded; a two-view sample's first view
        image = np.ascontiguousarray(inputs.permute(1, 2, 0).numpy()[..., ::-1])  # RGB
        sample = drawable_sample(item['data_samples'])
        name = osp.basename(sample.metainfo.get('img_path', f'sample{i}'))
        out_file = osp.join(args.output_dir, f'{i:05d}_{osp.splitext(name)[0]}.png') \
            if args.output_dir else None
        text = caption(sample.metainfo)
        if 'gt_sem_seg' in sample:
            drawn = visualizer.draw_parsing(image, sample.gt_sem_seg)
        else:
            visualizer.set_image(image)
            drawn = visualizer.get_image()
        if text:
            visualizer.set_image(drawn)
            font = float(np.clip(min(drawn.shape[:2]) / 12, 4, 13))  # fits a 64-px-wide crop
            visualizer.draw_texts(text, np.array([1, 1]), font_sizes=font,
                                  colors=(255, 255, 255), vertical_alignments='top',
                                  bboxes=dict(facecolor='black', alpha=0.6, pad=0.2,
                                              edgecolor='none'))
            drawn = visualizer.get_image()
        if not args.not_show:
            visualizer.show(drawn, win_name=name, wait_time=args.show_interval)
        if out_file:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        progress.update()
    print()


if __name__ == '__main__':
    main()
