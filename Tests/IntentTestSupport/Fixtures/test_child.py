"""How a fake server lives as a test's child process (shared by fake_http.py and fake_providers.py)."""

import os
import signal
import threading
import time


def live_as_test_child():
    """Stops on the test's terminate() and when the test process goes away.

    A test process that handles SIGTERM itself (service-lifecycle) passes it on blocked and
    ignored: restore it, so terminate() stops the server at once. An orphaned server (the test
    process killed or crashed) exits within half a second.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()

    def watchdog():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
