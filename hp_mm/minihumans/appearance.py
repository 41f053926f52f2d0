"""Appearance sampling: skin, hair, garments, accessories and their textures.

A texture is a small dict (see :func:`sample_texture`) rendered by
:func:`hp_mm.minihumans.textures.texture_patch`. Colours are BGR
uint8 triples.
"""
from dataclasses import dataclass, field

import numpy as np

# Common garment colours (BGR); random colours are mixed in as well.
CLOTH_COLOURS = np.array([
    (25, 25, 25), (40, 40, 45), (235, 235, 235), (200, 200, 205),
    (128, 128, 128), (90, 90, 95), (110, 50, 20), (70, 35, 20), (180, 110, 40),
    (40, 40, 170), (30, 30, 120), (60, 120, 60), (40, 80, 40), (120, 170, 190),
    (60, 110, 150), (40, 70, 110), (170, 140, 230), (60, 200, 230),
    (130, 60, 110), (200, 170, 120), (150, 150, 60), (80, 130, 200)],
                         np.uint8)
SKIN_TONES = np.array([
    (185, 205, 240), (160, 185, 230), (140, 170, 215), (120, 150, 200),
    (100, 130, 180), (80, 105, 150), (60, 80, 120), (45, 60, 95)], np.uint8)
HAIR_COLOURS = np.array([
    (20, 20, 25), (30, 35, 50), (35, 55, 85), (60, 90, 130), (90, 140, 185),
    (130, 130, 135), (40, 60, 140)], np.uint8)


def random_colour(rng, palette_prob=0.65):
    """Sample a garment-like colour.

    Args:
        rng (np.random.Generator): Random generator.
        palette_prob (float): Probability of a common garment colour.

    Returns:
        np.ndarray: BGR colour, shape (3, ), uint8.
    """
    if rng.random() < palette_prob:
        c = CLOTH_COLOURS[rng.integers(len(CLOTH_COLOURS))].astype(int)
        c = c + rng.integers(-18, 19, 3)
    else:
        c = rng.integers(0, 256, 3)
    return np.clip(c, 0, 255).astype(np.uint8)


def skin_colour(rng):
    """Sample a skin tone (BGR uint8, shape (3, ))."""
    c = SKIN_TONES[rng.integers(len(SKIN_TONES))].astype(int)
    return np.clip(c + rng.integers(-10, 11, 3), 0, 255).astype(np.uint8)


def contrast_colour(rng, c):
    """A second colour for a pattern, visibly different from ``c``."""
    for _ in range(8):
        d = random_colour(rng)
        if np.abs(d.astype(int) - c.astype(int)).sum() > 120:
            return d
    return (255 - c).astype(np.uint8)


def sample_texture(rng, colour=None, plain_prob=0.55, kinds=None):
    """Sample a garment texture.

    Args:
        rng (np.random.Generator): Random generator.
        colour (np.ndarray | None): Base colour; sampled when None.
        plain_prob (float): Probability of a plain (solid) texture, used when
            ``kinds`` is None.
        kinds (dict | None): Probabilities of the texture kinds.

    Returns:
        dict: ``kind`` (``'solid'``, ``'stripes'``, ``'checks'``, ``'dots'``
        or ``'noise'``), ``c1``, ``c2`` (BGR uint8), ``period`` and
        ``width`` (fractions of the person height), ``angle`` (degrees).
    """
    c1 = random_colour(rng) if colour is None else colour
    if kinds is None:
        rest = 1.0 - plain_prob
        kinds = dict(solid=plain_prob, stripes=0.4 * rest, checks=0.22 * rest,
                     dots=0.18 * rest, noise=0.2 * rest)
    names = list(kinds)
    p = np.array([kinds[k] for k in names], float)
    kind = names[rng.choice(len(names), p=p / p.sum())]
    period = rng.uniform(0.02, 0.06)
    c2 = contrast_colour(rng, c1)
    if kind == 'noise':  # fabric-like: a close shade, not a contrast colour
        c2 = np.clip(c1.astype(int) + rng.integers(-50, 51, 3), 0,
                     255).astype(np.uint8)
    return dict(kind=kind, c1=c1, c2=c2, period=period,
                width=period * rng.uniform(0.25, 0.55),
                angle=float(rng.choice([0.0, 90.0, 45.0, -45.0,
                                        rng.uniform(0, 180)])))


# Garment-specific colour palettes (BGR) and texture kinds: the priors real
# clothes have (dark plain coats, denim trousers, bright patterned dresses,
# ...), which make the garment classes learnable beyond their shapes.
GARMENT_COLOURS = {
    'coat': [(30, 30, 30), (55, 55, 60), (115, 115, 120), (80, 140, 185),
             (35, 60, 100), (75, 40, 25), (45, 85, 75), (150, 185, 205),
             (40, 30, 110)],
    'pants': [(140, 95, 45), (95, 60, 30), (190, 150, 110), (30, 30, 30),
              (100, 100, 105), (120, 165, 185), (50, 80, 115),
              (225, 225, 225)],
    'dress': [(50, 50, 200), (180, 140, 240), (200, 190, 250), (70, 210, 240),
              (230, 190, 130), (235, 235, 235), (150, 70, 130),
              (90, 170, 90), (30, 30, 30)],
    'jumpsuit': [(60, 100, 85), (40, 130, 230), (30, 30, 30), (225, 225, 225),
                 (40, 60, 150), (130, 130, 30), (40, 170, 200)],
    'skirt': [(30, 30, 30), (75, 40, 25), (140, 95, 45), (40, 40, 170),
              (60, 60, 120), (100, 100, 105), (50, 80, 115)],
    'gloves': [(25, 25, 25), (40, 60, 100), (40, 40, 190), (235, 235, 235),
               (110, 110, 110)],
    'socks': [(240, 240, 240), (240, 240, 240), (30, 30, 30), (120, 120, 120),
              (50, 50, 190), (90, 40, 20)],
    'shoes': [(20, 20, 20), (30, 50, 80), (240, 240, 240), (110, 110, 110),
              (90, 40, 20), (40, 40, 180)],
}
GARMENT_KINDS = {
    'upper': dict(solid=0.5, stripes=0.22, checks=0.12, dots=0.06, noise=0.1),
    'coat': dict(solid=0.8, noise=0.12, checks=0.08),
    'pants': dict(solid=0.65, noise=0.3, stripes=0.05),
    'dress': dict(solid=0.35, dots=0.25, stripes=0.15, checks=0.1,
                  noise=0.15),
    'jumpsuit': dict(solid=0.85, noise=0.15),
    'skirt': dict(solid=0.45, checks=0.35, stripes=0.1, dots=0.1),
    'scarf': dict(solid=0.2, stripes=0.5, checks=0.3),
    'socks': dict(solid=0.7, stripes=0.3),
    'hat': dict(solid=0.75, stripes=0.1, checks=0.1, noise=0.05),
    'gloves': dict(solid=0.9, noise=0.1),
}


def garment_texture(rng, garment):
    """Sample the texture of a garment with that garment's priors.

    Args:
        rng (np.random.Generator): Random generator.
        garment (str): Key of ``GARMENT_KINDS`` / ``GARMENT_COLOURS``.

    Returns:
        dict: A texture (see :func:`sample_texture`).
    """
    pal = GARMENT_COLOURS.get(garment)
    if pal is not None and rng.random() < 0.8:
        c = np.array(pal[rng.integers(len(pal))], int)
        colour = np.clip(c + rng.integers(-15, 16, 3), 0, 255).astype(np.uint8)
    else:
        colour = random_colour(rng)
    return sample_texture(rng, colour, kinds=GARMENT_KINDS.get(garment))


def solid(colour):
    """A solid texture of one colour."""
    colour = np.asarray(colour, np.uint8)
    return dict(kind='solid', c1=colour, c2=colour, period=1.0, width=0.5,
                angle=0.0)


@dataclass
class Appearance:
    """What a person wears.

    Garment fields hold texture dicts or None. Lengths are in body units
    (y of the hem, 0 = head top, 1 = soles) unless noted.
    """
    skin: np.ndarray = None
    hair: np.ndarray = None
    hair_style: str = 'short'  # 'short' | 'long' | 'bun'
    top: str = 'upper'  # 'upper' | 'coat' | 'dress' | 'jumpsuit'
    upper: dict = None  # shirt (also under a coat)
    sleeve: str = 'short'  # 'none' | 'short' | 'long' (shirt/dress/jumpsuit)
    neckline: str = 'crew'  # 'crew' | 'v' | 'crop' (the latter two show skin)
    coat: dict = None
    coat_hem: float = 0.65
    coat_open: bool = False
    dress: dict = None
    dress_hem: float = 0.75
    jumpsuit: dict = None
    bottom: str = 'pants'  # 'pants' | 'skirt' | 'none'
    pants: dict = None
    pants_len: str = 'long'  # 'long' | 'capri' | 'shorts'
    skirt: dict = None
    skirt_hem: float = 0.7
    flare: float = 1.2
    hat: dict = None
    hat_style: str = 'cap'  # 'cap' | 'beanie' | 'brim'
    sunglasses: np.ndarray = None
    scarf: dict = None
    gloves: dict = None
    socks: dict = None
    sock_top: float = 0.85
    shoes: dict = None
    belt: np.ndarray = None
    bag: dict = None
    bag_style: str = 'backpack'  # 'backpack' | 'shoulder' | 'hand'
    extras: dict = field(default_factory=dict)


def sample_appearance(rng, jumpsuit=True, torso_skin=False, belt=False,
                      bag=0.0, tight=False, probs=None):
    """Sample what a person wears.

    Args:
        rng (np.random.Generator): Random generator.
        jumpsuit (bool): Allow jumpsuits.
        torso_skin (bool): Allow garments that show chest or belly skin.
        belt (bool): Allow belts.
        bag (float): Probability of carrying a bag.
        tight (bool): Only body-hugging garments (no skirt, dress, long coat),
            used where labels are body parts.
        probs (dict | None): Overrides of the accessory probabilities
            (``hat``, ``sunglasses``, ``scarf``, ``gloves``, ``socks``).

    Returns:
        Appearance: The outfit.
    """
    p = dict(hat=0.28, sunglasses=0.3, scarf=0.18, gloves=0.2, socks=0.55,
             shoes=0.96)
    p.update(probs or {})
    u = rng.uniform
    a = Appearance(skin=skin_colour(rng))
    a.hair = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))].copy()
    a.hair_style = ('short', 'long', 'bun')[rng.choice(3, p=[0.5, 0.38, 0.12])]
    tops = ['upper', 'coat', 'dress', 'jumpsuit']
    tp = np.array([0.5, 0.22, 0.14, 0.14 if jumpsuit else 0.0])
    if tight:
        tp[2] = 0.0
    a.top = tops[rng.choice(4, p=tp / tp.sum())]
    a.upper = garment_texture(rng, 'upper')
    a.sleeve = ('none', 'short', 'long')[rng.choice(3, p=[0.2, 0.45, 0.35])]
    if torso_skin and rng.random() < 0.45:
        a.neckline = 'v' if rng.random() < 0.6 else 'crop'
    if a.top == 'coat':
        a.coat = garment_texture(rng, 'coat')
        a.coat_hem = u(0.5, 0.56) if tight else u(0.55, 0.78)
        a.coat_open = bool(rng.random() < 0.5)
    elif a.top == 'dress':
        a.dress = garment_texture(rng, 'dress')
        a.dress_hem = u(0.62, 0.9)
        a.flare = u(1.05, 1.5)
    elif a.top == 'jumpsuit':
        a.jumpsuit = garment_texture(rng, 'jumpsuit')
        a.pants_len = ('long', 'capri', 'shorts')[rng.choice(3, p=[0.7, 0.15,
                                                                  0.15])]
    if a.top in ('upper', 'coat'):
        skirt_p = 0.0 if tight else 0.3
        a.bottom = 'skirt' if rng.random() < skirt_p else 'pants'
        if a.bottom == 'skirt':
            a.skirt = garment_texture(rng, 'skirt')
            a.skirt_hem = u(0.62, 0.88)
            a.flare = u(1.05, 1.5)
        else:
            a.pants = garment_texture(rng, 'pants')
            a.pants_len = ('long', 'capri', 'shorts')[rng.choice(
                3, p=[0.62, 0.14, 0.24])]
    else:
        a.bottom = 'none'
    a.extras = dict(
        shirt_hem=u(0.47, 0.52), fringe=bool(rng.random() < 0.4),
        scarf_side=float(rng.choice([-1.0, 1.0])), hair_len=u(0.14, 0.26),
        sleeve_len=u(0.45, 0.75), bag_side=('l', 'r')[int(rng.integers(2))])
    if rng.random() < p['hat']:
        a.hat = garment_texture(rng, 'hat')
        a.hat_style = ('cap', 'beanie', 'brim')[int(rng.integers(3))]
    if rng.random() < p['sunglasses']:
        a.sunglasses = np.clip(rng.integers(0, 60, 3) + [0, 0, 0], 0,
                               255).astype(np.uint8)
    if rng.random() < p['scarf']:
        a.scarf = garment_texture(rng, 'scarf')
    if rng.random() < p['gloves']:
        a.gloves = garment_texture(rng, 'gloves')
    if rng.random() < p['shoes']:
        a.shoes = solid(garment_texture(rng, 'shoes')['c1'])
    legs_bare = (a.bottom == 'skirt' or a.top == 'dress'
                 or a.pants_len != 'long')
    if legs_bare and rng.random() < p['socks']:
        a.socks = garment_texture(rng, 'socks')
        a.sock_top = u(0.82, 0.9)
    if belt and a.bottom == 'pants' and rng.random() < 0.35:
        a.belt = random_colour(rng)
    if bag and rng.random() < bag:
        a.bag = sample_texture(rng, plain_prob=0.8)
        a.bag_style = ('backpack', 'shoulder', 'hand')[int(rng.integers(3))]
    return a
