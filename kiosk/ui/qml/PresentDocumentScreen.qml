// Second screen: asks for the document. Back returns to welcome.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "presentDocumentScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts

    Banner {
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: screen.controller.flow === "pension_survival" ? qsTr("Proof of life")
                                                               : qsTr("Identity verification")
    }

    ColumnLayout {
        anchors.centerIn: parent
        spacing: screen.theme.margin

        Text {
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("Present your document")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            objectName: "documentError"
            Layout.alignment: Qt.AlignHCenter
            Layout.maximumWidth: screen.width * 0.8
            visible: screen.controller.error !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.texts.error(screen.controller.error)
            color: "#b3261e"
            font.pixelSize: screen.theme.bodySize
        }
        Text {  // the code itself, small, for the staff and the technician guide
            objectName: "documentErrorCode"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.controller.error !== ""
            text: screen.controller.error
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize * 0.6
            font.family: "monospace"
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: screen.theme.margin * 2
            DocumentHint {
                theme: screen.theme
                label: qsTr("ID card: place it on the reader")
                cardWidth: 85.6; cardHeight: 54.0   // ID-1 size, mm
            }
            DocumentHint {
                visible: screen.controller.flow !== "pension_survival"  // resident ID cards only
                theme: screen.theme
                label: qsTr("Passport: open it at the photo page and lay it on the reader")
                cardWidth: 125; cardHeight: 88     // ID-3 size, mm
            }
        }
    }

    KioskButton {
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Back")
        onClicked: screen.controller.back()
    }
}
