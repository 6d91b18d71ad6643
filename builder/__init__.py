"""deis-builder: ``git push`` over SSH, built into an image, released by the controller."""

from builder.server import Builder as Builder
from builder.server import Config as Config
