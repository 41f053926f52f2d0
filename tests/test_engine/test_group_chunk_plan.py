"""plan_group_chunks: groups in completion order, chunks of >= chunk_size samples, slots."""
import numpy as np
import pytest
import torch

from hp_mm.engine.hooks.group_chunk_plan import index_groups, plan_group_chunks


def test_chunks_follow_group_completion_order():
    # group ids (data_info values) 5, 2, 5, 9, 2, 9, 9, 7, 7: group 5 completes at sample 2,
    # 2 at 4, 9 at 6, 7 at 8 -> order 5, 2, 9, 7; chunks of >= 3 samples: [5, 2], [9], [7]
    values, index = index_groups([5, 2, 5, 9, 2, 9, 9, 7, 7])
    assert values.tolist() == [2, 5, 7, 9] and index.tolist() == [1, 0, 1, 3, 0, 3, 3, 2, 2]
    plan = plan_group_chunks(index, 3)
    assert values[plan.group_order].tolist() == [5, 2, 9, 7]
    assert dict(zip(values.tolist(), plan.chunk_of_group.tolist())) == {2: 0, 5: 0, 9: 1, 7: 2}
    assert plan.chunk_sizes.tolist() == [4, 3, 2] and plan.num_chunks == 3
    assert plan.chunk_of_sample.tolist() == [0, 0, 0, 1, 0, 1, 1, 2, 2]
    # inside chunk 0: group 5 (samples 0, 2) first, then group 2 (samples 1, 4)
    assert plan.slot_of_sample.tolist() == [0, 2, 1, 0, 3, 1, 2, 0, 1]


def test_one_chunk_and_one_group_per_chunk():
    index = torch.tensor([0, 0, 1, 1, 2])
    assert plan_group_chunks(index, 100).chunk_sizes.tolist() == [5]
    plan = plan_group_chunks(index, 1)
    assert plan.chunk_sizes.tolist() == [2, 2, 1] and plan.slot_of_sample.tolist() == [0, 1, 0, 1, 0]
    with pytest.raises(ValueError, match='chunk_size must be >= 1'):
        plan_group_chunks(index, 0)


def test_slots_are_a_permutation_inside_every_chunk():
    rng = np.random.default_rng(0)
    _, index = index_groups(rng.integers(0, 40, 500))
    plan = plan_group_chunks(index, 37)
    for j in range(plan.num_chunks):
        slots = plan.slot_of_sample[plan.chunk_of_sample == j]
        assert sorted(slots.tolist()) == list(range(int(plan.chunk_sizes[j])))
    assert (plan.chunk_sizes[:-1] >= 37).all()          # every chunk but the last is full
