"""Time ``HumanParsingMetric.process`` against mmseg's ``IoUMetric.process``.

Random label maps stand in for a model's output (a prediction that agrees with the
ground truth on most pixels, and ignored gt pixels). A pool of distinct samples is
cycled so that 500 full-size images do not need gigabytes of memory.

Example::

    python tools/analysis_tools/benchmark_metric.py --num-images 500 --height 480 --width 640
"""
import argparse
import time

import torch
from mmengine.logging import MMLogger
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

from hp_mm.evaluation import HumanParsingMetric


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark parsing metrics (ms per image)')
    parser.add_argument('--num-images', type=int, default=500)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--num-classes', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--pool', type=int, default=32, help='distinct samples, cycled')
    parser.add_argument('--repeat', type=int, default=3, help='runs per metric, best kept')
    parser.add_argument('--device', default='cpu', help="where predictions live, e.g. 'cuda'")
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def make_samples(args):
    """A pool of data samples in the dict form that mmengine's Evaluator passes on."""
    g = torch.Generator().manual_seed(args.seed)
    h, w, c = args.height, args.width, args.num_classes
    samples = []
    for _ in range(args.pool):
        gt = torch.zeros(h, w, dtype=torch.long)
        # a person box of random size filled with random parts, the rest background
        bh = int(torch.randint(h // 4, h + 1, (1, ), generator=g))
        bw = int(torch.randint(w // 4, w + 1, (1, ), generator=g))
        gt[:bh, :bw] = torch.randint(0, c, (bh, bw), generator=g)
        gt[torch.rand(h, w, generator=g) < 0.02] = 255
        pred = torch.randint(0, c, (h, w), generator=g)
        keep = (torch.rand(h, w, generator=g) < 0.8) & (gt != 255)
        pred[keep] = gt[keep]
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=gt[None].to(args.device))
        sample.pred_sem_seg = PixelData(data=pred[None].to(args.device))
        sample.set_metainfo(dict(attributes=dict(occlusion=True, back_view=False)))
        samples.append(sample.to_dict())
    return samples


def synchronize(device):
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def time_process(metric, samples, args):
    """Best wall time of ``process`` over ``num_images`` images, in ms per image."""
    batches = []
    for start in range(0, args.num_images, args.batch_size):
        idx = range(start, min(start + args.batch_size, args.num_images))
        batches.append([samples[i % len(samples)] for i in idx])
    metric.process({}, batches[0])  # warm-up
    best = float('inf')
    for _ in range(args.repeat):
        metric.results.clear()
        synchronize(args.device)
        t0 = time.perf_counter()
        for batch in batches:
            metric.process({}, batch)
        synchronize(args.device)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    metric.compute_metrics(list(metric.results))
    summary_ms = (time.perf_counter() - t0) * 1e3
    return best / args.num_images * 1e3, summary_ms


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('benchmark_metric', log_level='WARNING')  # keep the class tables quiet
    meta = dict(classes=tuple(f'class{i}' for i in range(args.num_classes)),
                flip_pairs=((14, 15), (16, 17), (18, 19)) if args.num_classes >= 20 else ())
    samples = make_samples(args)
    metrics = {
        'mmseg IoUMetric': IoUMetric(),
        'HumanParsingMetric': HumanParsingMetric(),
        'HumanParsingMetric(size_bins=False)': HumanParsingMetric(size_bins=False),
    }
    print(f'{args.num_images} images of {args.height}x{args.width}, {args.num_classes} classes, '
          f'batch {args.batch_size}, device {args.device}, {torch.get_num_threads()} threads, '
          f'torch {torch.__version__}')
    for name, metric in metrics.items():
        metric.dataset_meta = meta
        ms, summary_ms = time_process(metric, samples, args)
        print(f'{name:38s} process: {ms:7.3f} ms/image   compute_metrics: {summary_ms:8.1f} ms')


if __name__ == '__main__':
    main()
