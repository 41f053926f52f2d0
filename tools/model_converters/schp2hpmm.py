"""Convert GoGoDuck912/Self-Correction-Human-Parsing (SCHP) checkpoints to hp_mm.

    python tools/model_converters/schp2hpmm.py SRC DST --dataset {lip,atr,pascal-person-part}

SRC is one of SCHP's published models (``exp-schp-201908261155-lip.pth``,
``exp-schp-201908301523-atr.pth``, ``exp-schp-201908270938-pascal-person-part.pth``):
``{'state_dict': ..., 'cycle_n': ...}`` with ``module.`` prefixes
(``torch.nn.DataParallel``). DST gets ``{'state_dict', 'meta': {'dataset_meta':
classes, palette, flip_pairs}}`` from ``LIPDataset`` / ``ATRDataset`` /
``PascalPersonPartDataset`` ``METAINFO`` (their class orders are SCHP's
``simple_extractor.py`` label lists) and is checked by loading it with
``strict=True`` into ``configs/schp/schp_r101_<dataset>.py`` (``--config`` to
choose another) through :func:`hp_mm.apis.init_model`.

Every norm layer of SCHP's ``networks/AugmentCE2P.py`` (backbone included) is
mapillary's ``InPlaceABNSync``, whose affine scale is ``|weight| + eps``
(``modules/src/inplace_abn_cpu.cpp`` ``forward_cpu``: ``gamma = abs(weight) +
eps``, eps = 1e-5), not ``weight``: the converter stores ``|weight| + 1e-5`` as
the BN weight, and adds the ``num_batches_tracked`` buffers InPlaceABN lacks.
The head's activation (LeakyReLU(0.01)) is in the config.

Key layout (official -> hp_mm)::

    conv{1,2,3} / bn{1,2,3}            -> backbone.stem.{0,3,6} / backbone.stem.{1,4,7}
    layerN.*                           -> backbone.layerN.*
    context_encoding.stages.i.{1,2}    -> decode_head.psp_modules.i.1.{conv,bn}
    context_encoding.bottleneck.{0,1}  -> decode_head.psp_bottleneck.{conv,bn}
    decoder.conv1 / conv2 .{0,1}       -> decode_head.decoder_top / decoder_skip .{conv,bn}
    decoder.conv3.{0,1,2,3}            -> decode_head.decoder_fuse.{0,0,1,1}.{conv,bn,conv,bn}
    decoder.conv4                      -> decode_head.decoder_seg
    edge.conv{1,2,3}.{0,1}             -> decode_head.edge_convs.{0,1,2}.{conv,bn}
    edge.conv4 / edge.conv5            -> decode_head.edge_seg / decode_head.edge_fuse
    fushion.{0,1}                      -> decode_head.fusion.{conv,bn}
    fushion.3                          -> decode_head.conv_seg
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict

import torch
from mmengine.runner import CheckpointLoader

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from qanet2hpmm import (CONV_NORM, ROOT, STEM_INDEX, dataset_meta, rename_key,  # noqa: E402
                        rules, save_and_check, strip_module_prefix)

ABN_EPS = 1e-5  # InPlaceABNSync's eps (modules/bn.py ABN default)
SCHP_DATASETS = {
    'lip': 'LIPDataset',
    'atr': 'ATRDataset',
    'pascal-person-part': 'PascalPersonPartDataset'
}
_REQUIRED = ('conv1.weight', 'layer4.0.conv1.weight', 'context_encoding.bottleneck.0.weight',
             'fushion.3.weight')


def load_schp_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """Read an SCHP checkpoint (``weights_only``) and return its ``state_dict``.

    Raises:
        ValueError: Not an SCHP (AugmentCE2P) checkpoint; the message names the file.
    """
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    plain = strip_module_prefix(state) if isinstance(state, dict) else {}
    missing = [k for k in _REQUIRED if k not in plain]
    if missing:
        top = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
        hint = (' (a QANet checkpoint: use tools/model_converters/qanet2hpmm.py)'
                if isinstance(ckpt, dict) and 'model' in ckpt else '')
        raise ValueError(f"{path} is not an SCHP (AugmentCE2P ResNet-101) checkpoint: its "
                         f"'state_dict' lacks {missing}; top-level entries {top}{hint}")
    return state


_RULES = rules(
    (r'(conv[123]|bn[123])\.(.+)', lambda m: f'backbone.stem.{STEM_INDEX[m[1]]}.{m[2]}'),
    (r'(layer[1-4]\..+)', lambda m: f'backbone.{m[1]}'),
    (r'context_encoding\.stages\.(\d+)\.([12])\.(.+)',
     lambda m: f"decode_head.psp_modules.{m[1]}.1.{'conv' if m[2] == '1' else 'bn'}.{m[3]}"),
    (r'context_encoding\.bottleneck\.([01])\.(.+)',
     lambda m: f'decode_head.psp_bottleneck.{CONV_NORM[m[1]]}.{m[2]}'),
    (r'decoder\.conv([12])\.([01])\.(.+)',
     lambda m: (f"decode_head.{'decoder_top' if m[1] == '1' else 'decoder_skip'}."
                f'{CONV_NORM[m[2]]}.{m[3]}')),
    (r'decoder\.conv3\.([0-3])\.(.+)',
     lambda m: f"decode_head.decoder_fuse.{int(m[1]) // 2}.{('conv', 'bn')[int(m[1]) % 2]}.{m[2]}"),
    (r'decoder\.conv4\.(weight|bias)', lambda m: f'decode_head.decoder_seg.{m[1]}'),
    (r'edge\.conv([123])\.([01])\.(.+)',
     lambda m: f'decode_head.edge_convs.{int(m[1]) - 1}.{CONV_NORM[m[2]]}.{m[3]}'),
    (r'edge\.conv([45])\.(weight|bias)',
     lambda m: f"decode_head.{'edge_seg' if m[1] == '4' else 'edge_fuse'}.{m[2]}"),
    (r'fushion\.([01])\.(.+)', lambda m: f'decode_head.fusion.{CONV_NORM[m[1]]}.{m[2]}'),
    (r'fushion\.3\.(weight|bias)', lambda m: f'decode_head.conv_seg.{m[1]}'),
)


def convert_schp(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an SCHP state dict to hp_mm keys and fold InPlaceABN's scale.

    For every norm layer (a module with ``running_mean``) the weight becomes
    ``|weight| + 1e-5`` and ``num_batches_tracked`` (0) is added; all other
    tensors pass through.

    Args:
        state_dict (dict): SCHP's ``state_dict`` (``module.`` prefixes are
            stripped).

    Returns:
        OrderedDict: hp_mm keys -> tensors (new tensors for the folded weights).

    Raises:
        KeyError: Keys with no hp_mm counterpart, listed.
    """
    state = strip_module_prefix(state_dict)
    norms = {k[:-len('running_mean')] for k in state if k.endswith('.running_mean')}
    converted, unknown = OrderedDict(), []
    for key, value in state.items():
        new_key = rename_key(key, _RULES)
        if new_key is None:
            unknown.append(key)
            continue
        prefix, name = key.rsplit('.', 1)
        if prefix + '.' in norms and name == 'weight':
            value = value.abs() + ABN_EPS
        converted[new_key] = value
        if prefix + '.' in norms and name == 'running_var' and \
                prefix + '.num_batches_tracked' not in state:
            converted[new_key[:-len('running_var')] + 'num_batches_tracked'] = torch.tensor(0)
    if unknown:
        raise KeyError(f'{len(unknown)} SCHP keys have no hp_mm counterpart: {unknown[:10]}')
    return converted


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert an official SCHP checkpoint (LIP, ATR or PASCAL-Person-Part) to an '
        'hp_mm checkpoint')
    parser.add_argument('src', help='official SCHP checkpoint (file or URL)')
    parser.add_argument('dst', help='hp_mm checkpoint to write')
    parser.add_argument('--dataset', required=True, choices=sorted(SCHP_DATASETS),
                        help='dataset of the checkpoint (classes, palette, flip pairs)')
    parser.add_argument('--config', help='hp_mm config the result must load into strictly '
                        '(default: configs/schp/schp_r101_<dataset>.py)')
    return parser.parse_args()


def main():
    args = parse_args()
    state = convert_schp(load_schp_checkpoint(args.src))
    meta = dataset_meta(SCHP_DATASETS[args.dataset])
    num_classes = state['decode_head.conv_seg.weight'].shape[0]
    if num_classes != len(meta['classes']):
        fits = [d for d, t in SCHP_DATASETS.items()
                if len(dataset_meta(t)['classes']) == num_classes]
        raise ValueError(f'{args.src} has {num_classes} classes but --dataset {args.dataset} has '
                         f"{len(meta['classes'])} (datasets with {num_classes}: {fits})")
    config = args.config or osp.join(ROOT, f'configs/schp/schp_r101_{args.dataset}.py')
    save_and_check(OrderedDict(state_dict=state, meta=dict(dataset_meta=meta)), args.dst, config)
    print(f'{args.src} ({len(state)} tensors) -> {args.dst}; loads strictly into {config}')


if __name__ == '__main__':
    main()
