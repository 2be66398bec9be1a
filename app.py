"""Portico's Chalice app: creates the app and wires blueprints and middleware. Thin."""

from chalice import Chalice, Rate

from chalicelib import jobs
from chalicelib.routes import (
    agent_tickets,
    agents,
    attachments,
    clients,
    gates,  # noqa: F401  (importing it registers the portal gates)
    impersonation,
    middleware,
    organizations,
    portal_account,
    portal_auth,
    portal_log,
    portal_tickets,
    public,
    settings,
)

# Chalice would attach a plain-text handler to the "portico" logger that Powertools
# Logger (JSON) also uses; one format only.
app = Chalice(app_name="portico", configure_logs=False)
app.register_middleware(middleware.all_middleware, "all")
app.register_middleware(middleware.http_middleware, "http")

for module in (public, organizations, settings, clients, portal_auth, portal_account, agent_tickets,
               portal_tickets, agents, portal_log, impersonation, attachments):
    app.register_blueprint(module.blueprint)


# Mail: the outbox table's stream sends what a request queued; the sweeper retries and
# catches what the stream missed. PORTICO_OUTBOX_STREAM_ARN is read at import (see jobs).
@app.on_dynamodb_record(stream_arn=jobs.outbox_stream_arn(), batch_size=10, starting_position="LATEST")
def deliver_outbox_stream(event):
    return jobs.deliver_mail_stream(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_outbox(event):
    return jobs.sweep_mail(event)


@app.schedule(Rate(1, unit=Rate.HOURS), name="resend-invitations")
def resend_invitations(event):
    return jobs.resend_invitations(event.context)
