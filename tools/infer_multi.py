"""Multi-person parsing of your own images or a video: a person detector + a top-down parser.

    python tools/infer_multi.py DET_CONFIG DET_CHECKPOINT PARSER_CONFIG PARSER_CHECKPOINT \
        IMAGE_FOLDER_OR_VIDEO --out-dir outputs/ [--det-score-thr 0.3] [--score-thr 0.01] \
        [--batch-size 4] [--device cpu]

A thin wrapper of :class:`hp_mm.apis.MultiHumanParsingInferencer`. DET_CONFIG is any mmdet
detector config (a file, ``mmdet::...``, an mmdet model name or a config name under configs/);
its class named ``person`` is kept. Writes, per image ``<id>``, CIHP's layout under
``--out-dir``: ``Category_ids/<id>.png`` (semantic map), ``Human_ids/<id>.png`` (persons 1..K by
descending quality score), ``Instance_ids/<id>.png`` + ``<id>.txt`` (lines ``instance_part_id
class_id human_id``), a drawing ``vis/<id>.jpg`` (image | parts, each person's box, id, quality
score and best parts) and ``json/<id>.json`` with the per-person and per-part scores; for a video,
those of each frame ``<video>_<frame>`` and ``vis/<video>.mp4``. Unreadable inputs are skipped,
listed at the end, and the exit status is 1.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from hp_mm.apis import MultiHumanParsingInferencer
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Multi-person human parsing of images')
    parser.add_argument('det_config', help='mmdet person detector config (or model name)')
    parser.add_argument('det_checkpoint', help='detector checkpoint')
    parser.add_argument('parser_config', help='top-down parser config (TopDownParser)')
    parser.add_argument('parser_checkpoint', help='parser checkpoint')
    parser.add_argument('input', help='an image file, a folder of images or a video file')
    parser.add_argument('--out-dir', default='outputs', help='where the results go')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=1, help='images per parser pass')
    parser.add_argument('--det-score-thr', type=float, default=0.3,
                        help='drop person boxes with a lower detector score')
    parser.add_argument('--score-thr', type=float, default=0.01,
                        help='do not draw persons with a lower quality score (QANet: 0.01)')
    parser.add_argument('--person-class', default='person',
                        help="the detector's class name of persons (COCO's: person)")
    parser.add_argument('--no-flip', action='store_true', help='disable the parser flip test')
    parser.add_argument('--det-cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--parser-cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    parser_options = dict(args.parser_cfg_options or {})
    if args.no_flip:
        parser_options['model.test_cfg.flip'] = False
    inferencer = MultiHumanParsingInferencer(
        args.parser_config, args.parser_checkpoint, det_model=args.det_config,
        det_weights=args.det_checkpoint, device=args.device, cfg_options=parser_options,
        det_cfg_options=args.det_cfg_options, person_class=args.person_class,
        show_progress=True)
    results = inferencer(args.input, batch_size=args.batch_size, out_dir=args.out_dir,
                         det_score_thr=args.det_score_thr, score_thr=args.score_thr)
    predictions = results['predictions']
    predictions = [predictions] if isinstance(predictions, dict) else predictions
    persons = sum(len(p['persons']) for p in predictions)
    unit = 'frames' if 'video' in results else 'images'
    print(f'{len(results["names"])} {unit}, {persons} persons: results in '
          f'{osp.abspath(args.out_dir)}')
    if results['failures']:
        print(inferencer.format_failures(results['failures']), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
