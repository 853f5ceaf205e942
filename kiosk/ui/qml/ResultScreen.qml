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

    Banner {
        id: banner
        anchors { left: parent.left; right: parent.right; top: parent.top }
        theme: screen.theme
        title: screen.controller.flow === "pension_survival" ? qsTr("Proof of life")
               : screen.controller.flow === "insurance_consent" ? qsTr("Insurance consent")
               : qsTr("Identity verification")
    }
    Item {  // the area between the banner and the buttons: content centres here, never under them
        id: body
        anchors { top: banner.bottom; bottom: doneButton.top; left: parent.left; right: parent.right
                  bottomMargin: screen.theme.margin }
    }
    ColumnLayout {
        anchors.centerIn: body
        width: parent.width * 0.8
        spacing: screen.theme.margin * 0.6
        Text {
            objectName: "resultTitle"
            Layout.alignment: Qt.AlignHCenter
            text: screen.certified ? qsTr("Your proof of life is recorded")
                  : screen.consent === "accepted" && screen.passed ? qsTr("Your consent is recorded")
                  : screen.consent === "declined" && screen.passed ? qsTr("Your refusal is recorded")
                  : screen.passed ? qsTr("You are checked in")
                  : screen.controller.retryable ? qsTr("The face check did not work this time")
                  : qsTr("Please see the staff at the desk")
            color: screen.passed ? screen.theme.accent : screen.theme.foreground
            font.pixelSize: screen.theme.titleSize
            font.bold: true
        }
        Text {
            Layout.alignment: Qt.AlignHCenter
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
            font.pixelSize: screen.theme.titleSize * (screen.passed ? 1.3 : 1.0)
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
        RowLayout {
            objectName: "certificate"
            Layout.alignment: Qt.AlignHCenter
            visible: screen.certified
            spacing: screen.theme.margin
            Image {
                objectName: "certificateQr"
                Layout.preferredWidth: screen.theme.mm * 55
                Layout.preferredHeight: screen.theme.mm * 55
                fillMode: Image.PreserveAspectFit
                smooth: false  // sharp module edges for scanners
                source: screen.certified ? "image://qr/" + screen.controller.certificateCode : ""
            }
            ColumnLayout {
                spacing: screen.theme.mm * 2
                Text {
                    objectName: "validUntilText"
                    text: qsTr("Valid until %1").arg(screen.controller.validUntil)
                    color: screen.theme.foreground
                    font.pixelSize: screen.theme.bodySize
                }
                Text {
                    objectName: "nextDueText"
                    text: qsTr("Next proof due from %1").arg(screen.controller.nextDue)
                    color: screen.theme.muted
                    font.pixelSize: screen.theme.bodySize
                }
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
        Text {  // and what to do now
            objectName: "resultNextStep"
            Layout.fillWidth: true
            visible: !screen.passed && text !== ""
            wrapMode: Text.WordWrap
            horizontalAlignment: Text.AlignHCenter
            text: screen.controller.staffCalled ? qsTr("Staff have been called. Please wait here.")
                  : screen.texts.nextStep(screen.reasonCode)
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
            font.pixelSize: screen.theme.bodySize * 0.6
            font.family: "monospace"
        }
        Text {  // the codes, small, for the staff at the desk and the technician guide
            objectName: "resultReasonCodes"
            Layout.alignment: Qt.AlignHCenter
            visible: !screen.passed && text !== ""
            text: screen.controller.error !== "" ? screen.controller.error
                                                 : screen.controller.reasonCodes
            color: screen.theme.muted
            font.pixelSize: screen.theme.bodySize * 0.6
            font.family: "monospace"
        }
    }
    KioskButton {  // a receipt of a pass, a life certificate or a consent; never of a failure
        objectName: "printButton"
        anchors { right: doneButton.left; verticalCenter: doneButton.verticalCenter
                  rightMargin: screen.theme.margin }
        theme: screen.theme
        visible: screen.controller.receiptOffered && screen.passed
                 && screen.controller.reference !== ""
                 && screen.controller.receiptState !== "printed"
        enabled: screen.controller.receiptState !== "printing"
        text: screen.controller.receiptState === "failed" ? qsTr("Try printing again")
                                                          : qsTr("Print receipt")
        onClicked: screen.controller.printReceipt()
    }
    KioskButton {
        id: doneButton
        objectName: "doneButton"
        anchors { horizontalCenter: parent.horizontalCenter; bottom: parent.bottom
                  margins: screen.theme.margin }
        theme: screen.theme
        primary: !screen.controller.retryable
        text: qsTr("Done")
        onClicked: screen.controller.done()
    }
    KioskButton {  // a retryable failure with tries left: the same document, a new face check
        objectName: "retryButton"
        anchors { left: doneButton.right; verticalCenter: doneButton.verticalCenter
                  leftMargin: screen.theme.margin }
        theme: screen.theme
        primary: true
        visible: screen.controller.retryable
        text: qsTr("Try again")
        onClicked: screen.controller.retry()
    }
}
