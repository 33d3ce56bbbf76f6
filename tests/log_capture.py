"""Test helper: what mmengine's current logger prints (it does not propagate to pytest's caplog)."""
import logging


class MMLogCapture(logging.Handler):
    """``with MMLogCapture() as log:`` collects ``log.lines`` (level name, message) and ``log.messages``."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    @property
    def messages(self):
        return [message for _, message in self.lines]

    def emit(self, record):
        self.lines.append((record.levelname, record.getMessage()))

    def __enter__(self):
        from mmengine.logging import MMLogger
        self.logger = MMLogger.get_current_instance()
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
