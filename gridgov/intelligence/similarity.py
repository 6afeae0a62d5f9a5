"""Text similarity of Chinese messages (pure): TF-IDF over character bigrams, cosine.

Chinese has no spaces, and word segmentation (jieba) costs about 1 ms per message; character bigrams
need no dictionary, cost a few microseconds, and catch most of what words would ("搅拌站" gives
搅拌 and 拌站). Vectors are fitted on the texts at hand, so no trained model is needed: a bigram that
occurs in every compared text (您好, 小区) weighs little, one shared by two texts only weighs a lot.

`similarity_scores` serves the duplicate check of a new report against open cases nearby
(`DUPLICATE_THRESHOLD`, measured in docs/intelligence-hot-issues.md); `bigram_vectors` is the
vectoriser hot-issue clustering builds on.
"""

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

# Cosine (title + body, fitted with ~200 texts around) above which a new report is "probably the same
# problem" as an open case. Measured on hot-issues.csv by bench/hot_issues.py, see
# docs/intelligence-hot-issues.md: on 132 hand-labelled hard pairs (same place, similar wording)
# precision 0.90 and recall 0.50; every repost under another title scores above it (lowest 0.86);
# 5 in 10,000 random pairs do. The cases check applies it after category and distance, which already
# remove most look-alikes, so a precise value is preferred to a sensitive one.
DUPLICATE_THRESHOLD = 0.25

_CODE_BITS = 21  # a Unicode code point fits in 21 bits, so a bigram fits in 42
_DOCUMENT_BITS = 64 - 2 * _CODE_BITS  # and the document index in the 22 bits left of a uint64
_SEPARATOR = "\x00"


def _is_content(codes: np.ndarray) -> np.ndarray:
    """Letters, digits and CJK ideographs; punctuation and spaces end a bigram run."""
    return (
        ((codes >= 0x4E00) & (codes <= 0x9FFF))
        | ((codes >= 0x30) & (codes <= 0x39))
        | ((codes >= 0x41) & (codes <= 0x5A))
        | ((codes >= 0x61) & (codes <= 0x7A))
        | ((codes >= 0x3400) & (codes <= 0x4DBF))
    )


def bigram_counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(document index, bigram column, count) of every distinct bigram of every text, and the number of
    distinct bigrams (columns are 0 … n-1 in code order).

    All texts are handled as one array, one sort in all (not one numpy pass per text): that is what
    makes 1 text against 200 take a few milliseconds. Latin letters are lower-cased; full-width forms
    are expected to be normalised (NFKC) by the caller when it matters.
    """
    joined = _SEPARATOR.join(text.lower().replace(_SEPARATOR, " ") for text in texts) + _SEPARATOR
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    separators = codes == 0
    document = np.cumsum(separators) - separators  # a separator belongs to the text before it
    content = _is_content(codes)
    pair = content[:-1] & content[1:]
    bigram = (codes[:-1][pair] << np.uint64(_CODE_BITS)) | codes[1:][pair]
    # Bigram in the high bits, document in the low ones: sorted keys group a bigram's documents.
    keys = (bigram << np.uint64(_DOCUMENT_BITS)) | document[:-1][pair].astype(np.uint64)
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, 0
    keys.sort()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(starts, len(keys)))
    unique = keys[starts]
    documents = (unique & np.uint64((1 << _DOCUMENT_BITS) - 1)).astype(np.int64)
    bigrams = unique >> np.uint64(_DOCUMENT_BITS)
    new_bigram = np.concatenate(([True], bigrams[1:] != bigrams[:-1]))
    columns = np.cumsum(new_bigram) - 1
    return documents, columns, counts, int(new_bigram.sum())


def _weights(
    texts: Sequence[str], max_df: float, min_df: int, idf_power: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(documents, columns, weights, row norms, vocabulary) of the kept bigrams, not yet normalised."""
    count = len(texts)
    if count >= 1 << _DOCUMENT_BITS:
        raise ValueError(f"at most {(1 << _DOCUMENT_BITS) - 1} texts at once")
    documents, columns, counts, vocabulary = bigram_counts(texts)
    frequency = np.bincount(columns, minlength=vocabulary)
    keep = (frequency >= min_df) & (frequency <= max(1.0, max_df * count))
    idf = (np.log((1 + count) / (1 + frequency)) + 1.0) ** idf_power
    selected = keep[columns]
    documents, columns = documents[selected], columns[selected]
    weights = (1.0 + np.log(counts[selected])) * idf[columns]
    norms = np.sqrt(np.bincount(documents, weights=weights**2, minlength=count))
    norms[norms == 0] = 1.0
    return documents, columns, weights, norms, vocabulary


def bigram_vectors(
    texts: Sequence[str], *, max_df: float = 1.0, min_df: int = 1, idf_power: float = 1.0
) -> sp.csr_matrix:
    """Rows of L2-normalised TF-IDF weights (1 + ln tf, smoothed idf ** idf_power) of character bigrams.

    max_df drops bigrams found in more than that share of the texts (function words: 我们, 小区);
    min_df drops bigrams found in fewer texts (they cannot be shared). A text without any bigram
    gets an all-zero row, similar to nothing.
    """
    documents, columns, weights, norms, vocabulary = _weights(texts, max_df, min_df, idf_power)
    return sp.csr_matrix((weights / norms[documents], (documents, columns)), shape=(len(texts), vocabulary))


def similarity_scores(text: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity in [0, 1] of `text` to each of `others`, TF-IDF fitted on these texts only.

    1.0 for the same wording; above DUPLICATE_THRESHOLD "probably the same problem"; a few
    hundredths for unrelated messages. An empty `others` gives [].
    """
    if not others:
        return []
    documents, columns, weights, norms, vocabulary = _weights([text, *others], 1.0, 1, 1.0)
    # Dot products with the first row without building a matrix: the query's weight of each bigram.
    query = np.zeros(vocabulary)
    first = documents == 0
    query[columns[first]] = weights[first] / norms[0]
    dots = np.bincount(documents, weights=weights * query[columns], minlength=len(others) + 1)
    scores = np.clip(dots[1:] / norms[1:], 0.0, 1.0)
    return [float(score) for score in scores]
