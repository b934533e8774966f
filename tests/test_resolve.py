"""Entity resolution: each normalisation rule and each failure mode, on small golden frames."""

from __future__ import annotations

import polars as pl
import pytest

from enrichers.names import address_key, name_parts
from enrichers.resolve import resolve


@pytest.mark.parametrize(
    ("name", "core", "brand"),
    [
        ("淄博鑫盛财富管理有限公司", "鑫盛财富管理", "鑫盛"),  # place prefix + industry + form
        ("山东省淄博市鑫盛实业发展有限公司", "鑫盛实业发展", "鑫盛"),  # stacked places with suffixes
        ("淄博鑫盛財富管理有限公司", "鑫盛财富管理", "鑫盛"),  # traditional characters
        ("淄博ＡＢＣ商贸有限公司", "ABC商贸", "ABC"),  # full-width letters
        ("辛尔森企业管理咨询（北京）有限公司", "辛尔森企业管理咨询", "辛尔森"),  # bracketed place
        ("鑫盛财富（文昌湖店）", "鑫盛财富", "鑫盛"),  # bracketed shop suffix
        ("鑫盛财富萌水店", "鑫盛财富", "鑫盛"),  # town + 店 suffix
        ("淄博市文昌湖区萌水镇张记面馆", "张记面馆", "张记"),  # individual business
        ("淄博商家镇绿源种植专业合作社", "绿源种植", "绿源"),  # cooperative form
        ("淄博鑫盛财富管理有限公司萌水分公司", "鑫盛财富管理", "鑫盛"),  # branch → parent
        ("商家乐超市", "商家乐超市", "商家乐"),  # a town name is stripped only with its suffix
    ],
)
def test_name_parts(name, core, brand):
    parts = name_parts(pl.Series([name])).row(0, named=True)
    assert (parts["core"], parts["brand"]) == (core, brand)


def test_branch_keeps_its_parent():
    parts = name_parts(pl.Series(["中国农业银行股份有限公司淄博文昌湖支行"])).row(0, named=True)
    assert parts["is_branch"] and parts["parent_norm"] == "中国农业银行股份有限公司"


def test_address_key_ignores_places_and_width():
    keys = address_key(
        pl.Series(["淄博市文昌湖区萌水镇萌山路8号", "山东省淄博市文昌湖区萌水镇萌山路８号", None])
    )
    assert keys.to_list() == ["萌山路8号", "萌山路8号", None]


REGS = pl.DataFrame(
    {
        "uscc": ["A", "B", "C", "D", "E", "F"],
        "name": [
            "淄博鑫盛财富管理有限公司",
            "淄博鑫盛建材有限公司",
            "淄博文昌湖区萌水镇张记面馆",
            "淄博宏泰农业科技有限公司",
            "淄博益泓商贸有限公司",
            "淄博春致企业管理咨询有限公司",
        ],
        "address": ["淄博市文昌湖区萌水镇萌山路8号", None, None, None, None, None],
        "town": ["萌水镇", None, "萌水镇", None, None, None],
        "legal_rep": ["王建国", "李四", "张三", "赵六", "孙七", "周八"],
    }
)


def link(name, kind="clue", uscc=None, address=None):
    sources = pl.DataFrame(
        {
            "source_kind": [kind],
            "source_id": ["S1"],
            "name": [name],
            "uscc": [uscc],
            "address": [address],
            "town": [None],
        },
        schema={c: pl.Utf8 for c in ("source_kind", "source_id", "name", "uscc", "address", "town")},
    )
    return resolve(REGS, sources)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "expected", "method"),
    [
        ("淄博鑫盛财富管理有限公司", "A", "name"),
        ("鑫盛財富管理", "A", "core"),  # traditional, no place or form
        ("淄博鑫盛财富管理有限公司萌水分公司", "A", "core"),  # branch of a registered parent
        ("亿泓商贸", "E", "typo"),  # one character wrong (益 → 亿)
        ("春致财富（萌水店）", "F", "brand"),  # shop name with a unique brand
        ("张记", "C", "short_name"),  # short name only
    ],
)
def test_links_each_variant(name, expected, method):
    result = link(name)
    assert result.links.select("uscc", "method").row(0) == (expected, method)


def test_exact_code_wins():
    result = link("完全不同的名字", uscc="D")
    assert result.links.select("uscc", "method", "score").row(0) == ("D", "code", 1.0)


def test_two_close_candidates_go_to_review_not_a_guess():
    result = link("鑫盛")  # both 鑫盛财富管理 and 鑫盛建材 carry the brand
    assert result.links.height == 0
    assert sorted(result.review["uscc"].to_list()) == ["A", "B"]


def test_unknown_operator_is_unmatched():
    result = link("瀚峰健康体验店")
    assert result.links.height == 0
    assert result.unmatched["name"].to_list() == ["瀚峰健康体验店"]


def test_person_account_links_through_a_unique_legal_rep():
    result = link("孙七", kind="alert")
    assert result.links.select("uscc", "method").row(0) == ("E", "legal_rep")


@pytest.mark.slow
def test_address_disagreement_lowers_a_fuzzy_match():
    near = link("鑫盛财富", address="萌山路8号").links
    far = link("鑫盛财富", address="商家镇东商村36号").links
    assert near["score"][0] > far["score"][0] if far.height else near.height == 1


def test_company_named_inside_clue_text_is_linked():
    sources = pl.DataFrame(
        {
            "source_kind": ["clue"],
            "source_id": ["S1"],
            "name": ["某理财店"],
            "uscc": [None],
            "address": [None],
            "town": [None],
        },
        schema={c: pl.Utf8 for c in ("source_kind", "source_id", "name", "uscc", "address", "town")},
    )
    contexts = pl.DataFrame(
        {
            "source_kind": ["clue"],
            "source_id": ["S1"],
            "context": ["我在淄博鑫盛财富管理有限公司买了理财，听说宏泰农业科技有限公司也在搞代养殖"],
        }
    )
    links = resolve(REGS, sources, contexts).links
    assert sorted(links.filter(pl.col("method") == "content")["uscc"].to_list()) == ["A", "D"]


def test_ambiguous_or_short_mentions_are_not_linked():
    contexts = pl.DataFrame(
        {
            "source_kind": ["clue"],
            "source_id": ["S1"],
            "context": ["有一家叫鑫盛的有限公司，还有张记有限公司"],
        }
    )
    sources = pl.DataFrame(
        schema={c: pl.Utf8 for c in ("source_kind", "source_id", "name", "uscc", "address", "town")}
    )
    assert resolve(REGS, sources, contexts).links.height == 0


SAME_NAME = pl.DataFrame(
    {
        "uscc": ["G1", "G2", "G3"],
        "name": ["文昌湖区萌水镇于记蔬菜种植园"] * 3,
        "address": [
            "淄博市文昌湖区萌水镇萌泉路134号",
            "淄博市文昌湖区萌水镇柳行村143号",
            "淄博市文昌湖区萌水镇河南村51号",
        ],
        "town": ["萌水镇"] * 3,
        "grid": ["萌水镇第18网格", "萌水镇第8网格", "萌水镇第22网格"],
    }
)


@pytest.mark.parametrize(
    ("address", "grid", "expected"),
    [
        (None, "萌水镇第18网格", "G1"),  # the clue's grid picks one of three equal names
        ("萌水镇柳行村143号", None, "G2"),  # the clue's address picks another
        (None, None, None),  # nothing to choose by: review, never a guess
        (None, "萌水镇第3网格", None),  # a grid none of them is in
    ],
)
def test_place_decides_between_registrations_of_the_same_name(address, grid, expected):
    src = pl.DataFrame(
        {
            "source_kind": ["clue"],
            "source_id": ["X1"],
            "name": ["文昌湖区萌水镇于记蔬菜种植园"],
            "uscc": [None],
            "address": [address],
            "town": ["萌水镇"],
            "grid": [grid],
        },
        schema_overrides={"uscc": pl.Utf8, "address": pl.Utf8, "grid": pl.Utf8},
    )
    result = resolve(SAME_NAME, src)
    linked = result.links["uscc"].to_list()
    assert linked == ([expected] if expected else [])
    if expected is None:
        assert set(result.review["uscc"]) == {"G1", "G2", "G3"}
    else:
        assert result.links["score"].max() <= 1.0


PEOPLE = pl.DataFrame(
    {
        "uscc": ["P1", "P2", "P3", "P4"],
        # P4's 字号 is a person's name: it must not outrank the account holder's ID
        "name": [
            "淄博宏远商贸有限公司",
            "淄博恒泰商贸有限公司",
            "淄博安顺商贸有限公司",
            "淄博文昌湖区张建国保健品店",
        ],
        "legal_rep": ["张建国", "张建国", "李明", "王五"],
        "legal_rep_id": [
            "370303198001011234",
            "370303197502023456",
            "370303199003035678",
            "370303198504047890",
        ],
    }
)


@pytest.mark.parametrize(
    ("holder_id", "expected"),
    [
        ("370303197502023456", "P2"),  # the bank's KYC ID picks one of two 张建国
        (" 370303197502023456 ", "P2"),  # spaces and case do not matter
        (None, None),  # a common name alone names two legal representatives (and a shop): no link
        ("110101199901019999", None),  # an ID that is nobody's legal representative
    ],
)
def test_personal_account_links_by_holder_id(holder_id, expected):
    src = pl.DataFrame(
        {
            "source_kind": ["alert"],
            "source_id": ["A1"],
            "name": ["张建国"],
            "uscc": [None],
            "address": [None],
            "town": [None],
            "holder_id": [holder_id],
        },
        schema_overrides={"uscc": pl.Utf8, "address": pl.Utf8, "town": pl.Utf8, "holder_id": pl.Utf8},
    )
    links = resolve(PEOPLE, src).links
    assert links["uscc"].to_list() == ([expected] if expected else [])
    if expected:
        assert links["method"].to_list() == ["holder_id"]
