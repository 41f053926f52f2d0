"""Parse your own images: colour overlays + label maps.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER --out-dir outputs/ [--device cpu]
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.utils import track_iter_progress

from hp_mm.apis import inference_parser, init_parser, list_images, save_parsing_result
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Human parsing inference on images')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('--out-dir', default='outputs', help='where overlays and labels go')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-flip', action='store_true', help='disable flip test')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules()
    options = dict(args.cfg_options or {})
    if args.no_flip:
        options['model.test_cfg.flip'] = False
    model = init_parser(args.config, args.checkpoint, device=args.device, cfg_options=options)
    images = list_images(args.input)
    palette = model.dataset_meta['palette']
    for path in track_iter_progress(images):
        result = inference_parser(model, path)
        save_parsing_result(path, result, palette, args.out_dir)
    print(f'wrote {len(images)} overlays and label maps to {osp.abspath(args.out_dir)}')


if __name__ == '__main__':
    main()
