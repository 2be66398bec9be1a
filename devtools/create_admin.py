"""Create the first admin agent of a deployed stage (or any agent), through the Cognito
admin API, with the operator's own AWS credentials:

    .venv/bin/python -m devtools.create_admin --stage prod --email ops@example.com [--name "Ada"]

The user pool is read from the stage's CloudFormation outputs (`portico-<stage>`, output
`UserPoolId`) unless --user-pool-id is given. The agent gets a generated strong password,
printed once (or --password), set as permanent, the email marked verified, and the
groups (default: admins). Cognito sends nothing; hand the password over safely and have
the agent change it.

Deployed pools require TOTP MFA (infra/stacks/agents.py): the agent's first sign-in answers
the MFA_SETUP challenge; the client calls AssociateSoftwareToken (a secret for the
authenticator app), VerifySoftwareToken with a first code, then answers the challenge;
every later sign-in answers SOFTWARE_TOKEN_MFA with a code (ENROLMENT below is printed too).
"""

from __future__ import annotations

import argparse
import secrets
import string
import sys

from chalicelib import aws
from chalicelib.identity import SUPER_USER_GROUP
from chalicelib.services.agent_auth import GROUPS


def generated_password(length: int = 20) -> str:
    """Meets the pool's policy (infra/stacks/agents.py): 12+ chars, upper, lower, digit, symbol."""
    alphabet = string.ascii_letters + string.digits + "!#%+-.=?@^_~"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)):
            return password


def stack_user_pool_id(stage: str) -> str:
    stack = aws.client("cloudformation").describe_stacks(StackName=f"portico-{stage}")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs["UserPoolId"]


def create_agent(user_pool_id: str, email: str, password: str, groups: list[str], name: str = "") -> str:
    idp = aws.client("cognito-idp")
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    user = idp.admin_create_user(UserPoolId=user_pool_id, Username=email, MessageAction="SUPPRESS",
                                 UserAttributes=attributes)["User"]
    idp.admin_set_user_password(UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True)
    for group in groups:
        idp.admin_add_user_to_group(UserPoolId=user_pool_id, Username=email, GroupName=group)
    return user["Username"]


ENROLMENT = """Two-factor sign-in: this pool requires an authenticator app (TOTP) for every agent.
At the first sign-in Cognito answers the MFA_SETUP challenge: call AssociateSoftwareToken with
the challenge's session, add the secret it returns to an authenticator app (or its
otpauth://totp/Portico:<email>?secret=<secret>&issuer=Portico URI as a QR code), confirm with
VerifySoftwareToken and a first code, then answer the challenge. Later sign-ins answer
SOFTWARE_TOKEN_MFA with the app's current code. A lost device: an admin runs
`aws cognito-idp admin-set-user-mfa-preference --software-token-mfa-settings Enabled=false ...`
and the agent enrols again at the next sign-in. (The local stack keeps MFA off.)"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stage", help="read the pool id from the portico-<stage> stack's outputs")
    where.add_argument("--user-pool-id")
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", default="")
    parser.add_argument("--password", help="default: a generated one, printed once")
    parser.add_argument("--groups", default=SUPER_USER_GROUP,
                        help=f"comma-separated, from {', '.join(GROUPS)} (default: {SUPER_USER_GROUP})")
    args = parser.parse_args(argv)

    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    pool_id = args.user_pool_id or stack_user_pool_id(args.stage)
    password = args.password or generated_password()
    username = create_agent(pool_id, args.email, password, groups, args.name)
    print(f"created agent {args.email} (username {username}) in {pool_id}, groups: {', '.join(groups)}")
    if not args.password:
        print(f"password (shown once): {password}")
    print(ENROLMENT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
