"""Export an hp_mm model to ONNX and check the file against PyTorch with ONNX Runtime.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out FILE.onnx \
        [--shape H W] [--dynamic] [--opset N]

What is exported (``hp_mm/deploy/graphs.py``):

- single-person parsers (``configs/lip``, ``configs/ssl``, ``configs/schp``):
  ``inputs`` (N, 3, H, W) -> ``seg_logits`` (N, C, H, W), the model's
  ``encode_decode``; ``--dynamic`` for whole images of any size (what the
  Inferencers give it);
- QANet (``TopDownParser``): person crops (P, 3, h, w) of
  ``test_cfg.input_size`` -> ``parsing_logits`` (P, C, h, w), ``iou_scores`` (P,);
- re-ID (``GlobalReID``, ``ISPReID``): crops -> ``feature`` (and ISP's global,
  foreground and part features, part visibilities and part logits).

Inputs are normalised as the config's data preprocessor does (printed). The
flip test, sliding windows, QANet's detector, crops and paste-back stay
outside the graph (``hp_mm.deploy.build_ort_model`` runs them around it).
A static export takes N = 1 (ONNX Runtime then folds every size computation;
the backend runs a batch image by image); ``--dynamic`` makes N, H and W dynamic.

The tool runs the exported file in ONNX Runtime and the model in PyTorch on
random normalised inputs, prints the largest difference of every output and
exits with status 1, writing nothing, when one exceeds ``--rtol`` (1e-4) of
that output's largest magnitude. Unsupported model types, a shape that is not
a multiple of the output stride or not the config's crop size, and a
checkpoint that does not fit the config are errors (status 2), with nothing
written.
"""
import argparse
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from hp_mm.apis import init_model
from hp_mm.apis.model_init import load_config
from hp_mm.deploy import (ExportCheckError, export_onnx, format_checks, graph_for_config,
                          preprocess_info)


def parse_args():
    parser = argparse.ArgumentParser(description='Export an hp_mm model to ONNX (checked '
                                     'against PyTorch with ONNX Runtime)')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint of that config')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'), default=None,
                        help='input height and width to export at (default: the crop size '
                        'of QANet / re-ID configs, else the config\'s test or crop size rounded '
                        'up to the output stride)')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch, height and width (static: N = 1 and --shape)')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (13..20)')
    parser.add_argument('--rtol', type=float, default=1e-4,
                        help='largest accepted |ORT - PyTorch| / max |PyTorch| of each output')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value')
    return parser.parse_args()


def load_model(cfg: Config, checkpoint: str):
    """The config's model with the checkpoint loaded strictly (``hp_mm.apis.init_model``)."""
    graph = graph_for_config(cfg)  # unsupported model types fail before loading
    try:
        return init_model(cfg, checkpoint, device='cpu')
    except (RuntimeError, ValueError, KeyError) as e:
        raise ValueError(f'checkpoint {checkpoint} does not match the config '
                         f'{cfg.filename} (expected the state_dict of its '
                         f'{graph.model_class.__name__}): {e}') from e


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'hp_mm'))
    try:
        model = load_model(cfg, args.checkpoint)
        pre = preprocess_info(cfg)
        print(f'input: float32 (N, 3, H, W), channels {pre["channel_order"]}, normalised as '
              f'(pixel - mean) / std with mean {pre["mean"]} std {pre["std"]}')
        report = export_onnx(model, args.out, shape=args.shape, dynamic=args.dynamic,
                             opset=args.opset, rtol=args.rtol)
    except ExportCheckError as e:
        print(f'pytorch2onnx.py: check failed: {e}', file=sys.stderr)
        sys.exit(1)
    except (NotImplementedError, ValueError, FileNotFoundError, ImportError) as e:
        print(f'pytorch2onnx.py: error: {e}', file=sys.stderr)
        sys.exit(2)
    h, w = report['shape']
    dims = '(N, 3, H, W)' if args.dynamic else f'(1, 3, {h}, {w})'
    print(f'{report["model_type"]} -> {args.out}: input {report["input_name"]} {dims}, traced at '
          f'{h}x{w}, output stride {report["stride"]}, opset {report["opset"]}')
    print('ONNX Runtime vs PyTorch (random normalised inputs):')
    print(format_checks(report['checks']))
    print(f'largest difference: {report["max_rel_diff"]:.3g} of the outputs\' scale '
          f'(<= {args.rtol:g}): OK')


if __name__ == '__main__':
    main()
