"""The embedding model: WordLlama's 256-dimension static embeddings, loaded from its own wheel.

Why this model: it ships inside its PyPI wheel (16 MB of weights), loads in about half a
second and embeds an answer in well under a millisecond on one core, so the coach can read
meaning offline, with no API key and no network. wordllama 0.4.0.post1 looks for its tokenizer
under `tokenizer/` but ships it under `tokenizers/`, so a plain `WordLlama.load()` would try
to download it; pointing `cache_dir` at the package folder with `disable_download=True` loads
everything from the wheel and fails loudly instead of reaching for the network.

Loaded once per process, lazily (the first answer read pays the half second), behind a lock
so two threads answering at once don't load it twice.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

_lock = threading.Lock()
_model: "Embedder | None" = None


class Embedder:
    """Unit-length sentence vectors for lists of texts."""

    def __init__(self, inference) -> None:  # wordllama.WordLlamaInference
        self._wl = inference
        # Half precision halves the resident size of the 32k x 256 table; cosine similarities
        # move by less than 1e-3, far below anything the coach's thresholds can see.
        self._wl.embedding = self._wl.embedding.astype(np.float16)
        self.dim = int(self._wl.embedding.shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Small batches: wordllama pads a batch to its longest text, and one batch of long texts
        # would allocate (batch x tokens x 256) floats at once — memory the allocator keeps.
        vecs = np.asarray(self._wl.embed([t or " " for t in texts],
                                         batch_size=max(1, min(64, 12_000 // max(map(len, texts))))), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vecs / norms


def _load() -> Embedder:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama  # its inference module calls logging.basicConfig(INFO) on import
    from wordllama import WordLlama
    root.handlers[:], root.level = handlers, level  # undo that: logging is the application's to set
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    package = Path(wordllama.__file__).parent
    return Embedder(WordLlama.load(cache_dir=package, disable_download=True))


def get() -> Embedder:
    """The process's one model, loaded on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _load()
    return _model


def embed(texts: list[str]) -> np.ndarray:
    return get().embed(texts)
