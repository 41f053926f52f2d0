"""Forward images/s of backbones on this machine, side by side in one run.

Each backbone runs in eval mode under ``torch.inference_mode`` on random images; the
backbones are timed round-robin (one timed call of each in turn, repeated) so that a change in
machine load affects all of them alike. Reports the median and the best images/s.

Defaults compare the pretrained EfficientNet-Lite0 with the quick start's half-width
ResNet-18 (32 base channels) and a full ResNet-50 (mmseg ``ResNetV1c``, as the real-data configs),
at 160 x 160 (the quick start's crops) and 512 x 512::

    python tools/analysis_tools/benchmark_backbones.py --sizes 160 512 --batch 8 --threads 2
"""
import argparse
import statistics
import time

import torch

import hp_mm  # noqa: F401 (registers EfficientNetLite)
from hp_mm.registry import MODELS

BACKBONES = {
    'lite0': dict(type='EfficientNetLite', arch='lite0', out_indices=(1, 2, 4, 6)),
    'r18-half': dict(type='ResNet', depth=18, stem_channels=32, base_channels=32,
                     out_indices=(0, 1, 2, 3)),
    'r50': dict(type='ResNetV1c', depth=50, out_indices=(0, 1, 2, 3)),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--backbones', nargs='+', default=list(BACKBONES),
                        choices=list(BACKBONES))
    parser.add_argument('--sizes', nargs='+', type=int, default=[160, 512], help='H = W')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--iters', type=int, default=10, help='timed calls per backbone')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--channels-last', action='store_true', help='NHWC weights and inputs')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    nets = {}
    for name in args.backbones:
        net = MODELS.build(BACKBONES[name])
        net.eval()  # mmseg's ResNet.train() returns None: no chaining
        nets[name] = net.to(memory_format=memory_format)
    print(f'threads {torch.get_num_threads()}, batch {args.batch}, '
          f'{"NHWC" if args.channels_last else "NCHW"}')
    print('| backbone | params (M) | ' + ' | '.join(
        f'{s}x{s} img/s (median, best)' for s in args.sizes) + ' |')
    print('|---|---|' + '---|' * len(args.sizes))
    rates = {name: {} for name in nets}
    with torch.inference_mode():
        for size in args.sizes:
            x = torch.randn(args.batch, 3, size, size).to(memory_format=memory_format)
            for net in nets.values():
                for _ in range(args.warmup):
                    net(x)
            times = {name: [] for name in nets}
            for _ in range(args.iters):
                for name, net in nets.items():
                    t0 = time.perf_counter()
                    net(x)
                    times[name].append(time.perf_counter() - t0)
            for name in nets:
                rates[name][size] = (args.batch / statistics.median(times[name]),
                                     args.batch / min(times[name]))
    for name, net in nets.items():
        params = sum(p.numel() for p in net.parameters()) / 1e6
        cells = ' | '.join(f'{rates[name][s][0]:.1f} ({rates[name][s][1]:.1f})'
                           for s in args.sizes)
        print(f'| {name} | {params:.2f} | {cells} |')


if __name__ == '__main__':
    main()
