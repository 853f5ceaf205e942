// Staff / technician service mode, over the welcome screen: first the PIN (or, after too many
// wrong ones, how long it stays locked), then the version, site and device id, the device
// states, the outbox, the recent reason codes with their meaning (kiosk/reasons), and the
// tools: the self-test, a test print, the camera's picture. Opened by holding the top-left
// corner of the welcome screen for 3 seconds; closes by itself after 2 minutes untouched.
import QtQuick
import QtQuick.Layouts

Rectangle {
    id: screen
    // The health view is the technician's: it keeps its size when the person before chose
    // larger text (settings reset only at the wipe), so three columns of codes still fit.
    readonly property int healthTextSize: Math.round(theme.bodySize / theme.textScale)
    objectName: "serviceScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    color: theme.background
    MouseArea {  // nothing below is touchable meanwhile; a touch keeps service mode open
        anchors.fill: parent
        onPressed: screen.controller.serviceTouched()
    }

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

    // -- locked: too many wrong PINs ------------------------------------------------------------
    Column {
        objectName: "serviceLocked"
        anchors { top: banner.bottom; left: parent.left; right: parent.right
                  margins: screen.theme.margin }
        visible: screen.controller.service === "locked"
        spacing: screen.theme.margin
        Text {
            width: parent.width
            wrapMode: Text.WordWrap
            text: screen.texts.error("UI_PIN_LOCKED")
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            objectName: "serviceLockedFor"
            width: parent.width
            wrapMode: Text.WordWrap
            text: qsTr("The PIN is taken again in %1 s.").arg(screen.controller.serviceLockedFor)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            width: parent.width
            wrapMode: Text.WordWrap
            text: qsTr("Every lockout is in the audit log (service_mode_locked).")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize * 0.7
        }
    }

    // -- the health view -------------------------------------------------------------------
    Text {
        id: serviceInfo
        objectName: "serviceInfo"
        anchors { top: banner.bottom; left: parent.left; right: parent.right
                  leftMargin: screen.theme.margin; rightMargin: screen.theme.margin
                  topMargin: screen.theme.mm * 2 }
        visible: screen.controller.service === "open"
        wrapMode: Text.WrapAtWordBoundaryOrAnywhere  // the device id is long; never cut it
        text: qsTr("Version %1 · site %2 · device %3")
              .arg(screen.controller.serviceInfo.version || "?")
              .arg(screen.controller.serviceInfo.site || "?")
              .arg(screen.controller.serviceInfo.device || "?")
        color: screen.theme.muted
        font.pixelSize: screen.healthTextSize * 0.6
        font.family: "monospace"
    }
    RowLayout {
        id: health
        readonly property real column: (width - 2 * spacing) / 3
        anchors { top: serviceInfo.bottom; left: parent.left; right: parent.right
                  bottom: bottomBar.top; margins: screen.theme.margin }
        visible: screen.controller.service === "open"
        clip: true  // a long list never runs under the buttons
        spacing: screen.theme.margin
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Devices"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.healthTextSize }
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
                    font.pixelSize: screen.healthTextSize * 0.7
                }
            }
            Text {
                visible: screen.controller.serviceSelfTestRunning
                text: qsTr("Self-test running…")
                color: screen.theme.muted
                font.pixelSize: screen.healthTextSize * 0.7
            }
            Text {  // the self-test: the checks that passed in one line, the others below
                objectName: "selfTestOk"
                Layout.fillWidth: true
                visible: screen.controller.serviceSelfTestOk !== ""
                wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                text: qsTr("Self-test ok: %1").arg(screen.controller.serviceSelfTestOk)
                color: screen.theme.foreground
                font.pixelSize: screen.healthTextSize * 0.6
            }
            Repeater {  // the self-test's checks that did not pass, with their code
                model: screen.controller.serviceSelfTestProblems
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "selfTest_" + modelData.name
                    text: modelData.name + ": " + modelData.status + " "
                          + (modelData.reason ? modelData.reason : "")
                    color: modelData.status === "fail" ? screen.theme.danger : screen.theme.foreground
                    font.pixelSize: screen.healthTextSize * 0.6
                    font.family: "monospace"
                }
            }
            Text {
                objectName: "serviceTestPrintState"
                Layout.fillWidth: true
                visible: screen.controller.serviceTestPrint !== ""
                wrapMode: Text.WordWrap
                text: screen.controller.serviceTestPrint === "printing" ? qsTr("Printing the test page…")
                      : screen.controller.serviceTestPrint === "printed" ? qsTr("The test page is printed.")
                      : screen.controller.serviceTestPrint + ": " + screen.texts.error(screen.controller.serviceTestPrint)
                color: screen.theme.foreground
                font.pixelSize: screen.healthTextSize * 0.6
            }
        }
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Results to sync"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.healthTextSize }
            Repeater {
                model: screen.controller.serviceOutbox
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "serviceOutbox_" + modelData.state
                    text: qsTr("%1: %2").arg(screen.texts.outboxState(modelData.state)).arg(modelData.count)
                    color: screen.theme.foreground
                    font.pixelSize: screen.healthTextSize * 0.7
                }
            }
            Text {
                objectName: "serviceOldest"
                text: qsTr("Oldest unsent: %1 s").arg(screen.controller.serviceOldestUnsent)
                color: screen.theme.muted
                font.pixelSize: screen.healthTextSize * 0.7
            }
            Image {  // the camera check: its live picture
                objectName: "serviceCameraPicture"
                visible: screen.controller.serviceCamera
                Layout.preferredWidth: health.column
                Layout.preferredHeight: Math.min(health.column * 0.75, health.height * 0.55)
                fillMode: Image.PreserveAspectFit
                cache: false
                source: screen.controller.serviceCamera
                        ? "image://preview/" + screen.controller.previewVersion : ""
            }
        }
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: health.column
            Layout.maximumWidth: health.column
            spacing: screen.theme.mm * 2
            Text { text: qsTr("Recent errors"); font.bold: true; color: screen.theme.foreground
                   font.pixelSize: screen.healthTextSize }
            Text {
                visible: screen.controller.recentErrors.length === 0
                text: qsTr("None")
                color: screen.theme.muted
                font.pixelSize: screen.healthTextSize * 0.7
            }
            Repeater {
                model: screen.controller.recentErrors
                Text {
                    required property var modelData
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    objectName: "recentError_" + modelData.reason
                    // the code, then what it means (kiosk/reasons), in the chosen language
                    text: modelData.time + " " + modelData.reason + "\n"
                          + screen.texts.error(modelData.reason)
                    color: modelData.level === "ERROR" ? screen.theme.danger : screen.theme.foreground
                    font.pixelSize: screen.healthTextSize * 0.6
                }
            }
        }
    }
    // The way out first, then the tools: one bar that wraps to a second line when the
    // buttons do not fit (larger text), so no button ever lies on another.
    Flow {
        id: bottomBar
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom
                  margins: screen.theme.margin }
        spacing: screen.theme.mm * 3
        KioskButton {
            id: exitButton
            objectName: "serviceExit"
            theme: screen.theme
            text: screen.controller.service === "open" ? qsTr("Back to kiosk mode")
                  : screen.controller.service === "locked" ? qsTr("Close") : qsTr("Cancel")
            onClicked: screen.controller.closeService()
        }
        KioskButton {
            objectName: "serviceSelfTestButton"
            visible: screen.controller.service === "open"
            theme: screen.theme
            enabled: !screen.controller.serviceSelfTestRunning
            text: qsTr("Self-test")
            onClicked: screen.controller.runSelfTest()
        }
        KioskButton {
            objectName: "serviceTestPrintButton"
            theme: screen.theme
            visible: screen.controller.service === "open" && screen.controller.receiptOffered
            enabled: screen.controller.serviceTestPrint !== "printing"
            text: qsTr("Test print")
            onClicked: screen.controller.testPrint()
        }
        KioskButton {
            objectName: "serviceCameraButton"
            visible: screen.controller.service === "open"
            theme: screen.theme
            selected: screen.controller.serviceCamera
            text: qsTr("Camera")
            onClicked: screen.controller.checkCamera(!screen.controller.serviceCamera)
        }
        KioskButton {
            objectName: "serviceRefresh"
            visible: screen.controller.service === "open"
            theme: screen.theme
            text: qsTr("Refresh")
            onClicked: screen.controller.refreshService()
        }
    }
}
