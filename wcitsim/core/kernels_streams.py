"""numpy's PCG64 in numba: the doubles ``Generator.random`` draws, drawn inside a compiled kernel.

A replication's stream is a :class:`numpy.random.PCG64` (:mod:`wcitsim.core.streams`):
a 128-bit linear congruential state s ← s · M + inc (mod 2¹²⁸), whose output is
the XSL-RR permutation of the new state, and ``Generator.random`` turns each
64-bit output x into (x >> 11) · 2⁻⁵³ (O'Neill 2014; numpy's ``pcg64.h`` and
``distributions.c``). :func:`pcg64_double` is that step on the state held as four
64-bit words, so a kernel that draws a session's shocks gets exactly the numbers
numpy would, and hands the advanced state back (``tests/test_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["pcg64_double", "pcg64_doubles"]

#: The PCG64 multiplier (PCG_DEFAULT_MULTIPLIER_128), low and high words.
MULTIPLIER = (0x4385DF649FCCF645, 0x2360ED051FC65DA4)


@intrinsic
def _mulhi(typingctx, a, b):
    """The high 64 bits of the 128-bit product of two unsigned 64-bit integers."""
    signature = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return signature, codegen


@njit(cache=True)
def pcg64_double(lo, hi, inc_lo, inc_hi):
    """One step of the state (``lo``, ``hi``) with increment (``inc_lo``, ``inc_hi``): (lo, hi, the double)."""
    m_lo, m_hi = np.uint64(MULTIPLIER[0]), np.uint64(MULTIPLIER[1])
    low = lo * m_lo
    high = _mulhi(lo, m_lo) + lo * m_hi + hi * m_lo
    lo = low + inc_lo
    hi = high + inc_hi + (np.uint64(1) if lo < low else np.uint64(0))
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    out = (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))
    return lo, hi, np.float64(out >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def pcg64_doubles(states, out):
    """Fill each row r of ``out`` (R × M) with stream r's next doubles, advancing ``states`` (R × 4) in place."""
    for r in range(out.shape[0]):
        lo, hi, inc_lo, inc_hi = states[r, 0], states[r, 1], states[r, 2], states[r, 3]
        for j in range(out.shape[1]):
            lo, hi, out[r, j] = pcg64_double(lo, hi, inc_lo, inc_hi)
        states[r, 0], states[r, 1] = lo, hi
