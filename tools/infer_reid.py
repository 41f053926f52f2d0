"""Re-ID on your own person crops: part maps, feature vectors, a ranked gallery (ReIDInferencer).

    python tools/infer_reid.py CONFIG CHECKPOINT --query QUERY_DIR [--gallery GALLERY_DIR] \
        --out-dir outputs/ [--distance aligned] [--topk 10] [--device cpu]

Writes under ``--out-dir``:

- ``parts/{query,gallery}/<name>_parts.jpg`` (image | part-map overlay) and
  ``<name>_parts.png`` (the part map: 0 background, 1..K-1 ISP's parts top to bottom),
  for ISP models (``<name>``: the path under the folder, ``_`` for separators, no suffix);
- ``features_{query,gallery}.npz``: ``names`` and ``pred_feature`` (N, C) (ISP: also the
  global / foreground / part features and part visibilities of the aligned distance);
- with ``--part-masks ROOT`` (ground-truth LIP part masks ``ROOT/<folder>/<stem>.png``, e.g.
  MiniHumans' ``hp_mm_part_masks``): ``part_iou.json``, the IoU (%) of the predicted part maps
  per group (foreground, head, upper body, legs, shoes; paper Table 3 style);
- with ``--gallery``: ``ranking.json`` (per query the ``--topk`` nearest gallery images
  and distances) and, when the file names start with a person id (``0002_c1s1...``),
  ``ranking.jpg`` (green / red frames for the same / another id).

Unreadable images are skipped, listed at the end, and the exit status is 1.
"""
import argparse
import os.path as osp
import re
import sys

import cv2
import mmcv
import torch
from mmengine.config import DictAction

from hp_mm.apis import ReIDInferencer
from hp_mm.apis.inferencers.reid_inferencer import feature_arrays
from hp_mm.evaluation.functional.part_group_iou import (LIP_PART_GROUPS, group_map,
                                                        part_group_confusion, part_group_iou)
from hp_mm.evaluation.submission_writers import (write_json, write_reid_features,
                                                 write_reid_ranking)
from hp_mm.utils import register_all_modules

PID = re.compile(r'^(-?\d+)_')


def parse_args():
    parser = argparse.ArgumentParser(description='Re-ID inference on your own crops')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--query', required=True, help='a query image or a folder of them')
    parser.add_argument('--gallery', help='a folder of gallery images to rank')
    parser.add_argument('--out-dir', default='outputs')
    parser.add_argument('--distance', default=None, choices=['cosine', 'euclidean', 'aligned'],
                        help="default: the config's test_evaluator distance")
    parser.add_argument('--aligned-mode', default=None, choices=['paper', 'official'])
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-parts', action='store_true', help='do not write part maps')
    parser.add_argument('--part-masks', help='root of ground-truth LIP part masks '
                        '(<root>/<image folder name>/<stem>.png): report the part-map IoU')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def run_split(inferencer, root, split, args):
    """Features (and part maps) of a folder or an image; the features file."""
    out = inferencer(root if osp.isdir(root) else [root], batch_size=args.batch_size,
                     out_dir='' if args.no_parts else osp.join(args.out_dir, 'parts', split),
                     with_labels=False)
    preds = out['predictions']
    names = [osp.relpath(p['img_path'], root) if osp.isdir(root) else osp.basename(p['img_path'])
             for p in preds]
    if preds:
        write_reid_features(osp.join(args.out_dir, f'features_{split}.npz'), names,
                            feature_arrays(preds))
    return preds, names, out['failures']


def part_iou(num_parts, splits, args):
    """IoU per group of the predicted part maps against ground-truth LIP part masks."""
    conf = 0
    for root, preds in splits:
        folder = osp.basename(osp.normpath(root))
        for pred in preds:
            stem = osp.splitext(osp.basename(pred['img_path']))[0]
            gt = cv2.imread(osp.join(args.part_masks, folder, stem + '.png'), cv2.IMREAD_UNCHANGED)
            if gt is None:
                raise FileNotFoundError(f'no part mask {folder}/{stem}.png under {args.part_masks}')
            conf = conf + part_group_confusion(torch.from_numpy(pred['part_seg']),
                                               group_map(torch.from_numpy(gt)), num_parts,
                                               len(LIP_PART_GROUPS))
    iou = part_group_iou(conf, list(LIP_PART_GROUPS))
    write_json(osp.join(args.out_dir, 'part_iou.json'), iou)
    print('part-map IoU (%): ' + ', '.join(f'{k} {v:.2f}' for k, v in iou.items()
                                          if not k.startswith('assign/')))


def main():
    args = parse_args()
    register_all_modules()
    inferencer = ReIDInferencer(args.config, args.checkpoint, device=args.device,
                                cfg_options=args.cfg_options, show_progress=True)
    q_preds, q_names, failures = run_split(inferencer, args.query, 'query', args)
    print(f'{len(q_preds)} query images: features and part maps in {osp.abspath(args.out_dir)}')
    splits = [(args.query, q_preds)]
    if args.gallery:
        g_preds, g_names, g_failures = run_split(inferencer, args.gallery, 'gallery', args)
        splits.append((args.gallery, g_preds))
        failures += g_failures
    if args.part_masks:
        part_iou(int(inferencer.model.part_head.num_classes), splits, args)
    if args.gallery and q_preds and g_preds:
        ranking = inferencer.rank(q_preds, g_preds, topk=args.topk, distance=args.distance,
                                  aligned_mode=args.aligned_mode)
        path = write_reid_ranking(osp.join(args.out_dir, 'ranking.json'), ranking['distance'],
                                  q_names, g_names, ranking['indices'], ranking['distances'])
        pids = [PID.match(osp.basename(n)) for n in q_names + g_names]
        if all(pids):
            pids = [int(m.group(1)) for m in pids]
            mmcv.imwrite(inferencer.draw_rank_lists(q_preds, g_preds, ranking,
                                                    pids[:len(q_names)], pids[len(q_names):]),
                         osp.join(args.out_dir, 'ranking.jpg'))
        print(f'ranked {len(g_preds)} gallery images for {len(q_preds)} queries '
              f'({ranking["distance"]} distance): {osp.abspath(path)}')
    if failures:
        print(inferencer.format_failures(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
