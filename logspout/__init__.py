"""deis-logspout: follows every container's output and ships it to the logger."""

from logspout.reconciler import LoggerAddress as LoggerAddress
from logspout.reconciler import Logspout as Logspout
