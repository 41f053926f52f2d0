"""FeatureStream on one process: extraction checks and autocast, buffers of exactly n samples,
chunks of whole groups with every sample in its planned slot."""
import pytest
import torch
import torch.nn as nn
from mmseg.structures import SegDataSample

from hp_mm.engine.hooks.feature_stream import FeatureStream
from hp_mm.engine.hooks.group_chunk_plan import index_groups, plan_group_chunks


def _loader(num_samples, batch_size):
    """Batches of samples 0..N-1 in order; input of sample i = [i, 10 i]."""
    return [dict(inputs=[torch.tensor([float(i), 10. * i]) for i in range(s, min(s + batch_size, num_samples))],
                 data_samples=[SegDataSample(metainfo=dict(sample_idx=i))
                               for i in range(s, min(s + batch_size, num_samples))])
            for s in range(0, num_samples, batch_size)]


def _extract(model, data_batch):
    return dict(feats=torch.stack(data_batch['inputs']))


def _stream(num_samples=7, batch_size=3, extract=_extract, **kwargs):
    return FeatureStream(_loader(num_samples, batch_size), extract, nn.Identity(), num_samples,
                         show_progress=False, owner='MyHook', **kwargs)


def test_extract_batch_needs_sample_idx_and_uses_autocast():
    calls = []

    def extract(model, data_batch):
        calls.append((torch.is_autocast_enabled('cpu'), torch.is_grad_enabled()))
        return dict(feats=torch.stack(data_batch['inputs']))

    batch = dict(inputs=[torch.zeros(2)] * 2,
                 data_samples=[SegDataSample(metainfo=dict(sample_idx=i)) for i in (4, 1)])
    out = _stream(extract=extract).extract_batch(batch)
    assert out['sample_idx'].tolist() == [4, 1] and calls == [(False, False)]
    _stream(extract=extract, amp=torch.bfloat16).extract_batch(batch)
    assert calls[-1] == (True, False)
    with pytest.raises(KeyError, match='MyHook: a data sample has no `sample_idx`'):
        _stream().extract_batch(dict(inputs=batch['inputs'], data_samples=[SegDataSample()] * 2))
    with pytest.raises(ValueError, match="output 'feats' must be a tensor with first dim 2"):
        _stream(extract=lambda m, b: dict(feats=torch.zeros(3))).extract_batch(batch)
    with pytest.raises(KeyError, match="must not return 'sample_idx'"):
        _stream(extract=lambda m, b: dict(sample_idx=torch.zeros(2))).extract_batch(batch)


def test_batches_and_buffers():
    stream = _stream()
    batches = list(stream.iter_batches())
    assert [b['sample_idx'].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert torch.equal(batches[1]['feats'], torch.tensor([[3., 30.], [4., 40.], [5., 50.]]))
    buffers = list(stream.iter_buffers(4))
    assert [b['sample_idx'].tolist() for b in buffers] == [[0, 1, 2, 3], [4, 5, 6]]
    assert torch.equal(buffers[1]['feats'][:, 0], torch.tensor([4., 5., 6.]))
    assert stream.max_buffered == 6 and stream.extract_time > 0
    stream.reset_stats()
    assert stream.max_buffered == 0 and stream.extract_time == 0


def test_groups_arrive_whole_in_plan_order():
    values, index = index_groups([5, 2, 5, 9, 2, 9, 9])
    plan = plan_group_chunks(index, 3)
    chunks = list(_stream().iter_groups(plan, index, values))
    # groups complete in the order 5 (sample 2), 2 (sample 4), 9 (sample 6): chunks [5, 2], [9]
    assert [c['sample_idx'].tolist() for c in chunks] == [[0, 2, 1, 4], [3, 5, 6]]
    assert chunks[0]['group_ids'].tolist() == [5, 2] and chunks[0]['group_index'].tolist() == [0, 0, 1, 1]
    assert torch.equal(chunks[0]['feats'][:, 0], torch.tensor([0., 2., 1., 4.]))
    assert chunks[1]['group_ids'].tolist() == [9] and chunks[1]['group_index'].tolist() == [0, 0, 0]
