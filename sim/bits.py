"""Bit tricks on solutions held as ints (an ``nk_n``-bit mask): compiled as single instructions,
and plain Python when Numba's JIT is disabled."""

from numba.core.extending import intrinsic, overload
from numba.cpython.unsafe.numbers import trailing_zeros


def lowest_bit(x):
    """The index of the lowest 1 bit of ``x`` > 0."""
    return (int(x) & -int(x)).bit_length() - 1


@overload(lowest_bit, inline="always")
def _lowest_bit(x):
    return lambda x: trailing_zeros(x)


def popcount(x):
    """The number of 1 bits of ``x`` >= 0."""
    return int(x).bit_count()


@intrinsic
def _ctpop(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return x(x), codegen


@overload(popcount, inline="always")
def _popcount(x):
    return lambda x: _ctpop(x)
