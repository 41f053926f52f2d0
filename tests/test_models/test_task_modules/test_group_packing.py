"""pack_groups / unpack_groups: per-group slots in sample order, zero padding, round trip."""
import torch

from hp_mm.models.task_modules.clustering.group_packing import pack_groups, unpack_groups


def test_pack_and_unpack_groups_roundtrip():
    values = torch.arange(6 * 2).reshape(6, 2)
    group_index = torch.tensor([1, 0, 1, 2, 1, 0])
    packed, mask = pack_groups(values, group_index)
    assert packed.shape == (3, 3, 2)
    assert mask.tolist() == [[True, True, False], [True, True, True], [True, False, False]]
    assert packed[1, :, 0].tolist() == [0, 4, 8]  # group 1 = samples 0, 2, 4 in order
    assert packed[0, :2, 0].tolist() == [2, 10] and packed[0, 2].tolist() == [0, 0]
    assert torch.equal(unpack_groups(packed, group_index), values)
    # an explicit number of groups adds empty ones
    packed4, mask4 = pack_groups(values, group_index, num_groups=4)
    assert packed4.shape == (4, 3, 2) and not mask4[3].any()
