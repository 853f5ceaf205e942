// The verdict is being signed and stored: a moment, never long.
import QtQuick

Item {
    id: screen
    objectName: "savingScreen"
    required property QtObject controller
    required property QtObject theme

    Banner {
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: screen.controller.flow === "pension_survival" ? qsTr("Proof of life")
                                                               : qsTr("Identity verification")
    }
    Text {
        anchors.centerIn: parent
        text: qsTr("One moment, please")
        color: screen.theme.foreground
        font.pixelSize: screen.theme.titleSize
    }
}
