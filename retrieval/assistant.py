"""``Assistant``: one entry point for the UI, the CLI and evaluation scripts.

    from retrieval import Assistant
    assistant = Assistant(Settings())             # build once (loads model, index, BM25)
    answer = assistant.ask("Ab wann gilt man als langzeitarbeitslos?")
    print(answer.text); print([c.label for c in answer.citations])

Thread-safe: several threads may call ``ask`` at once.
"""
from __future__ import annotations

import logging
import re
import time
import unicodedata
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from fundstelle.sentences import asking_sentences
from fundstelle.settings import MAX_K, Settings
from index.chunk_index import ChunkIndex
from retrieval.answer import LEAD as LEAD_STATUS
from retrieval.answer import VERIFIED, Answer, Citation, FilterError, Passage, QuestionError, SentenceCheck
from retrieval.answerability import (ABSTAINED, ANSWERED, PARTIAL, PREMISE, Calibration, Thresholds,
                                     decide, near_a_training_question, premise_claim, premise_terms,
                                     unknown_sections)
from retrieval.extractive import ExtractiveAnswerer, readable, specific_synonyms
from index.german import CompoundSplitter, fold, stopwords
from index.lemmas import is_word_of
from index.roles import ASKER, EXAMPLE, HISTORY, role_spans
from index.spelling import misspelt_in
from retrieval.filters import SearchFilter
from retrieval.language import detect_language
from retrieval.prompts import (ABSTAIN, ASKER_LEAD, LANGUAGE_NAMES, LEAD, PARTIAL_LEADS, PREMISE_LEAD, answer_prompt,
                               format_sources)
from retrieval.search import Hit, HybridSearcher
from retrieval.verify import Verifier, render_answer, renumber

log = logging.getLogger(__name__)
_WORD = re.compile(r"[^\W\d_]+")
MAX_ABBREVIATION = 3   # letters; a shorter synonym does not vouch for an unknown word
# A Landtag question matches a German question only when it names one of the question's this
# many rarest stems (``ExtractiveAnswerer.score``). On the dev tuning half 1 loses precision
# (0.457 → 0.438); 2 and 3 tie, and 3 lets "Jobcenter" match the Heizkosten question again.
QUESTION_MATCH_FOCUS = 2
# Compounds of passage words (``_begins_with_word``, ``_shortened_compound``): a first part of
# MIN_HEAD letters or more (the length ``term_present`` asks of a stem that begins another) vouches
# alone; a shorter one (SHORT_HEAD letters) only with a corpus word after it, as long as the
# compound splitter's shortest part. A passage compound may have up to SHORTENED_JOINT letters more
# at the joint ("Umformer|werk" for "Umform|werk"; a linking "ungs" is four).
MIN_HEAD = 5
SHORT_HEAD = (3, 4)
MIN_REST = CompoundSplitter.MIN_PART
SHORTENED_JOINT = 4
# Compounds of corpus words the compound splitter does not take apart (``_compound_of_corpus_words``):
# German joins parts with a linking element, writes a noun in -e and a verb by their stem
# ("Schul|abgänger", "Förder|maßnahme") and has nouns of three letters ("Bau", "Amt").
LINKING_ELEMENTS = ("s", "es", "n", "en", "er", "e")
STEM_ENDINGS = ("e", "n", "en")
SHORTEST_PART = 3

# Why an answer whose nearest sentence is only an illustration is given as "nicht direkt
# beantwortet" (``ExtractiveAnswerer.only_illustration``).
ILLUSTRATION_REASON = {
    EXAMPLE: "Die Quellen enthalten dazu nur ein Rechenbeispiel oder einen Beispielfall, keine Regel.",
    HISTORY: "Die Quellen enthalten dazu nur eine Übergangs- oder Sonderregelung bzw. eine frühere Rechtslage.",
}
MISSING_FIGURE_REASON = "Die Quellen nennen die gefragte Zahl nicht."



def _optional_word_tools():
    """Lemmatiser and thesaurus of the index layer when present (``index.lemmas``,
    ``index.thesaurus``); None where they are not installed."""
    try:
        from index.lemmas import lemma
    except ImportError:
        lemma = None
    try:
        from index.thesaurus import default_thesaurus

        thesaurus = default_thesaurus()
        related = thesaurus.related if len(thesaurus) else None
    except ImportError:
        related = None
    return lemma, related


def validate_question(question: str, max_chars: int) -> str:
    if question is None or not isinstance(question, str):
        raise QuestionError("Bitte eine Frage als Text eingeben (question must be text).")
    bad = [c for c in question if unicodedata.category(c) == "Cc" and c not in "\n\t\r"]
    if bad:
        raise QuestionError(f"Die Frage enthält unzulässige Steuerzeichen (U+{ord(bad[0]):04X}); "
                            "bitte nur Text eingeben (control characters are not allowed).")
    cleaned = " ".join(question.split())
    if not cleaned:
        raise QuestionError("Die Frage ist leer (empty question).")
    if len(cleaned) > max_chars:
        raise QuestionError(f"Die Frage ist zu lang ({len(cleaned)} Zeichen, höchstens {max_chars}); "
                            f"bitte kürzer fassen (question too long).")
    return cleaned


class Assistant:
    def __init__(self, settings: Settings, *, retriever: str = "hybrid", index: ChunkIndex | None = None,
                 chat_model=None) -> None:
        self.settings = settings
        self.searcher = HybridSearcher(self.settings, index=index, retriever=retriever)
        self.index = self.searcher.index
        # The question's engine: for the default model NumPy over the ingest engine's weights,
        # so answering never loads torch (``ChunkIndex.query_embedder``).
        self.embedder = self.index.query_embedder
        # Sentences are compared through the vectors the index stores for them: at question
        # time only the question itself is embedded (others only where none is stored yet).
        self.comparisons = self.index.comparison_embedder()
        self.extractive = ExtractiveAnswerer(self.comparisons)
        self.verifier = Verifier(self.comparisons)
        # Answerability thresholds (``python -m evaluation calibrate`` writes them): the calibrated
        # ones for the corpus they were calibrated on, the general ones for an index built from
        # other documents, without the thesaurus the coverage floor calibrated without synonyms
        # (the ``thresholds`` property).
        self._lemma, self._related = _optional_word_tools()
        self.calibration = Calibration.load()
        self._thresholds_set = False
        self._thresholds: Thresholds | None = None
        if self._related is None:
            log.warning("no thesaurus installed: answerability uses the coverage floor calibrated without "
                        "synonyms (%.2f); install Debian's openthesaurus-de-text for the full one",
                        self.calibration.thresholds.without_synonyms().min_coverage)
        self._chat_model = chat_model
        self._chat_model_loaded = chat_model is not None
        # Questions being answered right now; the background embedder pauses between its
        # batches while there are any, so answers are not slowed by index building.
        self.questions_in_flight = 0

    # -- information for callers -----------------------------------------------------
    def documents(self) -> list[dict]:
        """Indexed documents (doc_id, title, kind, law, fassung, stand, source_path), for filters
        and links to the local original."""
        return sorted(self.searcher.catalog.documents.values(), key=lambda d: (d["kind"] or "", d["title"] or ""))

    def sentences_complete(self) -> bool:
        """True when every chunk's sentence vectors are stored (answers embed only the question)."""
        done, total = self.index.sentence_progress()
        return done >= total

    def laws(self) -> list[str]:
        return sorted({d["law"] for d in self.searcher.catalog.documents.values() if d.get("law")})

    @property
    def chat_model(self):
        if not self._chat_model_loaded:
            from retrieval.llm import make_chat_model

            self._chat_model = make_chat_model(self.settings)
            self._chat_model_loaded = True
        return self._chat_model

    def llm_available(self) -> str | None:
        """Name of the configured chat model, or None (extractive only)."""
        if self.settings.llm_provider == "none" and self._chat_model is None:
            return None
        from retrieval.llm import describe_model

        return describe_model(self.chat_model, self.settings) or type(self._chat_model).__name__

    # -- asking ----------------------------------------------------------------------
    def ask(self, question: str, *, kinds: Iterable[str] | str | None = None, as_of: str | None = None,
            mode: str | None = None, k: int | None = None, documents: Iterable[str] | None = None,
            laws: Iterable[str] | None = None, stand_from: str | None = None, stand_to: str | None = None) -> Answer:
        """Answer ``question`` from the indexed sources, with verified citations or an abstention."""
        self.questions_in_flight += 1
        try:
            return self._ask(question, kinds=kinds, as_of=as_of, mode=mode, k=k, documents=documents, laws=laws,
                             stand_from=stand_from, stand_to=stand_to)
        finally:
            self.questions_in_flight -= 1

    def _ask(self, question: str, *, kinds: Iterable[str] | str | None = None, as_of: str | None = None,
             mode: str | None = None, k: int | None = None, documents: Iterable[str] | None = None,
             laws: Iterable[str] | None = None, stand_from: str | None = None, stand_to: str | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        mode = mode or self.settings.answer_mode
        if mode not in ("extractive", "llm"):
            raise QuestionError(f"unknown answer mode '{mode}' (extractive or llm)")
        k = self.settings.k if k is None else int(k)
        if not 1 <= k <= MAX_K:
            raise QuestionError(f"k must be between 1 and {MAX_K}, not {k}")
        try:
            search_filter = SearchFilter.build(kinds=kinds, documents=documents, laws=laws, as_of=as_of,
                                               stand_from=stand_from, stand_to=stand_to)
        except ValueError as exc:
            raise FilterError(str(exc)) from exc
        self.searcher.ensure_current()
        if not self.searcher.catalog.allowed_documents(search_filter):
            raise FilterError(f"Die Filter treffen auf keine indexierte Quelle zu ({search_filter.describe()}); "
                              "filters match no indexed source.")
        language = detect_language(question)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        # Needed by every retriever: the answer sentences are scored against it.
        query_vector = self.embedder.embed_query(question)
        timings["embed_query"] = (time.perf_counter() - t0) * 1000
        result = self.searcher.search(question, search_filter, k=k, query_vector=query_vector)
        timings.update({f"search_{key}": v for key, v in result.timings.items() if key != "embed_query"})
        passages = [_passage(hit, self.searcher.links(hit.chunk_id)) for hit in result.hits]
        settings_used = {"kinds": list(search_filter.kinds), "as_of": as_of, "k": k, "mode": mode,
                         "documents": list(search_filter.documents), "laws": list(search_filter.laws),
                         "retriever": self.searcher.retriever}
        if result.bridged:
            # Why a question in another language found German passages by keyword (``--json``).
            settings_used["word_bridge"] = result.bridged
        if result.sentences:
            # A question of several sentences was also searched sentence by sentence (``--json``).
            settings_used["question_sentences"] = result.sentences
        answer = Answer(question=question, text="", citations=[], sentences=[], abstained=False, passages=passages,
                        mode=mode, language=language, retrievers=result.retrievers, settings=settings_used,
                        dense_coverage=round(result.dense_coverage, 4))

        self._announce_rechtsstand(answer, as_of, result.hits)
        t0 = time.perf_counter()
        candidates = self._scored_candidates(question, query_vector, result.hits, language, result.adapted_vector)
        related = (specific_synonyms(self._related, self.searcher.lexical.document_share)
                   if self._related is not None else None)
        # Whether the sources answer is read from the plain search's first places: a passage the
        # adapted question vector placed may be quoted, but it does not make a question
        # answerable (README, "Twenty-fourth session", "Twenty-seventh session").
        plain_hits = result.hits if result.plain_hits is None else result.plain_hits
        # A table valuing a level one of those places names ("Regelbedarfsstufe 1: 563" for
        # § 20 Abs. 2 SGB II) is part of that place's evidence: the graph brings it behind the
        # ranked places, where its rows state the figure the rule only names.
        plain_ids = {h.chunk_id for h in plain_hits}
        if [h.chunk_id for h in result.hits[:len(plain_hits)]] == [h.chunk_id for h in plain_hits]:
            plain_candidates = [c for c in candidates if c.hit_index < len(plain_hits) or c.values_for in plain_ids]
        else:
            tables = [h for h in result.hits if h.values_for in plain_ids and h.chunk_id not in plain_ids]
            plain_candidates = self._scored_candidates(question, query_vector, plain_hits + tables, language)
        # The nearest corpus words count for coverage (German questions: the only ones it is
        # decided on), looked up only where the decision depends on them; a calibration run
        # (no thresholds) records the full coverage. The thresholds are read once per question:
        # they follow the index, which a background refresh may change meanwhile.
        thresholds = self.thresholds
        evidence = self.extractive.evidence(
            plain_hits, plain_candidates, question, related=related, german=language == "de",
            nearest=self.searcher.nearest_corpus_words if language == "de" else None,
            coverage_floor=thresholds.min_coverage if thresholds is not None else 1.0,
            training_similarity=result.training_similarity)
        timings["sentences"] = (time.perf_counter() - t0) * 1000
        answer.evidence = {key: round(float(value), 4) for key, value in vars(evidence).items()}
        # A lookup ("Was steht in § 7 Abs. 3 SGB II?") is answered with the named units; one of a
        # unit the sources lack ("§ 159 SGB II") is refused by name, not answered from whatever
        # resembles the citation.
        unfound = ""
        if result.unfound:
            where = "in den Quellen" if search_filter == SearchFilter() else "in den gewählten Quellen"
            unfound = f"Diese Vorschrift kommt {where} nicht vor: {', '.join(result.unfound)}."
        if result.named:
            if unfound:
                answer.notices.append(unfound)
            self._answer_lookup(answer, result.hits, candidates, language, set(result.named))
        else:
            status, reason = ((ABSTAINED, unfound) if unfound else
                              self._answerability(question, evidence, language, plain_hits, thresholds,
                                                  plain_candidates))
            if status == ABSTAINED:
                self._abstain(answer, reason)
            elif status == PARTIAL:
                self._answer_partially(answer, result.hits, reason)
            elif status == PREMISE:
                self._answer_premise(answer, result.hits, candidates, language, reason)
            elif mode == "llm":
                self._answer_with_llm(answer, result.hits, candidates, language, timings)
            else:
                self._answer_extractively(answer, result.hits, candidates, language)
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings = {key: round(value, 1) for key, value in timings.items()}
        log.info("answered in %.0f ms by %s (dense coverage %.2f), %d citations%s", timings["total"],
                 "+".join(answer.retrievers) or "-", answer.dense_coverage, len(answer.citations),
                 ", abstained" if answer.abstained else "")
        return answer

    def _scored_candidates(self, question: str, query_vector: Any, hits: list[Hit], language: str,
                           tuned_vector: Any = None) -> list:
        """The candidate sentences of ``hits``, scored against the question
        (``ExtractiveAnswerer.score``; ``tuned_vector``: the search's adapted question vector, read
        by the answer's choice of sentences)."""
        candidates = self.extractive.candidates(hits)
        self.extractive.score(question, query_vector, candidates, german=language == "de", hits=hits,
                              focus=(self.searcher.lexical.rarest_tokens(question, QUESTION_MATCH_FOCUS)
                                     if language == "de" else ()), tuned_vector=tuned_vector)
        return candidates

    def _answerability(self, question: str, evidence, language: str, hits: list[Hit],
                       thresholds: Thresholds | None, candidates=()) -> tuple[str, str]:
        """(status, reason): ABSTAINED, PARTIAL, PREMISE or ANSWERED."""
        if not hits:
            return ABSTAINED, "Keine passende Passage gefunden."
        if not any(ch.isalnum() for ch in question):
            return ABSTAINED, "Die Frage enthält keine Wörter."
        sections = unknown_sections(question, [hit.chunk for hit in hits])
        if sections:
            return ABSTAINED, f"Diese Vorschrift kommt in den Quellen nicht vor: {', '.join(sections)}."
        if thresholds is None:
            return ANSWERED, ""
        # A question near a training question names what the corpus covers, in its own words.
        unknown = ([] if near_a_training_question(evidence.training_similarity)
                   else self.refused_terms(question, [hit.chunk for hit in hits[:3]], language))
        if unknown:
            return ABSTAINED, f"Diese Begriffe kommen in den Quellen nicht vor: {', '.join(unknown)}."
        verdict = decide(evidence, language, thresholds)
        if verdict.status != ANSWERED:
            return verdict.status, verdict.reason
        missing = premise_terms(question, [hit.chunk for hit in hits[:3]])
        if missing:
            return PREMISE, f"Die Frage setzt voraus, was die Quellen nicht sagen: {', '.join(missing)}."
        illustration = self.extractive.only_illustration(question, candidates)
        if illustration:
            return PARTIAL, ILLUSTRATION_REASON[illustration]
        if evidence.figure_missing:
            return PARTIAL, MISSING_FIGURE_REASON
        return ANSWERED, ""

    def refused_terms(self, question: str, passages: Sequence[Any], language: str) -> list[str]:
        """The terms the unknown-term rule refuses ``question`` for (``unknown_terms`` over the
        sentences that ask, against the top ``passages``); empty when it answers. The calibration
        records the same list, so thresholds are chosen on the rule as it runs."""
        # In another language a capitalised first word is no sign of a sentence start only:
        # "Rundfunkbeitrag ne kadar?" opens with the German term it asks about. Only the
        # sentences that ask are read: the situation a citizen describes before asking names
        # things the sources never do ("Ich komme aus Rumänien …", "Wir sind ein
        # Dachdeckerbetrieb."), what they ask about does not (README, "Twenty-seventh session").
        unknown = self.unknown_terms(asking_sentences(question), passages,
                                     first_word=language != "de")
        if language != "de":
            # A question in another language is checked for its German terms only ("How much is
            # the Rundfunkbeitrag?"): words in simplemma's German dictionary and not in its
            # English one (names such as "Germany" or "Scotland" are in both).
            unknown = [word for word in unknown if is_word_of(word, "de") and not is_word_of(word, "en")]
        return unknown

    @property
    def thresholds(self) -> Thresholds | None:
        """The answerability thresholds for the index as it is now: the calibrated ones where most
        of its passages come from the documents they were calibrated on, else the general ones;
        without the thesaurus their coverage floor without synonyms. Set it to decide with other
        thresholds (None: answer every question, as the calibration run does)."""
        if self._thresholds_set:
            return self._thresholds
        thresholds = self.calibration.for_documents(self._chunks_per_document())
        return thresholds if self._related is not None else thresholds.without_synonyms()

    @thresholds.setter
    def thresholds(self, value: Thresholds | None) -> None:
        self._thresholds, self._thresholds_set = value, True

    @contextmanager
    def deciding_with(self, thresholds: Thresholds | None) -> Iterator[None]:
        """Answer with these thresholds inside the block (None: answer every question), then as
        before: thresholds set earlier stay set, otherwise they follow the index again. For
        calibration runs and tests: other threads asking meanwhile get the same thresholds."""
        saved = (self._thresholds, self._thresholds_set)
        self.thresholds = thresholds
        try:
            yield
        finally:
            self._thresholds, self._thresholds_set = saved

    @property
    def calibrated_for_index(self) -> bool:
        """Whether the calibrated thresholds hold for this index (not the general ones)."""
        return self.calibration.holds_for(self._chunks_per_document())

    def _chunks_per_document(self) -> dict[str, int]:
        return {doc_id: int(info.get("chunks") or 0) for doc_id, info in self.searcher.catalog.documents.items()}

    @property
    def uses_synonyms(self) -> bool:
        """Whether OpenThesaurus is installed: synonyms in the coverage and the unknown-term rule
        (and in the search's query expansion), and the coverage floor chosen with them."""
        return self._related is not None

    def unknown_terms(self, question: str, passages: Sequence[Any] = (), first_word: bool = False) -> list[str]:
        """Specific terms of a German question that the corpus never uses, in no inflected form
        (lemma) and by none of their synonyms (OpenThesaurus). A word that the retrieved
        ``passages`` (chunks or passages with a ``text``) use with a typo's difference is
        misspelt, not unknown ("Bergketen": the passage says "Bergketten", a word the corpus
        has only once and so not in its list of misspellings). With ``first_word`` the
        question's first word is checked too (``LexicalIndex.unknown_terms``)."""
        lexical = self.searcher.lexical
        unknown = lexical.unknown_terms(question, first_word=first_word)
        passage_words = {fold(w.casefold()) for p in passages for w in _WORD.findall(p.text)} if unknown else set()
        kept = []
        for word in unknown:
            folded = fold(word.casefold())
            if (misspelt_in(folded, passage_words) or _begins_with_word(folded, passage_words, lexical.known_fraction)
                    or _shortened_compound(folded, passage_words, lexical.known_fraction)
                    or _shares_first_part(folded, passage_words, lexical.known_fraction)
                    or _compound_of_corpus_words(folded, lexical, self._lemma)):
                continue
            forms = set()
            if self._lemma is not None:
                forms.add(self._lemma(word))
            if self._related is not None:
                forms.update(self._related(word))
            # A synonym of three letters or fewer is an abbreviation ("ID" for
            # "Identifikationsnummer", "AU", "TV"): as a corpus token it stands for too many things
            # to show that the corpus knows the concept.
            if any(lexical.known_fraction(form) >= 1.0 for form in forms
                   if form and form != word and " " not in form.strip() and len(form.strip()) > MAX_ABBREVIATION):
                continue
            kept.append(word)
        return kept

    def _announce_rechtsstand(self, answer: Answer, as_of: str | None, hits: list[Hit]) -> None:
        """When no Fassung in the corpus was in force on ``as_of`` for a law the passages come
        from, say so first and name the Fassung used instead."""
        fallbacks = self.searcher.catalog.fassung_fallbacks(as_of)
        if not fallbacks:
            answer.rechtsstand = {"as_of": as_of, "fallbacks": {}} if as_of else {}
            return
        retrieved_laws = {hit.chunk.locator.get("law") for hit in hits if hit.chunk.kind == "law"}
        shown = {law: d for law, d in fallbacks.items() if law in retrieved_laws}
        answer.rechtsstand = {"as_of": as_of, "fallbacks": shown}
        if not shown:
            return
        used = "; ".join(f"{law}: Fassung vom {_german_date(d)}" for law, d in shown.items())
        answer.notices.insert(0, f"Rechtsstand {_german_date(as_of)}: Für diesen Tag enthalten die Quellen keine "
                                 f"geltende Fassung. Verwendet wird die älteste vorhandene ({used}).")

    def _abstain(self, answer: Answer, reason: str, status: str = ABSTAINED) -> None:
        answer.abstained = True
        answer.status = status
        answer.abstain_reason = reason
        answer.text = ABSTAIN.get(answer.language, ABSTAIN["de"])
        answer.sentences = [SentenceCheck(answer.text, [], LEAD_STATUS, reason)]
        self._lead_with_notices(answer)

    @staticmethod
    def _lead_with_notices(answer: Answer) -> None:
        """A Rechtsstand fallback is the answer's first line."""
        rechtsstand = [n for n in answer.notices if n.startswith("Rechtsstand ")]
        if rechtsstand and not answer.text.startswith(rechtsstand[0]):
            answer.sentences.insert(0, SentenceCheck(rechtsstand[0], [], LEAD_STATUS))
            answer.text = f"{rechtsstand[0]}\n\n{answer.text}"

    def _answer_partially(self, answer: Answer, hits: list[Hit], reason: str) -> None:
        """ "Die Quellen beantworten das nicht direkt. Nächstliegende Fundstellen: …" """
        answer.abstained = True
        answer.status = PARTIAL
        answer.abstain_reason = reason
        # Three places, not three parts of one long Absatz under the same label.
        nearest: list[Hit] = []
        for hit in hits:
            if len(nearest) < 3 and all(hit.chunk.label != other.chunk.label for other in nearest):
                nearest.append(hit)
        answer.citations = [_citation(hit, number, None) for number, hit in enumerate(nearest, start=1)]
        places = "; ".join(f"{c.label} [{c.number}]" for c in answer.citations)
        lead = PARTIAL_LEADS.get(answer.language, PARTIAL_LEADS["de"])
        answer.sentences = [SentenceCheck(lead, [], LEAD_STATUS, reason),
                            SentenceCheck(places, [c.number for c in answer.citations], LEAD_STATUS)]
        answer.text = f"{lead} {places}."
        self._lead_with_notices(answer)

    def _answer_premise(self, answer: Answer, hits: list[Hit], candidates, language: str, reason: str) -> None:
        """ "Die Quellen enthalten keine Angabe dazu, dass … zutrifft. Sie sagen dazu: <cited>" """
        missing = reason.split(": ", 1)[1].rstrip(".").split(", ")
        lead = PREMISE_LEAD.format(claim=premise_claim(missing))
        self._answer_extractively(answer, hits, candidates, language)
        if answer.status != ANSWERED:
            return
        answer.abstained = True
        answer.status = PREMISE
        answer.abstain_reason = reason
        answer.sentences.insert(0, SentenceCheck(lead, [], LEAD_STATUS, reason))
        answer.text = f"{lead} {render_answer(answer.sentences[1:])}"
        self._lead_with_notices(answer)

    def _answer_lookup(self, answer: Answer, hits: list[Hit], candidates, language: str, named: set[str]) -> None:
        """"Was steht in § 7 Abs. 3 SGB II?": the named unit's text from its beginning (up to
        three sentences), or the opening sentence of each named Absatz when the question names a
        whole § ("Was regelt § 31a SGB II?"), in the law's order."""
        answer.mode = "extractive"   # the text itself, in LLM mode too
        own = sorted((c for c in candidates if hits[c.hit_index].chunk_id in named), key=lambda c: (c.hit_index, c.start))
        units = list(dict.fromkeys(hits[c.hit_index].chunk.label for c in own))
        limit = self.extractive.MAX_SENTENCES
        if len(units) == 1:
            chosen = own[:limit]
        else:
            chosen = [next(c for c in own if hits[c.hit_index].chunk.label == label) for label in units[:limit]]
        self._answer_extractively(answer, hits, candidates, language, chosen=chosen)

    def _answer_extractively(self, answer: Answer, hits: list[Hit], candidates, language: str,
                             chosen: list | None = None) -> None:
        """Quote the selected sentences (readable form; ``chosen`` when the caller selected
        them) and run them through the same verifier as LLM answers; a sentence it rejects is
        left out."""
        if chosen is None:
            chosen = self.extractive.select(candidates, cross_lingual=language != "de", question=answer.question)
        if not chosen:
            self._abstain(answer, "Keine zitierfähigen Sätze in den gefundenen Passagen.")
            return
        citations: dict[int, Citation] = {}
        pieces: list[str] = []
        for candidate in chosen:
            if candidate.hit_index not in citations:
                citations[candidate.hit_index] = _citation(hits[candidate.hit_index], len(citations) + 1,
                                                           (candidate.start, candidate.end))
            text = readable(candidate.text).rstrip()
            if text[-1:] in ",;":
                # A quote cut at a semicolon inside an enumeration ("… gefährden würde;") ends
                # there: the verifier reads a sentence up to a full stop.
                text = text[:-1] + "."
            elif text[-1:] not in ".!?:":
                text += "."
            pieces.append(f"{text} [{citations[candidate.hit_index].number}]")
        allow_examples = any(c.role == "example" for c in chosen)
        checks, used, _ = self.verifier.verify(" ".join(pieces), list(citations.values()),
                                               cross_language=language != "de", attach_post_hoc=False,
                                               allow_examples=allow_examples)
        checks = [c for c in checks if c.status == VERIFIED]
        if not checks:
            self._abstain(answer, "Keine der gewählten Stellen ließ sich belegen.")
            return
        checks, used, _ = renumber(checks, [c for c in used if any(c.number in k.markers for k in checks)])
        self._attribute_asker_statements(checks, used, {hits[c.hit_index].chunk_id for c in chosen if c.role == ASKER},
                                         language)
        if language != "de" and language in LEAD:
            checks.insert(0, SentenceCheck(LEAD[language], [], LEAD_STATUS))
        answer.citations = used
        answer.sentences = checks
        answer.text = render_answer(checks)
        answer.status = ANSWERED
        self._lead_with_notices(answer)

    @staticmethod
    def _attribute_asker_statements(checks: list, used: list, asker_chunks: set[str], language: str) -> None:
        """A sentence quoted from the questioners' Vorbemerkung (role ASKER) is their claim, not
        the government's: a lead says so right before the first such sentence."""
        numbers = {c.number for c in used if c.chunk_id in asker_chunks}
        first = next((i for i, check in enumerate(checks) if numbers & set(check.markers)), None)
        if first is not None:
            checks.insert(first, SentenceCheck(ASKER_LEAD.get(language, ASKER_LEAD["de"]), [], LEAD_STATUS))

    def _answer_with_llm(self, answer: Answer, hits: list[Hit], candidates, language: str, timings: dict) -> None:
        from retrieval.llm import LLMUnavailableError, describe_model

        try:
            model = self.chat_model
        except LLMUnavailableError as exc:
            self._fall_back(answer, hits, candidates, language, f"LLM nicht verfügbar ({exc}); extraktive Antwort.")
            return
        if model is None:
            self._fall_back(answer, hits, candidates, language, "Kein LLM konfiguriert; extraktive Antwort.")
            return
        answer.model = describe_model(model, self.settings)
        citations = [_citation(hit, number, None) for number, hit in enumerate(hits[:6], start=1)]
        chain = answer_prompt() | model
        t0 = time.perf_counter()
        try:
            message = chain.invoke({"abstain": ABSTAIN.get(language, ABSTAIN["de"]),
                                    "language": LANGUAGE_NAMES.get(language, "Deutsch"),
                                    "sources": format_sources(citations), "question": answer.question})
            raw = message.content if hasattr(message, "content") else str(message)
        except Exception as exc:  # endpoint down, timeout: fall back, say so
            log.warning("LLM call failed: %s", exc)
            self._fall_back(answer, hits, candidates, language,
                            f"LLM nicht erreichbar ({type(exc).__name__}); extraktive Antwort.")
            return
        timings["llm"] = (time.perf_counter() - t0) * 1000
        raw = str(raw).strip()
        if ABSTAIN.get(language, ABSTAIN["de"]).rstrip(".") in raw or ABSTAIN["de"].rstrip(".") in raw:
            self._abstain(answer, "Das Modell fand keine Antwort in den Quellen.")
            return
        checks, used, text = self.verifier.verify(raw, citations, cross_language=language != "de",
                                                  allow_examples=bool(_asks_example(answer.question)))
        if not any(c.status == VERIFIED for c in checks):
            answer.notices.append("Keine Aussage des Modells ließ sich belegen.")
        answer.sentences, answer.citations, answer.text = checks, used, text
        answer.status = ANSWERED
        self._lead_with_notices(answer)

    def _fall_back(self, answer: Answer, hits: list[Hit], candidates, language: str, notice: str) -> None:
        answer.notices.append(notice)
        answer.mode = "extractive"
        self._answer_extractively(answer, hits, candidates, language)


def _asks_example(question: str) -> bool:
    from retrieval.extractive import asks_example

    return asks_example(question)


def _german_date(iso: str) -> str:
    parts = iso.split("-")
    return f"{parts[2]}.{parts[1]}.{parts[0]}" if len(parts) == 3 else iso


def _passage(hit: Hit, links: list[str]) -> Passage:
    chunk = hit.chunk
    return Passage(chunk_id=hit.chunk_id, label=chunk.label, kind=chunk.kind, doc_type=chunk.doc_type,
                   title=chunk.title, stand=chunk.stand, stand_date=chunk.stand_date, page=chunk.page_start,
                   url=chunk.url, text=chunk.text, score=round(hit.score, 6), dense_rank=hit.dense_rank,
                   lexical_rank=hit.lexical_rank, locator=chunk.locator, doc_id=chunk.doc_id,
                   reasons=dict(hit.reasons), links=links, roles=role_spans(chunk))


def _citation(hit: Hit, number: int, span: tuple[int, int] | None) -> Citation:
    chunk = hit.chunk
    return Citation(number=number, chunk_id=hit.chunk_id, label=chunk.label, kind=chunk.kind,
                    doc_type=chunk.doc_type, title=chunk.title, stand=chunk.stand, page=chunk.page_start,
                    url=chunk.url, passage=chunk.text, support_span=span, doc_id=chunk.doc_id,
                    roles=role_spans(chunk))


def _begins_with_word(word: str, passage_words: set[str], known) -> bool:
    """True when a passage word of MIN_HEAD letters or more begins ``word``: "Kleidungsstück" is
    a kind of the passage's "Kleidung". Whole words only: the passage's "kommunalen" does not make
    "Kommunalwahl" known.

    A shorter passage word (three or four letters, no stop word) begins a compound only when
    the rest is a corpus word too (``known(rest) == 1.0``, the corpus's own test):
    "Eisflächen" is the passage's "Eis" and the corpus's "Flächen". "Dortmund" is no such
    compound ("dort" is a stop word), nor is "Einbürgerungstest"."""
    if any(len(other) >= MIN_HEAD and word.startswith(other) and word != other for other in passage_words):
        return True
    stop = stopwords()
    return any(SHORT_HEAD[0] <= len(head) <= SHORT_HEAD[1] and head not in stop and word.startswith(head)
               and len(word) - len(head) >= MIN_REST and known(word[len(head):]) >= 1.0
               for head in passage_words)


def _shares_first_part(word: str, passage_words: set[str], known) -> bool:
    """True when ``word`` and a compound of the retrieved passages begin with the same corpus
    word of MIN_HEAD letters or more, and both go on with a word: "Mittag|essen" where the
    passage says "Mittag|s|verpflegung" (the question's everyday word for the passage's
    matter). The rest of ``word`` must be a German word (simplemma's dictionary), the rest of
    the passage word a corpus word after a linking element, so that an inflected form
    ("kommunalen") is no compound and "Kommunalwahl" stays unknown beside it."""
    for cut in range(MIN_HEAD, len(word) - MIN_REST + 1):
        head, rest = word[:cut], word[cut:]
        if known(head) < 1.0 or not is_word_of(rest, "de"):
            continue
        for other in passage_words:
            if not other.startswith(head) or len(other) - len(head) < MIN_REST:
                continue
            tail = other[len(head):]
            tails = [tail] + [tail[len(link):] for link in LINKING_ELEMENTS if tail.startswith(link)]
            if any(len(part) >= MIN_REST and known(part) >= 1.0 for part in tails):
                return True
    return False


def _compound_of_corpus_words(word: str, lexical, lemma) -> bool:
    """True when ``word`` is a compound of two parts the corpus uses, joined as German joins
    them: "Bauarbeiter" (the corpus's "Bau" and "Arbeiter"), "Sozialamt", "Fördermaßnahme"
    ("fördern"), "Schulabgänger" ("Schule"). The compound splitter of the keyword index asks
    for two written corpus words of four letters or more, joined as they are or by "s"/"es";
    here the first part may also be

    * a corpus word before a linking element (LINKING_ELEMENTS: "Arbeit|s|…", "Kinder|…"),
    * the stem of a corpus noun in -e or of a verb: the part with STEM_ENDINGS is a written
      corpus word that is its own lemma ("förder" + "n"; "kommunal" + "en" is an inflected
      adjective, so "Kommunalwahl" stays unknown), or the part with "e" is a written corpus
      word that is a form of the verb of that stem ("miet" + "e": "Miete", "mieten"),
    * and either part a corpus word of three letters that is no stop word ("Bau", "Amt").

    The last part may be inflected (the corpus's stems decide). "Hundesteuer", "Rundfunkbeitrag"
    and "Dortmund" stay unknown: the corpus has no "Hund", "Rundfunk" or "Mund"."""
    stop = stopwords()

    def short(part: str) -> bool:
        return len(part) == SHORTEST_PART and part not in stop and lexical.known_fraction(part) >= 1.0

    def first(part: str) -> bool:
        if len(part) < SHORTEST_PART or part in stop:
            return False
        if short(part) or lexical.is_word(part):
            return True
        if lemma is None:
            return False
        if any(lexical.is_word(part + ending) and fold(lemma(part + ending).casefold()) == part + ending
               for ending in STEM_ENDINGS):
            return True
        # A noun in -e whose written form is also a verb's ("Miete", "mieten"): simplemma reads the
        # lower-case word as the verb, whose stem the part is all the same ("Miet|schulden").
        return lexical.is_word(part + "e") and fold(lemma(part + "e").casefold()) in (part + "en", part + "n")

    for cut in range(SHORTEST_PART, len(word) - SHORTEST_PART + 1):
        head, tail = word[:cut], word[cut:]
        if tail in stop or not (short(tail) or (len(tail) > SHORTEST_PART and lexical.known_fraction(tail) >= 1.0)):
            continue
        heads = [head] + [head[:-len(link)] for link in LINKING_ELEMENTS
                          if head.endswith(link) and len(head) - len(link) >= SHORTEST_PART]
        if any(first(h) for h in heads):
            return True
    return False


def _shortened_compound(word: str, passage_words: set[str], known) -> bool:
    """True when a passage compound is ``word`` with a few letters more at the joint of its
    parts, the same last part (a corpus word) and the same first MIN_HEAD letters or more:
    "Umformwerk" and "Umformsätze" where the passage says "Umformerwerk" and "Umformersätze"
    (two edits, more than a typo of ten letters may have). "Hundesteuer" would need a passage
    word "Hunde…steuer"; a question so close to its passage's compound asks about its matter."""
    longer = [other for other in passage_words if 0 < len(other) - len(word) <= SHORTENED_JOINT]
    for other in longer:
        for cut in range(MIN_HEAD, len(word) - MIN_REST + 1):
            if not other.startswith(word[:cut]):
                break   # a longer first part cannot match either
            if other.endswith(word[cut:]) and known(word[cut:]) >= 1.0:
                return True
    return False
