# Full C²L with L_view exactly as the paper's eq. 7 (within-view terms only, no PiCIE cross-view
# term).
_base_ = ['./c2l_fpn-r18_atr-3class.py']
model = dict(decode_head=dict(cross_view=False))
