"""Reply addresses (product.md §8): the Reply-To of every ticket mail, naming the ticket and the
recipient, signed, so that a reply can become a note without any stored state.

    reply+1042.c01jd3kx8w9ryq4t6v5b2n7m0p.1.k3j9xq2m7a4bcd5e@in.example.com
    ^kind ^ticket ^recipient               ^key version ^signature

- kind: `reply` (a public note) or `note` (the internal variant, issued to agents only);
- recipient: `c<client id>` for the requester, `a<digest of the address>` for an agent
  (usernames may hold characters a local part cannot);
- signature: HMAC-SHA256 with the per-purpose key "reply-address" of `version`
  (chalicelib/keys.py), over kind, ticket, recipient AND the address the mail went to, cut to
  80 bits (base32). So the address itself proves which mailbox it was issued to: a reply is
  accepted only when its From is that mailbox (case-insensitive), and nothing has to be
  stored per mail. After a rotation an address signed under an older secret still verifies
  while that secret is listed in PORTICO_OLDER_SECRET_KEYS; then its replies are dropped.

Local parts are compared lowercase (some mail systems fold case), so every field is lowercase.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib import keys
from chalicelib.config import get_config

PURPOSE = "reply-address"
PUBLIC, INTERNAL = "reply", "note"
CLIENT, AGENT = "c", "a"
_SIGNATURE_CHARS = 16  # 80 bits: guessing one is out of reach, and the address stays short
_ADDRESS = re.compile(
    r"^(?P<kind>reply|note)\+(?P<number>[1-9][0-9]{0,9})\.(?P<recipient>[ca][0-9a-z]{1,32})\."
    r"(?P<version>[1-9][0-9]{0,3})\.(?P<signature>[a-z2-7]{16})$")


@dataclass(frozen=True)
class ReplyToken:
    """What a verified reply address says: which ticket, whom it was issued to, public or not."""

    ticket_number: int
    recipient_kind: str  # CLIENT or AGENT
    recipient: str  # the client id (upper case, as stored) or the agent address's digest
    internal: bool


def _agent_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]


def _signature(kind: str, number: int, recipient: str, email: str, version: int) -> str:
    message = f"{kind}|{number}|{recipient}|{email.strip().lower()}".encode()
    digest = hmac.new(keys.derive(PURPOSE, version), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_SIGNATURE_CHARS]


def _address(kind: str, number: int, recipient: str, email: str) -> str:
    version = keys.current_version()
    signature = _signature(kind, number, recipient, email, version)
    return f"{kind}+{number}.{recipient}.{version}.{signature}@{get_config().inbound_domain}"


def for_client(number: int, client_id: str, email: str) -> str:
    """The requester's reply address for ticket `number` (always public)."""
    return _address(PUBLIC, int(number), f"{CLIENT}{client_id.lower()}", email)


def for_agent(number: int, email: str, *, internal: bool = False) -> str:
    """An agent's reply address: public, or the internal variant (`note+...`)."""
    return _address(INTERNAL if internal else PUBLIC, int(number), f"{AGENT}{_agent_digest(email)}", email)


def is_reply_address(address: str) -> bool:
    """Shaped like one of ours (on the inbound domain): worth verifying, not yet verified."""
    local, _, domain = address.strip().lower().rpartition("@")
    return domain == get_config().inbound_domain and bool(_ADDRESS.match(local))


def verify(address: str, sender: str) -> ReplyToken | None:
    """The token of `address` when its signature holds for `sender` (the reply's From), else
    None: a forged, altered or foreign address, one issued to another mailbox, or one signed
    under a secret this stage no longer holds."""
    local, _, domain = address.strip().lower().rpartition("@")
    found = _ADDRESS.match(local)
    if not found or domain != get_config().inbound_domain:
        return None
    kind, number, recipient = found["kind"], int(found["number"]), found["recipient"]
    if kind == INTERNAL and not recipient.startswith(AGENT):
        return None  # never issued: clients get no internal variant
    if recipient.startswith(AGENT) and recipient[1:] != _agent_digest(sender):
        return None
    try:
        expected = _signature(kind, number, recipient, sender, int(found["version"]))
    except keys.UnknownKeyVersion:
        return None
    if not hmac.compare_digest(expected, found["signature"]):
        return None
    ident = recipient[1:].upper() if recipient.startswith(CLIENT) else recipient[1:]
    return ReplyToken(number, recipient[0], ident, kind == INTERNAL)
