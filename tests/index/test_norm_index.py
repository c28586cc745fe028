"""The norm index: what it answers about the graph beyond the stored edges."""
from index.chunk import Chunk
from index.norm_index import NormIndex
from index.references import unit_edges


def test_two_fassungen_of_a_verordnung_name_its_basis_once():
    formula = ("Auf Grund des § 13 des Zweiten Buches Sozialgesetzbuch verordnet das Bundesministerium für "
               "Arbeit und Soziales:")
    chunks = [(f"bgv-{year}#formula", Chunk(f"bgv-{year}", "law", "law_xml", "Bürgergeld-V", "Eingangsformel Bürgergeld-V",
                                            formula, locator={"law": "Bürgergeld-V", "norm": "Eingangsformel"}))
              for year in (2023, 2026)]
    chunks.append(("bgv#6/1", Chunk("bgv-2026", "law", "law_xml", "Bürgergeld-V", "§ 6 Abs. 1 Bürgergeld-V",
                                    "(1) Als Pauschbeträge sind abzusetzen …",
                                    locator={"law": "Bürgergeld-V", "paragraph": "6", "absatz": "1"})))
    edges = [e for cid, chunk in chunks for e in unit_edges(cid, chunk.kind, chunk.locator, chunk.text)]
    norms = NormIndex.build(chunks, edges, str.split, "v1")
    assert [(e.norm, e.absatz) for e in norms.empowered_by("bgv#6/1")] == [("§ 13 SGB II", "")]


def _verordnung_chunks():
    formula = "Auf Grund des § 13 des Zweiten Buches Sozialgesetzbuch verordnet das Bundesministerium:"
    return [("bgv#formula", Chunk("bgv", "law", "law_xml", "Bürgergeld-V", "Eingangsformel Bürgergeld-V", formula,
                                  locator={"law": "Bürgergeld-V", "norm": "Eingangsformel"})),
            ("bgv#6/1", Chunk("bgv", "law", "law_xml", "Bürgergeld-V", "§ 6 Abs. 1 Bürgergeld-V", "(1) Als Pauschbeträge …",
                              locator={"law": "Bürgergeld-V", "paragraph": "6", "absatz": "1"}))]


def test_a_saved_norm_index_keeps_what_empowers_a_verordnung_and_an_older_format_is_rebuilt(
        tmp_path, rewrite_as_older_format):
    chunks = _verordnung_chunks()
    edges = [e for cid, chunk in chunks for e in unit_edges(cid, chunk.kind, chunk.locator, chunk.text)]
    NormIndex.build(chunks, edges, str.split, "v1").save(tmp_path / "norms")
    loaded = NormIndex.load(tmp_path / "norms")
    assert [e.norm for e in loaded.empowered_by("bgv#6/1")] == ["§ 13 SGB II"]
    # Format 2 had no Eingangsformeln: such an index is rebuilt from the chunk store, not read half.
    rewrite_as_older_format(tmp_path / "norms", "2", "formulas")
    assert NormIndex.load(tmp_path / "norms") is None
