"""The AWS configuration a Nova run needs, checked once before any file is read.

A wrong ``--profile`` or missing credentials would otherwise fail every file of a run, one
by one, and the run would "succeed" with nothing embedded. :func:`check_aws_configuration`
raises :class:`~nova_toolkit.ConfigurationError` instead, which stops the run (the CLI prints
it as one line, exit 2). It reads only local configuration (files, environment, and the
credential chain's providers), and makes no AWS call.
"""

from __future__ import annotations

from typing import Any

from nova_toolkit._core.errors import ConfigurationError


def check_aws_configuration(session: Any, profile: str | None) -> None:
    """Raise :class:`ConfigurationError` when ``session`` has no such profile or no credentials."""
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    try:
        credentials = session.get_credentials()
    except ProfileNotFound:
        known = sorted(session.available_profiles)
        hint = (f"; profiles here: {', '.join(known)}" if known
                else "; none is configured (aws configure --profile NAME)")
        raise ConfigurationError(f"--profile {profile!r}: no such AWS profile{hint}") from None
    except BotoCoreError as exc:  # a broken config file, a credential process that fails
        raise ConfigurationError(f"the AWS configuration cannot be used: {exc}") from None
    if credentials is None:
        raise ConfigurationError(
            "no AWS credentials found: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY, or run `aws configure`")
