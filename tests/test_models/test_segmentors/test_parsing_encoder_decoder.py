import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from hp_mm.models.segmentors import flip_label_permutation
from hp_mm.registry import MODELS


def test_flip_label_permutation_is_an_involution():
    perm = flip_label_permutation(20, [(14, 15), (16, 17), (18, 19)])
    assert perm.tolist()[14:] == [15, 14, 17, 16, 19, 18]
    assert perm.tolist()[:14] == list(range(14))
    assert torch.equal(perm[perm], torch.arange(20))
    with pytest.raises(ValueError, match='outside'):
        flip_label_permutation(5, [(3, 7)])


def _tiny_parser(flip, **kwargs):
    init_default_scope('hp_mm')
    return MODELS.build(dict(
        type='ParsingEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='ResNet', depth=18, num_stages=2, out_indices=(1, ), strides=(1, 2),
                      dilations=(1, 1)),
        decode_head=dict(type='FCNHead', in_channels=128, channels=8, num_convs=1,
                         num_classes=6, in_index=0, dropout_ratio=0.0,
                         loss_decode=dict(type='CrossEntropyLoss')),
        flip_pairs=[(2, 3), (4, 5)],
        test_cfg=ConfigDict(mode='whole', flip=flip), **kwargs)).eval()


def test_flip_test_is_mean_of_pass_and_swapped_mirror_pass():
    torch.manual_seed(0)
    model = _tiny_parser(flip=True)
    x = torch.randn(2, 3, 32, 24)
    metas = [dict(img_shape=(32, 24), ori_shape=(32, 24), pad_shape=(32, 24))] * 2
    with torch.no_grad():
        out = model.inference(x, metas)
        plain = model.encode_decode(x, metas)
        mirrored = model.encode_decode(x.flip(-1), metas).flip(-1)[:, [0, 1, 3, 2, 5, 4]]
    torch.testing.assert_close(out, (plain + mirrored) / 2)
    # the flip-averaged logits of a mirrored image are the mirrored, swapped logits
    with torch.no_grad():
        out_m = model.inference(x.flip(-1), metas)
    torch.testing.assert_close(out_m.flip(-1)[:, [0, 1, 3, 2, 5, 4]], out, atol=1e-5, rtol=1e-5)


def test_sample_flip_pairs_take_precedence_and_missing_pairs_error():
    model = _tiny_parser(flip=True)
    metas = [dict(img_shape=(16, 16), ori_shape=(16, 16), flip_pairs=[(1, 2)])]
    assert model._flip_pairs_for(metas) == [(1, 2)]
    model.flip_pairs = None
    with pytest.raises(ValueError, match='flip_pairs'):
        model.inference(torch.randn(1, 3, 16, 16), [dict(img_shape=(16, 16),
                                                         ori_shape=(16, 16))])
    model.set_dataset_meta(dict(flip_pairs=((4, 5), )))
    assert model.flip_pairs == [(4, 5)]


def test_channels_last_is_the_same_model():
    torch.manual_seed(0)
    plain = _tiny_parser(flip=True)
    fast = _tiny_parser(flip=True, channels_last=True)
    fast.init_weights()  # the runner re-initialises after building
    conv = fast.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    fast.load_state_dict(plain.state_dict())  # copies into the NHWC tensors
    assert fast.backbone.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 32, 24)
    metas = [dict(img_shape=(32, 24), ori_shape=(32, 24), pad_shape=(32, 24))] * 2
    with torch.no_grad():
        feats = fast.extract_feat(x)
        torch.testing.assert_close(fast.inference(x, metas), plain.inference(x, metas),
                                   atol=1e-5, rtol=1e-4)
    assert feats[0].is_contiguous(memory_format=torch.channels_last)
