"""The ``usi`` metric Space: evaluate's standard gradio widget for the metric.

On the Space, ``python app.py`` launches the widget for the metric script beside this file
(``usi.py``, a copy of ``usi_metric/evaluate_module/usi.py``). Importing this module does
nothing: the widget starts only when it is run as a program.
"""

from pathlib import Path

import evaluate
from evaluate.utils import launch_gradio_widget


def main() -> None:
    """Load the metric from the script beside this file and launch evaluate's widget."""
    module = evaluate.load(str(Path(__file__).resolve().with_name("usi.py")))
    launch_gradio_widget(module)


if __name__ == "__main__":
    main()
