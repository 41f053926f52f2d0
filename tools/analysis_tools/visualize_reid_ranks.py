"""Draw re-ID rank lists: for a few queries, the query and its top-10 gallery images in
green (same identity) or red frames, same-pid same-camera images left out as the
Market-1501 protocol does.

Either from a ranking dumped by ``ReIDMetric(out_file=...)``::

    python tools/analysis_tools/visualize_reid_ranks.py --ranks work_dirs/x/ranks.pkl \
        --out-dir work_dirs/x/rank_lists

or by running the test set through a checkpoint first (``tools/test.py``'s runner, the
metric's ``out_file`` set to ``<out-dir>/ranks.pkl``)::

    python tools/analysis_tools/visualize_reid_ranks.py configs/isp/baseline_r18_minihumans.py \
        work_dirs/baseline_r18_minihumans/epoch_12.pth --out-dir work_dirs/rank_lists
"""
import argparse
import os
import os.path as osp
import pickle
import sys

import cv2
import numpy as np
from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Draw re-ID rank lists')
    parser.add_argument('config', nargs='?', help='test config (with checkpoint)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument('--ranks', help='a ReIDMetric out_file dump (instead of config)')
    parser.add_argument('--out-dir', required=True, help='where the pictures go')
    parser.add_argument('--num-queries', type=int, default=8, help='queries drawn')
    parser.add_argument('--per-image', type=int, default=4, help='queries per picture')
    parser.add_argument('--topk', type=int, default=10, help='gallery images per query')
    parser.add_argument('--seed', type=int, default=0, help='seed of the query choice')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides key=value (with config)')
    args = parser.parse_args()
    if (args.ranks is None) == (args.config is None):
        parser.error('give either --ranks or config and checkpoint')
    if args.config is not None and args.checkpoint is None:
        parser.error('a config needs a checkpoint')
    return args


def run_test(args, ranks_file):
    """Run the config's test loop with ReIDMetric dumping its ranking."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from hp_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    evaluator = cfg.test_evaluator
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    found = [m for m in metrics if m.get('type') == 'ReIDMetric']
    if not found:
        raise ValueError(f'{args.config}: test_evaluator has no ReIDMetric')
    found[0]['out_file'] = ranks_file
    found[0]['rank_list_size'] = max(args.topk, 10)
    cfg.load_from = args.checkpoint
    cfg.work_dir = osp.join(args.out_dir, 'test_run')
    cfg.launcher = 'none'
    Runner.from_cfg(cfg).test()


def main():
    args = parse_args()
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    sys.path.insert(0, root)
    from hp_mm.visualization.reid_rank_list import draw_rank_lists
    os.makedirs(args.out_dir, exist_ok=True)
    ranks_file = args.ranks
    if ranks_file is None:
        ranks_file = osp.join(args.out_dir, 'ranks.pkl')
        run_test(args, ranks_file)
    with open(ranks_file, 'rb') as f:
        ranks = pickle.load(f)
    num_q = len(ranks['query_paths'])
    rng = np.random.default_rng(args.seed)
    chosen = np.sort(rng.choice(num_q, min(args.num_queries, num_q), replace=False))
    written = []
    for start in range(0, len(chosen), args.per_image):
        part = chosen[start:start + args.per_image]
        img = draw_rank_lists(ranks, part, topk=args.topk)
        path = osp.join(args.out_dir, f'rank_list_{start // args.per_image:03d}.png')
        if not cv2.imwrite(path, img):
            raise OSError(f'could not write {path}')
        written.append(path)
    r1 = np.mean([ranks['g_pids'][ranks['rank_indices'][q][0]] == ranks['q_pids'][q]
                  for q in range(num_q)])
    print(f'{len(chosen)} queries drawn in {len(written)} picture(s) under {args.out_dir} '
          f'(top-1 correct over all {num_q} queries, valid or not: {100 * r1:.1f} %)')


if __name__ == '__main__':
    main()
