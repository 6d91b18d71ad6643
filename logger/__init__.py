"""deis-logger: syslog in (TCP, UDP), per-app logs in the store, an HTTP API out."""

from logger.logbook import PLATFORM as PLATFORM
from logger.logbook import Logbook as Logbook
from logger.server import Config as Config
from logger.server import Logger as Logger
