// Sizes and colours in one place. Touch targets are at least 15 mm on the real screen.
// Every colour a screen paints comes from here (tests/ui/test_contrast.py checks it), and
// every pair drawn on each other meets WCAG 2.2 in both themes: text 4.5:1 (1.4.3), the
// edges of controls and drawings 3:1 (1.4.11). Opaque colours only, so no blending
// changes a ratio.
import QtQuick
import QtQuick.Window

QtObject {
    property bool largeText: false
    property bool highContrast: false

    readonly property real mm: Math.max(Screen.pixelDensity, 3.78)  // px per mm, >= 96 dpi
    readonly property int touchTarget: Math.round(15 * mm)
    readonly property int margin: Math.round(8 * mm)
    readonly property int gap: Math.round(3 * mm)
    readonly property real textScale: largeText ? 1.4 : 1.0
    readonly property int bodySize: Math.round(9 * mm * textScale)
    readonly property int titleSize: Math.round(12 * mm * textScale)
    readonly property int smallSize: Math.round(6 * mm * textScale)  // codes, captions
    readonly property int settingSize: Math.round(5.5 * mm * textScale)  // the banner's buttons

    readonly property color background: highContrast ? "#000000" : "#f4f7fb"
    readonly property color foreground: highContrast ? "#ffffff" : "#1b2a3a"
    readonly property color muted: highContrast ? "#ffffff" : "#4a5a6e"
    readonly property color danger: highContrast ? "#ff9e9e" : "#a3221b"
    readonly property color banner: highContrast ? "#000000" : "#0b4f8a"
    readonly property color bannerText: "#ffffff"
    readonly property color bannerRule: highContrast ? "#ffffff" : "#0b4f8a"
    readonly property color accent: highContrast ? "#ffd400" : "#0b6e44"
    readonly property color accentText: highContrast ? "#000000" : "#ffffff"
    readonly property color secondary: highContrast ? "#000000" : "#ffffff"
    readonly property color outline: highContrast ? "#ffffff" : "#5d6f85"
    readonly property color secondaryBorder: outline
    readonly property color disabled: highContrast ? "#000000" : "#dde3ea"
    readonly property color disabledText: highContrast ? "#c8c8c8" : "#3f4c5c"
    readonly property color disabledOutline: highContrast ? "#9a9a9a" : "#6b7b8f"
    readonly property color drawing: highContrast ? "#ffffff" : "#0b4f8a"
    readonly property color drawingFill: highContrast ? "#000000" : "#ffffff"
    readonly property color drawingDetail: highContrast ? "#ffd400" : "#8da3bb"
    readonly property color overlay: highContrast ? "#000000" : "#1b2a3a"
    readonly property color overlayText: "#ffffff"
    readonly property color overlayOutline: highContrast ? "#ffd400" : "#1b2a3a"
    readonly property color warning: highContrast ? "#ffd400" : "#a35200"
}
