"""`make mail-feedback EMAIL=ana@acme.test TYPE=bounce|soft-bounce|complaint|delivery|reject`

moto's bounce simulator does not publish through configuration sets, so this hands the
app's SNS handler (app.handle_mail_feedback) the very SNS event SES's event destination
would deliver, against the running local stack (.local/stack.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from devtools.mail_ops import use_stage

TYPES = ("bounce", "soft-bounce", "complaint", "delivery", "reject")


def ses_event(kind: str, email: str, *, outbox_id: str = "", now: str = "2026-01-01T00:00:00.000Z") -> dict[str, Any]:
    """The JSON SES publishes for one event of a configuration set (eventType form)."""
    mail = {"timestamp": now, "source": "support@portico.local", "messageId": str(uuid.uuid4()),
            "destination": [email], "tags": {"outbox_id": [outbox_id]} if outbox_id else {}}
    feedback_id = str(uuid.uuid4())
    if kind in ("bounce", "soft-bounce"):
        hard = kind == "bounce"
        return {"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent" if hard else "Transient",
            "bounceSubType": "General" if hard else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": email, "action": "failed",
                                   "status": "5.1.1" if hard else "4.2.2", "diagnosticCode": "smtp; 550 5.1.1"}],
            "timestamp": now, "feedbackId": feedback_id}}
    if kind == "complaint":
        return {"eventType": "Complaint", "mail": mail, "complaint": {
            "complainedRecipients": [{"emailAddress": email}], "complaintFeedbackType": "abuse",
            "timestamp": now, "feedbackId": feedback_id}}
    if kind == "reject":
        return {"eventType": "Reject", "mail": mail, "reject": {"reason": "Bad content"}}
    return {"eventType": "Delivery", "mail": mail, "delivery": {
        "timestamp": now, "recipients": [email], "processingTimeMillis": 500, "smtpResponse": "250 2.6.0 OK"}}


def sns_event(message: dict[str, Any], topic_arn: str = "arn:aws:sns:us-east-1:000000000000:portico-mail-feedback"
              ) -> dict[str, Any]:
    """The Lambda event SNS delivers, carrying `message` as its Message string."""
    notification = {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": topic_arn, "Subject": None,
                    "Message": json.dumps(message), "Timestamp": message["mail"]["timestamp"],
                    "SignatureVersion": "1", "Signature": "", "SigningCertUrl": "", "UnsubscribeUrl": "",
                    "MessageAttributes": {}}
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": f"{topic_arn}:x",
                         "Sns": notification}]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--email", required=True)
    parser.add_argument("--type", choices=TYPES, default="bounce")
    parser.add_argument("--outbox-id", default="")
    args = parser.parse_args(argv)
    use_stage(None)
    from app import handle_mail_feedback  # the handler as deployed
    from chalicelib.ids import iso, utcnow

    event = sns_event(ses_event(args.type, args.email, outbox_id=args.outbox_id, now=iso(utcnow())))
    print(json.dumps(handle_mail_feedback(event, None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
