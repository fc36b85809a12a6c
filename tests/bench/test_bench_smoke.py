"""`python -m bench --quick` runs end to end and writes every figure. A smoke test, not a benchmark:
nothing here depends on how fast anything is."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "floor_us": "µs",
    "floor_instructions": "instr",
    "new_token_ratio": "x",
    "new_token_ratio_instructions": "x",
    "new_token_ratio_quiet": "x",
    "new_token_ratio_quiet_instructions": "x",
    "new_token_ratio_six_issuers": "x",
    "new_token_ratio_six_issuers_instructions": "x",
    "repeated_token_ratio": "x",
    "repeated_token_ratio_instructions": "x",
    "reference_new_token_ratio": "x",
    "reference_new_token_ratio_instructions": "x",
    "dpop_floor_us": "µs",
    "dpop_floor_instructions": "instr",
    "dpop_request_ratio": "x",
    "dpop_request_ratio_instructions": "x",
    "dpop_repeated_token_ratio": "x",
    "dpop_repeated_token_ratio_instructions": "x",
    "cold_import_ratio": "x",
    "api_cold_import_ratio": "x",
    "rie_cold_start_ratio": "x",
    "rie_cold_start_ratio_instructions": "x",
    "api_rie_cold_start_ratio": "x",
    "api_rie_cold_start_ratio_instructions": "x",
    "api_rie_first_item_ratio": "x",
    "api_rie_first_item_ratio_instructions": "x",
    "first_request_ms": "ms",
    "authorizer_peak_rss_mb": "MB",
    "api_peak_rss_mb": "MB",
    "empty_cold_start_instructions": "instr",
    "local_requests_per_second": "req/s",
    "local_p50_ms": "ms",
    "local_p99_ms": "ms",
    "revocation_new_token_ratio": "x",
    "revocation_new_token_ratio_instructions": "x",
    "revocation_repeated_token_ratio": "x",
    "revocation_repeated_token_ratio_instructions": "x",
    "revocation_refresh_ms": "ms",
    "revocation_refresh_cpu_ms": "ms",
}
BUDGETS = {  # enforced: the warm ones and the RIE cold starts on instruction counts
    "new_token_ratio_instructions": 2.8,
    "new_token_ratio_six_issuers_instructions": 2.7,
    "repeated_token_ratio_instructions": 0.34,
    "dpop_request_ratio_instructions": 2.9,
    "revocation_new_token_ratio_instructions": 2.9,
    "revocation_repeated_token_ratio_instructions": 0.38,
    "cold_import_ratio": 1.6,
    "authorizer_peak_rss_mb": 45.0,
    "api_peak_rss_mb": 75.0,
    "rie_cold_start_ratio_instructions": 2.7,
    "api_rie_cold_start_ratio_instructions": 3.8,
    "api_rie_first_item_ratio_instructions": 16.3,
}
TIMED_BUDGETS = {  # shown beside the timed ratios, never enforced
    "new_token_ratio": 4.0,
    "new_token_ratio_six_issuers": 4.0,
    "repeated_token_ratio": 0.5,
    "dpop_request_ratio": 4.0,
    "revocation_new_token_ratio": 4.0,
    "revocation_repeated_token_ratio": 0.5,
    "rie_cold_start_ratio": 2.0,
    "api_rie_cold_start_ratio": 3.0,
    "api_rie_first_item_ratio": 7.0,
}


def test_quick_bench_writes_every_figure_as_json(tmp_path: Path) -> None:
    # WHEN the quick bench runs (all sections, a few rounds each, a one-second load on the local stack)
    output = tmp_path / "results.json"
    process = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--markdown", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # under load: the counted figures run under callgrind
        check=False,
    )
    # THEN it succeeds, prints the machine and the table, and the JSON holds every figure with its unit
    # and budget
    assert process.returncode == 0, process.stderr[-3000:]
    assert f"wrote {output}" in process.stdout
    assert "| `new_token_ratio` |" in process.stdout  # the README's Markdown table
    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["units"] == FIGURES
    listed = list(results["units"])  # in the table's order: each counted figure right after its timed twin
    assert listed.index("new_token_ratio_instructions") == listed.index("new_token_ratio") + 1
    assert listed.index("floor_instructions") == listed.index("floor_us") + 1
    assert listed.index("rie_cold_start_ratio_instructions") == listed.index("rie_cold_start_ratio") + 1
    assert (
        listed.index("revocation_new_token_ratio_instructions")
        == listed.index("revocation_new_token_ratio") + 1
    )
    assert results["budgets"] == BUDGETS
    assert results["timed_budgets"] == TIMED_BUDGETS
    assert results["quick"] is True
    for key in FIGURES:
        assert isinstance(results[key], float), key
        assert math.isfinite(results[key]), key
        assert results[key] > 0, key
        assert key in process.stdout
    assert set(results["machine"]) == {
        "cpu",
        "cores",
        "system",
        "python",
        "pyjwt",
        "cryptography",
        "aws_lambda_powertools",
        "load_average_before",
        "load_average_after",
    }
    assert len(results["machine"]["load_average_before"]) == 3
    assert f"machine: {results['machine']['cpu']}, " in process.stdout
