"""Quantize an exported hp_mm graph to int8 (ONNX Runtime's static quantization).

    python tools/deployment/quantize_onnx.py CONFIG FP32.onnx --out INT8.onnx \
        --calib-images DIR [--num-images 64] [--per-channel] [--exclude REGEX ...]

Calibration: the fp32 file runs in ONNX Runtime as the config's model
(``hp_mm.deploy.build_ort_model``) on the first ``--num-images`` images of
``--calib-images`` through the config's test pipeline (``hp_mm.apis.inference_model``:
parsers on whole images with their flip test, QANet on one person box over each
image, re-ID models on the images as crops), and every graph input it makes
is recorded: the quantization sees what the graph sees at inference.

``--exclude`` keeps the nodes whose names match in float (regular
expressions on the pre-processed graph's node names, e.g. ``conv_seg`` for the
classifier, ``backbone/conv1`` for the stem); ``--per-channel`` gives every
output channel of a weight its own scale. The int8 file keeps the metadata, so
``build_ort_model`` and ``tools/deployment/test_onnx.py`` run it as the fp32 one.
"""
import argparse

from mmengine.config import DictAction

from hp_mm.apis import inference_model
from hp_mm.apis.image_io import list_images
from hp_mm.apis.model_init import load_config
from hp_mm.deploy import build_ort_model, quantize_onnx
from hp_mm.deploy.quantization import CALIBRATE_METHODS, QUANT_FORMATS, QUANT_TYPES


def parse_args():
    parser = argparse.ArgumentParser(description='Static int8 quantization of an hp_mm ONNX '
                                     'file, calibrated on images')
    parser.add_argument('config', help='the config the file was exported from')
    parser.add_argument('onnx_file', help='fp32 .onnx file (tools/deployment/pytorch2onnx.py)')
    parser.add_argument('--out', required=True, help='the int8 .onnx file to write')
    parser.add_argument('--calib-images', required=True, help='image folder (or file)')
    parser.add_argument('--num-images', type=int, default=64, help='calibration images')
    parser.add_argument('--per-channel', action='store_true', help='per-channel weight scales')
    parser.add_argument('--exclude', nargs='+', default=[], metavar='REGEX',
                        help='keep matching nodes in float')
    parser.add_argument('--op-types', nargs='+', default=None,
                        help='quantize only these op types (e.g. Conv)')
    parser.add_argument('--format', default='qoperator', choices=QUANT_FORMATS)
    parser.add_argument('--activation-type', default='uint8', choices=QUANT_TYPES)
    parser.add_argument('--weight-type', default='int8', choices=QUANT_TYPES)
    parser.add_argument('--calibrate', default='minmax', choices=CALIBRATE_METHODS)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    images = list_images(args.calib_images)[:args.num_images]
    model = build_ort_model(cfg, args.onnx_file)
    with model.ort_session.recording() as inputs:
        inference_model(model, images)
    report = quantize_onnx(args.onnx_file, args.out, inputs, per_channel=args.per_channel,
                           exclude=args.exclude, op_types=args.op_types,
                           quant_format=args.format, activation_type=args.activation_type,
                           weight_type=args.weight_type, calibrate_method=args.calibrate)
    ops = ', '.join(f'{k} {v}' for k, v in sorted(report['op_types'].items()))
    print(f'calibrated on {len(images)} images ({report["calibration_batches"]} graph runs); '
          f'wrote {args.out}: {ops}')
    if report['excluded']:
        print(f'kept in float: {", ".join(report["excluded"])}')


if __name__ == '__main__':
    main()
