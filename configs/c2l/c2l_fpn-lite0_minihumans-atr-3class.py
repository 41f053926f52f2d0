# C²L Table 1 row 4 (full C²L): + pixel consistent module with the sparse-code FFN
# (beta = 0.3), dictionary projected onto |d_j| <= 1 after every optimiser step,
# on the ImageNet-initialised Lite0 FPN of picie_fpn-lite0_minihumans-atr-3class.py.
_base_ = ['./picie_fpn-lite0_minihumans-atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}}, pixel_module={{_base_.sparse_module_cfg}})
default_hooks = dict(dictionary_projection=dict(type='DictionaryProjectionHook'))
