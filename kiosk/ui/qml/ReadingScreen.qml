// Reading the document: a progress bar; the person must leave the card in place.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Item {
    id: screen
    objectName: "readingScreen"
    required property QtObject controller
    required property QtObject theme

    Banner {
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: screen.controller.flow === "pension_survival" ? qsTr("Proof of life")
                                                               : qsTr("Identity verification")
    }
    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width * 0.6
        spacing: screen.theme.margin
        Text {
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("Reading your document")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        ProgressBar {
            objectName: "readProgress"
            Layout.fillWidth: true
            Layout.preferredHeight: screen.theme.mm * 6
            from: 0; to: 1
            value: screen.controller.progress
        }
        Text {
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("Leave it on the reader until this is done.")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
    }
    KioskButton {
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
}
