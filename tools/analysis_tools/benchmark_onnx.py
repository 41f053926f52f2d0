"""Images per second of ONNX Runtime against PyTorch eager, side by side in one run.

For each config and each ``--shapes`` size S, the model's exported graph
(``hp_mm/deploy/graphs.py``: a parser's ``encode_decode``, QANet's per-person
head, a re-ID model's features) runs on random normalised (batch, 3, S, S)
inputs, round-robin over the backends so that a shared machine slows them
alike (each round: one untimed call per backend, then three timed ones); the
median time per call over ``--iters`` rounds after ``--warmup`` gives images/s:

- ``pytorch_nchw`` / ``pytorch_nhwc``: PyTorch eager (``torch.inference_mode``)
  with the weights and inputs in NCHW / NHWC (``channels_last``) memory format;
  ``eager`` is the config's own format;
- ``ort_fp32``: the graph exported at (1, 3, S, S) (opset 17) in ONNX Runtime;
- ``ort_fp32_dynamic``: the graph exported with ``--dynamic`` (any N, H, W: what
  the Inferencers run on whole images of any size), at S x S;
- ``ort_int8`` (``--int8``): that graph after ONNX Runtime's static int8
  quantization (``hp_mm.deploy.quantize_onnx``), calibrated on ``--calib-images``
  (resized to S x S, normalised by the model's data preprocessor) or, without
  them, on random inputs (the speed does not depend on the scales).

Random weights (the speed does not depend on them); QANet's crops are set to
S x S (``test_cfg.input_size``). ``--profile DIR`` adds, per model, ONNX
Runtime's profile (time per op type, node counts of the optimised graph: what
was fused) and PyTorch's (``torch.profiler``, self CPU time per aten op),
printed and written to ``DIR/<config>_<S>.json``.

Example (2 threads, both parsers and QANet's head, 512 and 160)::

    python tools/analysis_tools/benchmark_onnx.py configs/lip/fpn_r18_minihumans.py \
        configs/lip/fpn_lite0_minihumans.py configs/qanet/qanet_r18_minihumans.py \
        --shapes 512 160 --threads 2 --int8 \
        --calib-images data/minihumans/LIP/TrainVal_images/train_images
"""
import argparse
import json
import os
import os.path as osp
import statistics
import tempfile
import time
from collections import defaultdict
from copy import deepcopy

import mmcv
import torch
from mmengine.config import Config
from mmengine.utils import mkdir_or_exist
from mmseg.structures import SegDataSample

from hp_mm.apis import init_model
from hp_mm.apis.image_io import list_images, read_image
from hp_mm.deploy import OrtGraphSession, export_onnx, graph_for_config, quantize_onnx


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='configs of exportable models')
    parser.add_argument('--shapes', type=int, nargs='+', default=[512, 160],
                        help='square input sizes')
    parser.add_argument('--batch', type=int, default=1, help='images per run')
    parser.add_argument('--iters', type=int, default=20, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=3, help='untimed rounds first')
    parser.add_argument('--threads', type=int, default=2,
                        help='threads of PyTorch and ONNX Runtime')
    parser.add_argument('--int8', action='store_true', help='also time a static int8 graph')
    parser.add_argument('--calib-images', help='folder of calibration images for --int8')
    parser.add_argument('--calib-num', type=int, default=16, help='calibration images')
    parser.add_argument('--per-channel', action='store_true', help='int8: per-channel weights')
    parser.add_argument('--exclude', nargs='+', default=[], metavar='REGEX',
                        help='int8: keep the matching nodes in float (e.g. the stem and the '
                        "classifier: 'backbone/(conv1|stem)/' 'conv_seg')")
    parser.add_argument('--profile', metavar='DIR', help='write and print per-op profiles')
    parser.add_argument('--out', help='write the results (JSON)')
    return parser.parse_args()


def set_memory_format(model, channels_last: bool):
    """Weights (and, through ``model.channels_last``, inputs) in NHWC or NCHW."""
    model.channels_last = channels_last
    model.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def calibration_inputs(model, images, size, num):
    """``num`` images resized to ``size`` x ``size`` and normalised by the model's preprocessor."""
    inputs = []
    for path in images[:num]:
        img = mmcv.imresize(read_image(path), (size, size))
        data = dict(inputs=[torch.from_numpy(img.transpose(2, 0, 1).copy())],
                    data_samples=[SegDataSample()])
        inputs.append(model.data_preprocessor(data, False)['inputs'].numpy())
    return inputs


def inference_mode(module):
    """``module`` called under ``torch.inference_mode`` (PyTorch eager, no autograd)."""

    def run(inputs):
        with torch.inference_mode():
            return module(inputs)

    return run


def time_backends(runs, x, iters, warmup, repeat=3):
    """Median seconds per call of each ``runs[name](x)``.

    Round robin: in each round every backend makes one untimed call (the
    previous backend's threads may still be spinning), then ``repeat`` timed
    ones; ``warmup`` rounds are not timed at all.
    """
    times = defaultdict(list)
    for i in range(warmup + iters):
        for name, run in runs.items():
            run(x)
            for _ in range(repeat if i >= warmup else 0):
                start = time.perf_counter()
                run(x)
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def ort_profile(onnx_file, x, threads, runs=5):
    """Per op type: ms per run and node count, from ONNX Runtime's profiler."""
    prefix = osp.join(tempfile.mkdtemp(prefix='hp_mm_prof_'), 'ort')
    session = OrtGraphSession(onnx_file, num_threads=threads, profile_prefix=prefix)
    for _ in range(runs):
        session(x)
    with open(session.end_profiling()) as f:
        events = json.load(f)
    total, nodes = defaultdict(float), defaultdict(set)
    for e in events:
        if e.get('cat') == 'Node' and e.get('name', '').endswith('_kernel_time'):
            op = e['args']['op_name']
            total[op] += e['dur'] / 1000 / runs
            nodes[op].add(e['name'])
    return {op: dict(ms=round(ms, 3), nodes=len(nodes[op]))
            for op, ms in sorted(total.items(), key=lambda kv: -kv[1])}


def torch_profile(run, x, runs=5, top=12):
    """Per aten op: self CPU ms per run (the ``top`` largest)."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(runs):
            run(x)
    rows = sorted(prof.key_averages(), key=lambda r: -r.self_cpu_time_total)[:top]
    return {r.key: round(r.self_cpu_time_total / 1000 / runs, 3) for r in rows}


def bench_one(args, config, size, work_dir):
    cfg = Config.fromfile(config)
    graph = graph_for_config(cfg)
    options = {}
    if graph.model_class.__name__ == 'TopDownParser':
        options['model.test_cfg.input_size'] = (size, size)
    model = init_model(cfg, None, device='cpu', cfg_options=options)
    own_format = bool(getattr(model, 'channels_last', False))
    stem = osp.splitext(osp.basename(config))[0]
    fp32 = osp.join(work_dir, f'{stem}_{size}.onnx')
    dyn = osp.join(work_dir, f'{stem}_{size}_dynamic.onnx')
    set_memory_format(model, False)
    export_onnx(model, fp32, shape=(size, size))
    export_onnx(model, dyn, shape=(size, size), dynamic=True)
    x = torch.randn(args.batch, 3, size, size)
    runs = {}
    for name, channels_last in (('pytorch_nchw', False), ('pytorch_nhwc', True)):
        copy = deepcopy(model)
        set_memory_format(copy, channels_last)
        runs[name] = inference_mode(graph.wrap(copy))
    runs['ort_fp32'] = OrtGraphSession(fp32, num_threads=args.threads)
    runs['ort_fp32_dynamic'] = OrtGraphSession(dyn, num_threads=args.threads)
    if args.int8:
        images = list_images(args.calib_images) if args.calib_images else []
        calib = calibration_inputs(model, images, size, args.calib_num) if images else \
            [torch.randn(1, 3, size, size).numpy() for _ in range(4)]
        int8 = osp.join(work_dir, f'{stem}_{size}_int8.onnx')
        quantize_onnx(fp32, int8, calib, per_channel=args.per_channel, exclude=args.exclude)
        runs['ort_int8'] = OrtGraphSession(int8, num_threads=args.threads)
    seconds = time_backends(runs, x, args.iters, args.warmup)
    ips = {name: args.batch / s for name, s in seconds.items()}
    ips['eager'] = ips['pytorch_nhwc' if own_format else 'pytorch_nchw']
    result = dict(config=config, size=size, batch=args.batch, images_per_s=ips,
                  eager_format='NHWC' if own_format else 'NCHW')
    if args.profile:
        result['profile'] = dict(
            ort_fp32=ort_profile(fp32, x, args.threads),
            pytorch=torch_profile(runs['pytorch_nhwc' if own_format else 'pytorch_nchw'], x))
        if args.int8:
            result['profile']['ort_int8'] = ort_profile(int8, x, args.threads)
        mkdir_or_exist(args.profile)
        with open(osp.join(args.profile, f'{stem}_{size}.json'), 'w') as f:
            json.dump(result, f, indent=1)
    return result


def print_result(r, int8):
    ips = r['images_per_s']
    cols = ['pytorch_nchw', 'pytorch_nhwc', 'ort_fp32', 'ort_fp32_dynamic'] + \
        (['ort_int8'] if int8 else [])
    ratios = f'fp32 {ips["ort_fp32"] / ips["eager"]:.2f}x' + \
        (f', int8 {ips["ort_int8"] / ips["eager"]:.2f}x' if int8 else '')
    print(f'{osp.basename(r["config"]):<32} {r["size"]:>4}  ' +
          '  '.join(f'{ips[c]:8.2f}' for c in cols) +
          f'   ORT / eager ({r["eager_format"]}): {ratios}', flush=True)
    for name, prof in (r.get('profile') or {}).items():
        rows = list(prof.items())[:8]
        text = ', '.join(f'{k} {v["ms"] if isinstance(v, dict) else v:.2f}'
                         + (f' ({v["nodes"]})' if isinstance(v, dict) else '') for k, v in rows)
        print(f'    {name} ms per run [nodes]: {text}')


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    print(f'threads {args.threads}, batch {args.batch}, median of {args.iters} rounds; '
          f'load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; images/s:')
    print(f'{"config":<32} {"size":>4}  {"pt_nchw":>8}  {"pt_nhwc":>8}  {"ort_fp32":>8}  '
          f'{"ort_dyn":>8}' +
          (f'  {"ort_int8":>8}' if args.int8 else ''))
    results = []
    with tempfile.TemporaryDirectory(prefix='hp_mm_bench_') as work_dir:
        for config in args.configs:
            for size in args.shapes:
                results.append(bench_one(args, config, size, work_dir))
                print_result(results[-1], args.int8)
    load = os.getloadavg()
    print(f'load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(results=results, threads=args.threads), f, indent=1)


if __name__ == '__main__':
    main()
