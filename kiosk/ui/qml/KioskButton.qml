// A touch button: never smaller than the theme's touch target, high-contrast aware. Every
// colour comes from the theme; a disabled button has its own colours rather than a faded
// look, so its contrast is the theme's (tests/ui/test_contrast.py).
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
        wrapMode: Text.WordWrap
        color: !control.enabled ? control.theme.disabledText
               : control.primary ? control.theme.accentText : control.theme.foreground
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }
    background: Rectangle {
        radius: control.theme.mm * 2
        color: !control.enabled ? control.theme.disabled
               : control.primary ? control.theme.accent : control.theme.secondary
        border.width: control.selected || control.down ? control.theme.mm
                                                        : Math.max(2, control.theme.mm / 3)
        border.color: !control.enabled ? control.theme.disabledOutline
                      : control.selected ? (control.primary ? control.theme.foreground
                                                            : control.theme.accent)
                      : control.primary ? control.theme.accent : control.theme.outline
    }
}
