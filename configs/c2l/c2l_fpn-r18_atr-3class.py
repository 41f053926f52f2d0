# C²L Table 1 row 4 (full C²L): PiCIE + part contrastive module (alpha = 0.5) + pixel consistent
# module with the sparse-code FFN (beta = 0.3); the dictionary is projected onto |d_j| <= 1 after
# every optimiser step. L_view keeps PiCIE's cross-view term (see c2l-eq7_... for eq. 7 alone).
_base_ = ['./picie_fpn-r18_atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}}, pixel_module={{_base_.sparse_module_cfg}})
default_hooks = dict(dictionary_projection=dict(type='DictionaryProjectionHook'))
