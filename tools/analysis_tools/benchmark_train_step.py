"""Time whole training steps of several configs side by side (round-robin, one process).

Each config's model and optimizer wrapper are built as ``tools/train.py`` builds them (pretrained
weights are loaded when the config names them); every step is ``model.train_step`` on a fixed
batch of random images and random labels of the config's crop size, so the figure is the model's
forward + loss + backward + update, without data loading (a separate worker process in the real
runs). Steps of the configs alternate, so a change of machine load hits all of them alike.

    python tools/analysis_tools/benchmark_train_step.py configs/lip/fpn_r18_minihumans.py \
        configs/lip/fpn_lite0_minihumans.py --steps 30 --threads 2
"""
import argparse
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.registry import MODELS
from hp_mm.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--steps', type=int, default=30, help='timed steps per config')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def random_batch(cfg: Config, generator: torch.Generator) -> dict:
    """A training batch of ``train_dataloader.batch_size`` random images/labels at the crop size."""
    height, width = cfg.model.data_preprocessor['size']
    num_classes = cfg.model.decode_head['num_classes']
    inputs, samples = [], []
    for _ in range(cfg.train_dataloader.batch_size):
        inputs.append(torch.randint(0, 256, (3, height, width), generator=generator,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                             pad_shape=(height, width)))
        label = torch.randint(0, num_classes, (1, height, width), generator=generator)
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    generator = torch.Generator().manual_seed(args.seed)
    runs = []
    for path in args.configs:
        cfg = Config.fromfile(path)
        torch.manual_seed(args.seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        runs.append((path, model, optim_wrapper, random_batch(cfg, generator)))
    for _, model, optim_wrapper, batch in runs:
        for _ in range(args.warmup):
            model.train_step(batch, optim_wrapper)
    times = {path: [] for path, *_ in runs}
    for _ in range(args.steps):
        for path, model, optim_wrapper, batch in runs:
            t0 = time.perf_counter()
            model.train_step(batch, optim_wrapper)
            times[path].append(time.perf_counter() - t0)
    base = statistics.median(times[runs[0][0]])
    print(f'threads {torch.get_num_threads()}, {args.steps} steps each, round-robin')
    print('| config | median s/step | best s/step | vs first |')
    print('|---|---|---|---|')
    for path, values in times.items():
        median = statistics.median(values)
        print(f'| {path} | {median:.3f} | {min(values):.3f} | {median / base:.2f}x |')


if __name__ == '__main__':
    main()
