"""Evaluate an exported hp_mm model (fp32 or int8 ONNX) on the config's test set.

    python tools/deployment/test_onnx.py CONFIG MODEL.onnx [--work-dir DIR] \
        [--cfg-options test_dataloader.dataset.data_root=...]

The config's model with its network in ONNX Runtime
(``hp_mm.deploy.build_ort_model``) runs mmengine's test loop with the config's
test dataloader and evaluator, as ``tools/test.py`` runs the PyTorch model; the
metrics are printed (and logged under the work dir).
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from hp_mm.apis.model_init import load_config
from hp_mm.deploy import build_ort_model


def parse_args():
    parser = argparse.ArgumentParser(description='Test an hp_mm ONNX model with ONNX Runtime')
    parser.add_argument('config', help='the config the file was exported from')
    parser.add_argument('onnx_file', help='.onnx file (fp32 or int8)')
    parser.add_argument('--work-dir', help='where to write the logs')
    parser.add_argument('--threads', type=int, default=None,
                        help="ONNX Runtime's intra-op threads (default: its own)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', 'onnx', osp.splitext(osp.basename(args.onnx_file))[0])
    model = build_ort_model(cfg, args.onnx_file, num_threads=args.threads)
    runner = Runner(model=model, work_dir=cfg.work_dir, test_dataloader=cfg.test_dataloader,
                    test_evaluator=cfg.test_evaluator, test_cfg=cfg.test_cfg,
                    default_hooks=cfg.get('default_hooks'), custom_hooks=cfg.get('custom_hooks'),
                    env_cfg=cfg.get('env_cfg', dict()), log_processor=cfg.get('log_processor'),
                    default_scope=cfg.get('default_scope', 'hp_mm'), cfg=cfg)
    metrics = runner.test()
    print(' '.join(f'{k}: {v:.2f}' if isinstance(v, float) else f'{k}: {v}'
                   for k, v in metrics.items()))


if __name__ == '__main__':
    main()
