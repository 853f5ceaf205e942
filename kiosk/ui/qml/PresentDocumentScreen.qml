// Second screen: asks for the document, with a drawing of where each configured reader is.
// Back returns to welcome.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "presentDocumentScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property string title: qsTr("Present your document")
    // The pension service takes resident ID cards only: no passport reader is shown there.
    readonly property var readers: controller.readers.filter(
        r => r.kind === "sam" || controller.flow !== "pension_survival")

    ColumnLayout {
        anchors { left: parent.left; right: parent.right; top: parent.top; bottom: backButton.top
                  leftMargin: screen.theme.margin; rightMargin: screen.theme.margin
                  topMargin: screen.theme.gap; bottomMargin: screen.theme.gap }
        spacing: screen.theme.gap

        Text {
            objectName: "documentError"
            Layout.fillWidth: true
            visible: screen.controller.error !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.texts.error(screen.controller.error)
            color: screen.theme.danger
            font.pixelSize: screen.theme.bodySize
        }
        Text {  // the code itself, small, for the staff and the technician guide
            objectName: "documentErrorCode"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.controller.error !== ""
            text: screen.controller.error
            color: screen.theme.muted
            font.pixelSize: screen.theme.smallSize
            font.family: "monospace"
        }
        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: screen.theme.margin * 2
            Repeater {
                model: screen.readers
                DocumentHint {
                    required property var modelData
                    objectName: "readerHint_" + modelData.kind
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    theme: screen.theme
                    placement: modelData.placement
                    label: modelData.kind === "sam"
                           ? qsTr("ID card: place it on the reader")
                           : qsTr("Passport: open it at the photo page and lay it on the reader")
                    cardWidth: modelData.kind === "sam" ? 85.6 : 125   // ID-1 / ID-3, mm
                    cardHeight: modelData.kind === "sam" ? 54.0 : 88
                }
            }
        }
    }

    KioskButton {
        id: backButton
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.gap
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Back")
        onClicked: screen.controller.back()
    }
}
