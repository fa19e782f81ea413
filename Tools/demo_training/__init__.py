"""The demo model's training (Tools/train_demo.py is the command): config, captions, data,
training (logging, checkpoints), the stages (image, text, video), evaluation and export."""
import pathlib
import sys

# synthetic_clips.py, the renderer, sits beside this folder in Tools/.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
