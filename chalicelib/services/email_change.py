"""An agent changes a client's email (product.md §12): the new address gets a confirmation
link, the old one is told; until the link is followed nothing changes (log-in, mail and the
email guard stay on the old address). Following it moves the guard and the address in one
transaction, so two clients never end up with one email.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_config
from chalicelib.errors import Conflict
from chalicelib.ids import utcnow
from chalicelib.models.users import CLIENT_KIND, DISABLED, UserModel, email_guard_id
from chalicelib.services import client_directory, client_store, outbox, tokens
from chalicelib.services.client_store import Client
from chalicelib.services.settings import get_settings


def verify_url(secret: str) -> str:
    return f"{get_config().portal_url}/verify-email?token={secret}"


def _masked(email: str) -> str:
    """The new address as the old mailbox is told it: enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"


def request_change(client_id: str, new_email: str) -> Client:
    """Queue the confirmation link (new address) and the notice (old address). The same address
    (any case) changes nothing; one another client has is 409; a disabled client is 409."""
    item = client_store.load_item(client_id)
    if new_email.strip().lower() == (item.email or "").lower():
        return client_store.to_client(item)
    if item.status == DISABLED:
        raise Conflict("This client is disabled; re-enable it first.")
    if client_store.client_id_by_email(new_email) is not None:
        raise client_store.email_taken()
    now = utcnow()
    ttl_hours = get_settings().activation_ttl_hours
    token = tokens.issue(item.id, tokens.EMAIL_CHANGE, timedelta(hours=ttl_hours), now)
    name = item.name or ""
    reason = f"email-change:{item.id}:{token.hash[:16]}"
    messages = [
        outbox.message("client-email-verify", new_email, {
            "name": name, "email": new_email, "verify_url": verify_url(token.secret),
            "expires_in_hours": ttl_hours}, reason=reason),
        outbox.message("client-email-changing", item.email or "", {
            "name": name, "new_email_masked": _masked(new_email)}, reason=reason),
    ]
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(item, actions=[UserModel.pending_email.set(new_email),
                                     UserModel.email_token_hash.set(token.hash), UserModel.updated_at.set(now)],
                      condition=UserModel.kind == CLIENT_KIND)
            tx.save(token.item, condition=UserModel.id.does_not_exist())
            for message in messages:
                tx.save(message, condition=message.__class__.id.does_not_exist())
    except TransactWriteError:
        raise Conflict("The client changed meanwhile; try again.") from None
    item.pending_email = new_email
    return client_store.to_client(item)


def confirm(secret: str) -> Client:
    """Follow the link: the client's email becomes the pending one (410 for a used, replaced or
    expired link; 409 when another client took the address meanwhile)."""
    token_hash, token, item = tokens.redeemable(secret, tokens.EMAIL_CHANGE, utcnow())
    new_email = item.pending_email or ""
    old_email = item.email or ""
    now = utcnow()
    terms = client_directory.term_change(item, name=item.name, email=new_email)
    try:
        with TransactWrite(connection=client_store.connection()) as tx:
            tx.update(token, actions=tokens.mark_used_action(now), condition=tokens.unused_condition())
            tx.save(UserModel(email_guard_id(new_email), owner_id=item.id), condition=UserModel.id.does_not_exist())
            tx.delete(UserModel(email_guard_id(old_email)), condition=UserModel.owner_id == item.id)
            tx.update(item, actions=[UserModel.email.set(new_email), UserModel.email_lower.set(new_email.lower()),
                                     UserModel.pending_email.remove(), UserModel.email_token_hash.remove(),
                                     UserModel.updated_at.set(now), terms.action],
                      condition=UserModel.email_token_hash == token_hash)
            terms.add_to(tx)
    except TransactWriteError:
        if client_store.client_id_by_email(new_email) not in (None, item.id):
            raise client_store.email_taken() from None
        raise tokens.used() from None
    # What the transaction wrote: the answer needs no second read.
    item.email, item.email_lower, item.pending_email, item.updated_at = new_email, new_email.lower(), None, now
    return client_store.to_client(item)
