"""`python -m devstack.publish TEMPLATE --source-code-url URL`: the authorizer application's source URL, set
in a (packaged) template's `sam publish` metadata before `make publish-authorizer` publishes it.

`sam publish` reads the Serverless Application Repository metadata (AWS::ServerlessRepo::Application) from
the template and takes only --semantic-version on its command line; where the source lives (a fork, a
mirror) is the publisher's to say, so authorizer_app/template.yaml leaves SourceCodeUrl out and this sets it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from samcli.yamlhelper import yaml_dump, yaml_parse

SAR_METADATA = "AWS::ServerlessRepo::Application"


def with_source_code_url(template: dict[str, Any], url: str) -> dict[str, Any]:
    """The template with SourceCodeUrl (and HomePageUrl, unless set) in its SAR metadata; a bad URL or a
    template without that metadata raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"source code URL must be an https:// URL, not {url!r}")
    application = (template.get("Metadata") or {}).get(SAR_METADATA)
    if not isinstance(application, dict):
        raise ValueError(f"the template has no Metadata.{SAR_METADATA}")
    updated = {**application, "SourceCodeUrl": url}
    updated.setdefault("HomePageUrl", url)
    return {**template, "Metadata": {**template["Metadata"], SAR_METADATA: updated}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.publish", description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="the packaged template (rewritten in place)")
    parser.add_argument("--source-code-url", required=True, help="https:// URL of the source")
    args = parser.parse_args(argv)
    try:
        template = yaml_parse(args.template.read_text(encoding="utf-8"))
        updated = with_source_code_url(template, args.source_code_url)
    except (OSError, ValueError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    args.template.write_text(yaml_dump(updated), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
