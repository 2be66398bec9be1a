"""The agents' Cognito user pool: email sign-in, strong passwords, TOTP MFA required, accounts
created only by an admin (devtools/create_admin.py for the first one), the app client the agent API's
authorizer trusts, and the permission groups the app reads from `cognito:groups`."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from chalicelib.services.agent_auth import GROUPS
from stacks.tables import kept_data_policy

GROUP_DESCRIPTIONS = {
    "admins": "Super-users: every permission, agent management",
    "manage-clients": "Invite, edit, deactivate and remove clients",
    "manage-tickets": "Work on tickets: assign, reply, resolve",
    "view-reports": "Read-only reports",
    "manage-knowledge": "Write, publish and delete knowledge-base articles",
    "manage-assets": "Create, edit, assign and retire assets; import assets",
}


@dataclass(frozen=True)
class SesSender:
    """The verified SES identity Cognito mails agents from (its DEVELOPER email mode)."""

    address: str
    verified_domain: str | None = None  # when the domain, not the address, is the verified identity


class AgentPool(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, production: bool,
                 deletion_protection: bool, threat_protection: bool, ses_sender: SesSender | None) -> None:
        super().__init__(scope, construct_id)
        plan = {}
        if threat_protection:
            # "Advanced security": compromised-credential checks and adaptive authentication
            # (Cognito's Plus plan). Off only where the region or budget does not allow it.
            plan = {
                "feature_plan": cognito.FeaturePlan.PLUS,
                "standard_threat_protection_mode": cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            }
        self.pool = cognito.UserPool(
            self, "Pool",
            user_pool_name=f"portico-{stage}-agents",
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True, temp_password_validity=cdk.Duration.days(3)),
            # Every agent signs in with an authenticator app (product.md §11): admins impersonate
            # clients and grant permissions, and Cognito sets MFA per pool, not per group. The
            # local stack (devtools/stack.py) keeps it off, so tests and the bench log in as before.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=deletion_protection,
            removal_policy=kept_data_policy(production),
            email=cognito.UserPoolEmail.with_ses(
                from_email=ses_sender.address, ses_verified_domain=ses_sender.verified_domain,
                ses_region=cdk.Stack.of(self).region) if ses_sender else None,
            **plan,
        )
        # The agent API's client: a public client (no secret) for a front end or a CLI;
        # SRP for browsers, USER_PASSWORD_AUTH for scripts over TLS. No OAuth (hosted UI)
        # flows: nothing signs in through them.
        self.client = self.pool.add_client(
            "ApiClient",
            user_pool_client_name="portico-agent-api",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
        )
        for group in GROUPS:
            cognito.CfnUserPoolGroup(
                self, "Group" + "".join(part.capitalize() for part in group.split("-")),
                user_pool_id=self.pool.user_pool_id,
                group_name=group,
                description=GROUP_DESCRIPTIONS.get(group, group),
            )
