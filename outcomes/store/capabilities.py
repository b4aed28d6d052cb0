"""Give up every Linux capability of this process (the SQL sandbox's child does, first thing).

A process running as root bypasses file permissions through its capabilities
(``CAP_DAC_OVERRIDE``): without them, root is bound by a file's mode bits like any user, so the
sandbox cannot write the read-only load files (0444) even through a statement that got past the
one-SELECT rule, and it still reads what its owner may read. For a process that is not root
there is nothing to give up. ``capset(2)`` through ctypes: the standard library has no binding.
"""

from __future__ import annotations

import ctypes
import os
import sys

_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_all() -> bool:
    """Clear the effective, permitted and inheritable capability sets of this process.

    Returns True when they are now empty (also when there were none), False where the
    platform has no ``capset`` we know (not Linux, another CPU): the file modes still apply
    to a process that is not root.
    """
    number = _SYS_CAPSET.get(os.uname().machine)
    if not sys.platform.startswith("linux") or number is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    header = _Header(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_Data * 2)()  # all zero: no capability in any set
    if libc.syscall(number, ctypes.byref(header), ctypes.byref(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset failed: {os.strerror(err)}")
    return True


def effective() -> int:
    """The effective capability set of this process, from /proc (0 when it has none)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0
