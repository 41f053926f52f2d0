"""MiniHumans label vocabularies and their mapping to each dataset format.

The renderer paints *drawing codes* (what was drawn: a left glove, the top of a
jumpsuit, torso skin, ...), a vocabulary richer than any one dataset, plus a
*body-segment* id per pixel (which body part the pixel covers). Each format's
label map is a look-up table applied to one of the two maps, so every format's
labels agree exactly with the drawn image.
"""
import numpy as np

from hp_mm.datasets import (ATRDataset, CIHPDataset, LIPDataset, MHPv2InstanceDataset,
                            PascalPersonPartDataset)

# ---------------------------------------------------------------- drawing codes
# 0..19 coincide with LIP; 20.. are MiniHumans-only codes.
BG = 0
HAT = 1
HAIR = 2
GLOVE_L = 3
SUNGLASSES = 4
UPPER = 5
DRESS = 6
COAT = 7
SOCK_L = 8
PANTS = 9
JUMP_TOP = 10
SCARF = 11
SKIRT = 12
FACE = 13
ARM_L = 14
ARM_R = 15
LEG_L = 16
LEG_R = 17
SHOE_L = 18
SHOE_R = 19
GLOVE_R = 20
SOCK_R = 21
JUMP_BOTTOM = 22
TORSO_SKIN = 23
NECK = 24
BELT = 25
BAG = 26
BACKPACK = 27
HAND_L = 28
HAND_R = 29
NUM_CODES = 30

# --------------------------------------------------------------- body segments
SEG_NONE = 0
SEG_HEAD = 1
SEG_NECK = 2
SEG_TORSO = 3
SEG_PELVIS = 4
SEG_UPPER_ARM_L = 5
SEG_FOREARM_L = 6
SEG_HAND_L = 7
SEG_UPPER_ARM_R = 8
SEG_FOREARM_R = 9
SEG_HAND_R = 10
SEG_THIGH_L = 11
SEG_SHIN_L = 12
SEG_FOOT_L = 13
SEG_THIGH_R = 14
SEG_SHIN_R = 15
SEG_FOOT_R = 16
SEG_ACCESSORY = 17
NUM_SEGMENTS = 18

# ------------------------------------------------------------------ class names
# The class names of each format are those of the hp_mm dataset class that reads it
# (``METAINFO``), so the generator and the readers cannot disagree.
LIP_CLASSES = LIPDataset.METAINFO['classes']
CIHP_CLASSES = CIHPDataset.METAINFO['classes']
ATR_CLASSES = ATRDataset.METAINFO['classes']
PASCAL_PART_CLASSES = PascalPersonPartDataset.METAINFO['classes']
MHP_V2_CLASSES = MHPv2InstanceDataset.METAINFO['classes']


def _lut(mapping, num=256):
    """Build a uint8 look-up table of length 256 from ``{code: label}``."""
    lut = np.zeros(num, np.uint8)
    for code, label in mapping.items():
        lut[code] = label
    return lut


_LIP_EXTRA = {GLOVE_R: 3, SOCK_R: 8, JUMP_BOTTOM: 10, TORSO_SKIN: 5, NECK: 13,
              BELT: 9, BAG: 0, BACKPACK: 0, HAND_L: 14, HAND_R: 15}
#: drawing code -> LIP label (20 classes).
LIP_LUT = _lut({**{c: c for c in range(20)}, **_LIP_EXTRA})
#: drawing code -> CIHP label (LIP order, 10 = Torso-skin). Jumpsuits are never
#: drawn in CIHP mode; should one be, it maps to UpperClothes / Pants.
CIHP_LUT = _lut({**{c: c for c in range(20)}, **_LIP_EXTRA, JUMP_TOP: 5,
                 JUMP_BOTTOM: 9, TORSO_SKIN: 10})
#: drawing code -> ATR label (18 classes): gloves are arm, socks are leg,
#: coats and jumpsuit tops are upper-clothes, jumpsuit legs are pants.
ATR_LUT = _lut({
    HAT: 1, HAIR: 2, GLOVE_L: 14, SUNGLASSES: 3, UPPER: 4, DRESS: 7, COAT: 4,
    SOCK_L: 12, PANTS: 6, JUMP_TOP: 4, SCARF: 17, SKIRT: 5, FACE: 11,
    ARM_L: 14, ARM_R: 15, LEG_L: 12, LEG_R: 13, SHOE_L: 9, SHOE_R: 10,
    GLOVE_R: 15, SOCK_R: 13, JUMP_BOTTOM: 6, TORSO_SKIN: 4, NECK: 11,
    BELT: 8, BAG: 16, BACKPACK: 16, HAND_L: 14, HAND_R: 15})
#: drawing code -> MHP-v2 label (59 classes). MiniHumans never draws the
#: other MHP-v2 classes (helmet, bra, boots, high heels, sandals, bare feet,
#: ball, umbrella, tie, ...).
MHP_LUT = _lut({
    HAT: 1, HAIR: 4, GLOVE_L: 49, SUNGLASSES: 47, UPPER: 12, DRESS: 35,
    COAT: 34, SOCK_L: 21, PANTS: 17, JUMP_TOP: 37, SCARF: 50, SKIRT: 19,
    FACE: 3, ARM_L: 5, ARM_R: 6, LEG_L: 30, LEG_R: 31, SHOE_L: 24, SHOE_R: 25,
    GLOVE_R: 49, SOCK_R: 21, JUMP_BOTTOM: 37, TORSO_SKIN: 16, NECK: 3,
    BELT: 43, BAG: 45, BACKPACK: 40, HAND_L: 7, HAND_R: 8})
#: body segment -> PASCAL-Person-Part label (hands are lower arms, feet lower
#: legs, neck is head, pelvis is torso, accessories background).
PASCAL_LUT = _lut({
    SEG_HEAD: 1, SEG_NECK: 1, SEG_TORSO: 2, SEG_PELVIS: 2,
    SEG_UPPER_ARM_L: 3, SEG_UPPER_ARM_R: 3, SEG_FOREARM_L: 4,
    SEG_FOREARM_R: 4, SEG_HAND_L: 4, SEG_HAND_R: 4, SEG_THIGH_L: 5,
    SEG_THIGH_R: 5, SEG_SHIN_L: 6, SEG_SHIN_R: 6, SEG_FOOT_L: 6,
    SEG_FOOT_R: 6})

#: format name -> (class names, which map the LUT applies to, LUT).
FORMAT_LABELS = {
    'lip': (LIP_CLASSES, 'sem', LIP_LUT),
    'atr': (ATR_CLASSES, 'sem', ATR_LUT),
    'cihp': (CIHP_CLASSES, 'sem', CIHP_LUT),
    'mhp_v2': (MHP_V2_CLASSES, 'sem', MHP_LUT),
    'pascal_person_part': (PASCAL_PART_CLASSES, 'seg', PASCAL_LUT),
    'market1501': (LIP_CLASSES, 'sem', LIP_LUT),
    'coco_person': (LIP_CLASSES, 'sem', LIP_LUT),
}

HEAD_SEGMENTS = (SEG_HEAD, )
SHIN_FOOT_SEGMENTS = (SEG_SHIN_L, SEG_SHIN_R, SEG_FOOT_L, SEG_FOOT_R)
