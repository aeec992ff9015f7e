"""Drives pgrotate's Vault-compatible API with hvac, Vault's Python client, exactly as an application would.

Usage: VAULT_ADDR=URL VAULT_TOKEN=TOKEN hvac_driver.py MOUNT DYNAMIC_ROLE STATIC_NAME
(hvac takes the address and the token from the environment, as applications configured for Vault do.)

Prints one JSON object per line on stdout, one per step, and waits for a line on stdin after each credential it
prints, so that the test driving it can log in with that credential (no PostgreSQL driver is needed here):
  lookup_self  what the token lookup answered (hvac's is_authenticated must be true)
  generate     the dynamic credential (then waits)
  renew        the renewal's answer (then waits, so the test can check the login's new expiry)
  revoke       the status of the revocation (then waits, so the test can check the login is gone)
  static       the static credential (then waits)
  forbidden    what hvac raised for a role the token may not use
  unknown_path what hvac raised for a path the mount does not have
"""
import json
import sys

import hvac
import hvac.exceptions


def emit(step, **fields):
    print(json.dumps(dict(step=step, **fields)), flush=True)


def wait():
    if sys.stdin.readline().strip() != "next":
        sys.exit("driver: the test did not ask for the next step")


def failure(call):
    try:
        call()
    except hvac.exceptions.VaultError as e:
        return dict(type=type(e).__name__, errors=e.errors)
    return dict(type=None, errors=None)


def main():
    mount, role, static = sys.argv[1:4]
    client = hvac.Client()

    emit("lookup_self", authenticated=client.is_authenticated(), response=client.auth.token.lookup_self())

    generated = client.secrets.database.generate_credentials(name=role, mount_point=mount)
    emit("generate", response=generated)
    wait()

    renewed = client.sys.renew_lease(lease_id=generated["lease_id"], increment=7200)
    emit("renew", response=renewed)
    wait()

    revoked = client.sys.revoke_lease(lease_id=generated["lease_id"])
    emit("revoke", status=revoked.status_code)
    wait()

    emit("static", response=client.secrets.database.get_static_credentials(name=static, mount_point=mount))
    wait()

    emit("forbidden", **failure(lambda: client.secrets.database.generate_credentials(name="not/allowed", mount_point=mount)))
    # client.read() turns a 404 into None; the adapter underneath raises what hvac makes of the answer.
    emit("unknown_path", **failure(lambda: client.adapter.get("/v1/" + mount + "/config/anything")))


if __name__ == "__main__":
    main()
