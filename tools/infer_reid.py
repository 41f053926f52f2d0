"""Re-ID on your own person crops: part maps, feature vectors, a ranked gallery.

    python tools/infer_reid.py CONFIG CHECKPOINT --query QUERY_DIR [--gallery GALLERY_DIR] \
        --out-dir outputs/ [--distance aligned] [--topk 10] [--device cpu]

Writes under ``--out-dir``:

- ``parts/{query,gallery}/<name>_parts.jpg`` (image | part-map overlay) and
  ``<name>_parts.png`` (the part map: 0 background, 1..K-1 ISP's parts top to bottom),
  for ISP models;
- ``features_{query,gallery}.npz``: ``names`` and ``pred_feature`` (N, C) (ISP: also the
  global / foreground / part features and part visibilities of the aligned distance);
- with ``--part-masks ROOT`` (ground-truth LIP part masks ``ROOT/<folder>/<stem>.png``, e.g.
  MiniHumans' ``hp_mm_part_masks``): ``part_iou.json``, the IoU (%) of the predicted part maps
  per group (foreground, head, upper body, legs, shoes; paper Table 3 style);
- with ``--gallery``: ``ranking.json`` (per query the ``--topk`` nearest gallery images
  and distances) and, when the file names start with a person id (``0002_c1s1...``),
  ``ranking.jpg`` (green / red frames for the same / another id).
"""
import argparse
import json
import os.path as osp
import re

import cv2
import torch
from mmengine.config import DictAction
from mmengine.utils import mkdir_or_exist, track_iter_progress

from hp_mm.apis import list_images
from hp_mm.apis.reid_inference import (inference_reid, init_reid_model, names_of, rank_gallery,
                                       reid_distance, save_features, save_part_overlay)
from hp_mm.evaluation.functional.part_group_iou import (LIP_PART_GROUPS, group_map, part_group_confusion,
                                             part_group_iou)
from hp_mm.utils import register_all_modules
from hp_mm.visualization.reid_rank_list import draw_rank_list

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


def run_split(model, root, split, args):
    paths = list_images(root)
    names = names_of(paths, root)
    results = []
    for start in track_iter_progress(range(0, len(paths), args.batch_size)):
        results.extend(inference_reid(model, paths[start:start + args.batch_size],
                                      batch_size=args.batch_size))
    if not args.no_parts and 'pred_part_seg' in results[0]:
        for path, name, res in zip(paths, names, results):
            save_part_overlay(path, res, osp.join(args.out_dir, 'parts', split,
                                                  osp.dirname(name)),
                              name=osp.splitext(osp.basename(name))[0])
    save_features(results, names, osp.join(args.out_dir, f'features_{split}.npz'))
    return paths, names, results


def part_iou(model, splits, args):
    """IoU per group of the predicted part maps against ground-truth LIP part masks."""
    K = model.part_head.num_classes
    conf = 0
    for root, paths, results in splits:
        folder = osp.basename(osp.normpath(root))
        for path, res in zip(paths, results):
            stem = osp.splitext(osp.basename(path))[0]
            gt = cv2.imread(osp.join(args.part_masks, folder, stem + '.png'), cv2.IMREAD_UNCHANGED)
            if gt is None:
                raise FileNotFoundError(f'no part mask {folder}/{stem}.png under {args.part_masks}')
            pred = res.pred_part_seg.data[0].cpu()
            conf = conf + part_group_confusion(pred, group_map(torch.from_numpy(gt)), K,
                                               len(LIP_PART_GROUPS))
    iou = part_group_iou(conf, list(LIP_PART_GROUPS))
    with open(osp.join(args.out_dir, 'part_iou.json'), 'w') as f:
        json.dump(iou, f, indent=1)
    print('part-map IoU (%): ' + ', '.join(f'{k} {v:.2f}' for k, v in iou.items()
                                          if not k.startswith('assign/')))


def main():
    args = parse_args()
    register_all_modules()
    model = init_reid_model(args.config, args.checkpoint, device=args.device,
                            cfg_options=args.cfg_options)
    evaluator = model.cfg.get('test_evaluator') or {}
    distance = args.distance or evaluator.get('distance', 'cosine')
    aligned_mode = args.aligned_mode or evaluator.get('aligned_mode', 'paper')
    mkdir_or_exist(args.out_dir)
    q_paths, q_names, q_res = run_split(model, args.query, 'query', args)
    print(f'{len(q_paths)} query images: features and part maps in {osp.abspath(args.out_dir)}')
    splits = [(args.query, q_paths, q_res)]
    if args.gallery:
        g_paths, g_names, g_res = run_split(model, args.gallery, 'gallery', args)
        splits.append((args.gallery, g_paths, g_res))
    if args.part_masks:
        part_iou(model, splits, args)
    if not args.gallery:
        return
    dist = reid_distance(q_res, g_res, distance=distance, aligned_mode=aligned_mode,
                         normalize_feature=evaluator.get('normalize_feature', True))
    order, dists = rank_gallery(dist, args.topk)
    ranking = {q: [dict(gallery=g_names[j], distance=float(d)) for j, d in zip(row, drow)]
               for q, row, drow in zip(q_names, order, dists)}
    with open(osp.join(args.out_dir, 'ranking.json'), 'w') as f:
        json.dump(dict(distance=distance, ranking=ranking), f, indent=1)
    pids = [PID.match(osp.basename(n)) for n in q_names + g_names]
    if all(pids):
        q_pid = [int(m.group(1)) for m in pids[:len(q_names)]]
        g_pid = [int(m.group(1)) for m in pids[len(q_names):]]
        rows = [draw_rank_list(cv2.imread(q_paths[i]), [cv2.imread(g_paths[j]) for j in row],
                               [g_pid[j] == q_pid[i] for j in row], query_caption=f'q {q_pid[i]}',
                               gallery_captions=[str(g_pid[j]) for j in row])
                for i, row in enumerate(order[:20])]
        width = max(r.shape[1] for r in rows)
        canvas = cv2.vconcat([cv2.copyMakeBorder(r, 0, 6, 0, width - r.shape[1],
                                                 cv2.BORDER_CONSTANT, value=(255, 255, 255))
                              for r in rows])
        cv2.imwrite(osp.join(args.out_dir, 'ranking.jpg'), canvas)
    print(f'ranked {len(g_paths)} gallery images for {len(q_paths)} queries ({distance} '
          f'distance): {osp.abspath(osp.join(args.out_dir, "ranking.json"))}')


if __name__ == '__main__':
    main()
