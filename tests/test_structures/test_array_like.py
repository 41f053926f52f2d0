"""to_numpy / to_tensor / as_container_of: the one tensor <-> ndarray converter of every layer."""
import numpy as np
import pytest
import torch

from hp_mm.structures import as_container_of, to_numpy, to_tensor


def test_to_numpy_detaches_and_shares_cpu_memory():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_()
    a = to_numpy(t)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (2, 3)
    assert a.tolist() == [[0, 1, 2], [3, 4, 5]]
    b = torch.tensor([1, 2])
    to_numpy(b)[0] = 7  # a CPU tensor's memory is shared, not copied
    assert b.tolist() == [7, 2]
    assert to_numpy([[1, 2], [3, 4]]).dtype == np.int64
    assert to_numpy(np.float16(2.5)).shape == ()
    with pytest.raises(TypeError, match='scores must be numeric, got an object array'):
        to_numpy(np.array([1, 'a', None], dtype=object), 'scores')


def test_to_tensor_keeps_tensors_and_wraps_arrays():
    t = torch.tensor([1, 2])
    assert to_tensor(t) is t
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    x = to_tensor(a)
    assert x.dtype == torch.int32 and x.tolist() == [[1, 2], [3, 4]]
    a[0, 0] = 9  # shares memory
    assert int(x[0, 0]) == 9
    # negative strides (a flipped view) are copied, values kept
    assert to_tensor(a[:, ::-1]).tolist() == [[2, 9], [4, 3]]
    assert to_tensor(a.T).tolist() == [[9, 3], [2, 4]]  # positive non-contiguous strides


def test_to_tensor_errors_name_the_argument():
    with pytest.raises(TypeError, match='gt must be a torch.Tensor or np.ndarray, got list'):
        to_tensor([[0, 1]], 'gt')
    with pytest.raises(TypeError, match='pred must hold integers, got dtype torch.float64'):
        to_tensor(np.zeros(3), 'pred', integer=True)
    with pytest.raises(TypeError, match='pred must hold integers, got dtype torch.complex64'):
        to_tensor(torch.zeros(3, dtype=torch.complex64), 'pred', integer=True)
    with pytest.raises(TypeError, match='x must be numeric'):
        to_tensor(np.array([None]), 'x')
    # integers and bool (0 / 1 indices) pass the integer check
    assert to_tensor(np.array([True, False]), integer=True).tolist() == [True, False]
    assert to_tensor(np.array([3], np.uint8), integer=True).dtype == torch.uint8


def test_as_container_of_follows_the_input():
    result = torch.tensor([[0.5, 1.5]])
    back = as_container_of(result, np.zeros(3))  # an ndarray input: an ndarray result
    assert isinstance(back, np.ndarray) and back.dtype == np.float32
    assert back.tolist() == [[0.5, 1.5]]
    assert as_container_of(result, torch.zeros(3)) is result  # a tensor input: the tensor
    # the pure functions that accept either container return it (here: the IoU of a confusion)
    from hp_mm.evaluation.functional import cosine_distance, iou_from_confusion
    conf = np.array([[2, 1], [0, 3]])
    assert isinstance(iou_from_confusion(conf), np.ndarray)
    assert iou_from_confusion(conf).tolist() == [2 / 3, 3 / 4]
    assert isinstance(iou_from_confusion(torch.from_numpy(conf)), torch.Tensor)
    assert isinstance(cosine_distance(np.eye(2), np.eye(2)), np.ndarray)
