"""Tests for the gesetze-im-internet XML loader, on the real corpus files."""
from __future__ import annotations

import json
import unicodedata
import zipfile

import pytest

from fundstelle.settings import Settings
from index.chunk import LoadedDocument
from ingest.errors import IngestError
from ingest.loaders import law_xml
from ingest.loaders.base import SourceInfo

SETTINGS = Settings()
CORPUS = SETTINGS.corpus
DEV_SET = CORPUS.parent / "eval" / "dev.jsonl"

SGB2_2026 = "sgb2/gii_stand_2026-04-23/BJNR295500003.xml"
SGB2_2025 = "sgb2/gii_stand_2025-02-27/BJNR295500003.xml"
SGB2_2025_ZIP = "sgb2/gii_stand_2025-02-27/sgb_2_xml.zip"
SGB3_2026 = "sgb3/gii_stand_2026-04-22/BJNR059500997.xml"
SGB3_2024_ZIP = "sgb3/gii_stand_2024-12-31/sgb_3_xml.zip"
KENNZAHLEN_VO = "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml"
BUERGERGELD_VO = "sgb2/buergergeld_verordnung_algiiv/BJNR294200007.xml"
RBSFV_2026 = "sgb2/rbsfv_2026/BJNR0F30B0025.xml"
ALL_FILES = (SGB2_2026, SGB2_2025, SGB2_2025_ZIP, SGB3_2026, SGB3_2024_ZIP, KENNZAHLEN_VO,
             BUERGERGELD_VO, RBSFV_2026)

_cache: dict[tuple[str, str], LoadedDocument] = {}


def load(relative: str, doc_id: str | None = None) -> LoadedDocument:
    key = (relative, doc_id or relative)
    if key not in _cache:
        _cache[key] = law_xml.load(SourceInfo(doc_id=doc_id or relative, path=CORPUS / relative), SETTINGS)
    return _cache[key]


def chunk(document: LoadedDocument, label: str):
    matches = [c for c in document.chunks if c.label == label]
    assert matches, f"no chunk labelled {label!r}"
    return matches[0]


def normalised(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def test_sgb2_absatz_chunk_has_label_text_locator_and_deep_link():
    c = chunk(load(SGB2_2026), "§ 14 Abs. 1 SGB II")
    assert c.text.startswith("(1) Die Träger der Leistungen nach diesem Buch unterstützen erwerbsfähige "
                             "Leistungsberechtigte umfassend und nachhaltig")
    assert c.locator == {"law": "SGB II", "paragraph": "14", "absatz": "1"}
    assert c.url.endswith("/sgb_2/__14.html")
    assert c.extra["paragraph_title"] == "Grundsatz des Förderns"
    assert c.kind == "law" and c.doc_type == "Gesetz"
    assert c.title == "Sozialgesetzbuch (SGB) Zweites Buch (II) - Bürgergeld, Grundsicherung für Arbeitsuchende"


def test_sgb2_stand_and_fassung_come_from_standangabe_and_builddate():
    c = chunk(load(SGB2_2026), "§ 14 Abs. 1 SGB II")
    assert c.stand == "zuletzt geändert durch Art. 8 G v. 22.12.2025 I Nr. 363"
    assert c.stand_date == "2026-04-23"
    assert c.extra["builddate"] == "20260423215507"
    assert c.extra["jurabk"] == "SGB 2"
    assert c.extra["doknr"] == "BJNR295500003"


def test_two_sgb2_fassungen_give_same_label_with_different_fassung():
    new, old = chunk(load(SGB2_2026), "§ 14 Abs. 1 SGB II"), chunk(load(SGB2_2025), "§ 14 Abs. 1 SGB II")
    assert new.extra["fassung"] == "2026-04-23" and old.extra["fassung"] == "2025-02-27"
    assert (new.stand_date, old.stand_date) == ("2026-04-23", "2025-02-27")


def test_sourceinfo_fassung_and_slug_override_the_derived_ones():
    source = SourceInfo(doc_id="sgb2-x", path=CORPUS / SGB2_2026, fassung="neu", slug="sgb_2_neu")
    c = chunk(law_xml.load(source, SETTINGS), "§ 14 Abs. 1 SGB II")
    assert c.extra["fassung"] == "neu"
    assert c.url == "https://www.gesetze-im-internet.de/sgb_2_neu/__14.html"


def test_zip_form_yields_same_chunk_ids_as_its_xml():
    from_zip = load(SGB2_2025_ZIP, doc_id="sgb2-2025")
    from_xml = load(SGB2_2025, doc_id="sgb2-2025")
    assert [c.id for c in from_zip.chunks] == [c.id for c in from_xml.chunks]
    assert from_zip.text == from_xml.text


def test_sgb3_old_zip_loads_with_its_own_stand():
    c = chunk(load(SGB3_2024_ZIP), "§ 18 Abs. 1 SGB III")
    assert "ein Jahr und länger arbeitslos" in c.text
    assert c.stand == "Zuletzt geändert durch Art. 60 G v. 23.10.2024 I Nr. 323"
    assert c.stand_date == "2024-12-31"


def test_sgb3_langzeitarbeitslose_definition():
    c = chunk(load(SGB3_2026), "§ 18 Abs. 1 SGB III")
    assert c.text.startswith("(1) Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind.")
    assert c.url.endswith("/sgb_3/__18.html")


def test_letter_absatz_3a_is_its_own_chunk_with_list_items_on_lines():
    c = chunk(load(SGB2_2026), "§ 7 Abs. 3a SGB II")
    assert c.locator["absatz"] == "3a"
    assert c.text == ("(3a) Ein wechselseitiger Wille, Verantwortung füreinander zu tragen und füreinander "
                      "einzustehen, wird vermutet, wenn Partner\n"
                      "1. länger als ein Jahr zusammenleben,\n"
                      "2. mit einem gemeinsamen Kind zusammenleben,\n"
                      "3. Kinder oder Angehörige im Haushalt versorgen oder\n"
                      "4. befugt sind, über Einkommen oder Vermögen des anderen zu verfügen.")


def test_nested_list_items_and_text_after_a_list_stay_readable():
    text = "\n".join(c.text for c in load(SGB2_2026).chunks if c.label == "§ 7 Abs. 1 SGB II")
    assert "\n2. Ausländerinnen und Ausländer,\na) die kein Aufenthaltsrecht haben oder\n" in text
    assert "\nund ihre Familienangehörigen,\n3. Leistungsberechtigte nach § 1 des Asylbewerberleistungsgesetzes." in text
    assert "<" not in text and "DL" not in text


def test_paragraph_without_absaetze_is_one_chunk():
    c = chunk(load(KENNZAHLEN_VO), "§ 3 SGB2§48aFKV")
    assert c.locator == {"law": "SGB2§48aFKV", "paragraph": "3"}
    assert "Die Kennzahlen und Ergänzungsgrößen sollen geschlechtsspezifisch ausgewiesen werden." in c.text


def test_kennzahlen_vo_fraction_table_is_flattened_to_lines():
    document = load(KENNZAHLEN_VO)
    c = chunk(document, "§ 5 Abs. 1 SGB2§48aFKV")
    assert ("ist die „Integrationsquote“:\nSumme der Integrationen in den vergangenen zwölf Monaten\n"
            "Durchschnittlicher Bestand der erwerbsfähigen Leistungsberechtigten in den vergangenen "
            "zwölf Monaten.\nAls Integration") in c.text
    assert c.doc_type == "Verordnung"
    assert c.url == "https://www.gesetze-im-internet.de/sgb2_48afkv/__5.html"


def test_table_rows_become_lines_with_cells_and_hyphenated_headers_joined():
    c = chunk(load(RBSFV_2026), "§ 2 RBSFV 2026")
    assert "gültig ab | Regelbedarfsstufe 1 | Regelbedarfsstufe 2 |" in c.text
    assert "\n1. Januar 2026 | 563 | 506 | 451 | 471 | 390 | 357" in c.text


def test_rbsfv_absatz_label_and_title_from_kurzue():
    c = chunk(load(RBSFV_2026), "§ 1 Abs. 2 RBSFV 2026")
    assert c.text.endswith("gelten deshalb die für das Jahr 2025 geltenden Eurobeträge der Regelbedarfsstufen "
                           "auch zum 1. Januar 2026.")
    assert c.title == "Regelbedarfsstufen-Fortschreibungsverordnung 2026"
    assert c.stand == "Ausfertigung v. 17.10.2025"  # the file has no standangabe


def test_amtabk_is_preferred_to_jurabk():
    c = chunk(load(BUERGERGELD_VO), "§ 2 Abs. 1 Bürgergeld-V")
    assert c.extra["jurabk"] == "AlgIIV 2008"
    assert c.url == "https://www.gesetze-im-internet.de/algiiv_2008/__2.html"


@pytest.mark.parametrize("relative", [SGB2_2026, SGB3_2026, BUERGERGELD_VO])
def test_no_chunk_is_weggefallen_or_from_inhaltsuebersicht(relative):
    document = load(relative)
    for c in document.chunks:
        body = c.text.split(")", 1)[1].strip() if c.text.startswith("(") else c.text
        assert body not in {"(weggefallen)", "-", ""}, c.label
        assert "Inhaltsübersicht" not in c.label
    assert not any(c.text.startswith("Erstes Kapitel") for c in document.chunks)


def test_repealed_absaetze_are_left_out_but_their_neighbours_kept():
    labels = {c.label for c in load(BUERGERGELD_VO).chunks}
    assert {"§ 2 Abs. 1 Bürgergeld-V", "§ 2 Abs. 5 Bürgergeld-V"} <= labels
    assert "§ 2 Abs. 2 Bürgergeld-V" not in labels  # "(2) (weggefallen)"


def test_eingangsformel_is_kept_with_its_own_label():
    c = chunk(load(KENNZAHLEN_VO), "Eingangsformel SGB2§48aFKV")
    assert c.text.startswith("Auf Grund des § 48a Absatz 2 des Zweiten Buches Sozialgesetzbuch")
    assert c.locator == {"law": "SGB2§48aFKV", "norm": "Eingangsformel"}


def test_long_absatz_is_split_between_list_items_keeping_its_label():
    parts = [c for c in load(BUERGERGELD_VO).chunks if c.label == "§ 1 Abs. 1 Bürgergeld-V"]
    assert [(c.part, c.parts) for c in parts] == [(1, 2), (2, 2)]
    assert parts[0].text.endswith("lebende Kind weitergeleitet wird,")
    assert parts[1].text.startswith("9. bei Beziehenden von Bürgergeld")
    assert all(len(c.text) <= SETTINGS.max_chunk_chars for c in parts)


@pytest.mark.parametrize("relative", ALL_FILES)
def test_span_invariant_holds_for_every_chunk(relative):
    document = load(relative)
    assert document.chunks
    for c in document.chunks:
        assert document.text[c.span[0]:c.span[1]] == c.text


def test_document_text_has_paragraph_headings_between_absaetze():
    text = load(SGB2_2026).text
    assert "\n\n§ 14 Grundsatz des Förderns\n\n(1) Die Träger der Leistungen" in text


def _dev_items():
    items = []
    for line in DEV_SET.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("source", "").endswith((".xml", ".zip")):
            items.append(pytest.param(item, id=item["id"]))
    return items


@pytest.mark.parametrize("item", _dev_items())
def test_dev_evidence_is_found_in_a_chunk_with_the_gold_label(item):
    document = load(item["source"])
    for quote in item["evidence"]:
        holders = [c.label for c in document.chunks if normalised(quote) in normalised(c.text)]
        assert holders, f"evidence lost: {quote[:60]}"
        assert item["locator"] in holders


def test_anlage_is_a_chunk_labelled_as_its_enbez(tmp_path):
    path = tmp_path / "anlage.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><dokumente builddate="20250101120000" doknr="BJNRTEST">'
        '<norm doknr="BJNRTEST"><metadaten><jurabk>SGB 12</jurabk><langue>Sozialgesetzbuch (SGB) Zwölftes '
        'Buch (XII) - Sozialhilfe - (Artikel 1 des Gesetzes vom 27. Dezember 2003, BGBl. I S. 3022)</langue>'
        '</metadaten></norm>'
        '<norm doknr="BJNRTEST1"><metadaten><jurabk>SGB 12</jurabk><enbez>§ 1</enbez><titel>Aufgabe</titel>'
        '</metadaten><textdaten><text><Content><P>Aufgabe der Sozialhilfe ist es, ...</P></Content></text>'
        '</textdaten></norm>'
        '<norm doknr="BJNRTEST2"><metadaten><jurabk>SGB 12</jurabk><enbez>Anlage 1</enbez>'
        '<titel>Regelbedarfsstufen</titel></metadaten><textdaten><text><Content><P><table><tgroup cols="2">'
        '<tbody><row><entry>Regelbedarfsstufe 1</entry><entry>563 Euro</entry></row></tbody></tgroup>'
        '</table></P></Content></text></textdaten></norm></dokumente>', encoding="utf-8")
    document = law_xml.load(SourceInfo(doc_id="t", path=path), SETTINGS)
    annex = chunk(document, "Anlage 1 SGB XII")
    assert annex.text == "Regelbedarfsstufe 1 | 563 Euro"
    assert annex.locator == {"law": "SGB XII", "anlage": "1"}
    assert annex.title == "Sozialgesetzbuch (SGB) Zwölftes Buch (XII) - Sozialhilfe"
    assert chunk(document, "§ 1 SGB XII").url == "https://www.gesetze-im-internet.de/sgb_12/__1.html"


def test_truncated_xml_raises_ingest_error_naming_file_and_line(tmp_path):
    broken = tmp_path / "BJNR295500003.xml"
    broken.write_bytes((CORPUS / RBSFV_2026).read_bytes()[:2000])
    with pytest.raises(IngestError) as error:
        law_xml.load(SourceInfo(doc_id="b", path=broken), SETTINGS)
    assert str(broken) in str(error.value)
    assert "broken XML" in error.value.reason and "line" in error.value.reason


def test_xml_without_norm_elements_is_refused(tmp_path):
    other = tmp_path / "feed.xml"
    other.write_text('<?xml version="1.0"?><rss><channel><title>News</title></channel></rss>', encoding="utf-8")
    with pytest.raises(IngestError, match=r"not a gesetze-im-internet XML \(no <norm> elements\)"):
        law_xml.load(SourceInfo(doc_id="o", path=other), SETTINGS)


def test_bad_zip_is_refused(tmp_path):
    bad = tmp_path / "sgb_2_xml.zip"
    bad.write_bytes((CORPUS / SGB2_2025_ZIP).read_bytes()[:3000])
    with pytest.raises(IngestError, match="zip"):
        law_xml.load(SourceInfo(doc_id="z", path=bad), SETTINGS)


def test_zip_without_xml_member_is_refused(tmp_path):
    empty = tmp_path / "xml.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "no law here")
    with pytest.raises(IngestError, match="holds no XML file"):
        law_xml.load(SourceInfo(doc_id="z", path=empty), SETTINGS)


@pytest.mark.parametrize("jurabk, amtabk, cited", [
    ("SGB 2", "", "SGB II"), ("SGB 3", "", "SGB III"), ("SGB 12", "", "SGB XII"), ("SGB 14", "", "SGB XIV"),
    ("SGB2§48aFKV", "", "SGB2§48aFKV"), ("AlgIIV 2008", "Bürgergeld-V", "Bürgergeld-V"),
])
def test_cited_abbreviation(jurabk, amtabk, cited):
    assert law_xml.cited_abbreviation(jurabk, amtabk) == cited


@pytest.mark.parametrize("law, jurabk, slug", [
    ("SGB II", "SGB 2", "sgb_2"), ("SGB III", "SGB 3", "sgb_3"), ("SGB2§48aFKV", "SGB2§48aFKV", "sgb2_48afkv"),
    ("RBSFV 2026", "RBSFV 2026", "rbsfv_2026"),
])
def test_derive_slug(law, jurabk, slug):
    assert law_xml.derive_slug(law, jurabk) == slug
