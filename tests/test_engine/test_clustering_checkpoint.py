"""The clustering state in a checkpoint: uint8 tensors + epochs + extra state, weights_only."""
import numpy as np
import torch

from hp_mm.engine.hooks.clustering_checkpoint import (CKPT_LABELS, CKPT_STATE,
                                                      load_clustering_state, save_clustering_state)


def test_roundtrip_through_a_weights_only_file(tmp_path):
    ckpt = dict(meta=dict(epoch=3))
    labels = dict(view1=(np.arange(12, dtype=np.uint8).reshape(2, 2, 3), 2),
                  view2=(np.full((2, 2, 3), 255, np.uint8), 2))
    save_clustering_state(ckpt, labels, 'C2LClusteringHook', dict(view_epoch=2))
    assert ckpt[CKPT_LABELS]['view1']['labels'].dtype == torch.uint8
    assert ckpt[CKPT_STATE] == {'C2LClusteringHook': dict(view_epoch=2)}
    torch.save(ckpt, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)
    got, extra = load_clustering_state(loaded, ('view1', 'view2', 'absent'), 'C2LClusteringHook')
    assert sorted(got) == ['view1', 'view2'] and extra == dict(view_epoch=2)
    assert np.array_equal(got['view1'][0], labels['view1'][0]) and got['view1'][1] == 2
    # another hook class's extra state is not ours; no extra state saved when empty
    assert load_clustering_state(loaded, ('view1', ), 'ISPClusteringHook')[1] is None
    empty = {}
    save_clustering_state(empty, {}, 'ISPClusteringHook', {})
    assert CKPT_STATE not in empty and load_clustering_state(empty, ('x', ), 'X') == ({}, None)
