"""Time QANet's image-mode prediction (crop, one forward with flip, paste, scores).

Builds each config's model (SyncBN -> BN, random weights, no download), makes
``--images`` random images of ``--image-size`` with ``--persons`` boxes each,
and times ``model.test_step`` (data preprocessor + ``TopDownParser.predict``
in image mode) over the whole batch: the median, and min in brackets, over
``--iters`` calls after ``--warmup`` calls, then persons per second from the
median; and the process CPU time per batch (all threads; less sensitive than wall time to
other jobs on a shared machine). ``--crop`` sets ``test_cfg.input_size`` (W H).

Example::

    python tools/analysis_tools/benchmark_qanet_inference.py --threads 2 \
        configs/_base_/models/qanet_r18_fpn.py configs/_base_/models/qanet_r50_fpn.py
"""
import argparse
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmseg.structures import SegDataSample

from hp_mm.datasets import CIHPDataset
from hp_mm.registry import MODELS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='model configs (TopDownParser)')
    parser.add_argument('--images', type=int, default=4)
    parser.add_argument('--persons', type=int, default=3, help='boxes per image')
    parser.add_argument('--image-size', type=int, nargs=2, default=(480, 640), metavar=('H', 'W'))
    parser.add_argument('--crop', type=int, nargs=2, default=(384, 512), metavar=('W', 'H'))
    parser.add_argument('--no-flip', action='store_true')
    parser.add_argument('--channels-last', action='store_true',
                        help='NHWC weights and inputs (model.channels_last)')
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=2, help='torch.set_num_threads')
    return parser.parse_args()


def make_batch(num_images, persons, height, width, seed=0):
    """Random uint8 images with ``persons`` random boxes each (a packed image-mode batch)."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(num_images):
        inputs.append(torch.randint(0, 256, (3, height, width), generator=g, dtype=torch.uint8))
        wh = torch.rand(persons, 2, generator=g) * torch.tensor([width / 3, height / 2]) + \
            torch.tensor([width / 8, height / 4])
        xy = torch.rand(persons, 2, generator=g) * (torch.tensor([width, height]) - wh)
        sample = SegDataSample(metainfo=dict(
            img_shape=(height, width), ori_shape=(height, width), img_path=f'random_{i}.jpg',
            flip_pairs=CIHPDataset.METAINFO['flip_pairs']))
        sample.person_boxes = InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                           scores=torch.rand(persons, generator=g))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    init_default_scope('hp_mm')
    h, w = args.image_size
    num_persons = args.images * args.persons
    print(f'{args.images} images {h}x{w}, {args.persons} persons each, crop (W, H) = '
          f'{tuple(args.crop)}, flip={not args.no_flip}, device={device}, '
          f'threads={torch.get_num_threads()}, channels_last={args.channels_last}')
    for path in args.configs:
        cfg = Config.fromfile(path)
        cfg.model.pretrained = None
        cfg.model.test_cfg.update(input_size=tuple(args.crop), flip=not args.no_flip)
        cfg.model.channels_last = args.channels_last
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(device).eval()
        params = sum(p.numel() for p in model.parameters()) / 1e6
        times, cpu_times = [], []
        with torch.no_grad():
            for i in range(args.warmup + args.iters):
                data = make_batch(args.images, args.persons, h, w)
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                t0, c0 = time.perf_counter(), time.process_time()
                model.test_step(data)
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
                    cpu_times.append(time.process_time() - c0)
        med = statistics.median(times)
        print(f'{path}: {params:.1f} M params, {med * 1e3:.0f} ms per batch '
              f'[{min(times) * 1e3:.0f}], {num_persons / med:.2f} persons/s; CPU time '
              f'{statistics.median(cpu_times):.1f} s per batch')


if __name__ == '__main__':
    main()
