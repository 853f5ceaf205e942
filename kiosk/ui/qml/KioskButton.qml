// A touch button: never smaller than the theme's touch target, high-contrast aware.
import QtQuick
import QtQuick.Controls

Button {
    id: control
    required property QtObject theme
    property bool primary: false
    property bool selected: false

    implicitHeight: Math.max(theme.touchTarget, contentItem.implicitHeight + 2 * theme.mm * 3)
    implicitWidth: Math.max(theme.touchTarget * 3, contentItem.implicitWidth + 2 * theme.margin)
    font.pixelSize: theme.bodySize

    contentItem: Text {
        text: control.text
        font: control.font
        color: control.primary ? control.theme.accentText : control.theme.foreground
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        radius: control.theme.mm * 2
        color: control.primary ? control.theme.accent : control.theme.secondary
        border.width: control.selected ? control.theme.mm : Math.max(2, control.theme.mm / 3)
        border.color: control.selected ? control.theme.accent : control.theme.secondaryBorder
        opacity: !control.enabled ? 0.4 : control.down ? 0.75 : 1.0
    }
}
