// Where to put the document: a drawing of the kiosk's front with the reader where the
// config says it is (`readers.<kind>.placement`), the document lying on it, and a caption.
// Drawn in theme colours, so it shows in high contrast too; it scales to the space it gets.
import QtQuick

Item {
    id: hint
    required property QtObject theme
    property string label
    property string placement: "below_centre"
    property real cardWidth: 85.6   // the document's real size, mm (ID-1 here)
    property real cardHeight: 54.0

    implicitWidth: theme.mm * 60
    implicitHeight: theme.mm * 60
    readonly property bool side: placement === "left" || placement === "right"
    readonly property real line: Math.max(2, theme.mm / 2)

    Item {
        id: picture
        objectName: "readerPicture"
        anchors { top: parent.top; horizontalCenter: parent.horizontalCenter }
        height: Math.max(0, hint.height - caption.height - hint.theme.gap)
        width: Math.min(hint.width, height * 1.1)

        Rectangle {  // the kiosk's body
            id: body
            width: picture.width * 0.6
            height: picture.height
            x: hint.placement === "left" ? picture.width - width
               : hint.placement === "right" ? 0 : (picture.width - width) / 2
            radius: hint.theme.mm * 2
            color: hint.theme.drawingFill
            border.color: hint.theme.drawing
            border.width: hint.line
            Rectangle {  // its screen
                x: parent.width * 0.1; y: parent.height * 0.06
                width: parent.width * 0.8; height: parent.height * 0.42
                radius: hint.theme.mm
                color: hint.theme.drawingFill
                border.color: hint.theme.drawing
                border.width: hint.line
            }
            Rectangle {  // the shelf under the screen
                id: shelf
                x: parent.width * 0.06; y: parent.height * 0.62
                width: parent.width * 0.88; height: parent.height * 0.08
                color: hint.theme.drawingFill
                border.color: hint.theme.drawing
                border.width: hint.line
            }
        }
        Rectangle {  // the reader, highlighted where it is
            id: reader
            objectName: "readerPad"
            readonly property real shelfX: body.x + shelf.x
            width: hint.side ? picture.width * 0.36 : shelf.width * 0.45
            height: hint.side ? picture.height * 0.2 : shelf.height * 1.6
            x: hint.placement === "left" ? body.x - width * 0.85
               : hint.placement === "right" ? body.x + body.width - width * 0.15
               : hint.placement === "below_left" ? shelfX
               : hint.placement === "below_right" ? shelfX + shelf.width - width
               : shelfX + (shelf.width - width) / 2
            y: hint.side ? picture.height * 0.55 : body.y + shelf.y - height * 0.3
            radius: hint.theme.mm
            color: hint.theme.drawingDetail
            border.color: hint.theme.drawing
            border.width: hint.line
        }
        Rectangle {  // the document, lying on the reader
            objectName: "documentOnReader"
            width: reader.width * 0.8
            height: width * hint.cardHeight / hint.cardWidth
            x: reader.x + (reader.width - width) / 2
            y: reader.y - height * 0.6
            radius: hint.theme.mm
            color: hint.theme.drawingFill
            border.color: hint.theme.drawing
            border.width: hint.line
            Rectangle {  // the portrait
                x: parent.width * 0.08; y: parent.height * 0.18
                width: parent.width * 0.26; height: parent.height * 0.62
                radius: hint.theme.mm / 2
                color: hint.theme.drawingDetail
            }
        }
    }
    Text {
        id: caption
        anchors { bottom: parent.bottom; left: parent.left; right: parent.right }
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
        text: hint.label
        color: hint.theme.foreground
        font.pixelSize: hint.theme.smallSize
    }
}
