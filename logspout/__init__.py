"""deis-logspout: follows every container's output and ships it to the logger."""

from logspout.logspout import LoggerAddress as LoggerAddress
from logspout.logspout import Logspout as Logspout
