"""tools/deployment: pytorch2onnx.py (checked export, errors), quantize_onnx.py, test_onnx.py."""
import os
import os.path as osp
import re
import subprocess
import sys

import onnx
import pytest

from conftest import ROOT, run_tool
from deploy_utils import (QANET, TINY_PARSER, equal_pixels, trained_tiny_parser, val_images)
from hp_mm.apis import inference_model, init_model
from hp_mm.deploy import build_ort_model


def run_failing(args):
    """A tool run that must fail: (exit status, stderr)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    return proc.returncode, proc.stderr


@pytest.fixture(scope='module')
def checkpoint(lip_root, tmp_path_factory):
    return trained_tiny_parser(lip_root, tmp_path_factory)


def test_export_quantize_and_test_a_trained_parser(checkpoint, lip_root, tmp_path):
    fp32, int8 = str(tmp_path / 'parser.onnx'), str(tmp_path / 'parser_int8.onnx')
    out = run_tool(['tools/deployment/pytorch2onnx.py', TINY_PARSER, checkpoint, '--out', fp32,
                    '--dynamic']).stdout
    assert 'channels RGB, normalised as (pixel - mean) / std with mean [123.675, 116.28, ' \
        '103.53] std [58.395, 57.12, 57.375]' in out
    worst = float(re.search(r'largest difference: (\S+) of the outputs\' scale', out).group(1))
    assert worst <= 1e-4 and osp.isfile(fp32)
    assert 'input 64x64: seg_logits (2, 20, 64, 64)' in out  # and a second, odd size
    assert 'input 81x65: seg_logits (2, 20, 81, 65)' in out

    calib = osp.join(lip_root, 'TrainVal_images', 'train_images')
    out = run_tool(['tools/deployment/quantize_onnx.py', TINY_PARSER, fp32, '--out', int8,
                    '--calib-images', calib, '--num-images', '8', '--per-channel',
                    '--exclude', 'conv_seg']).stdout
    assert 'calibrated on 8 images (8 graph runs)' in out and 'conv_seg' in out
    ops = {n.op_type for n in onnx.load(int8).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear', 'Conv'} <= ops
    model, fp32_model = init_model(TINY_PARSER, checkpoint), build_ort_model(TINY_PARSER, fp32)
    int8_model = build_ort_model(TINY_PARSER, int8)
    assert int8_model.ort_session.metadata['quantization']['per_channel']
    images = val_images(lip_root)
    reference = inference_model(model, images)
    assert equal_pixels(reference, inference_model(fp32_model, images)) >= 0.999
    # int8 of a briefly trained model agrees with it on most pixels
    assert equal_pixels(reference, inference_model(int8_model, images)) >= 0.8

    data = f'test_dataloader.dataset.data_root={lip_root}'
    metrics = {}
    for name, path in (('fp32', fp32), ('int8', int8)):
        out = run_tool(['tools/deployment/test_onnx.py', TINY_PARSER, path, '--work-dir',
                        str(tmp_path / name), '--cfg-options', data]).stdout
        metrics[name] = float(re.search(r'mIoU: ([\d.]+)', out).group(1))
    assert 0 < metrics['fp32'] and abs(metrics['fp32'] - metrics['int8']) < 10


def test_export_errors_write_nothing(checkpoint, tmp_path):
    out = tmp_path / 'x' / 'model.onnx'
    status, err = run_failing(['tools/deployment/pytorch2onnx.py', QANET, checkpoint,
                               '--out', str(out)])
    assert status == 2 and re.search(r'checkpoint .*iter_40.pth does not match the config '
                                     r'.*qanet_r18_minihumans.py \(expected the state_dict of '
                                     r'its TopDownParser\): .*missing keys', err, re.S), err
    status, err = run_failing(['tools/deployment/pytorch2onnx.py', TINY_PARSER, checkpoint,
                               '--out', str(out), '--shape', '100', '60'])
    assert status == 2 and "must be positive multiples of the ParsingEncoderDecoder's output " \
        'stride 32 (e.g. --shape 96 64)' in err, err
    c2l = osp.join(ROOT, 'configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py')
    status, err = run_failing(['tools/deployment/pytorch2onnx.py', c2l, checkpoint,
                               '--out', str(out)])
    assert status == 2 and 'model type C2L cannot be exported' in err, err
    status, err = run_failing(['tools/deployment/pytorch2onnx.py', TINY_PARSER, checkpoint,
                               '--out', str(out), '--opset', '9'])
    assert status == 2 and 'opsets 13..20' in err, err
    assert not out.parent.exists()
