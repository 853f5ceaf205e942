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

    Loader {
        id: screenLoader
        anchors.fill: parent
        sourceComponent: {
            switch (root.controller.screen) {
            case "present_document": return presentDocument
            default: return welcome
            }
        }
    }

    Component {
        id: welcome
        WelcomeScreen { controller: root.controller; theme: appTheme }
    }
    Component {
        id: presentDocument
        PresentDocumentScreen { controller: root.controller; theme: appTheme }
    }
}
