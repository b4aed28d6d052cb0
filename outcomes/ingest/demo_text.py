"""Demo values as text columns (every source column is text, so dirty values survive).

>>> import numpy as np
>>> num_text(np.array([45.0, 0.87341]), 4).to_pylist(), ids_text("E", 0, 2, 3).to_pylist()
(['45', '0.8734'], ['E001', 'E002'])
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def num_text(x: np.ndarray, decimals: int) -> pa.Array:
    """Numbers as text, rounded; shortest form ('45', '0.8734')."""
    return pc.cast(pa.array(np.round(np.asarray(x, dtype=float), decimals) + 0.0), pa.string())


def ts_text(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())


def ids_text(prefix: str, first: int, count: int, width: int) -> pa.Array:
    """``count`` ids numbered from ``first + 1``, zero-padded to ``width`` digits."""
    return ids_at(prefix, np.arange(first, first + count), width)


def customer_id_text(index: np.ndarray) -> pa.Array:
    """Customer ids (``C00001``) of 0-based customer indices."""
    return ids_at("C", index, 5)


def ids_at(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    """Ids of 0-based ``index`` values (numbered from 1), zero-padded to ``width`` digits."""
    digits = pc.cast(pa.array(np.asarray(index, dtype=np.int64) + 1), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def labels(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """``names[code]`` for every code."""
    return pc.take(pa.array(names, pa.string()), pa.array(np.asarray(codes, dtype=np.int32)))
