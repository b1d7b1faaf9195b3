"""`workout-planner package`: the ASK skill package, its manifest, and its example phrases."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from skill.cli import main
from skill.content import bundled_locales, load_content
from skill.deploy.package import DEFAULT_MODELS, TEMPLATE, build_manifest
from skill.model import model_path
from skill.nlu import FALLBACK, LAUNCH, Resolver

#: Every English-speaking market the skill is listed in.
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")

ARN = "arn:aws:lambda:us-east-1:123456789012:function:workout-planner-prod-skill"
URL = "https://skill.example.com/alexa"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["package", *args])


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "skill-package"


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the files ---------------------------------------------------------------------------------


def test_writes_manifest_and_model_for_a_lambda_endpoint(out):
    result = run("--out", str(out), "--lambda-arn", ARN)
    assert result.exit_code == 0, result.output
    skill = read(out / "skill.json")
    assert skill["manifest"]["apis"]["custom"]["endpoint"] == {"uri": ARN}
    # The same function hears SKILL_DISABLED, to forget the account's progress.
    assert skill["manifest"]["events"] == {
        "endpoint": {"uri": ARN},
        "subscriptions": [{"eventName": "SKILL_DISABLED"}],
    }
    for locale in LOCALES:
        packaged = read(out / "interactionModels" / "custom" / f"{locale}.json")
        assert packaged == read(model_path(locale, DEFAULT_MODELS)), locale
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == sorted(
        [*(f"interactionModels/custom/{locale}.json" for locale in LOCALES), "skill.json"]
    )


@pytest.mark.parametrize(("given", "expected"), [((), "Trusted"), (("Wildcard",), "Wildcard")])
def test_https_endpoint_carries_its_certificate_type(out, given, expected):
    options = [a for value in given for a in ("--ssl-certificate-type", value)]
    result = run("--out", str(out), "--endpoint-url", URL, *options)
    assert result.exit_code == 0, result.output
    manifest = read(out / "skill.json")["manifest"]
    endpoint = {"uri": URL, "sslCertificateType": expected}
    assert manifest["apis"]["custom"]["endpoint"] == endpoint
    assert manifest["events"]["endpoint"] == endpoint


def test_privacy_urls_are_optional(out):
    assert "locales" not in build_manifest({"uri": ARN})["manifest"]["privacyAndCompliance"]
    result = run(
        "--out",
        str(out),
        "--lambda-arn",
        ARN,
        "--privacy-policy-url",
        "https://example.com/privacy",
        "--terms-of-use-url",
        "https://example.com/terms",
    )
    assert result.exit_code == 0, result.output
    privacy = read(out / "skill.json")["manifest"]["privacyAndCompliance"]
    urls = {
        "privacyPolicyUrl": "https://example.com/privacy",
        "termsOfUseUrl": "https://example.com/terms",
    }
    assert privacy["locales"] == dict.fromkeys(LOCALES, urls)


def test_the_template_is_not_modified():
    before = TEMPLATE.read_text(encoding="utf-8")
    build_manifest({"uri": ARN}, privacy_policy_url="https://example.com/privacy")
    assert TEMPLATE.read_text(encoding="utf-8") == before
    assert "endpoint" not in read(TEMPLATE)["manifest"]["apis"]["custom"]


# --- the manifest ------------------------------------------------------------------------------


@pytest.fixture
def manifest() -> dict[str, Any]:
    return build_manifest({"uri": ARN})["manifest"]


def test_manifest_shape(manifest):
    assert manifest["manifestVersion"] == "1.0"
    publishing = manifest["publishingInformation"]
    assert publishing["category"] == "HEALTH_AND_FITNESS"
    assert publishing["isAvailableWorldwide"] is False
    assert manifest["privacyAndCompliance"] == {
        "allowsPurchases": False,
        "usesPersonalInfo": False,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
    }


def test_every_bundled_locale_is_listed_and_no_other(manifest):
    assert list(manifest["publishingInformation"]["locales"]) == list(LOCALES)
    assert set(LOCALES) == set(bundled_locales())


def test_distributed_only_where_a_locale_knows_the_emergency_number(manifest):
    """Offered in each locale's own country only: New Zealand devices speak en-AU, but there
    the emergency number is 111, not the triple zero the en-AU advice names."""
    publishing = manifest["publishingInformation"]
    countries = sorted(publishing["distributionCountries"])
    assert countries == sorted(load_content(locale).facts.country for locale in LOCALES)
    assert countries == ["AU", "CA", "GB", "IN", "US"]
    assert "NZ" not in countries and publishing["isAvailableWorldwide"] is False


@pytest.mark.parametrize("locale", LOCALES)
def test_store_listing(manifest, locale):
    listing = manifest["publishingInformation"]["locales"][locale]
    assert listing["name"] == "Workout Planner"
    assert 0 < len(listing["summary"]) <= 160
    assert 0 < len(listing["description"]) <= 4000
    assert len(listing["examplePhrases"]) == 3
    assert 0 < len(listing["keywords"]) <= 30


def test_the_skill_declares_apl_for_round_hubs_landscape_hubs_and_tv(manifest):
    """Without the interface declared, no device tells the skill it has a screen."""
    (apl,) = manifest["apis"]["custom"]["interfaces"]
    assert apl["type"] == "ALEXA_PRESENTATION_APL"
    shapes = {(v["mode"], v["shape"]) for v in apl["supportedViewports"]}
    assert shapes == {("HUB", "ROUND"), ("HUB", "RECTANGLE"), ("TV", "RECTANGLE")}
    for viewport in apl["supportedViewports"]:
        assert viewport["minWidth"] <= viewport["maxWidth"]
        assert viewport["minHeight"] <= viewport["maxHeight"]


@pytest.mark.parametrize("locale", LOCALES)
def test_description_carries_the_health_disclaimer_and_the_emergency_number(manifest, locale):
    # Amazon's policy for health and fitness skills.
    description = " ".join(
        manifest["publishingInformation"]["locales"][locale]["description"].split()
    )
    assert "not a substitute for professional medical advice, diagnosis or treatment" in description
    number = load_content(locale).facts.emergency_number
    assert f"emergency, call {number} immediately" in description
    others = {load_content(other).facts.emergency_number for other in LOCALES} - {number}
    assert not any(re.search(rf"\b{other}\b", description) for other in others)


# --- the example phrases resolve through the model, as certification checks -------------------


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_file(model_path("en-US"))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_example_phrase_resolves_exactly_through_its_locales_model(locale):
    resolver = Resolver.from_file(model_path(locale))
    phrases = read(TEMPLATE)["manifest"]["publishingInformation"]["locales"][locale][
        "examplePhrases"
    ]
    resolved = {phrase: resolver.resolve(phrase) for phrase in phrases}
    assert {phrase: found.intent for phrase, found in resolved.items()} == {
        "Alexa, open workout planner": LAUNCH,
        "Alexa, ask workout planner to start the upper back routine": "StartRoutineIntent",
        "Alexa, ask workout planner is it safe to crack my back": "FaqCrackSafetyIntent",
    }
    for phrase, found in resolved.items():
        # Certification says each phrase aloud: wake word, invocation name, then a sample
        # word for word (no near match), with every slot value in its type's catalogue.
        assert phrase.startswith("Alexa, ") and found.one_shot, phrase
        assert found.score == 1.0, (phrase, found)
        assert all(value_id for _, value_id in found.slots.values()), (phrase, found)


def test_a_phrase_the_model_does_not_hold_would_not_pass(resolver):
    assert resolver.resolve("Alexa, ask workout planner to bake a cake").intent == FALLBACK
    assert resolver.resolve("Alexa, ask workout planner is it safe to crak my back").score < 1.0


# --- bad options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one endpoint"),
        (("--lambda-arn", ARN, "--endpoint-url", URL), "exactly one endpoint"),
        (("--endpoint-url", "http://skill.example.com/alexa"), "https://"),
        (("--endpoint-url", "https:///alexa"), "https://"),
        (("--lambda-arn", "arn:aws:s3:::bucket"), "Lambda function ARN"),
        (("--lambda-arn", "workout-planner-prod-skill"), "Lambda function ARN"),
        (("--lambda-arn", ARN, "--ssl-certificate-type", "Trusted"), "only to --endpoint-url"),
        (("--endpoint-url", URL, "--ssl-certificate-type", "SelfSigned"), "SelfSigned"),
        (("--lambda-arn", ARN, "--privacy-policy-url", "http://example.com/p"), "https://"),
    ],
)
def test_bad_options_are_usage_errors(out, args, message):
    result = run("--out", str(out), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_missing_model_says_how_to_make_it(out, tmp_path):
    result = run("--out", str(out), "--lambda-arn", ARN, "--models", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "workout-planner model" in result.output
    assert not out.exists()


def test_a_missing_locale_model_names_it(out, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for locale in LOCALES[:-1]:
        (models / f"{locale}.json").write_text(model_path(locale).read_text())
    result = run("--out", str(out), "--lambda-arn", ARN, "--models", str(models))
    assert result.exit_code == 1
    assert f"{LOCALES[-1]}.json" in result.output and "workout-planner model" in result.output
    assert not out.exists()


def test_lambda_arn_with_a_qualifier_is_accepted(out):
    result = run("--out", str(out), "--lambda-arn", f"{ARN}:live")
    assert result.exit_code == 0, result.output
