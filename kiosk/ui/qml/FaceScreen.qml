// The live camera with an oval to put the face in, the current challenge in large text and
// a guidance line from the quality gates. The preview is mirrored, like a mirror.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "faceScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property string title: controller.screen === "enrol"
                                    ? qsTr("Enrolment, supervised by staff") : qsTr("Face check")

    Item {
        id: previewArea
        anchors { top: parent.top; bottom: backButton.top; left: parent.left }
        width: parent.width * 0.55
        Image {
            id: preview
            objectName: "cameraPreview"
            anchors.fill: parent
            anchors.margins: screen.theme.margin
            fillMode: Image.PreserveAspectFit
            cache: false
            mirror: true
            source: "image://preview/" + screen.controller.previewVersion
        }
        Rectangle {  // the face guide
            anchors.centerIn: preview
            width: preview.paintedHeight * 0.45
            height: preview.paintedHeight * 0.62
            radius: width / 2
            color: "transparent"
            border.width: screen.theme.mm
            border.color: screen.controller.hint === "" ? screen.theme.accent : screen.theme.warning
        }
    }
    ColumnLayout {
        anchors { top: parent.top; bottom: parent.bottom; left: previewArea.right; right: parent.right
                  margins: screen.theme.margin; bottomMargin: screen.theme.gap }
        spacing: screen.theme.margin
        Text {
            objectName: "challengeText"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: screen.texts.challenge(screen.controller.challenge)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            objectName: "hintText"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: screen.texts.hint(screen.controller.hint)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            visible: screen.controller.remaining > 0
            text: qsTr("%1 s").arg(screen.controller.remaining)
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Item { Layout.fillHeight: true }
    }
    KioskButton {  // under the preview: the column beside it keeps its height for the words
        id: backButton
        objectName: "backButton"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.gap
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Cancel")
        onClicked: screen.controller.back()
    }
}
