// Staff / technician service mode, over the welcome screen: first the PIN, then the device
// states, the outbox and the recent reason codes (docs/operations.md explains each). Opened
// by holding the top-left corner of the welcome screen for 3 seconds.
import QtQuick
import QtQuick.Layouts

Rectangle {
    id: screen
    objectName: "serviceScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    color: theme.background
    MouseArea { anchors.fill: parent }  // nothing below is touchable meanwhile

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        controller: screen.controller
        settingsShown: false  // the technician's screen: no patient settings here
        title: qsTr("Service mode")
    }

    // -- the PIN ---------------------------------------------------------------------------
    Item {
        anchors { top: banner.bottom; left: parent.left; right: parent.right; bottom: parent.bottom }
        visible: screen.controller.service === "pin"
        Column {
            anchors { left: parent.left; top: parent.top; margins: screen.theme.margin }
            width: parent.width * 0.45
            spacing: screen.theme.margin
            Text {
                width: parent.width
                wrapMode: Text.WordWrap
                text: qsTr("Staff and technicians: enter the service PIN.")
                color: screen.theme.foreground
                font.pixelSize: screen.theme.bodySize
            }
            Text {
                objectName: "servicePinError"
                width: parent.width
                visible: screen.controller.serviceError === "UI_PIN_WRONG"
                wrapMode: Text.WordWrap
                text: qsTr("Wrong PIN. Attempts left: %1").arg(screen.controller.serviceAttemptsLeft)
                color: screen.theme.danger
                font.pixelSize: screen.theme.bodySize
            }
        }
        PinPad {
            anchors { verticalCenter: parent.verticalCenter; right: parent.right
                      margins: screen.theme.margin }
            theme: screen.theme
            onEntered: (pin) => screen.controller.servicePin(pin)
        }
    }

    // -- the health view -------------------------------------------------------------------
    RowLayout {
        id: health
        readonly property real column: (width - 2 * spacing) / 3
        anchors { top: banner.bottom; left: parent.left; right: parent.right
                  bottom: exitButton.top; margins: screen.theme.margin }
        visible: screen.controller.service === "open"
        spacing: screen.theme.margin
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Devices"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.theme.bodySize }
            Repeater {
                model: screen.controller.serviceDevices
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "serviceDevice_" + modelData.name
                    text: qsTr("%1: %2").arg(screen.texts.device(modelData.name))
                                         .arg(screen.texts.deviceState(modelData.state))
                          + (modelData.reason !== "" ? "\n" + modelData.reason : "")
                    color: modelData.state === "unavailable" ? screen.theme.danger : screen.theme.foreground
                    font.pixelSize: screen.theme.bodySize * 0.7
                }
            }
        }
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Results to sync"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.theme.bodySize }
            Repeater {
                model: screen.controller.serviceOutbox
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "serviceOutbox_" + modelData.state
                    text: qsTr("%1: %2").arg(screen.texts.outboxState(modelData.state)).arg(modelData.count)
                    color: screen.theme.foreground
                    font.pixelSize: screen.theme.bodySize * 0.7
                }
            }
            Text {
                objectName: "serviceOldest"
                text: qsTr("Oldest unsent: %1 s").arg(screen.controller.serviceOldestUnsent)
                color: screen.theme.muted
                font.pixelSize: screen.theme.bodySize * 0.7
            }
        }
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Recent errors"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.theme.bodySize }
            Text {
                visible: screen.controller.recentErrors.length === 0
                text: qsTr("None")
                color: screen.theme.muted
                font.pixelSize: screen.theme.bodySize * 0.7
            }
            Repeater {
                model: screen.controller.recentErrors
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "recentError_" + modelData.reason
                    text: modelData.time + "\n" + modelData.reason
                    color: modelData.level === "ERROR" ? screen.theme.danger : screen.theme.foreground
                    font.pixelSize: screen.theme.bodySize * 0.7
                    font.family: "monospace"
                }
            }
        }
    }
    KioskButton {
        id: exitButton
        objectName: "serviceExit"
        anchors { left: parent.left; bottom: parent.bottom; margins: screen.theme.margin }
        theme: screen.theme
        text: screen.controller.service === "open" ? qsTr("Back to kiosk mode") : qsTr("Cancel")
        onClicked: screen.controller.closeService()
    }
    KioskButton {
        objectName: "serviceRefresh"
        visible: screen.controller.service === "open"
        anchors { right: parent.right; bottom: parent.bottom; margins: screen.theme.margin }
        theme: screen.theme
        text: qsTr("Refresh")
        onClicked: screen.controller.refreshService()
    }
}
