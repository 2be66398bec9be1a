"""Print an agent ID token from the running local stack (`make agent-token`).

Logs in through Cognito (moto) with USER_PASSWORD_AUTH, as a real front end would, using
the agent in .local/stack.json unless --email/--password are given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

STACK_FILE = Path(__file__).resolve().parent.parent / ".local" / "stack.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--email")
    parser.add_argument("--password")
    args = parser.parse_args()
    if not STACK_FILE.exists():
        print("No local stack: run `make run` first.", file=sys.stderr)
        return 1
    state = json.loads(STACK_FILE.read_text())
    import boto3

    idp = boto3.client("cognito-idp", region_name=state["region"], endpoint_url=state["aws_endpoint_url"],
                       aws_access_key_id="local", aws_secret_access_key="local")
    answer = idp.initiate_auth(
        ClientId=state["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": args.email or state["agent"]["email"],
                        "PASSWORD": args.password or state["agent"]["password"]})
    print(answer["AuthenticationResult"]["IdToken"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
