"""The dedupe keys: one person or company written many ways gives one key; what is not a number gives none."""

from __future__ import annotations

import pytest

from xiaoguan.core.normalize import company_key, email_key, phone_key


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678", "+86 138 1234 5678", "+86-138-1234-5678", "0086 13812345678", "8613812345678", "138-1234-5678",
        "(+86) 138 1234 5678", "１３８１２３４５６７８", "手机：138 1234 5678", "13812345678 / 13912345678",
        " 138 1234 5678 ", "+86 138 1234 5678 转 801",
    ],
)
def test_a_mobile_written_many_ways_has_one_key(raw):
    assert phone_key(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["021-12345678", "(021) 1234 5678", "+86 21 1234 5678", "+86 (0)21 1234 5678", "021-12345678转801", "021-12345678-801", "862112345678"]
)
def test_a_landline_keeps_its_area_code(raw):
    assert phone_key(raw) == "02112345678"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "12345", "abc", "138abc12345678", "138123456789", "1381234567", "+1 415 555 1234", "001 415 555 1234", "0512-6666",
     "23812345678", "1" * 10_000, "😀😀😀"],
)
def test_a_malformed_number_has_no_key(raw):
    assert phone_key(raw) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "苏州恒力精密机械有限公司", "苏州恒力精密机械股份有限公司", "苏州恒力精密机械(中国)有限公司", "苏州恒力精密机械（中国）有限公司",
        "苏州恒力精密机械 有限公司", "苏州恒力精密机械有限责任公司", "苏州恒力精密机械集团有限公司", "苏州恒力精密机械", " 苏州恒力精密机械公司 ",
        "苏州恒力精密机械（中国）股份有限公司",
    ],
)
def test_company_suffixes_and_china_marks_are_ignored(raw):
    assert company_key(raw) == "苏州恒力精密机械"


def test_company_keys_of_latin_names_and_edge_cases():
    assert company_key("ＡＢＣ 科技 Co., Ltd.") == company_key("abc科技") == "abc科技"
    assert company_key("有限公司") == "有限公司"  # a bare suffix is not reduced to half of itself
    assert company_key("") == ""
    assert len(company_key("公" * 10_000)) <= 200


@pytest.mark.parametrize(("raw", "key"), [(" Chen@Example.CN ", "chen@example.cn"), ("Ａ@ｂ.cn", "a@b.cn"), ("a@b", ""), ("a b@c.cn", ""), ("x@y.", ""), ("", "")])
def test_email_key(raw, key):
    assert email_key(raw) == key
