"""The authorizer application's `sam publish` metadata, and the source URL given when publishing."""

from __future__ import annotations

from pathlib import Path

import pytest
from samcli.yamlhelper import yaml_parse

from devstack.publish import SAR_METADATA, main, with_source_code_url
from devstack.template import AUTHORIZER_APP_PATH, load_template


def test_the_application_carries_what_sam_publish_needs_and_its_files_exist() -> None:
    metadata = load_template(AUTHORIZER_APP_PATH)["Metadata"][SAR_METADATA]

    assert set(metadata) == {
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "Labels",
        "SemanticVersion",
    }
    assert (AUTHORIZER_APP_PATH.parent / metadata["LicenseUrl"]).is_file()
    assert (AUTHORIZER_APP_PATH.parent / metadata["ReadmeUrl"]).is_file()
    major, minor, patch = metadata["SemanticVersion"].split(".")
    assert all(part.isdigit() for part in (major, minor, patch))


def test_the_source_url_is_set_when_publishing_and_the_home_page_defaults_to_it(tmp_path: Path) -> None:
    packaged = tmp_path / "packaged.yaml"
    packaged.write_text(AUTHORIZER_APP_PATH.read_text(encoding="utf-8"), encoding="utf-8")

    assert main([str(packaged), "--source-code-url", "https://github.com/example/authorizer"]) == 0

    rewritten = yaml_parse(packaged.read_text(encoding="utf-8"))
    metadata = rewritten["Metadata"][SAR_METADATA]
    assert (metadata["SourceCodeUrl"], metadata["HomePageUrl"]) == (
        "https://github.com/example/authorizer",
        "https://github.com/example/authorizer",
    )
    assert rewritten["Resources"] == load_template(AUTHORIZER_APP_PATH)["Resources"]


@pytest.mark.parametrize("url", ["http://github.com/x", "github.com/x", "https://"])
def test_a_source_url_that_is_not_https_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"^source code URL must be an https:// URL"):
        with_source_code_url(load_template(AUTHORIZER_APP_PATH), url)


def test_a_template_without_publish_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^the template has no Metadata.AWS::ServerlessRepo::Application$"):
        with_source_code_url({"Resources": {}}, "https://example.com/src")
