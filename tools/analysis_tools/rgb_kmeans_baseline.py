"""Trivial unsupervised-parsing baseline: k-means on raw RGB pixels, PiCIE's protocol.

All pixels of the evaluation set (the config's val dataset, ground truth at its original
size) are clustered by one k-means on their (R, G, B) values (``TorchKMeans`` from the
clustering engine), every pixel gets its nearest centroid, and the class-by-cluster
histogram of the whole set is matched once (:func:`eval_unsupervised_parsing`, Hungarian
by default) -- exactly what :class:`UnsupervisedParsingMetric` does with a model's clusters.
A learned C²L / PiCIE model must beat this.

Example::

    python tools/analysis_tools/rgb_kmeans_baseline.py \
        configs/c2l/picie_fpn-r18_minihumans-atr-3class.py --seeds 0 1 2
"""
import argparse
import json

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from hp_mm.evaluation.functional import cluster_histogram, eval_unsupervised_parsing
from hp_mm.registry import DATASETS, TASK_UTILS
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='k-means on RGB pixels, Hungarian-matched')
    parser.add_argument('config', help='a C²L config (its val_dataloader.dataset is used)')
    parser.add_argument('--num-clusters', type=int, default=None,
                        help='K (default: the number of classes)')
    parser.add_argument('--many-to-one', action='store_true',
                        help='majority matching instead of Hungarian')
    parser.add_argument('--fit-pixels', type=int, default=500000,
                        help='pixels sampled to fit the k-means (all pixels are assigned)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--max-images', type=int, default=None)
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'val_dataloader.dataset.data_root=data/ATR/humanparsing')
    return parser.parse_args()


def load_pixels(cfg, max_images=None):
    """(image pixels (N, 3) float32 RGB in [0, 1], gt labels (N,) int64, class names)."""
    ds_cfg = cfg.val_dataloader.dataset.copy()
    ds_cfg.pipeline = [dict(type='LoadParsingImageFromFile'), dict(type='LoadParsingAnnotations')]
    dataset = DATASETS.build(ds_cfg)
    n = len(dataset) if max_images is None else min(max_images, len(dataset))
    pixels, labels = [], []
    for i in range(n):
        item = dataset[i]
        img = item['img'][..., ::-1].reshape(-1, 3)  # BGR -> RGB
        pixels.append(img.astype(np.float32) / 255.0)
        labels.append(item['gt_seg_map'].reshape(-1).astype(np.int64))
    return np.concatenate(pixels), np.concatenate(labels), dataset.metainfo['classes'], n


def run(pixels, labels, num_classes, num_clusters, seed, fit_pixels, many_to_one):
    x = torch.from_numpy(pixels)
    g = torch.Generator().manual_seed(seed)
    fit = x[torch.randperm(len(x), generator=g)[:fit_pixels]]
    km = TASK_UTILS.build(dict(type='TorchKMeans', num_clusters=num_clusters, max_iter=50,
                               seed=seed))
    centroids, _ = km.fit(fit)
    pred = km.assign(x, centroids)
    hist = cluster_histogram(torch.from_numpy(labels), pred, num_classes, num_clusters)
    return eval_unsupervised_parsing(hist, many_to_one=many_to_one)


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    init_default_scope('hp_mm')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    pixels, labels, classes, n = load_pixels(cfg, args.max_images)
    k = args.num_clusters or len(classes)
    rows = []
    for seed in args.seeds:
        res = run(pixels, labels, len(classes), k, seed, args.fit_pixels, args.many_to_one)
        rows.append(dict(seed=seed, mIoU=res['mIoU'], acc=res['acc'],
                         iou=[float(v) for v in res['iou']]))
        print(f'seed {seed}: mIoU {res["mIoU"]:.2f}  acc {res["acc"]:.2f}  IoU ' +
              ', '.join(f'{c} {v:.2f}' for c, v in zip(classes, res['iou'])))
    miou = np.array([r['mIoU'] for r in rows])
    acc = np.array([r['acc'] for r in rows])
    print(f'RGB k-means (K={k}, {n} images, {len(pixels)} pixels): mIoU {miou.mean():.2f} '
          f'± {miou.std():.2f}, acc {acc.mean():.2f} ± {acc.std():.2f} over {len(rows)} seed(s)')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, num_clusters=k, images=n, runs=rows), f, indent=1)


if __name__ == '__main__':
    main()
