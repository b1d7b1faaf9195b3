"""``workout-planner package``: write the ASK skill package (manifest and interaction models).

The result is the ``skill-package/`` layout the ASK CLI deploys::

    skill-package/skill.json
    skill-package/interactionModels/custom/<locale>.json    (one for every listed locale)

The manifest's fixed text is the template ``skill/deploy/skill.json``; only the endpoint and the
optional privacy URLs come from the command line. Usage, after ``serverless deploy``::

    workout-planner package --out skill-package \\
        --lambda-arn arn:aws:lambda:us-east-1:123456789012:function:workout-planner-prod-skill

or, for the self-hosted web service (certification accepts only a trusted certificate)::

    workout-planner package --endpoint-url https://skill.example.com/alexa \\
        --ssl-certificate-type Trusted --privacy-policy-url https://example.com/privacy
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

TEMPLATE = Path(__file__).with_name("skill.json")
#: The repository's interaction models, ``<locale>.json`` (``workout-planner model`` writes them).
DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "interaction_model"

_LAMBDA_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)


def build_manifest(
    endpoint: dict[str, str],
    *,
    privacy_policy_url: str | None = None,
    terms_of_use_url: str | None = None,
) -> dict[str, Any]:
    """The skill manifest from the template, with this endpoint and these privacy URLs."""
    skill: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))  # a fresh copy
    manifest = skill["manifest"]
    manifest["apis"]["custom"]["endpoint"] = dict(endpoint)
    # Skill events (SKILL_DISABLED: forget the person) go to the same function or URL.
    manifest["events"]["endpoint"] = dict(endpoint)
    urls = {"privacyPolicyUrl": privacy_policy_url, "termsOfUseUrl": terms_of_use_url}
    urls = {key: url for key, url in urls.items() if url}
    if urls:
        manifest["privacyAndCompliance"]["locales"] = {
            locale: dict(urls) for locale in listed_locales(skill)
        }
    return skill


def listed_locales(skill: dict[str, Any]) -> list[str]:
    """The locales the manifest lists in the store, each of which needs a model."""
    return list(skill["manifest"]["publishingInformation"]["locales"])


def write_skill_package(
    out: Path, skill: dict[str, Any], models: dict[str, dict[str, Any]]
) -> list[Path]:
    """Write the manifest and each locale's model under ``out``; returns the files written."""
    custom = out / "interactionModels" / "custom"
    custom.mkdir(parents=True, exist_ok=True)
    documents = {out / "skill.json": skill}
    documents.update({custom / f"{locale}.json": model for locale, model in models.items()})
    for path, document in documents.items():
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return list(documents)


def _lambda_arn(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _LAMBDA_ARN.fullmatch(value):
        raise click.BadParameter(
            "expected a Lambda function ARN, "
            "like arn:aws:lambda:us-east-1:123456789012:function:workout-planner-prod-skill"
        )
    return value


def _https_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise click.BadParameter(f"expected an https:// URL, got {value!r}")
    return value


def _load_model(path: Path) -> dict[str, Any]:
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
        invocation = model["interactionModel"]["languageModel"]["invocationName"]
    except FileNotFoundError:
        raise click.ClickException(
            f"no interaction model at {path}: generate it with `workout-planner model`"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path} is not an interaction model: {exc!r}") from None
    if not isinstance(invocation, str) or not invocation:
        raise click.ClickException(f"{path} has no invocation name")
    return model  # type: ignore[no-any-return]


@click.command("package")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("skill-package"),
    show_default=True,
    help="Directory to write the skill package into.",
)
@click.option("--lambda-arn", callback=_lambda_arn, help="Endpoint: the skill's Lambda ARN.")
@click.option("--endpoint-url", callback=_https_url, help="Endpoint: the web service's URL.")
@click.option(
    "--ssl-certificate-type",
    type=click.Choice(["Trusted", "Wildcard"]),
    help="Certificate of --endpoint-url (default Trusted).",
)
@click.option("--privacy-policy-url", callback=_https_url, help="Shown in the skill store.")
@click.option("--terms-of-use-url", callback=_https_url, help="Shown in the skill store.")
@click.option(
    "--models",
    "models_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MODELS,
    help="Directory of the <locale>.json interaction models to include.",
)
def package(
    out: Path,
    lambda_arn: str | None,
    endpoint_url: str | None,
    ssl_certificate_type: str | None,
    privacy_policy_url: str | None,
    terms_of_use_url: str | None,
    models_dir: Path,
) -> None:
    """Write the ASK skill package: skill.json and every listed locale's interaction model.

    \b
    Example:
        workout-planner package --lambda-arn arn:aws:lambda:us-east-1:123456789012:function:wp
        workout-planner package --endpoint-url https://skill.example.com/alexa
    """
    if (lambda_arn is None) == (endpoint_url is None):
        raise click.UsageError("give exactly one endpoint: --lambda-arn or --endpoint-url")
    if lambda_arn is not None:
        if ssl_certificate_type is not None:
            raise click.UsageError("--ssl-certificate-type applies only to --endpoint-url")
        endpoint = {"uri": lambda_arn}
    else:
        assert endpoint_url is not None
        endpoint = {"uri": endpoint_url, "sslCertificateType": ssl_certificate_type or "Trusted"}

    skill = build_manifest(
        endpoint, privacy_policy_url=privacy_policy_url, terms_of_use_url=terms_of_use_url
    )
    models = {
        locale: _load_model(models_dir / f"{locale}.json") for locale in listed_locales(skill)
    }
    for path in write_skill_package(out, skill, models):
        click.echo(f"wrote {path}")
