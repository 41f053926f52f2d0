"""Parse your own images or a video: colour overlays + label maps (HumanParsingInferencer).

    python tools/infer.py CONFIG CHECKPOINT IMAGE_FOLDER_OR_VIDEO --out-dir outputs/ \
        [--device cpu] [--batch-size 4] [--no-flip] [--cfg-options k=v ...]

CONFIG is a config file, a model name of a ``configs/*/metafile.yaml`` or a config stem
(``fpn_r18_minihumans``). Writes ``<name>.png`` (8-bit labels) and ``<name>_overlay.jpg``
(image | drawing) per image; for a video, ``<video>_<frame>.png`` per frame and
``<video>_vis.mp4``. Unreadable inputs are skipped, listed at the end, and the exit status is 1.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from hp_mm.apis import HumanParsingInferencer
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Human parsing inference on images / a video')
    parser.add_argument('config', help='config file, metafile model name or config name')
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='an image file, a folder of images or a video file')
    parser.add_argument('--out-dir', default='outputs', help='where overlays and labels go')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--no-flip', action='store_true', help='disable flip test')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules()
    options = dict(args.cfg_options or {})
    if args.no_flip:
        options['model.test_cfg.flip'] = False
    inferencer = HumanParsingInferencer(args.config, args.checkpoint, device=args.device,
                                        cfg_options=options, show_progress=True)
    results = inferencer(args.input, batch_size=args.batch_size, out_dir=args.out_dir)
    done = len(results['names'])
    what = f'{done} frames to {results["video"]["out_file"]} and' if 'video' in results \
        else f'{done}'
    print(f'wrote {what} overlays and label maps to {osp.abspath(args.out_dir)}')
    if results['failures']:
        print(inferencer.format_failures(results['failures']), file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
