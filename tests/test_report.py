"""The HTML campaign report: every section present, database text escaped, .html only."""

from __future__ import annotations

import pytest

from fundrisk.errors import BadInput
from fundrisk.publish.report import write_report
from fundrisk.warehouse import connect
from tests.conftest import scored_district


def test_report_sections_and_escaping(tmp_path):
    db = scored_district(tmp_path, entities=1200, seed=5, run_id="R-rep")
    con = connect(db)
    con.execute(
        "UPDATE risk_scores SET name = '<script>alert(1)</script>' WHERE subject_id = "
        "(SELECT subject_id FROM risk_scores ORDER BY expected_yield DESC LIMIT 1)"
    )
    path = write_report(con, tmp_path / "报告.html")
    with pytest.raises(BadInput, match=r"\.html"):
        write_report(con, tmp_path / "报告.pdf")
    con.close()
    html = path.read_text(encoding="utf-8")
    for heading in (
        "风险等级分布",
        "各镇街风险主体",
        "历次运行",
        "处置进展",
        "重点核查对象",
        "逾期未整改事项",
    ):
        assert heading in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") >= 3 and "R-rep" in html
