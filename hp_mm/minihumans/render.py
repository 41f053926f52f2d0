"""Drawing people into an image together with their label maps.

A :class:`Canvas` holds the image and three label maps of the same size:

* ``sem``: drawing codes (:mod:`hp_mm.minihumans.labels`),
* ``seg``: body-segment ids,
* ``human``: person index (0 = none).

Every primitive (a polygon) is painted into the image *and* the three maps in
one step (painter's algorithm), so each pixel's labels are those of the layer
that is visible there: the label maps are exactly consistent with the image.
:func:`draw_person` turns a body (:mod:`.body`) wearing an outfit
(:mod:`.appearance`) into depth-ordered groups of primitives and paints them.
"""
import numpy as np

from . import labels as L
from .body import HEAD_RX, HEAD_RY, HIP_Y, SIDES, Skeleton
from .textures import ellipse_points, polygon_mask, texture_patch


class Canvas:
    """An image and its label maps, painted together.

    Args:
        img (np.ndarray): Background, shape (H, W, 3) uint8 BGR; painted in
            place.

    Attributes:
        sem (np.ndarray): Drawing codes, shape (H, W) uint8.
        seg (np.ndarray): Body-segment ids, shape (H, W) uint8.
        human (np.ndarray): Person index, shape (H, W) uint8.
    """

    def __init__(self, img):
        self.img = img
        self.h, self.w = img.shape[:2]
        self.sem = np.zeros((self.h, self.w), np.uint8)
        self.seg = np.zeros((self.h, self.w), np.uint8)
        self.human = np.zeros((self.h, self.w), np.uint8)

    def paint(self, pts, code, seg, human, tex, scale, rng, shade=None,
              only_code=None):
        """Paint one polygon into the image and the label maps.

        Args:
            pts (np.ndarray): Vertices (x, y) in pixels, shape (N, 2).
            code (int | None): Drawing code; None paints the image only.
            seg (int): Body-segment id.
            human (int): Person index (0 for occluders).
            tex (dict): Texture.
            scale (float): Texture scale (pixels per body unit).
            rng (np.random.Generator): Random generator.
            shade (tuple | float | None): Brightness: a float, or
                ``(p1, p2, r, k)`` for cylinder shading about the axis p1-p2
                (pixels) of radius r with strength k.
            only_code (int | None): Restrict painting to pixels that already
                hold this drawing code and person (details such as eyes).

        Returns:
            int: Number of pixels painted.
        """
        hit = polygon_mask(pts, self.h, self.w)
        if hit is None:
            return 0
        x0, y0, mask = hit
        h, w = mask.shape
        sl = np.s_[y0:y0 + h, x0:x0 + w]
        if only_code is not None:
            mask = mask & (self.sem[sl] == only_code) & (self.human[sl] == human)
        col = texture_patch(tex, x0, y0, h, w, scale, rng)
        if shade is not None and not (np.isscalar(shade) and shade == 1.0):
            factor = _shade_factor(shade, x0, y0, h, w)
            col = np.broadcast_to(col, (h, w, 3)).astype(np.float32)
            col = np.clip(col * factor, 0, 255).astype(np.uint8)
        roi = self.img[sl]
        np.copyto(roi, col, where=mask[..., None])
        if code is not None:
            np.copyto(self.sem[sl], code, where=mask, casting='unsafe')
            np.copyto(self.seg[sl], seg, where=mask, casting='unsafe')
            np.copyto(self.human[sl], human, where=mask, casting='unsafe')
        return int(np.count_nonzero(mask))

    def outline(self, factor=0.7):
        """Darken the image along part and person boundaries.

        Pixels of a person that touch a pixel of another drawing code or
        person (4-neighbourhood) are multiplied by ``factor``, like the
        shading edges of real photos. Only the image changes.

        Args:
            factor (float): Brightness multiplier of boundary pixels.
        """
        key = self.sem.astype(np.int32) * 256 + self.human
        edge = np.zeros(key.shape, bool)
        d = key[:, 1:] != key[:, :-1]
        edge[:, 1:] |= d
        edge[:, :-1] |= d
        d = key[1:] != key[:-1]
        edge[1:] |= d
        edge[:-1] |= d
        edge &= self.human > 0
        self.img[edge] = (self.img[edge] * factor).astype(np.uint8)


def _shade_factor(shade, x0, y0, h, w):
    """Brightness factor over a window: scalar or cylinder shading."""
    if np.isscalar(shade):
        return np.float32(shade)
    p1, p2, r, k, gain = shade
    v = np.asarray(p2, np.float32) - np.asarray(p1, np.float32)
    n = float(np.hypot(v[0], v[1]))
    if n < 1e-3:
        return np.float32(gain)
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None] - np.float32(p1[1])
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :] - np.float32(p1[0])
    d = (xs * v[1] - ys * v[0]) / np.float32(n * max(r, 1.0))
    f = gain * (1.0 - k * np.minimum(d * d, 1.5)) + k * 0.3 * d
    return f[..., None].astype(np.float32)


def capsule(p1, p2, r1, r2):
    """Polygon of a tapered capsule (two half-discs joined by tangents).

    Args:
        p1 (np.ndarray): First end (x, y), shape (2, ).
        p2 (np.ndarray): Second end, shape (2, ).
        r1 (float): Radius at ``p1``.
        r2 (float): Radius at ``p2``.

    Returns:
        np.ndarray: Vertices (x, y), shape (N, 2).
    """
    p1, p2 = np.asarray(p1, float), np.asarray(p2, float)
    d = p2 - p1
    phi = np.arctan2(d[1], d[0]) if np.hypot(d[0], d[1]) > 1e-6 else np.pi / 2
    k = int(np.clip(max(r1, r2) / 1.5, 4, 12))
    t2 = np.linspace(phi - np.pi / 2, phi + np.pi / 2, k)
    t1 = t2 + np.pi
    return np.concatenate([
        p2 + r2 * np.stack([np.cos(t2), np.sin(t2)], 1),
        p1 + r1 * np.stack([np.cos(t1), np.sin(t1)], 1)])


class _Prim:
    """One primitive: polygon, drawing code, segment, texture and shading."""
    __slots__ = ('pts', 'code', 'seg', 'tex', 'shade', 'only')

    def __init__(self, pts, code, seg, tex, shade=None, only=None):
        self.pts, self.code, self.seg = pts, code, seg
        self.tex, self.shade, self.only = tex, shade, only


class PersonDrawer:
    """Build the depth-ordered primitives of one person.

    Args:
        skeleton (Skeleton): Posed body.
        app (Appearance): Outfit.
        scale (float): Person height in pixels (pixels per body unit).
        origin (tuple[float, float]): Pixel position of body point (0, 0),
            the top-centre of the head.
        light (float): Left-right lighting slope.
    """

    def __init__(self, skeleton, app, scale, origin, light=0.0):
        self.sk = skeleton
        self.app = app
        self.s = float(scale)
        self.o = np.asarray(origin, float)
        self.light = light
        self.front = skeleton.frontness > 0
        self.groups = []

    # ---------------------------------------------------------------- helpers
    def px(self, xy):
        """Body-unit image-plane point(s) -> pixels."""
        return self.o + self.s * np.asarray(xy, float)

    def j(self, name):
        """Joint in pixels, shape (2, )."""
        return self.px(self.sk.xy(name))

    def body_poly(self, pts, lean=True):
        """Project body-frame polygon points (z = 0) to pixels.

        Args:
            pts (list): Body-frame (x, y) or (x, y, z) points.
            lean (bool): Apply the upper-body lean to points above the hips.

        Returns:
            np.ndarray: Pixel vertices, shape (N, 2).
        """
        p = np.array([tuple(q) + (0.0, ) * (3 - len(q)) for q in pts], float)
        if lean:
            up = p[:, 1] < HIP_Y
            p[up] = self.sk.upper(p[up])
        return self.px(self.sk.project(p)[0])

    def cyl(self, p1, p2, r, k=0.35):
        """Cylinder-shading spec about the axis p1-p2 (pixels)."""
        mid = 0.5 * (np.asarray(p1) + np.asarray(p2))
        gain = 1.0 + self.light * (mid[0] - self.cx) / (0.3 * self.s)
        return (p1, p2, r, k, float(np.clip(gain, 0.75, 1.25)))

    def limb(self, p1, p2, r1, r2, code, seg, tex):
        """Capsule primitive between two pixel points; radii in body units."""
        r1, r2 = r1 * self.s, r2 * self.s
        return _Prim(capsule(p1, p2, r1, r2), code, seg, tex,
                     self.cyl(p1, p2, max(r1, r2)))

    def add(self, key, prims):
        """Add a group of primitives drawn in the given order at depth key."""
        self.groups.append((key, len(self.groups), [p for p in prims if p]))

    # ---------------------------------------------------------------- build
    def build(self):
        """Create all groups of primitives.

        Returns:
            list: ``(key, order, prims)`` sorted far to near.
        """
        sk, a = self.sk, self.app
        self.cx = self.j('pelvis')[0]
        self.skin = dict(kind='solid', c1=a.skin, c2=a.skin, period=1.0,
                         width=0.5, angle=0.0)
        self.hair = dict(kind='solid', c1=a.hair, c2=a.hair, period=1.0,
                         width=0.5, angle=0.0)
        for s in SIDES:
            self.add(-1.0 + sk.depth('knee_' + s, 'ankle_' + s), self.leg(s))
        self.add(-0.5, self.pelvis())
        self.add(0.0, self.torso())
        self.add(0.05, self.head())
        if a.hair_style == 'long':
            self.add(-2.0 if self.front else 0.3, self.hair_back())
        for s in SIDES:
            d = sk.depth('elbow_' + s, 'wrist_' + s, 'hand_' + s)
            self.add(0.07 + 1.5 * d, self.arm(s))
        if a.bag is not None:
            self.add(*self.bag())
        self.groups.sort(key=lambda g: (g[0], g[1]))
        return self.groups

    # ---------------------------------------------------------------- parts
    def leg(self, s):
        a, sk = self.app, self.sk
        lm = sk.shape.limb
        hip, knee, ankle = self.j('hip_' + s), self.j('knee_' + s), \
            self.j('ankle_' + s)
        toe, heel = self.j('toe_' + s), self.j('heel_' + s)
        left = s == 'l'
        leg_code = L.LEG_L if left else L.LEG_R
        seg_th = L.SEG_THIGH_L if left else L.SEG_THIGH_R
        seg_sh = L.SEG_SHIN_L if left else L.SEG_SHIN_R
        seg_ft = L.SEG_FOOT_L if left else L.SEG_FOOT_R
        rt0, rt1, rs1 = 0.057 * lm, 0.044 * lm, 0.03 * lm
        prims = [
            self.limb(hip, knee, rt0, rt1, leg_code, seg_th, self.skin),
            self.limb(knee, ankle, rt1 * 0.95, rs1, leg_code, seg_sh,
                      self.skin),
            self.limb(ankle, toe, rs1, 0.027 * lm, leg_code, seg_ft,
                      self.skin)]
        if a.socks is not None:
            code = L.SOCK_L if left else L.SOCK_R
            top = knee + (ankle - knee) * self._along_shin(a.sock_top)
            prims += [
                self.limb(top, ankle, rs1 * 1.25, rs1 * 1.15, code, seg_sh,
                          a.socks),
                self.limb(ankle, toe, rs1 * 1.15, 0.027 * lm, code, seg_ft,
                          a.socks)]
        if a.shoes is not None:
            code = L.SHOE_L if left else L.SHOE_R
            up = ankle + (knee - ankle) * 0.07
            prims += [
                self.limb(up, heel, rs1 * 1.3, 0.034 * lm, code, seg_ft,
                          a.shoes),
                self.limb(heel, toe, 0.036 * lm, 0.034 * lm, code, seg_ft,
                          a.shoes)]
        tex = a.jumpsuit if a.top == 'jumpsuit' else (
            a.pants if a.bottom == 'pants' else None)
        if tex is not None:
            code = L.JUMP_BOTTOM if a.top == 'jumpsuit' else L.PANTS
            if a.pants_len == 'shorts':
                end = hip + (knee - hip) * 0.55
                prims.append(self.limb(hip, end, rt0 * 1.3, rt1 * 1.45, code,
                                       seg_th, tex))
            else:
                prims.append(self.limb(hip, knee, rt0 * 1.25, rt1 * 1.25,
                                       code, seg_th, tex))
                t = 0.45 if a.pants_len == 'capri' else 1.02
                end = knee + (ankle - knee) * t
                prims.append(self.limb(knee, end, rt1 * 1.2, rs1 * 1.45, code,
                                       seg_sh, tex))
        return prims

    def _along_shin(self, y):
        """Fraction along knee->ankle at body height y (clipped)."""
        kn = self.sk.joints['knee_l'][1]
        an = self.sk.joints['ankle_l'][1]
        return float(np.clip((y - kn) / max(an - kn, 1e-3), 0.05, 0.95))

    def _hem_poly(self, y_top, hem, flare, top_w):
        """Skirt-like polygon from the hips to ``hem`` covering both legs."""
        sk = self.sk
        pts_top_l = self.body_poly([(top_w, y_top)])[0]
        pts_top_r = self.body_poly([(-top_w, y_top)])[0]
        xs = []
        for s in SIDES:
            chain = [sk.joints[n + s] for n in ('hip_', 'knee_', 'ankle_')]
            ys = [c[1] for c in chain]
            t = np.clip(hem, ys[0], ys[-1])
            if t <= ys[1]:
                f = (t - ys[0]) / max(ys[1] - ys[0], 1e-3)
                p = chain[0] + f * (chain[1] - chain[0])
            else:
                f = (t - ys[1]) / max(ys[2] - ys[1], 1e-3)
                p = chain[1] + f * (chain[2] - chain[1])
            xs.append(self.px(sk.project(p)[0]))
        r = 0.05 * sk.shape.limb * self.s
        lo = min(x[0] for x in xs) - r
        hi = max(x[0] for x in xs) + r
        y_hem = max(x[1] for x in xs)
        mid = 0.5 * (lo + hi)
        half = 0.5 * (hi - lo) * flare
        hip_l = self.body_poly([(top_w * 1.06, HIP_Y)])[0]
        hip_r = self.body_poly([(-top_w * 1.06, HIP_Y)])[0]
        a, b = sorted([pts_top_l, pts_top_r], key=lambda p: p[0])
        ha, hb = sorted([hip_l, hip_r], key=lambda p: p[0])
        return np.array([a, b, hb, (mid + half, y_hem), (mid - half, y_hem),
                         ha])

    def pelvis(self):
        a, sk = self.app, self.sk
        hw = sk.shape.hip
        prims = []
        tex, code = None, None
        if a.top == 'jumpsuit':
            tex, code = a.jumpsuit, L.JUMP_BOTTOM
        elif a.bottom == 'pants':
            tex, code = a.pants, L.PANTS
        if tex is not None:
            poly = self.body_poly([(hw, 0.44), (hw * 1.06, 0.53), (0, 0.575),
                                   (-hw * 1.06, 0.53), (-hw, 0.44)])
            prims.append(_Prim(poly, code, L.SEG_PELVIS, tex,
                               self.cyl(self.j('neck_base'), self.j('pelvis'),
                                        hw * self.s, 0.25)))
        if a.bottom == 'skirt':
            prims.append(_Prim(self._hem_poly(0.44, a.skirt_hem, a.flare, hw),
                               L.SKIRT, L.SEG_PELVIS, a.skirt, 1.0))
        if a.top == 'dress':
            prims.append(_Prim(self._hem_poly(0.42, a.dress_hem, a.flare, hw),
                               L.DRESS, L.SEG_PELVIS, a.dress, 1.0))
        if a.top == 'coat' and a.coat_hem > 0.52:
            prims.append(_Prim(
                self._hem_poly(0.45, a.coat_hem, 1.08, hw * 1.05), L.COAT,
                L.SEG_PELVIS, a.coat, 0.95))
        return prims

    def torso_outline(self, hem, widen=1.0, neck='crew'):
        """Body-frame torso outline from the neck to ``hem``."""
        sh = self.sk.shape
        sw, ww, hw = sh.shoulder * widen, sh.waist * widen, sh.hip * widen
        if hem <= 0.40:
            low = (sw - 0.006) + (hem - 0.27) / 0.13 * (ww - sw + 0.006)
        elif hem <= HIP_Y:
            low = ww + (hem - 0.40) / 0.1 * (hw - ww)
        else:
            low = hw * (1 + (hem - HIP_Y) * 0.9)
        right = [(0.036, 0.155), (sw, 0.172), (sw + 0.016, 0.2),
                 (sw - 0.006, 0.27)]
        if hem > 0.40:
            right.append((ww, 0.40))
        right.append((low, hem))
        left = [(-x, y) for x, y in reversed(right)]
        pts = right + left
        if neck == 'v':
            pts.append((0.0, 0.245))
        return pts

    def torso(self):
        a = self.app
        prims = []
        axis = self.cyl(self.j('neck_base'), self.j('pelvis'),
                        self.sk.shape.shoulder * self.s, 0.25)
        if self.front:
            prims.append(self.limb(self.j('neck_top'), self.j('neck_base'),
                                   0.024, 0.026, L.NECK, L.SEG_NECK,
                                   self.skin))
        neck = a.neckline if self.front else 'crew'
        if a.neckline != 'crew':
            prims.append(_Prim(self.body_poly(self.torso_outline(HIP_Y)),
                               L.TORSO_SKIN, L.SEG_TORSO, self.skin, axis))
        if a.top == 'coat':
            prims.append(_Prim(self.body_poly(self.torso_outline(
                HIP_Y + 0.005, 1.08)), L.COAT, L.SEG_TORSO, a.coat, axis))
            if a.coat_open and self.front:
                w = 0.03
                strip = self.body_poly([(w, 0.165), (w * 1.2, 0.5),
                                        (-w * 1.2, 0.5), (-w, 0.165)])
                prims.append(_Prim(strip, L.UPPER, L.SEG_TORSO, a.upper, axis))
        else:
            tex, code = {'upper': (a.upper, L.UPPER),
                         'dress': (a.dress, L.DRESS),
                         'jumpsuit': (a.jumpsuit, L.JUMP_TOP)}[a.top]
            hem = a.extras.get('shirt_hem', 0.49) if a.top == 'upper' else 0.5
            if a.neckline == 'crop' and a.top == 'upper':
                hem = 0.37
            if a.belt is not None:
                hem = min(hem, 0.445)
            prims.append(_Prim(self.body_poly(self.torso_outline(hem,
                                                                 neck=neck)),
                               code, L.SEG_TORSO, tex, axis))
        if self.front:
            prims += self.front_details()
        if a.belt is not None:
            hw = self.sk.shape.hip
            band = self.body_poly([(hw * 0.98, 0.438), (hw, 0.468),
                                   (-hw, 0.468), (-hw * 0.98, 0.438)])
            prims.append(_Prim(band, L.BELT, L.SEG_PELVIS,
                               dict(kind='solid', c1=a.belt, c2=a.belt,
                                    period=1, width=1, angle=0), 1.0))
        if a.scarf is not None:
            nb = self.j('neck_base')
            ring = ellipse_points(nb[0], nb[1] - 0.004 * self.s,
                                  0.066 * self.s, 0.033 * self.s,
                                  self.sk.pose.lean, 20)
            prims.append(_Prim(ring, L.SCARF, L.SEG_TORSO, a.scarf, 1.0))
            off = 0.024 * (1 if a.extras.get('scarf_side', 1) > 0 else -1)
            if not self.front:
                off = -off
            end = 0.36 if self.front else 0.3
            tail = self.body_poly([(off - 0.02, 0.18), (off + 0.02, 0.18),
                                   (off + 0.023, end), (off - 0.023, end)])
            prims.append(_Prim(tail, L.SCARF, L.SEG_TORSO, a.scarf, 0.92))
        return prims

    def _line(self, p1, p2, width, colour, only):
        """Image-only line (body-frame ends) drawn over one drawing code."""
        a, b = self.body_poly([p1, p2])
        r = width * self.s / 2
        return _Prim(capsule(a, b, r, r), None, 0,
                     dict(kind='solid', c1=np.asarray(colour, np.uint8)),
                     only=only)

    def front_details(self):
        """Garment details of a front view: coat lapels and buttons,
        jumpsuit zip (image only, inside the garment)."""
        a = self.app
        out = []
        if a.top == 'coat':
            dark = (a.coat['c1'] * 0.55).astype(np.uint8)
            for sg in (1, -1):
                out.append(self._line((sg * 0.036, 0.16), (sg * 0.012, 0.31),
                                      0.007, dark, L.COAT))
            if not a.coat_open:
                for y in (0.26, 0.33, 0.40, 0.47):
                    out.append(self._line((0.0, y), (0.0, y + 0.001), 0.012,
                                          dark, L.COAT))
        elif a.top == 'jumpsuit':
            c = np.clip(a.jumpsuit['c1'].astype(int) + 70, 0, 255)
            for code in (L.JUMP_TOP, L.JUMP_BOTTOM):
                out.append(self._line((0.0, 0.17), (0.0, 0.56), 0.006, c,
                                      code))
        if a.top in ('jumpsuit', 'dress'):  # waist seam / tie
            tex = a.jumpsuit if a.top == 'jumpsuit' else a.dress
            code = L.JUMP_TOP if a.top == 'jumpsuit' else L.DRESS
            dark = (tex['c1'] * 0.6).astype(np.uint8)
            hw = self.sk.shape.waist * 1.3
            out.append(self._line((hw, 0.425), (-hw, 0.425), 0.012, dark,
                                  code))
        return out

    def head(self):
        a, sk = self.app, self.sk
        c = self.j('head')
        s = self.s
        rx, ry = HEAD_RX * sk.shape.head * s, HEAD_RY * sk.shape.head * s
        f = sk.facing
        prims = []
        shade = (c - (0, ry), c + (0, ry), rx, 0.25, 1.0)
        if self.front:
            prims.append(_Prim(ellipse_points(c[0], c[1] - 0.012 * s,
                                              rx * 1.1, ry * 1.03),
                               L.HAIR, L.SEG_HEAD, self.hair, shade))
            fx = c[0] + f * 0.3 * rx
            frx, fry = rx * 0.88 * (1 - 0.18 * abs(f)), ry * 0.9
            fy = c[1] + 0.013 * s
            prims.append(_Prim(ellipse_points(fx, fy, frx, fry), L.FACE,
                               L.SEG_HEAD, self.skin, shade))
            if a.extras.get('fringe', False):
                prims.append(_Prim(ellipse_points(fx, fy - fry * 0.8,
                                                  frx * 0.95, fry * 0.32),
                                   L.HAIR, L.SEG_HEAD, self.hair, 1.0))
            dark = dict(kind='solid', c1=np.array([30, 30, 40], np.uint8))
            ey = fy - 0.004 * s
            for dx in (-0.021, 0.021):
                prims.append(_Prim(ellipse_points(fx + dx * s + f * 0.006 * s,
                                                  ey, 0.007 * s, 0.005 * s,
                                                  0, 10),
                                   None, 0, dark, only=L.FACE))
            lips = dict(kind='solid',
                        c1=np.clip(a.skin.astype(int) * [0.7, 0.65, 1.0], 0,
                                   255).astype(np.uint8))
            prims.append(_Prim(ellipse_points(fx + f * 0.008 * s,
                                              fy + 0.04 * s, 0.013 * s,
                                              0.005 * s, 0, 12),
                               None, 0, lips, only=L.FACE))
            if a.sunglasses is not None:
                g = dict(kind='solid', c1=a.sunglasses)
                lx, ly = 0.022 * s, 0.015 * s
                for dx in (-0.023, 0.023):
                    gx = fx + dx * s * (1 - 0.3 * abs(f)) + f * 0.006 * s
                    prims.append(_Prim(ellipse_points(gx, ey, lx, ly, 0, 14),
                                       L.SUNGLASSES, L.SEG_HEAD, g, 1.0))
                bx = fx + f * 0.006 * s
                prims.append(_Prim(np.array([
                    [bx - 0.008 * s, ey - 0.004 * s],
                    [bx + 0.008 * s, ey - 0.004 * s],
                    [bx + 0.008 * s, ey + 0.002 * s],
                    [bx - 0.008 * s, ey + 0.002 * s]]), L.SUNGLASSES,
                    L.SEG_HEAD, g, 1.0))
        else:
            prims.append(_Prim(ellipse_points(c[0], c[1], rx * 1.08,
                                              ry * 1.04),
                               L.HAIR, L.SEG_HEAD, self.hair, shade))
            nb = self.j('neck_base')
            nt = c + (0, 0.2 * ry)
            prims.append(_Prim(capsule(nt, nb, 0.034 * s, 0.03 * s), L.HAIR,
                               L.SEG_HEAD, self.hair, 0.9))
        if a.hair_style == 'bun':
            bx = c[0] - f * 0.4 * rx
            prims.append(_Prim(ellipse_points(bx, c[1] - ry * 0.95,
                                              rx * 0.45, ry * 0.38),
                               L.HAIR, L.SEG_HEAD, self.hair, 0.9))
        if a.hat is not None:
            prims += self.hat(c, rx, ry, f)
        return prims

    def hat(self, c, rx, ry, f):
        a, s = self.app, self.s
        top = c[1] - 0.012 * s
        t = np.linspace(np.pi, 2 * np.pi, 14)
        prims = []
        if a.hat_style == 'beanie':
            crown = np.stack([c[0] + rx * 1.14 * np.cos(t),
                              top + 0.02 * s + ry * 1.12 * np.sin(t)], 1)
            prims.append(_Prim(crown, L.HAT, L.SEG_HEAD, a.hat, 1.0))
        elif a.hat_style == 'cap':
            crown = np.stack([c[0] + rx * 1.13 * np.cos(t),
                              top + 0.004 * s + ry * 1.0 * np.sin(t)], 1)
            prims.append(_Prim(crown, L.HAT, L.SEG_HEAD, a.hat, 1.0))
            if self.front:
                prims.append(_Prim(ellipse_points(
                    c[0] + f * 0.03 * s, top + 0.004 * s, rx * 1.25,
                    0.013 * s), L.HAT, L.SEG_HEAD, a.hat, 0.85))
        else:  # brimmed hat
            crown = np.stack([c[0] + rx * 0.95 * np.cos(t),
                              top - 0.01 * s + ry * 1.05 * np.sin(t)], 1)
            prims.append(_Prim(crown, L.HAT, L.SEG_HEAD, a.hat, 1.0))
            prims.append(_Prim(ellipse_points(c[0], top - 0.008 * s,
                                              rx * 1.9, 0.016 * s),
                               L.HAT, L.SEG_HEAD, a.hat, 0.85))
        return prims

    def hair_back(self):
        c = self.j('head')
        s = self.s
        rx = HEAD_RX * self.sk.shape.head * s
        ln = self.app.extras.get('hair_len', 0.2) * s
        top = c[1]
        pts = np.array([[c[0] - rx * 1.07, top], [c[0] + rx * 1.07, top],
                        [c[0] + rx * 1.35, top + ln],
                        [c[0] + rx * 0.8, top + ln * 1.08],
                        [c[0] - rx * 0.8, top + ln * 1.08],
                        [c[0] - rx * 1.35, top + ln]])
        return [_Prim(pts, L.HAIR, L.SEG_HEAD, self.hair, 0.92)]

    def arm(self, s):
        a, sk = self.app, self.sk
        lm = sk.shape.limb
        sh, el, wr, hd = (self.j(n + s) for n in ('shoulder_', 'elbow_',
                                                  'wrist_', 'hand_'))
        left = s == 'l'
        code = L.ARM_L if left else L.ARM_R
        su = L.SEG_UPPER_ARM_L if left else L.SEG_UPPER_ARM_R
        sf = L.SEG_FOREARM_L if left else L.SEG_FOREARM_R
        sh_ = L.SEG_HAND_L if left else L.SEG_HAND_R
        ru0, ru1, rf1 = 0.038 * lm, 0.031 * lm, 0.025 * lm
        prims = [self.limb(sh, el, ru0, ru1, code, su, self.skin),
                 self.limb(el, wr, ru1 * 0.95, rf1, code, sf, self.skin),
                 self.limb(wr, hd, 0.026 * lm, 0.024 * lm,
                           L.HAND_L if left else L.HAND_R, sh_, self.skin)]
        if a.top == 'coat':
            sleeve, tex, scode, k = 'long', a.coat, L.COAT, 1.3
        else:
            tex, scode = {'upper': (a.upper, L.UPPER),
                          'dress': (a.dress, L.DRESS),
                          'jumpsuit': (a.jumpsuit, L.JUMP_TOP)}[a.top]
            sleeve, k = a.sleeve, 1.16
        if sleeve == 'short':
            t = a.extras.get('sleeve_len', 0.55)
            prims.append(self.limb(sh, sh + (el - sh) * t, ru0 * k,
                                   ru1 * k * 1.05, scode, su, tex))
        elif sleeve == 'long':
            prims.append(self.limb(sh, el, ru0 * k, ru1 * k, scode, su, tex))
            prims.append(self.limb(el, wr, ru1 * k, rf1 * k, scode, sf, tex))
        elif sleeve == 'none':
            # sleeveless: the shoulder seam still covers the top of the arm
            prims.append(self.limb(sh, sh + (el - sh) * 0.12, ru0 * 1.1,
                                   ru0 * 1.05, scode, su, tex))
        if a.gloves is not None:
            gcode = L.GLOVE_L if left else L.GLOVE_R
            start = wr + (el - wr) * 0.3
            prims.append(self.limb(start, hd, 0.032 * lm, 0.033 * lm, gcode,
                                   sh_, a.gloves))
        if a.bag is not None and a.bag_style == 'hand' and \
                a.extras.get('bag_side', 'r') == s:
            w, h = 0.07 * self.s, 0.09 * self.s
            bag = np.array([[hd[0] - w / 2, hd[1] - 0.01 * self.s],
                            [hd[0] + w / 2, hd[1] - 0.01 * self.s],
                            [hd[0] + w * 0.6, hd[1] + h],
                            [hd[0] - w * 0.6, hd[1] + h]])
            prims.append(_Prim(bag, L.BAG, L.SEG_ACCESSORY, a.bag, 0.95))
        return prims

    def bag(self):
        a, sk = self.app, self.sk
        sw = sk.shape.shoulder
        if a.bag_style == 'backpack':
            if self.front:
                straps = []
                for sg in (1, -1):
                    p1 = self.body_poly([(sg * (sw - 0.035), 0.172)])[0]
                    p2 = self.body_poly([(sg * (sw - 0.025), 0.33)])[0]
                    straps.append(self.limb(p1, p2, 0.009, 0.009, L.BACKPACK,
                                            L.SEG_ACCESSORY, a.bag))
                return 0.03, straps
            poly = self.body_poly([(0.075, 0.2), (0.082, 0.43), (-0.082, 0.43),
                                   (-0.075, 0.2)])
            return 0.06, [_Prim(poly, L.BACKPACK, L.SEG_ACCESSORY, a.bag,
                                0.95)]
        if a.bag_style == 'shoulder':
            sg = 1 if a.extras.get('bag_side', 'r') == 'l' else -1
            p1 = self.body_poly([(-sg * (sw - 0.03), 0.175)])[0]
            p2 = self.body_poly([(sg * (sk.shape.hip + 0.01), 0.47)])[0]
            strap = self.limb(p1, p2, 0.007, 0.007, L.BAG, L.SEG_ACCESSORY,
                              a.bag)
            box = self.body_poly([(sg * (sk.shape.hip - 0.02), 0.45),
                                  (sg * (sk.shape.hip + 0.07), 0.45),
                                  (sg * (sk.shape.hip + 0.07), 0.55),
                                  (sg * (sk.shape.hip - 0.02), 0.55)], False)
            return 0.06, [strap, _Prim(box, L.BAG, L.SEG_ACCESSORY, a.bag,
                                       0.95)]
        return -5.0, []  # hand bags are drawn with the arm


def draw_person(canvas, shape, pose, app, scale, origin, human, rng,
                light=0.0):
    """Draw one person into a canvas.

    Args:
        canvas (Canvas): Target, painted in place.
        shape (BodyShape): Proportions.
        pose (Pose): Pose.
        app (Appearance): Outfit.
        scale (float): Person height in pixels.
        origin (tuple[float, float]): Pixel position of the top-centre of the
            head in the body frame (before projection).
        human (int): Person index written into ``canvas.human`` (1..255).
        rng (np.random.Generator): Random generator (noise textures).
        light (float): Left-right lighting slope.

    Returns:
        dict: ``box`` (x0, y0, x1, y1), the unclipped extent of everything
        drawn, in pixels; ``skeleton`` (:class:`Skeleton`).
    """
    sk = Skeleton(shape, pose)
    drawer = PersonDrawer(sk, app, scale, origin, light)
    groups = drawer.build()
    lo = np.array([np.inf, np.inf])
    hi = -lo
    for _, _, prims in groups:
        for p in prims:
            if p.code is not None and p.code not in (L.BAG, L.BACKPACK):
                lo = np.minimum(lo, p.pts.min(0))
                hi = np.maximum(hi, p.pts.max(0))
            canvas.paint(p.pts, p.code, p.seg, human, p.tex, scale, rng,
                         p.shade, p.only)
    return dict(box=(lo[0], lo[1], hi[0], hi[1]), skeleton=sk)


__all__ = ['Canvas', 'capsule', 'draw_person', 'PersonDrawer']
