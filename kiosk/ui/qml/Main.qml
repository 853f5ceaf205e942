// Root window: the banner on top, the screen the controller names below it. Screens only
// render and forward taps; each lays itself out in the area below the banner (its `title`
// goes into the banner), so no screen can slide under it.
import QtQuick
import QtQuick.Window

Window {
    id: root
    required property QtObject controller
    required property bool fullScreen

    width: 1280
    height: 800
    visible: true
    visibility: fullScreen ? Window.FullScreen : Window.Windowed
    title: qsTr("Identity verification")
    color: appTheme.background

    Theme {
        id: appTheme
        largeText: root.controller.largeText
        highContrast: root.controller.highContrast
    }

    Texts { id: appTexts }

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: appTheme
        controller: root.controller
        title: screenLoader.item ? screenLoader.item.title : ""
    }
    MouseArea {
        // The hidden door to service mode: hold the top-left corner for 3 seconds (the
        // controller opens it on the welcome screen only). While held, a bar fills along the
        // corner's bottom, so the technician knows it counts.
        id: serviceCorner
        objectName: "serviceCorner"
        anchors { left: parent.left; top: parent.top }
        width: appTheme.touchTarget
        height: appTheme.touchTarget
        z: 2
        pressAndHoldInterval: 3000
        onPressAndHold: root.controller.openService()
        Rectangle {
            objectName: "serviceHoldProgress"
            anchors { left: parent.left; bottom: parent.bottom }
            height: appTheme.mm * 1.5
            width: 0
            color: appTheme.accent
            visible: serviceCorner.pressed && root.controller.screen === "welcome"
            NumberAnimation on width {
                running: serviceCorner.pressed
                from: 0; to: serviceCorner.width; duration: 3000
            }
        }
    }

    Loader {
        id: screenLoader
        anchors { left: parent.left; right: parent.right; top: banner.bottom; bottom: parent.bottom }
        sourceComponent: {
            switch (root.controller.screen) {
            case "present_document": return presentDocument
            case "mrz_entry": return mrzEntry
            case "reading": return reading
            case "face": return face
            case "lookup": return lookup
            case "staff_pin": return staffPin
            case "enrol": return face
            case "consent": return consent
            case "saving": return saving
            case "result": return result
            default: return welcome
            }
        }
    }

    // Service mode over everything (hold the welcome screen's top-left corner for 3 s).
    Loader {
        anchors.fill: parent
        z: 5
        active: root.controller.service !== ""
        sourceComponent: ServiceScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }

    // The inactivity warning: a panel over the banner, never over the screen's content (the
    // reference and the QR code stay readable), with the seconds left and a way to go on.
    Rectangle {
        objectName: "countdownOverlay"
        anchors { left: parent.left; right: parent.right; top: parent.top }
        height: Math.max(banner.height, overlayRow.implicitHeight + 2 * appTheme.gap)
        z: 4
        visible: root.controller.countdown > 0
        color: appTheme.overlay
        border.color: appTheme.overlayOutline
        border.width: Math.max(2, appTheme.mm / 2)
        MouseArea { anchors.fill: parent }  // taps do not reach the banner below
        Row {
            id: overlayRow
            anchors { verticalCenter: parent.verticalCenter; left: parent.left; right: parent.right
                      leftMargin: appTheme.margin; rightMargin: appTheme.gap }
            spacing: appTheme.margin
            Column {
                width: parent.width - continueButton.width - parent.spacing
                anchors.verticalCenter: parent.verticalCenter
                Text {
                    width: parent.width
                    wrapMode: Text.WordWrap
                    text: qsTr("Are you still there?")
                    color: appTheme.overlayText
                    font.pixelSize: appTheme.bodySize
                    font.bold: true
                }
                Text {
                    objectName: "countdownText"
                    width: parent.width
                    wrapMode: Text.WordWrap
                    text: qsTr("Everything will be cleared in %1 s.").arg(root.controller.countdown)
                    color: appTheme.overlayText
                    font.pixelSize: appTheme.smallSize
                }
            }
            KioskButton {
                id: continueButton
                objectName: "continueButton"
                anchors.verticalCenter: parent.verticalCenter
                theme: appTheme
                primary: true
                text: qsTr("Continue")
                onClicked: root.controller.keepGoing()
            }
        }
    }

    Component {
        id: welcome
        WelcomeScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: presentDocument
        PresentDocumentScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: mrzEntry
        MrzEntryScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: reading
        ReadingScreen { controller: root.controller; theme: appTheme }
    }
    Component {
        id: face
        FaceScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: lookup
        LookupScreen { controller: root.controller; theme: appTheme }
    }
    Component {
        id: staffPin
        StaffPinScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: consent
        ConsentScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
    Component {
        id: saving
        SavingScreen { controller: root.controller; theme: appTheme }
    }
    Component {
        id: result
        ResultScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }
}
