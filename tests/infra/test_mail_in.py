"""Email in's infra (infra/stacks/mail_in.py): SES receipt rule -> inbound bucket + SNS topic ->
the mail-in handler, with the least privilege it needs; the rule set only with an inbound domain."""

from __future__ import annotations

import json

from tests.infra.conftest import STAGE
from tests.infra.test_template import actions, functions, physical, resources, role_statements, tables_in


def _rule(template):
    [rule] = resources(template, "AWS::SES::ReceiptRule").values()
    return rule["Properties"]


def test_without_an_inbound_domain_there_is_a_bucket_and_a_topic_but_no_rule_set(template):
    assert resources(template, "AWS::SES::ReceiptRuleSet") == {}
    topics = [t["Properties"]["TopicName"] for t in resources(template, "AWS::SNS::Topic").values()]
    assert f"portico-{STAGE}-mail-in" in topics


def test_the_rule_scans_stores_under_inbound_and_notifies_the_topic_the_handler_subscribes_to(tuned_template):
    [rule_set] = resources(tuned_template, "AWS::SES::ReceiptRuleSet").values()
    rule = _rule(tuned_template)
    assert rule["RuleSetName"] == rule_set["Properties"]["RuleSetName"] == f"portico-{STAGE}-inbound"
    assert rule["Rule"]["ScanEnabled"] is True and rule["Rule"]["Enabled"] is True
    assert rule["Rule"]["Recipients"] == ["in.acme.test", "help@acme.test"]
    [action] = rule["Rule"]["Actions"]
    s3_action = action["S3Action"]
    assert s3_action["ObjectKeyPrefix"] == "inbound/"
    topic = tuned_template["Resources"][s3_action["TopicArn"]["Ref"]]["Properties"]["TopicName"]
    assert topic == f"portico-{STAGE}-mail-in"
    [subscription] = [e for e in functions(tuned_template)["HandleInboundMail"]["Properties"]["Events"].values()
                      if e["Type"] == "SNS"]
    assert topic in json.dumps(subscription["Properties"]["Topic"])
    bucket_ref = s3_action["BucketName"]["Ref"]
    env = functions(tuned_template)["HandleInboundMail"]["Properties"]["Environment"]["Variables"]
    assert env["PORTICO_INBOUND_BUCKET"] == {"Ref": bucket_ref}
    assert env["PORTICO_INBOUND_DOMAIN"] == "in.acme.test" and env["PORTICO_SUPPORT_ADDRESS"] == "help@acme.test"


def test_only_ses_of_this_account_and_rule_may_write_the_bucket_which_is_private_and_expires(tuned_template):
    bucket_ref = _rule(tuned_template)["Rule"]["Actions"][0]["S3Action"]["BucketName"]["Ref"]
    bucket = tuned_template["Resources"][bucket_ref]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    [policy] = [p["Properties"]["PolicyDocument"]["Statement"] for p in
                resources(tuned_template, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket_ref}]
    [ses_put] = [s for s in policy if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses_put["Action"] == "s3:PutObject"
    assert "AWS:SourceAccount" in ses_put["Condition"]["StringEquals"]
    assert "receipt-rule/store-and-notify" in json.dumps(ses_put["Condition"]["ArnLike"])


def test_the_handler_has_the_memory_and_time_a_40_mb_message_needs(template):
    properties = functions(template)["HandleInboundMail"]["Properties"]
    assert properties["MemorySize"] >= 1024 and properties["Timeout"] >= 120


def test_the_handler_reads_inbound_mail_writes_what_a_note_or_ticket_needs_and_sends_nothing(template):
    role = functions(template)["HandleInboundMail"]["Properties"]["Role"]
    statements = role_statements(template, role)
    granted = actions(statements)
    assert "s3:GetObject" in granted and "s3:DeleteObject" not in granted
    assert "cognito-idp:AdminGetUser" in granted and "cognito-idp:AdminAddUserToGroup" not in granted
    assert not any(a.startswith("ses:") for a in granted)
    assert tables_in(template, statements) == {physical(t) for t in (
        "tickets", "notes", "users", "settings", "outbox", "throttle", "attachments")}
    on_inbound = [s for s in statements if "inbound/*" in json.dumps(s["Resource"])]
    assert actions(on_inbound) == {"s3:GetObject"}
    on_files = [s for s in statements if "FilesBucket" in json.dumps(s["Resource"])]
    assert actions(on_files) == {"s3:PutObject"} and "/tickets/*" in json.dumps(on_files)
    assert "/uploads/" not in json.dumps(on_files)
