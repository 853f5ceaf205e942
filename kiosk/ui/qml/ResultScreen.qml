// The outcome: checked in with a reference to give at the desk, or why not and what to do:
// "Try again" after a retryable failure (tries left), else staff, who are already called.
// The reference shows on every recorded result, so staff can look a failure up too.
import QtQuick
import QtQuick.Layouts

Item {
    id: screen
    objectName: "resultScreen"
    required property QtObject controller
    required property QtObject theme
    required property QtObject texts
    readonly property bool passed: controller.decision === "pass" && controller.error === ""
    // Pension office: a recorded pass is a life certificate, with its dates and a QR code.
    readonly property bool certified: controller.validUntil !== ""
    // Insurance consent: the person's recorded answer.
    readonly property string consent: controller.consentOutcome
    // The code that explains a result that did not pass: the save's failure, else the
    // verdict's deciding reason (the flow picks it).
    readonly property string reasonCode: controller.error !== "" ? controller.error
                                                                 : controller.resultReason

    readonly property string title: controller.flow === "pension_survival" ? qsTr("Proof of life")
                                    : controller.flow === "insurance_consent" ? qsTr("Insurance consent")
                                    : qsTr("Identity verification")

    // The outcome on the left, over the whole height; on the right the life certificate's
    // QR code, then the buttons. Nothing ever lies on the reference or the QR code.
    RowLayout {
        anchors { fill: parent; leftMargin: screen.theme.margin; rightMargin: screen.theme.margin
                  topMargin: screen.theme.gap; bottomMargin: screen.theme.gap }
        spacing: screen.theme.margin
    ColumnLayout {
        Layout.fillWidth: true
        Layout.maximumWidth: parent.width - side.width - parent.spacing
        Layout.alignment: Qt.AlignVCenter
        spacing: screen.theme.gap
        Text {
            objectName: "resultTitle"
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.certified ? qsTr("Your proof of life is recorded")
                  : screen.consent === "accepted" && screen.passed ? qsTr("Your consent is recorded")
                  : screen.consent === "declined" && screen.passed ? qsTr("Your refusal is recorded")
                  : screen.passed ? qsTr("You are checked in")
                  : screen.controller.retryable ? qsTr("The face check did not work this time")
                  : screen.controller.staffCalled ? qsTr("Staff have been called. Please wait here.")
                  : qsTr("Please see the staff at the desk")
            color: screen.passed ? screen.theme.accent : screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            visible: screen.controller.reference !== "" && screen.controller.error === ""
            text: screen.passed ? qsTr("Your reference") : qsTr("Your reference, for the staff")
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            objectName: "referenceText"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.controller.reference !== "" && screen.controller.error === ""
            text: screen.controller.reference
            color: screen.theme.foreground
            font.pixelSize: screen.theme.titleSize * (screen.passed ? 1.2 : 1.0)
            font.family: "monospace"
        }
        Text {
            objectName: "consentSummary"
            Layout.fillWidth: true
            visible: screen.passed && (screen.consent === "accepted" || screen.consent === "declined")
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.consent === "accepted"
                  ? qsTr("%1 may see the records you agreed to until %2.")
                    .arg(screen.controller.consentInsurer).arg(screen.controller.consentUntil)
                  : qsTr("%1 will not see your records.").arg(screen.controller.consentInsurer)
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        ColumnLayout {
            objectName: "certificate"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.certified
            spacing: screen.theme.mm * 2
            Text {
                objectName: "validUntilText"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: qsTr("Valid until %1").arg(screen.controller.validUntil)
                color: screen.theme.foreground
                font.pixelSize: screen.theme.bodySize
            }
            Text {
                objectName: "nextDueText"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                text: qsTr("Next proof due from %1").arg(screen.controller.nextDue)
                color: screen.theme.muted
                font.pixelSize: screen.theme.bodySize
            }
        }
        Text {  // why, in the registry's words (kiosk/reasons)
            objectName: "resultReasonText"
            Layout.fillWidth: true
            visible: !screen.passed
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.texts.error(screen.reasonCode)
            color: screen.theme.foreground
            font.pixelSize: screen.theme.bodySize
        }
        Text {  // and what to do now (once staff are called, the title says it: wait here)
            objectName: "resultNextStep"
            Layout.fillWidth: true
            visible: !screen.passed && !screen.controller.staffCalled && text !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.texts.nextStep(screen.reasonCode)
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Text {  // the receipt: being printed, printed, or why not (the code beneath)
            objectName: "receiptStatus"
            Layout.fillWidth: true
            visible: screen.passed && screen.controller.receiptState !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.controller.receiptState === "printing" ? qsTr("Printing your receipt…")
                  : screen.controller.receiptState === "printed" ? qsTr("Your receipt is printed. Please take it.")
                  : screen.texts.error(screen.controller.receiptError)
            color: screen.controller.receiptState === "failed" ? screen.theme.foreground
                                                                : screen.theme.muted
            font.pixelSize: screen.theme.bodySize
        }
        Text {
            objectName: "receiptReasonCode"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.passed && screen.controller.receiptError !== ""
            text: screen.controller.receiptError
            color: screen.theme.muted
            font.pixelSize: screen.theme.smallSize
            font.family: "monospace"
        }
    }
    ColumnLayout {
        id: side
        Layout.fillHeight: true
        spacing: screen.theme.gap
    Text {  // the codes, small, one per line, for the staff at the desk and the technician
        // guide: beside the buttons, so the outcome on the left keeps its room in larger text
        objectName: "resultReasonCodes"
        Layout.fillWidth: true
        visible: !screen.passed && text !== ""
        text: (screen.controller.error !== "" ? screen.controller.error
                                              : screen.controller.reasonCodes).split(" · ").join("\n")
        wrapMode: Text.WrapAnywhere
        horizontalAlignment: Text.AlignHCenter
        color: screen.theme.muted
        font.pixelSize: screen.theme.smallSize
        font.family: "monospace"
    }
    Image {
        objectName: "certificateQr"
        readonly property real side: Math.min(screen.theme.mm * 55, screen.height * 0.45)
        Layout.preferredWidth: side
        Layout.preferredHeight: side
        Layout.alignment: Qt.AlignHCenter
        visible: screen.certified
        fillMode: Image.PreserveAspectFit
        smooth: false  // sharp module edges for scanners
        source: screen.certified ? "image://qr/" + screen.controller.certificateCode : ""
    }
    Item { Layout.fillHeight: true }
    KioskButton {  // a receipt of a pass, a life certificate or a consent; never of a failure
        objectName: "printButton"
        Layout.fillWidth: true
        theme: screen.theme
        visible: screen.controller.receiptOffered && screen.passed
                 && screen.controller.reference !== ""
                 && screen.controller.receiptState !== "printed"
        enabled: screen.controller.receiptState !== "printing"
        text: screen.controller.receiptState === "failed" ? qsTr("Try printing again")
                                                          : qsTr("Print receipt")
        onClicked: screen.controller.printReceipt()
    }
    KioskButton {  // a retryable failure with tries left: the same document, a new face check
        objectName: "retryButton"
        Layout.fillWidth: true
        theme: screen.theme
        primary: true
        visible: screen.controller.retryable
        text: qsTr("Try again")
        onClicked: screen.controller.retry()
    }
    KioskButton {
        id: doneButton
        objectName: "doneButton"
        Layout.fillWidth: true
        theme: screen.theme
        primary: !screen.controller.retryable
        text: qsTr("Done")
        onClicked: screen.controller.done()
    }
    }
    }
}
