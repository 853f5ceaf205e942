// The verdict is being signed and stored: a moment, never long.
import QtQuick

Item {
    id: screen
    objectName: "savingScreen"
    required property QtObject controller
    required property QtObject theme
    readonly property string title: screen.controller.flow === "pension_survival"
                                    ? qsTr("Proof of life") : qsTr("Identity verification")

    Text {
        anchors.centerIn: parent
        width: parent.width - 2 * screen.theme.margin
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
        text: qsTr("One moment, please")
        color: screen.theme.foreground
        font.pixelSize: screen.theme.titleSize
    }
}
