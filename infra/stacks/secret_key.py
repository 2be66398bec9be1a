"""The stage's secret key and its numbered versions, as the functions receive them.

The app seals TOTP secrets and signs device cookies under keys derived from the secret, with
the secret's version number stored beside them (chalicelib/keys.py). So a rotation must hand
the functions the new secret *and* every earlier one still protecting something:

- `-c secretVersion=N` names the current secret: PORTICO_SECRET_KEY is the Secrets Manager
  version carrying the staging label `portico-vN`, PORTICO_SECRET_KEY_VERSION is N. Without the
  setting it is version 1, read at AWSCURRENT (the value the stack generated).
- `-c olderSecretVersions=1,2` lists the others the functions can still read
  (PORTICO_OLDER_SECRET_KEYS); by default every version below N, `none` for none. A version
  above N may be listed too: the rotation's first deploy lets the running release read what
  the next one will seal (docs/operations.md, "Rotate the secret key").

Every secret arrives as a CloudFormation dynamic reference, resolved at deploy time and never
in the template. A setting that is not a number is a Secrets Manager version id, the form the
runbook used before versions were numbered: that version is then version 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

LABEL = "portico-v{}"


@dataclass(frozen=True)
class SecretVersions:
    current: int
    older: tuple[int, ...]
    version_id: str | None = None  # a Secrets Manager version id instead of a numbered label

    @classmethod
    def from_settings(cls, secret_version: str | None, older: str | None) -> SecretVersions:
        version_id = None
        if secret_version is None:
            current = 1
        elif str(secret_version).strip().isdigit() and int(secret_version) >= 1:
            current = int(secret_version)
        elif str(secret_version).strip().isdigit():
            raise ValueError("secretVersion must be a version number from 1 (docs/operations.md)")
        else:
            current, version_id = 1, str(secret_version).strip()
        return cls(current=current, older=_older(current, older), version_id=version_id)


def _older(current: int, setting: str | None) -> tuple[int, ...]:
    if setting is None:
        return tuple(range(1, current))
    if str(setting).strip().lower() == "none":
        return ()
    parts = [part.strip() for part in str(setting).split(",") if part.strip()]
    if not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise ValueError("olderSecretVersions must be version numbers, comma-separated, or `none`")
    return tuple(sorted({int(part) for part in parts} - {current}))


def _reference(secret_arn: str, version_stage: str | None = None, version_id: str | None = None) -> str:
    return cdk.SecretValue.secrets_manager(secret_arn, version_stage=version_stage,
                                           version_id=version_id).unsafe_unwrap()


def key_environment(secret_arn: str, setting: str | None, older: str | None) -> dict[str, str]:
    """PORTICO_SECRET_KEY, PORTICO_SECRET_KEY_VERSION and PORTICO_OLDER_SECRET_KEYS
    (`<version>=<secret>` pairs, comma-separated: the runbook's secrets are hex)."""
    versions = SecretVersions.from_settings(setting, older)
    if setting is None or versions.version_id:
        # No rotation yet (AWSCURRENT: the template is as before versions were numbered), or
        # the current secret named by its Secrets Manager version id.
        current = _reference(secret_arn, version_id=versions.version_id)
    else:
        current = _reference(secret_arn, version_stage=LABEL.format(versions.current))
    # CloudFormation resolves a reference only when the function changes: each listed version
    # is part of the value, so changing the list (or N) changes the functions.
    older_keys = [f"{version}=" + _reference(secret_arn, version_stage=LABEL.format(version))
                  for version in versions.older]
    return {
        "PORTICO_SECRET_KEY": current,
        "PORTICO_SECRET_KEY_VERSION": str(versions.current),
        "PORTICO_OLDER_SECRET_KEYS": ",".join(older_keys),
    }
