"""The demo city: its data (``data/``), the foundation builder (``loader``: tree, enterprises,
places, members, requests, union building) and the helpers modules' demo steps share
(``people``). Each module's own demo step lives in that module and is found through the module
registry (``DemoStep``)."""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
