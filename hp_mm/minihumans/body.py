"""Articulated body model of MiniHumans: shape, pose sampling and projection.

Coordinates are in *body units*: the standing person is 1 unit tall, from the
top of the head (y = 0) to the soles (y ~ 1). The body frame is right-handed
with x towards the person's LEFT, y down and z forwards (the way the person
faces). A person facing the camera (``yaw = 0``) is seen with their left side
on the image right; ``yaw = 180`` is a back view (their left on the image
left). Projection is orthographic:

    X = x cos(yaw) + z sin(yaw),   D = -x sin(yaw) + z cos(yaw),   Y = y

where ``D`` grows towards the camera and is used for the drawing order.
"""
from dataclasses import dataclass, field

import numpy as np

SIDES = ('l', 'r')
SIDE_SIGN = {'l': 1.0, 'r': -1.0}

# Segment lengths and radii (body units) of a nominal person.
UPPER_ARM_LEN = 0.17
FOREARM_LEN = 0.15
HAND_LEN = 0.075
THIGH_LEN = 0.245
SHIN_LEN = 0.235
SHOULDER_Y = 0.185
HIP_Y = 0.505
HEAD_RX = 0.056
HEAD_RY = 0.069


@dataclass
class BodyShape:
    """Per-person body proportions.

    Args:
        shoulder (float): Half shoulder width.
        waist (float): Half waist width.
        hip (float): Half hip width.
        limb (float): Limb-thickness multiplier.
        head (float): Head-size multiplier.
        leg (float): Leg-length multiplier.
    """
    shoulder: float = 0.105
    waist: float = 0.075
    hip: float = 0.088
    limb: float = 1.0
    head: float = 1.0
    leg: float = 1.0


@dataclass
class Pose:
    """A body pose.

    Limb directions are two angles in degrees: ``a`` in the frontal plane
    (0 = hanging down, positive = away from the body's midline, 180 = up) and
    ``f`` in the sagittal plane (positive = forwards).

    Args:
        yaw (float): Facing angle in degrees (0 front view, 180 back view).
        lean (float): Lateral lean of the upper body in degrees.
        tilt (float): In-plane rotation of the whole body in degrees.
        arms (dict): ``{'l'|'r': (a_upper, f_upper, a_fore, f_fore)}``.
        legs (dict): ``{'l'|'r': (a_thigh, f_thigh, a_shin, f_shin)}``.
        kind (str): Pose family, for the record.
    """
    yaw: float = 0.0
    lean: float = 0.0
    tilt: float = 0.0
    arms: dict = field(default_factory=dict)
    legs: dict = field(default_factory=dict)
    kind: str = 'stand'

    @property
    def back_view(self):
        """bool: Whether the person shows their back to the camera."""
        return bool(np.cos(np.deg2rad(self.yaw)) < 0)


def sample_shape(rng):
    """Sample body proportions.

    Args:
        rng (np.random.Generator): Random generator.

    Returns:
        BodyShape: The proportions.
    """
    build = rng.uniform(0.9, 1.15)
    return BodyShape(
        shoulder=0.105 * build * rng.uniform(0.95, 1.05),
        waist=0.072 * build * rng.uniform(0.9, 1.1),
        hip=0.088 * rng.uniform(0.92, 1.12),
        limb=build * rng.uniform(0.95, 1.12),
        head=rng.uniform(0.95, 1.1),
        leg=rng.uniform(0.95, 1.05))


def sample_yaw(rng, view=None, back_prob=0.35, max_yaw=40.0):
    """Sample a facing angle.

    Args:
        rng (np.random.Generator): Random generator.
        view (str | None): Force ``'front'`` or ``'back'``.
        back_prob (float): Probability of a back view when ``view`` is None.
        max_yaw (float): Largest turn away from a pure front/back view.

    Returns:
        float: Yaw in degrees.
    """
    if view is None:
        view = 'back' if rng.random() < back_prob else 'front'
    turn = float(np.clip(rng.normal(0, max_yaw / 2.2), -max_yaw, max_yaw))
    return turn + (180.0 if view == 'back' else 0.0)


def sample_pose(rng, view=None, kind=None, back_prob=0.35, max_yaw=40.0,
                kind_probs=None):
    """Sample a pose (standing, walking, arms raised or hands posed).

    Args:
        rng (np.random.Generator): Random generator.
        view (str | None): Force ``'front'`` or ``'back'``.
        kind (str | None): Force a pose family: ``'stand'``, ``'walk'``,
            ``'raise'`` or ``'hands'``.
        back_prob (float): Probability of a back view.
        max_yaw (float): Largest turn away from a pure front/back view.
        kind_probs (dict | None): Probabilities of the pose families.

    Returns:
        Pose: The pose.
    """
    yaw = sample_yaw(rng, view, back_prob, max_yaw)
    if kind is None:
        probs = kind_probs or {'stand': 0.42, 'walk': 0.3, 'raise': 0.15,
                               'hands': 0.13}
        kinds = list(probs)
        p = np.array([probs[k] for k in kinds], float)
        kind = kinds[rng.choice(len(kinds), p=p / p.sum())]
    u = rng.uniform
    arms, legs = {}, {}
    for s in SIDES:
        a = u(4, 20)
        f = u(-5, 10)
        arms[s] = (a, f, a + u(-8, 12), f + u(0, 20))
        at = u(1, 9)
        legs[s] = (at, u(-4, 4), at - u(0, 4), u(-6, 2))
    if kind == 'walk':
        swing = u(12, 32)
        lead = SIDES[int(rng.integers(2))]
        for s in SIDES:
            sgn = 1.0 if s == lead else -1.0
            a = u(3, 12)
            arms[s] = (a, -sgn * swing * 0.8, a + u(-5, 5),
                       -sgn * swing * 0.8 + u(5, 30))
            at = u(0, 6)
            f_th = sgn * swing
            knee = u(5, 35) if sgn < 0 else u(0, 10)
            legs[s] = (at, f_th, at - u(0, 3), f_th - knee)
    elif kind == 'raise':
        which = SIDES if rng.random() < 0.5 else (SIDES[int(rng.integers(2))], )
        for s in which:
            a = u(70, 170)
            arms[s] = (a, u(-10, 20), a + u(-35, 35), u(-10, 25))
    elif kind == 'hands':
        for s in SIDES:
            style = ('hip', 'belly', 'face', 'down')[int(rng.integers(4))]
            if style == 'hip':
                a = u(35, 55)
                arms[s] = (a, u(-10, 5), -u(25, 55), u(-15, 0))
            elif style == 'belly':
                a = u(5, 15)
                arms[s] = (a, u(5, 20), -u(60, 85), u(35, 60))
            elif style == 'face':
                a = u(10, 25)
                arms[s] = (a, u(10, 30), u(140, 170), u(15, 40))
        if rng.random() < 0.4:  # wide stance
            for s in SIDES:
                at = u(10, 20)
                legs[s] = (at, u(-3, 3), at - u(2, 8), u(-3, 0))
    return Pose(yaw=yaw, lean=u(-8, 8), tilt=u(-4, 4), arms=arms, legs=legs,
                kind=kind)


def limb_dir(a, f, side):
    """Unit direction of a limb segment in the body frame.

    Args:
        a (float): Frontal-plane angle in degrees (0 down, + away from midline).
        f (float): Sagittal angle in degrees (+ forwards).
        side (str): ``'l'`` or ``'r'``.

    Returns:
        np.ndarray: Direction, shape (3, ).
    """
    a, f = np.deg2rad(a), np.deg2rad(f)
    return np.array([SIDE_SIGN[side] * np.sin(a) * np.cos(f),
                     np.cos(a) * np.cos(f), np.sin(f)])


class Skeleton:
    """Joints of a posed body, in body units, plus the projection.

    Attributes:
        joints (dict): Name -> body-frame point, shape (3, ).
        shape (BodyShape): Proportions.
        pose (Pose): Pose.
    """

    def __init__(self, shape, pose):
        self.shape = shape
        self.pose = pose
        self._cy = np.cos(np.deg2rad(pose.yaw))
        self._sy = np.sin(np.deg2rad(pose.yaw))
        lean = np.deg2rad(pose.lean)
        self._cl, self._sl = np.cos(lean), np.sin(lean)
        tilt = np.deg2rad(pose.tilt)
        self._ct, self._st = np.cos(tilt), np.sin(tilt)
        j = {}
        j['head'] = self.upper(np.array([0.0, HEAD_RY * shape.head, 0.0]))
        j['neck_top'] = self.upper(np.array([0.0, 0.12, 0.0]))
        j['neck_base'] = self.upper(np.array([0.0, 0.17, 0.0]))
        j['pelvis'] = np.array([0.0, HIP_Y, 0.0])
        for s in SIDES:
            sg = SIDE_SIGN[s]
            sh = self.upper(np.array([sg * shape.shoulder, SHOULDER_Y, 0.0]))
            au, fu, al, fl = pose.arms[s]
            el = sh + UPPER_ARM_LEN * limb_dir(au, fu, s)
            wr = el + FOREARM_LEN * limb_dir(al, fl, s)
            j['shoulder_' + s] = sh
            j['elbow_' + s] = el
            j['wrist_' + s] = wr
            j['hand_' + s] = wr + HAND_LEN * limb_dir(al, fl, s)
            hip = np.array([sg * shape.hip * 0.6, HIP_Y, 0.0])
            at, ft, as_, fs = pose.legs[s]
            kn = hip + THIGH_LEN * shape.leg * limb_dir(at, ft, s)
            an = kn + SHIN_LEN * shape.leg * limb_dir(as_, fs, s)
            j['hip_' + s] = hip
            j['knee_' + s] = kn
            j['ankle_' + s] = an
            j['toe_' + s] = an + np.array([sg * 0.018, 0.028, 0.07])
            j['heel_' + s] = an + np.array([0.0, 0.03, -0.015])
        self.joints = j

    def upper(self, p):
        """Apply the upper-body lean (about the pelvis) to a body point.

        Args:
            p (np.ndarray): Body-frame point(s), shape (..., 3).

        Returns:
            np.ndarray: Leaned point(s), shape (..., 3).
        """
        p = np.asarray(p, float)
        x, y = p[..., 0], p[..., 1] - HIP_Y
        out = p.copy()
        out[..., 0] = self._cl * x - self._sl * y
        out[..., 1] = self._sl * x + self._cl * y + HIP_Y
        return out

    def project(self, p):
        """Project body-frame point(s) to the image plane.

        Args:
            p (np.ndarray): Points, shape (..., 3).

        Returns:
            tuple[np.ndarray, np.ndarray]: Image-plane points (X, Y) in body
            units, shape (..., 2), and depth D towards the camera, shape (...).
        """
        p = np.asarray(p, float)
        x = p[..., 0] * self._cy + p[..., 2] * self._sy
        d = -p[..., 0] * self._sy + p[..., 2] * self._cy
        y = p[..., 1] - 1.0
        xy = np.stack([self._ct * x - self._st * y,
                       self._st * x + self._ct * y + 1.0], -1)
        return xy, d

    def xy(self, name):
        """Projected image-plane point of a joint, shape (2, )."""
        return self.project(self.joints[name])[0]

    def depth(self, *names):
        """Mean depth (towards the camera) of some joints."""
        return float(np.mean([self.project(self.joints[n])[1] for n in names]))

    @property
    def facing(self):
        """float: sin(yaw), > 0 when the face turns towards the image right."""
        return float(self._sy)

    @property
    def frontness(self):
        """float: cos(yaw), 1 for a front view, -1 for a back view."""
        return float(self._cy)
