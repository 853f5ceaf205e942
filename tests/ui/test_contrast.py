"""Contrast of the theme's colours, computed as WCAG 2.2 defines it, in both themes.

Text needs 4.5:1 against what it is drawn on (1.4.3), the outline of a control or of a
drawing 3:1 against its neighbour (1.4.11). The ratios are computed from the colours the real
Theme.qml gives (instantiated by the QML engine in each mode), and a second test makes sure
no screen paints a colour of its own outside the theme, so these pairs are the ones shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor
from PySide6.QtQml import QQmlComponent, QQmlEngine

pytestmark = pytest.mark.ui

QML = Path(__file__).resolve().parents[2] / "kiosk" / "ui" / "qml"
TEXT = 4.5
OUTLINE = 3.0

# (foreground, background, minimum): what is drawn on what, as the screens use the theme.
PAIRS = [
    ("foreground", "background", TEXT),  # body text
    ("muted", "background", TEXT),  # secondary text, captions, reason codes
    ("danger", "background", TEXT),  # error texts
    ("accent", "background", TEXT),  # the result title of a pass
    ("bannerText", "banner", TEXT),  # the banner's title
    ("accentText", "accent", TEXT),  # a primary button's label
    ("foreground", "secondary", TEXT),  # a secondary button's label
    ("disabledText", "disabled", TEXT),  # a button that waits (Start while getting ready)
    ("overlayText", "overlay", TEXT),  # the "still there?" panel
    ("outline", "background", OUTLINE),  # a secondary button's edge
    ("outline", "secondary", OUTLINE),
    ("accent", "secondary", OUTLINE),  # a selected toggle's edge, the active field
    ("disabledOutline", "background", OUTLINE),
    ("secondary|outline", "banner", OUTLINE),  # a setting's button: its fill or its edge
    ("drawing", "background", OUTLINE),  # the card and reader drawings' lines
    ("drawing", "secondary", OUTLINE),
    ("overlayOutline", "background", OUTLINE),  # the panel's edge against the screen
]


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_wcag_formula_gives_the_known_ratios():
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast(QColor("#9fb2c8"), QColor("#ffffff")) == pytest.approx(2.1, abs=0.1)


@pytest.fixture(params=[False, True], ids=["plain", "high_contrast"])
def theme(qapp, request):
    engine = QQmlEngine()
    component = QQmlComponent(engine, QUrl.fromLocalFile(str(QML / "Theme.qml")))
    theme = component.createWithInitialProperties({"highContrast": request.param})
    assert theme is not None, component.errorString()
    yield theme
    engine.deleteLater()


@pytest.mark.parametrize(
    ("front", "back", "minimum"), PAIRS, ids=[f"{a}-on-{b}" for a, b, _ in PAIRS]
)
def test_theme_colours_meet_wcag(theme, front, back, minimum):
    # "a|b": the boundary is seen by either colour (a white button's fill, or its edge).
    ratios = []
    for name in front.split("|"):
        a, b = theme.property(name), theme.property(back)
        assert isinstance(a, QColor) and isinstance(b, QColor), f"Theme.qml has no {name}/{back}"
        assert a.alpha() == 255 and b.alpha() == 255, "opaque colours only: no blending to guess"
        ratios.append((contrast(a, b), a))
    ratio, a = max(ratios, key=lambda r: r[0])
    assert ratio >= minimum, f"{front} {a.name()} on {back} {b.name()}: {ratio:.2f}:1 < {minimum}:1"


def test_no_screen_paints_a_colour_outside_the_theme():
    literal = re.compile(r"""["']#[0-9a-fA-F]{6,8}["']""")
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(QML.glob("*.qml"))
        if path.name != "Theme.qml"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert not offenders, "colours outside Theme.qml:\n" + "\n".join(offenders)


def test_buttons_take_their_disabled_look_from_the_theme_not_from_opacity():
    # A faded button blends its colours with whatever lies below: its contrast is then no
    # longer the theme's. Disabled buttons use the theme's disabled colours instead.
    source = (QML / "KioskButton.qml").read_text(encoding="utf-8")
    assert "opacity" not in source
