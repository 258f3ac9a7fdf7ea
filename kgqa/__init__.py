"""kgqa: knowledge-graph hybrid question answering over your documents.

from kgqa import KGQA
kg = KGQA()
print(kg.ask("Who founded Calder Logistics?").answer)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

STARTED = time.perf_counter()  # when kgqa was first imported: the origin of the wall time `kgqa ask` prints
__version__ = "0.1.0"
__all__ = ["KGQA", "__version__"]

if TYPE_CHECKING:
    from kgqa.kg import KGQA


def __getattr__(name: str) -> Any:  # lazy: `import kgqa` (the CLI) stays fast
    if name == "KGQA":
        from kgqa.kg import KGQA

        return KGQA
    raise AttributeError(name)
