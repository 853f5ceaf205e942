// Sizes and colours in one place. Touch targets are at least 15 mm on the real screen.
import QtQuick
import QtQuick.Window

QtObject {
    property bool largeText: false
    property bool highContrast: false

    readonly property real mm: Math.max(Screen.pixelDensity, 3.78)  // px per mm, >= 96 dpi
    readonly property int touchTarget: Math.round(15 * mm)
    readonly property int margin: Math.round(8 * mm)
    readonly property real textScale: largeText ? 1.4 : 1.0
    readonly property int bodySize: Math.round(9 * mm * textScale)
    readonly property int titleSize: Math.round(14 * mm * textScale)

    readonly property color background: highContrast ? "#000000" : "#f4f7fb"
    readonly property color foreground: highContrast ? "#ffffff" : "#1b2a3a"
    readonly property color muted: highContrast ? "#ffffff" : "#55657a"
    readonly property color banner: highContrast ? "#000000" : "#0b4f8a"
    readonly property color bannerText: "#ffffff"
    readonly property color accent: highContrast ? "#ffd400" : "#0b7a4b"
    readonly property color accentText: highContrast ? "#000000" : "#ffffff"
    readonly property color secondary: highContrast ? "#000000" : "#ffffff"
    readonly property color secondaryBorder: highContrast ? "#ffffff" : "#9fb2c8"
}
