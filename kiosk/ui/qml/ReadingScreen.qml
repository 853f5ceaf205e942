// Reading the document: a progress bar; the person must leave the card in place.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Item {
    id: screen
    objectName: "readingScreen"
    required property QtObject controller
    required property QtObject theme
    readonly property string title: qsTr("Reading your document")

    ColumnLayout {
        anchors { left: parent.left; right: parent.right; top: parent.top; bottom: backButton.top
                  margins: screen.theme.margin }
        spacing: screen.theme.margin
        Item { Layout.fillHeight: true }
        ProgressBar {
            objectName: "readProgress"
            Layout.fillWidth: true
            Layout.preferredHeight: screen.theme.mm * 6
            from: 0; to: 1
            value: screen.controller.progress
            background: Rectangle {
                color: screen.theme.secondary
                border.color: screen.theme.outline
                border.width: Math.max(2, screen.theme.mm / 3)
                radius: screen.theme.mm
            }
            contentItem: Item {
                Rectangle {
                    width: parent.width * screen.controller.progress
                    height: parent.height
                    radius: screen.theme.mm
                    color: screen.theme.accent
                }
            }
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: qsTr("Leave it on the reader until this is done.")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Item { Layout.fillHeight: true }
    }
    KioskButton {
        id: backButton
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.gap
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
}
