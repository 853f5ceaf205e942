// A drawing of a document at a fixed fraction of its real size, with a caption.
import QtQuick
import QtQuick.Layouts

ColumnLayout {
    id: hint
    required property QtObject theme
    property string label
    property real cardWidth
    property real cardHeight
    spacing: theme.mm * 4

    Rectangle {
        Layout.alignment: Qt.AlignHCenter
        width: hint.cardWidth * hint.theme.mm * 0.9
        height: hint.cardHeight * hint.theme.mm * 0.9
        radius: hint.theme.mm * 3
        color: hint.theme.secondary
        border.color: hint.theme.banner
        border.width: Math.max(2, hint.theme.mm / 2)
        Rectangle {   // the portrait area
            x: parent.width * 0.08; y: parent.height * 0.2
            width: parent.width * 0.25; height: parent.height * 0.6
            radius: hint.theme.mm
            color: hint.theme.secondaryBorder
        }
    }
    Text {
        Layout.alignment: Qt.AlignHCenter
        Layout.maximumWidth: hint.cardWidth * hint.theme.mm * 1.1
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
        text: hint.label
        color: hint.theme.muted
        font.pixelSize: hint.theme.bodySize * 0.8
    }
}
