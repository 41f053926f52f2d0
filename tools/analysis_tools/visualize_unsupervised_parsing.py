"""Image | ground truth | matched clusters, side by side, for a few validation images.

The clusters of a trained C²L / PiCIE model are matched to the classes once over the whole
validation set (PiCIE's protocol, :class:`UnsupervisedParsingMetric`), then every cluster is
drawn in the colour of its matched class (unmatched clusters in grey), next to the image and
its ground truth (dataset palette). The matching and the scores are printed.

Example::

    python tools/analysis_tools/visualize_unsupervised_parsing.py \
        configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py work_dirs/c2l/epoch_8.pth \
        --out-dir work_dirs/c2l/pictures --num-images 8
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint

from hp_mm.evaluation.functional import cluster_histogram, eval_unsupervised_parsing
from hp_mm.registry import MODELS
from hp_mm.utils import register_all_modules

UNMATCHED = (128, 128, 128)


def parse_args():
    parser = argparse.ArgumentParser(description='Draw matched cluster maps of a C²L model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--num-images', type=int, default=8, help='images drawn')
    parser.add_argument('--many-to-one', action='store_true', help='majority matching')
    parser.add_argument('--scale', type=int, default=2, help='upscaling of the drawings')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'val_dataloader.dataset.data_root=data/ATR/humanparsing')
    return parser.parse_args()


def colorize(label, palette, lut=None):
    """(H, W) ints -> (H, W, 3) BGR uint8; ``lut`` maps a cluster to a class (-1 = grey)."""
    colors = np.array([p[::-1] for p in palette] + [UNMATCHED[::-1]], np.uint8)
    idx = label.astype(np.int64)
    if lut is not None:
        idx = np.where(lut[idx] >= 0, lut[idx], len(palette))
    idx = np.where((idx >= 0) & (idx <= len(palette)), idx, len(palette))
    return colors[idx]


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    init_default_scope('hp_mm')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.to(args.device).eval()
    loader = Runner.build_dataloader(cfg.val_dataloader)
    meta = loader.dataset.metainfo
    classes, palette = meta['classes'], meta['palette']
    k = model.decode_head.num_classes
    hist = np.zeros((len(classes), k), np.int64)
    kept = []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            for s in model.predict(data['inputs'], data['data_samples']):
                pred = s.pred_sem_seg.data[0].cpu()
                gt = s.gt_sem_seg.data[0].cpu()
                hist += cluster_histogram(gt, pred, len(classes), k)
                if len(kept) < args.num_images:
                    kept.append((s.img_path, gt.numpy(), pred.numpy()))
    res = eval_unsupervised_parsing(hist, many_to_one=args.many_to_one)
    lut = res['cluster_to_class']
    print(f'mIoU {res["mIoU"]:.2f}  acc {res["acc"]:.2f}  cluster -> class '
          f'{[classes[c] if c >= 0 else "-" for c in lut]}')
    os.makedirs(args.out_dir, exist_ok=True)
    rows = []
    for path, gt, pred in kept:
        img = cv2.imread(path)
        panel = np.concatenate([img, colorize(gt, palette), colorize(pred, palette, lut)], 1)
        panel = cv2.resize(panel, None, fx=args.scale, fy=args.scale,
                           interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.png'), panel)
        rows.append(panel)
    if rows:
        width = max(r.shape[1] for r in rows)
        grid = np.concatenate([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)),
                                      constant_values=255) for r in rows])
        cv2.imwrite(osp.join(args.out_dir, 'grid.png'), grid)
        print(f'wrote {len(rows)} pictures and grid.png to {args.out_dir} '
              '(image | ground truth | matched clusters)')


if __name__ == '__main__':
    main()
