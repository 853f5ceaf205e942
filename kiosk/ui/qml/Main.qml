// Root window: picks the screen the controller names. Screens only render and forward taps.
import QtQuick
import QtQuick.Window

Window {
    id: root
    required property QtObject controller
    required property bool fullScreen
    required property bool largeText
    required property bool highContrast

    width: 1280
    height: 800
    visible: true
    visibility: fullScreen ? Window.FullScreen : Window.Windowed
    title: qsTr("Identity verification")
    color: appTheme.background

    Theme {
        id: appTheme
        largeText: root.largeText
        highContrast: root.highContrast
    }

    Texts { id: appTexts }

    Loader {
        id: screenLoader
        anchors.fill: parent
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

    // Service mode over the welcome screen (hold its top-left corner for 3 s).
    Loader {
        anchors.fill: parent
        z: 5
        active: root.controller.service !== ""
        sourceComponent: ServiceScreen { controller: root.controller; theme: appTheme; texts: appTexts }
    }

    // Results waiting to sync (the kiosk works offline; staff see that sync is behind).
    Text {
        objectName: "syncIndicator"
        anchors { top: parent.top; right: parent.right; margins: appTheme.mm * 4 }
        visible: root.controller.waiting > 0
        text: qsTr("Waiting to sync: %1").arg(root.controller.waiting)
        color: appTheme.bannerText
        font.pixelSize: appTheme.bodySize * 0.6
    }

    // The inactivity warning over any screen: a countdown and a way to keep going.
    Rectangle {
        objectName: "countdownOverlay"
        anchors.fill: parent
        visible: root.controller.countdown > 0
        color: "#cc000000"
        MouseArea { anchors.fill: parent }  // taps do not reach the screen below
        Column {
            anchors.centerIn: parent
            spacing: appTheme.margin
            Text {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Are you still there?")
                color: "#ffffff"
                font.pixelSize: appTheme.titleSize
                font.bold: true
            }
            Text {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Everything will be cleared in %1 s.").arg(root.controller.countdown)
                color: "#ffffff"
                font.pixelSize: appTheme.bodySize
            }
            KioskButton {
                objectName: "continueButton"
                anchors.horizontalCenter: parent.horizontalCenter
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
