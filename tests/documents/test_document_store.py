"""Evidence files: only allowed types, within the size limit, under a name of our own; visible with their record."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, OpportunityFactory
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.documents.filetypes import name_clean, sniff
from xiaoguan.documents.models import Document
from xiaoguan.documents.selectors import documents_visible_to
from xiaoguan.documents.services import document_store

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx(*, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        if macros:
            z.writestr("word/vbaProject.bin", b"\x00")
    return buffer.getvalue()


def _store(data: bytes, name: str, **kwargs):  # type: ignore[no-untyped-def]
    opp = kwargs.pop("opportunity", None) or OpportunityFactory()
    return document_store(
        file=io.BytesIO(data), name=name, kind=kwargs.pop("kind", "requirements_survey"), uploaded_by=kwargs.pop("by", opp.owner),
        now=kwargs.pop("now"), opportunity=opp, **kwargs,
    )


def _file_error(exc: pytest.ExceptionInfo[ValidationFailedError]) -> str:
    return " ".join(exc.value.field_errors["file"])


def test_a_pdf_is_stored_under_a_generated_name_with_its_sniffed_type(clock):  # type: ignore[no-untyped-def]
    # given a real PDF
    doc = _store(PDF, "需求调研表-某医院.pdf", now=clock.at("2025-03-05 10:00"))
    # then the type comes from the bytes, the name shown is the cleaned original, the file on disk is ours
    assert doc.content_type == "application/pdf" and doc.size == len(PDF) and len(doc.sha256) == 64
    assert doc.original_name == "需求调研表-某医院.pdf"
    stored = Path(doc.file.path)
    assert stored.read_bytes() == PDF and "需求" not in stored.name and stored.suffix == ".pdf"
    assert doc.account == doc.opportunity.account


def test_wrong_type_is_refused_and_nothing_is_kept(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError) as refused:
        _store(b"MZ\x90\x00\x03" + b"\x00" * 60, "报价单.pdf", now=clock.at("2025-03-05 10:00"))
    assert "不支持的文件类型" in _file_error(refused)
    assert not Document.objects.exists()


def test_html_pretending_to_be_text_is_refused(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError):
        _store(b"<html><script>alert(1)</script></html>", "notes.txt", now=clock.at("2025-03-05 10:00"))


def test_an_extension_that_disagrees_with_the_bytes_is_refused(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError) as refused:
        _store(PNG, "合同.pdf", now=clock.at("2025-03-05 10:00"))
    assert ".pdf" in _file_error(refused) and "PNG" in _file_error(refused)


def test_over_the_size_limit_is_refused(clock, settings):  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationFailedError) as refused:
        _store(PDF + b"0" * 2000, "big.pdf", now=clock.at("2025-03-05 10:00"))
    assert "上限" in _file_error(refused)
    assert not Document.objects.exists()


@pytest.mark.parametrize("name", ["report.pdf.exe", "报价单.exe.pdf", "invoice.js.pdf"])
def test_double_extensions_that_execute_are_refused(clock, name):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError) as refused:
        _store(PDF, name, now=clock.at("2025-03-05 10:00"))
    assert "可执行" in _file_error(refused)


def test_office_files_with_macros_are_refused_and_clean_ones_kept(clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-05 10:00")
    with pytest.raises(ValidationFailedError):
        _store(_docx(macros=True), "方案书.docx", now=now)
    assert _store(_docx(), "方案书.docx", now=now).content_type.endswith("wordprocessingml.document")


def test_path_traversal_and_rtl_override_do_not_survive_the_name(clock):  # type: ignore[no-untyped-def]
    doc = _store(PDF, "../../etc/passwd\u202egpj.pdf", now=clock.at("2025-03-05 10:00"))
    assert "/" not in doc.original_name and ".." not in doc.original_name and "\u202e" not in doc.original_name
    assert doc.original_name.endswith(".pdf")
    assert Path(doc.file.path).resolve().is_relative_to(Path(doc.file.storage.location).resolve())


def test_names_are_nfkc_normalised_and_windows_paths_cut():  # type: ignore[no-untyped-def]
    assert name_clean("ＡＢＣ　报价.PDF").with_extension("pdf") == "ABC 报价.pdf"
    assert name_clean("C:\\Users\\x\\合同 v1.2.pdf").stem == "合同 v1_2"
    assert name_clean("...").stem == "file"


def test_sniff_knows_the_allowed_types():  # type: ignore[no-untyped-def]
    assert sniff(PDF).extension == "pdf"
    assert sniff(PNG).extension == "png"
    assert sniff("三方比价，供应商A 12万".encode()).extension == "txt"
    assert sniff(b"\x00\x01binary") is None


def test_a_rep_cannot_attach_to_someone_elses_deal(clock):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowedError):
        _store(PDF, "x.pdf", by=UserFactory(), now=clock.at("2025-03-05 10:00"))


def test_documents_are_visible_with_their_deal_or_account(clock):  # type: ignore[no-untyped-def]
    now = clock.at("2025-03-05 10:00")
    deal_doc = _store(PDF, "a.pdf", now=now)
    account = AccountFactory()
    account_doc = document_store(file=io.BytesIO(PDF), name="b.pdf", kind="other", uploaded_by=account.owner, now=now, account=account)
    # the deal's owner sees the deal's file, not the other account's; a stranger sees neither
    assert list(documents_visible_to(user=deal_doc.opportunity.owner)) == [deal_doc]
    assert list(documents_visible_to(user=account.owner)) == [account_doc]
    assert not documents_visible_to(user=UserFactory()).exists()
