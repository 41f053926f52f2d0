"""Multi-person parsing of your own images: a person detector + a top-down parser (QANet).

    python tools/infer_multi.py DET_CONFIG DET_CHECKPOINT PARSER_CONFIG PARSER_CHECKPOINT \
        IMAGE_OR_FOLDER --out-dir outputs/ [--det-score-thr 0.3] [--score-thr 0.01] [--device cpu]

Writes, per image ``<id>``, CIHP's layout under ``--out-dir``: ``Category_ids/<id>.png``
(semantic map), ``Human_ids/<id>.png`` (persons 1..K by descending quality score),
``Instance_ids/<id>.png`` + ``<id>.txt`` (lines ``instance_part_id class_id human_id``), a colour
overlay ``vis/<id>.jpg`` with each person's box, id and quality score, and
``json/<id>.json`` with the per-person and per-part scores.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.utils import track_iter_progress

from hp_mm.apis import (inference_multi_parser, init_multi_parser, list_images,
                        save_multi_parsing_result)
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Multi-person human parsing of images')
    parser.add_argument('det_config', help='mmdet person detector config')
    parser.add_argument('det_checkpoint', help='detector checkpoint')
    parser.add_argument('parser_config', help='top-down parser config (TopDownParser)')
    parser.add_argument('parser_checkpoint', help='parser checkpoint')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('--out-dir', default='outputs', help='where the results go')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--det-score-thr', type=float, default=0.3,
                        help='drop person boxes with a lower detector score')
    parser.add_argument('--score-thr', type=float, default=0.01,
                        help='do not draw persons with a lower quality score (QANet: 0.01)')
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
    models = init_multi_parser(args.det_config, args.det_checkpoint, args.parser_config,
                               args.parser_checkpoint, device=args.device,
                               det_cfg_options=args.det_cfg_options,
                               parser_cfg_options=parser_options)
    images = list_images(args.input)
    meta = models['parser'].dataset_meta
    persons = 0
    for path in track_iter_progress(images):
        result = inference_multi_parser(models, path, det_score_thr=args.det_score_thr)
        save_multi_parsing_result(path, result, args.out_dir, meta, score_thr=args.score_thr)
        persons += len(result.pred_instances)
    print(f'{len(images)} images, {persons} persons: results in {osp.abspath(args.out_dir)}')


if __name__ == '__main__':
    main()
