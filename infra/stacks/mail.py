"""SES v1 templates from the files in chalicelib/mail/templates (the same ones the local
stack loads), named for the stage (portico-<stage>-<name>: stages can share an account and
region), and optionally the sender's identity."""

from __future__ import annotations

from aws_cdk import aws_ses as ses
from constructs import Construct

from chalicelib.mail.templates import load_template, template_names


class MailTemplates(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, sender: str, sender_identity: str) -> None:
        super().__init__(scope, construct_id)
        self.templates: list[ses.CfnTemplate] = []
        for name in template_names():
            template = load_template(name, stage)
            self.templates.append(ses.CfnTemplate(
                self, "Template" + "".join(part.capitalize() for part in name.replace("_", "-").split("-")),
                template=ses.CfnTemplate.TemplateProperty(
                    template_name=template["TemplateName"],
                    subject_part=template["SubjectPart"],
                    text_part=template["TextPart"],
                    html_part=template["HtmlPart"],
                ),
            ))
        # "email": SES mails a verification link to the sender address on creation.
        # "domain": DKIM records to publish (see the console). "existing": already verified.
        self.identity = None
        if sender_identity == "email":
            self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender))
        elif sender_identity == "domain":
            self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.domain(sender.split("@")[-1]))
