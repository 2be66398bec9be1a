"""Portico's Chalice app: the capabilities it serves, the request pipeline around them
(chalicelib/routes/pipeline.py: every stage a request goes through, in order), and the mail jobs."""

from chalice import Chalice, Rate

from chalicelib import config, jobs
from chalicelib.routes import (
    agent_tickets,
    agents,
    assets,
    attachments,
    clients,
    impersonation,
    imports,
    kb,
    organizations,
    pipeline,
    portal_account,
    portal_assets,
    portal_entry,
    portal_log,
    portal_mfa,
    portal_sign_in,
    portal_tickets,
    public,
    settings,
)

# Chalice would attach a plain-text handler to the "portico" logger that Powertools
# Logger (JSON) also uses; one format only.
app = Chalice(app_name="portico", configure_logs=False)
pipeline.install(app, [module.routes for module in (
    public, organizations, settings, clients, portal_sign_in, portal_account, agent_tickets, portal_tickets, agents,
    portal_log, impersonation, attachments, portal_mfa, kb, portal_entry, assets, portal_assets, imports)])


# Mail: the outbox table's stream sends what a request queued; the sweeper retries and
# catches what the stream missed. The stream's ARN is read at import (see config).
@app.on_dynamodb_record(stream_arn=config.outbox_stream_arn(), batch_size=10, starting_position="LATEST")
def deliver_outbox_stream(event):
    return jobs.deliver_mail_stream(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_outbox(event):
    return jobs.sweep_mail(event)


@app.schedule(Rate(1, unit=Rate.HOURS), name="resend-invitations")
def resend_invitations(event):
    return jobs.resend_invitations(event.context)


# Mail feedback: SES bounce, complaint, reject and delivery events from the configuration
# set's SNS topic (portico-<stage>-mail-feedback, read at import like the stream ARN).
@app.on_sns_message(topic=config.mail_feedback_topic())
def handle_mail_feedback(event):
    return jobs.handle_mail_feedback(event.message)


# Email in: SES receiving stores each message in the inbound bucket and notifies this topic
# (portico-<stage>-mail-in); a reply becomes a note, mail to the support address a ticket.
@app.on_sns_message(topic=config.mail_in_topic())
def handle_inbound_mail(event):
    return jobs.handle_inbound_mail(event.message)


# CSV imports (services/imports.py): POST /agent/imports stores the job and invokes this
# function asynchronously; it runs the whole file, within its own (longer) timeout.
@app.lambda_function(name="run_import")
def run_import(event, context):  # noqa: ARG001  (Lambda's signature)
    return jobs.run_import(event)
